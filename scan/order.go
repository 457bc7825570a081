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

// sortedBlock is how many rows sortedRuns checks between two looks at its order flag.
const sortedBlock = 256

// sortedRuns reports whether rows are ordered by (g, ts), ties in ts allowed (by g alone when ts
// is nil), and if so returns, from the same pass, the start of each run of equal g plus len(g).
// starts, when its capacity allows, receives the result.
func sortedRuns[G cmp.Ordered](g []G, ts []int64, starts []uint32) ([]uint32, bool) {
	var rc runCheck[G]
	rc.init(starts, hasAVX2())
	rc.add(g, ts, len(g))
	return rc.result(len(g))
}

// runCheck is sortedRuns over rows that arrive in order: add checks each new batch of rows against
// the previous ones, so a caller can check rows while they are still in cache.
//
// For int64 groups on a CPU with AVX2, increasesTSAVX2 checks 64 rows at a time.
// Otherwise the loop has no data-dependent branch: every row's index is written as a candidate
// start into a block buffer and the count advances by one only when g increases; an out-of-order
// flag is accumulated with bit operations and checked once per block of sortedBlock rows. Where
// runs are long (about longRun rows or more in the previous block) the branches are predictable
// and a plain loop checks the block instead.
type runCheck[G cmp.Ordered] struct {
	starts []uint32
	done   int  // rows checked
	bad    bool // out of order
	avx2   bool
	k      int // starts in the last block checked in Go
}

// init starts a check whose starts use the memory of starts; avx2 says the CPU has AVX2.
func (rc *runCheck[G]) init(starts []uint32, avx2 bool) {
	*rc = runCheck[G]{starts: append(starts[:0], 0), avx2: avx2}
}

// add checks the rows of g (and ts, nil or as long as g) from the first one not yet checked up to
// hi, after which rows [0, hi) must not change.
func (rc *runCheck[G]) add(g []G, ts []int64, hi int) {
	rc.addAt(g, ts, 0, hi)
}

// addAt is add when g and ts hold the rows from off on: g[i] is row off+i. The row before the
// first one not yet checked must be among them.
func (rc *runCheck[G]) addAt(g []G, ts []int64, off, hi int) {
	lo := max(rc.done, 1)
	rc.done = hi
	if rc.bad || lo >= hi {
		return
	}
	// From here on lo and hi index g and ts; positions are off+lo...
	lo, hi = lo-off, hi-off
	if g64, ok := any(g).([]int64); ok && rc.avx2 {
		t64 := ts
		if t64 == nil {
			t64 = g64 // equal "timestamps" never decrease where g does not increase
		}
		for hi-lo >= 64 {
			var up [avxWords]uint64
			words := min((hi-lo)/64, avxWords)
			if increasesTSAVX2(g64[lo-1:lo+64*words], t64[lo-1:lo+64*words], up[:words]) != 0 {
				rc.bad = true
				return
			}
			// Room for a start per row, so that the loop below stores without growing.
			rc.starts = slices.Grow(rc.starts, 64*words)
			n, room := len(rc.starts), rc.starts[len(rc.starts):cap(rc.starts)]
			k := 0
			for w, word := range up[:words] {
				base := uint32(off + lo + 64*w)
				for word != 0 {
					room[k] = base + uint32(bits.TrailingZeros64(word))
					k++
					word &= word - 1
				}
			}
			rc.starts = rc.starts[:n+k]
			lo += 64 * words
		}
	}
	var blk [sortedBlock]uint32
	for ; lo < hi; lo += sortedBlock {
		end := min(lo+sortedBlock, hi)
		// Long runs (the previous block had few starts) make the branchy loop's branches
		// predictable, and then it is the faster one.
		long := rc.k*longRun < sortedBlock
		var bad uint8
		base := uint32(off + lo)
		switch {
		case ts != nil && long:
			rc.k, bad = runStartsTSBranchy(blk[:], g[lo-1:end], ts[lo-1:end], base)
		case ts != nil:
			rc.k, bad = runStartsTS(blk[:], g[lo-1:end], ts[lo-1:end], base)
		case long:
			rc.k, bad = runStartsBranchy(blk[:], g[lo-1:end], base)
		default:
			rc.k, bad = runStarts(blk[:], g[lo-1:end], base)
		}
		if bad != 0 {
			rc.bad = true
			return
		}
		rc.starts = append(rc.starts, blk[:rc.k]...)
	}
}

// result returns the run starts plus n, the row count, and whether all rows are in order.
func (rc *runCheck[G]) result(n int) ([]uint32, bool) {
	if rc.bad {
		return nil, false
	}
	if n == 0 {
		return rc.starts, true
	}
	return append(rc.starts, uint32(n)), true
}

