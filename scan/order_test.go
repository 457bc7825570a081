package scan

import (
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestFloatKeyOrder(t *testing.T) {
	vals := []float64{
		math.Inf(-1), -math.MaxFloat64, -1e300, -2, -1, -math.SmallestNonzeroFloat64 * 2, -math.SmallestNonzeroFloat64,
		0, math.SmallestNonzeroFloat64, 0x1p-1022, 0.5, 1, 1 + 0x1p-52, 2, 1e300, math.MaxFloat64, math.Inf(1),
	}
	for i := range vals {
		for j := range vals {
			a, b := vals[i], vals[j]
			ka, kb := FloatKey(a), FloatKey(b)
			if (a < b) != (ka < kb) || (a == b) != (ka == kb) {
				t.Fatalf("FloatKey(%g) = %d, FloatKey(%g) = %d", a, ka, b, kb)
			}
		}
	}
	if FloatKey(math.Copysign(0, -1)) != FloatKey(0) || FloatKey(0) != 0 {
		t.Fatalf("-0 and 0 map to %d and %d", FloatKey(math.Copysign(0, -1)), FloatKey(0))
	}
	if FloatKey(math.Inf(1)) != 0x7FF0_0000_0000_0000 || FloatKey(math.Inf(-1)) != -0x7FF0_0000_0000_0001 {
		t.Fatalf("infinities map to %d and %d", FloatKey(math.Inf(1)), FloatKey(math.Inf(-1)))
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for range 10000 {
		a := math.Float64frombits(rng.Uint64())
		b := math.Float64frombits(rng.Uint64())
		if math.IsNaN(a) || math.IsNaN(b) {
			continue
		}
		if (a < b) != (FloatKey(a) < FloatKey(b)) {
			t.Fatalf("order of %g and %g not kept", a, b)
		}
	}
}

func TestCeilFloat(t *testing.T) {
	ints := []int64{0, 1, -1, 1 << 53, 1<<53 + 1, -(1<<53 + 1), math.MaxInt64, math.MinInt64, math.MaxInt64 - 1000, math.MinInt64 + 1, 123456789012345679}
	rng := rand.New(rand.NewPCG(9, 10))
	for range 1000 {
		ints = append(ints, int64(rng.Uint64()))
	}
	for _, i := range ints {
		f := ceilFloat(i)
		bi := new(big.Float).SetInt64(i)
		if new(big.Float).SetFloat64(f).Cmp(bi) < 0 {
			t.Fatalf("ceilFloat(%d) = %g is below it", i, f)
		}
		below := math.Nextafter(f, math.Inf(-1))
		if new(big.Float).SetFloat64(below).Cmp(bi) >= 0 {
			t.Fatalf("ceilFloat(%d) = %g is not the smallest float >= it (%g is)", i, f, below)
		}
		for _, g := range []float64{f, below, math.Nextafter(f, math.Inf(1)), 0.5, -0.5, math.Inf(1), math.Inf(-1)} {
			want := new(big.Float).SetFloat64(g).Cmp(bi)
			if got := cmpFloatInt(g, i); got != want {
				t.Fatalf("cmpFloatInt(%g, %d) = %d, want %d", g, i, got, want)
			}
		}
	}
}

// TestSortPermutation checks the counting sort plus per-group ordering against a naive stable
// sort at edge lengths.
func TestSortPermutation(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, n := range []int{0, 1, 2, 23, 24, 25, 63, 64, 65, 127, 128, 129, 1023, 1024, 1025, 4097} {
		for mode, groups := range []int{1, 3, n/30 + 1, n + 1, 7, 7} {
			rank := make([]uint32, n)
			ts := make([]int64, n)
			for i := range rank {
				rank[i] = uint32(rng.IntN(groups))
				switch mode {
				case 4: // the whole input in time order: one counting sort suffices
					ts[i] = int64(i / 3)
				case 5: // the full int64 span: six radix passes
					ts[i] = int64(rng.Uint64())
					if i%5 == 0 {
						ts[i] = []int64{math.MinInt64, math.MaxInt64, 0, -1}[rng.IntN(4)]
					}
				default:
					ts[i] = int64(rng.IntN(max(n/4, 1))) - 5
				}
			}
			perm := sortPermutation(rank, groups, ts)
			want := make([]uint32, n)
			for i := range want {
				want[i] = uint32(i)
			}
			slices.SortStableFunc(want, func(a, b uint32) int {
				if rank[a] != rank[b] {
					return int(rank[a]) - int(rank[b])
				}
				return cmpInt(ts[a], ts[b])
			})
			if !slices.Equal(perm, want) {
				t.Fatalf("n %d groups %d: permutation differs from a naive stable sort", n, groups)
			}
		}
	}
}

func TestDenseIntRanks(t *testing.T) {
	vals := []int64{5, 5, -3, 9, 5, math.MinInt64, 9, math.MaxInt64}
	ranks, n := denseIntRanks(vals)
	if n != 5 || !slices.Equal(ranks, []uint32{2, 2, 1, 3, 2, 0, 3, 4}) {
		t.Fatalf("ranks %v (%d)", ranks, n)
	}
}

func TestGatherBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, n := range []int{0, 1, 63, 64, 65, 200, 1025} {
		src := make([]uint64, (n+63)/64)
		for i := range src {
			src[i] = rng.Uint64()
		}
		if n%64 != 0 {
			src[len(src)-1] &= 1<<(n%64) - 1
		}
		bit := func(b []uint64, i uint32) bool { return b[i>>6]>>(i&63)&1 != 0 }
		// An increasing selection, applied in place and not.
		var sel []uint32
		for i := range n {
			if rng.IntN(3) > 0 {
				sel = append(sel, uint32(i))
			}
		}
		want := make([]bool, len(sel))
		for i, p := range sel {
			want[i] = bit(src, p)
		}
		for _, inPlace := range []bool{false, true} {
			got := gatherBits(slices.Clone(src), sel, inPlace)
			for i := range sel {
				if (got != nil && bit(got, uint32(i))) != want[i] {
					t.Fatalf("n %d in place %v: bit %d wrong", n, inPlace, i)
				}
			}
			if got != nil && popcount(got) == 0 {
				t.Fatalf("an empty bitmap was returned instead of nil")
			}
		}
	}
	if gatherBits([]uint64{1}, []uint32{1, 2}, false) != nil {
		t.Fatalf("no null selected, bitmap should be nil")
	}
}

func TestDecoderChecks(t *testing.T) {
	dst := make([]int64, 3)
	if err := lookup([]int64{1, 2}, []int32{0, 1, 2}, dst); !errors.Is(err, ErrCorrupt) {
		t.Errorf("index past the dictionary: err = %v", err)
	}
	if err := lookup([]int64{1, 2}, []int32{0, -1, 1}, dst); !errors.Is(err, ErrCorrupt) {
		t.Errorf("negative index: err = %v", err)
	}
	if err := lookup([]int64{1, 2}, []int32{0, 1}, dst); !errors.Is(err, ErrCorrupt) {
		t.Errorf("too few indexes: err = %v", err)
	}
	if err := lookup([]int64{1, 2}, []int32{1, 0, 1, 5}, dst); err != nil || !slices.Equal(dst, []int64{2, 1, 2}) {
		t.Errorf("lookup = %v, %v", dst, err)
	}
	bools := make([]bool, 9)
	if err := unpackBools([]byte{0xff}, bools); !errors.Is(err, ErrCorrupt) {
		t.Errorf("too few bits: err = %v", err)
	}
	if err := unpackBools([]byte{0b0000_0101, 1}, bools); err != nil || !slices.Equal(bools, []bool{true, false, true, false, false, false, false, false, true}) {
		t.Errorf("unpackBools = %v, %v", bools, err)
	}
	vals := []int64{7, 8, 0, 0, 0}
	nulls := make([]uint64, 2)
	spread(vals, []byte{0, 1, 0, 0, 1}, 1, 2, nulls, 62)
	if !slices.Equal(vals, []int64{0, 7, 0, 0, 8}) || nulls[0] != 1<<62 || nulls[1] != 0b11 {
		t.Errorf("spread = %v, nulls %b %b", vals, nulls[0], nulls[1])
	}
}
