package scan

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// diffRow has a column of every kind the fast path decodes.
type diffRow struct {
	G    int64    `parquet:"g"`
	TS   int64    `parquet:"ts"`
	I32  int32    `parquet:"i32"`
	I64  int64    `parquet:"i64"`
	U32  uint32   `parquet:"u32"`
	U64  uint64   `parquet:"u64"`
	DI64 int64    `parquet:"di64,delta"`
	DI32 int32    `parquet:"di32,delta"`
	DU32 uint32   `parquet:"du32,delta"`
	F32  float32  `parquet:"f32"`
	F64  float64  `parquet:"f64"`
	B    bool     `parquet:"b"`
	S    string   `parquet:"s,dict"`
	PS   string   `parquet:"ps"`
	XI64 int64    `parquet:"xi64,dict"`
	XI32 int32    `parquet:"xi32,dict"`
	XF64 float64  `parquet:"xf64,dict"`
	XF32 float32  `parquet:"xf32,dict"`
	OI64 *int64   `parquet:"oi64"`
	OI32 *int32   `parquet:"oi32"`
	OF64 *float64 `parquet:"of64"`
	OB   *bool    `parquet:"ob"`
	OS   *string  `parquet:"os,dict"`
	OPS  *string  `parquet:"ops"`
}

var diffColumns = []string{"g", "ts", "i32", "i64", "u32", "u64", "di64", "di32", "du32", "f32", "f64", "b", "s", "ps",
	"xi64", "xi32", "xf64", "xf32", "oi64", "oi32", "of64", "ob", "os", "ops"}

// randDiffRows returns n rows; salt varies the string values so row groups get different
// dictionaries. Roughly nullPct percent of each optional column is null.
func randDiffRows(rng *rand.Rand, n, salt, nullPct int) []diffRow {
	rows := make([]diffRow, n)
	g, ts := int64(rng.IntN(100)), int64(rng.IntN(1000))
	for i := range rows {
		if rng.IntN(5) == 0 {
			g += 1 + int64(rng.IntN(3))
		}
		ts += int64(rng.IntN(50))
		r := &rows[i]
		r.G, r.TS = g, ts
		r.I32 = int32(rng.Uint32())
		r.I64 = int64(rng.Uint64())
		r.U32 = rng.Uint32()
		r.U64 = rng.Uint64() >> 1
		r.DI64 = []int64{int64(rng.Uint64()), ts, math.MinInt64, math.MaxInt64, int64(i)}[rng.IntN(5)]
		r.DI32 = []int32{int32(rng.Uint32()), int32(i), math.MinInt32, math.MaxInt32}[rng.IntN(4)]
		r.DU32 = []uint32{rng.Uint32(), uint32(i), math.MaxUint32}[rng.IntN(3)]
		r.F32 = []float32{float32(rng.NormFloat64()), float32(math.NaN()), float32(math.Inf(1)), 0}[rng.IntN(4)]
		r.F64 = []float64{rng.NormFloat64(), math.NaN(), math.Inf(-1), math.Copysign(0, -1)}[rng.IntN(4)]
		r.B = rng.IntN(3) == 0
		r.S = fmt.Sprintf("s%d-%d", salt, rng.IntN(20))
		r.PS = fmt.Sprintf("p%d", rng.IntN(1000))
		r.XI64 = int64(rng.IntN(30)) * 1e15
		r.XI32 = int32(rng.IntN(30)) - 15
		r.XF64 = []float64{1.5, -2, math.NaN(), float64(salt)}[rng.IntN(4)]
		r.XF32 = float32(rng.IntN(9)) / 4
		if rng.IntN(100) >= nullPct {
			v := int64(rng.Uint64())
			r.OI64 = &v
		}
		if rng.IntN(100) >= nullPct {
			v := int32(rng.IntN(1000))
			r.OI32 = &v
		}
		if rng.IntN(100) >= nullPct {
			v := []float64{rng.Float64(), math.NaN()}[rng.IntN(2)]
			r.OF64 = &v
		}
		if rng.IntN(100) >= nullPct {
			v := rng.IntN(2) == 0
			r.OB = &v
		}
		if rng.IntN(100) >= nullPct {
			v := fmt.Sprintf("o%d-%d", salt, rng.IntN(7))
			r.OS = &v
		}
		if rng.IntN(100) >= nullPct {
			v := fmt.Sprintf("q%d", rng.IntN(300))
			r.OPS = &v
		}
	}
	return rows
}

