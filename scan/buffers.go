package scan

import "sync"

// Buffers recycles the value slices of tables that are no longer used, so that reading the next
// file reuses memory instead of allocating (and zeroing) it again. It is safe for concurrent use;
// the zero value is ready. Pass it in Request.Buffers and hand each table back with Release once
// nothing reads it any more.
type Buffers struct {
	ints   sync.Pool // *[]int64
	floats sync.Pool // *[]float64
	codes  sync.Pool // *[]uint32
	// groupStarts holds released GroupStarts apart from codes, since they are much shorter.
	groupStarts sync.Pool // *[]uint32
	// scratches holds the fast path's decoding buffers between reads.
	scratches sync.Pool // *scratch
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
	if b != nil {
		if p, ok := b.ints.Get().(*[]int64); ok && cap(*p) >= n {
			return (*p)[:n]
		}
	}
	return make([]int64, n)
}

// float64s returns a slice of n values with unspecified contents.
func (b *Buffers) float64s(n int) []float64 {
	if b != nil {
		if p, ok := b.floats.Get().(*[]float64); ok && cap(*p) >= n {
			return (*p)[:n]
		}
	}
	return make([]float64, n)
}

// uint32s returns a slice of n values with unspecified contents.
func (b *Buffers) uint32s(n int) []uint32 {
	if b != nil {
		if p, ok := b.codes.Get().(*[]uint32); ok && cap(*p) >= n {
			return (*p)[:n]
		}
	}
	return make([]uint32, n)
}

// starts returns an empty slice with room for at least n group starts.
func (b *Buffers) starts(n int) []uint32 {
	if b != nil {
		if p, ok := b.groupStarts.Get().(*[]uint32); ok && cap(*p) >= n {
			return (*p)[:0]
		}
	}
	return make([]uint32, 0, n)
}

// Release gives the value slices of t (its columns, timestamps, group ids and group starts) back
// for reuse. t
// and every slice taken from it must not be used afterwards. Slices shared between columns are
// given back once.
func (b *Buffers) Release(t *Table) {
	if b == nil || t == nil {
		return
	}
	seen := map[any]bool{}
	putInts := func(s []int64) {
		if cap(s) == 0 {
			return
		}
		if k := &s[:1][0]; !seen[k] {
			seen[k] = true
			b.ints.Put(&s)
		}
	}
	putCodes := func(s []uint32) {
		if cap(s) == 0 {
			return
		}
		if k := &s[:1][0]; !seen[k] {
			seen[k] = true
			b.codes.Put(&s)
		}
	}
	put := func(c *Column) {
		if c == nil {
			return
		}
		putInts(c.Ints)
		putCodes(c.Codes)
		if s := c.Floats; cap(s) > 0 {
			if k := &s[:1][0]; !seen[k] {
				seen[k] = true
				b.floats.Put(&s)
			}
		}
	}
	put(t.Group)
	for _, c := range t.Columns {
		put(c)
	}
	putInts(t.TS)
	putCodes(t.GroupOf)
	if s := t.GroupStarts; cap(s) > 0 {
		b.groupStarts.Put(&s)
	}
}
