package scan

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// declareOrder makes the written file declare its rows sorted by (uid, ts).
var declareOrder = parquet.SortingWriterConfig(parquet.SortingColumns(parquet.Ascending("uid"), parquet.Ascending("ts")))

// TestDeclaredOrderStreamsGroupValues reads files that declare and keep their (uid, ts) order,
// in row groups that split users, without and with the group column among the requested
// columns: the group starts and the other columns must agree, and only the first read may drop
// the group values.
func TestDeclaredOrderStreamsGroupValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(81, 82))
	for trial := range 20 {
		var rows []evRow
		for u := range int64(1 + rng.IntN(300)) {
			ts := rng.Int64N(100)
			for range 1 + rng.IntN([]int{3, 70, 200}[trial%3]) {
				ts += rng.Int64N(3) // ties too
				rows = append(rows, evRow{UID: 5 * u, TS: ts, Seq: int64(len(rows)), Kind: "k"})
			}
		}
		var groups [][]evRow
		for rest := rows; len(rest) > 0; {
			n := min(len(rest), 1+rng.IntN(100))
			groups, rest = append(groups, rest[:n]), rest[n:]
		}
		path := writeGroups(t, groups, declareOrder)
		req := Request{GroupColumn: "uid", TimestampColumn: "ts", Columns: []string{"seq"}, Buffers: &Buffers{}}
		streamed := mustRead(t, path, req)
		req.Columns = []string{"seq", "uid"}
		full := mustRead(t, path, req)
		if streamed.Group.Ints != nil || full.Group.Ints == nil {
			t.Fatalf("trial %d: group values kept %v (streamed), %v (requested)", trial, streamed.Group.Ints != nil, full.Group.Ints != nil)
		}
		if !streamed.WasSorted || !slices.Equal(streamed.GroupStarts, full.GroupStarts) || !slices.Equal(streamed.TS, full.TS) ||
			!slices.Equal(streamed.Columns["seq"].Ints, full.Columns["seq"].Ints) || streamed.Rows != len(rows) {
			t.Fatalf("trial %d: the streamed read differs: starts %v, want %v", trial, streamed.GroupStarts, full.GroupStarts)
		}
		// Without the timestamp column the rows are checked by group alone.
		byGroup := mustRead(t, path, Request{GroupColumn: "uid", Columns: []string{"seq"}})
		if byGroup.Group.Ints != nil || !byGroup.WasSorted || !slices.Equal(byGroup.GroupStarts, full.GroupStarts) {
			t.Fatalf("trial %d: by group alone: values kept %v, starts %v, want %v", trial, byGroup.Group.Ints != nil, byGroup.GroupStarts, full.GroupStarts)
		}
	}
}

// TestDeclaredOrderThatIsFalse reads a file that declares a (uid, ts) order its rows do not have:
// the group values are decoded after all and the rows sorted as for any unsorted file.
func TestDeclaredOrderThatIsFalse(t *testing.T) {
	rng := rand.New(rand.NewPCG(83, 84))
	var rows []evRow
	for i := range 3000 {
		rows = append(rows, evRow{UID: int64(rng.IntN(200)), TS: int64(rng.IntN(50)), Seq: int64(i), Kind: "k"})
	}
	path := writeGroups(t, [][]evRow{rows[:1000], rows[1000:2500], rows[2500:]}, declareOrder)
	f, closer, err := OpenPath(path)
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	g, ts := f.columns[f.byName["uid"]], f.columns[f.byName["ts"]]
	if !f.declaresOrder(&g, &ts, []int{0, 1, 2}) {
		t.Fatal("the file does not declare its order")
	}
	tbl := mustRead(t, path, Request{GroupColumn: "uid", TimestampColumn: "ts", Columns: []string{"seq"}})
	if tbl.WasSorted || len(tbl.Group.Ints) != len(rows) {
		t.Fatalf("WasSorted %v, %d group values for %d rows", tbl.WasSorted, len(tbl.Group.Ints), len(rows))
	}
	want := sortedByUIDTS(rows)
	for i, r := range want {
		if tbl.Group.Ints[i] != r.UID || tbl.TS[i] != r.TS || tbl.Columns["seq"].Ints[i] != r.Seq {
			t.Fatalf("row %d = (%d, %d, %d), want %+v", i, tbl.Group.Ints[i], tbl.TS[i], tbl.Columns["seq"].Ints[i], r)
		}
	}
}