// diffLayout is one way of writing the differential test's files.
type diffLayout struct {
	name string
	opts []parquet.WriterOption
	// fallback is set when the fast path must leave every chunk to parquet-go, direct when some
	// pages are read straight into a column.
	fallback, direct bool
}

func diffLayouts() []diffLayout {
	deltaInts := []parquet.WriterOption{
		parquet.DefaultEncodingFor(parquet.Int64, &parquet.DeltaBinaryPacked),
		parquet.DefaultEncodingFor(parquet.Int32, &parquet.DeltaBinaryPacked),
	}
	return []diffLayout{
		{name: "v2", opts: nil, direct: true},
		{name: "v1", opts: []parquet.WriterOption{parquet.DataPageVersion(1)}, direct: true},
		{name: "v2-snappy", opts: []parquet.WriterOption{parquet.Compression(&parquet.Snappy)}},
		{name: "v1-snappy", opts: []parquet.WriterOption{parquet.DataPageVersion(1), parquet.Compression(&parquet.Snappy)}},
		{name: "v2-snappy-delta", opts: append([]parquet.WriterOption{parquet.Compression(&parquet.Snappy)}, deltaInts...)},
		{name: "v1-delta-tiny-pages", opts: append([]parquet.WriterOption{parquet.DataPageVersion(1), parquet.PageBufferSize(97)}, deltaInts...), direct: true},
		{name: "v2-snappy-tiny-pages", opts: []parquet.WriterOption{parquet.Compression(&parquet.Snappy), parquet.PageBufferSize(300)}},
		{name: "v1-small-pages", opts: []parquet.WriterOption{parquet.DataPageVersion(1), parquet.PageBufferSize(2048)}, direct: true},
		{name: "zstd", opts: []parquet.WriterOption{parquet.Compression(&parquet.Zstd)}, fallback: true},
		{name: "gzip-v1", opts: []parquet.WriterOption{parquet.DataPageVersion(1), parquet.Compression(&parquet.Gzip)}, fallback: true},
	}
}

// readBothWays reads path through the fast path and through parquet-go's page reader.
func readBothWays(t *testing.T, data []byte, req Request) (fast, slow *Table, fastErr, slowErr error) {
	t.Helper()
	for _, legacy := range []bool{false, true} {
		f, err := Open(bytes.NewReader(data), int64(len(data)), "diff.parquet")
		if err != nil {
			t.Fatal(err)
		}
		f.legacyDecode = legacy
		tbl, err := f.Read(req)
		if legacy {
			slow, slowErr = tbl, err
		} else {
			fast, fastErr = tbl, err
		}
	}
	return fast, slow, fastErr, slowErr
}

// diffTables reports the first difference between two tables, or "".
func diffTables(a, b *Table) string {
	switch {
	case a.Rows != b.Rows || a.WasSorted != b.WasSorted || a.GroupCount != b.GroupCount || a.RowGroups != b.RowGroups ||
		a.SkippedRowGroups != b.SkippedRowGroups || a.FileRows != b.FileRows:
		return fmt.Sprintf("shape: %d %v %d %d %d %d vs %d %v %d %d %d %d", a.Rows, a.WasSorted, a.GroupCount, a.RowGroups, a.SkippedRowGroups, a.FileRows,
			b.Rows, b.WasSorted, b.GroupCount, b.RowGroups, b.SkippedRowGroups, b.FileRows)
	case !slices.Equal(a.TS, b.TS):
		return "TS"
	case !slices.Equal(a.GroupStarts, b.GroupStarts) || !slices.Equal(a.GroupOf, b.GroupOf) || !slices.Equal(a.GroupRows, b.GroupRows):
		return "groups"
	case len(a.Columns) != len(b.Columns):
		return "column count"
	}
	if d := diffColumn(a.Group, b.Group); d != "" {
		return "group column: " + d
	}
	for name, ca := range a.Columns {
		if d := diffColumn(ca, b.Columns[name]); d != "" {
			return name + ": " + d
		}
	}
	return ""
}

