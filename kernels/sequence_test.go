package kernels

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

// naiveSequenceReach follows the query language's definition directly: T0 = min ts of the group's
// rows in step 0; Ti = min ts of its rows in step i with ts > T(i-1); reached = the number of Ti
// that exist.
func naiveSequenceReach(steps []Bitset, ts []int64, starts []uint32, groups *roaring.Bitmap) []uint16 {
	numGroups := len(starts) - 1
	reached := make([]uint16, numGroups)
	for _, g := range groupList(groups, numGroups) {
		var prev int64
		k := 0
		for ; k < len(steps); k++ {
			found := false
			var best int64
			for i := starts[g]; i < starts[g+1]; i++ {
				if !steps[k].Get(int(i)) || (k > 0 && ts[i] <= prev) {
					continue
				}
				if !found || ts[i] < best {
					best, found = ts[i], true
				}
			}
			if !found {
				break
			}
			prev = best
		}
		reached[g] = uint16(k)
	}
	return reached
}

func checkSequence(t *testing.T, what string, steps []Bitset, ts []int64, starts []uint32, groups *roaring.Bitmap, rng *rand.Rand) {
	t.Helper()
	numGroups := len(starts) - 1
	got := make([]uint16, numGroups)
	for g := range got {
		got[g] = uint16(rng.Uint32())
	}
	SequenceReach(got, steps, ts, starts, groups)
	want := naiveSequenceReach(steps, ts, starts, groups)
	for g := range want {
		if got[g] != want[g] {
			t.Fatalf("%s: group %d rows [%d,%d): reached %d, want %d", what, g, starts[g], starts[g+1], got[g], want[g])
		}
	}
	for n := 0; n <= len(steps)+1; n++ {
		dst, have := preset(rng, numGroups)
		GroupsReaching(dst, got, n)
		wantSet := wantGroups(numGroups, have, func(g int) bool { return int(want[g]) >= n })
		equalBitmap(t, what+" GroupsReaching "+itoa(n), dst, wantSet)
	}
}

func genSteps(rng *rand.Rand, n int) []Bitset {
	numSteps := []int{0, 1, 2, 3, 3, 4, 5, 12}[rng.IntN(8)]
	steps := make([]Bitset, numSteps)
	for i := range steps {
		steps[i] = genBits(rng, n, genDensity(rng))
	}
	return steps
}

// bothWalks runs f with the assembly walk (where the CPU has BMI1 and BMI2) and with the Go one.
func bothWalks(t *testing.T, f func(t *testing.T)) {
	bmi := hasBMI
	defer func() { hasBMI = bmi }()
	for _, use := range []bool{false, bmi} {
		hasBMI = use
		t.Run(map[bool]string{false: "go", true: "bmi"}[use], f)
	}
}

func TestSequenceReach(t *testing.T) {
	bothWalks(t, func(t *testing.T) {
		for _, n := range edgeLengths() {
			for trial := range trialsFor(n) {
				rng := newRand(t, n, trial)
				starts := genStarts(rng, n)
				ts := genTS(rng, starts)
				steps := genSteps(rng, n)
				groups := genGroupSet(rng, len(starts)-1)
				checkSequence(t, "n="+itoa(n)+" steps="+itoa(len(steps)), steps, ts, starts, groups, rng)
			}
		}
	})
}

// seqCase builds one group per entry of groups, each a row list "ts:steps ts:steps ...", where
// steps names the steps the row matches by letter ("ab" = steps 0 and 1, "-" = none).
func seqCase(t *testing.T, numSteps int, groups ...string) ([]Bitset, []int64, []uint32) {
	t.Helper()
	var ts []int64
	starts := []uint32{0}
	type mark struct{ row, step int }
	var marks []mark
	for _, g := range groups {
		for _, row := range strings.Fields(g) {
			tsText, stepText, ok := strings.Cut(row, ":")
			if !ok {
				t.Fatalf("bad row %q", row)
			}
			var v int64
			for _, c := range tsText {
				v = v*10 + int64(c-'0')
			}
			for _, c := range stepText {
				if c != '-' {
					marks = append(marks, mark{len(ts), int(c - 'a')})
				}
			}
			ts = append(ts, v)
		}
		starts = append(starts, uint32(len(ts)))
	}
	steps := make([]Bitset, numSteps)
	for i := range steps {
		steps[i] = NewBitset(len(ts))
	}
	for _, m := range marks {
		steps[m.step].Set(m.row)
	}
	return steps, ts, starts
}

func TestSequenceReachCases(t *testing.T) { bothWalks(t, sequenceReachCases) }

