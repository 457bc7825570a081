package kernels

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

// byRowCase is random unordered input: n rows over numGroups groups.
type byRowCase struct {
	n, numGroups int
	groupOf      []uint32
	ts           []int64
	masks        []Bitset
	nulls        []uint64
	ints         []int64
	floats       []float64
	codes        []uint32
	set          *roaring.Bitmap
	setBits      Bitset
}

func newByRowCase(rng *rand.Rand, n int) byRowCase {
	c := byRowCase{n: n, numGroups: 1 + rng.IntN(max(n/4, 1))}
	c.groupOf = make([]uint32, n)
	c.ts = make([]int64, n)
	c.ints = make([]int64, n)
	c.floats = make([]float64, n)
	c.codes = make([]uint32, n)
	c.nulls = make([]uint64, wordsFor(n))
	for i := range n {
		c.groupOf[i] = uint32(rng.IntN(c.numGroups))
		c.ts[i] = int64(rng.IntN(12)) - 3 // ties are common
		if i%9 == 0 {
			c.ts[i] = []int64{math.MinInt64, math.MaxInt64}[rng.IntN(2)]
		}
		c.ints[i] = rng.Int64N(1000) - 500
		c.floats[i] = rng.NormFloat64()
		if i%13 == 0 {
			c.floats[i] = math.NaN()
		}
		c.codes[i] = uint32(rng.IntN(5))
		if rng.IntN(4) == 0 {
			c.nulls[i>>6] |= 1 << (i & 63)
		}
	}
	for range 1 + rng.IntN(4) {
		m := NewBitset(n)
		for i := range n {
			if rng.IntN(3) == 0 {
				m.Set(i)
			}
		}
		c.masks = append(c.masks, m)
	}
	c.set = roaring.New()
	c.setBits = NewBitset(c.numGroups)
	for g := range c.numGroups {
		if rng.IntN(3) > 0 {
			c.set.Add(uint32(g))
			c.setBits.Set(g)
		}
	}
	return c
}

func (c byRowCase) null(i int) bool { return c.nulls[i>>6]>>(i&63)&1 != 0 }

var byRowLengths = []int{0, 1, 2, 3, 5, 8, 13, 21, 39, 63, 64, 65, 127, 128, 129, 1023, 1024, 1025}

func TestPerGroupByRow(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for _, n := range byRowLengths {
		c := newByRowCase(rng, n)
		mask := c.masks[0]
		counts := make([]uint32, c.numGroups)
		isums := make([]int64, c.numGroups)
		fsums := make([]float64, c.numGroups)
		for g := range counts { // garbage the kernels must overwrite
			counts[g], isums[g], fsums[g] = 7, 7, 7
		}
		CountPerGroupByRow(counts, mask, c.groupOf)
		SumPerGroupInt64ByRow(isums, mask, c.ints, c.nulls, c.groupOf)
		SumPerGroupFloat64ByRow(fsums, mask, c.floats, c.nulls, c.groupOf)
		wc := make([]uint32, c.numGroups)
		wi := make([]int64, c.numGroups)
		wf := make([]float64, c.numGroups)
		for i := range n {
			if !mask.Get(i) {
				continue
			}
			g := c.groupOf[i]
			wc[g]++
			if !c.null(i) {
				wi[g] += c.ints[i]
				if x := c.floats[i]; !math.IsNaN(x) {
					wf[g] += x
				}
			}
		}
		for g := range wc {
			if counts[g] != wc[g] || isums[g] != wi[g] || math.Abs(fsums[g]-wf[g]) > 1e-9 {
				t.Fatalf("n=%d group %d: count %d sum %d %g, want %d %d %g", n, g, counts[g], isums[g], fsums[g], wc[g], wi[g], wf[g])
			}
		}
	}
}

// naiveReachByRow follows the definition over rows in any order.
func naiveReachByRow(c byRowCase, groups Bitset) []uint16 {
	reached := make([]uint16, c.numGroups)
	for g := range c.numGroups {
		if groups != nil && !groups.Get(g) {
			continue
		}
		var prev int64
		k := 0
		for ; k < len(c.masks); k++ {
			found, best := false, int64(0)
			for i := range c.n {
				if int(c.groupOf[i]) != g || !c.masks[k].Get(i) || (k > 0 && c.ts[i] <= prev) {
					continue
				}
				if !found || c.ts[i] < best {
					best, found = c.ts[i], true
				}
			}
			if !found {
				break
			}
			prev = best
		}
		reached[g] = uint16(k)
	}
	return reached
}