func diffColumn(a, b *Column) string {
	if b == nil {
		return "missing"
	}
	floatBits := func(v []float64) []uint64 {
		out := make([]uint64, len(v))
		for i, f := range v {
			out[i] = math.Float64bits(f)
		}
		return out
	}
	switch {
	case a.Name != b.Name || a.Type != b.Type:
		return "name or type"
	case !slices.Equal(a.Ints, b.Ints):
		return "ints"
	case !slices.Equal(floatBits(a.Floats), floatBits(b.Floats)):
		return "floats"
	case !slices.Equal(a.Bools, b.Bools):
		return "bools"
	case !slices.Equal(a.Codes, b.Codes):
		return "codes"
	case !slices.Equal(a.Dict, b.Dict):
		return "dictionary"
	case !slices.Equal(a.Nulls, b.Nulls) || (a.Nulls == nil) != (b.Nulls == nil):
		return "nulls"
	}
	return ""
}

// TestFastPathMatchesParquetGo writes files in many layouts and checks that the fast path and
// parquet-go's page reader give identical tables, and that the fast path really decoded every
// chunk (or, for codecs it leaves alone, none).
func TestFastPathMatchesParquetGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	for _, layout := range diffLayouts() {
		for _, shape := range []struct {
			name    string
			groups  []int // rows per row group; 0 is an empty row group
			nullPct int
		}{
			{"one-group", []int{1000}, 30},
			{"many-groups", []int{1, 300, 0, 129, 2000, 64}, 50},
			{"no-nulls", []int{513, 700}, 0},
			{"all-null", []int{200, 65}, 100},
		} {
			name := layout.name + "/" + shape.name
			var groups [][]diffRow
			for i, n := range shape.groups {
				groups = append(groups, randDiffRows(rng, n, i, shape.nullPct))
			}
			data := writeDiffFile(t, groups, layout.opts...)
			for _, req := range []Request{
				{GroupColumn: "g", TimestampColumn: "ts", Columns: diffColumns},
				{GroupColumn: "s", TimestampColumn: "ts", Columns: []string{"os", "ps", "oi32"}, Buffers: &Buffers{}},
				{GroupColumn: "g", TimestampColumn: "f64", Columns: []string{"di64", "ob"}},
			} {
				fast, slow, fastErr, slowErr := readBothWays(t, data, req)
				if (fastErr == nil) != (slowErr == nil) {
					t.Fatalf("%s %s: fast path error %v, parquet-go error %v", name, req.GroupColumn, fastErr, slowErr)
				}
				if fastErr != nil {
					continue // e.g. NaN timestamps: both refuse the file
				}
				if d := diffTables(fast, slow); d != "" {
					t.Fatalf("%s group %s: tables differ: %s", name, req.GroupColumn, d)
				}
				if fast.RowGroups != len(shape.groups) {
					t.Fatalf("%s: %d row groups, want %d", name, fast.RowGroups, len(shape.groups))
				}
				if slow.fastChunks != 0 {
					t.Fatalf("%s: the parquet-go path took the fast path", name)
				}
				if layout.fallback && fast.fastChunks != 0 || !layout.fallback && fast.slowChunks != 0 {
					t.Fatalf("%s: %d chunks took the fast path, %d parquet-go", name, fast.fastChunks, fast.slowChunks)
				}
				// Uncompressed files have PLAIN INT64 and DOUBLE columns read straight into the table.
				if direct := fast.directPages > 0; direct != layout.direct && req.GroupColumn == "g" {
					t.Fatalf("%s: %d pages read straight into a column", name, fast.directPages)
				}
			}
			checkInspectBothWays(t, name, data)
		}
	}
}

