package scan

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

type intRow struct {
	UID  int64  `parquet:"uid"`
	TS   int64  `parquet:"ts"`
	I8   int8   `parquet:"i8"`
	I16  int16  `parquet:"i16"`
	I32  int32  `parquet:"i32"`
	I64  int64  `parquet:"i64"`
	U8   uint8  `parquet:"u8"`
	U16  uint16 `parquet:"u16"`
	U32  uint32 `parquet:"u32"`
	U64  uint64 `parquet:"u64"`
	D64  int64  `parquet:"d64,dict"`
	DU32 uint32 `parquet:"du32,dict"`
	O32  *int32 `parquet:"o32"`
	OU64 *uint64
}

func TestIntegerWidths(t *testing.T) {
	i32 := func(v int32) *int32 { return &v }
	u64 := func(v uint64) *uint64 { return &v }
	rows := []intRow{
		{UID: 1, TS: 1, I8: math.MinInt8, I16: math.MinInt16, I32: math.MinInt32, I64: math.MinInt64,
			U8: 0, U16: 0, U32: 0, U64: 0, D64: -5, DU32: math.MaxUint32, O32: i32(-7), OU64: nil},
		{UID: 1, TS: 2, I8: math.MaxInt8, I16: math.MaxInt16, I32: math.MaxInt32, I64: math.MaxInt64,
			U8: math.MaxUint8, U16: math.MaxUint16, U32: math.MaxUint32, U64: math.MaxInt64, D64: 7, DU32: 3, O32: nil, OU64: u64(math.MaxInt64)},
		{UID: 1, TS: 3, I8: -1, I16: -1, I32: -1, I64: -1, U8: 1, U16: 1, U32: 1 << 31, U64: 1 << 62,
			D64: -5, DU32: math.MaxUint32, O32: i32(math.MaxInt32), OU64: u64(0)},
	}
	cols := []string{"i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "d64", "du32", "o32", "OU64"}
	for _, version := range []int{1, 2} {
		path := writeRows(t, rows, parquet.DataPageVersion(version))
		requireDictionary(t, path, "d64", "du32")
		tbl := mustRead(t, path, Request{GroupColumn: "uid", TimestampColumn: "ts", Columns: cols})
		want := map[string][]int64{
			"i8":   {math.MinInt8, math.MaxInt8, -1},
			"i16":  {math.MinInt16, math.MaxInt16, -1},
			"i32":  {math.MinInt32, math.MaxInt32, -1},
			"i64":  {math.MinInt64, math.MaxInt64, -1},
			"u8":   {0, math.MaxUint8, 1},
			"u16":  {0, math.MaxUint16, 1},
			"u32":  {0, math.MaxUint32, 1 << 31},
			"u64":  {0, math.MaxInt64, 1 << 62},
			"d64":  {-5, 7, -5},
			"du32": {math.MaxUint32, 3, math.MaxUint32},
			"o32":  {-7, 0, math.MaxInt32},
			"OU64": {0, math.MaxInt64, 0},
		}
		nulls := map[string][]bool{"o32": {false, true, false}, "OU64": {true, false, false}}
		for _, name := range cols {
			c := tbl.Columns[name]
			if c.Type != Int {
				t.Fatalf("v%d %s: type %v", version, name, c.Type)
			}
			if !slices.Equal(c.Ints, want[name]) {
				t.Errorf("v%d %s = %v, want %v", version, name, c.Ints, want[name])
			}
			for i := range 3 {
				if c.IsNull(i) != (nulls[name] != nil && nulls[name][i]) {
					t.Errorf("v%d %s row %d: null = %v", version, name, i, c.IsNull(i))
				}
			}
			if nulls[name] == nil && c.Nulls != nil {
				t.Errorf("v%d %s: Nulls set on a column without nulls", version, name)
			}
		}
	}
}

func TestUint64Overflow(t *testing.T) {
	type row struct {
		UID int64  `parquet:"uid"`
		TS  int64  `parquet:"ts"`
		Big uint64 `parquet:"big"`
	}
	path := writeRows(t, []row{{1, 1, 5}, {1, 2, math.MaxInt64 + 1}})
	_, err := ReadPath(path, Request{GroupColumn: "uid", TimestampColumn: "ts", Columns: []string{"big"}})
	if err == nil || !strings.Contains(err.Error(), `"big"`) || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v, want an error naming column big and the file", err)
	}
	// Without the column the file reads fine.
	mustRead(t, path, Request{GroupColumn: "uid", TimestampColumn: "ts"})
}

