package prepare

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/frocket/frocket/bench"
	"github.com/frocket/frocket/scan"
)

// testConfig returns a config reading in and writing files parts to out.
func testConfig(in, out string, files int) Config {
	cfg := DefaultConfig()
	cfg.Input, cfg.Output = in, out
	cfg.GroupColumn, cfg.TimestampColumn = "userId", "ts"
	cfg.Files = files
	cfg.Workers = 2
	cfg.RowGroupRows = 1000
	return cfg
}

// runPrepare runs cfg and returns the stats and the run's state.
func runPrepare(t *testing.T, cfg Config) (*Stats, *runState) {
	t.Helper()
	r := &runState{cfg: cfg}
	st, err := r.execute(context.Background())
	if err != nil {
		t.Fatalf("prepare: %v", err)
	}
	return st, r
}

// checkFiles checks what every output file says about itself: names, sorting metadata, row
// group sizes, codec, statistics, and that scan finds it sorted.
func checkFiles(t *testing.T, st *Stats, out string, files, rowGroupRows int, groupIdx, tsIdx int) {
	t.Helper()
	if len(st.Files) != files {
		t.Fatalf("%d files, want %d", len(st.Files), files)
	}
	ents, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != files {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Fatalf("output holds %v, want %d part files only", names, files)
	}
	var total int64
	for p, path := range st.Files {
		if want := partPath(out, p); path != want {
			t.Errorf("file %d is %s, want %s", p, path, want)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		total += fi.Size()
		fh, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parquet.OpenFile(fh, fi.Size())
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if v, ok := f.Lookup(bench.SortedMetadataKey); !ok || v != "userId,ts" {
			t.Errorf("%s: %s = %q, %v", path, bench.SortedMetadataKey, v, ok)
		}
		for i, rg := range f.Metadata().RowGroups {
			if rg.NumRows > int64(rowGroupRows) {
				t.Errorf("%s row group %d has %d rows", path, i, rg.NumRows)
			}
			sc := rg.SortingColumns
			if len(sc) != 2 || sc[0].ColumnIdx != int32(groupIdx) || sc[1].ColumnIdx != int32(tsIdx) || sc[0].Descending || sc[1].Descending {
				t.Errorf("%s row group %d sorting columns %+v", path, i, sc)
			}
			for j, c := range rg.Columns {
				want := format.Snappy
				if j == tsIdx && c.MetaData.Type == format.Int64 {
					want = format.Uncompressed // the INT64 timestamp: snappy does not shrink it
				}
				if c.MetaData.Codec != want {
					t.Errorf("%s column %v codec %v, want %v", path, c.MetaData.PathInSchema, c.MetaData.Codec, want)
				}
			}
			ts := rg.Columns[tsIdx].MetaData.Statistics
			if len(ts.MinValue) == 0 || len(ts.MaxValue) == 0 {
				t.Errorf("%s row group %d: no timestamp statistics", path, i)
			}
		}
		fh.Close()
		tab, err := scan.ReadPath(path, scan.Request{GroupColumn: "userId", TimestampColumn: "ts"})
		if err != nil {
			t.Fatalf("scan %s: %v", path, err)
		}
		if !tab.WasSorted {
			t.Errorf("scan reads %s as unsorted", path)
		}
	}
	if total != st.Bytes {
		t.Errorf("stats say %d bytes, files hold %d", st.Bytes, total)
	}
}

// encodings returns the encodings of each column of the first row group of a file, by name.
func encodings(t *testing.T, path string) map[string][]format.Encoding {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	fi, _ := fh.Stat()
	f, err := parquet.OpenFile(fh, fi.Size())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]format.Encoding{}
	for _, c := range f.Metadata().RowGroups[0].Columns {
		out[c.MetaData.PathInSchema[0]] = c.MetaData.Encoding
	}
	return out
}

func columnNames(t *testing.T, path string) []string {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	fi, _ := fh.Stat()
	f, err := parquet.OpenFile(fh, fi.Size())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range f.Root().Columns() {
		name := c.Name()
		if c.Optional() {
			name += "?"
		}
		names = append(names, name)
	}
	return names
}

