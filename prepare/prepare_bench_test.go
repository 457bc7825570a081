package prepare

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/frocket/frocket/bench"
)

// BenchmarkPrepare prepares a generated, unsorted dataset of 200K rows in 4 files into 8 parts,
// with a budget that sorts every part in memory and with one that forces runs and merges.
func BenchmarkPrepare(b *testing.B) {
	dir := b.TempDir()
	gen := bench.DefaultGenConfig()
	gen.Rows, gen.Files, gen.Unsorted, gen.Seed = 200_000, 4, true, 1
	gen.OutDir = filepath.Join(dir, "in")
	if _, err := bench.Generate(context.Background(), gen); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name        string
		memoryBytes int64
	}{{"memory", 1 << 30}, {"external", 1 << 20}} {
		b.Run(bc.name, func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.Input, cfg.Files, cfg.MemoryBytes = gen.OutDir, 8, bc.memoryBytes
			cfg.GroupColumn, cfg.TimestampColumn = "userId", "timestamp"
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				cfg.Output = filepath.Join(dir, fmt.Sprintf("%s-%d", bc.name, i))
				i++
				st, err := Run(context.Background(), cfg)
				if err != nil {
					b.Fatal(err)
				}
				if st.Rows != gen.Rows {
					b.Fatalf("%d rows written, want %d", st.Rows, gen.Rows)
				}
				b.StopTimer()
				os.RemoveAll(cfg.Output)
				b.StartTimer()
			}
			b.ReportMetric(float64(gen.Rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
