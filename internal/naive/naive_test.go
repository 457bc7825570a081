package naive

import (
	"math"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/frocket/frocket/query"
	"github.com/parquet-go/parquet-go"
)

func ptr[T any](v T) *T { return &v }

func flt(col string, op query.Op, v query.Value) *query.Filter {
	return &query.Filter{Column: col, Op: op, Value: v}
}

// ev builds rows from (user, ts, extra cells) and evaluates q with an AND relation.
func ev(rows []Row, q *query.Query) *query.Partial {
	return evaluate(rows, "u", "ts", q, nil, DefaultTop)
}

func row(u string, ts int64, cells map[string]Cell) Row {
	r := Row{"u": StringCell(u), "ts": IntCell(ts)}
	for k, v := range cells {
		r[k] = v
	}
	return r
}

func TestFilterNullSemantics(t *testing.T) {
	f := func(c Cell, op query.Op, v query.Value, want bool) {
		t.Helper()
		r := Row{"c": c}
		if got := matchFilter(r, query.Filter{Column: "c", Op: op, Value: v}); got != want {
			t.Errorf("%+v %s %v: got %v, want %v", c, op, v, got, want)
		}
	}
	for _, c := range []Cell{NullCell(query.TypeInt), NullCell(query.TypeFloat), FloatCell(math.NaN())} {
		for _, op := range query.NumericOps {
			f(c, op, query.IntValue(1), op == query.OpNe)
		}
	}
	f(NullCell(query.TypeString), query.OpContains, query.StringValue(""), false)
	f(NullCell(query.TypeString), query.OpNotContains, query.StringValue("x"), true)
	f(NullCell(query.TypeString), query.OpNe, query.StringValue("x"), true)
	f(NullCell(query.TypeString), query.OpLt, query.StringValue("x"), false)
	f(NullCell(query.TypeBool), query.OpEq, query.BoolValue(false), false)
	f(NullCell(query.TypeBool), query.OpNe, query.BoolValue(false), true)
	// A column missing from the row is null as well.
	if !matchFilter(Row{}, query.Filter{Column: "c", Op: query.OpNe, Value: query.IntValue(3)}) {
		t.Error("missing column should match !=")
	}
}

func TestFilterValues(t *testing.T) {
	f := func(c Cell, op query.Op, v query.Value, want bool) {
		t.Helper()
		if got := matchFilter(Row{"c": c}, query.Filter{Column: "c", Op: op, Value: v}); got != want {
			t.Errorf("%+v %s %v: got %v, want %v", c, op, v, got, want)
		}
	}
	// Strings: bytewise order, substring.
	f(StringCell("B"), query.OpLt, query.StringValue("a"), true)
	f(StringCell("ab"), query.OpGt, query.StringValue("a"), true)
	f(StringCell("a"), query.OpGe, query.StringValue("a"), true)
	f(StringCell("cat|dog"), query.OpContains, query.StringValue("t|d"), true)
	f(StringCell("cat|dog"), query.OpNotContains, query.StringValue("mouse"), true)
	f(StringCell("Cat"), query.OpEq, query.StringValue("cat"), false)
	// Integers against integral and fractional literals.
	f(IntCell(3), query.OpEq, query.IntValue(3), true)
	f(IntCell(3), query.OpLt, query.FloatValue(3.5), true)
	f(IntCell(4), query.OpGt, query.FloatValue(3.5), true)
	f(IntCell(3), query.OpEq, query.FloatValue(3.5), false)
	f(IntCell(3), query.OpNe, query.FloatValue(3.5), true)
	f(IntCell(1<<53+1), query.OpGt, query.FloatValue(1<<53), true) // exact, not via float64
	f(IntCell(math.MaxInt64), query.OpEq, query.IntValue(math.MaxInt64), true)
	// Floats against integer literals.
	f(FloatCell(2), query.OpEq, query.IntValue(2), true)
	f(FloatCell(2.5), query.OpLe, query.FloatValue(2.5), true)
	f(FloatCell(-0.0), query.OpEq, query.FloatValue(0), true)
	// Booleans.
	f(BoolCell(true), query.OpEq, query.BoolValue(true), true)
	f(BoolCell(true), query.OpNe, query.BoolValue(true), false)
	f(BoolCell(false), query.OpNe, query.BoolValue(true), true)
}

