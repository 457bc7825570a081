package worker_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/frocket/frocket/bench"
	"github.com/frocket/frocket/internal/naive"
	"github.com/frocket/frocket/query"
	"github.com/frocket/frocket/worker"
)

// The differential test: random queries over generated datasets, answered by the engine
// (worker.Run per part, then Merge) and by the naive evaluator (naive.Evaluate per part, then
// Merge); the two merged partials must be equal (floats within 1e-9 relative).

var diffLong = flag.Bool("long", false, "run many more random queries in the differential test")

// diffQueries is the number of random queries per dataset: FROCKET_DIFF_QUERIES, else 3000 with
// -long, else 300.
func diffQueries(t *testing.T) int {
	if s := os.Getenv("FROCKET_DIFF_QUERIES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("FROCKET_DIFF_QUERIES=%q: want a positive integer", s)
		}
		return n
	}
	if *diffLong {
		return 3000
	}
	if testing.Short() {
		return 50
	}
	return 300
}

func TestDifferential(t *testing.T) {
	n := diffQueries(t)
	for i, cfg := range []bench.GenConfig{
		{Rows: 20000, Users: 800, Files: 4, Seed: 11, RowGroupRows: 2048},
		{Rows: 20000, Users: 800, Files: 4, Seed: 12, RowGroupRows: 2048, Unsorted: true},
		{Rows: 20000, Users: 600, Files: 4, Seed: 13, RowGroupRows: 4096, StringUserIDs: true},
		{Rows: 20000, Users: 800, Files: 4, Seed: 14, RowGroupRows: 3000, FloatTimestamps: true, Unsorted: true},
	} {
		name := fmt.Sprintf("seed%d", cfg.Seed)
		if cfg.Unsorted {
			name += "-unsorted"
		}
		if cfg.StringUserIDs {
			name += "-stringids"
		}
		if cfg.FloatTimestamps {
			name += "-floatts"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg.OutDir = filepath.Join(t.TempDir(), "data")
			st, err := bench.Generate(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			d := openDataset(t, "userId", "timestamp", true, st.Files...)
			runDifferential(t, fmt.Sprintf("%+v", cfg), d, n, uint64(1000+i))
		})
	}
}

// runDifferential compiles n random queries and compares the engine with the naive evaluator.
func runDifferential(t *testing.T, dsName string, d *dataset, n int, seed uint64) {
	g := newQueryGen(d, seed)
	total := d.naive(t, d.compile(t, `{}`)).Query.MatchingGroups
	// A cache shared by every query, as in a long-running worker: later queries take their columns
	// (and their code masks) from memory, sorted once, and tasks needing more columns widen entries.
	cache := worker.NewColumnCache(0)
	valid, mismatches := 0, 0
	// How often the answers are not trivial, so that agreement means something.
	selective, deepFunnels, filledMaps := 0, 0, 0
	var invalid []string
	for i := 0; i < n; i++ {
		doc, err := json.Marshal(g.document())
		if err != nil {
			t.Fatal(err)
		}
		v, errs := query.Compile(doc, d.schema, query.DefaultConfig())
		if len(errs) > 0 {
			if len(invalid) < 5 {
				invalid = append(invalid, fmt.Sprintf("%s\n    %v", doc, errs))
			}
			continue
		}
		valid++
		eng := d.engine(t, v)
		ref := d.naive(t, v)
		if m := ref.Query.MatchingGroups; m > 0 && m < total {
			selective++
		}
		if f := ref.Funnel; f != nil && len(f.Sequence) > 1 && f.Sequence[len(f.Sequence)-1].MatchingGroups > 0 {
			deepFunnels++
		}
		if hasFilledMap(ref) {
			filledMaps++
		}
		for _, c := range []struct {
			name string
			got  *query.Partial
		}{{"engine", eng}, {"engine with a column cache", d.engineCached(t, v, cache)}} {
			if diff := diffPartials(c.got, ref); diff != "" {
				mismatches++
				t.Errorf("dataset %s\nquery %d: %s\nfirst difference (%s vs naive): %s", dsName, i, doc, c.name, diff)
				if mismatches >= 5 {
					t.Fatalf("stopping after %d mismatches", mismatches)
				}
			}
		}
	}
	t.Logf("%d queries, %d valid, %d mismatches; %d select some but not all of the %d groups, %d funnels of 2+ steps reach the end, %d fill a per-value map",
		n, valid, mismatches, selective, total, deepFunnels, filledMaps)
	if valid*100 < n*95 {
		t.Errorf("only %d of %d generated queries are valid (want 95%%); some rejections:\n  %s",
			valid, n, strings.Join(invalid, "\n  "))
	}
	if n >= 100 && (selective*4 < valid || deepFunnels*20 < valid || filledMaps*4 < valid) {
		t.Errorf("the generated queries are too often trivial: %d selective, %d deep funnels, %d filled maps of %d",
			selective, deepFunnels, filledMaps, valid)
	}
}