func TestPrepareIntGroups(t *testing.T) {
	dir := t.TempDir()
	rows := genIntRows(1, 1500)
	in := filepath.Join(dir, "in")
	writeInputs(t, in, rows, []int{3000, 500, 4500, 0}, 700)
	const files = 5
	out := filepath.Join(dir, "out")
	cfg := testConfig(in, out, files)
	var last Progress
	cfg.Progress = func(p Progress) { last = p }
	st, r := runPrepare(t, cfg)
	if r.externalParts.Load() != 0 {
		t.Errorf("%d parts sorted externally with a large budget", r.externalParts.Load())
	}
	if last.Phase != PhaseWrite || last.RowsRead != int64(len(rows)) || last.RowsWritten != int64(len(rows)) || last.TotalRows != int64(len(rows)) {
		t.Errorf("last progress %+v, want all %d rows read and written", last, len(rows))
	}
	checkFiles(t, st, out, files, cfg.RowGroupRows, 2, 3)

	parts := readParts[intRow](t, st.Files)
	seen := make([]bool, len(rows))
	users := map[int64]int{}
	for p, part := range parts {
		for i, row := range part {
			if row.Seq < 0 || row.Seq >= int64(len(rows)) || seen[row.Seq] {
				t.Fatalf("part %d row %d: seq %d missing from the input or written twice", p, i, row.Seq)
			}
			seen[row.Seq] = true
			if !reflect.DeepEqual(row, rows[row.Seq]) {
				t.Fatalf("part %d row %d is %+v, input row %d is %+v", p, i, row, row.Seq, rows[row.Seq])
			}
			if want := bench.PartOfInt64UserID(row.UserID, files); p != want {
				t.Fatalf("user %d in part %d, bench places it in %d", row.UserID, p, want)
			}
			if q, ok := users[row.UserID]; ok && q != p {
				t.Fatalf("user %d in parts %d and %d", row.UserID, q, p)
			}
			users[row.UserID] = p
			if i > 0 {
				prev := part[i-1]
				if c := cmp.Or(cmp.Compare(prev.UserID, row.UserID), cmp.Compare(prev.TS, row.TS), cmp.Compare(prev.Seq, row.Seq)); c >= 0 {
					t.Fatalf("part %d rows %d, %d out of order: %+v then %+v", p, i-1, i, prev, row)
				}
			}
		}
	}
	for seq, ok := range seen {
		if !ok {
			t.Fatalf("input row %d missing from the output", seq)
		}
	}
	if st.Rows != int64(len(rows)) || st.Groups != int64(len(users)) {
		t.Errorf("stats: %d rows of %d groups, want %d of %d", st.Rows, st.Groups, len(rows), len(users))
	}

	enc := encodings(t, st.Files[0])
	has := func(col string, e format.Encoding) bool { return slices.Contains(enc[col], e) }
	for _, c := range []string{"seq", "userId", "ts", "count"} {
		if !has(c, format.DeltaBinaryPacked) {
			t.Errorf("int64 column %s encodings %v, want DELTA_BINARY_PACKED", c, enc[c])
		}
	}
	for _, c := range []string{"event", "note"} {
		if !has(c, format.RLEDictionary) {
			t.Errorf("low-cardinality string column %s encodings %v, want RLE_DICTIONARY", c, enc[c])
		}
	}
	if has("token", format.RLEDictionary) || has("token", format.PlainDictionary) || !has("token", format.Plain) {
		t.Errorf("unique string column token encodings %v, want PLAIN only", enc["token"])
	}
	want := []string{"seq", "event", "userId", "ts", "token", "note?", "price?", "qty?", "small", "ratio", "flag", "count?"}
	if got := columnNames(t, st.Files[0]); !slices.Equal(got, want) {
		t.Errorf("output columns %v, want %v", got, want)
	}

	// A tiny budget sorts every part with runs and merges, and writes the same bytes.
	ext := filepath.Join(dir, "ext")
	cfg.Output = ext
	cfg.MemoryBytes = MinMemoryBytes
	cfg.Progress = nil
	est, er := runPrepare(t, cfg)
	if er.externalParts.Load() != files || er.mergePasses.Load() == 0 {
		t.Errorf("tiny budget: %d parts sorted externally with %d merge passes, want all %d with some passes",
			er.externalParts.Load(), er.mergePasses.Load(), files)
	}
	for p := range files {
		a, err := os.ReadFile(st.Files[p])
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(est.Files[p])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("part %d differs between the in-memory and the external sort", p)
		}
	}
}

