package scan

import (
	"cmp"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"
)

type propRow struct {
	G   int64    `parquet:"g"`
	S   string   `parquet:"s,dict"`
	TS  int64    `parquet:"ts"`
	FT  float64  `parquet:"ft"`
	OI  *int32   `parquet:"oi"`
	OF  *float64 `parquet:"of"`
	OB  *bool    `parquet:"ob"`
	OS  *string  `parquet:"os,dict"`
	PS  *string  `parquet:"ps"`
	U16 uint16   `parquet:"u16"`
}

var propFloats = []float64{math.Inf(-1), -1e18, -2.5, -1, math.Copysign(0, -1), 0, 0.25, 1, 1e18, math.Inf(1)}

func randPropRow(rng *rand.Rand, groups int) propRow {
	r := propRow{
		G:   int64(rng.IntN(groups)) - int64(groups/2),
		TS:  int64(rng.IntN(50)) - 10,
		U16: uint16(rng.IntN(math.MaxUint16 + 1)),
	}
	r.S = fmt.Sprintf("u%d", rng.IntN(groups))
	if rng.IntN(4) == 0 {
		r.FT = propFloats[rng.IntN(len(propFloats))]
	} else {
		r.FT = float64(rng.IntN(40)) / 4
	}
	if rng.IntN(3) > 0 {
		v := int32(rng.Uint32())
		r.OI = &v
	}
	if rng.IntN(3) > 0 {
		v := rng.NormFloat64()
		if rng.IntN(10) == 0 {
			v = math.NaN()
		}
		r.OF = &v
	}
	if rng.IntN(2) > 0 {
		v := rng.IntN(2) == 0
		r.OB = &v
	}
	if rng.IntN(3) > 0 {
		v := fmt.Sprintf("s%d", rng.IntN(12))
		r.OS = &v
	}
	if rng.IntN(3) > 0 {
		v := fmt.Sprintf("p%d", rng.IntN(1000))
		r.PS = &v
	}
	return r
}

// TestReadProperty writes random tables at edge lengths and checks that Read returns exactly
// the rows a naive filter and stable sort produce.
func TestReadProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	// Every table is released into bufs once checked, so later reads run on recycled slices
	// whose old contents must never show.
	bufs := &Buffers{}
	for _, n := range []int{0, 1, 2, 63, 64, 65, 1023, 1024, 1025} {
		for variant := range 6 {
			groups := 1 + rng.IntN(max(n/8, 1))
			rows := make([]propRow, n)
			for i := range rows {
				rows[i] = randPropRow(rng, groups)
			}
			stringGroup := variant&1 == 1
			floatTS := variant&2 == 2
			if variant >= 4 { // write some files already ordered
				slices.SortStableFunc(rows, func(a, b propRow) int { return propCmp(a, b, stringGroup, floatTS) })
			}
			var rgs [][]propRow
			for rest := rows; len(rest) > 0; {
				k := 1 + rng.IntN(len(rest))
				rgs, rest = append(rgs, rest[:k]), rest[k:]
			}
			opts := []parquet.WriterOption{parquet.DataPageVersion(1 + rng.IntN(2)), parquet.PageBufferSize(256 + rng.IntN(4096))}
			path := writeGroups(t, rgs, opts...)

			req := Request{GroupColumn: "g", TimestampColumn: "ts", Columns: []string{"g", "s", "ts", "ft", "oi", "of", "ob", "os", "ps", "u16"}, Buffers: bufs}
			if stringGroup {
				req.GroupColumn = "s"
			}
			if floatTS {
				req.TimestampColumn = "ft"
			}
			if rng.IntN(2) == 0 {
				lo := int64(rng.IntN(30)) - 12
				req.From = &lo
			}
			if rng.IntN(2) == 0 {
				hi := int64(rng.IntN(40)) - 5
				req.To = &hi
			}
			name := fmt.Sprintf("n%d/v%d", n, variant)
			tbl := mustRead(t, path, req)

			var want []propRow
			for _, r := range rows {
				if inFrame(r, floatTS, req.From, req.To) {
					want = append(want, r)
				}
			}
			wasSorted := slices.IsSortedFunc(want, func(a, b propRow) int { return propCmp(a, b, stringGroup, floatTS) })
			slices.SortStableFunc(want, func(a, b propRow) int { return propCmp(a, b, stringGroup, floatTS) })
			if tbl.Rows != len(want) || tbl.WasSorted != wasSorted {
				t.Fatalf("%s: rows %d sorted %v, want %d %v", name, tbl.Rows, tbl.WasSorted, len(want), wasSorted)
			}
			if tbl.FileRows != int64(n) || tbl.RowGroups != len(rgs) {
				t.Fatalf("%s: file rows %d row groups %d", name, tbl.FileRows, tbl.RowGroups)
			}
			for i, r := range want {
				checkPropRow(t, name, tbl, i, r, floatTS)
			}
			wantGroups := 0
			for i := range want {
				if i == 0 || propCmpGroup(want[i-1], want[i], stringGroup) != 0 {
					wantGroups++
				}
			}
			if tbl.Groups() != wantGroups {
				t.Fatalf("%s: %d groups, want %d", name, tbl.Groups(), wantGroups)
			}
			checkUnordered(t, name, path, req, rows, stringGroup, floatTS, wasSorted, wantGroups)
			bufs.Release(tbl)
		}
	}
}

