package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/frocket/frocket/catalog"
	"github.com/frocket/frocket/query"
	"github.com/frocket/frocket/scan"
)

// testDataset generates a small dataset of one layout once per test and registers it.
func testDataset(t *testing.T, l layout) (*catalog.Dataset, string) {
	t.Helper()
	cfg := genConfig(t.TempDir(), 30_000, 3, l)
	if _, err := ensureDataset(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	ds, err := registerDataset(context.Background(), "test-"+l.Name, cfg.OutDir)
	if err != nil {
		t.Fatal(err)
	}
	return ds, cfg.OutDir
}

// edgeQueries exercise the parts of the translation the benchmark queries leave out: every
// operator, nulls, mixed int/float comparisons, sum targets on integers, includeZero, named
// relations, one-step sequences, multi-filter steps, half-open timeframes and keys of every type.
func edgeQueries() []string {
	return []string{
		`{"query":{"conditions":[{"filter":["url","contains","/p/"],"target":["count",">",2]},{"filter":["browser","<","F"]}],"relation":"$0 and $1",
			"aggregations":[{"column":"browser"}]}}`,
		`{"query":{"conditions":[{"filter":["sku","not contains","SKU-000"],"target":["count",">=",30]},{"filter":["loggedIn","!=",true],"target":["count","<",2],"includeZero":true}],"relation":"or"}}`,
		`{"query":{"conditions":[{"filter":["quantity",">",1.5]},{"filter":["price","<=",20.5]}],"relation":"$0 || $1",
			"aggregations":[{"column":"quantity","type":"sumPerValue","otherColumn":"price"},{"column":"price","type":"meanPerValue","otherColumn":"quantity"}]}}`,
		`{"query":{"conditions":[{"name":"qty","filter":["eventType","==","purchase"],"target":["sum","quantity",">=",3]},{"name":"tab","filter":["device","==","tablet"],"target":["count","!=",1],"includeZero":true}],
			"relation":"$qty and $tab","aggregations":[{"column":"loggedIn","type":"countPerValue"},{"column":"campaignId","type":"groupsPerValue"}]}}`,
		`{"query":{"conditions":[{"sequence":[{"filter":["eventType","==","signup"]}]},{"filters":[{"column":"country","op":"==","value":"US"},{"column":"device","op":"!=","value":"mobile"}],"target":["count","<=",4]}],"relation":"$0 or $1"}}`,
		`{"timeframe":{"from":1610000000000},"funnel":{"sequence":[{"filters":[{"column":"eventType","op":"==","value":"pageview"},{"column":"device","op":"==","value":"mobile"}]},{"filter":["url",">=","/p/"]},{"filter":["eventType","==","pageview"]}],
			"stepAggregations":[{"column":"country","type":"countPerValue"},{"column":"price","type":"count"}],"endAggregations":[{"column":"browser","type":"meanPerValue","otherColumn":"price"}]}}`,
		`{"timeframe":{"to":1610500000000},"query":{"conditions":[{"filter":["country","==","nowhere"],"target":["count","==",0]}],"aggregations":[{"column":"userId","type":"count"},{"column":"eventType","type":"groupsPerValue"}]}}`,
		`{"query":{"conditions":[{"filter":["sku","!=","SKU-00001"],"target":["count",">=",5]}]}}`,
		`{"query":{"conditions":[{"filter":["device","==","tablet"],"target":["count","<",3]},{"filter":["eventType","==","purchase"],"target":["sum","price","<",50]}],"relation":"or"}}`,
		`{"query":{"conditions":[{"filter":["campaignId","!=",3],"target":["count",">=",5]}],"aggregations":[{"column":"campaignId","type":"meanPerValue","otherColumn":"price"}]}}`,
		`{"query":{"conditions":[{"filter":["sku","not contains","SKU-0001"],"target":["count",">=",5]}]}}`,
		`{"query":{"conditions":[{"filter":["eventType","==","nothing"]}]},"funnel":{"sequence":[{"filter":["eventType","==","pageview"]}],"endAggregations":[{"column":"device"}]}}`,
	}
}

// TestAnswersMatch runs every benchmark query and the edge queries with both engines on small
// sorted and unsorted datasets and requires identical answers.
func TestAnswersMatch(t *testing.T) {
	ctx := context.Background()
	d, err := openDuck(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	bodies := edgeQueries()
	timeframe := -1
	for _, q := range benchQueries() {
		if q.Name == "timeframe10" {
			timeframe = len(bodies)
		}
		bodies = append(bodies, q.Body)
	}
	for _, l := range allLayouts() {
		ds, dir := testDataset(t, l)
		glob := filepath.Join(dir, "*.parquet")
		nonTrivial := 0
		for i, body := range bodies {
			v, err := compileQuery([]byte(body), ds)
			if err != nil {
				t.Fatalf("%s query %d: %v", l.Name, i, err)
			}
			stmt, err := sqlOf(v, ds.QuerySchema(), glob)
			if err != nil {
				t.Fatalf("%s query %d: %v", l.Name, i, err)
			}
			p, err := runFrocket(ctx, ds, dir, []byte(body), 1+i%2, nil, &scan.Buffers{})
			if err != nil {
				t.Fatalf("%s query %d: frocket: %v", l.Name, i, err)
			}
			fa, err := answerOfPartial(p)
			if err != nil {
				t.Fatalf("%s query %d: %v", l.Name, i, err)
			}
			da, err := d.run(ctx, stmt, v)
			if err != nil {
				t.Fatalf("%s query %d: %v\n%s", l.Name, i, err, stmt)
			}
			if diffs := diffAnswers(fa, da, 10); len(diffs) > 0 {
				t.Errorf("%s query %d %s: answers differ:\n  %s\n%s", l.Name, i, body, strings.Join(diffs, "\n  "), stmt)
			}
			if fa.Groups > 0 && fa.Groups < 3000 {
				nonTrivial++
			}
			// The timeframe query must see about a tenth of the rows.
			if share := float64(fa.Rows) / 30_000; i == timeframe && (share < 0.05 || share > 0.2) {
				t.Errorf("%s: the timeframe query sees %.1f%% of the rows", l.Name, 100*share)
			}
		}
		// Most queries must select some but not all of the 3,000 users, or the comparison says little.
		if nonTrivial < len(bodies)/2 {
			t.Errorf("%s: only %d of %d queries select a proper subset of users", l.Name, nonTrivial, len(bodies))
		}
	}
}

func TestDiffAnswers(t *testing.T) {
	base := func() *answer {
		return &answer{Groups: 10, Rows: 100,
			Aggs:  []aggAnswer{{Column: "sku", Type: query.AggSumPerValue, Values: map[string]query.PerValue{"a": {N: 2, Sum: 1e6}, "b": {N: 1, Sum: 3}}}},
			Steps: []stepAns{{Groups: 5, Rows: 50, Aggs: []aggAnswer{{Column: "price", Type: query.AggCount, Count: 7}}}}}
	}
	f := func(name string, change func(a *answer), wantDiffs int) {
		t.Helper()
		b := base()
		change(b)
		if got := diffAnswers(base(), b, 0); len(got) != wantDiffs {
			t.Errorf("%s: %d differences, want %d: %q", name, len(got), wantDiffs, got)
		}
	}
	f("same", func(*answer) {}, 0)
	f("summation order", func(a *answer) { a.Aggs[0].Values["a"] = query.PerValue{N: 2, Sum: 1e6 + 1e-7} }, 0)
	f("groups and rows", func(a *answer) { a.Groups, a.Rows = 11, 99 }, 2)
	f("sum", func(a *answer) { a.Aggs[0].Values["b"] = query.PerValue{N: 1, Sum: 3.01} }, 1)
	f("n", func(a *answer) { a.Aggs[0].Values["b"] = query.PerValue{N: 2, Sum: 3} }, 1)
	f("missing key", func(a *answer) { delete(a.Aggs[0].Values, "a") }, 1)
	f("extra key", func(a *answer) { a.Aggs[0].Values["c"] = query.PerValue{N: 1} }, 1)
	f("step", func(a *answer) { a.Steps[0].Rows = 51 }, 1)
	f("step count aggregation", func(a *answer) { a.Steps[0].Aggs[0].Count = 8 }, 1)
	f("steps", func(a *answer) { a.Steps = nil }, 1)
	f("aggregation type", func(a *answer) { a.Aggs[0].Type = query.AggMeanPerValue }, 1)
	if got := diffAnswers(&answer{Groups: 1, Rows: 1}, &answer{Groups: 2, Rows: 2}, 1); len(got) != 1 {
		t.Errorf("limit 1: %d differences", len(got))
	}
}

func TestSQLOfRejectsWhatItCannotTranslate(t *testing.T) {
	schema := &query.Schema{GroupColumn: "u", TimestampColumn: "ts",
		Columns: map[string]query.ColumnType{"u": query.TypeInt, "ts": query.TypeInt, "e": query.TypeString}}
	f := func(body string) {
		t.Helper()
		v, errs := query.Compile([]byte(body), schema, query.DefaultConfig())
		if len(errs) > 0 {
			t.Fatalf("%s: %v", body, errs)
		}
		if stmt, err := sqlOf(v, schema, "x/*.parquet"); err == nil {
			t.Errorf("%s: translated to\n%s", body, stmt)
		}
	}
	f(`{"funnel":{"sequence":[{"filter":["e","==","a"]}],"maxDuration":10}}`)
	f(`{"query":{"conditions":[{"sequence":[{"filter":["e","==","a"]}],"maxDuration":10}]}}`)
}

func TestSQLLiterals(t *testing.T) {
	f := func(got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
	f(quoteString("it's"), "'it''s'")
	f(quoteIdent(`a"b`), `"a""b"`)
	f(numberLiteral(query.IntValue(-3)), "-3")
	f(numberLiteral(query.FloatValue(0.1)), "CAST('0.1' AS DOUBLE)")
	f(numberLiteral(query.FloatValue(1e21)), "CAST('1e+21' AS DOUBLE)")
}

func TestParseScale(t *testing.T) {
	f := func(in string, want int64) {
		t.Helper()
		got, err := parseScale(in)
		if want < 0 {
			if err == nil {
				t.Errorf("%q: got %d, want an error", in, got)
			}
			return
		}
		if err != nil || got != want {
			t.Errorf("%q: got %d, %v, want %d", in, got, err, want)
		}
	}
	f("10M", 10_000_000)
	f("1m", 1_000_000)
	f("2.5M", 2_500_000)
	f("500K", 500_000)
	f("1G", 1_000_000_000)
	f("20000", 20_000)
	f("", -1)
	f("-1M", -1)
	f("tenM", -1)
	f("0.0001", -1)
}

func TestFilesFor(t *testing.T) {
	for rows, want := range map[int64]int{10_000_000: 10, 100_000_000: 100, 500_000_000: 500, 1_000_000: 4, 20_000: 4, 30: 3, 5: 1} {
		if got := filesFor(rows); got != want {
			t.Errorf("filesFor(%d) = %d, want %d", rows, got, want)
		}
	}
}

func TestEnsureDatasetReusesOnlyTheSameSpec(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := genConfig(dir, 2_000, 2, allLayouts()[0])
	for i, want := range []bool{true, false} {
		generated, err := ensureDataset(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if generated != want {
			t.Errorf("call %d: generated = %v, want %v", i, generated, want)
		}
	}
	// A changed spec in the same directory is regenerated.
	cfg.Seed++
	if generated, err := ensureDataset(ctx, cfg); err != nil || !generated {
		t.Errorf("changed seed: generated = %v, %v", generated, err)
	}
	// A missing part is regenerated.
	if err := os.Remove(filepath.Join(cfg.OutDir, "part-00001.parquet")); err != nil {
		t.Fatal(err)
	}
	if generated, err := ensureDataset(ctx, cfg); err != nil || !generated {
		t.Errorf("missing part: generated = %v, %v", generated, err)
	}
	parts, _ := filepath.Glob(filepath.Join(cfg.OutDir, "*.parquet"))
	if len(parts) != 2 {
		t.Errorf("%d parts, want 2", len(parts))
	}
}

// TestRun runs the whole harness on a tiny dataset, twice (the second run reuses the data), and
// checks the table, the JSON report and the exit codes.
func TestRun(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	out := filepath.Join(dir, "report.json")
	args := []string{"--scale", "20K", "--data", dir, "--reps", "1", "--queries", "^(empty|funnel3|conds3-or)$", "--json", out}
	for i := range 2 {
		var stdout, stderr bytes.Buffer
		if code := run(ctx, args, &stdout, &stderr); code != 0 {
			t.Fatalf("run %d: exit %d\n%s%s", i, code, stdout.String(), stderr.String())
		}
		if i == 1 && !strings.Contains(stderr.String(), "reusing") {
			t.Errorf("second run did not reuse the data:\n%s", stderr.String())
		}
		table := stdout.String()
		for _, want := range []string{"frocket rows/s", "duckdb rows/s", "funnel3", "conds3-or", "unsorted", "sorted-warm", ">= 10x", ">= 30x"} {
			if !strings.Contains(table, want) {
				t.Errorf("table lacks %q:\n%s", want, table)
			}
		}
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 9 || rep.Rows != 20_000 || rep.Files != 4 {
		t.Fatalf("report: %d results, %d rows, %d files", len(rep.Results), rep.Rows, rep.Files)
	}
	for _, r := range rep.Results {
		if !r.Match || r.Error != "" || r.FrocketRowsSec <= 0 || r.DuckDBRowsSec <= 0 || r.Frocket == nil || r.Frocket.Rows == 0 {
			t.Errorf("result %s/%s: %+v", r.Layout, r.Query, r)
		}
	}

	var stdout, stderr bytes.Buffer
	if code := run(ctx, []string{"--reps", "0"}, &stdout, &stderr); code != 2 {
		t.Errorf("--reps 0: exit %d, want 2", code)
	}
	if code := run(ctx, []string{"--data", dir, "--scale", "20K", "--queries", "nosuchquery"}, &stdout, &stderr); code != 1 {
		t.Errorf("unknown query: exit %d, want 1", code)
	}
}

func TestMetText(t *testing.T) {
	f := func(r result, want string) {
		t.Helper()
		if got := metText(&r); got != want {
			t.Errorf("%+v: %q, want %q", r, got, want)
		}
	}
	f(result{Match: true, Ratio: 12, Target: 10}, "yes")
	f(result{Match: true, Ratio: 5, Target: 10}, "no (-50%)")
	f(result{Match: true, Ratio: 5}, "-")
	f(result{Match: false, Ratio: 50, Target: 10}, "MISMATCH")
	if got := humanCount(32_400_000); got != "32.4M" {
		t.Errorf("humanCount = %q", got)
	}
}