// avxWords is how many words of starts increasesTSAVX2 finds per call (64 rows each); the
// order flag is checked after each call.
const avxWords = 16

// runStarts writes into blk the positions (offset by base) of the rows of g[1:] whose value
// increases, returns their count, and returns non-zero when some value decreases.
// Precondition: 2 <= len(g) <= sortedBlock+1, len(blk) >= sortedBlock.
func runStarts[G cmp.Ordered](blk []uint32, g []G, base uint32) (int, uint8) {
	blk = blk[:sortedBlock]
	k := 0
	var bad uint8
	a, pos := g[0], base
	for _, b := range g[1:] {
		blk[k&(sortedBlock-1)] = pos
		pos++
		k += int(b2u8(b > a))
		bad |= b2u8(b < a)
		a = b
	}
	return k, bad
}

// runStartsTS is runStarts that also flags a timestamp that decreases within a run: a decrease
// is allowed only where g increases.
// Precondition: 2 <= len(g) == len(ts) <= sortedBlock+1, len(blk) >= sortedBlock.
func runStartsTS[G cmp.Ordered](blk []uint32, g []G, ts []int64, base uint32) (int, uint8) {
	blk = blk[:sortedBlock]
	k := 0
	var bad uint8
	a, ta, pos := g[0], ts[0], base
	ts = ts[1:len(g)]
	for j, b := range g[1:] {
		tb := ts[j]
		blk[k&(sortedBlock-1)] = pos
		pos++
		up := b2u8(b > a)
		k += int(up)
		bad |= b2u8(b < a) | b2u8(tb < ta)&^up
		a, ta = b, tb
	}
	return k, bad
}

// longRun is the mean run length from which sortedRuns checks a block with branches.
const longRun = 32

// runStartsBranchy is runStarts with branches, for long runs.
func runStartsBranchy[G cmp.Ordered](blk []uint32, g []G, base uint32) (int, uint8) {
	blk = blk[:sortedBlock]
	k := 0
	a, pos := g[0], base
	for _, b := range g[1:] {
		if b != a {
			if b < a {
				return k, 1
			}
			blk[k&(sortedBlock-1)] = pos
			k++
		}
		pos++
		a = b
	}
	return k, 0
}

// runStartsTSBranchy is runStartsTS with branches, for long runs.
func runStartsTSBranchy[G cmp.Ordered](blk []uint32, g []G, ts []int64, base uint32) (int, uint8) {
	blk = blk[:sortedBlock]
	k := 0
	a, ta, pos := g[0], ts[0], base
	ts = ts[1:len(g)]
	for j, b := range g[1:] {
		tb := ts[j]
		if b != a {
			if b < a {
				return k, 1
			}
			blk[k&(sortedBlock-1)] = pos
			k++
		} else if tb < ta {
			return k, 1
		}
		pos++
		a, ta = b, tb
	}
	return k, 0
}

