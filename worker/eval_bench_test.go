package worker_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/frocket/frocket/bench"
	"github.com/frocket/frocket/query"
	"github.com/frocket/frocket/scan"
	"github.com/frocket/frocket/worker"
)

// benchPart generates one 1M-row part of the synthetic dataset (100K users) and returns its path and
// query schema.
func benchPart(b *testing.B, unsorted bool) (string, *query.Schema) {
	b.Helper()
	cfg := bench.GenConfig{Rows: 1 << 20, Users: 100_000, Files: 1, Seed: 1, Unsorted: unsorted, OutDir: filepath.Join(b.TempDir(), "data")}
	st, err := bench.Generate(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	path := st.Files[0]
	fh, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		b.Fatal(err)
	}
	f, err := scan.Open(fh, fi.Size(), path)
	if err != nil {
		b.Fatal(err)
	}
	s := &query.Schema{GroupColumn: "userId", TimestampColumn: "timestamp", Columns: map[string]query.ColumnType{}}
	for _, c := range f.Columns() {
		switch c.Type {
		case scan.Int:
			s.Columns[c.Name] = query.TypeInt
		case scan.Float:
			s.Columns[c.Name] = query.TypeFloat
		case scan.Bool:
			s.Columns[c.Name] = query.TypeBool
		case scan.String:
			s.Columns[c.Name] = query.TypeString
		}
	}
	return path, s
}

// benchQueries are the target queries of bench/peers.
var benchQueryBodies = []struct{ name, body string }{
	{"empty", `{}`},
	{"funnel3", `{"funnel":{"sequence":[{"filter":["eventType","==","pageview"]},{"filter":["eventType","==","addToCart"]},{"filter":["eventType","==","purchase"]}]}}`},
	{"conds3-or", `{"query":{"conditions":[
		{"filter":["eventType","==","purchase"],"target":["count",">=",2]},
		{"filter":["country","==","DE"],"target":["count",">=",3]},
		{"filter":["device","==","tablet"],"target":["count",">",5]}],
		"relation":"or","aggregations":[{"column":"browser","type":"groupsPerValue"}]}}`},
}

// BenchmarkRun times worker.Run (open, decode, order, kernels) over one 1M-row part, per target
// query, on sorted and unsorted files; with a column cache ("warm") the decoding is paid once.
func BenchmarkRun(b *testing.B) {
	for _, layout := range []struct {
		name     string
		unsorted bool
	}{{"sorted", false}, {"unsorted", true}} {
		b.Run(layout.name, func(b *testing.B) {
			path, schema := benchPart(b, layout.unsorted)
			for _, q := range benchQueryBodies {
				v, errs := query.Compile([]byte(q.body), schema, query.DefaultConfig())
				if len(errs) > 0 {
					b.Fatal(errs)
				}
				task := worker.Task{Path: path, GroupColumn: "userId", TimestampColumn: "timestamp", Query: v}
				b.Run(q.name, func(b *testing.B) { benchRun(b, task) })
				task.Buffers = &scan.Buffers{}
				b.Run(q.name+"-bufs", func(b *testing.B) { benchRun(b, task) })
				task.Buffers = nil
				task.Columns = worker.NewColumnCache(0)
				if _, _, err := worker.Run(context.Background(), task); err != nil {
					b.Fatal(err)
				}
				b.Run(q.name+"-warm", func(b *testing.B) { benchRun(b, task) })
			}
		})
	}
}

// decodedBytes returns the size of the value slices of the columns task decodes.
func decodedBytes(b *testing.B, task worker.Task) int64 {
	task.Columns, task.Buffers = nil, nil
	tbl, err := worker.Load(task)
	if err != nil {
		b.Fatal(err)
	}
	n := int64(len(tbl.TS)) * 8
	seen := map[*scan.Column]bool{}
	for _, c := range append([]*scan.Column{tbl.Group}, mapValues(tbl.Columns)...) {
		if !seen[c] {
			seen[c] = true
			n += int64(len(c.Ints))*8 + int64(len(c.Floats))*8 + int64(len(c.Codes))*4 + int64(len(c.Bools))
		}
	}
	return n
}

func mapValues(m map[string]*scan.Column) []*scan.Column {
	var out []*scan.Column
	for _, c := range m {
		out = append(out, c)
	}
	return out
}

// benchRun reports rows/s, and the bytes allocated per task over the bytes of the decoded columns
// (an upper bound on the task's peak memory relative to its columns).
func benchRun(b *testing.B, task worker.Task) {
	decoded := decodedBytes(b, task)
	b.ReportAllocs()
	rows := int64(0)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for b.Loop() {
		p, st, err := worker.Run(context.Background(), task)
		if err != nil {
			b.Fatal(err)
		}
		if p.Query.MatchingGroups == 0 {
			b.Fatal("no group matched")
		}
		rows += st.FileRows
	}
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	if decoded > 0 && b.N > 0 {
		b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/float64(decoded), "alloc/decoded")
	}
}
