package kernels

import (
	"testing"
)

func TestBitsetMatchesBools(t *testing.T) {
	for _, n := range edgeLengths() {
		for trial := range trialsFor(n) {
			rng := newRand(t, n, trial)
			a, b := make([]bool, n), make([]bool, n)
			da, db := genDensity(rng), genDensity(rng)
			for i := range n {
				a[i], b[i] = rng.Float64() < da, rng.Float64() < db
			}
			ba, bb := bitsetOf(a), bitsetOf(b)
			if len(ba) != (n+63)/64 {
				t.Fatalf("n=%d: NewBitset has %d words", n, len(ba))
			}
			check := func(op string, got Bitset, want func(x, y bool) bool) {
				t.Helper()
				count := 0
				for i := range n {
					w := want(a[i], b[i])
					if got.Get(i) != w {
						t.Fatalf("n=%d %s: row %d = %v, want %v", n, op, i, got.Get(i), w)
					}
					if w {
						count++
					}
				}
				if got.Count() != count {
					t.Fatalf("n=%d %s: Count %d, want %d (bits past n set?)", n, op, got.Count(), count)
				}
			}
			check("set", ba, func(x, _ bool) bool { return x })
			and := append(Bitset(nil), ba...)
			and.And(bb)
			check("and", and, func(x, y bool) bool { return x && y })
			or := append(Bitset(nil), ba...)
			or.Or(bb)
			check("or", or, func(x, y bool) bool { return x || y })
			andNot := append(Bitset(nil), ba...)
			andNot.AndNot(bb)
			check("andNot", andNot, func(x, y bool) bool { return x && !y })
			all := garbage(rng, len(ba))
			all.SetAll(n)
			check("setAll", all, func(_, _ bool) bool { return true })
			some := garbage(rng, len(ba))
			k := rng.IntN(n + 1)
			some.SetAll(k)
			for i := range 64 * len(some) {
				if some.Get(i) != (i < k) {
					t.Fatalf("n=%d SetAll(%d): row %d = %v", n, k, i, some.Get(i))
				}
			}
			all.Clear()
			check("clear", all, func(_, _ bool) bool { return false })
		}
	}
}

func TestCountRange(t *testing.T) {
	for _, n := range edgeLengths() {
		rng := newRand(t, n, 0)
		b := genBits(rng, n, genDensity(rng))
		for range 50 {
			lo := rng.IntN(n + 1)
			hi := lo + rng.IntN(n-lo+1)
			want := 0
			for i := lo; i < hi; i++ {
				if b.Get(i) {
					want++
				}
			}
			if got := countRange(b, uint32(lo), uint32(hi)); got != want {
				t.Fatalf("n=%d countRange(%d, %d) = %d, want %d", n, lo, hi, got, want)
			}
		}
	}
}
