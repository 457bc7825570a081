package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

// aggInput is a random table with a group set, a code column and two value columns.
type aggInput struct {
	starts     []uint32
	groups     *roaring.Bitmap
	codes      []uint32
	dictLen    int
	ints       []int64
	floats     []float64
	intNulls   []uint64
	floatNulls []uint64
}

func genAgg(rng *rand.Rand, n int) aggInput {
	in := aggInput{
		starts:     genStarts(rng, n),
		dictLen:    []int{rng.IntN(30), 62 + rng.IntN(40)}[rng.IntN(2)], // GroupsPerCode has a path for <= 64 codes
		ints:       genInts(rng, n),
		floats:     genFloats(rng, n),
		intNulls:   genNulls(rng, n),
		floatNulls: genNulls(rng, n),
	}
	in.groups = genGroupSet(rng, len(in.starts)-1)
	in.codes = make([]uint32, n)
	for i := range in.codes {
		in.codes[i] = uint32(rng.IntN(in.dictLen + 1))
	}
	for i := range in.ints {
		if rng.IntN(2) == 0 {
			in.ints[i] = rng.Int64N(1000) // keep most float64 sums exact
		}
	}
	return in
}

// rowsOf lists the rows of the groups in a set with the group of each.
func (in aggInput) rowsOf() (rows, groupOf []int) {
	for _, g := range groupList(in.groups, len(in.starts)-1) {
		for i := in.starts[g]; i < in.starts[g+1]; i++ {
			rows = append(rows, int(i))
			groupOf = append(groupOf, int(g))
		}
	}
	return rows, groupOf
}

func checkAggregations(t *testing.T, what string, in aggInput) {
	t.Helper()
	rows, groupOf := in.rowsOf()
	numCodes := in.dictLen + 1

	if got := RowsOfGroups(in.groups, in.starts); got != int64(len(rows)) {
		t.Fatalf("%s RowsOfGroups: got %d, want %d", what, got, len(rows))
	}
	wantNonNull := 0
	for _, i := range rows {
		if !isNullNaive(in.intNulls, i) {
			wantNonNull++
		}
	}
	if got := CountNonNull(in.groups, in.starts, in.intNulls); got != int64(wantNonNull) {
		t.Fatalf("%s CountNonNull: got %d, want %d", what, got, wantNonNull)
	}

	wantCounts := make([]int64, numCodes)
	groupsSeen := map[[2]int]bool{}
	wantGroups := make([]int64, numCodes)
	for j, i := range rows {
		c := int(in.codes[i])
		wantCounts[c]++
		if key := [2]int{c, groupOf[j]}; !groupsSeen[key] {
			groupsSeen[key] = true
			wantGroups[c]++
		}
	}
	// Start from non-zero counts: the kernels add.
	counts := make([]int64, numCodes)
	for c := range counts {
		counts[c] = int64(c) * 1000
	}
	CountPerCode(counts, in.codes, in.groups, in.starts)
	for c := range counts {
		if counts[c]-int64(c)*1000 != wantCounts[c] {
			t.Fatalf("%s CountPerCode code %d: got %d, want %d", what, c, counts[c]-int64(c)*1000, wantCounts[c])
		}
	}
	clear(counts)
	last := make([]uint32, numCodes)
	for c := range last {
		last[c] = math.MaxUint32
	}
	GroupsPerCode(counts, last, in.codes, in.groups, in.starts)
	for c := range counts {
		if counts[c] != wantGroups[c] {
			t.Fatalf("%s GroupsPerCode code %d: got %d, want %d", what, c, counts[c], wantGroups[c])
		}
	}

	wantSumI, wantSumF := make([]float64, numCodes), make([]float64, numCodes)
	wantNI, wantNF := make([]int64, numCodes), make([]int64, numCodes)
	wantPresent := make([]bool, numCodes)
	for _, i := range rows {
		c := in.codes[i]
		wantPresent[c] = true
		if !isNullNaive(in.intNulls, i) {
			wantSumI[c] += float64(in.ints[i])
			wantNI[c]++
		}
		if !isNullNaive(in.floatNulls, i) && !math.IsNaN(in.floats[i]) {
			wantSumF[c] += in.floats[i]
			wantNF[c]++
		}
	}
	sums, ns, present := make([]float64, numCodes), make([]int64, numCodes), make([]bool, numCodes)
	SumPerCodeInt64(sums, ns, present, in.codes, in.ints, in.intNulls, in.groups, in.starts)
	for c := range sums {
		if !sameFloat(sums[c], wantSumI[c]) || ns[c] != wantNI[c] || present[c] != wantPresent[c] {
			t.Fatalf("%s SumPerCodeInt64 code %d: got (%v, %d, %v), want (%v, %d, %v)", what, c, sums[c], ns[c], present[c], wantSumI[c], wantNI[c], wantPresent[c])
		}
	}
	sums, ns, present = make([]float64, numCodes), make([]int64, numCodes), make([]bool, numCodes)
	SumPerCodeFloat64(sums, ns, present, in.codes, in.floats, in.floatNulls, in.groups, in.starts)
	for c := range sums {
		if !sameFloat(sums[c], wantSumF[c]) || ns[c] != wantNF[c] || present[c] != wantPresent[c] {
			t.Fatalf("%s SumPerCodeFloat64 code %d: got (%v, %d, %v), want (%v, %d, %v)", what, c, sums[c], ns[c], present[c], wantSumF[c], wantNF[c], wantPresent[c])
		}
	}
}