type floatRow struct {
	UID int64    `parquet:"uid"`
	TS  int64    `parquet:"ts"`
	F32 float32  `parquet:"f32"`
	F64 float64  `parquet:"f64"`
	O64 *float64 `parquet:"o64"`
	D64 float64  `parquet:"d64,dict"`
	B   bool     `parquet:"b"`
	OB  *bool    `parquet:"ob"`
}

func TestFloatsAndBools(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	b := func(v bool) *bool { return &v }
	nan := math.NaN()
	rows := []floatRow{
		{UID: 1, TS: 1, F32: 1.5, F64: -2.25, O64: nil, D64: nan, B: true, OB: nil},
		{UID: 1, TS: 2, F32: float32(nan), F64: nan, O64: f(nan), D64: 3, B: false, OB: b(true)},
		{UID: 1, TS: 3, F32: float32(math.Inf(-1)), F64: math.MaxFloat64, O64: f(0.5), D64: 3, B: true, OB: b(false)},
	}
	// Pad to several pages worth of rows to exercise page boundaries of the bit-packed booleans.
	for i := 4; i < 3000; i++ {
		rows = append(rows, floatRow{UID: 1, TS: int64(i), F32: float32(i), F64: float64(i), O64: f(float64(i)), D64: float64(i % 7), B: i%3 == 0, OB: b(i%5 == 0)})
	}
	cols := []string{"f32", "f64", "o64", "d64", "b", "ob"}
	for _, version := range []int{1, 2} {
		path := writeRows(t, rows, parquet.DataPageVersion(version), parquet.PageBufferSize(1024))
		requireDictionary(t, path, "d64")
		tbl := mustRead(t, path, Request{GroupColumn: "uid", TimestampColumn: "ts", Columns: cols})
		for i, r := range rows {
			checkFloat(t, tbl.Columns["f32"], i, float64(r.F32), false)
			checkFloat(t, tbl.Columns["f64"], i, r.F64, false)
			if r.O64 == nil {
				checkFloat(t, tbl.Columns["o64"], i, nan, false)
			} else {
				checkFloat(t, tbl.Columns["o64"], i, *r.O64, false)
			}
			checkFloat(t, tbl.Columns["d64"], i, r.D64, false)
			bc, obc := tbl.Columns["b"], tbl.Columns["ob"]
			if bc.Bools[i] != r.B || bc.IsNull(i) {
				t.Fatalf("v%d b row %d = %v, want %v", version, i, bc.Bools[i], r.B)
			}
			switch {
			case r.OB == nil && (!obc.IsNull(i) || obc.Bools[i]):
				t.Fatalf("v%d ob row %d should be a null holding false", version, i)
			case r.OB != nil && (obc.IsNull(i) || obc.Bools[i] != *r.OB):
				t.Fatalf("v%d ob row %d = %v, want %v", version, i, obc.Bools[i], *r.OB)
			}
		}
		if tbl.Columns["b"].Nulls != nil {
			t.Errorf("b has a null bitmap")
		}
	}
}

// checkFloat checks row i of a Float column: NaN means null (holding 0).
func checkFloat(t *testing.T, c *Column, i int, want float64, _ bool) {
	t.Helper()
	if math.IsNaN(want) {
		if !c.IsNull(i) || c.Floats[i] != 0 {
			t.Fatalf("%s row %d: want a null holding 0, got %v (null %v)", c.Name, i, c.Floats[i], c.IsNull(i))
		}
		return
	}
	if c.IsNull(i) || c.Floats[i] != want {
		t.Fatalf("%s row %d = %v (null %v), want %v", c.Name, i, c.Floats[i], c.IsNull(i), want)
	}
}

type strRow struct {
	UID   int64   `parquet:"uid"`
	TS    int64   `parquet:"ts"`
	Dict  string  `parquet:"dict,dict"`
	Plain string  `parquet:"plain"`
	ODict *string `parquet:"odict,dict"`
	OPl   *string `parquet:"opl"`
	Enum  string  `parquet:"enum,enum"`
	Bin   []byte  `parquet:"bin"`
}

