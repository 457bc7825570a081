package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

// benchRows is the table size of every benchmark: 1M rows in groups of about 10.
const benchRows = 1 << 20

// benchTable is a fixed-seed table of benchRows rows in groups of 1 to 19 rows (10 on average).
type benchTable struct {
	starts []uint32
	ts     []int64
	ints   []int64
	codes  []uint32
	half   *roaring.Bitmap // a random half of the groups
}

func newBenchTable(b *testing.B, dictLen int) benchTable {
	b.Helper()
	rng := rand.New(rand.NewPCG(42, 1))
	bt := benchTable{starts: []uint32{0}}
	for pos := 0; pos < benchRows; {
		pos = min(pos+1+rng.IntN(19), benchRows)
		bt.starts = append(bt.starts, uint32(pos))
	}
	bt.ts = genTS(rng, bt.starts)
	bt.ints = make([]int64, benchRows)
	bt.codes = make([]uint32, benchRows)
	for i := range benchRows {
		bt.ints[i] = rng.Int64N(1000)
		bt.codes[i] = uint32(rng.IntN(dictLen + 1))
	}
	bt.half = roaring.New()
	for g := 0; g+1 < len(bt.starts); g++ {
		if rng.IntN(2) == 0 {
			bt.half.Add(uint32(g))
		}
	}
	return bt
}

func reportRows(b *testing.B, rows int) {
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkCompareInt64(b *testing.B) {
	bt := newBenchTable(b, 10)
	dst := NewBitset(benchRows)
	nulls := genBits(rand.New(rand.NewPCG(42, 2)), benchRows, 0.1)
	b.Run("lt", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			CompareInt64(dst, bt.ints, nil, Lt, 500)
		}
		reportRows(b, benchRows)
	})
	b.Run("eq-nulls", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			CompareInt64(dst, bt.ints, nulls, Eq, 500)
		}
		reportRows(b, benchRows)
	})
}

func BenchmarkMatchCodes(b *testing.B) {
	const dictLen = 1000
	bt := newBenchTable(b, dictLen)
	lut := make([]bool, dictLen+1)
	for c := 0; c < len(lut); c += 7 {
		lut[c] = true
	}
	dst := NewBitset(benchRows)
	b.Run("lut", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			MatchCodes(dst, bt.codes, lut)
		}
		reportRows(b, benchRows)
	})
	// One code selected: an EqualCodes pass.
	one := make([]bool, dictLen+1)
	one[7] = true
	b.Run("one-code", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			MatchCodes(dst, bt.codes, one)
		}
		reportRows(b, benchRows)
	})
}

func BenchmarkCountPerGroup(b *testing.B) {
	bt := newBenchTable(b, 10)
	mask := genBits(rand.New(rand.NewPCG(42, 3)), benchRows, 0.3)
	counts := make([]uint32, len(bt.starts)-1)
	b.ReportAllocs()
	for b.Loop() {
		CountPerGroup(counts, mask, bt.starts)
	}
	reportRows(b, benchRows)
}

func BenchmarkSequenceReach(b *testing.B) {
	bt := newBenchTable(b, 10)
	rng := rand.New(rand.NewPCG(42, 4))
	steps := []Bitset{genBits(rng, benchRows, 0.2), genBits(rng, benchRows, 0.2), genBits(rng, benchRows, 0.2)}
	reached := make([]uint16, len(bt.starts)-1)
	for _, c := range []struct {
		name   string
		groups *roaring.Bitmap
	}{{"all", nil}, {"half", bt.half}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				SequenceReach(reached, steps, bt.ts, bt.starts, c.groups)
			}
			reportRows(b, benchRows)
		})
	}
}

func BenchmarkCountPerCode(b *testing.B) {
	const dictLen = 1000
	bt := newBenchTable(b, dictLen)
	counts := make([]int64, dictLen+1)
	for _, c := range []struct {
		name   string
		groups *roaring.Bitmap
	}{{"all", nil}, {"half", bt.half}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				CountPerCode(counts, bt.codes, c.groups, bt.starts)
			}
			reportRows(b, int(RowsOfGroups(c.groups, bt.starts)))
		})
	}
}