func TestPrepareStringGroups(t *testing.T) {
	dir := t.TempDir()
	rows := genStrRows(2, 800)
	in := filepath.Join(dir, "in")
	writeInputs(t, in, rows, []int{1000, 2500, 0}, 600)
	const files = 3
	out := filepath.Join(dir, "out")
	cfg := testConfig(filepath.Join(in, "in-*.parquet"), out, files)
	st, _ := runPrepare(t, cfg)
	checkFiles(t, st, out, files, cfg.RowGroupRows, 0, 1)

	check := func(parts [][]strRow) {
		t.Helper()
		n := 0
		for p, part := range parts {
			for i, row := range part {
				n++
				if !reflect.DeepEqual(row, rows[row.Seq]) {
					t.Fatalf("part %d row %d is %+v, input row %d is %+v", p, i, row, row.Seq, rows[row.Seq])
				}
				if want := bench.PartOfStringUserID(row.UserID, files); p != want {
					t.Fatalf("user %s in part %d, bench places it in %d", row.UserID, p, want)
				}
				if i > 0 {
					prev := part[i-1]
					if c := cmp.Or(strings.Compare(prev.UserID, row.UserID), cmp.Compare(prev.TS, row.TS), cmp.Compare(prev.Seq, row.Seq)); c >= 0 {
						t.Fatalf("part %d rows %d, %d out of order: %+v then %+v", p, i-1, i, prev, row)
					}
				}
			}
		}
		if n != len(rows) {
			t.Fatalf("%d rows written, %d read", n, len(rows))
		}
	}
	parts := readParts[strRow](t, st.Files)
	check(parts)
	if st.Groups != 800 {
		t.Errorf("stats: %d groups, want 800", st.Groups)
	}
	enc := encodings(t, st.Files[0])
	for _, c := range []string{"userId", "event", "note"} {
		if !slices.Contains(enc[c], format.RLEDictionary) {
			t.Errorf("string column %s encodings %v, want RLE_DICTIONARY", c, enc[c])
		}
	}

	cfg.Output = filepath.Join(dir, "ext")
	cfg.MemoryBytes = MinMemoryBytes
	est, er := runPrepare(t, cfg)
	if er.externalParts.Load() == 0 {
		t.Error("tiny budget: no part sorted externally")
	}
	for p := range files {
		a, _ := os.ReadFile(st.Files[p])
		b, _ := os.ReadFile(est.Files[p])
		if !bytes.Equal(a, b) {
			t.Errorf("part %d differs between the in-memory and the external sort", p)
		}
	}
}

func TestPrepareEmptyParts(t *testing.T) {
	dir := t.TempDir()
	rows := []intRow{{Seq: 0, UserID: 1, TS: 5, Event: "a"}, {Seq: 1, UserID: 2, TS: 4, Event: "b"}, {Seq: 2, UserID: 1, TS: 3, Event: "c"}}
	in := filepath.Join(dir, "in")
	writeInputs(t, in, rows, []int{3}, 10)
	out := filepath.Join(dir, "out")
	st, _ := runPrepare(t, testConfig(in, out, 8))
	checkFiles(t, st, out, 8, 1000, 2, 3)
	parts := readParts[intRow](t, st.Files)
	empty, n := 0, 0
	for _, part := range parts {
		if len(part) == 0 {
			empty++
		}
		n += len(part)
	}
	if n != 3 || empty != 6 || st.Groups != 2 {
		t.Errorf("%d rows in %d non-empty parts, %d groups; want 3 rows, 2 parts, 2 groups", n, 8-empty, st.Groups)
	}
}