// hasFilledMap reports whether any per-value aggregation of p has a key.
func hasFilledMap(p *query.Partial) bool {
	lists := [][]query.AggPartial{p.Query.Aggregations}
	if p.Funnel != nil {
		lists = append(lists, p.Funnel.EndAggregations)
		for _, s := range p.Funnel.Sequence {
			lists = append(lists, s.Aggregations)
		}
	}
	for _, l := range lists {
		for _, a := range l {
			if len(a.Values) > 0 {
				return true
			}
		}
	}
	return false
}

// ---- comparison ----

// diffPartials returns the path and values of the first field where a and b differ, or "".
func diffPartials(a, b *query.Partial) string {
	if d := diffCounts("query", a.Query.MatchingGroups, a.Query.MatchingGroupRows, b.Query.MatchingGroups, b.Query.MatchingGroupRows); d != "" {
		return d
	}
	if d := diffAggs("query.aggregations", a.Query.Aggregations, b.Query.Aggregations); d != "" {
		return d
	}
	if (a.Funnel == nil) != (b.Funnel == nil) {
		return fmt.Sprintf("funnel: present %v vs %v", a.Funnel != nil, b.Funnel != nil)
	}
	if a.Funnel == nil {
		return ""
	}
	if len(a.Funnel.Sequence) != len(b.Funnel.Sequence) {
		return fmt.Sprintf("funnel.sequence: %d steps vs %d", len(a.Funnel.Sequence), len(b.Funnel.Sequence))
	}
	for i := range a.Funnel.Sequence {
		sa, sb := &a.Funnel.Sequence[i], &b.Funnel.Sequence[i]
		path := fmt.Sprintf("funnel.sequence[%d]", i)
		if d := diffCounts(path, sa.MatchingGroups, sa.MatchingGroupRows, sb.MatchingGroups, sb.MatchingGroupRows); d != "" {
			return d
		}
		if d := diffAggs(path+".aggregations", sa.Aggregations, sb.Aggregations); d != "" {
			return d
		}
	}
	return diffAggs("funnel.endAggregations", a.Funnel.EndAggregations, b.Funnel.EndAggregations)
}

func diffCounts(path string, groupsA, rowsA, groupsB, rowsB int64) string {
	if groupsA != groupsB {
		return fmt.Sprintf("%s.matchingGroups: %d vs %d", path, groupsA, groupsB)
	}
	if rowsA != rowsB {
		return fmt.Sprintf("%s.matchingGroupRows: %d vs %d", path, rowsA, rowsB)
	}
	return ""
}

// diffAggs compares aggregation lists; a nil list equals an empty one, and so do maps.
func diffAggs(path string, a, b []query.AggPartial) string {
	if len(a) != len(b) {
		return fmt.Sprintf("%s: %d aggregations vs %d", path, len(a), len(b))
	}
	for i := range a {
		x, y := &a[i], &b[i]
		p := fmt.Sprintf("%s[%d]", path, i)
		switch {
		case x.Column != y.Column:
			return fmt.Sprintf("%s.column: %q vs %q", p, x.Column, y.Column)
		case x.Type != y.Type:
			return fmt.Sprintf("%s.type: %q vs %q", p, x.Type, y.Type)
		case x.OtherColumn != y.OtherColumn:
			return fmt.Sprintf("%s.otherColumn: %q vs %q", p, x.OtherColumn, y.OtherColumn)
		case x.Name != y.Name:
			return fmt.Sprintf("%s.name: %q vs %q", p, x.Name, y.Name)
		case x.Top != y.Top:
			return fmt.Sprintf("%s.top: %d vs %d", p, x.Top, y.Top)
		case x.KeyType != y.KeyType:
			return fmt.Sprintf("%s.keyType: %q vs %q", p, x.KeyType, y.KeyType)
		case x.Count != y.Count:
			return fmt.Sprintf("%s.count: %d vs %d", p, x.Count, y.Count)
		case x.Approximate != y.Approximate:
			return fmt.Sprintf("%s.approximate: %v vs %v", p, x.Approximate, y.Approximate)
		}
		for _, k := range sortedKeys(x.Values) {
			vy, ok := y.Values[k]
			if !ok {
				return fmt.Sprintf("%s.values[%q]: %+v vs absent", p, k, x.Values[k])
			}
			vx := x.Values[k]
			if vx.N != vy.N {
				return fmt.Sprintf("%s.values[%q].n: %d vs %d", p, k, vx.N, vy.N)
			}
			if !closeEnough(vx.Sum, vy.Sum) {
				return fmt.Sprintf("%s.values[%q].sum: %v vs %v", p, k, vx.Sum, vy.Sum)
			}
		}
		for _, k := range sortedKeys(y.Values) {
			if _, ok := x.Values[k]; !ok {
				return fmt.Sprintf("%s.values[%q]: absent vs %+v", p, k, y.Values[k])
			}
		}
	}
	return ""
}

