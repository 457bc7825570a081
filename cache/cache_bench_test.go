package cache

import (
	"context"
	"math/rand/v2"
	"testing"
)

// benchmarkReadAt reads 64 KiB chunks at random offsets of a cached 16 MiB part (in the page cache).
func benchmarkReadAt(b *testing.B, useMmap bool) {
	c, err := Open(Config{Dir: b.TempDir(), MaxBytes: 1 << 30, UseMmap: useMmap})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	const size, chunk = 16 << 20, 64 << 10
	k := key("bench")
	r, _, err := c.Fetch(context.Background(), k, fillOf(partData(k, size), nil))
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	if useMmap && r.Bytes() == nil {
		b.Fatal("part not mapped")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	offs := make([]int64, 1024)
	for i := range offs {
		offs[i] = rng.Int64N(size - chunk)
	}
	buf := make([]byte, chunk)
	b.SetBytes(chunk)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := r.ReadAt(buf, offs[i%len(offs)]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadAtMmap(b *testing.B)  { benchmarkReadAt(b, true) }
func BenchmarkReadAtPlain(b *testing.B) { benchmarkReadAt(b, false) }
