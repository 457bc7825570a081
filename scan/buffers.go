package scan

import (
	"slices"
	"sync"
	"unsafe"
)

// Buffers recycles the value slices of tables that are no longer used, so that reading the next
// file reuses memory instead of allocating (and zeroing) it again. It is safe for concurrent use;
// the zero value is ready. Pass it in Request.Buffers and hand each table back with Release once
// nothing reads it any more.
//
// The slices kept are bounded by bytes (MaxBytes) and survive garbage collections. A request
// takes the smallest kept slice that is large enough; new slices get 1/16 of spare capacity, so
// that parts a little larger than the last one still fit.
type Buffers struct {
	// MaxBytes bounds the bytes of the slices kept for reuse; 0 means DefaultBufferBytes. A slice
	// given back beyond it is left to the garbage collector.
	MaxBytes int64

	mu          sync.Mutex
	held        int64 // bytes of the kept slices
	ints        [][]int64
	floats      [][]float64
	codes       [][]uint32
	groupStarts [][]uint32 // released GroupStarts, apart from codes since they are much shorter
	// scratches holds the fast path's decoding buffers between reads.
	scratches sync.Pool // *scratch
}

// DefaultBufferBytes is the default of Buffers.MaxBytes: the columns of a few 1M-row parts.
const DefaultBufferBytes = 256 << 20

// take removes from *kept and returns the smallest slice of capacity n or more, or allocates
// one; its contents are unspecified.
func take[T any](b *Buffers, kept *[][]T, n int) []T {
	if b != nil {
		b.mu.Lock()
		best := -1
		for i, s := range *kept {
			if cap(s) >= n && (best < 0 || cap(s) < cap((*kept)[best])) {
				best = i
			}
		}
		if best >= 0 {
			s := (*kept)[best]
			*kept = slices.Delete(*kept, best, best+1)
			b.held -= int64(cap(s)) * int64(unsafe.Sizeof(s[:1][0]))
			b.mu.Unlock()
			return s[:n]
		}
		b.mu.Unlock()
	}
	return make([]T, n, n+n/16)
}

// keep adds s to *kept unless that would pass MaxBytes.
func keep[T any](b *Buffers, kept *[][]T, s []T) {
	if cap(s) == 0 {
		return
	}
	size := int64(cap(s)) * int64(unsafe.Sizeof(s[:1][0]))
	limit := b.MaxBytes
	if limit == 0 {
		limit = DefaultBufferBytes
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.held+size <= limit {
		*kept = append(*kept, s)
		b.held += size
	}
}

// readState is what one Read or Inspect shares between its columns: the fast path's buffers
// and how many column chunks each decoder took.
type readState struct {
	scratch                *scratch
	fastChunks, slowChunks int
	directPages            int // pages read straight into a column (see direct.go)
}

// newReadState returns a state whose buffers come from b (nil: new ones).
func (b *Buffers) newReadState() *readState {
	if b != nil {
		if s, ok := b.scratches.Get().(*scratch); ok {
			return &readState{scratch: s}
		}
	}
	return &readState{scratch: &scratch{idx: make([]uint32, indexBatch)}}
}

// done gives the state's buffers back to b.
func (b *Buffers) done(st *readState) {
	if b != nil && st.scratch != nil {
		b.scratches.Put(st.scratch)
		st.scratch = nil
	}
}

// int64s returns a slice of n values with unspecified contents.
func (b *Buffers) int64s(n int) []int64 {
	if b == nil {
		return make([]int64, n)
	}
	return take(b, &b.ints, n)
}

// float64s returns a slice of n values with unspecified contents.
func (b *Buffers) float64s(n int) []float64 {
	if b == nil {
		return make([]float64, n)
	}
	return take(b, &b.floats, n)
}

// uint32s returns a slice of n values with unspecified contents.
func (b *Buffers) uint32s(n int) []uint32 {
	if b == nil {
		return make([]uint32, n)
	}
	return take(b, &b.codes, n)
}

// starts returns an empty slice with room for at least n group starts.
func (b *Buffers) starts(n int) []uint32 {
	if b == nil {
		return make([]uint32, 0, n)
	}
	return take(b, &b.groupStarts, n)[:0]
}

// Release gives the value slices of t (its columns, timestamps, group ids and group starts) back
// for reuse. t and every slice taken from it must not be used afterwards. Slices shared between
// columns are given back once.
func (b *Buffers) Release(t *Table) {
	if b == nil || t == nil {
		return
	}
	seen := map[any]bool{} // the first element of each slice given back
	put := func(c *Column) {
		if c != nil {
			giveBack(b, &b.ints, seen, c.Ints)
			giveBack(b, &b.codes, seen, c.Codes)
			giveBack(b, &b.floats, seen, c.Floats)
		}
	}
	put(t.Group)
	for _, c := range t.Columns {
		put(c)
	}
	giveBack(b, &b.ints, seen, t.TS)
	giveBack(b, &b.codes, seen, t.GroupOf)
	giveBack(b, &b.groupStarts, seen, t.GroupStarts)
}

// giveBack keeps s for reuse unless it is empty or was given back already (a slice shared by
// two columns).
func giveBack[T any](b *Buffers, kept *[][]T, seen map[any]bool, s []T) {
	if cap(s) == 0 {
		return
	}
	if p := &s[:1][0]; !seen[p] {
		seen[p] = true
		keep(b, kept, s)
	}
}
