package scan

import (
	"runtime"
	"testing"
)

// TestBuffersReuse checks that a released table's slices serve the next read of a part of the
// same size or a little larger, across garbage collections, that the smallest fitting slice is
// taken, and that MaxBytes bounds what is kept.
func TestBuffersReuse(t *testing.T) {
	rows := make([]evRow, 1000)
	for i := range rows {
		rows[i] = evRow{UID: int64(i / 10), TS: int64(i), Seq: int64(i), Kind: "k"}
	}
	small, large := writeRows(t, rows[:960]), writeRows(t, rows)
	bufs := &Buffers{}
	req := Request{GroupColumn: "uid", TimestampColumn: "ts", Columns: []string{"seq"}, Buffers: bufs}
	first := mustRead(t, small, req)
	seq := &first.Columns["seq"].Ints[0]
	bufs.Release(first)
	runtime.GC()
	runtime.GC()
	second := mustRead(t, large, req) // 1000 rows fit the 960 + 60 of spare capacity
	if &second.Columns["seq"].Ints[0] != seq && &second.TS[0] != seq && &second.Group.Ints[0] != seq {
		t.Fatal("a released slice was not reused after a garbage collection")
	}
	bufs.Release(second)

	b := &Buffers{}
	a1, a2 := make([]int64, 100), make([]int64, 50)
	keep(b, &b.ints, a1)
	keep(b, &b.ints, a2)
	if got := take(b, &b.ints, 40); &got[:1][0] != &a2[0] || len(got) != 40 {
		t.Fatal("take did not return the smallest slice that fits")
	}
	if b.held != 800 {
		t.Fatalf("held %d bytes, want 800", b.held)
	}
	b = &Buffers{MaxBytes: 1000}
	keep(b, &b.ints, make([]int64, 100))
	keep(b, &b.ints, make([]int64, 100)) // would make 1600 bytes
	if len(b.ints) != 1 || b.held != 800 {
		t.Fatalf("kept %d slices of %d bytes, want 1 of 800", len(b.ints), b.held)
	}
}
