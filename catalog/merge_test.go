package catalog

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/frocket/frocket/query"
	"github.com/frocket/frocket/scan"
)

func TestSampleIndexes(t *testing.T) {
	cfg := DefaultRegisterConfig()
	f := func(n int, mode ValidationMode, want int) {
		t.Helper()
		for seed := range uint64(20) {
			idx := sampleIndexes(n, mode, cfg, rand.New(rand.NewPCG(seed, 1)))
			if len(idx) != want {
				t.Fatalf("sampleIndexes(%d, %s) picked %d parts %v, want %d", n, mode, len(idx), idx, want)
			}
			if idx[0] != 0 || (want > 1 && idx[len(idx)-1] != n-1) {
				t.Fatalf("sampleIndexes(%d, %s) = %v: first or last part missing", n, mode, idx)
			}
			if !slices.IsSorted(idx) || len(slices.Compact(slices.Clone(idx))) != len(idx) {
				t.Fatalf("sampleIndexes(%d, %s) = %v: not sorted and distinct", n, mode, idx)
			}
		}
	}
	f(1, ValidateSample, 1)
	f(1, ValidateFirstLast, 1)
	f(2, ValidateSample, 2)
	f(20, ValidateSample, 2)
	f(29, ValidateSample, 2)
	f(30, ValidateSample, 3)
	f(120, ValidateSample, 10)
	f(100000, ValidateSample, 10)
	f(120, ValidateFirstLast, 2)
	f(120, ValidateSingle, 1)

	// Asking for every part gives every part: picks never repeat.
	all := cfg
	all.SampleRatio, all.SampleMax = 1, 1000
	for seed := range uint64(50) {
		idx := sampleIndexes(12, ValidateSample, all, rand.New(rand.NewPCG(seed, 2)))
		if !slices.Equal(idx, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}) {
			t.Fatalf("sampling all of 12 parts gave %v", idx)
		}
	}
	// Every inner part can be drawn.
	seen := make([]bool, 120)
	rng := rand.New(rand.NewPCG(7, 7))
	for range 500 {
		for _, i := range sampleIndexes(120, ValidateSample, cfg, rng) {
			seen[i] = true
		}
	}
	if i := slices.Index(seen, false); i >= 0 {
		t.Fatalf("part %d was never sampled in 500 draws", i)
	}
}

func part(name string, rows int64, minTS, maxTS float64, cols ...scan.ColumnStats) sampledPart {
	return sampledPart{path: "/base/" + name, schema: &scan.FileSchema{Rows: rows, Columns: cols, MinTimestamp: minTS, MaxTimestamp: maxTS}}
}

func intCol(name string, lo, hi float64) scan.ColumnStats {
	return scan.ColumnStats{Name: name, Type: scan.Int, Physical: "INT64", HasRange: true, Min: lo, Max: hi}
}

func strCol(name string, distinct int, nulls int64, top ...scan.ValueCount) scan.ColumnStats {
	return scan.ColumnStats{Name: name, Type: scan.String, Physical: "BYTE_ARRAY (STRING)", Distinct: distinct, NullCount: nulls, Top: top}
}

