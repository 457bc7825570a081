package cache

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// DefaultMaxBytes is the default byte budget: 256 MB (2^20 bytes each), as Funnel Rocket's
// FROCKET_WORKER_DISK_CACHE_SIZE_MB.
const DefaultMaxBytes = 256 << 20

// Config configures a Cache. The command line maps FROCKET_WORKER_CACHE_DIR to Dir and
// FROCKET_WORKER_DISK_CACHE_SIZE_MB to MaxBytes.
type Config struct {
	// Dir holds the cached parts; it is created when missing and must not be shared by two caches at
	// once.
	Dir string
	// MaxBytes is the budget of the parts' total size. Least-recently-used entries are evicted beyond
	// it, except entries held open and the part downloaded last: 0 still keeps the most recent part.
	MaxBytes int64
	// UseMmap reads parts through a read-only shared memory map; false (or a failed mmap) reads them with
	// plain ReadAt on the file.
	UseMmap bool
}

// DefaultConfig returns a cache under the system temp directory with a 256 MB budget, read through mmap.
func DefaultConfig() Config {
	return Config{
		Dir:      filepath.Join(os.TempDir(), "frocket-cache"),
		MaxBytes: DefaultMaxBytes,
		UseMmap:  true,
	}
}

// Validate reports every problem of c at once.
func (c Config) Validate() error {
	var errs []error
	if c.Dir == "" {
		errs = append(errs, errors.New("cache: dir is required"))
	}
	if c.MaxBytes < 0 {
		errs = append(errs, fmt.Errorf("cache: max bytes must not be negative, not %d", c.MaxBytes))
	}
	return errors.Join(errs...)
}
