package scan

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// writeGroups writes each slice of rows as one row group of a new file in t.TempDir() and returns
// its path.
func writeGroups[T any](t testing.TB, groups [][]T, opts ...parquet.WriterOption) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "part.parquet")
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	w := parquet.NewGenericWriter[T](fh, opts...)
	for _, rows := range groups {
		if len(rows) == 0 {
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
	return path
}

// writeRows writes rows as a single row group.
func writeRows[T any](t testing.TB, rows []T, opts ...parquet.WriterOption) string {
	t.Helper()
	return writeGroups(t, [][]T{rows}, opts...)
}

// mustRead reads path with req and fails the test on error.
func mustRead(t testing.TB, path string, req Request) *Table {
	t.Helper()
	tbl, err := ReadPath(path, req)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	checkTable(t, tbl)
	return tbl
}

// checkTable verifies the invariants every table must hold.
func checkTable(t testing.TB, tbl *Table) {
	t.Helper()
	if tbl.TS != nil && len(tbl.TS) != tbl.Rows {
		t.Fatalf("len(TS) = %d, Rows = %d", len(tbl.TS), tbl.Rows)
	}
	if tbl.GroupOf != nil || tbl.GroupStarts == nil {
		return // unordered and count-only tables are checked by their own tests
	}
	if len(tbl.GroupStarts) == 0 || tbl.GroupStarts[0] != 0 || int(tbl.GroupStarts[len(tbl.GroupStarts)-1]) != tbl.Rows && tbl.Rows > 0 {
		t.Fatalf("bad GroupStarts %v for %d rows", tbl.GroupStarts, tbl.Rows)
	}
	cols := map[string]*Column{"(group)": tbl.Group}
	if tbl.Group.Type == Int && tbl.Group.Ints == nil && tbl.Rows > 0 {
		delete(cols, "(group)") // streamed: only the group starts were kept
	}
	for name, c := range tbl.Columns {
		cols[name] = c
	}
	for name, c := range cols {
		n := 0
		switch c.Type {
		case Int:
			n = len(c.Ints)
		case Float:
			n = len(c.Floats)
		case Bool:
			n = len(c.Bools)
		case String:
			n = len(c.Codes)
			seen := make(map[string]bool, len(c.Dict))
			for _, s := range c.Dict {
				if seen[s] {
					t.Fatalf("column %s: %q twice in the dictionary", name, s)
				}
				seen[s] = true
			}
			for i, code := range c.Codes {
				if code > uint32(len(c.Dict)) || (code == uint32(len(c.Dict))) != c.IsNull(i) {
					t.Fatalf("column %s row %d: code %d, dict %d, null %v", name, i, code, len(c.Dict), c.IsNull(i))
				}
			}
		default:
			t.Fatalf("column %s: type %v", name, c.Type)
		}
		if n != tbl.Rows {
			t.Fatalf("column %s has %d rows, table %d", name, n, tbl.Rows)
		}
		if c.Nulls != nil && len(c.Nulls) != (n+63)/64 {
			t.Fatalf("column %s: %d null words for %d rows", name, len(c.Nulls), n)
		}
	}
	for g := 0; g < tbl.Groups(); g++ {
		a, b := tbl.GroupStarts[g], tbl.GroupStarts[g+1]
		if a >= b {
			t.Fatalf("group %d is empty: [%d, %d)", g, a, b)
		}
		for i := a + 1; i < b && tbl.TS != nil; i++ {
			if tbl.TS[i] < tbl.TS[i-1] {
				t.Fatalf("group %d: ts not ordered at row %d", g, i)
			}
		}
	}
}

// strAt returns the string of row i of a String column, or "<null>".
func strAt(c *Column, i int) string {
	if c.IsNull(i) {
		return "<null>"
	}
	return c.Dict[c.Codes[i]]
}

// requireDictionary fails unless every column chunk of the named columns is dictionary encoded,
// so a test meant for the dictionary path really takes it.
func requireDictionary(t testing.TB, path string, names ...string) {
	t.Helper()
	requireEncoding(t, path, true, names...)
}

// requirePlain fails if a column chunk of the named columns is dictionary encoded.
func requirePlain(t testing.TB, path string, names ...string) {
	t.Helper()
	requireEncoding(t, path, false, names...)
}

func requireEncoding(t testing.TB, path string, wantDict bool, names ...string) {
	t.Helper()
	f, closer, err := OpenPath(path)
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	for _, name := range names {
		spec := &f.columns[f.byName[name]]
		for rg, g := range f.pq.Metadata().RowGroups {
			md := g.Columns[spec.leaf].MetaData
			dict := false
			for _, e := range md.Encoding {
				dict = dict || e == format.RLEDictionary || e == format.PlainDictionary
			}
			if dict != wantDict {
				t.Fatalf("column %s row group %d: encodings %v, want dictionary %v", name, rg, md.Encoding, wantDict)
			}
		}
	}
}