func TestFormatKey(t *testing.T) {
	f := func(c Cell, want string) {
		t.Helper()
		if got := formatKey(c); got != want {
			t.Errorf("formatKey(%+v) = %q, want %q", c, got, want)
		}
	}
	f(IntCell(-12), "-12")
	f(FloatCell(1), "1")
	f(FloatCell(2.5), "2.5")
	f(FloatCell(1e21), "1e+21")
	f(FloatCell(0.1), "0.1")
	f(BoolCell(true), "true")
	f(BoolCell(false), "false")
	f(StringCell("x y"), "x y")
}

// Targets and includeZero: user a has 3 clicks, b has 1, c has none (but exists).
func TestTargets(t *testing.T) {
	var rows []Row
	for i := 0; i < 3; i++ {
		rows = append(rows, row("a", int64(i), map[string]Cell{"e": StringCell("click"), "p": FloatCell(1.5)}))
	}
	rows = append(rows,
		row("b", 1, map[string]Cell{"e": StringCell("click"), "p": NullCell(query.TypeFloat)}),
		row("b", 2, map[string]Cell{"e": StringCell("view"), "p": FloatCell(7)}),
		row("c", 1, map[string]Cell{"e": StringCell("view"), "p": FloatCell(2)}),
	)
	click := flt("e", query.OpEq, query.StringValue("click"))
	f := func(target *query.Target, includeZero *bool, wantGroups, wantRows int64) {
		t.Helper()
		q := &query.Query{Query: &query.QuerySection{Conditions: []query.Condition{{Filter: click, Target: target, IncludeZero: includeZero}}}}
		p := ev(rows, q)
		if p.Query.MatchingGroups != wantGroups || p.Query.MatchingGroupRows != wantRows {
			t.Errorf("target %+v includeZero %v: got %d groups %d rows, want %d and %d",
				target, includeZero, p.Query.MatchingGroups, p.Query.MatchingGroupRows, wantGroups, wantRows)
		}
	}
	count := func(op query.Op, n int64) *query.Target {
		return &query.Target{Type: query.TargetCount, Op: op, Value: query.IntValue(n)}
	}
	f(nil, nil, 2, 5)
	f(count(query.OpEq, 3), nil, 1, 3)
	f(count(query.OpLt, 3), nil, 1, 2)        // c has zero clicks and is left out
	f(count(query.OpLt, 3), ptr(true), 2, 3)  // ... unless includeZero
	f(count(query.OpEq, 0), ptr(true), 1, 1)  // only c
	f(count(query.OpLe, 10), ptr(true), 3, 6) // everyone
	f(count(query.OpNe, 1), ptr(true), 2, 4)  // a and c
	f(count(query.OpGe, 0), ptr(false), 2, 5) // zero never counted without includeZero
	sum := func(op query.Op, v query.Value) *query.Target {
		return &query.Target{Type: query.TargetSum, Column: "p", Op: op, Value: v}
	}
	f(sum(query.OpEq, query.FloatValue(4.5)), nil, 1, 3)
	f(sum(query.OpEq, query.IntValue(0)), nil, 1, 2)   // b's only click has a null price: sum 0
	f(sum(query.OpLt, query.IntValue(100)), nil, 2, 5) // c has no click: never matches a sum
}

func TestIntSumTarget(t *testing.T) {
	var rows []Row
	for i := int64(1); i <= 1000; i++ {
		rows = append(rows, row("a", i, map[string]Cell{"f": IntCell(i)}))
	}
	rows = append(rows, row("b", 2, map[string]Cell{"f": IntCell(10)}))
	q := &query.Query{Query: &query.QuerySection{Conditions: []query.Condition{{
		Filter: flt("f", query.OpGt, query.IntValue(0)),
		Target: &query.Target{Type: query.TargetSum, Column: "f", Op: query.OpEq, Value: query.IntValue(500500)},
	}}}}
	p := ev(rows, q)
	if p.Query.MatchingGroups != 1 || p.Query.MatchingGroupRows != 1000 {
		t.Fatalf("got %+v", p.Query)
	}
}