func TestStrings(t *testing.T) {
	s := func(v string) *string { return &v }
	// Three row groups whose dictionaries overlap only partly and list values in other orders.
	groups := [][]strRow{
		{
			{UID: 1, TS: 1, Dict: "b", Plain: "x", ODict: s("p"), OPl: nil, Enum: "E1", Bin: []byte{0, 1}},
			{UID: 1, TS: 2, Dict: "a", Plain: "y", ODict: nil, OPl: s(""), Enum: "E2", Bin: []byte{}},
			{UID: 1, TS: 3, Dict: "b", Plain: "x", ODict: s("q"), OPl: s("z"), Enum: "E1", Bin: []byte{0xff}},
		},
		{
			{UID: 1, TS: 4, Dict: "c", Plain: "", ODict: s("q"), OPl: nil, Enum: "E3", Bin: []byte{0, 1}},
			{UID: 1, TS: 5, Dict: "a", Plain: "y", ODict: nil, OPl: nil, Enum: "E3", Bin: nil},
		},
		{
			{UID: 1, TS: 6, Dict: "d", Plain: "héllo", ODict: s("p"), OPl: s("z"), Enum: "E1", Bin: []byte("x")},
			{UID: 1, TS: 7, Dict: "b", Plain: "x", ODict: s("r"), OPl: s(""), Enum: "E2", Bin: []byte("x")},
		},
	}
	var all []strRow
	for _, g := range groups {
		all = append(all, g...)
	}
	path := writeGroups(t, groups)
	requireDictionary(t, path, "dict", "odict")
	requirePlain(t, path, "plain", "opl", "bin")
	f, closer, err := OpenPath(path)
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	for _, ci := range f.Columns() {
		if ci.Name == "uid" || ci.Name == "ts" {
			continue
		}
		if ci.Type != String {
			t.Errorf("column %s: type %v (%s), want STRING", ci.Name, ci.Type, ci.Physical)
		}
	}
	cols := []string{"dict", "plain", "odict", "opl", "enum", "bin"}
	tbl, err := f.Read(Request{GroupColumn: "uid", TimestampColumn: "ts", Columns: cols})
	if err != nil {
		t.Fatal(err)
	}
	checkTable(t, tbl)
	orNull := func(p *string) string {
		if p == nil {
			return "<null>"
		}
		return *p
	}
	for i, r := range all {
		got := []string{strAt(tbl.Columns["dict"], i), strAt(tbl.Columns["plain"], i), strAt(tbl.Columns["odict"], i),
			strAt(tbl.Columns["opl"], i), strAt(tbl.Columns["enum"], i), strAt(tbl.Columns["bin"], i)}
		want := []string{r.Dict, r.Plain, orNull(r.ODict), orNull(r.OPl), r.Enum, string(r.Bin)}
		if !slices.Equal(got, want) {
			t.Errorf("row %d = %q, want %q", i, got, want)
		}
	}
	if d := tbl.Columns["dict"].Dict; len(d) != 4 {
		t.Errorf("dict dictionary %q, want the 4 distinct values once each", d)
	}
	if d := tbl.Columns["odict"].Dict; len(d) != 3 {
		t.Errorf("odict dictionary %q, want 3 values", d)
	}
	if tbl.Columns["dict"].Nulls != nil || tbl.Columns["odict"].Nulls == nil {
		t.Errorf("null bitmaps: dict %v, odict %v", tbl.Columns["dict"].Nulls, tbl.Columns["odict"].Nulls)
	}
	if tbl.Columns["odict"].NullCode() != 3 || tbl.Columns["odict"].Codes[1] != 3 {
		t.Errorf("odict null code %d, row 1 code %d", tbl.Columns["odict"].NullCode(), tbl.Columns["odict"].Codes[1])
	}
}

type unsupportedRow struct {
	Nested struct {
		A int64 `parquet:"a"`
		B string
	} `parquet:"nested"`
	List  []int64  `parquet:"list,list"`
	Rep   []string `parquet:"rep"`
	UUID  [16]byte `parquet:"uuid"`
	UID   int64    `parquet:"uid"`
	TS    float64  `parquet:"ts"`
	Dec   int64    `parquet:"dec,decimal(2:18)"`
	Fixed [3]byte  `parquet:"fixed"`
	Stamp int64    `parquet:"stamp,timestamp(millisecond)"`
	Date  int32    `parquet:"date,date"`
	X     string   `parquet:"x,optional"`
}