// ---- random queries ----

// queryGen draws random query documents whose literals come from the dataset.
type queryGen struct {
	r       *rand.Rand
	rows    []naive.Row // every row of every part
	columns []string    // sorted
	types   map[string]query.ColumnType
	numeric []string // INT and FLOAT columns
	minTS   float64
	maxTS   float64
	floatTS bool
}

func newQueryGen(d *dataset, seed uint64) *queryGen {
	g := &queryGen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), types: d.schema.Columns,
		minTS: d.schema.MinTimestamp, maxTS: d.schema.MaxTimestamp, floatTS: d.schema.Columns[d.ts] == query.TypeFloat}
	for _, rows := range d.rows {
		g.rows = append(g.rows, rows...)
	}
	for c, typ := range d.schema.Columns {
		g.columns = append(g.columns, c)
		if typ.IsNumeric() {
			g.numeric = append(g.numeric, c)
		}
	}
	sort.Strings(g.columns)
	sort.Strings(g.numeric)
	return g
}

func (g *queryGen) chance(p float64) bool { return g.r.Float64() < p }

func pick[T any](g *queryGen, xs []T) T { return xs[g.r.IntN(len(xs))] }

// document builds one random query document.
func (g *queryGen) document() map[string]any {
	doc := map[string]any{}
	if tf := g.timeframe(); tf != nil {
		doc["timeframe"] = tf
	}
	if g.chance(0.9) {
		doc["query"] = g.querySection()
	}
	if g.chance(0.45) {
		doc["funnel"] = g.funnel()
	}
	return doc
}

// timeframe returns nil (no timeframe) or bounds inside, around or outside the data.
func (g *queryGen) timeframe() map[string]any {
	if g.chance(0.45) {
		return nil
	}
	lo, hi := int64(math.Floor(g.minTS)), int64(math.Floor(g.maxTS))
	at := func() int64 { return lo + g.r.Int64N(hi-lo+1) }
	switch g.r.IntN(8) {
	case 0:
		return map[string]any{"from": at()}
	case 1:
		return map[string]any{"to": at()}
	case 2: // empty: everything is before it
		return map[string]any{"from": hi + 1}
	case 3: // empty: everything is after it
		return map[string]any{"to": lo}
	case 4, 5: // a narrow window around a real row's timestamp
		ts := g.rowTimestamp()
		return map[string]any{"from": ts, "to": ts + 1 + g.r.Int64N(max((hi-lo)/50, 1))}
	}
	a, b := at(), at()
	if a > b {
		a, b = b, a
	}
	return map[string]any{"from": a, "to": b + 1}
}

// rowTimestamp returns the (floored) timestamp of a random row.
func (g *queryGen) rowTimestamp() int64 {
	c := g.rows[g.r.IntN(len(g.rows))]["timestamp"]
	if c.Type == query.TypeFloat {
		return int64(math.Floor(c.Float))
	}
	return c.Int
}

