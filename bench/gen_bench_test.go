package bench

import (
	"context"
	"testing"
)

// BenchmarkGenerate measures end-to-end generation (plan, events, encoding,
// writing) of a 1M-row dataset in 4 parts, on every core.
func BenchmarkGenerate(b *testing.B) {
	f := func(name string, mutate func(*GenConfig)) {
		b.Run(name, func(b *testing.B) {
			cfg := DefaultGenConfig()
			cfg.Rows = 1_000_000
			cfg.Files = 4
			cfg.OutDir = b.TempDir()
			mutate(&cfg)
			b.ReportAllocs()
			var bytes int64
			for b.Loop() {
				stats, err := Generate(context.Background(), cfg)
				if err != nil {
					b.Fatal(err)
				}
				bytes = stats.Bytes
			}
			b.ReportMetric(float64(cfg.Rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(bytes)/float64(cfg.Rows), "bytes/row")
		})
	}
	f("sorted", func(*GenConfig) {})
	f("unsorted", func(c *GenConfig) { c.Unsorted = true })
	f("string-ids-float-ts", func(c *GenConfig) { c.StringUserIDs, c.FloatTimestamps = true, true })
}