func TestCompareSchemas(t *testing.T) {
	a := part("a.parquet", 10, 0, 1, intCol("uid", 0, 1), intCol("ts", 0, 1), strCol("ev", 2, 0))
	same := part("b.parquet", 10, 0, 1, intCol("uid", 5, 9), intCol("ts", 0, 1), strCol("ev", 3, 0))
	if err := compareSchemas([]sampledPart{a, same}); err != nil {
		t.Fatalf("equal schemas: %v", err)
	}
	f := func(other sampledPart, want ...string) {
		t.Helper()
		err := compareSchemas([]sampledPart{a, same, other})
		if err == nil {
			t.Fatalf("compareSchemas accepted %s", other.path)
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not say %q", err, w)
			}
		}
	}
	f(part("c.parquet", 10, 0, 1, intCol("uid", 0, 1), intCol("ts", 0, 1), scan.ColumnStats{Name: "ev", Type: scan.Int, Physical: "INT32"}),
		"column ev is STRING in /base/a.parquet but INT in /base/c.parquet")
	f(part("c.parquet", 10, 0, 1, intCol("uid", 0, 1), intCol("ts", 0, 1)),
		"column ev is STRING in /base/a.parquet but missing in /base/c.parquet")
	f(part("c.parquet", 10, 0, 1, intCol("uid", 0, 1), intCol("ts", 0, 1), strCol("ev", 1, 0), intCol("extra", 0, 0)),
		"column extra is INT in /base/c.parquet but missing in /base/a.parquet")
	f(part("c.parquet", 10, 0, 1, intCol("uid", 0, 1), intCol("ts", 0, 1), scan.ColumnStats{Name: "ev", Physical: "LIST"}),
		"but unsupported (LIST) in /base/c.parquet")
}

