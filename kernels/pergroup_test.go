package kernels

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

// perGroupInput is a random table with a row mask and one int and one float column.
type perGroupInput struct {
	starts     []uint32
	mask       Bitset
	ints       []int64
	floats     []float64
	intNulls   []uint64
	floatNulls []uint64
}

func genPerGroup(rng *rand.Rand, n int) perGroupInput {
	return perGroupInput{
		starts:     genStarts(rng, n),
		mask:       genBits(rng, n, genDensity(rng)),
		ints:       genInts(rng, n),
		floats:     genFloats(rng, n),
		intNulls:   genNulls(rng, n),
		floatNulls: genNulls(rng, n),
	}
}

func TestCountPerGroup(t *testing.T) {
	for _, n := range edgeLengths() {
		for trial := range trialsFor(n) {
			rng := newRand(t, n, trial)
			in := genPerGroup(rng, n)
			numGroups := len(in.starts) - 1
			got := make([]uint32, numGroups+1)
			for i := range got {
				got[i] = rng.Uint32()
			}
			sentinel := got[numGroups]
			CountPerGroup(got, in.mask, in.starts)
			for g := range numGroups {
				want := uint32(0)
				for i := in.starts[g]; i < in.starts[g+1]; i++ {
					if in.mask.Get(int(i)) {
						want++
					}
				}
				if got[g] != want {
					t.Fatalf("n=%d group %d [%d,%d): got %d, want %d", n, g, in.starts[g], in.starts[g+1], got[g], want)
				}
			}
			if got[numGroups] != sentinel {
				t.Fatalf("n=%d: wrote past the groups", n)
			}
		}
	}
}

func TestCountPerGroupNonZeroFirstStart(t *testing.T) {
	mask := NewBitset(200)
	for i := 0; i < 200; i += 3 {
		mask.Set(i)
	}
	starts := []uint32{70, 71, 130, 130, 199}
	got := make([]uint32, 4)
	CountPerGroup(got, mask, starts)
	for g := range got {
		want := uint32(countRange(mask, starts[g], starts[g+1]))
		if got[g] != want {
			t.Fatalf("group %d: got %d, want %d", g, got[g], want)
		}
	}
}

func TestSumPerGroup(t *testing.T) {
	for _, n := range edgeLengths() {
		for trial := range trialsFor(n) {
			rng := newRand(t, n, trial)
			in := genPerGroup(rng, n)
			numGroups := len(in.starts) - 1
			gotI := make([]int64, numGroups)
			gotF := make([]float64, numGroups)
			for g := range numGroups {
				gotI[g], gotF[g] = rng.Int64(), rng.Float64()
			}
			SumPerGroupInt64(gotI, in.mask, in.ints, in.intNulls, in.starts)
			SumPerGroupFloat64(gotF, in.mask, in.floats, in.floatNulls, in.starts)
			for g := range numGroups {
				var wantI int64
				var wantF float64
				for i := int(in.starts[g]); i < int(in.starts[g+1]); i++ {
					if !in.mask.Get(i) {
						continue
					}
					if !isNullNaive(in.intNulls, i) {
						wantI += in.ints[i]
					}
					if !isNullNaive(in.floatNulls, i) && !math.IsNaN(in.floats[i]) {
						wantF += in.floats[i]
					}
				}
				if gotI[g] != wantI {
					t.Fatalf("n=%d int group %d: got %d, want %d", n, g, gotI[g], wantI)
				}
				if gotF[g] != wantF && !(math.IsNaN(gotF[g]) && math.IsNaN(wantF)) {
					t.Fatalf("n=%d float group %d: got %v, want %v", n, g, gotF[g], wantF)
				}
			}
		}
	}
}

// genCounts returns per-group counts with many zeros and small values.
func genCounts(rng *rand.Rand, numGroups int) []uint32 {
	counts := make([]uint32, numGroups)
	for g := range counts {
		switch rng.IntN(20) {
		case 0: // past the small counts TargetCount looks up
			counts[g] = uint32(250 + rng.IntN(20))
		case 1, 2, 3, 4, 5, 6:
		default:
			counts[g] = uint32(rng.IntN(6))
		}
	}
	return counts
}

