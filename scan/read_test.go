package scan

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

type evRow struct {
	UID  int64  `parquet:"uid"`
	TS   int64  `parquet:"ts"`
	Seq  int64  `parquet:"seq"`
	Kind string `parquet:"kind,dict"`
}

func TestSortedFileIsLeftAsIs(t *testing.T) {
	var rows []evRow
	for u := range int64(5) {
		for k := range int64(4) {
			rows = append(rows, evRow{UID: u * 10, TS: k / 2, Seq: int64(len(rows)), Kind: "k"})
		}
	}
	path := writeRows(t, rows)
	tbl := mustRead(t, path, Request{GroupColumn: "uid", TimestampColumn: "ts", Columns: []string{"seq"}})
	if !tbl.WasSorted {
		t.Fatal("WasSorted = false for a sorted file")
	}
	for i := range rows {
		if tbl.Columns["seq"].Ints[i] != int64(i) {
			t.Fatalf("row %d moved", i)
		}
	}
	if !slices.Equal(tbl.GroupStarts, []uint32{0, 4, 8, 12, 16, 20}) || tbl.Groups() != 5 {
		t.Fatalf("GroupStarts = %v", tbl.GroupStarts)
	}
}

func TestUnsortedFileEqualsNaiveSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var rows []evRow
	for i := range 5000 {
		// A few heavy groups (sorted with the slices path) and many light ones (insertion sort);
		// timestamps repeat so ties must keep file order.
		uid := int64(rng.IntN(300)) - 150
		if i%3 == 0 {
			uid = 1000 + int64(rng.IntN(3))
		}
		rows = append(rows, evRow{UID: uid, TS: int64(rng.IntN(20)), Seq: int64(i), Kind: string(rune('a' + rng.IntN(5)))})
	}
	path := writeGroups(t, [][]evRow{rows[:1234], rows[1234:4000], rows[4000:]})
	tbl := mustRead(t, path, Request{GroupColumn: "uid", TimestampColumn: "ts", Columns: []string{"seq", "kind", "uid"}})
	if tbl.WasSorted {
		t.Fatal("WasSorted = true for a shuffled file")
	}
	want := sortedByUIDTS(rows)
	for i, r := range want {
		if tbl.Group.Ints[i] != r.UID || tbl.TS[i] != r.TS || tbl.Columns["seq"].Ints[i] != r.Seq || strAt(tbl.Columns["kind"], i) != r.Kind {
			t.Fatalf("row %d = (%d, %d, %d, %s), want %+v", i, tbl.Group.Ints[i], tbl.TS[i], tbl.Columns["seq"].Ints[i], strAt(tbl.Columns["kind"], i), r)
		}
	}
	if tbl.Columns["uid"] != tbl.Group {
		t.Errorf("requested group column is not the table's Group")
	}
}

