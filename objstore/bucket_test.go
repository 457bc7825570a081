package objstore

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"slices"
	"sync"
	"testing"
)

// bucketFactory returns a bucket holding exactly files (relative name -> content).
type bucketFactory func(t *testing.T, files map[string][]byte) Bucket

// suiteFiles are the objects every Bucket implementation is tested with. The names sort differently
// bytewise than case-insensitively, and some match no parquet pattern.
var suiteFiles = map[string][]byte{
	"b.parquet":     []byte("second part"),
	"a.parquet":     []byte("first part, a little longer"),
	"B.parquet":     []byte("upper case sorts first"),
	"_c.parquet":    []byte("underscore sorts between"),
	"empty.parquet": {},
	"notes.txt":     []byte("not a part"),
	"a.parquet.tmp": []byte("leftover"),
	"x1.pq":         []byte("1"),
	"x2.pq":         []byte("22"),
}

// testBucket is the acceptance suite every Bucket implementation must pass.
func testBucket(t *testing.T, newBucket bucketFactory) {
	t.Helper()
	ctx := context.Background()
	b := newBucket(t, suiteFiles)

	t.Run("ListAll", func(t *testing.T) {
		got, err := b.List(ctx, "*")
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		var want []Object
		for name, data := range suiteFiles {
			want = append(want, Object{Name: name, Size: int64(len(data))})
		}
		slices.SortFunc(want, func(a, b Object) int { return bytes.Compare([]byte(a.Name), []byte(b.Name)) })
		if !slices.Equal(got, want) {
			t.Fatalf("List(*) = %v, want %v", got, want)
		}
	})

	t.Run("ListPattern", func(t *testing.T) {
		f := func(pattern string, want ...string) {
			t.Helper()
			objs, err := b.List(ctx, pattern)
			if err != nil {
				t.Fatalf("List(%q): %v", pattern, err)
			}
			if objs == nil {
				t.Fatalf("List(%q) returned nil, want an empty non-nil slice at least", pattern)
			}
			got := []string{}
			for _, o := range objs {
				got = append(got, o.Name)
				if o.Size != int64(len(suiteFiles[o.Name])) {
					t.Errorf("List(%q): %s has size %d, want %d", pattern, o.Name, o.Size, len(suiteFiles[o.Name]))
				}
			}
			if want == nil {
				want = []string{}
			}
			if !slices.Equal(got, want) {
				t.Errorf("List(%q) = %q, want %q", pattern, got, want)
			}
		}
		f("*.parquet", "B.parquet", "_c.parquet", "a.parquet", "b.parquet", "empty.parquet")
		f("?.parquet", "B.parquet", "a.parquet", "b.parquet")
		f("[ab].parquet", "a.parquet", "b.parquet")
		f("[!ab]*.parquet", "B.parquet", "_c.parquet", "empty.parquet")
		f("x[0-9].pq", "x1.pq", "x2.pq")
		f("a.parquet", "a.parquet")
		f("a.parquet*", "a.parquet", "a.parquet.tmp")
		f("*.txt", "notes.txt")
		f("nomatch*")
		f("A.PARQUET")
	})

	t.Run("Open", func(t *testing.T) {
		for name, data := range suiteFiles {
			r, size, err := b.Open(ctx, name)
			if err != nil {
				t.Fatalf("Open(%s): %v", name, err)
			}
			if size != int64(len(data)) {
				t.Errorf("Open(%s) size = %d, want %d", name, size, len(data))
			}
			got := make([]byte, len(data))
			if n, err := r.ReadAt(got, 0); n != len(data) || (err != nil && err != io.EOF) {
				t.Errorf("ReadAt(%s, 0) = %d, %v", name, n, err)
			}
			if !bytes.Equal(got, data) {
				t.Errorf("ReadAt(%s) = %q, want %q", name, got, data)
			}
			if len(data) > 2 {
				tail := make([]byte, 2)
				off := int64(len(data) - 2)
				if n, err := r.ReadAt(tail, off); n != 2 || (err != nil && err != io.EOF) || !bytes.Equal(tail, data[off:]) {
					t.Errorf("ReadAt(%s, %d) = %d %q, %v", name, off, n, tail, err)
				}
			}
			if n, err := r.ReadAt(make([]byte, 1), size); n != 0 || err != io.EOF {
				t.Errorf("ReadAt(%s) past the end = %d, %v; want 0, io.EOF", name, n, err)
			}
			if err := r.Close(); err != nil {
				t.Errorf("Close(%s): %v", name, err)
			}
		}
	})

	t.Run("OpenMissing", func(t *testing.T) {
		_, _, err := b.Open(ctx, "missing.parquet")
		if err == nil || !IsNotFound(err) {
			t.Fatalf("Open(missing) error = %v, want a not-found error", err)
		}
	})

	t.Run("LocalPath", func(t *testing.T) {
		for name, data := range suiteFiles {
			p := b.LocalPath(name)
			if p == "" {
				continue // a remote bucket
			}
			got, err := os.ReadFile(p)
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("LocalPath(%s) = %s: read %q, %v; want %q", name, p, got, err, data)
			}
		}
	})

	t.Run("Canceled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := b.List(cctx, "*"); !errors.Is(err, context.Canceled) {
			t.Errorf("List with a canceled context: %v, want context.Canceled", err)
		}
		if _, _, err := b.Open(cctx, "a.parquet"); !errors.Is(err, context.Canceled) {
			t.Errorf("Open with a canceled context: %v, want context.Canceled", err)
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := b.List(ctx, "*.parquet"); err != nil {
					errs <- err
					return
				}
				r, _, err := b.Open(ctx, "a.parquet")
				if err != nil {
					errs <- err
					return
				}
				buf := make([]byte, 5)
				if _, err := r.ReadAt(buf, 0); err != nil || string(buf) != "first" {
					errs <- errors.Join(err, errors.New("wrong content "+string(buf)))
				}
				r.Close()
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}
