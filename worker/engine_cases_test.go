package worker_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/frocket/frocket/internal/naive"
	"github.com/frocket/frocket/query"
	"github.com/frocket/frocket/worker"
)

// Hand-written engine cases: each query runs through worker.Run on every file (then Merge) and
// through naive.Evaluate on the same files, and both answers must equal the expected one written
// by hand. The first cases are those of Funnel Rocket's test_query_engine.py.

// writeParquet writes rows to dir/name with a GenericWriter and returns the path.
func writeParquet[T any](t *testing.T, dir, name string, rows []T) string {
	t.Helper()
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[T](f)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// dataset is a set of part files with their rows as the naive reader sees them.
type dataset struct {
	paths     []string
	rows      [][]naive.Row
	group, ts string
	schema    *query.Schema
}

// openDataset reads the files with the naive reader and derives the schema from the cells' types.
// withRange sets the timestamp range (which turns on the timeframe scale check).
func openDataset(t testing.TB, group, ts string, withRange bool, paths ...string) *dataset {
	t.Helper()
	d := &dataset{paths: paths, group: group, ts: ts}
	s := &query.Schema{GroupColumn: group, TimestampColumn: ts, Columns: map[string]query.ColumnType{}}
	first := true
	for _, p := range paths {
		rows, err := naive.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		d.rows = append(d.rows, rows)
		for _, r := range rows {
			for name, c := range r {
				s.Columns[name] = c.Type
			}
			c, ok := r[ts]
			if !ok || c.Null {
				continue
			}
			v := float64(c.Int)
			if c.Type == query.TypeFloat {
				v = c.Float
			}
			if first || v < s.MinTimestamp {
				s.MinTimestamp = v
			}
			if first || v > s.MaxTimestamp {
				s.MaxTimestamp = v
			}
			first = false
		}
	}
	s.HasTimestampRange = withRange && !first
	d.schema = s
	return d
}

// compile validates a query document against the dataset's schema.
func (d *dataset) compile(t testing.TB, doc string) *query.Validated {
	t.Helper()
	v, errs := query.Compile([]byte(doc), d.schema, query.DefaultConfig())
	if len(errs) > 0 {
		t.Fatalf("compile %s: %v", doc, errs)
	}
	return v
}

// engine answers v with worker.Run on every part and merges the partials.
func (d *dataset) engine(t testing.TB, v *query.Validated) *query.Partial {
	t.Helper()
	return d.engineCached(t, v, nil)
}

// engineCached is engine with the parts read through cache (nil: no cache): what a long-running
// worker does.
func (d *dataset) engineCached(t testing.TB, v *query.Validated, cache *worker.ColumnCache) *query.Partial {
	t.Helper()
	var merged *query.Partial
	for _, p := range d.paths {
		part, _, err := worker.Run(context.Background(), worker.Task{Path: p, GroupColumn: d.group, TimestampColumn: d.ts, Query: v, Columns: cache})
		if err != nil {
			t.Fatalf("engine on %s: %v", p, err)
		}
		if merged == nil {
			merged = part
			continue
		}
		if err := merged.Merge(part); err != nil {
			t.Fatalf("merge engine partials: %v", err)
		}
	}
	return merged
}

// naive answers v with naive.Evaluate on every part and merges the partials.
func (d *dataset) naive(t testing.TB, v *query.Validated) *query.Partial {
	t.Helper()
	var merged *query.Partial
	for _, rows := range d.rows {
		part := naive.Evaluate(rows, d.group, d.ts, v)
		if merged == nil {
			merged = part
			continue
		}
		if err := merged.Merge(part); err != nil {
			t.Fatalf("merge naive partials: %v", err)
		}
	}
	return merged
}

// check compiles doc and hands the merged answer of the engine and of the naive evaluator to f.
func (d *dataset) check(t *testing.T, name, doc string, f func(t *testing.T, p *query.Partial)) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		v := d.compile(t, doc)
		t.Run("engine", func(t *testing.T) { f(t, d.engine(t, v)) })
		t.Run("naive", func(t *testing.T) { f(t, d.naive(t, v)) })
	})
}

// counts returns a check of the query section's matching groups and rows (a negative want is not checked).
func counts(groups, rows int64) func(t *testing.T, p *query.Partial) {
	return func(t *testing.T, p *query.Partial) {
		t.Helper()
		wantCounts(t, "query", p.Query.MatchingGroups, p.Query.MatchingGroupRows, groups, rows)
	}
}

func wantCounts(t *testing.T, what string, groups, rows, wantGroups, wantRows int64) {
	t.Helper()
	if (wantGroups >= 0 && groups != wantGroups) || (wantRows >= 0 && rows != wantRows) {
		t.Errorf("%s: matchingGroups %d, matchingGroupRows %d; want %d and %d", what, groups, rows, wantGroups, wantRows)
	}
}

