package cache

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sync/atomic"

	"github.com/frocket/frocket/objstore"
)

// Reader reads one cached part. ReadAt is safe for concurrent use; Close must not race with other calls.
// Holding a Reader pins its entry: eviction never removes the file while a reader is open.
type Reader interface {
	io.ReaderAt
	io.Closer
	// Size returns the part's size in bytes.
	Size() int64
	// Bytes returns the memory-mapped part, valid until Close; nil when the part is read with plain ReadAt
	// (mmap off or failed, or an empty part) and after Close. The bytes must not be written.
	Bytes() []byte
}

var _ objstore.ReaderAtCloser = Reader(nil)

// partReader is a Reader over a mapping (data) or an open file (f), exactly one of them.
type partReader struct {
	c      *Cache
	e      *entry
	data   []byte
	f      *os.File
	size   int64
	closed atomic.Bool
}

// newPartReader maps f when useMmap (closing f) and falls back to reading f when it cannot be mapped.
func newPartReader(c *Cache, e *entry, f *os.File, useMmap bool) *partReader {
	r := &partReader{c: c, e: e, size: e.size}
	if useMmap && e.size > 0 && e.size <= math.MaxInt {
		if data, err := mmapFile(f, int(e.size)); err == nil {
			f.Close()
			r.data = data
			return r
		}
	}
	r.f = f
	return r
}

// errNegativeOffset matches what os.File.ReadAt reports for a negative offset.
var errNegativeOffset = errors.New("cache: negative offset")

// ReadAt implements io.ReaderAt as os.File does: a read that reaches the end returns io.EOF with the
// bytes read, and an empty read returns 0, nil.
func (r *partReader) ReadAt(p []byte, off int64) (int, error) {
	if r.closed.Load() {
		return 0, os.ErrClosed
	}
	if r.f != nil {
		return r.f.ReadAt(p, off)
	}
	if off < 0 {
		return 0, errNegativeOffset
	}
	if len(p) == 0 {
		return 0, nil // as os.File.ReadAt
	}
	if off >= int64(len(r.data)) {
		return 0, io.EOF
	}
	n := copy(p, r.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Size implements Reader.
func (r *partReader) Size() int64 { return r.size }

// Bytes implements Reader.
func (r *partReader) Bytes() []byte {
	if r.closed.Load() {
		return nil
	}
	return r.data
}

// Close unmaps or closes the part and unpins its entry. Closing twice is a no-op.
func (r *partReader) Close() error {
	if r.closed.Swap(true) {
		return nil
	}
	var err error
	if r.data != nil {
		if err = munmap(r.data); err != nil {
			err = fmt.Errorf("unmap part: %w", err)
		}
	} else if err = r.f.Close(); err != nil {
		err = fmt.Errorf("close part: %w", err)
	}
	r.c.release(r.e)
	return err
}
