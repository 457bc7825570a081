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
// stable sort by (rank, ts). Ranks must be < groups. A counting sort by rank keeps positions in
// ascending order within each group; each group is then sorted by ts unless it already is.
func sortPermutation(rank []uint32, groups int, ts []int64) []uint32 {
	starts := make([]uint32, groups+1)
	for _, r := range rank {
		starts[r+1]++
	}
	for g := range groups {
		starts[g+1] += starts[g]
	}
	perm := make([]uint32, len(rank))
	next := slices.Clone(starts[:groups])
	for i, r := range rank {
		perm[next[r]] = uint32(i)
		next[r]++
	}
	var buf []tsPos
	for g := range groups {
		run := perm[starts[g]:starts[g+1]]
		if len(run) < 2 || runSorted(run, ts) {
			continue
		}
		if len(run) <= 24 {
			insertionSortByTS(run, ts)
			continue
		}
		buf = buf[:0]
		for _, p := range run {
			buf = append(buf, tsPos{ts[p], p})
		}
		slices.SortFunc(buf, func(a, b tsPos) int {
			if c := cmp.Compare(a.ts, b.ts); c != 0 {
				return c
			}
			return cmp.Compare(a.pos, b.pos)
		})
		for k := range buf {
			run[k] = buf[k].pos
		}
	}
	return perm
}

type tsPos struct {
	ts  int64
	pos uint32
}

func runSorted(run []uint32, ts []int64) bool {
	for k := 1; k < len(run); k++ {
		if ts[run[k]] < ts[run[k-1]] {
			return false
		}
	}
	return true
}

// insertionSortByTS sorts run by ts stably.
func insertionSortByTS(run []uint32, ts []int64) {
	for k := 1; k < len(run); k++ {
		p := run[k]
		t := ts[p]
		j := k
		for j > 0 && ts[run[j-1]] > t {
			run[j] = run[j-1]
			j--
		}
		run[j] = p
	}
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
