package kernels

import (
	"math/bits"
	"slices"
)

// Dictionary encoding of non-string columns, so that per-value aggregations run on codes as they
// do for strings. Each function writes one code per row into codes and returns the dictionary:
// the distinct non-null values in ascending order, with codes[i] the index of vals[i] in it and
// null rows given the code len(dict). Precondition for all: len(codes) >= len(vals); nulls is nil or
// has (len(vals)+63)/64 words.

// denseSpanSlack bounds the value span (max-min) for which EncodeInt64 uses a lookup table indexed
// by value instead of sorting: the table may hold up to 2 entries per row plus this many.
const denseSpanSlack = 1 << 12

// EncodeInt64 dictionary-encodes an integer column (see above). Columns whose values span a range
// of at most about twice the row count are encoded in linear time through a table indexed by
// value; others by sorting the values and a binary search per row.
func EncodeInt64(codes []uint32, vals []int64, nulls []uint64) (dict []int64) {
	if mostlyNull(nulls, len(vals)) {
		return encodeNonNull(codes, vals, nulls, EncodeInt64)
	}
	codes = codes[:len(vals)]
	lo, hi, n := int64(0), int64(0), 0
	for i, v := range vals {
		if isNull(nulls, i) {
			continue
		}
		if n == 0 || v < lo {
			lo = v
		}
		if n == 0 || v > hi {
			hi = v
		}
		n++
	}
	if n == 0 {
		clear(codes)
		return nil
	}
	if span := uint64(hi) - uint64(lo); span <= 2*uint64(len(vals))+denseSpanSlack {
		return encodeInt64Dense(codes, vals, nulls, lo, int(span)+1)
	}
	dict = make([]int64, 0, n)
	for i, v := range vals {
		if !isNull(nulls, i) {
			dict = append(dict, v)
		}
	}
	slices.Sort(dict)
	dict = slices.Clip(slices.Compact(dict))
	nullCode := uint32(len(dict))
	for i, v := range vals {
		if isNull(nulls, i) {
			codes[i] = nullCode
			continue
		}
		codes[i] = searchInt64(dict, v)
	}
	return dict
}

// encodeInt64Dense is EncodeInt64 through a table of size entries indexed by value-lo.
func encodeInt64Dense(codes []uint32, vals []int64, nulls []uint64, lo int64, size int) []int64 {
	codes = codes[:len(vals)]
	table := make([]uint32, size)
	for i, v := range vals {
		if !isNull(nulls, i) {
			table[uint64(v)-uint64(lo)] = 1
		}
	}
	var dict []int64
	for k, seen := range table {
		if seen != 0 {
			table[k] = uint32(len(dict))
			dict = append(dict, lo+int64(k))
		}
	}
	nullCode := uint32(len(dict))
	for i, v := range vals {
		if isNull(nulls, i) {
			codes[i] = nullCode
			continue
		}
		codes[i] = table[uint64(v)-uint64(lo)]
	}
	return dict
}

// EncodeFloat64 dictionary-encodes a float column (see above). NaN counts as null. -0 and +0 are
// one value, reported as +0.
func EncodeFloat64(codes []uint32, vals []float64, nulls []uint64) (dict []float64) {
	if mostlyNull(nulls, len(vals)) {
		return encodeNonNull(codes, vals, nulls, EncodeFloat64)
	}
	codes = codes[:len(vals)]
	dict = make([]float64, 0, len(vals))
	for i, v := range vals {
		if v == v && !isNull(nulls, i) {
			dict = append(dict, v+0) // v+0 turns -0 into +0
		}
	}
	if len(dict) == 0 {
		clear(codes)
		return nil
	}
	slices.Sort(dict)
	dict = slices.Clip(slices.Compact(dict))
	nullCode := uint32(len(dict))
	for i, v := range vals {
		if v != v || isNull(nulls, i) {
			codes[i] = nullCode
			continue
		}
		codes[i] = searchFloat64(dict, v)
	}
	return dict
}

// EncodeBool dictionary-encodes a bool column (see above): dict is [false, true], [false], [true]
// or empty, by which values occur.
func EncodeBool(codes []uint32, vals []bool, nulls []uint64) (dict []bool) {
	codes = codes[:len(vals)]
	var seen [2]bool
	for i, v := range vals {
		if !isNull(nulls, i) {
			seen[b2u(v)] = true
		}
	}
	// code[b] is the code of value b: with both values false is 0 and true is 1, otherwise the one
	// value present is 0.
	var code [2]uint32
	switch {
	case seen[0] && seen[1]:
		dict, code = []bool{false, true}, [2]uint32{0, 1}
	case seen[0]:
		dict = []bool{false}
	case seen[1]:
		dict = []bool{true}
	}
	nullCode := uint32(len(dict))
	for i, v := range vals {
		if isNull(nulls, i) {
			codes[i] = nullCode
			continue
		}
		codes[i] = code[b2u(v)]
	}
	return dict
}

// mostlyNull reports whether more than half of n rows are null in a bitmap that may be nil.
func mostlyNull(nulls []uint64, n int) bool {
	if nulls == nil || n == 0 {
		return false
	}
	return Bitset(nulls[:wordsFor(n)]).Count() > n/2
}

// encodeNonNull is an Encode function for a column that is mostly null (a price set only on
// purchases): it encodes the non-null values, gathered into a short slice, with encode, and
// scatters their codes over the null code, instead of testing every row's null bit in each pass.
func encodeNonNull[T any](codes []uint32, vals []T, nulls []uint64, encode func([]uint32, []T, []uint64) []T) []T {
	codes = codes[:len(vals)]
	var rows []uint32
	for w, word := range nulls[:wordsFor(len(vals))] {
		m := ^word
		if w == len(vals)>>6 {
			m &= tailMask(len(vals))
		}
		for m != 0 {
			rows = append(rows, uint32(w<<6+bits.TrailingZeros64(m)))
			m &= m - 1
		}
	}
	some := make([]T, len(rows))
	for j, i := range rows {
		some[j] = vals[i]
	}
	someCodes := make([]uint32, len(rows))
	dict := encode(someCodes, some, nil)
	nullCode := uint32(len(dict))
	for i := range codes {
		codes[i] = nullCode
	}
	for j, i := range rows {
		codes[i] = someCodes[j]
	}
	return dict
}

// isNull reports whether row i is null in a bitmap that may be nil.
func isNull(nulls []uint64, i int) bool {
	return nulls != nil && nulls[i>>6]>>(uint(i)&63)&1 != 0
}

// searchInt64 returns the index of x in dict. Preconditions: dict is sorted and holds x.
func searchInt64(dict []int64, x int64) uint32 {
	lo, n := 0, len(dict)
	for n > 1 {
		half := n >> 1
		// Arithmetic, not a branch: which half holds x is unpredictable.
		lo += half & -int(b2u(dict[lo+half] <= x))
		n -= half
	}
	return uint32(lo)
}

// searchFloat64 returns the index of x in dict. Preconditions: dict is sorted, holds no NaN and
// holds x (-0 and +0 being equal).
func searchFloat64(dict []float64, x float64) uint32 {
	lo, n := 0, len(dict)
	for n > 1 {
		half := n >> 1
		// Arithmetic, not a branch: which half holds x is unpredictable.
		lo += half & -int(b2u(dict[lo+half] <= x))
		n -= half
	}
	return uint32(lo)
}
