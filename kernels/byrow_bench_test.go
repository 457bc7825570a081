package kernels

import (
	"math/rand/v2"
	"testing"
)

// shuffledGroups returns the group of every row of bt's table, with the rows shuffled (a fixed
// seed), and the timestamps permuted the same way: an unsorted file's view of the same data.
func shuffledGroups(bt benchTable) (groupOf []uint32, ts []int64) {
	groupOf = make([]uint32, benchRows)
	for g := 0; g+1 < len(bt.starts); g++ {
		for i := bt.starts[g]; i < bt.starts[g+1]; i++ {
			groupOf[i] = uint32(g)
		}
	}
	ts = append([]int64(nil), bt.ts...)
	rng := rand.New(rand.NewPCG(42, 9))
	rng.Shuffle(benchRows, func(i, j int) {
		groupOf[i], groupOf[j] = groupOf[j], groupOf[i]
		ts[i], ts[j] = ts[j], ts[i]
	})
	return groupOf, ts
}

func BenchmarkCountPerGroupByRow(b *testing.B) {
	bt := newBenchTable(b, 10)
	groupOf, _ := shuffledGroups(bt)
	mask := genBits(rand.New(rand.NewPCG(42, 3)), benchRows, 0.3)
	counts := make([]uint32, len(bt.starts)-1)
	b.ReportAllocs()
	for b.Loop() {
		CountPerGroupByRow(counts, mask, groupOf)
	}
	reportRows(b, benchRows)
}

// BenchmarkSequenceReachByRow is BenchmarkSequenceReach's three steps over shuffled rows.
func BenchmarkSequenceReachByRow(b *testing.B) {
	bt := newBenchTable(b, 10)
	groupOf, ts := shuffledGroups(bt)
	rng := rand.New(rand.NewPCG(42, 4))
	steps := []Bitset{genBits(rng, benchRows, 0.2), genBits(rng, benchRows, 0.2), genBits(rng, benchRows, 0.2)}
	g := len(bt.starts) - 1
	reached := make([]uint16, g)
	prev, cur := make([]int64, g), make([]int64, g)
	b.ReportAllocs()
	for b.Loop() {
		SequenceReachByRow(reached, steps, ts, groupOf, nil, prev, cur)
	}
	reportRows(b, benchRows)
}