// b2u8 converts a bool to 0 or 1 without a branch.
func b2u8(b bool) uint8 {
	if b {
		return 1
	}
	return 0
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
// returns the ranks and the number of distinct values. Distinct values get dense ids from an
// open-addressing hash table in order of first appearance; only the distinct values are then
// sorted (by radix), so the cost is one hash probe per run of equal values plus a sort of the
// distinct values.
func denseIntRanks(vals []int64) ([]uint32, int) {
	ranks := make([]uint32, len(vals))
	var x intIndex
	x.init(len(vals))
	last, lastID := int64(0), uint32(0)
	for i, v := range vals {
		if i == 0 || v != last { // runs of one group are common: skip the probe for them
			last, lastID = v, x.id(v)
		}
		ranks[i] = lastID
	}
	distinct := x.distinct
	order := radixByTS(distinct)
	rankOf := make([]uint32, len(distinct))
	for r, id := range order {
		rankOf[id] = uint32(r)
	}
	for i, id := range ranks {
		ranks[i] = rankOf[id]
	}
	return ranks, len(distinct)
}

// intIndex gives distinct int64 values dense ids in order of first appearance (linear probing,
// load at most one half).
type intIndex struct {
	slots    []intSlot
	shift    uint    // 64 - log2(len(slots))
	distinct []int64 // the values by id
}

// intSlot is one slot of an intIndex: key and id side by side, so a probe touches one cache line.
type intSlot struct {
	key int64
	id  uint32 // id+1 of key; 0 marks an empty slot
}

// init sizes the table for about n/8 distinct values (it grows past that).
func (x *intIndex) init(n int) {
	slots := 1024
	for slots < n/4 {
		slots *= 2
	}
	x.slots = make([]intSlot, slots)
	x.shift = uint(64 - bits.TrailingZeros(uint(slots)))
}

// id returns the id of v, adding v when new.
func (x *intIndex) id(v int64) uint32 {
	mask := uint64(len(x.slots) - 1)
	h := (uint64(v) * 0x9E3779B97F4A7C15) >> x.shift
	for {
		s := &x.slots[h]
		if s.id == 0 {
			break
		}
		if s.key == v {
			return s.id - 1
		}
		h = (h + 1) & mask
	}
	id := uint32(len(x.distinct))
	x.distinct = append(x.distinct, v)
	x.slots[h] = intSlot{key: v, id: id + 1}
	if 2*len(x.distinct) > len(x.slots) {
		x.grow()
	}
	return id
}

// grow doubles the table and reinserts every distinct value.
func (x *intIndex) grow() {
	slots := 2 * len(x.slots)
	x.slots = make([]intSlot, slots)
	x.shift--
	mask := uint64(slots - 1)
	for id, v := range x.distinct {
		h := (uint64(v) * 0x9E3779B97F4A7C15) >> x.shift
		for x.slots[h].id != 0 {
			h = (h + 1) & mask
		}
		x.slots[h] = intSlot{key: v, id: uint32(id) + 1}
	}
}

// sortPermutation returns the positions 0..len(rank)-1 ordered by (rank, ts, position), i.e. a
// stable sort by (rank, ts); by (rank, position) when ts is nil. Ranks must be < groups.
//
// A stable counting sort by rank comes first; then each group's run, usually a few rows, is
// sorted by ts: by insertion over (ts, position) pairs gathered next to each other (linear when
// the run is already in ts order), or by a comparison sort for long runs.
func sortPermutation(rank []uint32, groups int, ts []int64) []uint32 {
	perm, starts := countingSort(rank, groups)
	if ts != nil {
		sortRunsByTS(perm, starts, ts[:len(rank)])
	}
	return perm
}

// countingSort returns the positions 0..len(rank)-1 stably ordered by rank, and the start of each
// rank's run (groups+1 entries).
func countingSort(rank []uint32, groups int) (perm, starts []uint32) {
	starts = make([]uint32, groups+1)
	for _, r := range rank {
		starts[r+1]++
	}
	for g := range groups {
		starts[g+1] += starts[g]
	}
	next := make([]uint32, groups)
	copy(next, starts)
	perm = make([]uint32, len(rank))
	for i, r := range rank {
		perm[next[r]] = uint32(i)
		next[r]++
	}
	return perm, starts
}

// insertionRun is the longest run sortRunsByTS sorts by insertion.
const insertionRun = 48

// sortRunsByTS stably sorts each run perm[starts[g]:starts[g+1]] by ts[perm[i]]. Each run must
// list its positions in increasing order.
func sortRunsByTS(perm, starts []uint32, ts []int64) {
	keys := make([]int64, len(perm))
	for i, p := range perm {
		keys[i] = ts[p]
	}
	var buf []uint64
	for g := range len(starts) - 1 {
		a, b := starts[g], starts[g+1]
		if b-a < 2 {
			continue
		}
		k, p := keys[a:b], perm[a:b]
		if b-a > insertionRun {
			buf = sortLongRun(k, p, buf)
			continue
		}
		for i := 1; i < len(k); i++ {
			t, q := k[i], p[i]
			j := i
			for j > 0 && k[j-1] > t {
				k[j], p[j] = k[j-1], p[j-1]
				j--
			}
			k[j], p[j] = t, q
		}
	}
}

// sortLongRun stably sorts p by k (both reordered). When the span of k and the run's length fit
// in 64 bits together, each row becomes one uint64, (k - min(k)) above the row's index in the run,
// sorted without a comparison function; otherwise a stable comparison sort runs. buf is scratch
// space, returned for reuse.
func sortLongRun(k []int64, p []uint32, buf []uint64) []uint64 {
	if slices.IsSorted(k) {
		return buf
	}
	lo, hi := slices.Min(k), slices.Max(k)
	idxBits := bits.Len(uint(len(k) - 1))
	if bits.Len64(uint64(hi)-uint64(lo))+idxBits > 64 {
		idx := make([]int, len(k))
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, func(x, y int) int { return cmp.Compare(k[x], k[y]) })
		k2, p2 := slices.Clone(k), slices.Clone(p)
		for i, j := range idx {
			k[i], p[i] = k2[j], p2[j]
		}
		return buf
	}
	buf = buf[:0]
	for i, t := range k {
		buf = append(buf, (uint64(t)-uint64(lo))<<idxBits|uint64(i))
	}
	slices.Sort(buf)
	p2 := slices.Clone(p) // a long run is rare enough that this copy does not matter
	mask := uint64(1)<<idxBits - 1
	for i, e := range buf {
		j := e & mask
		k[i], p[i] = lo+int64(e>>idxBits), p2[j]
	}
	return buf
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
