//go:build !unix

package cache

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// mmapFile is not supported here: parts are read with plain ReadAt.
func mmapFile(f *os.File, size int) ([]byte, error) {
	return nil, errors.New("cache: mmap not supported on this platform")
}

func munmap(data []byte) error { return nil }

// lockDir creates dir/LOCK; without flock it does not keep another process out.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock cache dir: %w", err)
	}
	return f, nil
}
