package kernels

import (
	"math/bits"

	"github.com/RoaringBitmap/roaring/v2"
)

// Aggregations over the rows of a group set. Each walks the set as runs of consecutive groups
// (roaring's Ranges, which allocates nothing), so a dense set becomes a few long row ranges, and
// hands each run to a plain loop over the rows. A nil group set means every group.
//
// Common preconditions: starts[0] == 0 and starts[G] == R for G = len(starts)-1 and R rows; every
// group in groups is < G; column slices have R entries; a null bitmap is nil or has (R+63)/64
// words.

// RowsOfGroups returns the number of rows of the groups in groups (nil means every group).
func RowsOfGroups(groups *roaring.Bitmap, starts []uint32) int64 {
	if len(starts) < 2 {
		return 0
	}
	if groups == nil {
		return int64(starts[len(starts)-1] - starts[0])
	}
	var n int64
	for first, end := range groups.Ranges() {
		n += int64(starts[end] - starts[first])
	}
	return n
}

// CountNonNull returns the number of non-null rows of the groups in groups (nil means every
// group). A nil nulls bitmap means no row is null.
func CountNonNull(groups *roaring.Bitmap, starts []uint32, nulls []uint64) int64 {
	if len(starts) < 2 {
		return 0
	}
	if groups == nil {
		a, b := starts[0], starts[len(starts)-1]
		return int64(b-a) - nullsIn(nulls, a, b)
	}
	var n int64
	for first, end := range groups.Ranges() {
		a, b := starts[first], starts[end]
		n += int64(b-a) - nullsIn(nulls, a, b)
	}
	return n
}

// nullsIn returns the number of null rows in [a, b).
func nullsIn(nulls []uint64, a, b uint32) int64 {
	if nulls == nil {
		return 0
	}
	return int64(countRange(nulls, a, b))
}

// CountPerCode adds 1 to counts[codes[i]] for every row i of the groups in groups (nil means
// every group). The null code len(dict) is counted too; the caller ignores that slot.
// Precondition: every code < len(counts).
func CountPerCode(counts []int64, codes []uint32, groups *roaring.Bitmap, starts []uint32) {
	if len(starts) < 2 {
		return
	}
	if groups == nil {
		countCodes(counts, codes[starts[0]:starts[len(starts)-1]])
		return
	}
	for first, end := range groups.Ranges() {
		countCodes(counts, codes[starts[first]:starts[end]])
	}
}

// countCodes adds 1 to counts[c] for every c in codes.
func countCodes(counts []int64, codes []uint32) {
	for _, c := range codes {
		counts[c]++
	}
}

// GroupsPerCode adds to counts[c] the number of distinct groups in groups (nil means every group)
// with at least one row of code c. lastGroup is scratch: the caller fills it with math.MaxUint32
// before each call, and it then holds the last group seen per code.
// Preconditions: len(lastGroup) == len(counts); every code < len(counts); every group index <
// math.MaxUint32.
func GroupsPerCode(counts []int64, lastGroup []uint32, codes []uint32, groups *roaring.Bitmap, starts []uint32) {
	if len(starts) < 2 {
		return
	}
	if groups == nil {
		groupsPerCodeRange(counts, lastGroup, codes, starts, 0, len(starts)-1)
		return
	}
	for first, end := range groups.Ranges() {
		groupsPerCodeRange(counts, lastGroup, codes, starts, int(first), int(end))
	}
}

// groupsPerCodeRange is GroupsPerCode over the groups [first, end).
func groupsPerCodeRange(counts []int64, lastGroup []uint32, codes []uint32, starts []uint32, first, end int) {
	if len(counts) <= 64 {
		groupsPerSmallCodeRange(counts, codes, starts, first, end)
		return
	}
	// Bounds hints: counts[c] after lastGroup[c]; j+1 < len(starts).
	lastGroup = lastGroup[:len(counts)]
	starts = starts[first : end+1]
	for j := range len(starts) - 1 {
		id := uint32(first + j)
		for _, c := range codes[starts[j]:starts[j+1]] {
			if lastGroup[c] != id {
				lastGroup[c] = id
				counts[c]++
			}
		}
	}
}