func (g *queryGen) querySection() map[string]any {
	sec := map[string]any{}
	nConds := []int{0, 1, 1, 2, 2, 3, 4}[g.r.IntN(7)]
	conds := make([]any, nConds)
	names := make([]string, nConds)
	used := map[string]bool{}
	for i := range conds {
		c := g.condition()
		if g.chance(0.3) {
			name := fmt.Sprintf("%s%d", pick(g, []string{"c", "Cond", "x_", "step"}), g.r.IntN(10))
			if !used[strings.ToLower(name)] {
				used[strings.ToLower(name)] = true
				c["name"] = name
				names[i] = name
			}
		}
		conds[i] = c
	}
	if nConds > 0 || g.chance(0.3) {
		sec["conditions"] = conds
	}
	if nConds > 0 && g.chance(0.8) {
		sec["relation"] = g.relation(names)
	}
	if g.chance(0.75) {
		sec["aggregations"] = g.aggregations(1 + g.r.IntN(3))
	}
	return sec
}

// relation draws a relation over the conditions: a shorthand or an expression with names,
// indexes, both spellings of the operators and parentheses.
func (g *queryGen) relation(names []string) string {
	if g.chance(0.2) {
		return pick(g, []string{"and", "or", "AND", " Or ", "&&", "||"})
	}
	ref := func() string {
		i := g.r.IntN(len(names))
		if names[i] != "" && g.chance(0.6) {
			name := names[i]
			if g.chance(0.3) {
				name = strings.ToUpper(name)
			}
			return "$" + name
		}
		return "$" + strconv.Itoa(i)
	}
	var expr func(depth int) string
	expr = func(depth int) string {
		if depth > 2 || g.chance(0.35) {
			return ref()
		}
		op := pick(g, []string{" and ", " or ", " AND ", " OR ", " && ", " || ", "&&", "||"})
		s := expr(depth+1) + op + expr(depth+1)
		if g.chance(0.4) {
			s = "(" + s + ")"
		}
		return s
	}
	return expr(0)
}

// condition draws a filter, filters or sequence condition.
func (g *queryGen) condition() map[string]any {
	switch g.r.IntN(4) {
	case 0, 1:
		c := map[string]any{"filter": g.filter(true)}
		g.target(c)
		return c
	case 2:
		fs := make([]any, 2+g.r.IntN(2))
		for i := range fs {
			fs[i] = g.filter(false)
		}
		c := map[string]any{"filters": fs}
		g.target(c)
		return c
	}
	steps := make([]any, 1+g.r.IntN(4))
	for i := range steps {
		steps[i] = g.step()
	}
	return map[string]any{"sequence": steps}
}

// step draws a sequence or funnel step, biased to event types so that chains happen.
func (g *queryGen) step() map[string]any {
	if g.chance(0.25) {
		return map[string]any{"filters": []any{g.filter(false), g.filter(false)}}
	}
	if g.chance(0.7) {
		if _, ok := g.types["eventType"]; ok {
			return map[string]any{"filter": []any{"eventType", pick(g, []string{"==", "==", "!="}), g.stringLiteral("eventType")}}
		}
	}
	return map[string]any{"filter": g.filter(true)}
}

// target adds a random count or sum target (or none) and a valid includeZero to a condition.
func (g *queryGen) target(c map[string]any) {
	ops := []string{"==", "!=", ">", ">=", "<", "<="}
	switch r := g.r.Float64(); {
	case r < 0.35:
		if g.chance(0.2) {
			c["includeZero"] = false
		}
	case r < 0.8:
		op := pick(g, ops)
		v := int64([]int{0, 0, 1, 1, 2, 3, 5, 10}[g.r.IntN(8)])
		if g.chance(0.5) {
			c["target"] = []any{"count", op, v}
		} else {
			c["target"] = map[string]any{"type": "count", "op": op, "value": v}
		}
		if zeroHolds(op, v) {
			if op == "==" && v == 0 {
				if g.chance(0.5) {
					c["includeZero"] = true
				}
			} else if r := g.r.IntN(3); r > 0 {
				c["includeZero"] = r == 1
			}
		} else if g.chance(0.3) {
			c["includeZero"] = false
		}
	default:
		col := pick(g, g.numeric)
		v := g.numberLiteral(col)
		if g.chance(0.5) {
			// A sum over several rows: scale the literal.
			v = scaleLiteral(v, float64(1+g.r.IntN(8)))
		}
		op := pick(g, ops)
		if g.chance(0.5) {
			c["target"] = []any{"sum", col, op, v}
		} else {
			c["target"] = map[string]any{"type": "sum", "column": col, "op": op, "value": v}
		}
		if g.chance(0.2) {
			c["includeZero"] = false
		}
	}
}

// zeroHolds reports whether a zero count satisfies "count op v" (includeZero may then be true).
func zeroHolds(op string, v int64) bool {
	switch op {
	case "==":
		return v == 0
	case "!=":
		return v != 0
	case "<":
		return v > 0
	case "<=":
		return v >= 0
	case ">=":
		return v <= 0
	}
	return false
}