// wantAgg checks an aggregation's identity, count and per-value map (nil want: no keys).
func wantAgg(t *testing.T, a query.AggPartial, column string, typ query.AggregationType, count int64, values map[string]query.PerValue) {
	t.Helper()
	if a.Column != column || a.Type != typ {
		t.Errorf("aggregation is %s/%s, want %s/%s", a.Column, a.Type, column, typ)
		return
	}
	if a.Count != count {
		t.Errorf("%s/%s count %d, want %d", column, typ, a.Count, count)
	}
	if a.Approximate {
		t.Errorf("%s/%s is approximate", column, typ)
	}
	if len(a.Values) != len(values) {
		t.Errorf("%s/%s values %v, want %v", column, typ, a.Values, values)
		return
	}
	for k, w := range values {
		g, ok := a.Values[k]
		if !ok || g.N != w.N || !closeEnough(g.Sum, w.Sum) {
			t.Errorf("%s/%s values %v, want %v", column, typ, a.Values, values)
			return
		}
	}
}

// closeEnough compares floats within 1e-9 relative (exactly for zero).
func closeEnough(a, b float64) bool {
	if a == b || (math.IsNaN(a) && math.IsNaN(b)) {
		return true
	}
	return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b))
}

// wantFinal checks a finalized per-value aggregation's entries, in rank order.
func wantFinal(t *testing.T, r query.AggResult, want query.ValueMap) {
	t.Helper()
	got, ok := r.Value.(query.ValueMap)
	if !ok {
		t.Errorf("%s/%s final value is %T, want a ValueMap", r.Column, r.Type, r.Value)
		return
	}
	if len(got) != len(want) {
		t.Errorf("%s/%s final %v, want %v", r.Column, r.Type, got, want)
		return
	}
	for i := range want {
		if got[i].Key != want[i].Key || !closeEnough(got[i].Value, want[i].Value) {
			t.Errorf("%s/%s final %v, want %v", r.Column, r.Type, got, want)
			return
		}
	}
}

func ptr[T any](v T) *T { return &v }

func kv(key string, value float64) query.KeyValue { return query.KeyValue{Key: key, Value: value} }

// ---- the cases of test_query_engine.py ----

const beginTS = 1610555782

// refRow is the row of test_create_data: users a..d with 4, 8, 16 and 32 rows.
type refRow struct {
	ID       string `parquet:"id"`
	TS       int64  `parquet:"timestamp"`
	Category string `parquet:"category"`
	Type     string `parquet:"type"`
	Price    int64  `parquet:"price"`
	Keywords string `parquet:"keywords"`
}

func refRows() []refRow {
	categories := []string{"fishing", "running", "climbing", "snorkeling"}
	types := []string{"view", "click", "purchase", "a2c"}
	keywords := []string{"cat|dog", "mouse|cat|dog", "cat", "dog|mouse|cat"}
	var out []refRow
	for idx, user := range []string{"a", "b", "c", "d"} {
		idx += 2
		for i := 0; i < 1<<idx; i++ {
			out = append(out, refRow{
				ID: user, TS: int64(beginTS + idx + i), Category: categories[i%4], Type: types[i%4],
				Price: int64(100 + idx + i), Keywords: keywords[i%4] + "_" + user,
			})
		}
	}
	return out
}