func TestCheckUniques(t *testing.T) {
	mk := func(name string, ints []int64, strs []string) sampledPart {
		p := part(name, 1, 0, 0)
		p.schema.GroupIDsInt, p.schema.GroupIDsString = ints, strs
		return p
	}
	ok := []sampledPart{mk("a", []int64{1, 2, 3}, nil), mk("b", []int64{4, 5}, nil), mk("c", []int64{6, 100}, nil)}
	if err := checkUniques(ok); err != nil {
		t.Fatalf("disjoint ids: %v", err)
	}
	bad := []sampledPart{mk("a", []int64{1, 2, 3, 7}, nil), mk("b", []int64{3, 4, 7}, nil), mk("c", []int64{7, 9}, nil)}
	err := checkUniques(bad)
	if err == nil {
		t.Fatal("shared ids accepted")
	}
	for _, w := range []string{"not unique across the 3 sampled files", "2 IDs are in more than one file", "3 in /base/a, /base/b", "7 in /base/a, /base/b, /base/c"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
	// Unsorted input with repeats inside one part is not a duplicate across parts.
	if err := checkUniques([]sampledPart{mk("a", []int64{3, 1, 3}, nil), mk("b", []int64{2}, nil)}); err != nil {
		t.Fatalf("repeats within one part: %v", err)
	}
	err = checkUniques([]sampledPart{mk("a", nil, []string{"u1", "u2"}), mk("b", nil, []string{"u0", "u2"})})
	if err == nil || !strings.Contains(err.Error(), `"u2" in /base/a, /base/b`) {
		t.Fatalf("shared string id: %v", err)
	}
	// Many shared ids: the count is exact, the examples are capped.
	var many []int64
	for i := range int64(1000) {
		many = append(many, i)
	}
	err = checkUniques([]sampledPart{mk("a", many, nil), mk("b", many[500:], nil)})
	if err == nil || !strings.Contains(err.Error(), "500 IDs") || strings.Count(err.Error(), " in /base/a") != maxReported {
		t.Fatalf("many shared ids: %v", err)
	}
}

func TestMergeSchema(t *testing.T) {
	cfg := DefaultRegisterConfig()
	cfg.TopCount = 3
	cfg.TopMinPct = 0.05
	vc := func(v string, n int64) scan.ValueCount { return scan.ValueCount{Value: v, Count: n} }
	p1 := part("a", 100, 10, 50,
		intCol("uid", 0, 9),
		intCol("ts", 10, 50),
		scan.ColumnStats{Name: "price", Type: scan.Float, Physical: "DOUBLE", HasRange: true, Min: -1.5, Max: 3},
		scan.ColumnStats{Name: "flag", Type: scan.Bool, Physical: "BOOLEAN"},
		// 80 non-null rows: view 40 (0.5), buy 20 (0.25), cart 12 (0.15), rare 8 (0.1)
		strCol("ev", 4, 20, vc("view", 40), vc("buy", 20), vc("cart", 12), vc("rare", 8)),
		strCol("country", 5, 0, vc("de", 50)),
		strCol("note", 90, 0),
		scan.ColumnStats{Name: "empty", Type: scan.Float, Physical: "FLOAT", NullCount: 100},
		scan.ColumnStats{Name: "tags", Physical: "LIST"},
	)
	p2 := part("b", 50, 5, 40,
		intCol("uid", 10, 19),
		intCol("ts", 5, 40),
		scan.ColumnStats{Name: "price", Type: scan.Float, Physical: "DOUBLE", HasRange: true, Min: 0, Max: 7.25},
		scan.ColumnStats{Name: "flag", Type: scan.Bool, Physical: "BOOLEAN"},
		// 50 non-null rows: view 30 (0.6), cart 15 (0.3), other 5 (0.1)
		strCol("ev", 3, 0, vc("view", 30), vc("cart", 15), vc("other", 5)),
		strCol("country", 40, 0, vc("de", 10)), // 40/50 > 0.1: not categorical here
		strCol("note", 45, 0),
		scan.ColumnStats{Name: "empty", Type: scan.Float, Physical: "FLOAT", NullCount: 50},
		scan.ColumnStats{Name: "other", Physical: "INT96"},
	)
	empty := part("c", 0, 0, 0,
		intCol("uid", 0, 0), intCol("ts", 0, 0),
		scan.ColumnStats{Name: "price", Type: scan.Float, Physical: "DOUBLE"},
		scan.ColumnStats{Name: "flag", Type: scan.Bool, Physical: "BOOLEAN"},
		strCol("ev", 0, 0), strCol("country", 0, 0), strCol("note", 0, 0),
		scan.ColumnStats{Name: "empty", Type: scan.Float, Physical: "FLOAT"},
	)
	empty.schema.Columns[0].HasRange, empty.schema.Columns[1].HasRange = false, false

	s, err := mergeSchema("uid", "ts", []sampledPart{p1, p2}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ptr := func(f float64) *float64 { return &f }
	want := Schema{
		GroupColumn: "uid", TimestampColumn: "ts",
		Columns: map[string]ColumnSchema{
			"uid":   {Name: "uid", Type: query.TypeInt, DtypeName: "int64", NumericMin: ptr(0), NumericMax: ptr(19)},
			"ts":    {Name: "ts", Type: query.TypeInt, DtypeName: "int64", NumericMin: ptr(5), NumericMax: ptr(50)},
			"price": {Name: "price", Type: query.TypeFloat, DtypeName: "float64", NumericMin: ptr(-1.5), NumericMax: ptr(7.25)},
			"flag":  {Name: "flag", Type: query.TypeBool, DtypeName: "bool"},
			"ev": {Name: "ev", Type: query.TypeString, DtypeName: "object", Categorical: true,
				CatUniqueRatio: (4.0/100 + 3.0/50) / 2,
				// summed shares: view 1.1, cart 0.45, buy 0.25, then cut to 3 and halved; all >= 0.05
				CatTopValues: map[string]float64{"view": 0.55, "cart": 0.225, "buy": 0.125}},
			"country": {Name: "country", Type: query.TypeString, DtypeName: "object"},
			"note":    {Name: "note", Type: query.TypeString, DtypeName: "object"},
			"empty":   {Name: "empty", Type: query.TypeFloat, DtypeName: "float32"},
		},
		Unsupported:  map[string]string{"tags": "LIST"},
		MinTimestamp: 5,
		MaxTimestamp: 50,
	}
	if !approxShares(s.Columns["ev"].CatTopValues, want.Columns["ev"].CatTopValues) {
		t.Errorf("ev top values = %v, want %v", s.Columns["ev"].CatTopValues, want.Columns["ev"].CatTopValues)
	}
	for _, m := range []*Schema{&s, &want} {
		ev := m.Columns["ev"]
		ev.CatTopValues = nil
		m.Columns["ev"] = ev
	}
	if !reflect.DeepEqual(s, want) {
		for name, c := range s.Columns {
			if !reflect.DeepEqual(c, want.Columns[name]) {
				t.Errorf("column %s = %+v\nwant %+v", name, c, want.Columns[name])
			}
		}
		t.Fatalf("mergeSchema = %+v\nwant %+v", s, want)
	}

	// TopMinPct drops small shares; TopCount 0 drops the list; an empty part changes no range.
	cfg.TopMinPct = 0.2
	s, _ = mergeSchema("uid", "ts", []sampledPart{p1, p2}, cfg)
	if got := s.Columns["ev"].CatTopValues; !approxShares(got, map[string]float64{"view": 0.55, "cart": 0.225}) {
		t.Errorf("top values with TopMinPct 0.2 = %v", got)
	}
	cfg.TopCount = 0
	s, _ = mergeSchema("uid", "ts", []sampledPart{p1, p2}, cfg)
	if c := s.Columns["ev"]; !c.Categorical || c.CatTopValues != nil {
		t.Errorf("TopCount 0: %+v", c)
	}
	s, err = mergeSchema("uid", "ts", []sampledPart{empty, p1}, DefaultRegisterConfig())
	if err != nil {
		t.Fatal(err)
	}
	if s.MinTimestamp != 10 || s.MaxTimestamp != 50 || *s.Columns["uid"].NumericMin != 0 || *s.Columns["uid"].NumericMax != 9 {
		t.Errorf("with an empty part: ts [%v, %v], uid %+v", s.MinTimestamp, s.MaxTimestamp, s.Columns["uid"])
	}
	if s.Columns["ev"].Categorical {
		t.Error("a string column of an empty part counted as categorical")
	}
	if s.Unsupported != nil {
		t.Errorf("unsupported columns come from the first part only, got %v", s.Unsupported)
	}
	s, err = mergeSchema("uid", "ts", []sampledPart{empty}, DefaultRegisterConfig())
	if err != nil || s.Columns["ts"].NumericMin != nil || s.MinTimestamp != 0 {
		t.Errorf("only empty parts: %v, ts %+v", err, s.Columns["ts"])
	}
	if s := (&Dataset{Schema: s}); s.QuerySchema().HasTimestampRange {
		t.Error("QuerySchema claims a timestamp range for empty parts")
	}
	inf := part("d", 1, math.Inf(-1), 1, intCol("uid", 0, 0), scan.ColumnStats{Name: "ts", Type: scan.Float, Physical: "DOUBLE"})
	if _, err := mergeSchema("uid", "ts", []sampledPart{inf}, DefaultRegisterConfig()); err == nil || !strings.Contains(err.Error(), "/base/d") {
		t.Errorf("infinite timestamps: %v", err)
	}
}

// approxShares compares top-value maps up to rounding.
func approxShares(got, want map[string]float64) bool {
	if len(got) != len(want) {
		return false
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok || math.Abs(g-w) > 1e-12 {
			return false
		}
	}
	return true
}

func TestDtypeName(t *testing.T) {
	f := func(typ scan.Type, physical, want string) {
		t.Helper()
		if got := dtypeName(typ, physical); got != want {
			t.Errorf("dtypeName(%v, %q) = %q, want %q", typ, physical, got, want)
		}
	}
	f(scan.Int, "INT64", "int64")
	f(scan.Int, "INT32", "int32")
	f(scan.Int, "INT32 (INT(8,true))", "int8")
	f(scan.Int, "INT64 (INT(64,false))", "uint64")
	f(scan.Int, "INT32 (UINT_16)", "uint16")
	f(scan.Int, "INT32 (INT_16)", "int16")
	f(scan.Int, "INT64 (TIMESTAMP(isAdjustedToUTC=true,unit=MILLIS))", "int64")
	f(scan.Float, "FLOAT", "float32")
	f(scan.Float, "DOUBLE", "float64")
	f(scan.Bool, "BOOLEAN", "bool")
	f(scan.String, "BYTE_ARRAY (STRING)", "object")
}