// preset returns a destination bitmap already holding some groups, and the list of them, to
// check that targets add to it.
func preset(rng *rand.Rand, numGroups int) (*roaring.Bitmap, map[uint32]bool) {
	dst := roaring.New()
	have := map[uint32]bool{}
	for range rng.IntN(3) {
		if numGroups > 0 {
			g := uint32(rng.IntN(numGroups))
			dst.Add(g)
			have[g] = true
		}
	}
	return dst, have
}

// wantGroups lists, in order, the groups already present or accepted by match.
func wantGroups(numGroups int, have map[uint32]bool, match func(g int) bool) []uint32 {
	var want []uint32
	for g := range numGroups {
		if have[uint32(g)] || match(g) {
			want = append(want, uint32(g))
		}
	}
	return want
}

func TestTargetCount(t *testing.T) {
	for _, n := range edgeLengths() {
		for trial := range trialsFor(n) {
			rng := newRand(t, n, trial)
			counts := genCounts(rng, n)
			for _, op := range allOps {
				for _, v := range []float64{0, 1, 2, 2.5, 5, -1, 254, 255, 255.5, 256, 260} {
					for _, includeZero := range []bool{false, true} {
						dst, have := preset(rng, n)
						TargetCount(dst, counts, op, v, includeZero)
						want := wantGroups(n, have, func(g int) bool {
							if counts[g] == 0 {
								return includeZero
							}
							return naiveOrdered(float64(counts[g]), op, v)
						})
						equalBitmap(t, "TargetCount n="+itoa(n)+" "+op.String()+" "+ftoa(v), dst, want)
					}
				}
			}
		}
	}
}

func TestTargetCountZeroNeverMatchesWithoutIncludeZero(t *testing.T) {
	dst := roaring.New()
	TargetCount(dst, []uint32{0, 3, 0}, Lt, 5, false)
	equalBitmap(t, "count < 5", dst, []uint32{1})
	dst = roaring.New()
	TargetCount(dst, []uint32{0, 3, 0}, Eq, 0, true)
	equalBitmap(t, "count == 0 includeZero", dst, []uint32{0, 2})
}

func TestTargetSum(t *testing.T) {
	for _, n := range edgeLengths() {
		for trial := range trialsFor(n) {
			rng := newRand(t, n, trial)
			counts := genCounts(rng, n)
			sumsI, sumsF := genInts(rng, n), genFloats(rng, n)
			for _, op := range allOps {
				for _, v := range floatLiterals {
					dst, have := preset(rng, n)
					TargetSumInt64(dst, counts, sumsI, op, v)
					want := wantGroups(n, have, func(g int) bool { return counts[g] > 0 && naiveExact(sumsI[g], op, v) })
					equalBitmap(t, "TargetSumInt64 n="+itoa(n)+" "+op.String()+" "+ftoa(v), dst, want)

					dst, have = preset(rng, n)
					TargetSumFloat64(dst, counts, sumsF, op, v)
					want = wantGroups(n, have, func(g int) bool { return counts[g] > 0 && naiveOrdered(sumsF[g], op, v) })
					equalBitmap(t, "TargetSumFloat64 n="+itoa(n)+" "+op.String()+" "+ftoa(v), dst, want)
				}
			}
		}
	}
}

func TestTargetSumInt64IsExact(t *testing.T) {
	// float64(2^53+1) rounds to 2^53, so a float comparison would call these equal.
	sum := int64(1<<53 + 1)
	v, _ := new(big.Float).SetInt64(1 << 53).Float64()
	dst := roaring.New()
	TargetSumInt64(dst, []uint32{1}, []int64{sum}, Eq, v)
	equalBitmap(t, "2^53+1 == 2^53", dst, nil)
	TargetSumInt64(dst, []uint32{1}, []int64{sum}, Gt, v)
	equalBitmap(t, "2^53+1 > 2^53", dst, []uint32{0})
}
