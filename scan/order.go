package scan

import (
	"cmp"
	"math"
	"math/bits"
	"slices"
)

// FloatKey maps a float64 to an int64 that orders like the float: for any a and b that are not
// NaN, a < b exactly when FloatKey(a) < FloatKey(b), and a == b exactly when the keys are equal.
//
// The mapping takes the IEEE 754 bits b of f: for f >= 0 the key is int64(b); for f < 0 it is
// int64(b ^ 0x7FFF_FFFF_FFFF_FFFF), i.e. the sign bit is kept (so the key is negative) and the
// magnitude bits are inverted (so larger magnitudes give smaller keys). Negative zero is mapped
// like positive zero, to 0, since the two are equal. +Inf maps to 0x7FF0_0000_0000_0000 and
// -Inf to -0x7FF0_0000_0000_0001; NaNs map beyond the infinities, on the side of their sign
// bit. Differences of keys are not differences of times.
func FloatKey(f float64) int64 {
	if f == 0 {
		return 0
	}
	b := math.Float64bits(f)
	if b>>63 != 0 {
		b ^= 0x7FFF_FFFF_FFFF_FFFF
	}
	return int64(b)
}

// ceilFloat returns the smallest float64 that is numerically >= i.
func ceilFloat(i int64) float64 {
	f := float64(i) // rounds to nearest, so it may fall below i
	if cmpFloatInt(f, i) < 0 {
		f = math.Nextafter(f, math.Inf(1))
	}
	return f
}

// cmpFloatInt compares a float64 (not NaN) with an int64 exactly, without rounding i.
func cmpFloatInt(f float64, i int64) int {
	switch {
	case f >= 0x1p63:
		return 1
	case f < -0x1p63:
		return -1
	}
	t := math.Trunc(f) // in [-2^63, 2^63): exactly representable as int64
	if c := cmp.Compare(int64(t), i); c != 0 {
		return c
	}
	return cmp.Compare(f-t, 0)
}

// sortedPairs reports whether rows are ordered by (g, ts), ties in ts allowed.
func sortedPairs[G cmp.Ordered](g []G, ts []int64) bool {
	if len(g) < 2 {
		return true
	}
	ts = ts[:len(g)]
	for i := 1; i < len(g); i++ {
		if g[i] < g[i-1] || (g[i] == g[i-1] && ts[i] < ts[i-1]) {
			return false
		}
	}
	return true
}

// pick returns src[sel[i]] for each i, or src itself when sel is nil.
func pick[T any](src []T, sel []uint32) []T {
	if sel == nil {
		return src
	}
	out := make([]T, len(sel))
	for i, p := range sel {
		out[i] = src[p]
	}
	return out
}

// stringRanks returns, for each dictionary code, the rank of its string in bytewise ascending
// order (Go string comparison is bytewise).
func stringRanks(dict []string) []uint32 {
	order := make([]uint32, len(dict))
	for i := range order {
		order[i] = uint32(i)
	}
	slices.SortFunc(order, func(a, b uint32) int { return cmp.Compare(dict[a], dict[b]) })
	ranks := make([]uint32, len(dict))
	for r, code := range order {
		ranks[code] = uint32(r)
	}
	return ranks
}

// denseIntRanks replaces each value by the rank of its distinct value in ascending order and
// returns the ranks and the number of distinct values.
func denseIntRanks(vals []int64) ([]uint32, int) {
	ranks := make([]uint32, len(vals))
	ids := make(map[int64]uint32)
	var distinct []int64
	last, lastID := int64(0), uint32(0)
	for i, v := range vals {
		if i == 0 || v != last { // runs of one group are common: skip the map for them
			id, ok := ids[v]
			if !ok {
				id = uint32(len(distinct))
				ids[v] = id
				distinct = append(distinct, v)
			}
			last, lastID = v, id
		}
		ranks[i] = lastID
	}
	order := make([]uint32, len(distinct))
	for i := range order {
		order[i] = uint32(i)
	}
	slices.SortFunc(order, func(a, b uint32) int { return cmp.Compare(distinct[a], distinct[b]) })
	rankOf := make([]uint32, len(distinct))
	for r, id := range order {
		rankOf[id] = uint32(r)
	}
	for i, id := range ranks {
		ranks[i] = rankOf[id]
	}
	return ranks, len(distinct)
}

// sortPermutation returns the positions 0..len(rank)-1 ordered by (rank, ts, position), i.e. a
// stable sort by (rank, ts). Ranks must be < groups.
//
// When every group's rows already come in ts order (a file grouped by user in another order, or
// written in time order), one stable counting sort by rank is enough. Otherwise the positions are
// first radix sorted by ts (stable, 11 bits per pass over the span of ts) and then counting
// sorted by rank, which keeps the ts order within each group: O(n) per pass, no comparisons.
func sortPermutation(rank []uint32, groups int, ts []int64) []uint32 {
	ts = ts[:len(rank)]
	if groupsInOrder(rank, groups, ts) {
		return countingSort(rank, groups, nil)
	}
	return countingSort(rank, groups, radixByTS(ts))
}

