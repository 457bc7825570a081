package kernels

import (
	"math/bits"

	"github.com/RoaringBitmap/roaring/v2"
)

// CountPerGroup sets dst[g] to the number of rows of group g in mask, for every group g. It counts
// whole words by popcount: each group costs its words plus two partial words.
// Preconditions: len(starts) >= 1, starts is non-decreasing, len(dst) >= len(starts)-1 and
// 64*len(mask) >= starts[len(starts)-1].
func CountPerGroup(dst []uint32, mask Bitset, starts []uint32) {
	if len(starts) < 2 {
		return
	}
	ends := starts[1:]
	d := dst[:len(ends)]
	// cum is the number of set bits in mask[:wi]; prefix(i) = cum + the bits of word i/64 below i.
	wi, cum := starts[0]>>6, uint32(0)
	prev := uint32(0)
	if r := starts[0] & 63; r != 0 {
		prev = uint32(bits.OnesCount64(mask[wi] & (1<<r - 1)))
	}
	for g, e := range ends {
		k := e >> 6
		if k > wi {
			for _, w := range mask[wi:k] {
				cum += uint32(bits.OnesCount64(w))
			}
			wi = k
		}
		cur := cum
		if r := e & 63; r != 0 {
			cur += uint32(bits.OnesCount64(mask[k] & (1<<r - 1)))
		}
		d[g] = cur - prev
		prev = cur
	}
}

// SumPerGroupInt64 sets dst[g] to the sum of vals over the non-null rows of group g in mask (0 when
// there are none), for every group g. Sums wrap on int64 overflow. It visits only the set bits of
// mask.
// Preconditions: starts[0] == 0, starts[G] == len(vals) for G = len(starts)-1, len(dst) >= G,
// len(mask) >= (len(vals)+63)/64 with no bits past len(vals), nulls is nil or as long as mask.
func SumPerGroupInt64(dst []int64, mask Bitset, vals []int64, nulls []uint64, starts []uint32) {
	if len(starts) < 2 {
		return
	}
	d := dst[:len(starts)-1]
	clear(d)
	m := mask[:wordsFor(len(vals))]
	g, end := 0, starts[1]
	for wi, w := range m {
		if nulls != nil {
			w &^= nulls[wi]
		}
		base := uint32(wi) << 6
		for w != 0 {
			i := base + uint32(bits.TrailingZeros64(w))
			w &= w - 1
			for i >= end {
				g++
				end = starts[g+1]
			}
			d[g] += vals[i]
		}
	}
}

// SumPerGroupFloat64 sets dst[g] to the sum of vals over the non-null, non-NaN rows of group g in
// mask (0 when there are none), for every group g. Preconditions as for SumPerGroupInt64.
func SumPerGroupFloat64(dst []float64, mask Bitset, vals []float64, nulls []uint64, starts []uint32) {
	if len(starts) < 2 {
		return
	}
	d := dst[:len(starts)-1]
	clear(d)
	m := mask[:wordsFor(len(vals))]
	g, end := 0, starts[1]
	for wi, w := range m {
		if nulls != nil {
			w &^= nulls[wi]
		}
		base := uint32(wi) << 6
		for w != 0 {
			i := base + uint32(bits.TrailingZeros64(w))
			w &= w - 1
			for i >= end {
				g++
				end = starts[g+1]
			}
			if x := vals[i]; x == x {
				d[g] += x
			}
		}
	}
}

// TargetCount adds to dst every group g with counts[g] > 0 and counts[g] op v, and, when
// includeZero is true, every group with counts[g] == 0. Without includeZero a group with no
// matching row never matches, whatever op and v say.
func TargetCount(dst *roaring.Bitmap, counts []uint32, op Op, v float64, includeZero bool) {
	m := outcomeMask(op)
	hit := func(c uint32) uint8 {
		if c == 0 {
			return b2u8(includeZero)
		}
		return m >> outcomeFloat64(float64(c), v) & 1
	}
	// The outcome of the small counts, which almost every group has, is looked up.
	var small [256]uint8
	for c := range small {
		small[c] = hit(uint32(c))
	}
	words := make([]uint64, wordsFor(len(counts)))
	for g, c := range counts {
		h := small[c&255]
		if c > 255 {
			h = hit(c)
		}
		words[g>>6] |= uint64(h) << (uint(g) & 63)
	}
	addDense(dst, words)
}

// TargetSumInt64 adds to dst every group g with counts[g] > 0 and sums[g] op v, comparing the
// integer sum with v exactly (as for CompareInt64WithFloat). Groups with no matching row never
// match. Precondition: len(sums) >= len(counts).
func TargetSumInt64(dst *roaring.Bitmap, counts []uint32, sums []int64, op Op, v float64) {
	kind, intOp, t := intPredicate(op, v)
	m := outcomeMask(intOp)
	switch kind {
	case matchAll:
		m = 1<<outcomeLt | 1<<outcomeEq | 1<<outcomeGt
	case matchNone:
		return
	}
	s := sums[:len(counts)]
	words := make([]uint64, wordsFor(len(counts)))
	for g, c := range counts {
		hit := m >> outcomeInt64(s[g], t) & 1 & b2u8(c != 0)
		words[g>>6] |= uint64(hit) << (uint(g) & 63)
	}
	addDense(dst, words)
}

// TargetSumFloat64 adds to dst every group g with counts[g] > 0 and sums[g] op v (IEEE semantics: a
// NaN sum satisfies only Ne). Groups with no matching row never match. Precondition:
// len(sums) >= len(counts).
func TargetSumFloat64(dst *roaring.Bitmap, counts []uint32, sums []float64, op Op, v float64) {
	m := outcomeMask(op)
	s := sums[:len(counts)]
	words := make([]uint64, wordsFor(len(counts)))
	for g, c := range counts {
		hit := m >> outcomeFloat64(s[g], v) & 1 & b2u8(c != 0)
		words[g>>6] |= uint64(hit) << (uint(g) & 63)
	}
	addDense(dst, words)
}