func sequenceReachCases(t *testing.T) {
	// Steps are letters: "a" is step 0, "b" step 1, ... so rows read "timestamp:steps".
	f := func(name string, numSteps int, group string, want uint16) {
		t.Helper()
		steps, ts, starts := seqCase(t, numSteps, group)
		got := make([]uint16, 1)
		SequenceReach(got, steps, ts, starts, nil)
		if got[0] != want {
			t.Errorf("%s: reached %d, want %d", name, got[0], want)
		}
		if naive := naiveSequenceReach(steps, ts, starts, nil); naive[0] != want {
			t.Errorf("%s: the naive reference says %d, want %d", name, naive[0], want)
		}
	}
	f("equal timestamps do not chain", 2, "1:a 1:b", 1)
	f("equal timestamps do not chain, a later one does", 2, "1:a 1:b 2:b", 2)
	f("ties on both sides", 3, "1:a 1:ab 2:b 2:bc 2:c", 2)
	f("a row cannot serve two steps", 2, "1:ab", 1)
	f("a row matching two steps serves the first, the next row the second", 2, "1:ab 2:ab", 2)
	f("earliest step 0 is used", 2, "1:a 2:b 3:a", 2)
	f("earliest step 1 is used, so step 2 can follow", 3, "1:a 2:b 3:c 4:b", 3)
	f("a later repeat of step 0 does not reset progress", 3, "1:a 2:b 3:a 4:c", 3)
	f("a repeat of step 0 at the step-1 time does not reset", 3, "1:a 2:ab 3:c", 3)
	f("step 1 before step 0 does not count", 2, "1:b 2:a", 1)
	f("steps out of order", 3, "1:a 2:c 3:b", 2)
	f("no step 0", 2, "1:b 2:b", 0)
	f("1 step, found", 1, "5:- 6:a", 1)
	f("1 step, missing", 1, "5:- 6:-", 0)
	f("empty group list of steps", 0, "1:-", 0)
	f("12 steps in order", 12, "1:a 2:b 3:c 4:d 5:e 6:f 7:g 8:h 9:i 10:j 11:k 12:l", 12)
	f("12 steps, one tie", 12, "1:a 2:b 3:c 4:d 5:e 5:f 7:g 8:h 9:i 10:j 11:k 12:l", 5)
	f("12 steps, every row matches every step", 12,
		"1:abcdefghijkl 2:abcdefghijkl 3:abcdefghijkl 4:abcdefghijkl 5:abcdefghijkl 6:abcdefghijkl "+
			"7:abcdefghijkl 8:abcdefghijkl 9:abcdefghijkl 10:abcdefghijkl 11:abcdefghijkl", 11)
}

func TestSequenceReachGroupsAndWords(t *testing.T) { bothWalks(t, sequenceReachGroupsAndWords) }

func sequenceReachGroupsAndWords(t *testing.T) {
	// Three groups; the middle one spans a word boundary. Only groups 1 and 2 are asked for.
	var rows []string
	for i := range 100 {
		switch i {
		case 3:
			rows = append(rows, "1:a")
		case 70:
			rows = append(rows, "9:b")
		default:
			rows = append(rows, "5:-")
		}
	}
	steps, ts, starts := seqCase(t, 2, "1:a 2:b", strings.Join(rows, " "), "1:a 1:b")
	groups := roaring.BitmapOf(1, 2)
	got := []uint16{7, 7, 7}
	SequenceReach(got, steps, ts, starts, groups)
	if got[0] != 0 || got[1] != 2 || got[2] != 1 {
		t.Fatalf("reached %v, want [0 2 1]", got)
	}
}

// TestGroupsReachingEdges checks GroupsReaching against a naive loop at edge lengths, into an
// empty and into a non-empty bitmap.
func TestGroupsReachingEdges(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{0, 1, 2, 39, 63, 64, 65, 127, 128, 129, 1023, 1024, 1025, 65535, 65536, 65537, 70000} {
		reached := make([]uint16, n)
		for i := range reached {
			reached[i] = uint16(rng.IntN(4))
		}
		for _, k := range []int{-1, 0, 1, 2, 3, 4, 70000} {
			for _, prefill := range []bool{false, true} {
				dst, want := roaring.New(), roaring.New()
				if prefill {
					dst.Add(uint32(n) + 5)
					want.Add(uint32(n) + 5)
				}
				for g, r := range reached {
					if int(r) >= k {
						want.Add(uint32(g))
					}
				}
				GroupsReaching(dst, reached, k)
				equalBitmap(t, "n="+itoa(n)+" k="+itoa(k), dst, want.ToArray())
			}
		}
	}
}
