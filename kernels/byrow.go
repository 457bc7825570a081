package kernels

import (
	"math/bits"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"
)

// Kernels over rows in any order ("by row"): instead of contiguous group runs (starts) they take
// groupOf, the dense group index of every row, and scatter into per-group or per-code arrays.
// They let an unsorted file be answered without sorting it.
//
// Common preconditions: groupOf has one entry per row, each < G, the number of groups; per-group
// outputs have at least G entries; masks and null bitmaps cover the rows as in the ordered
// kernels; a group set given as a Bitset (over group indexes) has at least (G+63)/64 words.

// CountPerGroupByRow sets dst[g] to the number of rows of group g in mask, for every group g < len(dst).
func CountPerGroupByRow(dst []uint32, mask Bitset, groupOf []uint32) {
	clear(dst)
	m := mask[:wordsFor(len(groupOf))]
	for wi, w := range m {
		base := wi << 6
		for w != 0 {
			i := base + bits.TrailingZeros64(w)
			w &= w - 1
			dst[groupOf[i]]++
		}
	}
}

// SumPerGroupInt64ByRow sets dst[g] to the sum of vals over the non-null rows of group g in mask
// (0 when there are none), for every group g < len(dst). Sums wrap on int64 overflow.
func SumPerGroupInt64ByRow(dst []int64, mask Bitset, vals []int64, nulls []uint64, groupOf []uint32) {
	clear(dst)
	m := mask[:wordsFor(len(groupOf))]
	vals = vals[:len(groupOf)]
	for wi, w := range m {
		if nulls != nil {
			w &^= nulls[wi]
		}
		base := wi << 6
		for w != 0 {
			i := base + bits.TrailingZeros64(w)
			w &= w - 1
			dst[groupOf[i]] += vals[i]
		}
	}
}

// SumPerGroupFloat64ByRow is SumPerGroupInt64ByRow for floats; NaN rows are skipped. The sums
// add the rows in row order.
func SumPerGroupFloat64ByRow(dst []float64, mask Bitset, vals []float64, nulls []uint64, groupOf []uint32) {
	clear(dst)
	m := mask[:wordsFor(len(groupOf))]
	vals = vals[:len(groupOf)]
	for wi, w := range m {
		if nulls != nil {
			w &^= nulls[wi]
		}
		base := wi << 6
		for w != 0 {
			i := base + bits.TrailingZeros64(w)
			w &= w - 1
			if x := vals[i]; x == x {
				dst[groupOf[i]] += x
			}
		}
	}
}

// SequenceReachByRow is SequenceReach for rows in any order: it sets reached[g], for every group
// g < len(reached) in groups (nil means every group), to the number of steps g completes, and 0
// for every other group.
//
// It makes one pass per step over the set bits of that step's mask, keeping per group the
// timestamp of its match of the previous step: T0[g] is the least timestamp of g's rows in
// steps[0], and Tk[g] the least timestamp of g's rows in steps[k] that is strictly greater than
// T(k-1)[g]. That is exactly the chain the ordered kernel's cursor finds, so both give the same
// answer. A pass stops early when no group is still advancing.
//
// prev and cur are scratch of at least len(reached) entries. Preconditions: len(steps) <= 65535;
// each step mask covers len(groupOf) rows; len(ts) >= len(groupOf).
func SequenceReachByRow(reached []uint16, steps []Bitset, ts []int64, groupOf []uint32, groups Bitset, prev, cur []int64) {
	clear(reached)
	n := len(groupOf)
	ts = ts[:n]
	nw := wordsFor(n)
	for k := range steps {
		if k > 0xFFFE {
			return
		}
		kk, next := uint16(k), uint16(k+1)
		m := steps[k][:nw]
		advanced := false
		for wi, w := range m {
			base := wi << 6
			for w != 0 {
				i := base + bits.TrailingZeros64(w)
				w &= w - 1
				g := groupOf[i]
				r, t := reached[g], ts[i]
				switch {
				case r == kk:
					if k == 0 {
						if groups != nil && groups[g>>6]>>(g&63)&1 == 0 {
							continue
						}
					} else if t <= prev[g] {
						continue
					}
					reached[g], cur[g] = next, t
					advanced = true
				case r == next && t < cur[g] && (k == 0 || t > prev[g]):
					cur[g] = t
				}
			}
		}
		if !advanced {
			return
		}
		prev, cur = cur, prev
	}
}

