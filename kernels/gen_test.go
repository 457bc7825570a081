package kernels

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

// edgeLengths are the row counts every property test runs at: where words, blocks and lanes run
// out.
func edgeLengths() []int {
	var ns []int
	for n := 0; n <= 39; n++ {
		ns = append(ns, n)
	}
	for _, base := range []int{64, 128, 1024, 4096} {
		ns = append(ns, base-1, base, base+1)
	}
	return ns
}

// trialsFor returns how many random inputs a property test draws at length n (more for short
// inputs, where each is cheap and edge cases are dense).
func trialsFor(n int) int {
	if n < 200 {
		return 6
	}
	return 3
}

func newRand(t testing.TB, n, trial int) *rand.Rand {
	t.Helper()
	return rand.New(rand.NewPCG(uint64(n), uint64(trial)+0x9e3779b97f4a7c15))
}

// genStarts splits n rows into groups of random sizes: many single-row groups, small groups and,
// when n >= 1000, one group of most of the rows.
func genStarts(rng *rand.Rand, n int) []uint32 {
	starts := []uint32{0}
	big := -1
	if n >= 1000 {
		big = rng.IntN(n / 4)
	}
	mode := rng.IntN(3)
	for pos := 0; pos < n; {
		var size int
		switch {
		case pos >= big && big >= 0:
			size = n * 2 / 3
			big = -1
		case mode == 0:
			size = 1
		case mode == 1:
			size = 1 + rng.IntN(3)
		default:
			if rng.IntN(3) == 0 {
				size = 1
			} else {
				size = 1 + rng.IntN(40)
			}
		}
		pos = min(pos+size, n)
		starts = append(starts, uint32(pos))
	}
	return starts
}

// genTS returns timestamps non-decreasing within each group, with many ties.
func genTS(rng *rand.Rand, starts []uint32) []int64 {
	n := int(starts[len(starts)-1])
	ts := make([]int64, n)
	maxStep := 1 + rng.IntN(3) // 1: ties dominate, 3: mostly distinct
	for g := 0; g+1 < len(starts); g++ {
		t := rng.Int64N(1000) - 500
		for i := starts[g]; i < starts[g+1]; i++ {
			t += int64(rng.IntN(maxStep + 1))
			ts[i] = t
		}
	}
	return ts
}

// genBits returns a random Bitset for n rows with about density*n bits set.
func genBits(rng *rand.Rand, n int, density float64) Bitset {
	b := NewBitset(n)
	for i := 0; i < n; i++ {
		if rng.Float64() < density {
			b.Set(i)
		}
	}
	return b
}

// genNulls returns nil, or a null bitmap of random density (sometimes all rows).
func genNulls(rng *rand.Rand, n int) []uint64 {
	switch rng.IntN(5) {
	case 0:
		return nil
	case 1:
		return genBits(rng, n, 1)
	case 2:
		return genBits(rng, n, 0.5)
	default:
		return genBits(rng, n, 0.1)
	}
}

// genDensity returns a random mask density, including empty and full.
func genDensity(rng *rand.Rand) float64 {
	return []float64{0, 0.02, 0.1, 0.3, 0.5, 0.9, 1}[rng.IntN(7)]
}

// genGroupSet returns a random subset of [0, numGroups): nil (every group), empty, all, random
// members or runs, sometimes run-optimized.
func genGroupSet(rng *rand.Rand, numGroups int) *roaring.Bitmap {
	switch rng.IntN(6) {
	case 0:
		return nil
	case 1:
		return roaring.New()
	case 2:
		b := roaring.New()
		b.AddRange(0, uint64(numGroups))
		return b
	case 3:
		b := roaring.New()
		for g := 0; g < numGroups; {
			run := 1 + rng.IntN(20)
			if rng.IntN(2) == 0 {
				b.AddRange(uint64(g), uint64(min(g+run, numGroups)))
			}
			g += run
		}
		if rng.IntN(2) == 0 {
			b.RunOptimize()
		}
		return b
	default:
		b := roaring.New()
		d := genDensity(rng)
		for g := 0; g < numGroups; g++ {
			if rng.Float64() < d {
				b.Add(uint32(g))
			}
		}
		return b
	}
}

// groupList returns the members of a group set (every group for nil) in ascending order.
func groupList(groups *roaring.Bitmap, numGroups int) []uint32 {
	if groups == nil {
		all := make([]uint32, numGroups)
		for g := range all {
			all[g] = uint32(g)
		}
		return all
	}
	return groups.ToArray()
}

// isNullNaive reports whether row i is null, one bit at a time.
func isNullNaive(nulls []uint64, i int) bool {
	return nulls != nil && Bitset(nulls).Get(i)
}

// garbage returns a Bitset of n words of random bits, to check that outputs are overwritten.
func garbage(rng *rand.Rand, words int) Bitset {
	b := make(Bitset, words)
	for i := range b {
		b[i] = rng.Uint64()
	}
	return b
}

// bitsetOf returns the Bitset of a []bool.
func bitsetOf(want []bool) Bitset {
	b := NewBitset(len(want))
	for i, v := range want {
		if v {
			b.Set(i)
		}
	}
	return b
}

// equalBitmap reports a mismatch between a bitmap and the wanted ascending members.
func equalBitmap(t *testing.T, what string, got *roaring.Bitmap, want []uint32) {
	t.Helper()
	g := got.ToArray()
	if !slices.Equal(g, want) && !(len(g) == 0 && len(want) == 0) {
		t.Fatalf("%s: got %d groups %v, want %d groups %v", what, len(g), head(g), len(want), head(want))
	}
}

func head[T any](s []T) []T {
	if len(s) > 20 {
		return s[:20]
	}
	return s
}

func itoa(n int) string { return strconv.Itoa(n) }

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