// Sequences: equal timestamps never chain; the earliest match of each step is used.
func TestSequence(t *testing.T) {
	e := func(s string) *query.Filter { return flt("e", query.OpEq, query.StringValue(s)) }
	rows := []Row{
		// a: A and B at the same ts, then B later: matches A->B (via ts 2) but not A->B->B.
		row("a", 1, map[string]Cell{"e": StringCell("A")}),
		row("a", 1, map[string]Cell{"e": StringCell("B")}),
		row("a", 2, map[string]Cell{"e": StringCell("B")}),
		// b: only A and B at equal ts.
		row("b", 5, map[string]Cell{"e": StringCell("B")}),
		row("b", 5, map[string]Cell{"e": StringCell("A")}),
		// c: B before A, then A, then B (rows out of order in input).
		row("c", 9, map[string]Cell{"e": StringCell("B")}),
		row("c", 3, map[string]Cell{"e": StringCell("B")}),
		row("c", 4, map[string]Cell{"e": StringCell("A")}),
	}
	f := func(steps []string, want int64) {
		t.Helper()
		var seq []query.Step
		for _, s := range steps {
			seq = append(seq, query.Step{Filter: e(s)})
		}
		q := &query.Query{Query: &query.QuerySection{Conditions: []query.Condition{{Sequence: seq}}}}
		if got := ev(rows, q).Query.MatchingGroups; got != want {
			t.Errorf("sequence %v: got %d groups, want %d", steps, got, want)
		}
	}
	f([]string{"A"}, 3)
	f([]string{"A", "B"}, 2)
	f([]string{"A", "B", "B"}, 0)
	f([]string{"B", "A"}, 1)      // only c (3 -> 4)
	f([]string{"B", "A", "B"}, 1) // c
	f([]string{"A", "A"}, 0)
}

func TestTimeframe(t *testing.T) {
	var rows []Row
	for i := int64(0); i < 10; i++ {
		rows = append(rows, row("a", 100+i, nil))
	}
	rows = append(rows, row("b", 50, nil))
	f := func(from, to *int64, wantGroups, wantRows int64) {
		t.Helper()
		p := ev(rows, &query.Query{Timeframe: &query.Timeframe{From: from, To: to}})
		if p.Query.MatchingGroups != wantGroups || p.Query.MatchingGroupRows != wantRows {
			t.Errorf("from %v to %v: got %+v", from, to, p.Query)
		}
	}
	f(nil, nil, 2, 11)
	f(ptr[int64](100), nil, 1, 10)
	f(ptr[int64](109), nil, 1, 1)
	f(nil, ptr[int64](101), 2, 2)
	f(ptr[int64](100), ptr[int64](101), 1, 1)
	f(ptr[int64](110), nil, 0, 0)
	f(ptr[int64](0), ptr[int64](50), 0, 0)

	// includeZero counts only groups with rows in the timeframe.
	q := &query.Query{Timeframe: &query.Timeframe{From: ptr[int64](100)}, Query: &query.QuerySection{Conditions: []query.Condition{{
		Filter:      flt("ts", query.OpLt, query.IntValue(0)),
		Target:      &query.Target{Type: query.TargetCount, Op: query.OpEq, Value: query.IntValue(0)},
		IncludeZero: ptr(true),
	}}}}
	if p := ev(rows, q); p.Query.MatchingGroups != 1 {
		t.Errorf("includeZero with timeframe: got %+v", p.Query)
	}

	// Float timestamps against integer bounds.
	frows := []Row{
		{"u": IntCell(1), "ts": FloatCell(99.5)},
		{"u": IntCell(1), "ts": FloatCell(100)},
		{"u": IntCell(2), "ts": FloatCell(100.25)},
	}
	p := evaluate(frows, "u", "ts", &query.Query{Timeframe: &query.Timeframe{From: ptr[int64](100), To: ptr[int64](101)}}, nil, DefaultTop)
	if p.Query.MatchingGroups != 2 || p.Query.MatchingGroupRows != 2 {
		t.Errorf("float timestamps: got %+v", p.Query)
	}
}