// GroupSetBits sets dst to the groups of set, as a Bitset over group indexes. Precondition: dst
// has a word for every group of set.
func GroupSetBits(dst Bitset, set *roaring.Bitmap) {
	clear(dst)
	for first, end := range set.Ranges() {
		for g := uint64(first); g < end; g++ {
			dst[g>>6] |= 1 << (g & 63)
		}
	}
}

// RowsOfGroupsByRow returns the number of rows of the groups in set, given each group's row count.
func RowsOfGroupsByRow(set *roaring.Bitmap, groupRows []uint32) int64 {
	var n int64
	for first, end := range set.Ranges() {
		for _, c := range groupRows[first:end] {
			n += int64(c)
		}
	}
	return n
}

// CountNonNullByRow returns the number of non-null rows whose group is in groups.
func CountNonNullByRow(groups Bitset, groupOf []uint32, nulls []uint64) int64 {
	var n int64
	for i, g := range groupOf {
		if groups[g>>6]>>(g&63)&1 != 0 && (nulls == nil || nulls[i>>6]>>(uint(i)&63)&1 == 0) {
			n++
		}
	}
	return n
}

// CountPerCodeByRow adds 1 to counts[codes[i]] for every row i whose group is in groups.
// Precondition: every code < len(counts).
func CountPerCodeByRow(counts []int64, codes []uint32, groups Bitset, groupOf []uint32) {
	codes = codes[:len(groupOf)]
	for i, g := range groupOf {
		if groups[g>>6]>>(g&63)&1 != 0 {
			counts[codes[i]]++
		}
	}
}

// GroupsPerCodeByRow adds to counts[c] the number of distinct groups in groups with at least one
// row of code c. seen is scratch of at least len(counts)*numGroups bits, all zero on entry.
// Preconditions: every code < len(counts); every group < numGroups.
func GroupsPerCodeByRow(counts []int64, seen Bitset, codes []uint32, groups Bitset, groupOf []uint32, numGroups int) {
	codes = codes[:len(groupOf)]
	ng := uint64(numGroups)
	for i, g := range groupOf {
		if groups[g>>6]>>(g&63)&1 == 0 {
			continue
		}
		c := codes[i]
		key := uint64(c)*ng + uint64(g)
		if bit := uint64(1) << (key & 63); seen[key>>6]&bit == 0 {
			seen[key>>6] |= bit
			counts[c]++
		}
	}
}

// SumPerCodeInt64ByRow is SumPerCodeInt64 over the rows whose group is in groups.
func SumPerCodeInt64ByRow(sums []float64, ns []int64, present []bool, codes []uint32, vals []int64, nulls []uint64, groups Bitset, groupOf []uint32) {
	codes, vals = codes[:len(groupOf)], vals[:len(groupOf)]
	sums, ns = sums[:len(present)], ns[:len(present)]
	for i, g := range groupOf {
		if groups[g>>6]>>(g&63)&1 == 0 {
			continue
		}
		c := codes[i]
		present[c] = true
		if nulls == nil || nulls[i>>6]>>(uint(i)&63)&1 == 0 {
			sums[c] += float64(vals[i])
			ns[c]++
		}
	}
}

// SumPerCodeFloat64ByRow is SumPerCodeFloat64 over the rows whose group is in groups.
func SumPerCodeFloat64ByRow(sums []float64, ns []int64, present []bool, codes []uint32, vals []float64, nulls []uint64, groups Bitset, groupOf []uint32) {
	codes, vals = codes[:len(groupOf)], vals[:len(groupOf)]
	sums, ns = sums[:len(present)], ns[:len(present)]
	for i, g := range groupOf {
		if groups[g>>6]>>(g&63)&1 == 0 {
			continue
		}
		c := codes[i]
		present[c] = true
		if nulls == nil || nulls[i>>6]>>(uint(i)&63)&1 == 0 {
			if x := vals[i]; x == x {
				sums[c] += x
				ns[c]++
			}
		}
	}
}

// GroupsPerCodePairsByRow is GroupsPerCodeByRow without the scratch bitset, for when
// len(counts)*numGroups bits would be too many: it sorts the (code, group) pairs of the rows in
// groups and counts the distinct ones. It allocates the pairs.
func GroupsPerCodePairsByRow(counts []int64, codes []uint32, groups Bitset, groupOf []uint32) {
	codes = codes[:len(groupOf)]
	var pairs []uint64
	for i, g := range groupOf {
		if groups[g>>6]>>(g&63)&1 != 0 {
			pairs = append(pairs, uint64(codes[i])<<32|uint64(g))
		}
	}
	slices.Sort(pairs)
	for i, p := range pairs {
		if i == 0 || p != pairs[i-1] {
			counts[p>>32]++
		}
	}
}