// checkUnordered reads with Request.Unordered: a file already in order comes back ordered; any
// other keeps the file order of the rows in the timeframe, with consistent dense group ids.
func checkUnordered(t *testing.T, name, path string, req Request, rows []propRow, stringGroup, floatTS, wasSorted bool, wantGroups int) {
	t.Helper()
	counted := req
	counted.CountGroupsOnly = true
	ct := mustRead(t, path, counted)
	if ct.Groups() != wantGroups || ct.GroupStarts != nil || ct.GroupOf != nil {
		t.Fatalf("%s count only: %d groups (want %d), starts %v, group ids %v", name, ct.Groups(), wantGroups, ct.GroupStarts != nil, ct.GroupOf != nil)
	}
	if !stringGroup && ct.WasSorted != slices.IsSortedFunc(rows, func(a, b propRow) int { return cmp.Compare(a.G, b.G) }) && req.From == nil && req.To == nil {
		t.Fatalf("%s count only: WasSorted %v", name, ct.WasSorted)
	}
	req.Unordered = true
	tbl := mustRead(t, path, req)
	if wasSorted {
		if tbl.GroupOf != nil || !tbl.WasSorted {
			t.Fatalf("%s unordered: an ordered file came back with GroupOf", name)
		}
		return
	}
	if tbl.GroupOf == nil || tbl.GroupStarts != nil || tbl.WasSorted || tbl.Groups() != wantGroups {
		t.Fatalf("%s unordered: GroupOf %v, GroupStarts %v, sorted %v, %d groups (want %d)", name, tbl.GroupOf != nil, tbl.GroupStarts != nil, tbl.WasSorted, tbl.Groups(), wantGroups)
	}
	var want []propRow
	for _, r := range rows {
		if inFrame(r, floatTS, req.From, req.To) {
			want = append(want, r)
		}
	}
	if tbl.Rows != len(want) || len(tbl.GroupOf) != len(want) || ct.Rows != len(want) {
		t.Fatalf("%s unordered: %d rows (%d counting groups only), want %d", name, tbl.Rows, ct.Rows, len(want))
	}
	for i, r := range want {
		checkPropRow(t, name+" count only", ct, i, r, floatTS)
	}
	idOf := map[string]uint32{}
	counts := make([]uint32, tbl.Groups())
	for i, r := range want {
		checkPropRow(t, name+" unordered", tbl, i, r, floatTS)
		key := r.S
		if !stringGroup {
			key = fmt.Sprint(r.G)
		}
		id, ok := idOf[key]
		if !ok {
			id = uint32(len(idOf)) // first appearance order
			idOf[key] = id
		}
		if tbl.GroupOf[i] != id {
			t.Fatalf("%s unordered: row %d group id %d, want %d", name, i, tbl.GroupOf[i], id)
		}
		counts[id]++
	}
	if !slices.Equal(counts, tbl.GroupRows) {
		t.Fatalf("%s unordered: GroupRows %v, want %v", name, tbl.GroupRows, counts)
	}
	req.Buffers.Release(ct)
	req.Buffers.Release(tbl)
}

func propCmpGroup(a, b propRow, stringGroup bool) int {
	if stringGroup {
		return cmp.Compare(a.S, b.S)
	}
	return cmp.Compare(a.G, b.G)
}

func propCmp(a, b propRow, stringGroup, floatTS bool) int {
	if c := propCmpGroup(a, b, stringGroup); c != 0 {
		return c
	}
	if floatTS {
		switch { // numeric: -0 == 0
		case a.FT < b.FT:
			return -1
		case a.FT > b.FT:
			return 1
		}
		return 0
	}
	return cmp.Compare(a.TS, b.TS)
}

// inFrame applies the timeframe with exact big-number comparisons.
func inFrame(r propRow, floatTS bool, from, to *int64) bool {
	var ts *big.Float
	if floatTS {
		if math.IsInf(r.FT, 0) {
			if from != nil && r.FT < 0 {
				return false
			}
			return !(to != nil && r.FT > 0)
		}
		ts = new(big.Float).SetFloat64(r.FT)
	} else {
		ts = new(big.Float).SetInt64(r.TS)
	}
	if from != nil && ts.Cmp(new(big.Float).SetInt64(*from)) < 0 {
		return false
	}
	return to == nil || ts.Cmp(new(big.Float).SetInt64(*to)) < 0
}

