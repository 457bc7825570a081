package objstore

import (
	"context"
	"errors"
	"io"
	"io/fs"
)

// Object is one object (file) of a dataset location.
type Object struct {
	// Name is relative to the location's base, '/'-separated.
	Name string
	// Size is in bytes.
	Size int64
}

// ReaderAtCloser is random read access to one object.
type ReaderAtCloser interface {
	io.ReaderAt
	io.Closer
}

// Bucket reads parts of one dataset location. Implementations are safe for concurrent use.
type Bucket interface {
	// List returns the objects whose relative name matches pattern (fnmatch rules, see Match), sorted
	// bytewise by name; none matching is an empty result, not an error. A local bucket lists only the
	// direct entries of its directory that are regular files (or links to them). A missing location is
	// an error for which IsNotFound is true.
	List(ctx context.Context, pattern string) ([]Object, error)
	// Open returns a reader over one object and its size. The caller closes the reader. A missing object
	// is an error for which IsNotFound is true.
	Open(ctx context.Context, name string) (ReaderAtCloser, int64, error)
	// LocalPath returns the object's path on the local filesystem, or "" when it is remote (or name is
	// not a valid object name). It does not check that the object exists.
	LocalPath(name string) string
}

// notFoundError marks a missing object or location, whatever the backend.
type notFoundError struct {
	msg string
	err error
}

func (e *notFoundError) Error() string { return e.msg }
func (e *notFoundError) Unwrap() error { return e.err }

// IsNotFound reports whether err (or any error it wraps) says that an object or a location does not
// exist.
func IsNotFound(err error) bool {
	var nf *notFoundError
	return errors.As(err, &nf) || errors.Is(err, fs.ErrNotExist)
}
