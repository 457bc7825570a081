package scan

import (
	"math"
	"slices"
	"strings"
	"testing"
)

type inspectRow struct {
	UID   int64    `parquet:"uid"`
	TS    float64  `parquet:"ts"`
	Kind  string   `parquet:"kind,dict"`
	Note  *string  `parquet:"note"`
	Price *float64 `parquet:"price"`
	Qty   *int32   `parquet:"qty"`
	Flag  bool     `parquet:"flag"`
	Tags  []string `parquet:"tags,list"`
}

func inspectPath(t *testing.T, path, group, ts string, topN int) (*FileSchema, error) {
	t.Helper()
	f, closer, err := OpenPath(path)
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	return f.Inspect(group, ts, topN)
}

func TestInspect(t *testing.T) {
	s := func(v string) *string { return &v }
	fl := func(v float64) *float64 { return &v }
	i32 := func(v int32) *int32 { return &v }
	groups := [][]inspectRow{
		{
			{UID: 30, TS: 5.5, Kind: "view", Note: s("x"), Price: fl(2.5), Qty: i32(-4), Tags: []string{"a"}},
			{UID: 10, TS: -1, Kind: "click", Note: nil, Price: fl(math.NaN()), Qty: nil},
			{UID: 30, TS: 7, Kind: "view", Note: s("y"), Price: nil, Qty: i32(9)},
		},
		{
			{UID: 20, TS: 100.25, Kind: "buy", Note: s("x"), Price: fl(-1), Qty: i32(0)},
			{UID: 10, TS: 3, Kind: "click", Note: nil, Price: fl(10), Qty: nil},
			{UID: 10, TS: 3, Kind: "view", Note: s("z"), Price: nil, Qty: nil},
			{UID: 40, TS: 0, Kind: "apple", Note: nil, Price: nil, Qty: nil},
		},
	}
	path := writeGroups(t, groups)
	sch, err := inspectPath(t, path, "uid", "ts", 2)
	if err != nil {
		t.Fatal(err)
	}
	if sch.Rows != 7 || sch.MinTimestamp != -1 || sch.MaxTimestamp != 100.25 {
		t.Errorf("rows %d, ts [%v, %v]", sch.Rows, sch.MinTimestamp, sch.MaxTimestamp)
	}
	if !slices.Equal(sch.GroupIDsInt, []int64{10, 20, 30, 40}) || sch.GroupIDsString != nil {
		t.Errorf("group ids %v %v", sch.GroupIDsInt, sch.GroupIDsString)
	}
	byName := map[string]ColumnStats{}
	var names []string
	for _, c := range sch.Columns {
		byName[c.Name] = c
		names = append(names, c.Name)
	}
	if !slices.Equal(names, []string{"uid", "ts", "kind", "note", "price", "qty", "flag", "tags"}) {
		t.Fatalf("columns %v", names)
	}
	check := func(name string, want ColumnStats) {
		t.Helper()
		got := byName[name]
		want.Name = name
		got.Physical, want.Physical = "", ""
		if got.Name != want.Name || got.Type != want.Type || got.NullCount != want.NullCount || got.HasRange != want.HasRange ||
			got.Min != want.Min || got.Max != want.Max || got.Distinct != want.Distinct || !slices.Equal(got.Top, want.Top) {
			t.Errorf("%s:\n got  %+v\n want %+v", name, got, want)
		}
	}
	check("uid", ColumnStats{Type: Int, HasRange: true, Min: 10, Max: 40})
	check("ts", ColumnStats{Type: Float, HasRange: true, Min: -1, Max: 100.25})
	// count desc, then value asc; topN = 2 cuts "buy" and "apple".
	check("kind", ColumnStats{Type: String, Distinct: 4, Top: []ValueCount{{"view", 3}, {"click", 2}}})
	check("note", ColumnStats{Type: String, NullCount: 3, Distinct: 3, Top: []ValueCount{{"x", 2}, {"y", 1}}})
	check("price", ColumnStats{Type: Float, NullCount: 4, HasRange: true, Min: -1, Max: 10}) // NaN counts as null
	check("qty", ColumnStats{Type: Int, NullCount: 4, HasRange: true, Min: -4, Max: 9})
	check("flag", ColumnStats{Type: Bool})
	check("tags", ColumnStats{Type: 0})
	if byName["tags"].Physical != "LIST" || byName["kind"].Physical != "BYTE_ARRAY (STRING)" {
		t.Errorf("physical: tags %q kind %q", byName["tags"].Physical, byName["kind"].Physical)
	}

	// String group ids, all-null columns.
	type strRow struct {
		User string   `parquet:"user"`
		TS   int64    `parquet:"ts"`
		None *float64 `parquet:"none"`
		Nstr *string  `parquet:"nstr"`
	}
	path = writeRows(t, []strRow{{User: "b", TS: 4}, {User: "a", TS: -2}, {User: "b", TS: 9}, {User: "", TS: 1}})
	sch, err = inspectPath(t, path, "user", "ts", 10)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sch.GroupIDsString, []string{"", "a", "b"}) || sch.GroupIDsInt != nil || sch.MinTimestamp != -2 || sch.MaxTimestamp != 9 {
		t.Errorf("ids %q %v ts [%v, %v]", sch.GroupIDsString, sch.GroupIDsInt, sch.MinTimestamp, sch.MaxTimestamp)
	}
	if c := sch.Columns[2]; c.NullCount != 4 || c.HasRange {
		t.Errorf("all-null float: %+v", c)
	}
	if c := sch.Columns[3]; c.NullCount != 4 || c.Distinct != 0 || len(c.Top) != 0 {
		t.Errorf("all-null string: %+v", c)
	}
	if c := sch.Columns[0]; c.Distinct != 3 || !slices.Equal(c.Top, []ValueCount{{"b", 2}, {"", 1}, {"a", 1}}) {
		t.Errorf("user: %+v", c)
	}
}

func TestInspectValidation(t *testing.T) {
	s := func(v string) *string { return &v }
	fl := func(v float64) *float64 { return &v }
	type row struct {
		UID  *int64   `parquet:"uid"`
		TS   *float64 `parquet:"ts"`
		Kind *string  `parquet:"kind"`
		F    float64  `parquet:"f"`
		Tags []string `parquet:"tags,list"`
	}
	one := int64(1)
	f := func(rows []row, group, ts, wantErr string) {
		t.Helper()
		path := writeRows(t, rows)
		_, err := inspectPath(t, path, group, ts, 5)
		if err == nil || !strings.Contains(err.Error(), wantErr) || !strings.Contains(err.Error(), path) {
			t.Errorf("group %s ts %s: err = %v, want it to contain %q and the file", group, ts, err, wantErr)
		}
	}
	ok := []row{{UID: &one, TS: fl(1), Kind: s("a")}}
	f(ok, "nope", "ts", `column "nope" not found`)
	f(ok, "uid", "nope", `column "nope" not found`)
	f(ok, "f", "ts", "must be either integer or string")
	f(ok, "tags", "ts", "unsupported")
	f(ok, "uid", "kind", "not numeric")
	f([]row{{UID: &one, TS: fl(1)}, {UID: nil, TS: fl(2)}}, "uid", "ts", "null")
	f([]row{{UID: &one, TS: fl(1)}, {UID: &one, TS: nil}}, "uid", "ts", "null")
	f([]row{{UID: &one, TS: fl(1)}, {UID: &one, TS: fl(math.NaN())}}, "uid", "ts", "NaN")
	if _, err := inspectPath(t, writeRows(t, ok), "kind", "f", 5); err != nil {
		t.Errorf("a string group and float ts: %v", err)
	}
}
