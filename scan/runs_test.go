package scan

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// sortedRunsNaive is the obvious branchy loop sortedRuns must agree with (the one it replaced).
func sortedRunsNaive[G cmp.Ordered](g []G, ts []int64) ([]uint32, bool) {
	starts := make([]uint32, 1, len(g)/8+2)
	for i := 1; i < len(g); i++ {
		switch a, b := g[i-1], g[i]; {
		case b < a:
			return nil, false
		case b > a:
			starts = append(starts, uint32(i))
		case ts != nil && ts[i] < ts[i-1]:
			return nil, false
		}
	}
	if len(g) == 0 {
		return starts, true
	}
	return append(starts, uint32(len(g))), true
}

// sortedRunsWith runs a runCheck with or without the AVX2 kernel, over all rows at once or,
// with rng, in batches of random sizes.
func sortedRunsWith[G cmp.Ordered](g []G, ts []int64, avx2 bool, rng *rand.Rand, starts []uint32) ([]uint32, bool) {
	var rc runCheck[G]
	rc.init(starts, avx2)
	for hi := 0; hi < len(g); {
		next := len(g)
		if rng != nil {
			next = min(len(g), hi+1+rng.IntN(300))
		}
		hi = next
		rc.add(g, ts, hi)
	}
	return rc.result(len(g))
}

// sortedRows returns n rows ordered by (g, ts) with runs of about perGroup rows and repeated
// timestamps.
func sortedRows(rng *rand.Rand, n, perGroup int) ([]int64, []int64) {
	g, ts := make([]int64, n), make([]int64, n)
	cur, t := int64(-5), int64(0)
	for i := range g {
		if i == 0 || rng.IntN(perGroup) == 0 {
			cur += 1 + rng.Int64N(3)
			t = rng.Int64N(100) - 50
		}
		t += rng.Int64N(2)
		g[i], ts[i] = cur, t
	}
	return g, ts
}

func TestSortedRuns(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 62))
	lengths := append(slices.Clone(edgeLengths), 255, 256, 257, 258, 511, 512, 513)
	for _, n := range lengths {
		for _, perGroup := range []int{1, 3, 300} {
			for mode := range 5 {
				g, ts := sortedRows(rng, n, perGroup)
				if n > 1 {
					i := 1 + rng.IntN(n-1)
					switch mode {
					case 1: // a group id decreases
						g[i] = g[i-1] - 1
					case 2: // a timestamp decreases within a group
						g[i], ts[i] = g[i-1], ts[i-1]-1
					case 3: // a timestamp decreases across a group boundary: still ordered
						g[i] = g[i-1] + 1
						for j := i + 1; j < n; j++ {
							g[j] = max(g[j], g[i])
						}
						ts[i] = ts[i-1] - 10
					}
				}
				name := fmt.Sprintf("n %d per %d mode %d", n, perGroup, mode)
				for _, withTS := range []bool{true, false} {
					tsArg := ts
					if !withTS {
						tsArg = nil
					}
					want, wantOK := sortedRunsNaive(g, tsArg)
					got, ok := sortedRuns(g, tsArg, make([]uint32, 0, 3))
					if ok != wantOK || !slices.Equal(got, want) {
						t.Fatalf("%s ts %v: got %v %v, want %v %v", name, withTS, got, ok, want, wantOK)
					}
					for _, avx2 := range []bool{false, hasAVX2()} {
						got, ok = sortedRunsWith(g, tsArg, avx2, nil, nil)
						if ok != wantOK || !slices.Equal(got, want) {
							t.Fatalf("%s ts %v avx2 %v: got %v %v, want %v %v", name, withTS, avx2, got, ok, want, wantOK)
						}
						got, ok = sortedRunsWith(g, tsArg, avx2, rng, nil)
						if ok != wantOK || !slices.Equal(got, want) {
							t.Fatalf("%s ts %v avx2 %v, rows added in batches: got %v %v, want %v %v", name, withTS, avx2, got, ok, want, wantOK)
						}
					}
					g32 := make([]uint32, n)
					for i, v := range g {
						g32[i] = uint32(v + 100)
					}
					want, wantOK = sortedRunsNaive(g32, tsArg)
					got, ok = sortedRuns(g32, tsArg, nil)
					if ok != wantOK || !slices.Equal(got, want) {
						t.Fatalf("%s ts %v (uint32): got %v %v, want %v %v", name, withTS, got, ok, want, wantOK)
					}
				}
			}
		}
	}
}

// BenchmarkSortedRuns times the order check and group starts over 1M sorted rows of about 10
// rows per group (as in the worker's benchmark part) and of about 100: sortedRuns (AVX2 where
// the CPU has it), its pure-Go twin, and the branchy loop it replaced.
func BenchmarkSortedRuns(b *testing.B) {
	for _, perGroup := range []int{10, 100} {
		rng := rand.New(rand.NewPCG(63, 64))
		g, ts := sortedRows(rng, 1<<20, perGroup)
		report := func(b *testing.B) {
			b.ReportMetric(float64(b.N*len(g))/b.Elapsed().Seconds(), "rows/s")
		}
		b.Run(fmt.Sprintf("per%d/sortedRuns", perGroup), func(b *testing.B) {
			b.ReportAllocs()
			var starts []uint32
			for b.Loop() {
				var ok bool
				if starts, ok = sortedRuns(g, ts, starts); !ok {
					b.Fatal("not sorted")
				}
			}
			report(b)
		})
		b.Run(fmt.Sprintf("per%d/sortedRunsGo", perGroup), func(b *testing.B) {
			b.ReportAllocs()
			var starts []uint32
			for b.Loop() {
				var ok bool
				if starts, ok = sortedRunsWith(g, ts, false, nil, starts); !ok {
					b.Fatal("not sorted")
				}
			}
			report(b)
		})
		b.Run(fmt.Sprintf("per%d/branchy", perGroup), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := sortedRunsNaive(g, ts); !ok {
					b.Fatal("not sorted")
				}
			}
			report(b)
		})
	}
}
