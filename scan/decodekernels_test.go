package scan

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/parquet-go/bitpack"
)

// TestUnpackSumBlockAVX2 checks unpackSumBlockAVX2 against bit unpacking then runningSum, for
// blocks of 1 to 4 miniblocks of 32 or 64 values at random widths up to 32 (each width in turn
// with every bit set), extreme min deltas and starting values (the sums wrap), with src exactly
// as long as the kernel needs.
func TestUnpackSumBlockAVX2(t *testing.T) {
	if !hasAVX2() {
		t.Skip("no AVX2")
	}
	rng := rand.New(rand.NewPCG(71, 72))
	for trial := range 400 {
		per := 32 << rng.IntN(2)
		widths := make([]byte, 1+rng.IntN(4))
		for m := range widths {
			widths[m] = byte(rng.IntN(33))
		}
		full := trial < 33 // every bit set, at width trial
		if full {
			widths[0] = byte(trial)
		}
		n := per * len(widths)
		deltas := make([]int64, n)
		var src []byte
		for m, w := range widths {
			d := deltas[m*per : (m+1)*per]
			for i := range d {
				d[i] = int64(rng.Uint64() & unpackSumTabs[w].mask)
				if full {
					d[i] = int64(unpackSumTabs[w].mask)
				}
			}
			packed := make([]byte, per*int(w)/8)
			bitpack.Pack(packed, d, uint(w))
			src = append(src, packed...)
		}
		size, ok := unpackSumBlockOk(widths, per, n, src)
		for !ok {
			src = append(src, 0)
			size, ok = unpackSumBlockOk(widths, per, n, src)
		}
		if size > len(src) {
			t.Fatalf("block of %d bytes in %d", size, len(src))
		}
		minDelta := []int64{0, 1, -1, math.MinInt64, math.MaxInt64, rng.Int64()}[trial%6]
		last := []int64{0, math.MaxInt64, math.MinInt64, rng.Int64()}[trial%4]
		want := slices.Clone(deltas)
		wantLast := runningSum(want, minDelta, last)
		got := make([]int64, n)
		gotLast := unpackSumBlockAVX2(got, src, widths, per, &unpackSumTabs, minDelta, last)
		if !slices.Equal(got, want) || gotLast != wantLast {
			t.Fatalf("trial %d, widths %v, per %d: got %v (last %d), want %v (last %d)", trial, widths, per, got, gotLast, want, wantLast)
		}
	}
}

// TestUnpackSumBlockOk checks when the kernel may run and the bytes it says a block takes.
func TestUnpackSumBlockOk(t *testing.T) {
	src := make([]byte, 400) // a block of 4 x 32 values at 20 bits: 320 bytes, the last load at 300
	for _, c := range []struct {
		widths []byte
		per, n int
		src    []byte
		size   int
		ok     bool
	}{
		{[]byte{20, 20, 20, 20}, 32, 128, src, 320, true},
		{[]byte{20, 20, 20, 20}, 32, 127, src, 0, false},         // fewer values left than the block
		{[]byte{20, 33, 20, 20}, 32, 128, src, 0, false},         // too wide
		{[]byte{20, 20, 20, 20}, 32, 128, src[:331], 320, false}, // the last load passes the end
		{[]byte{20, 20, 20, 20}, 32, 128, src[:332], 320, true},
		{[]byte{0, 0, 0, 0}, 32, 128, src[:32], 0, true},
		{[]byte{}, 32, 128, src, 0, false},
	} {
		size, ok := unpackSumBlockOk(c.widths, c.per, c.n, c.src)
		if ok != c.ok || (ok && size != c.size) {
			t.Errorf("widths %v per %d n %d len(src) %d: %d, %v; want %d, %v", c.widths, c.per, c.n, len(c.src), size, ok, c.size, c.ok)
		}
	}
}

// TestSmallTableLookup checks the AVX2 dictionary lookup against mapIndexes for every table size
// it takes, lengths with and without a tail, and indexes past the table (including ones with the
// top bit set, which a signed compare would let through) at every position.
func TestSmallTableLookup(t *testing.T) {
	if !hasAVX2() {
		t.Skip("no AVX2")
	}
	rng := rand.New(rand.NewPCG(73, 74))
	for size := 1; size <= 16; size++ {
		table := make([]uint32, size)
		for i := range table {
			table[i] = rng.Uint32()
		}
		var st smallTable
		if !st.init(table) {
			t.Fatalf("size %d refused", size)
		}
		for _, n := range []int{0, 1, 7, 8, 9, 64, 1023, 1024} {
			ids := make([]uint32, n)
			for i := range ids {
				ids[i] = uint32(rng.IntN(size))
			}
			got, want := make([]uint32, n), make([]uint32, n)
			if !st.lookup(got, ids) || mapIndexes(want, ids, table) != -1 {
				t.Fatalf("size %d n=%d: valid indexes refused", size, n)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("size %d n=%d: got %v, want %v", size, n, got, want)
			}
			for _, bad := range []uint32{uint32(size), 16, 1 << 31, math.MaxUint32} {
				if n == 0 {
					break
				}
				pos := rng.IntN(n)
				old := ids[pos]
				ids[pos] = bad
				if st.lookup(got, ids) {
					t.Fatalf("size %d n=%d: index %d at %d accepted", size, n, bad, pos)
				}
				ids[pos] = old
			}
		}
	}
	var st smallTable
	if st.init(make([]uint32, 17)) || st.init([]uint32{}) || st.init([]int64{1}) {
		t.Fatal("a table of 0 or 17 entries or of int64 accepted")
	}
}

// TestFillRun checks fillRun for runs of every length up to 20 at every position of a short
// slice: the run gets v, the rows before it keep theirs, and nothing is written past the slice.
func TestFillRun(t *testing.T) {
	for n := 0; n <= 24; n++ {
		for i := 0; i <= n; i++ {
			for m := 0; i+m <= n && m <= 20; m++ {
				buf := make([]uint32, n+8) // n rows, then 8 that must stay untouched
				for j := range buf {
					buf[j] = 7
				}
				fillRun(buf[:n], i, m, 9)
				for j, v := range buf {
					switch want := uint32(7); {
					case j >= i && j < i+m && v != 9:
						t.Fatalf("n=%d i=%d m=%d: row %d = %d, want 9", n, i, m, j, v)
					case (j < i || j >= n) && v != want:
						t.Fatalf("n=%d i=%d m=%d: row %d = %d, want it untouched", n, i, m, j, v)
					}
				}
			}
		}
	}
}
