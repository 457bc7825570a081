package kernels

import (
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"testing"
)

var allOps = []Op{Eq, Ne, Gt, Ge, Lt, Le}

// naiveOrdered is the reference for one row: "x op v" with Go's operators.
func naiveOrdered[T int64 | float64](x T, op Op, v T) bool {
	switch op {
	case Eq:
		return x == v
	case Ne:
		return x != v
	case Gt:
		return x > v
	case Ge:
		return x >= v
	case Lt:
		return x < v
	case Le:
		return x <= v
	}
	return false
}

// naiveExact compares an int64 with a float64 as real numbers, through math/big.
func naiveExact(x int64, op Op, v float64) bool {
	if math.IsNaN(v) {
		return op == Ne
	}
	c := new(big.Float).SetInt64(x).Cmp(big.NewFloat(v))
	switch op {
	case Eq:
		return c == 0
	case Ne:
		return c != 0
	case Gt:
		return c > 0
	case Ge:
		return c >= 0
	case Lt:
		return c < 0
	case Le:
		return c <= 0
	}
	return false
}

// naivePredicate applies the null rule to per-row results: a null row matches only Ne.
func naivePredicate(n int, nulls []uint64, op Op, row func(i int) bool) Bitset {
	want := make([]bool, n)
	for i := range n {
		if isNullNaive(nulls, i) {
			want[i] = op == Ne
		} else {
			want[i] = row(i)
		}
	}
	return bitsetOf(want)
}

func checkBits(t *testing.T, what string, got, want Bitset) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d words, want %d", what, len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s: word %d = %064b\nwant            %064b", what, i, got[i], want[i])
		}
	}
}

var intPool = []int64{math.MinInt64, math.MinInt64 + 1, -3, -2, -1, 0, 1, 2, 3, 1 << 53, 1<<53 + 1, math.MaxInt64 - 1, math.MaxInt64}

func genInts(rng *rand.Rand, n int) []int64 {
	vals := make([]int64, n)
	for i := range vals {
		if rng.IntN(4) == 0 {
			vals[i] = intPool[rng.IntN(len(intPool))]
		} else {
			vals[i] = rng.Int64N(7) - 3
		}
	}
	return vals
}

var floatPool = []float64{math.Inf(-1), -math.MaxFloat64, -2.5, -1, math.Copysign(0, -1), 0, 5e-324, 0.5, 1, 2.5, math.MaxFloat64, math.Inf(1), math.NaN()}

func genFloats(rng *rand.Rand, n int) []float64 {
	vals := make([]float64, n)
	for i := range vals {
		vals[i] = floatPool[rng.IntN(len(floatPool))]
	}
	return vals
}

func TestCompareInt64(t *testing.T) {
	for _, n := range edgeLengths() {
		for trial := range trialsFor(n) {
			rng := newRand(t, n, trial)
			vals, nulls := genInts(rng, n), genNulls(rng, n)
			for _, op := range allOps {
				v := intPool[rng.IntN(len(intPool))]
				if rng.IntN(2) == 0 {
					v = rng.Int64N(7) - 3
				}
				dst := garbage(rng, wordsFor(n))
				CompareInt64(dst, vals, nulls, op, v)
				want := naivePredicate(n, nulls, op, func(i int) bool { return naiveOrdered(vals[i], op, v) })
				checkBits(t, "CompareInt64 n="+itoa(n)+" op "+op.String(), dst, want)
			}
		}
	}
}

func TestCompareFloat64(t *testing.T) {
	for _, n := range edgeLengths() {
		for trial := range trialsFor(n) {
			rng := newRand(t, n, trial)
			vals, nulls := genFloats(rng, n), genNulls(rng, n)
			for _, op := range allOps {
				v := floatPool[rng.IntN(len(floatPool))]
				dst := garbage(rng, wordsFor(n))
				CompareFloat64(dst, vals, nulls, op, v)
				want := naivePredicate(n, nulls, op, func(i int) bool { return naiveOrdered(vals[i], op, v) })
				checkBits(t, "CompareFloat64 n="+itoa(n)+" op "+op.String(), dst, want)
			}
		}
	}
}

func TestCompareFloat64NaNMatchesOnlyNe(t *testing.T) {
	vals := []float64{math.NaN(), 1}
	for _, op := range allOps {
		dst := NewBitset(2)
		CompareFloat64(dst, vals, nil, op, 1)
		if dst.Get(0) != (op == Ne) {
			t.Errorf("NaN %s 1 = %v", op, dst.Get(0))
		}
	}
}

var floatLiterals = []float64{0.5, -0.5, 1.5, -1.5, 2.5, -3, 3, math.Copysign(0, -1), 1 << 53, 9007199254740993, 1<<53 + 2,
	9223372036854775807, -9223372036854775808, 9.3e18, -9.3e18, 9223372036854774784, 1e300, -1e300,
	math.Inf(1), math.Inf(-1), math.NaN(), 5e-324, -5e-324}

func TestCompareInt64WithFloat(t *testing.T) {
	for _, n := range edgeLengths() {
		for trial := range trialsFor(n) {
			rng := newRand(t, n, trial)
			vals, nulls := genInts(rng, n), genNulls(rng, n)
			for _, v := range floatLiterals {
				for _, op := range allOps {
					dst := garbage(rng, wordsFor(n))
					CompareInt64WithFloat(dst, vals, nulls, op, v)
					want := naivePredicate(n, nulls, op, func(i int) bool { return naiveExact(vals[i], op, v) })
					checkBits(t, "CompareInt64WithFloat n="+itoa(n)+" op "+op.String()+" v "+ftoa(v), dst, want)
				}
			}
		}
	}
}

