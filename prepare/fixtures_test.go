package prepare

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// intRow is an input row with integer user ids and timestamps. The group and timestamp columns
// are not first, so that their column indexes are checked.
type intRow struct {
	Seq    int64    `parquet:"seq"` // input position: file order, then row order
	Event  string   `parquet:"event,dict"`
	UserID int64    `parquet:"userId"`
	TS     int64    `parquet:"ts"`
	Token  string   `parquet:"token"` // unique: high cardinality
	Note   *string  `parquet:"note"`
	Price  *float64 `parquet:"price"`
	Qty    *int32   `parquet:"qty"`
	Small  int32    `parquet:"small"`
	Ratio  float32  `parquet:"ratio"`
	Flag   bool     `parquet:"flag"`
	Count  *int64   `parquet:"count"`
}

// strRow is an input row with string user ids and float timestamps.
type strRow struct {
	UserID string  `parquet:"userId"`
	TS     float64 `parquet:"ts"`
	Seq    int64   `parquet:"seq"`
	Event  string  `parquet:"event"`
	Note   *string `parquet:"note"`
	Flag   *bool   `parquet:"flag"`
}

var events = []string{"pageview", "search", "addToCart", "purchase", "login"}

// heavyUser has thousands of rows, many of them at equal timestamps.
const heavyUser = 7

// genIntRows returns rows of users -20 .. users-21 (about 8 rows each) and of heavyUser (3000
// rows), in random order, with Seq set to the row's index.
func genIntRows(seed uint64, users int) []intRow {
	rng := rand.New(rand.NewPCG(seed, 1))
	var rows []intRow
	add := func(u int64, ts int64) {
		r := intRow{
			Event:  events[rng.IntN(len(events))],
			UserID: u,
			TS:     ts,
			Token:  fmt.Sprintf("tok-%d-%d", u, rng.Int64()),
			Small:  int32(rng.IntN(2000) - 1000),
			Ratio:  rng.Float32(),
			Flag:   rng.IntN(2) == 0,
		}
		if rng.IntN(3) == 0 {
			s := events[rng.IntN(len(events))] + "!"
			r.Note = &s
		}
		if rng.IntN(2) == 0 {
			p := float64(rng.IntN(10000)) / 100
			q := int32(rng.IntN(5))
			r.Price, r.Qty = &p, &q
		}
		if rng.IntN(4) == 0 {
			c := rng.Int64N(1e12) - 5e11
			r.Count = &c
		}
		rows = append(rows, r)
	}
	for u := int64(-20); u < int64(users-20); u++ {
		n := 1 + rng.IntN(15)
		base := 1_700_000_000_000 + rng.Int64N(1e9)
		for range n {
			add(u, base+rng.Int64N(20)) // narrow range: ties
		}
	}
	for range 3000 {
		add(heavyUser, 1_700_000_000_000+rng.Int64N(300))
	}
	rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	for i := range rows {
		rows[i].Seq = int64(i)
	}
	return rows
}

// genStrRows returns rows of string users, shuffled, with Seq set to the row's index.
func genStrRows(seed uint64, users int) []strRow {
	rng := rand.New(rand.NewPCG(seed, 2))
	var rows []strRow
	for u := range users {
		id := fmt.Sprintf("user-%d", u)
		n := 1 + rng.IntN(12)
		if u == heavyUser {
			n = 2500
		}
		base := 1.7e9 + float64(rng.IntN(1e6))
		for range n {
			r := strRow{UserID: id, TS: base + float64(rng.IntN(40))/4, Event: events[rng.IntN(len(events))]}
			if rng.IntN(3) == 0 {
				s := fmt.Sprintf("n%d", rng.IntN(4))
				r.Note = &s
			}
			if rng.IntN(3) != 0 {
				f := rng.IntN(2) == 0
				r.Flag = &f
			}
			rows = append(rows, r)
		}
	}
	rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	for i := range rows {
		rows[i].Seq = int64(i)
	}
	return rows
}

// writeInputs writes rows into files of the given sizes (in order) under dir, with row groups
// of rowGroupRows rows, and returns the paths.
func writeInputs[T any](t testing.TB, dir string, rows []T, sizes []int, rowGroupRows int64) []string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for i, n := range sizes {
		if i == len(sizes)-1 {
			n = len(rows)
		}
		path := filepath.Join(dir, fmt.Sprintf("in-%02d.parquet", i))
		writeFile(t, path, rows[:n], parquet.MaxRowsPerRowGroup(rowGroupRows))
		rows = rows[n:]
		paths = append(paths, path)
	}
	return paths
}

func writeFile[T any](t testing.TB, path string, rows []T, opts ...parquet.WriterOption) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[T](f, opts...)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// readParts reads every output file as rows of T, by part.
func readParts[T any](t testing.TB, paths []string) [][]T {
	t.Helper()
	out := make([][]T, len(paths))
	for p, path := range paths {
		rows, err := parquet.ReadFile[T](path)
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		out[p] = rows
	}
	return out
}

// schemaOfFile describes the top-level columns of a file: name, type and "optional".
func schemaOfFile(t testing.TB, path string) []string {
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
	var out []string
	for _, c := range f.Root().Columns() {
		s := c.Name() + " " + c.Type().String()
		if c.Optional() {
			s += " optional"
		}
		out = append(out, s)
	}
	return out
}

func fmtAny(vs ...any) string { return fmt.Sprint(vs...) }