func TestSequenceReachByRow(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	for _, n := range byRowLengths {
		for rep := range 4 {
			c := newByRowCase(rng, n)
			var groups Bitset
			if rep%2 == 1 {
				groups = c.setBits
			}
			got := make([]uint16, c.numGroups)
			for g := range got {
				got[g] = uint16(rng.Uint32())
			}
			prev, cur := make([]int64, c.numGroups), make([]int64, c.numGroups)
			SequenceReachByRow(got, c.masks, c.ts, c.groupOf, groups, prev, cur)
			want := naiveReachByRow(c, groups)
			for g := range want {
				if got[g] != want[g] {
					t.Fatalf("n=%d rep %d steps %d group %d: reached %d, want %d", n, rep, len(c.masks), g, got[g], want[g])
				}
			}
		}
	}
}

func TestAggregationsByRow(t *testing.T) {
	rng := rand.New(rand.NewPCG(35, 36))
	for _, n := range byRowLengths {
		c := newByRowCase(rng, n)
		bits := NewBitset(c.numGroups)
		GroupSetBits(bits, c.set)
		for g := range c.numGroups {
			if bits.Get(g) != c.setBits.Get(g) {
				t.Fatalf("n=%d: GroupSetBits differs at group %d", n, g)
			}
		}
		in := func(i int) bool { return c.setBits.Get(int(c.groupOf[i])) }
		var wantRows, wantNonNull int64
		groupRows := make([]uint32, c.numGroups)
		const codes = 6
		wantCounts, wantGroups := make([]int64, codes), make([]int64, codes)
		wantSums, wantNs, wantPresent := make([]float64, codes), make([]int64, codes), make([]bool, codes)
		seenPair := map[[2]uint32]bool{}
		for i := range n {
			groupRows[c.groupOf[i]]++
			if !in(i) {
				continue
			}
			wantRows++
			cd := c.codes[i]
			wantCounts[cd]++
			if p := [2]uint32{cd, c.groupOf[i]}; !seenPair[p] {
				seenPair[p] = true
				wantGroups[cd]++
			}
			wantPresent[cd] = true
			if !c.null(i) {
				wantNonNull++
				wantSums[cd] += float64(c.ints[i])
				wantNs[cd]++
			}
		}
		if got := RowsOfGroupsByRow(c.set, groupRows); got != wantRows {
			t.Fatalf("n=%d: RowsOfGroupsByRow %d, want %d", n, got, wantRows)
		}
		if got := CountNonNullByRow(c.setBits, c.groupOf, c.nulls); got != wantNonNull {
			t.Fatalf("n=%d: CountNonNullByRow %d, want %d", n, got, wantNonNull)
		}
		counts, groups := make([]int64, codes), make([]int64, codes)
		CountPerCodeByRow(counts, c.codes, c.setBits, c.groupOf)
		GroupsPerCodeByRow(groups, NewBitset(codes*c.numGroups), c.codes, c.setBits, c.groupOf, c.numGroups)
		pairs := make([]int64, codes)
		GroupsPerCodePairsByRow(pairs, c.codes, c.setBits, c.groupOf)
		if !slices.Equal(pairs, groups) {
			t.Fatalf("n=%d: GroupsPerCodePairsByRow %v, GroupsPerCodeByRow %v", n, pairs, groups)
		}
		sums, ns, present := make([]float64, codes), make([]int64, codes), make([]bool, codes)
		SumPerCodeInt64ByRow(sums, ns, present, c.codes, c.ints, c.nulls, c.setBits, c.groupOf)
		for cd := range codes {
			if counts[cd] != wantCounts[cd] || groups[cd] != wantGroups[cd] || sums[cd] != wantSums[cd] || ns[cd] != wantNs[cd] || present[cd] != wantPresent[cd] {
				t.Fatalf("n=%d code %d: count %d groups %d sum %g n %d present %v; want %d %d %g %d %v", n, cd,
					counts[cd], groups[cd], sums[cd], ns[cd], present[cd], wantCounts[cd], wantGroups[cd], wantSums[cd], wantNs[cd], wantPresent[cd])
			}
		}
		fs, fn, fp := make([]float64, codes), make([]int64, codes), make([]bool, codes)
		SumPerCodeFloat64ByRow(fs, fn, fp, c.codes, c.floats, c.nulls, c.setBits, c.groupOf)
		ws, wn := make([]float64, codes), make([]int64, codes)
		for i := range n {
			if in(i) && !c.null(i) && !math.IsNaN(c.floats[i]) {
				ws[c.codes[i]] += c.floats[i]
				wn[c.codes[i]]++
			}
		}
		for cd := range codes {
			if math.Abs(fs[cd]-ws[cd]) > 1e-9 || fn[cd] != wn[cd] || fp[cd] != wantPresent[cd] {
				t.Fatalf("n=%d code %d: float sum %g n %d, want %g %d", n, cd, fs[cd], fn[cd], ws[cd], wn[cd])
			}
		}
	}
}