func TestIntPredicateExact(t *testing.T) {
	xs := append([]int64{}, intPool...)
	xs = append(xs, -9223372036854774784, 9223372036854774784, 9223372036854774783, 9223372036854774785)
	for _, v := range floatLiterals {
		for _, op := range allOps {
			kind, intOp, th := intPredicate(op, v)
			for _, x := range xs {
				var got bool
				switch kind {
				case matchAll:
					got = true
				case matchCompare:
					got = naiveOrdered(x, intOp, th)
				}
				if want := naiveExact(x, op, v); got != want {
					t.Errorf("%d %s %v: got %v, want %v", x, op, v, got, want)
				}
			}
		}
	}
}

func TestCompareBool(t *testing.T) {
	for _, n := range edgeLengths() {
		for trial := range trialsFor(n) {
			rng := newRand(t, n, trial)
			vals, nulls := make([]bool, n), genNulls(rng, n)
			d := genDensity(rng)
			for i := range vals {
				vals[i] = rng.Float64() < d
			}
			for _, op := range allOps {
				for _, v := range []bool{false, true} {
					dst := garbage(rng, wordsFor(n))
					CompareBool(dst, vals, nulls, op, v)
					want := naivePredicate(n, nulls, op, func(i int) bool {
						switch op {
						case Eq:
							return vals[i] == v
						case Ne:
							return vals[i] != v
						}
						return false
					})
					checkBits(t, "CompareBool n="+itoa(n)+" op "+op.String(), dst, want)
				}
			}
		}
	}
}

func TestMatchCodes(t *testing.T) {
	for _, n := range edgeLengths() {
		for trial := range trialsFor(n) {
			rng := newRand(t, n, trial)
			dictLen := rng.IntN(50)
			lut := make([]bool, dictLen+1)
			d := genDensity(rng)
			for i := range lut {
				lut[i] = rng.Float64() < d
			}
			codes := make([]uint32, n)
			for i := range codes {
				codes[i] = uint32(rng.IntN(dictLen + 1))
			}
			dst := garbage(rng, wordsFor(n))
			MatchCodes(dst, codes, lut)
			want := naivePredicate(n, nil, Eq, func(i int) bool { return lut[codes[i]] })
			checkBits(t, "MatchCodes n="+itoa(n), dst, want)
		}
	}
}

// TestEqualCodesMulti checks EqualCodesMulti against a naive loop per code, at edge lengths and
// across its chunks.
func TestEqualCodesMulti(t *testing.T) {
	for _, n := range append(edgeLengths(), equalChunkRows-1, equalChunkRows, 3*equalChunkRows+65) {
		rng := newRand(t, n, 0)
		codes := make([]uint32, n)
		for i := range codes {
			codes[i] = uint32(rng.IntN(9))
		}
		cs := []uint32{0, 3, 8, 9} // 9: no row has it
		dsts := make([]Bitset, len(cs))
		for k := range dsts {
			dsts[k] = garbage(rng, wordsFor(n))
		}
		EqualCodesMulti(dsts, codes, cs)
		for k, c := range cs {
			checkBits(t, "EqualCodesMulti n="+itoa(n)+" code="+itoa(int(c)), dsts[k], naivePredicate(n, nil, Eq, func(i int) bool { return codes[i] == c }))
		}
	}
}

// TestEqualCodes checks EqualCodes against a naive loop at edge lengths, with the AVX2 kernel
// (where the CPU has it) and with the Go loop, and MatchCodes with tables that select one code or
// all codes but one (which take EqualCodes).
func TestEqualCodes(t *testing.T) {
	avx := hasAVX2
	defer func() { hasAVX2 = avx }()
	for _, useAVX := range []bool{false, avx} {
		hasAVX2 = useAVX
		for _, n := range edgeLengths() {
			for trial := range trialsFor(n) {
				rng := newRand(t, n, trial)
				numCodes := 1 + rng.IntN(12)
				codes := make([]uint32, n)
				for i := range codes {
					codes[i] = uint32(rng.IntN(numCodes))
				}
				c := uint32(rng.IntN(numCodes + 1)) // numCodes: a code no row has
				name := "n=" + itoa(n) + " code=" + itoa(int(c)) + " avx2=" + strconv.FormatBool(useAVX)
				dst := garbage(rng, wordsFor(n))
				EqualCodes(dst, codes, c)
				checkBits(t, "EqualCodes "+name, dst, naivePredicate(n, nil, Eq, func(i int) bool { return codes[i] == c }))

				lut := make([]bool, numCodes+1)
				lut[c] = true
				MatchCodes(dst, codes, lut)
				checkBits(t, "MatchCodes one code "+name, dst, naivePredicate(n, nil, Eq, func(i int) bool { return lut[codes[i]] }))
				for i := range lut {
					lut[i] = !lut[i]
				}
				MatchCodes(dst, codes, lut)
				checkBits(t, "MatchCodes all but one "+name, dst, naivePredicate(n, nil, Eq, func(i int) bool { return lut[codes[i]] }))
			}
		}
	}
}

func TestUnknownOpMatchesNothing(t *testing.T) {
	const n = 70
	dst := garbage(rand.New(rand.NewPCG(1, 2)), wordsFor(n))
	CompareInt64(dst, make([]int64, n), nil, Op(42), 0)
	if dst.Count() != 0 {
		t.Fatalf("unknown op matched %d rows", dst.Count())
	}
	if Op(42).String() != "?" || Le.String() != "<=" {
		t.Fatalf("String: %q %q", Op(42).String(), Le.String())
	}
}
