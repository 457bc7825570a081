package prepare

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

// codecLayout has one column of every kind, the optional ones with nulls.
func codecLayout() *layout {
	return &layout{cols: []column{
		{name: "b", kind: kindBool},
		{name: "i32", kind: kindInt32, optional: true},
		{name: "i64", kind: kindInt64},
		{name: "f", kind: kindFloat},
		{name: "d", kind: kindDouble, optional: true},
		{name: "s", kind: kindBytes, optional: true},
		{name: "t", kind: kindBytes},
	}}
}

// codecBatch returns a batch of rows rows with nulls, empty strings and extreme values.
func codecBatch(l *layout, rows int) *batch {
	b := newBatch(l)
	for i := range rows {
		null := i%3 == 1
		add := func(c int, v uint64, s string) {
			cb := &b.cols[c]
			if l.cols[c].optional {
				cb.nulls = append(cb.nulls, null)
				if null {
					v, s = 0, ""
				}
			}
			if l.cols[c].kind == kindBytes {
				cb.data = append(cb.data, s...)
				cb.offs = append(cb.offs, len(cb.data))
			} else {
				cb.fixed = append(cb.fixed, v)
			}
		}
		add(0, uint64(i%2), "")
		add(1, uint64(uint32(int32(-i))), "")
		add(2, uint64(math.MaxInt64-int64(i)), "")
		add(3, uint64(math.Float32bits(float32(i)/3)), "")
		add(4, math.Float64bits(-float64(i)), "")
		add(5, 0, string(bytes.Repeat([]byte("x"), i%5)))
		add(6, 0, "")
		b.ord = append(b.ord, int64(i)*7-3)
		b.rows++
	}
	return b
}

func TestBlockRoundTrip(t *testing.T) {
	l := codecLayout()
	for _, rows := range []int{0, 1, 7, 8, 9, 1000} {
		src := codecBatch(l, rows)
		codec := blockCodec{l: l}
		enc, err := codec.encode(nil, src)
		if err != nil {
			t.Fatal(err)
		}
		// Two blocks in a row read back as the rows twice.
		stream := append(append([]byte(nil), enc...), enc...)
		dst := newBatch(l)
		r := bufio.NewReader(bytes.NewReader(stream))
		for range 2 {
			if err := codec.read(r, dst); err != nil {
				t.Fatalf("%d rows: %v", rows, err)
			}
		}
		if err := codec.read(r, dst); !errors.Is(err, io.EOF) {
			t.Fatalf("%d rows: read past the end: %v", rows, err)
		}
		want := codecBatch(l, rows)
		for i := range rows {
			want.appendRow(src, i)
		}
		if !reflect.DeepEqual(dst.cols, want.cols) || !reflect.DeepEqual(dst.ord, want.ord) || dst.rows != want.rows {
			t.Errorf("%d rows: round trip differs", rows)
		}
		if dst.memBytes() != want.memBytes() {
			t.Errorf("%d rows: %d bytes after the round trip, want %d", rows, dst.memBytes(), want.memBytes())
		}
	}
}

func TestBlockTruncated(t *testing.T) {
	l := codecLayout()
	codec := blockCodec{l: l}
	enc, err := codec.encode(nil, codecBatch(l, 50))
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; n < len(enc); n++ {
		err := codec.read(bufio.NewReader(bytes.NewReader(enc[:n])), newBatch(l))
		if err == nil || errors.Is(err, io.EOF) {
			t.Fatalf("block cut at %d of %d bytes: error %v", n, len(enc), err)
		}
	}
	// A raw block whose columns do not add up is an error, not a panic.
	for _, raw := range [][]byte{nil, {1, 2, 3}, bytes.Repeat([]byte{0xff}, 200)} {
		if err := codec.decode(raw, 5, newBatch(l)); !errors.Is(err, errBadSpill) {
			t.Errorf("raw block %x: error %v, want errBadSpill", raw, err)
		}
	}
}