func TestRelation(t *testing.T) {
	rows := []Row{row("a", 1, nil), row("b", 1, nil)}
	always := query.Condition{Filter: flt("ts", query.OpGe, query.IntValue(0))}
	never := query.Condition{Filter: flt("ts", query.OpLt, query.IntValue(0))}
	q := &query.Query{Query: &query.QuerySection{Conditions: []query.Condition{always, never, never}}}
	var seen [][]bool
	or := func(v []bool) bool { seen = append(seen, append([]bool(nil), v...)); return v[0] || (v[1] && v[2]) }
	p := evaluate(rows, "u", "ts", q, or, DefaultTop)
	if p.Query.MatchingGroups != 2 {
		t.Errorf("or: got %+v", p.Query)
	}
	if len(seen) != 2 || !reflect.DeepEqual(seen[0], []bool{true, false, false}) {
		t.Errorf("relation inputs: %v", seen)
	}
	if p := ev(rows, q); p.Query.MatchingGroups != 0 { // nil relation: AND
		t.Errorf("and: got %+v", p.Query)
	}
}

func TestAggregations(t *testing.T) {
	rows := []Row{
		row("a", 1, map[string]Cell{"k": IntCell(1), "v": FloatCell(2)}),
		row("a", 2, map[string]Cell{"k": IntCell(1), "v": FloatCell(math.NaN())}),
		row("a", 3, map[string]Cell{"k": IntCell(2), "v": NullCell(query.TypeFloat)}),
		row("a", 4, map[string]Cell{"k": NullCell(query.TypeInt), "v": FloatCell(5)}),
		row("b", 1, map[string]Cell{"k": IntCell(1), "v": FloatCell(4)}),
		row("b", 2, map[string]Cell{"v": FloatCell(1)}),
	}
	aggs := []query.Aggregation{
		{Column: "k", Type: query.AggCount},
		{Column: "k", Type: query.AggCountPerValue, Top: ptr(3)},
		{Column: "k", Type: query.AggGroupsPerValue, Name: "g"},
		{Column: "k", Type: query.AggSumPerValue, OtherColumn: "v"},
		{Column: "k", Type: query.AggMeanPerValue, OtherColumn: "v"},
		{Column: "v", Type: query.AggCount},
	}
	p := ev(rows, &query.Query{Query: &query.QuerySection{Aggregations: aggs}})
	want := []query.AggPartial{
		{Column: "k", Type: query.AggCount, Top: 10, KeyType: query.TypeInt, Count: 4},
		{Column: "k", Type: query.AggCountPerValue, Top: 3, KeyType: query.TypeInt,
			Values: map[string]query.PerValue{"1": {N: 3}, "2": {N: 1}}},
		{Column: "k", Type: query.AggGroupsPerValue, Name: "g", Top: 10, KeyType: query.TypeInt,
			Values: map[string]query.PerValue{"1": {N: 2}, "2": {N: 1}}},
		{Column: "k", Type: query.AggSumPerValue, OtherColumn: "v", Top: 10, KeyType: query.TypeInt,
			Values: map[string]query.PerValue{"1": {N: 2, Sum: 6}, "2": {}}},
		{Column: "k", Type: query.AggMeanPerValue, OtherColumn: "v", Top: 10, KeyType: query.TypeInt,
			Values: map[string]query.PerValue{"1": {N: 2, Sum: 6}, "2": {}}},
		{Column: "v", Type: query.AggCount, Top: 10, KeyType: query.TypeFloat, Count: 4},
	}
	if !reflect.DeepEqual(p.Query.Aggregations, want) {
		t.Errorf("got  %+v\nwant %+v", p.Query.Aggregations, want)
	}
}