func checkPropRow(t *testing.T, name string, tbl *Table, i int, r propRow, floatTS bool) {
	t.Helper()
	c := tbl.Columns
	fail := func(col string, got, want any) {
		t.Helper()
		t.Fatalf("%s row %d column %s = %v, want %v (row %+v)", name, i, col, got, want, r)
	}
	if c["g"].Ints[i] != r.G {
		fail("g", c["g"].Ints[i], r.G)
	}
	if strAt(c["s"], i) != r.S {
		fail("s", strAt(c["s"], i), r.S)
	}
	if c["ts"].Ints[i] != r.TS {
		fail("ts", c["ts"].Ints[i], r.TS)
	}
	if got := c["ft"].Floats[i]; got != r.FT || math.Signbit(got) != math.Signbit(r.FT) {
		fail("ft", got, r.FT)
	}
	wantTS := r.TS
	if floatTS {
		wantTS = FloatKey(r.FT)
	}
	if tbl.TS != nil && tbl.TS[i] != wantTS {
		fail("TS", tbl.TS[i], wantTS)
	}
	if r.OI == nil {
		if !c["oi"].IsNull(i) || c["oi"].Ints[i] != 0 {
			fail("oi", c["oi"].Ints[i], "null")
		}
	} else if c["oi"].IsNull(i) || c["oi"].Ints[i] != int64(*r.OI) {
		fail("oi", c["oi"].Ints[i], *r.OI)
	}
	if r.OF == nil || math.IsNaN(*r.OF) {
		if !c["of"].IsNull(i) || c["of"].Floats[i] != 0 {
			fail("of", c["of"].Floats[i], "null")
		}
	} else if c["of"].IsNull(i) || c["of"].Floats[i] != *r.OF {
		fail("of", c["of"].Floats[i], *r.OF)
	}
	if r.OB == nil {
		if !c["ob"].IsNull(i) || c["ob"].Bools[i] {
			fail("ob", c["ob"].Bools[i], "null")
		}
	} else if c["ob"].IsNull(i) || c["ob"].Bools[i] != *r.OB {
		fail("ob", c["ob"].Bools[i], *r.OB)
	}
	for _, sc := range []struct {
		col string
		v   *string
	}{{"os", r.OS}, {"ps", r.PS}} {
		want := "<null>"
		if sc.v != nil {
			want = *sc.v
		}
		if got := strAt(c[sc.col], i); got != want {
			fail(sc.col, got, want)
		}
	}
	if c["u16"].Ints[i] != int64(r.U16) {
		fail("u16", c["u16"].Ints[i], r.U16)
	}
}

// TestReadWithoutTimestamp checks that a request without a timestamp column returns the rows
// ordered by group alone, ties in file order, with no TS, and that a timeframe then is an error.
func TestReadWithoutTimestamp(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	for _, n := range []int{0, 1, 2, 39, 63, 64, 65, 1023, 1024, 1025} {
		for variant := range 4 {
			groups := 1 + rng.IntN(max(n/8, 1))
			rows := make([]propRow, n)
			for i := range rows {
				rows[i] = randPropRow(rng, groups)
				rows[i].TS = int64(i) // the file position, to check that ties keep file order
			}
			stringGroup := variant&1 == 1
			byGroup := func(a, b propRow) int { return propCmpGroup(a, b, stringGroup) }
			if variant >= 2 {
				slices.SortStableFunc(rows, byGroup)
			}
			var rgs [][]propRow
			for rest := rows; len(rest) > 0; {
				k := 1 + rng.IntN(len(rest))
				rgs, rest = append(rgs, rest[:k]), rest[k:]
			}
			path := writeGroups(t, rgs)
			req := Request{GroupColumn: "g", Columns: []string{"g", "s", "ts", "ft", "oi", "of", "ob", "os", "ps", "u16"}}
			if stringGroup {
				req.GroupColumn = "s"
			}
			name := fmt.Sprintf("n%d/v%d", n, variant)
			tbl := mustRead(t, path, req)
			want := slices.Clone(rows)
			wasSorted := slices.IsSortedFunc(want, byGroup)
			slices.SortStableFunc(want, byGroup)
			if tbl.TS != nil || tbl.Rows != n || tbl.WasSorted != wasSorted {
				t.Fatalf("%s: TS %v, rows %d, sorted %v; want no TS, %d rows, sorted %v", name, tbl.TS != nil, tbl.Rows, tbl.WasSorted, n, wasSorted)
			}
			for i, r := range want {
				checkPropRow(t, name, tbl, i, r, false)
			}
			from := int64(0)
			req.From = &from
			if _, err := ReadPath(path, req); err == nil {
				t.Fatalf("%s: a timeframe without a timestamp column was accepted", name)
			}
		}
	}
}
