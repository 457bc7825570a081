package kernels

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// naiveEncode is the reference: a map from value to code, over the sorted distinct non-null
// values.
func naiveEncode[T int64 | float64](vals []T, null func(i int) bool) ([]uint32, []T) {
	set := map[T]bool{}
	for i, v := range vals {
		if !null(i) {
			set[v] = true
		}
	}
	var dict []T
	for v := range set {
		dict = append(dict, v)
	}
	slices.Sort(dict)
	code := map[T]uint32{}
	for c, v := range dict {
		code[v] = uint32(c)
	}
	codes := make([]uint32, len(vals))
	for i, v := range vals {
		if null(i) {
			codes[i] = uint32(len(dict))
		} else {
			codes[i] = code[v]
		}
	}
	return codes, dict
}

func TestEncodeInt64(t *testing.T) {
	for _, n := range edgeLengths() {
		for trial := range trialsFor(n) {
			rng := newRand(t, n, trial)
			vals, nulls := genInts(rng, n), genNulls(rng, n)
			if trial%2 == 0 { // a narrow range: the table path
				for i := range vals {
					vals[i] = rng.Int64N(int64(n)+50) - 1000
				}
			}
			codes := make([]uint32, n)
			for i := range codes {
				codes[i] = rng.Uint32()
			}
			dict := EncodeInt64(codes, vals, nulls)
			wantCodes, wantDict := naiveEncode(vals, func(i int) bool { return isNullNaive(nulls, i) })
			if !slices.Equal(dict, wantDict) {
				t.Fatalf("n=%d trial %d: dict %v, want %v", n, trial, head(dict), head(wantDict))
			}
			if !slices.Equal(codes, wantCodes) {
				t.Fatalf("n=%d trial %d: codes %v, want %v", n, trial, head(codes), head(wantCodes))
			}
		}
	}
}

func TestEncodeInt64Extremes(t *testing.T) {
	// The full int64 span must not overflow the dense-table test.
	vals := []int64{math.MaxInt64, math.MinInt64, 0, math.MaxInt64}
	codes := make([]uint32, len(vals))
	dict := EncodeInt64(codes, vals, nil)
	if !slices.Equal(dict, []int64{math.MinInt64, 0, math.MaxInt64}) || !slices.Equal(codes, []uint32{2, 0, 1, 2}) {
		t.Fatalf("dict %v codes %v", dict, codes)
	}
	vals = []int64{math.MaxInt64, math.MaxInt64 - 2}
	dict = EncodeInt64(codes[:2], vals, nil)
	if !slices.Equal(dict, []int64{math.MaxInt64 - 2, math.MaxInt64}) || !slices.Equal(codes[:2], []uint32{1, 0}) {
		t.Fatalf("dict %v codes %v", dict, codes[:2])
	}
}

func TestEncodeFloat64(t *testing.T) {
	for _, n := range edgeLengths() {
		for trial := range trialsFor(n) {
			rng := newRand(t, n, trial)
			vals, nulls := genFloats(rng, n), genNulls(rng, n)
			if trial%2 == 0 {
				for i := range vals {
					vals[i] = float64(rng.IntN(n+10)) / 4
				}
			}
			codes := make([]uint32, n)
			dict := EncodeFloat64(codes, vals, nulls)
			// The reference sees -0 as +0 and NaN as null.
			norm := make([]float64, n)
			for i, v := range vals {
				norm[i] = v
				if v == 0 {
					norm[i] = 0
				}
			}
			wantCodes, wantDict := naiveEncode(norm, func(i int) bool { return isNullNaive(nulls, i) || math.IsNaN(vals[i]) })
			if !slices.Equal(dict, wantDict) {
				t.Fatalf("n=%d trial %d: dict %v, want %v", n, trial, head(dict), head(wantDict))
			}
			for _, v := range dict {
				if v == 0 && math.Signbit(v) {
					t.Fatalf("n=%d: -0 in dict", n)
				}
			}
			if !slices.Equal(codes, wantCodes) {
				t.Fatalf("n=%d trial %d: codes %v, want %v", n, trial, head(codes), head(wantCodes))
			}
		}
	}
}