func TestByteSem(t *testing.T) {
	s := newByteSem(10)
	ctx := context.Background()
	if err := s.acquire(ctx, 6); err != nil {
		t.Fatal(err)
	}
	got := make(chan struct{})
	go func() {
		s.acquire(ctx, 5) // waits for the 6
		close(got)
	}()
	select {
	case <-got:
		t.Fatal("acquired 5 of 4 free bytes")
	case <-time.After(20 * time.Millisecond):
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.acquire(cctx, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled acquire: %v", err)
	}
	s.release(6)
	<-got
	if err := s.acquire(ctx, 5); err != nil { // 5 of 10 left: the cancelled waiter took nothing
		t.Fatal(err)
	}
	if s.avail != 0 {
		t.Errorf("%d bytes free, want 0", s.avail)
	}
}

func TestParallelFirstError(t *testing.T) {
	boom := errors.New("boom")
	seen := make([]bool, 100)
	err := parallel(context.Background(), 100, 3, func(ctx context.Context, _, i int) error {
		seen[i] = true
		if i == 10 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Errorf("error %v, want boom", err)
	}
	if err := parallel(context.Background(), 0, 3, nil); err != nil {
		t.Errorf("no work: %v", err)
	}
}

// typedRow has integer columns of every width and sign and logical types that must survive.
type typedRow struct {
	UserID int32     `parquet:"userId"`
	TS     time.Time `parquet:"ts,timestamp(millisecond)"`
	I8     int8      `parquet:"i8"`
	U16    uint16    `parquet:"u16"`
	U32    uint32    `parquet:"u32"`
	U64    *uint64   `parquet:"u64"`
	F32    *float32  `parquet:"f32"`
	Day    int32     `parquet:"day,date"`
	Kind   string    `parquet:"kind,enum"`
}

func TestPrepareKeepsTypes(t *testing.T) {
	dir := t.TempDir()
	var rows []typedRow
	for i := range 3000 {
		r := typedRow{
			UserID: int32(i%50) - 25,
			TS:     time.UnixMilli(1_700_000_000_000 + int64(i%17)*1000).UTC(),
			I8:     int8(i % 256),
			U16:    uint16(i * 31),
			U32:    math.MaxUint32 - uint32(i),
			Day:    int32(19000 + i%30),
			Kind:   []string{"a", "b"}[i%2],
		}
		if i%4 != 0 {
			u := math.MaxUint64 - uint64(i)
			f := float32(i) / 7
			r.U64, r.F32 = &u, &f
		}
		rows = append(rows, r)
	}
	in := filepath.Join(dir, "in")
	writeInputs(t, in, rows, []int{1000, 0}, 400)
	out := filepath.Join(dir, "out")
	cfg := testConfig(in, out, 4)
	st, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	inSchema := parquet.SchemaOf(typedRow{})
	for _, path := range st.Files {
		f, err := parquet.ReadFile[typedRow](path)
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i < len(f); i++ {
			a, b := f[i-1], f[i]
			if a.UserID > b.UserID || a.UserID == b.UserID && a.TS.After(b.TS) {
				t.Fatalf("%s: rows %d, %d out of order", path, i-1, i)
			}
		}
		got := schemaOfFile(t, path)
		if len(got) != len(inSchema.Fields()) {
			t.Fatalf("%s: %d columns, want %d", path, len(got), len(inSchema.Fields()))
		}
		for i, fld := range inSchema.Fields() {
			want := fld.Name() + " " + fld.Type().String()
			if fld.Optional() {
				want += " optional"
			}
			if got[i] != want {
				t.Errorf("%s column %d is %s, want %s", path, i, got[i], want)
			}
		}
	}
	// Every row is back, with every value.
	var all []typedRow
	for _, path := range st.Files {
		f, _ := parquet.ReadFile[typedRow](path)
		all = append(all, f...)
	}
	count := func(rs []typedRow) map[string]int {
		m := map[string]int{}
		for _, r := range rs {
			u64, f32 := "nil", "nil"
			if r.U64 != nil {
				u64 = fmtAny(*r.U64)
			}
			if r.F32 != nil {
				f32 = fmtAny(*r.F32)
			}
			m[fmtAny(r.UserID, r.TS.UnixMilli(), r.I8, r.U16, r.U32, u64, f32, r.Day, r.Kind)]++
		}
		return m
	}
	if !reflect.DeepEqual(count(all), count(rows)) {
		t.Error("output rows differ from input rows")
	}
}
