package kernels

import "math/bits"

// Bitset is a set of row indexes, one bit per row, bit i in word i/64 at position i%64. A Bitset
// for R rows has (R+63)/64 words and keeps the bits past R zero.
type Bitset []uint64

// NewBitset returns an empty Bitset for n rows.
func NewBitset(n int) Bitset {
	return make(Bitset, wordsFor(n))
}

// wordsFor returns the number of words a Bitset of n rows needs.
func wordsFor(n int) int {
	return (n + 63) >> 6
}

// Set adds row i. Precondition: 0 <= i < 64*len(b).
func (b Bitset) Set(i int) {
	b[i>>6] |= 1 << (uint(i) & 63)
}

// Get reports whether row i is in the set. Precondition: 0 <= i < 64*len(b).
func (b Bitset) Get(i int) bool {
	return b[i>>6]>>(uint(i)&63)&1 != 0
}

// Count returns the number of rows in the set.
func (b Bitset) Count() int {
	n := 0
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

// And keeps the rows that are also in o. Precondition: len(o) >= len(b).
func (b Bitset) And(o Bitset) {
	o = o[:len(b)]
	for i := range b {
		b[i] &= o[i]
	}
}

// Or adds the rows of o. Precondition: len(o) >= len(b).
func (b Bitset) Or(o Bitset) {
	o = o[:len(b)]
	for i := range b {
		b[i] |= o[i]
	}
}

// AndNot removes the rows of o. Precondition: len(o) >= len(b).
func (b Bitset) AndNot(o Bitset) {
	o = o[:len(b)]
	for i := range b {
		b[i] &^= o[i]
	}
}

// SetAll makes the set hold exactly the rows [0, n): bits past n are cleared. Precondition:
// 0 <= n <= 64*len(b).
func (b Bitset) SetAll(n int) {
	full := n >> 6
	for i := range b[:full] {
		b[i] = ^uint64(0)
	}
	rest := b[full:]
	if len(rest) == 0 {
		return
	}
	rest[0] = tailMask(n)
	clear(rest[1:])
}

// Clear removes every row.
func (b Bitset) Clear() {
	clear(b)
}

// tailMask returns the valid bits of the last word of an n-row Bitset (0 when n is a multiple of
// 64, where no partial word exists).
func tailMask(n int) uint64 {
	return uint64(1)<<(uint(n)&63) - 1
}

// countRange returns the number of set bits of b in rows [lo, hi). Precondition: lo <= hi <=
// 64*len(b).
func countRange(b Bitset, lo, hi uint32) int {
	if lo >= hi {
		return 0
	}
	wlo, whi := lo>>6, (hi-1)>>6
	first := ^uint64(0) << (lo & 63)
	last := ^uint64(0) >> (63 - ((hi - 1) & 63))
	if wlo == whi {
		return bits.OnesCount64(b[wlo] & first & last)
	}
	ws := b[wlo : whi+1]
	n := bits.OnesCount64(ws[0]&first) + bits.OnesCount64(ws[len(ws)-1]&last)
	for _, w := range ws[1 : len(ws)-1] {
		n += bits.OnesCount64(w)
	}
	return n
}
