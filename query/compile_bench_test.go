package query

import "testing"

// BenchmarkCompileExample compiles the example query against its dataset (the original allowed
// 20 ms per validation in test_many_runs).
func BenchmarkCompileExample(b *testing.B) {
	doc := readTestdata(b, "expand/example.json")
	schema := origSchema()
	cfg := DefaultConfig()
	b.ReportAllocs()
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if _, errs := Compile(doc, schema, cfg); len(errs) > 0 {
			b.Fatal(errs)
		}
	}
}