func TestEncodeBool(t *testing.T) {
	for _, n := range edgeLengths() {
		for trial := range trialsFor(n) {
			rng := newRand(t, n, trial)
			vals, nulls := make([]bool, n), genNulls(rng, n)
			d := genDensity(rng)
			for i := range vals {
				vals[i] = rng.Float64() < d
			}
			codes := make([]uint32, n)
			dict := EncodeBool(codes, vals, nulls)
			ints := make([]int64, n)
			for i, v := range vals {
				ints[i] = int64(b2u(v))
			}
			wantCodes, wantInts := naiveEncode(ints, func(i int) bool { return isNullNaive(nulls, i) })
			wantDict := make([]bool, len(wantInts))
			for c, v := range wantInts {
				wantDict[c] = v == 1
			}
			if !slices.Equal(dict, wantDict) || !slices.Equal(codes, wantCodes) {
				t.Fatalf("n=%d trial %d: dict %v codes %v, want %v %v", n, trial, dict, head(codes), wantDict, head(wantCodes))
			}
		}
	}
}

func TestEncodeLargeSparseInt64(t *testing.T) {
	// Wide values with repeats take the sorting path at a size where the binary search runs deep.
	rng := rand.New(rand.NewPCG(5, 5))
	const n = 20000
	pool := make([]int64, 3000)
	for i := range pool {
		pool[i] = rng.Int64() - rng.Int64()
	}
	vals := make([]int64, n)
	for i := range vals {
		vals[i] = pool[rng.IntN(len(pool))]
	}
	nulls := genNulls(rng, n)
	codes := make([]uint32, n)
	dict := EncodeInt64(codes, vals, nulls)
	wantCodes, wantDict := naiveEncode(vals, func(i int) bool { return isNullNaive(nulls, i) })
	if !slices.Equal(dict, wantDict) || !slices.Equal(codes, wantCodes) {
		t.Fatalf("dict of %d (want %d) or codes differ", len(dict), len(wantDict))
	}
}

// TestEncodeMostlyNull checks the path for columns that are mostly null (values gathered, encoded,
// their codes scattered) against the reference, with NaNs among a float column's values.
func TestEncodeMostlyNull(t *testing.T) {
	for _, n := range []int{1, 63, 64, 65, 1000, 4097} {
		rng := newRand(t, n, 0)
		nulls := NewBitset(n)
		for i := range n {
			if rng.IntN(20) != 0 {
				nulls.Set(i)
			}
		}
		if !mostlyNull(nulls, n) && n > 1 {
			t.Fatalf("n=%d: a 95%% null column is not mostly null", n)
		}
		ints, floats := genInts(rng, n), make([]float64, n)
		for i := range floats {
			floats[i] = float64(rng.IntN(30)) / 4
			if rng.IntN(50) == 0 {
				floats[i] = math.NaN()
			}
		}
		null := func(i int) bool { return nulls.Get(i) }
		codes := make([]uint32, n)
		dict := EncodeInt64(codes, ints, nulls)
		wantCodes, wantDict := naiveEncode(ints, null)
		if !slices.Equal(dict, wantDict) || !slices.Equal(codes, wantCodes) {
			t.Fatalf("n=%d: int64 dict %v codes %v, want %v %v", n, head(dict), head(codes), head(wantDict), head(wantCodes))
		}
		fdict := EncodeFloat64(codes, floats, nulls)
		wantCodes, wantFDict := naiveEncode(floats, func(i int) bool { return null(i) || math.IsNaN(floats[i]) })
		if !slices.Equal(fdict, wantFDict) || !slices.Equal(codes, wantCodes) {
			t.Fatalf("n=%d: float64 dict %v codes %v, want %v %v", n, head(fdict), head(codes), head(wantFDict), head(wantCodes))
		}
	}
}