func TestPrepareErrors(t *testing.T) {
	dir := t.TempDir()
	rows := genIntRows(3, 50)
	in := filepath.Join(dir, "in")
	writeInputs(t, in, rows, []int{100, 0}, 100)

	t.Run("schema mismatch", func(t *testing.T) {
		bad := filepath.Join(dir, "mixed")
		writeInputs(t, bad, rows[:100], []int{100}, 100)
		type other struct {
			Seq    int64  `parquet:"seq"`
			Event  string `parquet:"event"`
			UserID int32  `parquet:"userId"`
			TS     int64  `parquet:"ts"`
		}
		odd := filepath.Join(bad, "in-05.parquet")
		writeFile(t, odd, []other{{1, "x", 2, 3}})
		_, err := Run(context.Background(), testConfig(bad, filepath.Join(dir, "o1"), 2))
		if err == nil || !strings.Contains(err.Error(), odd) {
			t.Errorf("error %v, want one naming %s", err, odd)
		}
		if _, serr := os.Stat(filepath.Join(dir, "o1")); !errors.Is(serr, os.ErrNotExist) {
			t.Errorf("failed run left its output directory: %v", serr)
		}
	})

	t.Run("output not empty", func(t *testing.T) {
		out := filepath.Join(dir, "full")
		os.MkdirAll(out, 0o755)
		os.WriteFile(filepath.Join(out, "keep.txt"), []byte("x"), 0o644)
		os.WriteFile(filepath.Join(out, "part-00009.parquet"), []byte("stale"), 0o644)
		_, err := Run(context.Background(), testConfig(in, out, 2))
		if !errors.Is(err, ErrOutputNotEmpty) {
			t.Fatalf("error %v, want ErrOutputNotEmpty", err)
		}
		cfg := testConfig(in, out, 2)
		cfg.Force = true
		if _, err := Run(context.Background(), cfg); err != nil {
			t.Fatal(err)
		}
		var names []string
		ents, _ := os.ReadDir(out)
		for _, e := range ents {
			names = append(names, e.Name())
		}
		if want := []string{"keep.txt", "part-00000.parquet", "part-00001.parquet"}; !slices.Equal(names, want) {
			t.Errorf("forced output holds %v, want %v", names, want)
		}
	})

	t.Run("input in output", func(t *testing.T) {
		cfg := testConfig(in, in, 2)
		cfg.Force = true
		_, err := Run(context.Background(), cfg)
		if err == nil || !strings.Contains(err.Error(), "output directory") {
			t.Errorf("error %v, want one about the output directory", err)
		}
	})

	t.Run("unsupported columns", func(t *testing.T) {
		type listRow struct {
			UserID int64   `parquet:"userId"`
			TS     int64   `parquet:"ts"`
			Tags   []int32 `parquet:"tags,list"`
			Name   string  `parquet:"name"`
		}
		src := filepath.Join(dir, "lists")
		os.MkdirAll(src, 0o755)
		writeFile(t, filepath.Join(src, "a.parquet"), []listRow{{1, 2, []int32{1, 2}, "a"}, {3, 1, nil, "b"}})
		_, err := Run(context.Background(), testConfig(src, filepath.Join(dir, "o2"), 2))
		if !errors.Is(err, ErrUnsupportedColumns) || !strings.Contains(err.Error(), `"tags"`) {
			t.Fatalf("error %v, want ErrUnsupportedColumns naming tags", err)
		}
		cfg := testConfig(src, filepath.Join(dir, "o3"), 2)
		cfg.DropUnsupported = true
		st, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := columnNames(t, st.Files[0]); !slices.Equal(got, []string{"userId", "ts", "name"}) {
			t.Errorf("columns %v after dropping unsupported ones", got)
		}
		if st.Rows != 2 {
			t.Errorf("%d rows written, want 2", st.Rows)
		}
	})

	t.Run("null group id", func(t *testing.T) {
		type nullRow struct {
			UserID *int64 `parquet:"userId"`
			TS     int64  `parquet:"ts"`
		}
		src := filepath.Join(dir, "nulls")
		os.MkdirAll(src, 0o755)
		one := int64(1)
		path := filepath.Join(src, "a.parquet")
		writeFile(t, path, []nullRow{{&one, 1}, {nil, 2}})
		_, err := Run(context.Background(), testConfig(src, filepath.Join(dir, "o4"), 2))
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), `"userId"`) {
			t.Errorf("error %v, want one naming %s and userId", err, path)
		}
	})

	t.Run("missing column", func(t *testing.T) {
		cfg := testConfig(in, filepath.Join(dir, "o5"), 2)
		cfg.TimestampColumn = "when"
		_, err := Run(context.Background(), cfg)
		if err == nil || !strings.Contains(err.Error(), `"when"`) {
			t.Errorf("error %v, want one naming the missing column", err)
		}
	})
}

