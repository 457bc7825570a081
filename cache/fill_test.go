package cache

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/frocket/frocket/objstore"
)

func TestFillFromBucket(t *testing.T) {
	src := t.TempDir()
	want := partData(key("a.parquet"), 3<<20+17) // more than one copy buffer
	if err := os.WriteFile(filepath.Join(src, "a.parquet"), want, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "empty.parquet"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	b := objstore.NewLocal(src)
	c := openCache(t, t.TempDir(), 1<<30, true)
	r, hit, err := c.Fetch(context.Background(), key("a.parquet"), FillFrom(b, "a.parquet"))
	if err != nil || hit {
		t.Fatalf("Fetch = hit %v, %v", hit, err)
	}
	if got := readAll(t, r); !bytes.Equal(got, want) {
		t.Fatal("content differs from the bucket's object")
	}
	r.Close()
	r, _, err = c.Fetch(context.Background(), key("empty.parquet"), FillFrom(b, "empty.parquet"))
	if err != nil || r.Size() != 0 {
		t.Fatalf("Fetch(empty) = %v", err)
	}
	r.Close()
	_, _, err = c.Fetch(context.Background(), key("missing.parquet"), FillFrom(b, "missing.parquet"))
	if err == nil || !objstore.IsNotFound(err) {
		t.Fatalf("Fetch(missing) = %v, want a not-found error", err)
	}
}