func BenchmarkGroupsPerCode(b *testing.B) {
	const dictLen = 1000
	bt := newBenchTable(b, dictLen)
	counts := make([]int64, dictLen+1)
	last := make([]uint32, dictLen+1)
	for _, c := range []struct {
		name   string
		groups *roaring.Bitmap
	}{{"all", nil}, {"half", bt.half}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for i := range last {
					last[i] = math.MaxUint32
				}
				GroupsPerCode(counts, last, bt.codes, c.groups, bt.starts)
			}
			reportRows(b, int(RowsOfGroups(c.groups, bt.starts)))
		})
	}
}

// BenchmarkGroupsPerCodeSmall is GroupsPerCode over a column of 6 values plus null where each
// group mostly repeats one value (like a user's browser or country).
func BenchmarkGroupsPerCodeSmall(b *testing.B) {
	const dictLen = 6
	bt := newBenchTable(b, dictLen)
	rng := rand.New(rand.NewPCG(42, 6))
	for g := 0; g+1 < len(bt.starts); g++ {
		c := uint32(rng.IntN(dictLen + 1))
		for i := bt.starts[g]; i < bt.starts[g+1]; i++ {
			bt.codes[i] = c
			if rng.IntN(10) == 0 {
				bt.codes[i] = uint32(rng.IntN(dictLen + 1))
			}
		}
	}
	counts := make([]int64, dictLen+1)
	last := make([]uint32, dictLen+1)
	b.ReportAllocs()
	for b.Loop() {
		for i := range last {
			last[i] = math.MaxUint32
		}
		GroupsPerCode(counts, last, bt.codes, bt.half, bt.starts)
	}
	reportRows(b, int(RowsOfGroups(bt.half, bt.starts)))
}

// BenchmarkTargetCount tests the counts of about 100K groups (a 1M-row part of groups of about
// ten rows), most of them 0, 1 or 2.
func BenchmarkTargetCount(b *testing.B) {
	bt := newBenchTable(b, 10)
	rng := rand.New(rand.NewPCG(42, 5))
	counts := make([]uint32, len(bt.starts)-1)
	for g := range counts {
		counts[g] = uint32(rng.IntN(3) * rng.IntN(3))
	}
	b.ReportAllocs()
	for b.Loop() {
		TargetCount(roaring.New(), counts, Ge, 2, false)
	}
	b.ReportMetric(float64(len(counts))*float64(b.N)/b.Elapsed().Seconds(), "groups/s")
}

// BenchmarkEncode dictionary-encodes 1M rows: a float column that is null on 95% of the rows (a
// price set only on purchases) and an integer column without nulls over a narrow range.
func BenchmarkEncode(b *testing.B) {
	rng := rand.New(rand.NewPCG(42, 9))
	nulls := NewBitset(benchRows)
	floats, ints := make([]float64, benchRows), make([]int64, benchRows)
	for i := range benchRows {
		if rng.IntN(20) != 0 {
			nulls.Set(i)
		}
		floats[i] = float64(rng.IntN(5000)) / 100
		ints[i] = rng.Int64N(1000)
	}
	codes := make([]uint32, benchRows)
	b.Run("float64-mostly-null", func(b *testing.B) {
		for b.Loop() {
			EncodeFloat64(codes, floats, nulls)
		}
		reportRows(b, benchRows)
	})
	b.Run("int64", func(b *testing.B) {
		for b.Loop() {
			EncodeInt64(codes, ints, nil)
		}
		reportRows(b, benchRows)
	})
}

// BenchmarkReachTotals sums the groups and rows of ~100K groups per funnel step (3 steps), most
// groups at step 1 as in a funnel whose later steps are rare.
func BenchmarkReachTotals(b *testing.B) {
	bt := newBenchTable(b, 10)
	rng := rand.New(rand.NewPCG(42, 10))
	reached := make([]uint16, len(bt.starts)-1)
	for g := range reached {
		reached[g] = uint16([]int{0, 1, 1, 1, 1, 1, 1, 2, 2, 3}[rng.IntN(10)])
	}
	groups, rows := make([]int64, 3), make([]int64, 3)
	b.ReportAllocs()
	for b.Loop() {
		ReachTotals(groups, rows, reached, bt.starts, nil)
	}
	b.ReportMetric(float64(len(reached))*float64(b.N)/b.Elapsed().Seconds(), "groups/s")
}