// groupsInOrder reports whether the rows of each group appear in nondecreasing ts order.
func groupsInOrder(rank []uint32, groups int, ts []int64) bool {
	last := make([]int64, groups)
	for g := range last {
		last[g] = math.MinInt64
	}
	for i, r := range rank {
		if ts[i] < last[r] {
			return false
		}
		last[r] = ts[i]
	}
	return true
}

// countingSort returns the positions listed by order (0..len(rank)-1 when order is nil), stably
// ordered by rank.
func countingSort(rank []uint32, groups int, order []uint32) []uint32 {
	next := make([]uint32, groups+1)
	for _, r := range rank {
		next[r+1]++
	}
	for g := range groups {
		next[g+1] += next[g]
	}
	perm := make([]uint32, len(rank))
	if order == nil {
		for i, r := range rank {
			perm[next[r]] = uint32(i)
			next[r]++
		}
		return perm
	}
	for _, p := range order {
		r := rank[p]
		perm[next[r]] = p
		next[r]++
	}
	return perm
}

// maxRadixBits is the widest digit of radixByTS: 2048 counters fit in L1 cache.
const maxRadixBits = 11

// radixByTS returns the positions of ts stably sorted by ts (LSD radix sort on ts - min(ts)).
// The pass count is set by the span of ts and maxRadixBits; the digits are then made as narrow
// as that pass count allows, since fewer buckets scatter with better locality.
func radixByTS(ts []int64) []uint32 {
	n := len(ts)
	idx := make([]uint32, n)
	for i := range idx {
		idx[i] = uint32(i)
	}
	if n < 2 {
		return idx
	}
	lo, hi := slices.Min(ts), slices.Max(ts)
	width := bits.Len64(uint64(hi) - uint64(lo))
	passes := (width + maxRadixBits - 1) / maxRadixBits
	if passes == 0 {
		return idx
	}
	digit := uint((width + passes - 1) / passes)
	mask := uint64(1)<<digit - 1
	keys := make([]uint64, n)
	for i, v := range ts {
		keys[i] = uint64(v) - uint64(lo)
	}
	keys2 := make([]uint64, n)
	idx2 := make([]uint32, n)
	var counts [1 << maxRadixBits]uint32
	count := counts[:mask+1]
	for pass := range passes {
		shift := uint(pass) * digit
		clear(count)
		for _, k := range keys {
			count[(k>>shift)&mask]++
		}
		sum := uint32(0)
		for d, c := range count {
			count[d] = sum
			sum += c
		}
		for i, k := range keys {
			d := (k >> shift) & mask
			j := count[d]
			count[d]++
			keys2[j] = k
			idx2[j] = idx[i]
		}
		keys, keys2 = keys2, keys
		idx, idx2 = idx2, idx
	}
	return idx
}

// gather returns dst with dst[i] = src[idx[i]]. When inPlace is set, idx must be strictly
// increasing and the result reuses src's memory (idx[i] >= i, so nothing is read after being
// overwritten).
func gather[T any](src []T, idx []uint32, inPlace bool) []T {
	var dst []T
	if inPlace {
		dst = src[:len(idx)]
	} else {
		dst = make([]T, len(idx))
	}
	for i, p := range idx {
		dst[i] = src[p]
	}
	return dst
}

// gatherBits is gather for a bitmap; it returns nil when no bit remains set.
func gatherBits(src []uint64, idx []uint32, inPlace bool) []uint64 {
	n := (len(idx) + 63) / 64
	var dst []uint64
	if inPlace {
		dst = src[:n]
	} else {
		dst = make([]uint64, n)
	}
	any := false
	for w := range n {
		var word uint64
		base := w << 6
		end := min(base+64, len(idx))
		for i := base; i < end; i++ {
			p := idx[i]
			word |= (src[p>>6] >> (p & 63) & 1) << uint(i-base)
		}
		dst[w] = word // every read of this word's source bits happened above
		any = any || word != 0
	}
	if !any {
		return nil
	}
	return dst
}

// gatherColumn applies idx to every slice of c.
func gatherColumn(c *Column, idx []uint32, inPlace bool) {
	switch c.Type {
	case Int:
		c.Ints = gather(c.Ints, idx, inPlace)
	case Float:
		c.Floats = gather(c.Floats, idx, inPlace)
	case Bool:
		c.Bools = gather(c.Bools, idx, inPlace)
	case String:
		c.Codes = gather(c.Codes, idx, inPlace)
	}
	if c.Nulls != nil {
		c.Nulls = gatherBits(c.Nulls, idx, inPlace)
	}
}

// groupStarts returns the first row of each run of equal values, plus len(vals).
func groupStarts[T comparable](vals []T) []uint32 {
	starts := []uint32{0}
	for i := 1; i < len(vals); i++ {
		if vals[i] != vals[i-1] {
			starts = append(starts, uint32(i))
		}
	}
	if len(vals) > 0 {
		starts = append(starts, uint32(len(vals)))
	}
	return starts
}

// popcount counts the set bits of a bitmap.
func popcount(b []uint64) int {
	n := 0
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}