func TestEngineCasesOriginal(t *testing.T) {
	dir := t.TempDir()
	ref := openDataset(t, "id", "timestamp", false, writeParquet(t, dir, "ref.parquet", refRows()))

	// test_sum: only user a's rows sum to 500500.
	type sumRow struct {
		F  int64  `parquet:"f"`
		ID string `parquet:"id"`
		TS int64  `parquet:"timestamp"`
	}
	var sums []sumRow
	for i := int64(1); i <= 1000; i++ {
		sums = append(sums, sumRow{F: i, ID: "a", TS: i})
	}
	sums = append(sums, sumRow{F: 10, ID: "b", TS: 2})
	sumDS := openDataset(t, "id", "timestamp", false, writeParquet(t, dir, "sum.parquet", sums))
	sumDS.check(t, "sum", `{"query":{"conditions":[{"filter":{"column":"f","op":">","value":0},
		"target":{"type":"sum","op":"==","column":"f","value":500500}}]}}`, counts(1, 1000))
	// An integer sum against a fraction compares exactly.
	for _, c := range []struct {
		op           string
		value        float64
		groups, rows int64
	}{{"==", 500500.5, 0, 0}, {"<", 500500.5, 2, 1001}, {">", 500499.5, 1, 1000}, {"<=", 10.5, 1, 1}, {">=", 9.5, 2, 1001}, {"!=", 10.5, 2, 1001}} {
		doc := fmt.Sprintf(`{"query":{"conditions":[{"filter":{"column":"f","op":">","value":0},
			"target":{"type":"sum","op":%q,"column":"f","value":%v}}]}}`, c.op, c.value)
		sumDS.check(t, fmt.Sprintf("sum %s %v", c.op, c.value), doc, counts(c.groups, c.rows))
	}

	// test_boolean_operators: user b's missing value matches != only.
	type boolRow struct {
		B  *bool  `parquet:"bool_field,optional"`
		ID string `parquet:"id"`
		TS int64  `parquet:"timestamp"`
	}
	boolDS := openDataset(t, "id", "timestamp", false, writeParquet(t, dir, "bool.parquet", []boolRow{
		{B: ptr(true), ID: "a", TS: 1}, {B: ptr(false), ID: "b", TS: 2}, {ID: "b", TS: 3},
	}))
	for _, c := range []struct {
		op       string
		value    bool
		targetOp string
		rows     int64
	}{
		{"==", true, "==", 1},  // user a has exactly one true row
		{"!=", true, ">", 2},   // user b has two rows != true (false and null)
		{"==", false, "==", 2}, // user b
		{"!=", false, "==", 3}, // both users have exactly one row that is not false
	} {
		doc := fmt.Sprintf(`{"query":{"conditions":[{"filter":{"column":"bool_field","op":%q,"value":%v},
			"target":{"type":"count","op":%q,"value":1}}]}}`, c.op, c.value, c.targetOp)
		boolDS.check(t, fmt.Sprintf("boolean %s %v count %s 1", c.op, c.value, c.targetOp), doc, counts(-1, c.rows))
	}

	// test_numeric_operators: timestamp <= begin+5 holds for 4, 3, 2 and 1 rows of users a..d.
	for _, c := range []struct {
		op     string
		value  int
		groups int64
	}{{"==", 2, 1}, {"<", 3, 2}, {">", 2, 2}, {"<=", 1, 1}, {">=", 4, 1}, {"!=", 1, 3}} {
		doc := fmt.Sprintf(`{"query":{"relation":"and","conditions":[{"filter":{"column":"timestamp","op":"<=","value":%d},
			"target":{"type":"count","op":%q,"value":%d}}]}}`, beginTS+5, c.op, c.value)
		ref.check(t, fmt.Sprintf("numeric count %s %d", c.op, c.value), doc, counts(c.groups, -1))
	}

	ref.check(t, "empty query", `{"query":{"conditions":[]}}`, counts(4, 60))
	ref.check(t, "empty document", `{}`, counts(4, 60))

	ref.check(t, "simple filter", `{"query":{"relation":"and","conditions":[{"filter":{"column":"price","op":">","value":133},
		"target":{"type":"count","op":">","value":2}}]}}`, counts(1, 32))

	ref.check(t, "logical or", `{"query":{"relation":"or","conditions":[
		{"filter":{"column":"price","op":"<=","value":104},"target":{"type":"count","op":">","value":2}},
		{"filter":{"column":"price","op":">","value":133},"target":{"type":"count","op":">","value":2}}]}}`, counts(2, 4+32))

	ref.check(t, "column aggregations", `{"query":{"conditions":[],"aggregations":[{"column":"category"}]}}`,
		func(t *testing.T, p *query.Partial) {
			aggs := p.Query.Aggregations
			if len(aggs) != 3 {
				t.Fatalf("%d aggregations, want 3", len(aggs))
			}
			each := func(n int64) map[string]query.PerValue {
				return map[string]query.PerValue{"fishing": {N: n}, "running": {N: n}, "climbing": {N: n}, "snorkeling": {N: n}}
			}
			wantAgg(t, aggs[0], "category", query.AggCount, 60, nil)
			wantAgg(t, aggs[1], "category", query.AggCountPerValue, 0, each(15))
			wantAgg(t, aggs[2], "category", query.AggGroupsPerValue, 0, each(4))
			for _, a := range aggs {
				if a.KeyType != query.TypeString || a.Top != 10 {
					t.Errorf("%s: keyType %q top %d, want STRING and 10", a.Type, a.KeyType, a.Top)
				}
			}
			r := p.Finalize()
			if r.Query.Aggregations[0].Value != int64(60) {
				t.Errorf("final count %v, want 60", r.Query.Aggregations[0].Value)
			}
			wantFinal(t, r.Query.Aggregations[1], query.ValueMap{kv("climbing", 15), kv("fishing", 15), kv("running", 15), kv("snorkeling", 15)})
		})

	// test_other_column_aggregations: price 0..9 alternating between categories a and b.
	type otherRow struct {
		ID       string `parquet:"id"`
		TS       int64  `parquet:"timestamp"`
		Category string `parquet:"category"`
		Price    int64  `parquet:"price"`
	}
	var others []otherRow
	for i := int64(0); i < 10; i++ {
		c := "a"
		if i%2 == 1 {
			c = "b"
		}
		others = append(others, otherRow{ID: "a", TS: 1, Category: c, Price: i})
	}
	otherDS := openDataset(t, "id", "timestamp", false, writeParquet(t, dir, "other.parquet", others))
	for _, typ := range []query.AggregationType{query.AggSumPerValue, query.AggMeanPerValue} {
		doc := fmt.Sprintf(`{"query":{"conditions":[],"aggregations":[{"column":"category","type":%q,"otherColumn":"price"}]}}`, typ)
		otherDS.check(t, "other column "+string(typ), doc, func(t *testing.T, p *query.Partial) {
			wantAgg(t, p.Query.Aggregations[0], "category", typ, 0,
				map[string]query.PerValue{"a": {N: 5, Sum: 0 + 2 + 4 + 6 + 8}, "b": {N: 5, Sum: 1 + 3 + 5 + 7 + 9}})
			want := query.ValueMap{kv("b", 25), kv("a", 20)}
			if typ == query.AggMeanPerValue {
				want = query.ValueMap{kv("b", 5), kv("a", 4)}
			}
			wantFinal(t, p.Finalize().Query.Aggregations[0], want)
		})
	}

	ref.check(t, "multi filter", `{"query":{"relation":"or","conditions":[{"filters":[
		{"column":"price","op":"<=","value":104},{"column":"category","op":"==","value":"running"}],
		"target":{"type":"count","op":"==","value":1}}]}}`, counts(2, 4+8))

	// test_string_operators, all with count > 3.
	for _, c := range []struct {
		op, value string
		rows      int64
	}{
		{"contains", "dog_a", 0},  // a has 2 rows containing dog_a
		{"contains", "dog_b", 8},  // b has 4
		{"contains", "dog_c", 16}, // c has 8
		{"==", "cat_a", 0},        // a has 1
		{"==", "cat_c", 16},       // c has 4
		{"!=", "cat_a", 56},       // every user but a has more than 3
		{"not contains", "mouse", 56},
	} {
		doc := fmt.Sprintf(`{"query":{"relation":"or","conditions":[{"filter":{"column":"keywords","op":%q,"value":%q},
			"target":{"type":"count","op":">","value":3}}]}}`, c.op, c.value)
		ref.check(t, fmt.Sprintf("string %s %s", c.op, c.value), doc, counts(-1, c.rows))
	}

	// test_sequence_condition: a has categories 0 1 2 3 4, b 0 1 -1 -1 -1, c 4 3 2 1 0.
	type seqRow struct {
		ID       string `parquet:"id"`
		TS       int64  `parquet:"timestamp"`
		Category int64  `parquet:"category"`
		Price    int64  `parquet:"price"`
	}
	var seqs []seqRow
	for i := int64(0); i < 5; i++ {
		b := int64(-1)
		if i < 2 {
			b = i
		}
		seqs = append(seqs, seqRow{"a", i, i, 1}, seqRow{"b", i, b, 2}, seqRow{"c", i, 4 - i, 3})
	}
	seqDS := openDataset(t, "id", "timestamp", false, writeParquet(t, dir, "seq.parquet", seqs))
	seqCheck := func(price string) func(t *testing.T, p *query.Partial) {
		return func(t *testing.T, p *query.Partial) {
			wantCounts(t, "query", p.Query.MatchingGroups, p.Query.MatchingGroupRows, 1, 5)
			aggs := p.Query.Aggregations
			if len(aggs) != 3 {
				t.Fatalf("%d aggregations, want 3", len(aggs))
			}
			wantAgg(t, aggs[0], "price", query.AggCount, 5, nil)
			wantAgg(t, aggs[1], "price", query.AggCountPerValue, 0, map[string]query.PerValue{price: {N: 5}})
			wantAgg(t, aggs[2], "price", query.AggGroupsPerValue, 0, map[string]query.PerValue{price: {N: 1}})
			if aggs[2].KeyType != query.TypeInt {
				t.Errorf("keyType %q, want INT", aggs[2].KeyType)
			}
		}
	}
	seqDS.check(t, "sequence b", `{"query":{"conditions":[{"sequence":[{"filter":["category","==",0]},
		{"filter":["category","<=",2]},{"filter":["category","<",0]}]}],"aggregations":[{"column":"price"}]}}`, seqCheck("2"))
	seqDS.check(t, "sequence c", `{"query":{"conditions":[{"sequence":[{"filter":["category",">=",3]},
		{"filter":["category","<=",2]},{"filter":["category","==",0]}]}],"aggregations":[{"column":"price"}]}}`, seqCheck("3"))
}