func TestFunnel(t *testing.T) {
	e := func(s string) *query.Filter { return flt("e", query.OpEq, query.StringValue(s)) }
	rows := []Row{
		row("a", 1, map[string]Cell{"e": StringCell("A")}),
		row("a", 2, map[string]Cell{"e": StringCell("B")}),
		row("a", 3, map[string]Cell{"e": StringCell("C")}),
		row("b", 1, map[string]Cell{"e": StringCell("A")}),
		row("b", 2, map[string]Cell{"e": StringCell("C")}),
		row("c", 1, map[string]Cell{"e": StringCell("B")}),
		row("d", 1, map[string]Cell{"e": StringCell("A")}), // excluded by the query condition
	}
	q := &query.Query{
		Query: &query.QuerySection{Conditions: []query.Condition{{Filter: flt("u", query.OpNe, query.StringValue("d"))}}},
		Funnel: &query.Funnel{
			Sequence:         []query.Step{{Filter: e("A")}, {Filters: []query.Filter{*e("B")}}, {Filter: e("C")}},
			StepAggregations: []query.Aggregation{{Column: "e", Type: query.AggCountPerValue}},
			EndAggregations:  []query.Aggregation{{Column: "u", Type: query.AggGroupsPerValue}},
		},
	}
	p := ev(rows, q)
	if p.Query.MatchingGroups != 3 || p.Query.MatchingGroupRows != 6 {
		t.Fatalf("query: %+v", p.Query)
	}
	wantSteps := [][2]int64{{2, 5}, {1, 3}, {1, 3}}
	for i, w := range wantSteps {
		s := p.Funnel.Sequence[i]
		if s.MatchingGroups != w[0] || s.MatchingGroupRows != w[1] {
			t.Errorf("step %d: %+v, want %v", i, s, w)
		}
	}
	if got := p.Funnel.Sequence[0].Aggregations[0].Values; !reflect.DeepEqual(got, map[string]query.PerValue{"A": {N: 2}, "B": {N: 1}, "C": {N: 2}}) {
		t.Errorf("step 0 aggregation: %v", got)
	}
	if got := p.Funnel.EndAggregations[0].Values; !reflect.DeepEqual(got, map[string]query.PerValue{"a": {N: 1}}) {
		t.Errorf("end aggregation: %v", got)
	}
}

// TestReadFile writes a small file with every supported type and nulls and reads it back.
func TestReadFile(t *testing.T) {
	type rec struct {
		UserID int64    `parquet:"userId"`
		TS     float64  `parquet:"timestamp"`
		Name   *string  `parquet:"name,optional"`
		Price  *float64 `parquet:"price,optional"`
		Qty    *int32   `parquet:"qty,optional"`
		Flag   *bool    `parquet:"flag,optional"`
		Small  uint32   `parquet:"small"`
	}
	path := filepath.Join(t.TempDir(), "part-00000.parquet")
	recs := []rec{
		{UserID: 7, TS: 1.5, Name: ptr("x"), Price: ptr(2.25), Qty: ptr[int32](-3), Flag: ptr(true), Small: 1 << 31},
		{UserID: 8, TS: 2},
	}
	if err := parquet.WriteFile(path, recs); err != nil {
		t.Fatal(err)
	}
	rows, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []Row{
		{"userId": IntCell(7), "timestamp": FloatCell(1.5), "name": StringCell("x"), "price": FloatCell(2.25),
			"qty": IntCell(-3), "flag": BoolCell(true), "small": IntCell(1 << 31)},
		{"userId": IntCell(8), "timestamp": FloatCell(2), "name": NullCell(query.TypeString), "price": NullCell(query.TypeFloat),
			"qty": NullCell(query.TypeInt), "flag": NullCell(query.TypeBool), "small": IntCell(0)},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("got  %v\nwant %v", rows, want)
	}
	if _, err := ReadFile(filepath.Join(t.TempDir(), "missing.parquet")); err == nil {
		t.Error("missing file: no error")
	}
}