// sortedByUIDTS returns rows stably sorted by (UID, TS): the order a read must give.
func sortedByUIDTS(rows []evRow) []evRow {
	want := slices.Clone(rows)
	slices.SortStableFunc(want, func(a, b evRow) int {
		if a.UID != b.UID {
			return cmpInt(a.UID, b.UID)
		}
		return cmpInt(a.TS, b.TS)
	})
	return want
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestStringGroupsAndFloatTimestamps(t *testing.T) {
	type row struct {
		User string  `parquet:"user,dict"`
		T    float64 `parquet:"t"`
		Seq  int64   `parquet:"seq"`
	}
	rows := []row{
		{"b", 2.5, 0}, {"a", 1, 1}, {"é", -1, 2}, {"B", 3, 3}, {"a", -0.0, 4}, {"a", 0, 5},
		{"b", math.Inf(-1), 6}, {"ab", 1e300, 7}, {"a", -2.5, 8}, {"b", 2.5, 9},
	}
	// Two row groups, so the string dictionaries differ and must be merged.
	path := writeGroups(t, [][]row{rows[:4], rows[4:]})
	tbl := mustRead(t, path, Request{GroupColumn: "user", TimestampColumn: "t", Columns: []string{"seq", "t"}})
	// Bytewise: "B" < "a" < "ab" < "b" < "é"; -0 and 0 are equal and keep file order.
	wantSeq := []int64{3, 8, 4, 5, 1, 7, 6, 0, 9, 2}
	if got := tbl.Columns["seq"].Ints; !slices.Equal(got, wantSeq) {
		t.Fatalf("seq = %v, want %v", got, wantSeq)
	}
	var users []string
	for i := range tbl.Rows {
		users = append(users, strAt(tbl.Group, i))
	}
	if !slices.Equal(users, []string{"B", "a", "a", "a", "a", "ab", "b", "b", "b", "é"}) {
		t.Fatalf("users = %q", users)
	}
	if !slices.Equal(tbl.GroupStarts, []uint32{0, 1, 5, 6, 9, 10}) {
		t.Fatalf("GroupStarts = %v", tbl.GroupStarts)
	}
	for i, s := range wantSeq {
		if tbl.TS[i] != FloatKey(rows[s].T) || tbl.Columns["t"].Floats[i] != rows[s].T {
			t.Fatalf("row %d: TS %d, t %v; want t %v", i, tbl.TS[i], tbl.Columns["t"].Floats[i], rows[s].T)
		}
	}
}

func TestTimeframePushdown(t *testing.T) {
	// Four row groups covering ts [0,100), [100,200), [200,300), [300,400), sorted.
	var groups [][]evRow
	for g := range int64(4) {
		var rows []evRow
		for k := range int64(100) {
			rows = append(rows, evRow{UID: 1 + k%3, TS: g*100 + k, Kind: "x"})
		}
		slices.SortStableFunc(rows, func(a, b evRow) int { return cmpInt(a.UID, b.UID) })
		groups = append(groups, rows)
	}
	path := writeGroups(t, groups)
	p := func(v int64) *int64 { return &v }
	f := func(from, to *int64, wantRows, wantSkipped int, wantMin, wantMax int64) {
		t.Helper()
		tbl := mustRead(t, path, Request{GroupColumn: "uid", TimestampColumn: "ts", Columns: []string{"ts"}, From: from, To: to})
		if tbl.Rows != wantRows || tbl.SkippedRowGroups != wantSkipped || tbl.RowGroups != 4 || tbl.FileRows != 400 {
			t.Fatalf("from %s to %s: rows %d skipped %d of %d (file %d), want rows %d skipped %d",
				show(from), show(to), tbl.Rows, tbl.SkippedRowGroups, tbl.RowGroups, tbl.FileRows, wantRows, wantSkipped)
		}
		if wantRows > 0 && (slices.Min(tbl.TS) != wantMin || slices.Max(tbl.TS) != wantMax) {
			t.Fatalf("from %s to %s: ts range [%d, %d], want [%d, %d]", show(from), show(to), slices.Min(tbl.TS), slices.Max(tbl.TS), wantMin, wantMax)
		}
		if !slices.Equal(tbl.TS, tbl.Columns["ts"].Ints) {
			t.Fatalf("TS and the ts column differ")
		}
	}
	f(nil, nil, 400, 0, 0, 399)
	f(p(100), p(200), 100, 3, 100, 199) // from inclusive, to exclusive, exactly one group
	f(p(150), p(250), 100, 2, 150, 249) // two partial groups
	f(p(99), p(101), 2, 2, 99, 100)     // edges of two groups
	f(p(200), nil, 200, 2, 200, 399)    // open end
	f(nil, p(1), 1, 3, 0, 0)            // open start
	f(p(400), p(1000), 0, 4, 0, 0)      // after everything
	f(p(-10), p(0), 0, 4, 0, 0)         // before everything
	f(p(250), p(250), 0, 4, 0, 0)       // empty range
	f(p(math.MinInt64), p(math.MaxInt64), 400, 0, 0, 399)
}

func show(p *int64) string {
	if p == nil {
		return "nil"
	}
	return strconv.FormatInt(*p, 10)
}

func TestFloatTimeframe(t *testing.T) {
	type row struct {
		UID int64   `parquet:"uid"`
		T   float64 `parquet:"t"`
	}
	big := float64(1 << 53)
	groups := [][]row{
		{{1, -0.5}, {1, 0}, {1, 0.5}},
		{{1, 9.999}, {1, 10}, {1, 10.5}},
		{{1, big}, {1, big + 2}},
		{{1, math.Inf(1)}},
	}
	path := writeGroups(t, groups)
	p := func(v int64) *int64 { return &v }
	f := func(from, to *int64, want []float64, skipped int) {
		t.Helper()
		tbl := mustRead(t, path, Request{GroupColumn: "uid", TimestampColumn: "t", Columns: []string{"t"}, From: from, To: to})
		if !slices.Equal(tbl.Columns["t"].Floats, want) || tbl.SkippedRowGroups != skipped {
			t.Fatalf("from %s to %s: %v (skipped %d), want %v (skipped %d)", show(from), show(to), tbl.Columns["t"].Floats, tbl.SkippedRowGroups, want, skipped)
		}
	}
	f(p(0), p(10), []float64{0, 0.5, 9.999}, 2)
	f(p(10), p(11), []float64{10, 10.5}, 3)
	f(p(1), p(10), []float64{9.999}, 3)
	// 2^53+1 is not a float64: ts 2^53 is below it, ts 2^53+2 is not.
	f(p(1<<53+1), nil, []float64{big + 2, math.Inf(1)}, 2)
	f(nil, p(1<<53+1), []float64{-0.5, 0, 0.5, 9.999, 10, 10.5, big}, 1)
	f(p(math.MaxInt64), nil, []float64{math.Inf(1)}, 3)
}

func TestEqualTimestampsKeepFileOrder(t *testing.T) {
	rows := []evRow{{UID: 2, TS: 5, Seq: 0}, {UID: 1, TS: 5, Seq: 1}, {UID: 2, TS: 5, Seq: 2}, {UID: 1, TS: 4, Seq: 3}, {UID: 1, TS: 5, Seq: 4}, {UID: 2, TS: 5, Seq: 5}}
	tbl := mustRead(t, writeRows(t, rows), Request{GroupColumn: "uid", TimestampColumn: "ts", Columns: []string{"seq"}})
	if got := tbl.Columns["seq"].Ints; !slices.Equal(got, []int64{3, 1, 4, 0, 2, 5}) {
		t.Fatalf("seq = %v", got)
	}
}

func TestNullGroupOrTimestamp(t *testing.T) {
	type row struct {
		UID *int64   `parquet:"uid"`
		TS  *float64 `parquet:"ts"`
	}
	one, ts := int64(1), 1.0
	nan := math.NaN()
	for name, rows := range map[string][]row{
		"null group": {{&one, &ts}, {nil, &ts}},
		"null ts":    {{&one, &ts}, {&one, nil}},
		"NaN ts":     {{&one, &ts}, {&one, &nan}},
	} {
		_, err := ReadPath(writeRows(t, rows), Request{GroupColumn: "uid", TimestampColumn: "ts"})
		if err == nil || !strings.Contains(err.Error(), "null") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	// An optional group column without nulls is fine.
	tbl := mustRead(t, writeRows(t, []row{{&one, &ts}}), Request{GroupColumn: "uid", TimestampColumn: "ts"})
	if tbl.Rows != 1 {
		t.Fatalf("rows = %d", tbl.Rows)
	}
}

func TestEmptyFile(t *testing.T) {
	path := writeRows(t, []evRow{})
	tbl := mustRead(t, path, Request{GroupColumn: "uid", TimestampColumn: "ts", Columns: []string{"kind", "seq"}})
	if tbl.Rows != 0 || !slices.Equal(tbl.GroupStarts, []uint32{0}) || tbl.Groups() != 0 || !tbl.WasSorted {
		t.Fatalf("empty table: %+v", tbl)
	}
	f, closer, err := OpenPath(path)
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	s, err := f.Inspect("uid", "ts", 5)
	if err != nil {
		t.Fatal(err)
	}
	if s.Rows != 0 || len(s.GroupIDsInt) != 0 || len(s.Columns) != 4 {
		t.Fatalf("schema %+v", s)
	}
}

func TestNotParquet(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(writeRows(t, []evRow{{UID: 1, TS: 1, Kind: "a"}, {UID: 2, TS: 2, Kind: "b"}}))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(rng.IntN(256))
	}
	badFooter := slices.Clone(good)
	copy(badFooter[len(badFooter)-8:], []byte{0xff, 0xff, 0xff, 0x7f, 'P', 'A', 'R', '1'})
	cases := map[string][]byte{
		"empty":          nil,
		"tiny":           []byte("PAR1"),
		"random":         random,
		"truncated":      good[:len(good)-10],
		"truncated-half": good[:len(good)/2],
		"footer-size":    badFooter,
		"magic-only":     []byte("PAR1PAR1PAR1"),
		"text":           []byte(strings.Repeat("user_id,timestamp\n1,2\n", 20)),
		"footer-garbage": append(append([]byte("PAR1"), bytes.Repeat([]byte{0xAB}, 64)...), 64, 0, 0, 0, 'P', 'A', 'R', '1'),
	}
	for name, data := range cases {
		path := filepath.Join(dir, name+".parquet")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadPath(path, Request{GroupColumn: "uid", TimestampColumn: "ts"})
		if err == nil || !errors.Is(err, ErrNotParquet) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: err = %v, want ErrNotParquet naming the file", name, err)
		}
	}
	if _, err := ReadPath(filepath.Join(dir, "missing.parquet"), Request{}); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v", err)
	}
}

