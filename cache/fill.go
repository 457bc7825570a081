package cache

import (
	"context"
	"fmt"
	"io"

	"github.com/frocket/frocket/objstore"
)

// fillBufferBytes is the copy buffer of FillFrom: each ReadAt of a remote bucket may be one request.
const fillBufferBytes = 1 << 20

// FillFrom returns a fill function for Fetch that copies object name of b, checking that all of its
// bytes arrived.
func FillFrom(b objstore.Bucket, name string) func(ctx context.Context, w io.Writer) (int64, error) {
	return func(ctx context.Context, w io.Writer) (int64, error) {
		r, size, err := b.Open(ctx, name)
		if err != nil {
			return 0, fmt.Errorf("open %s: %w", name, err)
		}
		n, err := io.CopyBuffer(w, io.NewSectionReader(r, 0, size), make([]byte, max(1, min(size, fillBufferBytes))))
		if cerr := r.Close(); err == nil && cerr != nil {
			err = cerr
		}
		if err != nil {
			return n, fmt.Errorf("copy %s: %w", name, err)
		}
		if n != size {
			return n, fmt.Errorf("copy %s: got %d bytes, want %d", name, n, size)
		}
		return n, nil
	}
}