func scaleLiteral(v any, k float64) any {
	switch x := v.(type) {
	case int64:
		return x * int64(k)
	case float64:
		return x * k
	}
	return v
}

// filter draws a filter over any column with an operator valid for its type. shorthand allows
// the [column, op, value] form.
func (g *queryGen) filter(shorthand bool) any {
	col := pick(g, g.columns)
	var op string
	var val any
	switch g.types[col] {
	case query.TypeString:
		op = pick(g, []string{"==", "==", "!=", ">", ">=", "<", "<=", "contains", "contains", "not contains"})
		val = g.stringLiteral(col)
		if (op == "contains" || op == "not contains") && g.chance(0.7) {
			// A short substring of a real value.
			if s := val.(string); len(s) > 1 {
				i := g.r.IntN(len(s))
				val = s[i : i+1+g.r.IntN(min(4, len(s)-i))]
			}
		}
	case query.TypeBool:
		op = pick(g, []string{"==", "!="})
		val = g.chance(0.5)
	default:
		op = pick(g, []string{"==", "!=", ">", ">=", "<", "<="})
		val = g.numberLiteral(col)
	}
	if shorthand && g.chance(0.5) {
		return []any{col, op, val}
	}
	return map[string]any{"column": col, "op": op, "value": val}
}

// stringLiteral returns the value of a random row (frequent values are drawn more often), or
// sometimes a value absent from the data.
func (g *queryGen) stringLiteral(col string) string {
	for try := 0; try < 8 && !g.chance(0.05); try++ {
		c, ok := g.rows[g.r.IntN(len(g.rows))][col]
		if ok && !c.Null {
			return c.Str
		}
	}
	return pick(g, []string{"no-such-value", "", "zzz", "A"})
}

// numberLiteral returns a literal for a numeric column: a value from the data (as int64 for INT
// columns, float64 for FLOAT ones), a neighbour of one, a fraction next to an INT value, an integer
// for a FLOAT column, or a value outside the data.
func (g *queryGen) numberLiteral(col string) any {
	var c naive.Cell
	found := false
	for try := 0; try < 8 && !found; try++ {
		c, found = g.rows[g.r.IntN(len(g.rows))][col]
		found = found && !c.Null && !math.IsNaN(c.Float)
	}
	if g.types[col] == query.TypeInt {
		v := int64(-7)
		if found && !g.chance(0.05) {
			v = c.Int
		}
		switch r := g.r.Float64(); {
		case r < 0.15:
			return v + int64(g.r.IntN(3)) - 1
		case r < 0.27: // a fraction: compared exactly with the integers
			return float64(v) + pick(g, []float64{0.5, -0.5, 0.25})
		}
		return v
	}
	v := -7.25
	if found && !g.chance(0.05) {
		v = c.Float
	}
	switch r := g.r.Float64(); {
	case r < 0.15:
		return int64(math.Floor(v))
	case r < 0.25:
		return v + 0.5
	}
	return v
}

func (g *queryGen) aggregations(n int) []any {
	out := make([]any, n)
	names := map[string]bool{}
	for i := range out {
		col := pick(g, g.columns)
		a := map[string]any{"column": col}
		typ := pick(g, []string{"", "count", "countPerValue", "groupsPerValue", "sumPerValue", "meanPerValue"})
		if typ != "" {
			a["type"] = typ
			if name := fmt.Sprintf("agg%d", g.r.IntN(5)); g.chance(0.3) && !names[name] {
				names[name] = true
				a["name"] = name
			}
		}
		if typ == "sumPerValue" || typ == "meanPerValue" {
			a["otherColumn"] = pick(g, g.numeric)
		}
		if typ != "count" && g.chance(0.3) {
			a["top"] = 1 + g.r.IntN(15)
		}
		out[i] = a
	}
	return out
}

func (g *queryGen) funnel() map[string]any {
	steps := make([]any, 1+g.r.IntN(6))
	for i := range steps {
		steps[i] = g.step()
	}
	f := map[string]any{"sequence": steps}
	if g.chance(0.5) {
		f["stepAggregations"] = g.aggregations(1 + g.r.IntN(2))
	}
	if g.chance(0.5) {
		f["endAggregations"] = g.aggregations(1 + g.r.IntN(2))
	}
	return f
}