// sameFloat reports whether two sums are the same float (NaN equal to NaN). The kernels and the
// references add in the same row order, so the sums are bit-identical.
func sameFloat(a, b float64) bool {
	return a == b || (math.IsNaN(a) && math.IsNaN(b))
}

func TestAggregations(t *testing.T) {
	for _, n := range edgeLengths() {
		for trial := range trialsFor(n) {
			rng := newRand(t, n, trial)
			checkAggregations(t, "n="+itoa(n), genAgg(rng, n))
		}
	}
}

// TestLargeGroupSets covers roaring bitmap and run containers (sets of more than 4096 groups in
// one 64K chunk) and sets spanning several chunks, for the aggregations and the sequence walk.
func TestLargeGroupSets(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	const numGroups = 140_000
	starts := make([]uint32, numGroups+1)
	for g := range numGroups {
		starts[g+1] = starts[g] + 1 + uint32(rng.IntN(2))
	}
	n := int(starts[numGroups])
	base := genAgg(rng, n)
	base.starts = starts
	ts := genTS(rng, starts)
	steps := []Bitset{genBits(rng, n, 0.5), genBits(rng, n, 0.5)}
	dense := roaring.New()
	for g := range numGroups {
		if rng.IntN(10) != 0 {
			dense.Add(uint32(g))
		}
	}
	runs := roaring.New()
	runs.AddRange(10, 70_000)
	runs.AddRange(70_001, 130_000)
	runs.RunOptimize()
	for _, c := range []struct {
		name   string
		groups *roaring.Bitmap
	}{{"dense", dense}, {"runs", runs}, {"nil", nil}} {
		in := base
		in.groups = c.groups
		checkAggregations(t, c.name, in)
		checkSequence(t, c.name, steps, ts, starts, c.groups, rng)
	}
}

func TestKernelsDoNotAllocate(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	const n = 5000
	in := genAgg(rng, n)
	in.groups = roaring.New()
	for g := 0; g < len(in.starts)-1; g += 2 {
		in.groups.Add(uint32(g))
	}
	in.groups.AddRange(uint64(len(in.starts)-1)/2, uint64(len(in.starts)-1))
	numGroups := len(in.starts) - 1
	numCodes := in.dictLen + 1
	ts := genTS(rng, in.starts)
	mask := genBits(rng, n, 0.3)
	dst := NewBitset(n)
	counts32 := make([]uint32, numGroups)
	sumsI, sumsF := make([]int64, numGroups), make([]float64, numGroups)
	reached := make([]uint16, numGroups)
	steps := []Bitset{mask, genBits(rng, n, 0.3), genBits(rng, n, 0.3)}
	counts, last := make([]int64, numCodes), make([]uint32, numCodes)
	sums, ns, present := make([]float64, numCodes), make([]int64, numCodes), make([]bool, numCodes)
	lut := make([]bool, numCodes)
	f := func(name string, fn func()) {
		t.Helper()
		if a := testing.AllocsPerRun(5, fn); a != 0 {
			t.Errorf("%s: %v allocations per call", name, a)
		}
	}
	f("CompareInt64", func() { CompareInt64(dst, in.ints, in.intNulls, Ge, 3) })
	f("CompareFloat64", func() { CompareFloat64(dst, in.floats, in.floatNulls, Lt, 3) })
	f("CompareInt64WithFloat", func() { CompareInt64WithFloat(dst, in.ints, in.intNulls, Lt, 2.5) })
	f("MatchCodes", func() { MatchCodes(dst, in.codes, lut) })
	f("CountPerGroup", func() { CountPerGroup(counts32, mask, in.starts) })
	f("SumPerGroupInt64", func() { SumPerGroupInt64(sumsI, mask, in.ints, in.intNulls, in.starts) })
	f("SumPerGroupFloat64", func() { SumPerGroupFloat64(sumsF, mask, in.floats, in.floatNulls, in.starts) })
	f("SequenceReach", func() { SequenceReach(reached, steps, ts, in.starts, in.groups) })
	f("RowsOfGroups", func() { RowsOfGroups(in.groups, in.starts) })
	f("CountNonNull", func() { CountNonNull(in.groups, in.starts, in.intNulls) })
	f("CountPerCode", func() { CountPerCode(counts, in.codes, in.groups, in.starts) })
	f("GroupsPerCode", func() { GroupsPerCode(counts, last, in.codes, in.groups, in.starts) })
	f("SumPerCodeInt64", func() { SumPerCodeInt64(sums, ns, present, in.codes, in.ints, in.intNulls, in.groups, in.starts) })
	f("SumPerCodeFloat64", func() { SumPerCodeFloat64(sums, ns, present, in.codes, in.floats, in.floatNulls, in.groups, in.starts) })
}