func TestPrepareCancel(t *testing.T) {
	dir := t.TempDir()
	rows := genIntRows(4, 1500)
	in := filepath.Join(dir, "in")
	writeInputs(t, in, rows, []int{4000, 0}, 500)
	for _, phase := range []string{PhaseRead, PhaseWrite} {
		for _, budget := range []int64{1 << 30, MinMemoryBytes} {
			ctx, cancel := context.WithCancel(context.Background())
			out := filepath.Join(dir, "out-"+phase)
			tmp := filepath.Join(dir, "tmp-"+phase)
			cfg := testConfig(in, out, 4)
			cfg.TmpDir, cfg.MemoryBytes = tmp, budget
			cfg.Progress = func(p Progress) {
				if p.Phase == phase && (p.RowsRead > 0 && phase == PhaseRead || p.RowsWritten > 0) {
					cancel()
				}
			}
			_, err := Run(ctx, cfg)
			cancel()
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("cancel in %s phase (budget %d): error %v, want context.Canceled", phase, budget, err)
			}
			if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
				ents, _ := os.ReadDir(out)
				t.Errorf("cancel in %s phase (budget %d): output left behind: %v", phase, budget, ents)
			}
			if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
				t.Errorf("cancel in %s phase (budget %d): temporary files left: %v", phase, budget, ents)
			}
		}
	}

	// A forced run into a prepared dataset that is cancelled while writing leaves the old parts
	// as they were, and no temporary file.
	out := filepath.Join(dir, "prepared")
	st, err := Run(context.Background(), testConfig(in, out, 3))
	if err != nil {
		t.Fatal(err)
	}
	old := map[string][]byte{}
	for _, p := range st.Files {
		old[p], _ = os.ReadFile(p)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := testConfig(in, out, 3)
	cfg.Force, cfg.RowGroupRows = true, 777
	cfg.Progress = func(p Progress) {
		if p.RowsWritten > 0 {
			cancel()
		}
	}
	if _, err := Run(ctx, cfg); !errors.Is(err, context.Canceled) {
		t.Fatalf("forced run: error %v, want context.Canceled", err)
	}
	ents, _ := os.ReadDir(out)
	if len(ents) != 3 {
		t.Errorf("cancelled forced run left %d entries, want the 3 old parts", len(ents))
	}
	for p, b := range old {
		if now, _ := os.ReadFile(p); !bytes.Equal(now, b) {
			t.Errorf("cancelled forced run changed %s", p)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	err := Config{Files: 0, Workers: 0, RowGroupRows: 0}.Validate()
	if err == nil {
		t.Fatal("empty config validated")
	}
	for _, want := range []string{"input", "output", "group id", "timestamp", "files", "workers", "memory", "row group"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("validation error %q does not mention %s", err, want)
		}
	}
	cfg := testConfig("in", "out", 4)
	if err := cfg.Validate(); err != nil {
		t.Errorf("valid config: %v", err)
	}
	cfg.TimestampColumn = cfg.GroupColumn
	if err := cfg.Validate(); err == nil {
		t.Error("same group and timestamp column validated")
	}
}
