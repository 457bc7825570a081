package objstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Local is a Bucket over one local directory. Object names are the names of its direct entries.
type Local struct {
	dir string
}

var _ Bucket = (*Local)(nil)

// NewLocal returns a bucket over dir. It does not touch the filesystem: a missing directory is reported
// by List and Open.
func NewLocal(dir string) *Local {
	return &Local{dir: filepath.Clean(dir)}
}

// Dir returns the bucket's directory.
func (l *Local) Dir() string { return l.dir }

// List implements Bucket. Directories, sockets and other non-regular entries are skipped.
func (l *Local) List(ctx context.Context, pattern string) ([]Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list %s: %w", l.dir, err)
	}
	st, err := os.Stat(l.dir)
	if err != nil {
		return nil, localError("list", l.dir, "directory", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("list %s: not a directory", l.dir)
	}
	entries, err := os.ReadDir(l.dir)
	if err != nil {
		return nil, localError("list", l.dir, "directory", err)
	}
	objs := []Object{}
	for _, e := range entries {
		if !Match(pattern, e.Name()) {
			continue
		}
		info, err := e.Info()
		if err == nil && info.Mode()&fs.ModeSymlink != 0 {
			info, err = os.Stat(filepath.Join(l.dir, e.Name()))
		}
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed since ReadDir, or a dangling link
			}
			return nil, localError("list", filepath.Join(l.dir, e.Name()), "file", err)
		}
		if !info.Mode().IsRegular() {
			continue
		}
		objs = append(objs, Object{Name: e.Name(), Size: info.Size()})
	}
	slices.SortFunc(objs, func(a, b Object) int { return strings.Compare(a.Name, b.Name) })
	return objs, nil
}

// Open implements Bucket. The reader is an *os.File.
func (l *Local) Open(ctx context.Context, name string) (ReaderAtCloser, int64, error) {
	p := l.LocalPath(name)
	if p == "" {
		return nil, 0, fmt.Errorf("open %q in %s: invalid object name", name, l.dir)
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, fmt.Errorf("open %s: %w", p, err)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, 0, localError("open", p, "file", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, localError("open", p, "file", err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, 0, fmt.Errorf("open %s: not a regular file", p)
	}
	return f, st.Size(), nil
}

// LocalPath implements Bucket: the path of name under the directory, or "" when name is empty,
// absolute or escapes the directory.
func (l *Local) LocalPath(name string) string {
	if name == "" || !filepath.IsLocal(filepath.FromSlash(name)) {
		return ""
	}
	return filepath.Join(l.dir, filepath.FromSlash(name))
}

// localError turns an os error into one that names the path once and says what went wrong; a missing
// path gives an error for which IsNotFound is true.
func localError(op, path, what string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &notFoundError{msg: fmt.Sprintf("%s %s: %s does not exist", op, path, what), err: fs.ErrNotExist}
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%s %s: %w", op, path, fs.ErrPermission)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s %s: %w", op, path, pe.Err)
	}
	return fmt.Errorf("%s %s: %w", op, path, err)
}