// groupsPerSmallCodeRange is groupsPerCodeRange for at most 64 codes: a group's codes are
// gathered in one word without branches, then counted once each.
func groupsPerSmallCodeRange(counts []int64, codes []uint32, starts []uint32, first, end int) {
	starts = starts[first : end+1]
	for j := range len(starts) - 1 {
		var seen uint64
		for _, c := range codes[starts[j]:starts[j+1]] {
			seen |= 1 << (c & 63)
		}
		for ; seen != 0; seen &= seen - 1 {
			counts[bits.TrailingZeros64(seen)]++
		}
	}
}

// SumPerCodeInt64 aggregates an integer column per code over the rows of the groups in groups
// (nil means every group): for every row i with code c = codes[i] it sets present[c], and when
// vals[i] is not null it adds vals[i] to sums[c] (as float64) and 1 to ns[c]. A code therefore
// appears in present even when all its values are null.
// Preconditions: len(sums) == len(ns) == len(present); every code < len(present).
func SumPerCodeInt64(sums []float64, ns []int64, present []bool, codes []uint32, vals []int64, nulls []uint64, groups *roaring.Bitmap, starts []uint32) {
	if len(starts) < 2 {
		return
	}
	if groups == nil {
		sumCodesInt64(sums, ns, present, codes, vals, nulls, starts[0], starts[len(starts)-1])
		return
	}
	for first, end := range groups.Ranges() {
		sumCodesInt64(sums, ns, present, codes, vals, nulls, starts[first], starts[end])
	}
}

// SumPerCodeFloat64 is SumPerCodeInt64 for a float column: null and NaN values are skipped (their
// code is still marked present).
func SumPerCodeFloat64(sums []float64, ns []int64, present []bool, codes []uint32, vals []float64, nulls []uint64, groups *roaring.Bitmap, starts []uint32) {
	if len(starts) < 2 {
		return
	}
	if groups == nil {
		sumCodesFloat64(sums, ns, present, codes, vals, nulls, starts[0], starts[len(starts)-1])
		return
	}
	for first, end := range groups.Ranges() {
		sumCodesFloat64(sums, ns, present, codes, vals, nulls, starts[first], starts[end])
	}
}

// sumCodesInt64 is SumPerCodeInt64 over the rows [a, b).
func sumCodesInt64(sums []float64, ns []int64, present []bool, codes []uint32, vals []int64, nulls []uint64, a, b uint32) {
	sums, ns = sums[:len(present)], ns[:len(present)]
	cs := codes[a:b]
	vs := vals[a:b]
	vs = vs[:len(cs)]
	if nulls == nil {
		for j, c := range cs {
			present[c] = true
			sums[c] += float64(vs[j])
			ns[c]++
		}
		return
	}
	for j, c := range cs {
		present[c] = true
		if i := a + uint32(j); nulls[i>>6]>>(i&63)&1 == 0 {
			sums[c] += float64(vs[j])
			ns[c]++
		}
	}
}

// sumCodesFloat64 is SumPerCodeFloat64 over the rows [a, b).
func sumCodesFloat64(sums []float64, ns []int64, present []bool, codes []uint32, vals []float64, nulls []uint64, a, b uint32) {
	sums, ns = sums[:len(present)], ns[:len(present)]
	cs := codes[a:b]
	vs := vals[a:b]
	vs = vs[:len(cs)]
	if nulls == nil {
		for j, c := range cs {
			present[c] = true
			if x := vs[j]; x == x {
				sums[c] += x
				ns[c]++
			}
		}
		return
	}
	for j, c := range cs {
		present[c] = true
		if i := a + uint32(j); nulls[i>>6]>>(i&63)&1 == 0 {
			if x := vs[j]; x == x {
				sums[c] += x
				ns[c]++
			}
		}
	}
}