func TestColumnsAndUnsupported(t *testing.T) {
	rows := []unsupportedRow{{UID: 2, TS: 1.5, X: "a", Stamp: 1700000000000, Date: 19000}, {UID: 1, TS: 0.5, List: []int64{1}, Rep: []string{"r"}, Stamp: -1, Date: -3}}
	path := writeRows(t, rows)
	f, closer, err := OpenPath(path)
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	want := []ColumnInfo{
		{Name: "nested", Type: 0, Physical: "GROUP"},
		{Name: "list", Type: 0, Physical: "LIST"},
		{Name: "rep", Type: 0, Physical: "REPEATED BYTE_ARRAY (STRING)"},
		{Name: "uuid", Type: 0, Physical: "FIXED_LEN_BYTE_ARRAY"},
		{Name: "uid", Type: Int, Physical: "INT64"},
		{Name: "ts", Type: Float, Physical: "DOUBLE"},
		{Name: "dec", Type: 0, Physical: "INT64 (DECIMAL(18,2))"},
		{Name: "fixed", Type: 0, Physical: "FIXED_LEN_BYTE_ARRAY"},
		{Name: "stamp", Type: Int, Physical: "INT64 (TIMESTAMP(isAdjustedToUTC=true,unit=MILLIS))"},
		{Name: "date", Type: Int, Physical: "INT32 (DATE)"},
		{Name: "x", Type: String, Physical: "BYTE_ARRAY (STRING)", Optional: true},
	}
	got := f.Columns()
	if len(got) != len(want) {
		t.Fatalf("columns %+v", got)
	}
	for i := range want {
		if got[i].Name != want[i].Name || got[i].Type != want[i].Type || got[i].Optional != want[i].Optional || got[i].Physical != want[i].Physical {
			t.Errorf("column %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if f.NumRows() != 2 {
		t.Errorf("NumRows = %d", f.NumRows())
	}
	// Columns after nested ones map to the right column chunks.
	tbl, err := f.Read(Request{GroupColumn: "uid", TimestampColumn: "ts", Columns: []string{"x", "stamp", "date", "ts"}})
	if err != nil {
		t.Fatal(err)
	}
	checkTable(t, tbl)
	if !slices.Equal(tbl.Group.Ints, []int64{1, 2}) || strAt(tbl.Columns["x"], 0) != "<null>" || strAt(tbl.Columns["x"], 1) != "a" {
		t.Errorf("group %v x %q %q", tbl.Group.Ints, strAt(tbl.Columns["x"], 0), strAt(tbl.Columns["x"], 1))
	}
	if !slices.Equal(tbl.Columns["stamp"].Ints, []int64{-1, 1700000000000}) || !slices.Equal(tbl.Columns["date"].Ints, []int64{-3, 19000}) {
		t.Errorf("stamp %v date %v", tbl.Columns["stamp"].Ints, tbl.Columns["date"].Ints)
	}
	if !slices.Equal(tbl.Columns["ts"].Floats, []float64{0.5, 1.5}) {
		t.Errorf("ts %v", tbl.Columns["ts"].Floats)
	}
	for _, name := range []string{"nested", "list", "rep", "uuid", "dec", "fixed"} {
		_, err := f.Read(Request{GroupColumn: "uid", TimestampColumn: "ts", Columns: []string{name}})
		if err == nil || !strings.Contains(err.Error(), `"`+name+`"`) || !strings.Contains(err.Error(), "unsupported") {
			t.Errorf("read %s: err = %v, want an unsupported-column error naming it", name, err)
		}
	}
	if _, err := f.Read(Request{GroupColumn: "nested", TimestampColumn: "ts"}); err == nil {
		t.Errorf("an unsupported group column was accepted")
	}
	if _, err := f.Read(Request{GroupColumn: "uid", TimestampColumn: "x"}); err == nil || !strings.Contains(err.Error(), "timestamp") {
		t.Errorf("a string timestamp column: err = %v", err)
	}
	_, err = f.Read(Request{GroupColumn: "uid", TimestampColumn: "ts", Columns: []string{"nope"}})
	if err == nil || !strings.Contains(err.Error(), `"nope"`) || !strings.Contains(err.Error(), path) {
		t.Errorf("missing column: err = %v", err)
	}
	if _, err = f.Read(Request{GroupColumn: "nope", TimestampColumn: "ts"}); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("missing group column: err = %v", err)
	}
}