// TestCorruptPagesNeverPanic damages the data pages of a valid file byte by byte: every read must
// either fail with an error naming the file or return a consistent table.
func TestCorruptPagesNeverPanic(t *testing.T) {
	var rows []evRow
	for i := range 300 {
		rows = append(rows, evRow{UID: int64(i % 7), TS: int64(i), Seq: int64(i), Kind: string(rune('a' + i%4))})
	}
	good, err := os.ReadFile(writeRows(t, rows))
	if err != nil {
		t.Fatal(err)
	}
	f0, err := Open(bytes.NewReader(good), int64(len(good)), "good")
	if err != nil {
		t.Fatal(err)
	}
	dataEnd := int(f0.pq.Metadata().RowGroups[0].Columns[3].MetaData.DataPageOffset + f0.pq.Metadata().RowGroups[0].Columns[3].MetaData.TotalCompressedSize)
	rng := rand.New(rand.NewPCG(5, 6))
	failures := 0
	for trial := range 400 {
		bad := slices.Clone(good)
		pos := 4 + rng.IntN(dataEnd-4)
		bad[pos] ^= byte(1 + rng.IntN(255))
		if trial%2 == 1 {
			bad[pos] = byte(rng.IntN(256))
		}
		f, err := Open(bytes.NewReader(bad), int64(len(bad)), "bad.parquet")
		if err != nil {
			t.Fatalf("trial %d: open failed although the footer is intact: %v", trial, err)
		}
		tbl, err := f.Read(Request{GroupColumn: "uid", TimestampColumn: "ts", Columns: []string{"seq", "kind"}})
		if err != nil {
			failures++
			if !strings.Contains(err.Error(), "bad.parquet") {
				t.Fatalf("trial %d: error does not name the file: %v", trial, err)
			}
			continue
		}
		checkTable(t, tbl)
	}
	if failures == 0 {
		t.Fatalf("no corruption was detected in 400 trials")
	}
	t.Logf("%d of 400 damaged files failed to read", failures)
}