// eventRow is a minimal event: a user, a time and an event name.
type eventRow struct {
	ID    string `parquet:"id"`
	TS    int64  `parquet:"timestamp"`
	Event string `parquet:"event"`
}

func eventDataset(t *testing.T, rows []eventRow) *dataset {
	t.Helper()
	return openDataset(t, "id", "timestamp", false, writeParquet(t, t.TempDir(), "events.parquet", rows))
}

// Rows with equal timestamps never chain in a sequence; the earliest match of each step is used.
func TestEngineCasesEqualTimestamps(t *testing.T) {
	d := eventDataset(t, []eventRow{
		{"p", 1, "A"}, {"p", 1, "B"}, // A and B at the same time only
		{"q", 2, "B"}, {"q", 1, "A"}, {"q", 1, "B"}, // out of order in the file; B again later
		{"r", 1, "A"}, {"r", 2, "A"}, {"r", 2, "B"},
		{"s", 5, "B"}, {"s", 5, "A"}, // B and A at the same time
	})
	seq := func(steps ...string) string {
		var b strings.Builder
		for i, s := range steps {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"filter":["event","==",%q]}`, s)
		}
		return b.String()
	}
	for _, c := range []struct {
		steps        []string
		groups, rows int64
	}{
		{[]string{"A"}, 4, 10},
		{[]string{"A", "B"}, 2, 6}, // q and r
		{[]string{"A", "B", "B"}, 0, 0},
		{[]string{"A", "A"}, 1, 3}, // r
		{[]string{"A", "A", "B"}, 0, 0},
		{[]string{"B", "A"}, 0, 0},
		{[]string{"B", "B"}, 1, 3}, // q
	} {
		d.check(t, "sequence "+strings.Join(c.steps, ""), `{"query":{"conditions":[{"sequence":[`+seq(c.steps...)+`]}]}}`,
			counts(c.groups, c.rows))
	}
	d.check(t, "funnel ABB", `{"funnel":{"sequence":[`+seq("A", "B", "B")+`],
		"stepAggregations":[{"column":"event","type":"countPerValue"}],"endAggregations":[{"column":"id","type":"groupsPerValue"}]}}`,
		func(t *testing.T, p *query.Partial) {
			wantCounts(t, "query", p.Query.MatchingGroups, p.Query.MatchingGroupRows, 4, 10)
			if p.Funnel == nil || len(p.Funnel.Sequence) != 3 {
				t.Fatalf("funnel %+v, want 3 steps", p.Funnel)
			}
			want := [][2]int64{{4, 10}, {2, 6}, {0, 0}}
			for i, w := range want {
				s := p.Funnel.Sequence[i]
				wantCounts(t, fmt.Sprintf("step %d", i), s.MatchingGroups, s.MatchingGroupRows, w[0], w[1])
			}
			wantAgg(t, p.Funnel.Sequence[1].Aggregations[0], "event", query.AggCountPerValue, 0,
				map[string]query.PerValue{"A": {N: 3}, "B": {N: 3}})
			wantAgg(t, p.Funnel.Sequence[2].Aggregations[0], "event", query.AggCountPerValue, 0, nil)
			wantAgg(t, p.Funnel.EndAggregations[0], "id", query.AggGroupsPerValue, 0, nil)
		})
}

// The includeZero table: users z0, z1, z2 and z5 have that many "x" rows and one "y" row each
// (z0 has two "y" rows).
func TestEngineCasesIncludeZero(t *testing.T) {
	var rows []eventRow
	rows = append(rows, eventRow{"z0", 1, "y"}, eventRow{"z0", 2, "y"})
	for _, u := range []struct {
		id string
		n  int
	}{{"z1", 1}, {"z2", 2}, {"z5", 5}} {
		rows = append(rows, eventRow{u.id, 0, "y"})
		for i := 0; i < u.n; i++ {
			rows = append(rows, eventRow{u.id, int64(i + 1), "x"})
		}
	}
	d := eventDataset(t, rows)
	for _, c := range []struct {
		target       string
		includeZero  string // "" when omitted
		groups, rows int64
	}{
		{`["count","==",0]`, "", 1, 2}, // expansion sets includeZero
		{`["count","==",0]`, "true", 1, 2},
		{`["count","!=",1]`, "true", 3, 2 + 3 + 6},
		{`["count","<=",10]`, "true", 4, 13},
		{`["count","<=",0]`, "true", 1, 2},
		{`["count","<",1]`, "true", 1, 2},
		{`["count",">=",0]`, "true", 4, 13},
		{`["count","<=",10]`, "false", 3, 11},
		{`["count","<",2]`, "", 1, 2},
		{`["count",">=",0]`, "", 3, 11},
		{`["count","!=",1]`, "", 2, 9},
		{`["count","<=",0]`, "", 0, 0},
		{`["count",">",1]`, "false", 2, 9},
		{`["sum","timestamp","<",100]`, "false", 3, 11},
	} {
		iz := ""
		if c.includeZero != "" {
			iz = `,"includeZero":` + c.includeZero
		}
		doc := `{"query":{"conditions":[{"filter":["event","==","x"],"target":` + c.target + iz + `}]}}`
		d.check(t, c.target+" includeZero="+c.includeZero, doc, counts(c.groups, c.rows))
	}
}

// Timeframe bounds: from is inclusive, to exclusive, and rows outside do not exist for anything.
func TestEngineCasesTimeframe(t *testing.T) {
	var rows []eventRow
	for i := int64(0); i < 10; i++ {
		rows = append(rows, eventRow{"t1", 100 + i, "e"})
	}
	rows = append(rows, eventRow{"t2", 200, "e"})
	d := eventDataset(t, rows)
	for _, c := range []struct {
		timeframe    string
		groups, rows int64
	}{
		{`{}`, 2, 11},
		{`{"from":100}`, 2, 11},
		{`{"from":109}`, 2, 2},
		{`{"to":101}`, 1, 1},
		{`{"to":100}`, 0, 0},
		{`{"from":101,"to":110}`, 1, 9},
		{`{"from":110,"to":200}`, 0, 0},
		{`{"from":200}`, 1, 1},
		{`{"from":201}`, 0, 0},
		{`{"from":105,"to":106}`, 1, 1},
	} {
		d.check(t, "timeframe "+c.timeframe, `{"timeframe":`+c.timeframe+`,"query":{"aggregations":[{"column":"timestamp","type":"count"}]}}`,
			func(t *testing.T, p *query.Partial) {
				wantCounts(t, "query", p.Query.MatchingGroups, p.Query.MatchingGroupRows, c.groups, c.rows)
				wantAgg(t, p.Query.Aggregations[0], "timestamp", query.AggCount, c.rows, nil)
			})
	}
	// Rows before the timeframe do not count for a condition: t1 has no row before 105 inside it.
	d.check(t, "timeframe and includeZero", `{"timeframe":{"from":105},"query":{"conditions":[
		{"filter":["timestamp","<",105],"target":["count","==",0]}]}}`, counts(2, 6))
	d.check(t, "timeframe and sequence", `{"timeframe":{"from":105,"to":107},"query":{"conditions":[
		{"sequence":[{"filter":["event","==","e"]},{"filter":["event","==","e"]},{"filter":["event","==","e"]}]}]}}`, counts(0, 0))
	d.check(t, "timeframe and funnel", `{"timeframe":{"from":105,"to":108},"funnel":{"sequence":[
		{"filter":["event","==","e"]},{"filter":["event","==","e"]},{"filter":["event","==","e"]},{"filter":["event","==","e"]}]}}`,
		func(t *testing.T, p *query.Partial) {
			for i, w := range [][2]int64{{1, 3}, {1, 3}, {1, 3}, {0, 0}} {
				s := p.Funnel.Sequence[i]
				wantCounts(t, fmt.Sprintf("step %d", i), s.MatchingGroups, s.MatchingGroupRows, w[0], w[1])
			}
		})
}

// AND binds tighter than OR. g1 has only a, g2 b and c, g3 only b, g4 a and c.
func TestEngineCasesRelationPrecedence(t *testing.T) {
	d := eventDataset(t, []eventRow{
		{"g1", 1, "a"},
		{"g2", 1, "b"}, {"g2", 2, "c"},
		{"g3", 1, "b"},
		{"g4", 1, "a"}, {"g4", 2, "c"},
	})
	conds := `[{"name":"first","filter":["event","==","a"]},{"name":"second","filter":["event","==","b"]},
		{"name":"third","filter":["event","==","c"]}]`
	for _, c := range []struct {
		relation     string
		groups, rows int64
	}{
		{"$0 or $1 and $2", 3, 5},   // g1, g2, g4
		{"($0 or $1) and $2", 2, 4}, // g2, g4
		{"$2 and $1 or $0", 3, 5},   // g1, g2, g4
		{"$first or $Second and $third", 3, 5},
		{"$0 and ($1 or $2)", 1, 2}, // g4
		{"$1 or $0 and $2", 3, 5},   // g2, g3, g4
		{"$1 and $1", 2, 3},         // g2, g3
		{"and", 0, 0},
		{"or", 4, 6},
	} {
		doc := fmt.Sprintf(`{"query":{"relation":%q,"conditions":%s}}`, c.relation, conds)
		d.check(t, "relation "+c.relation, doc, counts(c.groups, c.rows))
	}
}

// Nulls never match, except with != and not contains; a NaN float is null. One user per row.
func TestEngineCasesNulls(t *testing.T) {
	type nullRow struct {
		ID string   `parquet:"id"`
		TS int64    `parquet:"timestamp"`
		I  *int64   `parquet:"i,optional"`
		F  *float64 `parquet:"f,optional"`
		S  *string  `parquet:"s,optional"`
		B  *bool    `parquet:"b,optional"`
	}
	d := openDataset(t, "id", "timestamp", false, writeParquet(t, t.TempDir(), "nulls.parquet", []nullRow{
		{ID: "r1", TS: 1, I: ptr[int64](1), F: ptr(1.5), S: ptr("x"), B: ptr(true)},
		{ID: "r2", TS: 1},
		{ID: "r3", TS: 1, I: ptr[int64](2), F: ptr(math.NaN()), S: ptr("y"), B: ptr(false)},
		{ID: "r4", TS: 1, I: ptr[int64](3), F: ptr(2.5), S: ptr("xy"), B: ptr(true)},
	}))
	for _, c := range []struct {
		filter string
		groups int64
	}{
		{`["i","==",1]`, 1},
		{`["i","!=",1]`, 3},
		{`["i","<",3]`, 2},
		{`["i",">=",1]`, 3},
		{`["i","<=",2.5]`, 2},
		{`["f","==",1.5]`, 1},
		{`["f","!=",1.5]`, 3},
		{`["f","<",10]`, 2},
		{`["f",">",0]`, 2},
		{`["s","==","x"]`, 1},
		{`["s","!=","x"]`, 3},
		{`["s","contains","x"]`, 2},
		{`["s","not contains","x"]`, 2},
		{`["s","<","y"]`, 2},
		{`["s",">=","x"]`, 3},
		{`["b","==",true]`, 2},
		{`["b","!=",true]`, 2},
		{`["b","==",false]`, 1},
		{`["b","!=",false]`, 3},
	} {
		d.check(t, "filter "+c.filter, `{"query":{"conditions":[{"filter":`+c.filter+`}]}}`, counts(c.groups, c.groups))
	}
	d.check(t, "aggregations", `{"query":{"aggregations":[
		{"column":"i","type":"count"},{"column":"f","type":"count"},{"column":"s","type":"count"},{"column":"b","type":"count"},
		{"column":"f","type":"countPerValue"},{"column":"b","type":"countPerValue"},{"column":"b","type":"groupsPerValue"},
		{"column":"s","type":"sumPerValue","otherColumn":"f"},{"column":"s","type":"meanPerValue","otherColumn":"i"}]}}`,
		func(t *testing.T, p *query.Partial) {
			a := p.Query.Aggregations
			if len(a) != 9 {
				t.Fatalf("%d aggregations, want 9", len(a))
			}
			wantAgg(t, a[0], "i", query.AggCount, 3, nil)
			wantAgg(t, a[1], "f", query.AggCount, 2, nil)
			wantAgg(t, a[2], "s", query.AggCount, 3, nil)
			wantAgg(t, a[3], "b", query.AggCount, 3, nil)
			wantAgg(t, a[4], "f", query.AggCountPerValue, 0, map[string]query.PerValue{"1.5": {N: 1}, "2.5": {N: 1}})
			wantAgg(t, a[5], "b", query.AggCountPerValue, 0, map[string]query.PerValue{"true": {N: 2}, "false": {N: 1}})
			wantAgg(t, a[6], "b", query.AggGroupsPerValue, 0, map[string]query.PerValue{"true": {N: 2}, "false": {N: 1}})
			wantAgg(t, a[7], "s", query.AggSumPerValue, 0,
				map[string]query.PerValue{"x": {N: 1, Sum: 1.5}, "y": {}, "xy": {N: 1, Sum: 2.5}})
			wantAgg(t, a[8], "s", query.AggMeanPerValue, 0,
				map[string]query.PerValue{"x": {N: 1, Sum: 1}, "y": {N: 1, Sum: 2}, "xy": {N: 1, Sum: 3}})
			for i, kt := range []query.ColumnType{query.TypeInt, query.TypeFloat, query.TypeString, query.TypeBool} {
				if a[i].KeyType != kt {
					t.Errorf("aggregation %d keyType %q, want %q", i, a[i].KeyType, kt)
				}
			}
			r := p.Finalize()
			wantFinal(t, r.Query.Aggregations[5], query.ValueMap{kv("true", 2), kv("false", 1)})
			wantFinal(t, r.Query.Aggregations[7], query.ValueMap{kv("xy", 2.5), kv("x", 1.5), kv("y", 0)})
		})
}

// Two parts answer separately; the merged partial holds the exact totals.
func TestEngineCasesMergeAcrossFiles(t *testing.T) {
	type pageRow struct {
		UserID int64    `parquet:"userId"`
		TS     int64    `parquet:"ts"`
		Page   string   `parquet:"page"`
		Amount *float64 `parquet:"amount,optional"`
	}
	dir := t.TempDir()
	p1 := writeParquet(t, dir, "part-00000.parquet", []pageRow{
		{1, 1, "home", ptr(1.0)}, {1, 2, "cart", ptr(2.0)}, {1, 3, "buy", ptr(10.0)},
		{2, 1, "home", ptr(3.0)}, {2, 2, "home", nil},
	})
	p2 := writeParquet(t, dir, "part-00001.parquet", []pageRow{
		{3, 4, "buy", ptr(20.0)}, {3, 1, "home", ptr(5.0)}, {3, 2, "cart", ptr(1.0)}, {3, 3, "cart", ptr(1.0)},
	})
	d := openDataset(t, "userId", "ts", false, p1, p2)
	d.check(t, "aggregations and funnel", `{"query":{"aggregations":[
		{"column":"page","type":"countPerValue"},{"column":"page","type":"groupsPerValue"},
		{"column":"page","type":"sumPerValue","otherColumn":"amount"},{"column":"page","type":"meanPerValue","otherColumn":"amount","name":"avg"},
		{"column":"amount","type":"count"},{"column":"userId","type":"countPerValue","top":2}]},
		"funnel":{"sequence":[{"filter":["page","==","home"]},{"filter":["page","==","cart"]},{"filter":["page","==","buy"]}],
		"stepAggregations":[{"column":"userId","type":"groupsPerValue"}],
		"endAggregations":[{"column":"page","type":"countPerValue"}]}}`,
		func(t *testing.T, p *query.Partial) {
			wantCounts(t, "query", p.Query.MatchingGroups, p.Query.MatchingGroupRows, 3, 9)
			a := p.Query.Aggregations
			if len(a) != 6 {
				t.Fatalf("%d aggregations, want 6", len(a))
			}
			wantAgg(t, a[0], "page", query.AggCountPerValue, 0, map[string]query.PerValue{"home": {N: 4}, "cart": {N: 3}, "buy": {N: 2}})
			wantAgg(t, a[1], "page", query.AggGroupsPerValue, 0, map[string]query.PerValue{"home": {N: 3}, "cart": {N: 2}, "buy": {N: 2}})
			sums := map[string]query.PerValue{"home": {N: 3, Sum: 9}, "cart": {N: 3, Sum: 4}, "buy": {N: 2, Sum: 30}}
			wantAgg(t, a[2], "page", query.AggSumPerValue, 0, sums)
			wantAgg(t, a[3], "page", query.AggMeanPerValue, 0, sums)
			wantAgg(t, a[4], "amount", query.AggCount, 8, nil)
			wantAgg(t, a[5], "userId", query.AggCountPerValue, 0, map[string]query.PerValue{"1": {N: 3}, "2": {N: 2}, "3": {N: 4}})
			if a[3].Name != "avg" || a[5].Top != 2 || a[5].KeyType != query.TypeInt {
				t.Errorf("name %q top %d keyType %q, want avg, 2, INT", a[3].Name, a[5].Top, a[5].KeyType)
			}
			for i, w := range [][2]int64{{3, 9}, {2, 7}, {2, 7}} {
				s := p.Funnel.Sequence[i]
				wantCounts(t, fmt.Sprintf("step %d", i), s.MatchingGroups, s.MatchingGroupRows, w[0], w[1])
			}
			wantAgg(t, p.Funnel.Sequence[1].Aggregations[0], "userId", query.AggGroupsPerValue, 0,
				map[string]query.PerValue{"1": {N: 1}, "3": {N: 1}})
			wantAgg(t, p.Funnel.EndAggregations[0], "page", query.AggCountPerValue, 0,
				map[string]query.PerValue{"home": {N: 2}, "cart": {N: 3}, "buy": {N: 2}})

			r := p.Finalize()
			wantFinal(t, r.Query.Aggregations[2], query.ValueMap{kv("buy", 30), kv("home", 9), kv("cart", 4)})
			wantFinal(t, r.Query.Aggregations[3], query.ValueMap{kv("buy", 15), kv("home", 3), kv("cart", 4.0/3)})
			wantFinal(t, r.Query.Aggregations[5], query.ValueMap{kv("3", 4), kv("1", 3)})
			if r.Query.Aggregations[4].Value != int64(8) {
				t.Errorf("final count %v, want 8", r.Query.Aggregations[4].Value)
			}
		})
}

// sortedKeys lists a map's keys in order (for stable messages).
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
