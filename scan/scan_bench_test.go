package scan

import (
	"bytes"
	"cmp"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"
)

type benchRow struct {
	UserID    int64  `parquet:"userId"`
	Timestamp int64  `parquet:"timestamp"`
	EventType string `parquet:"eventType,dict"`
}

// benchRowDelta is benchRow in the layout frocket's generator writes (with snappy).
type benchRowDelta struct {
	UserID    int64  `parquet:"userId,delta"`
	Timestamp int64  `parquet:"timestamp,delta"`
	EventType string `parquet:"eventType,dict"`
}

// Row orders of the benchmark files.
const (
	byUser   = iota // sorted by (userId, timestamp), as frocket writes files
	byTime          // sorted by timestamp only, as event logs often are
	shuffled        // random order, the worst case
)

// benchFile writes a 1M-row file of 10K users (100 events each) in row groups of 128K rows, in
// the given row order, and opens it from memory. Integers are PLAIN and nothing is compressed.
func benchFile(b *testing.B, order int) *File {
	return benchFileLayout(b, order, false, 100)
}

// benchFileLayout is benchFile; with frocketLayout the integers are DELTA_BINARY_PACKED and the
// pages snappy-compressed, as in the files frocket writes. The 1M rows are split into users of
// perUser events each.
func benchFileLayout(b *testing.B, order int, frocketLayout bool, perUser int) *File {
	b.Helper()
	users := 1_000_000 / perUser
	rng := rand.New(rand.NewPCG(42, 43))
	types := []string{"pageView", "click", "addToCart", "purchase", "search", "login", "logout", "share"}
	rows := make([]benchRow, 0, users*perUser)
	for u := range users {
		ts := int64(1_600_000_000_000) + rng.Int64N(1_000_000)
		for range perUser {
			ts += rng.Int64N(60_000)
			rows = append(rows, benchRow{UserID: int64(u) * 7919, Timestamp: ts, EventType: types[rng.IntN(len(types))]})
		}
	}
	switch order {
	case byTime:
		slices.SortStableFunc(rows, func(a, b benchRow) int { return cmp.Compare(a.Timestamp, b.Timestamp) })
	case shuffled:
		rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	}
	var path string
	if frocketLayout {
		var groups [][]benchRowDelta
		for chunk := range slices.Chunk(rows, 128<<10) {
			g := make([]benchRowDelta, len(chunk))
			for i, r := range chunk {
				g[i] = benchRowDelta(r)
			}
			groups = append(groups, g)
		}
		path = writeGroups(b, groups, parquet.Compression(&parquet.Snappy))
	} else {
		var groups [][]benchRow
		for chunk := range slices.Chunk(rows, 128<<10) {
			groups = append(groups, chunk)
		}
		path = writeGroups(b, groups)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	f, err := Open(bytes.NewReader(data), int64(len(data)), "bench.parquet")
	if err != nil {
		b.Fatal(err)
	}
	return f
}

func benchRead(b *testing.B, f *File, req Request, wantSorted bool) {
	benchReadGroups(b, f, req, wantSorted, 10_000)
}

func benchReadGroups(b *testing.B, f *File, req Request, wantSorted bool, groups int) {
	b.ReportAllocs()
	rows := 0
	b.ResetTimer()
	for b.Loop() {
		tbl, err := f.Read(req)
		if err != nil {
			b.Fatal(err)
		}
		if tbl.WasSorted != wantSorted || tbl.Groups() != groups {
			b.Fatalf("sorted %v, %d groups", tbl.WasSorted, tbl.Groups())
		}
		rows += int(tbl.FileRows)
		req.Buffers.Release(tbl) // a no-op without Buffers
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkRead(b *testing.B) {
	req := Request{GroupColumn: "userId", TimestampColumn: "timestamp", Columns: []string{"eventType"}}
	b.Run("sorted", func(b *testing.B) {
		benchRead(b, benchFile(b, byUser), req, true)
	})
	b.Run("sorted-bufs", func(b *testing.B) {
		r := req
		r.Buffers = &Buffers{}
		benchRead(b, benchFile(b, byUser), r, true)
	})
	b.Run("sorted-delta-snappy", func(b *testing.B) {
		benchRead(b, benchFileLayout(b, byUser, true, 100), req, true)
	})
	b.Run("sorted-delta-snappy-bufs", func(b *testing.B) {
		r := req
		r.Buffers = &Buffers{}
		benchRead(b, benchFileLayout(b, byUser, true, 100), r, true)
	})
	b.Run("sorted-delta-snappy-short-runs-bufs", func(b *testing.B) {
		// 100K users of 10 events, like the worker's benchmark part.
		r := req
		r.Buffers = &Buffers{}
		benchReadGroups(b, benchFileLayout(b, byUser, true, 10), r, true, 100_000)
	})
	b.Run("unsorted", func(b *testing.B) {
		benchRead(b, benchFile(b, shuffled), req, false)
	})
	b.Run("unsorted-time-ordered", func(b *testing.B) {
		benchRead(b, benchFile(b, byTime), req, false)
	})
	b.Run("unsorted-unordered", func(b *testing.B) {
		r := req
		r.Unordered = true
		benchRead(b, benchFile(b, shuffled), r, false)
	})
	noTS := Request{GroupColumn: "userId", Columns: []string{"eventType"}}
	b.Run("sorted-no-ts", func(b *testing.B) {
		benchRead(b, benchFile(b, byUser), noTS, true)
	})
	b.Run("unsorted-no-ts", func(b *testing.B) {
		benchRead(b, benchFile(b, shuffled), noTS, false)
	})
	b.Run("sorted-timeframe", func(b *testing.B) {
		// About the middle half of the time range: every row is checked, none is skipped by
		// statistics since each row group spans all users.
		from, to := int64(1_600_000_000_000+1_500_000), int64(1_600_000_000_000+4_500_000)
		r := req
		r.From, r.To = &from, &to
		benchRead(b, benchFile(b, byUser), r, true)
	})
}
