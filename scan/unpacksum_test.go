package scan

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/parquet-go/bitpack"
)

// TestUnpackSumAVX2 checks unpackSumAVX2 against bit unpacking then runningSum, for every bit
// width it takes, lengths of 8 to 256 values, random deltas and extreme min deltas and starting
// values (the sums wrap), with src exactly as long as the kernel needs.
func TestUnpackSumAVX2(t *testing.T) {
	if !hasAVX2() {
		t.Skip("no AVX2")
	}
	rng := rand.New(rand.NewPCG(71, 72))
	for w := 0; w <= 32; w++ {
		for _, n := range []int{8, 16, 32, 64, 136, 256} {
			for trial := range 20 {
				deltas := make([]int64, n)
				for i := range deltas {
					deltas[i] = int64(rng.Uint64() & unpackSumTabs[w].mask)
					if trial == 0 {
						deltas[i] = int64(unpackSumTabs[w].mask) // every bit set
					}
				}
				packed := make([]byte, bitpack.ByteCount(uint(n*w)))
				bitpack.Pack(packed, deltas, uint(w))
				minDelta := []int64{0, 1, -1, math.MinInt64, math.MaxInt64, rng.Int64()}[trial%6]
				last := []int64{0, math.MaxInt64, math.MinInt64, rng.Int64()}[trial%4]
				src := make([]byte, max(len(packed), (n/8-1)*w+32))
				copy(src, packed)
				if !unpackSumAVX2Ok(true, n, w, src) {
					t.Fatalf("w=%d n=%d: src of %d bytes refused", w, n, len(src))
				}
				want := make([]int64, n)
				copy(want, deltas)
				wantLast := runningSum(want, minDelta, last)
				got := make([]int64, n)
				gotLast := unpackSumAVX2(got, src, &unpackSumTabs[w], w, minDelta, last)
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("w=%d n=%d trial %d: value %d = %d, want %d", w, n, trial, i, got[i], want[i])
					}
				}
				if gotLast != wantLast {
					t.Fatalf("w=%d n=%d trial %d: last %d, want %d", w, n, trial, gotLast, wantLast)
				}
			}
		}
	}
}

// TestUnpackSumAVX2Ok checks the conditions under which the kernel may run.
func TestUnpackSumAVX2Ok(t *testing.T) {
	src := make([]byte, 32+3*20)
	for _, c := range []struct {
		avx2 bool
		n, w int
		src  []byte
		want bool
	}{
		{true, 32, 20, src, true},
		{false, 32, 20, src, false},
		{true, 32, 33, src, false},
		{true, 0, 20, src, false},
		{true, 12, 20, src, false},
		{true, 32, 20, src[:len(src)-1], false},
		{true, 8, 0, src[:32], true},
	} {
		if got := unpackSumAVX2Ok(c.avx2, c.n, c.w, c.src); got != c.want {
			t.Errorf("avx2=%v n=%d w=%d len(src)=%d: %v, want %v", c.avx2, c.n, c.w, len(c.src), got, c.want)
		}
	}
}