// writeDiffFile writes each non-empty slice of rows as one row group. parquet-go writes no empty
// row group, so for each empty slice the footer is rewritten to list one in the middle: a copy of
// a row group's metadata with no rows.
func writeDiffFile(t *testing.T, groups [][]diffRow, opts ...parquet.WriterOption) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[diffRow](&buf, opts...)
	empty := 0
	for _, rows := range groups {
		if len(rows) == 0 {
			empty++
			continue
		}
		if _, err := w.Write(rows); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	if empty == 0 {
		return data
	}
	footerLen := int(binary.LittleEndian.Uint32(data[len(data)-8:]))
	body := data[:len(data)-8-footerLen]
	var md format.FileMetaData
	if err := thrift.Unmarshal(&thrift.CompactProtocol{}, data[len(body):len(data)-8], &md); err != nil {
		t.Fatal(err)
	}
	for range empty {
		at := len(md.RowGroups) / 2
		rg := md.RowGroups[at]
		rg.NumRows, rg.TotalByteSize = 0, 0
		md.RowGroups = slices.Insert(md.RowGroups, at, rg)
	}
	for i := range md.RowGroups {
		md.RowGroups[i].Ordinal = int16(i)
	}
	footer, err := thrift.Marshal(&thrift.CompactProtocol{}, &md)
	if err != nil {
		t.Fatal(err)
	}
	out := append(slices.Clone(body), footer...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(footer)))
	return append(out, "PAR1"...)
}

func checkInspectBothWays(t *testing.T, name string, data []byte) {
	t.Helper()
	var got [2]string
	for i, legacy := range []bool{false, true} {
		f, err := Open(bytes.NewReader(data), int64(len(data)), "diff.parquet")
		if err != nil {
			t.Fatal(err)
		}
		f.legacyDecode = legacy
		s, err := f.Inspect("g", "ts", 5)
		if err != nil {
			t.Fatalf("%s: inspect: %v", name, err)
		}
		got[i] = fmt.Sprintf("%+v", *s)
	}
	if got[0] != got[1] {
		t.Fatalf("%s: Inspect differs:\n%s\n%s", name, got[0], got[1])
	}
}

// TestFastPathOnFrocketLayout checks the layout frocket's generator and prepare write (sorted,
// DELTA_BINARY_PACKED integers, dictionary strings, snappy, data page v2) goes entirely through
// the fast path and matches parquet-go.
func TestFastPathOnFrocketLayout(t *testing.T) {
	type row struct {
		UserID    int64    `parquet:"userId,delta"`
		Timestamp int64    `parquet:"timestamp,delta"`
		EventType string   `parquet:"eventType,dict"`
		Price     *float64 `parquet:"price"`
		Quantity  *int64   `parquet:"quantity"`
		LoggedIn  bool     `parquet:"loggedIn"`
	}
	rng := rand.New(rand.NewPCG(43, 44))
	types := []string{"pageView", "click", "addToCart", "purchase"}
	var rows []row
	for u := range 3000 {
		ts := int64(1_600_000_000_000) + rng.Int64N(1e6)
		for range 1 + rng.IntN(40) {
			ts += rng.Int64N(60_000)
			r := row{UserID: int64(u) * 7919, Timestamp: ts, EventType: types[rng.IntN(len(types))], LoggedIn: rng.IntN(2) == 0}
			if rng.IntN(5) == 0 {
				p, q := rng.Float64()*100, 1+rng.Int64N(5)
				r.Price, r.Quantity = &p, &q
			}
			rows = append(rows, r)
		}
	}
	var groups [][]row
	for chunk := range slices.Chunk(rows, 20_000) {
		groups = append(groups, chunk)
	}
	path := writeGroups(t, groups, parquet.Compression(&parquet.Snappy),
		parquet.DefaultEncodingFor(parquet.Int64, &parquet.DeltaBinaryPacked))
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Open(bytes.NewReader(data), int64(len(data)), path)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range f.pq.Metadata().RowGroups {
		for _, c := range g.Columns {
			if c.MetaData.Codec != format.Snappy {
				t.Fatalf("column %v: codec %v", c.MetaData.PathInSchema, c.MetaData.Codec)
			}
		}
	}
	req := Request{GroupColumn: "userId", TimestampColumn: "timestamp", Columns: []string{"eventType", "price", "quantity", "loggedIn"}}
	fast, slow, fastErr, slowErr := readBothWays(t, data, req)
	if fastErr != nil || slowErr != nil {
		t.Fatalf("errors: %v, %v", fastErr, slowErr)
	}
	if d := diffTables(fast, slow); d != "" {
		t.Fatalf("tables differ: %s", d)
	}
	if fast.slowChunks != 0 || fast.fastChunks != 6*len(groups) || !fast.WasSorted || fast.Rows != len(rows) {
		t.Fatalf("fast chunks %d, slow %d, sorted %v, rows %d", fast.fastChunks, fast.slowChunks, fast.WasSorted, fast.Rows)
	}
}
