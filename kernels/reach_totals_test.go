package kernels

import (
	"math/rand/v2"
	"testing"
)

// TestReachTotals checks the per-step totals against GroupsReaching and RowsOfGroups, for ordered
// (starts) and per-group row counts.
func TestReachTotals(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, numGroups := range []int{0, 1, 2, 63, 64, 65, 1000} {
		starts := []uint32{0}
		rowsOf := make([]uint32, numGroups)
		reached := make([]uint16, numGroups)
		for g := range numGroups {
			rowsOf[g] = uint32(1 + rng.IntN(9))
			starts = append(starts, starts[g]+rowsOf[g])
			reached[g] = uint16(rng.IntN(6))
		}
		for _, n := range []int{1, 3, 5, 7} {
			for _, ordered := range []bool{true, false} {
				groups, rows := make([]int64, n), make([]int64, n)
				groups[0], rows[0] = 100, 1000 // totals are added, not stored
				if ordered {
					ReachTotals(groups, rows, reached, starts, nil)
				} else {
					ReachTotals(groups, rows, reached, nil, rowsOf)
				}
				for k := 1; k <= n; k++ {
					var wantG, wantR int64
					for g, r := range reached {
						if int(r) >= k {
							wantG++
							wantR += int64(rowsOf[g])
						}
					}
					if k == 1 {
						wantG, wantR = wantG+100, wantR+1000
					}
					if groups[k-1] != wantG || rows[k-1] != wantR {
						t.Fatalf("groups=%d n=%d ordered=%v step %d: %d groups %d rows, want %d and %d",
							numGroups, n, ordered, k, groups[k-1], rows[k-1], wantG, wantR)
					}
				}
			}
		}
	}
}
