package kernels

import (
	"math/bits"

	"github.com/RoaringBitmap/roaring/v2"
)

// SequenceReach sets reached[g] to the number of steps group g completes, in order, for every
// group g in groups (nil means every group); every other group gets 0.
//
// Step i is the row mask steps[i]. A group's rows are walked once, in (timestamp, row) order, with
// a cursor on the next step: step 0 is reached at the group's first row in steps[0], at timestamp
// T0; step i > 0 is reached at the first later row in steps[i] whose timestamp is strictly greater
// than T(i-1), and sets Ti. Rows with equal timestamps therefore never chain, a row serves at most
// one step, the earliest match is always taken, and a later repeat of an earlier step changes
// nothing. Because the rows are sorted by timestamp, this greedy walk finds exactly the chain of
// earliest timestamps T0 < T1 < ... of the query language, with no backtracking. It skips 64 rows
// at a time where the current step's mask is empty.
//
// Preconditions: len(steps) <= 65535; each step mask covers len(ts) rows; starts[0] == 0,
// starts[G] == len(ts) for G = len(starts)-1; len(reached) >= G; ts is non-decreasing within each
// group; every group in groups is < G.
func SequenceReach(reached []uint16, steps []Bitset, ts []int64, starts []uint32, groups *roaring.Bitmap) {
	if len(starts) < 2 {
		return
	}
	numGroups := len(starts) - 1
	clear(reached[:numGroups])
	if len(steps) == 0 {
		return
	}
	walk := reachRange
	if hasBMI && masksCover(steps, len(ts)) {
		walk = reachRangeBMI
	}
	if groups == nil {
		walk(reached, steps, ts, starts, 0, numGroups)
		return
	}
	for first, end := range groups.Ranges() {
		if int(end) > numGroups {
			panic("kernels: SequenceReach: a group of the set is not in starts")
		}
		walk(reached, steps, ts, starts, int(first), int(end))
	}
}

// masksCover reports whether every mask has a word for each of rows rows (what reachRangeBMI
// reads without bounds checks).
func masksCover(steps []Bitset, rows int) bool {
	for _, m := range steps {
		if len(m) < wordsFor(rows) {
			return false
		}
	}
	return len(steps) <= 0xFFFF
}

// reachRange runs the sequence cursor of SequenceReach over the groups [first, end).
func reachRange(reached []uint16, steps []Bitset, ts []int64, starts []uint32, first, end int) {
	last := uint16(len(steps))
	step0 := steps[0]
	// Bounds hints: j+1 < len(starts) and j < len(reached).
	starts = starts[first : end+1]
	reached = reached[first:end]
	reached = reached[:len(starts)-1]
	for j := range len(starts) - 1 {
		i, stop := starts[j], starts[j+1]
		k := uint16(0)
		cur := step0
		var tPrev int64
		for i < stop {
			w := cur[i>>6] >> (i & 63)
			if w == 0 {
				i = (i | 63) + 1 // the rest of this word is empty: go to the next word
				continue
			}
			i += uint32(bits.TrailingZeros64(w))
			if i >= stop {
				break
			}
			if t := ts[i]; k == 0 || t > tPrev {
				tPrev = t
				k++
				if k == last {
					break
				}
				cur = steps[k]
			}
			i++
		}
		reached[j] = k
	}
}

// GroupsReaching adds to dst every group g with reached[g] >= n. It builds the set as a dense
// bitset of the groups first and hands it to roaring whole.
func GroupsReaching(dst *roaring.Bitmap, reached []uint16, n int) {
	if n > 0xFFFF {
		return
	}
	words := make([]uint64, wordsFor(len(reached)))
	t := uint16(max(n, 0))
	full := len(reached) >> 6
	for w := range words[:full] {
		r := (*[64]uint16)(reached[w<<6:])
		var m uint64
		for k := range 64 {
			m |= b2u(r[k] >= t) << k
		}
		words[w] = m
	}
	for j, r := range reached[full<<6:] {
		words[full] |= b2u(r >= t) << j
	}
	addDense(dst, words)
}

// addDense adds the groups of a dense bitset to dst. words may be kept by dst.
func addDense(dst *roaring.Bitmap, words []uint64) {
	if dst.IsEmpty() {
		dst.FromDense(words, false)
		return
	}
	dst.Or(roaring.FromDense(words, false))
}

// ReachTotals adds, for every n in [1, len(groups)], the number of groups g with reached[g] >= n
// to groups[n-1] and their rows to rows[n-1], where group g's rows are starts[g+1]-starts[g]
// (nil starts: every group has rowsOf[g] rows). Groups that reach more than len(groups) steps count
// as reaching len(groups). It is what a funnel reports per step when it needs no per-step group
// sets, in one pass over the groups.
func ReachTotals(groups, rows []int64, reached []uint16, starts []uint32, rowsOf []uint32) {
	n := len(groups)
	if n == 0 || len(rows) < n {
		return
	}
	byLevelGroups := make([]int64, n+1)
	byLevelRows := make([]int64, n+1)
	if starts != nil {
		starts = starts[:len(reached)+1]
		for g, r := range reached {
			l := min(int(r), n)
			byLevelGroups[l]++
			byLevelRows[l] += int64(starts[g+1] - starts[g])
		}
	} else {
		rowsOf = rowsOf[:len(reached)]
		for g, r := range reached {
			l := min(int(r), n)
			byLevelGroups[l]++
			byLevelRows[l] += int64(rowsOf[g])
		}
	}
	var accG, accR int64
	for l := n; l >= 1; l-- {
		accG += byLevelGroups[l]
		accR += byLevelRows[l]
		groups[l-1] += accG
		rows[l-1] += accR
	}
}
