package kernels

import "math"

// Op is a comparison operator: "x op v" for a row value or a per-group count or sum x.
type Op uint8

// The comparison operators. A value outside this list matches nothing.
const (
	Eq Op = iota // ==
	Ne           // !=
	Gt           // >
	Ge           // >=
	Lt           // <
	Le           // <=
)

// String returns the operator as written in the query language.
func (op Op) String() string {
	switch op {
	case Eq:
		return "=="
	case Ne:
		return "!="
	case Gt:
		return ">"
	case Ge:
		return ">="
	case Lt:
		return "<"
	case Le:
		return "<="
	}
	return "?"
}

// intPredicateKind says how "x op v" for int64 x and float64 v resolves.
type intPredicateKind uint8

const (
	matchNone    intPredicateKind = iota // no int64 satisfies it
	matchAll                             // every int64 satisfies it
	matchCompare                         // it is exactly "x op' t" for an int64 t
)

// two63 is 2^63, the first float64 above the int64 range.
const two63 = 9223372036854775808.0

// intPredicate rewrites "x op v", for any int64 x and float64 v (compared exactly, as real
// numbers), into an integer comparison "x op' t", or into match-all or match-none. For example
// x > 1.5 is x > 1, x < 1.5 is x < 2, x == 1.5 matches none and x >= -Inf matches all. NaN
// satisfies only Ne.
func intPredicate(op Op, v float64) (kind intPredicateKind, intOp Op, t int64) {
	if v != v {
		if op == Ne {
			return matchAll, op, 0
		}
		return matchNone, op, 0
	}
	switch op {
	case Eq, Ne:
		if v == math.Trunc(v) && v >= -two63 && v < two63 {
			return matchCompare, op, int64(v)
		}
		if op == Ne {
			return matchAll, op, 0
		}
		return matchNone, op, 0
	case Gt, Le: // x > v <=> x > floor(v); x <= v <=> x <= floor(v)
		f := math.Floor(v)
		switch {
		case f >= two63:
			return pick(op == Le), op, 0
		case f < -two63:
			return pick(op == Gt), op, 0
		}
		return matchCompare, op, int64(f)
	case Ge, Lt: // x >= v <=> x >= ceil(v); x < v <=> x < ceil(v)
		c := math.Ceil(v)
		switch {
		case c >= two63:
			return pick(op == Lt), op, 0
		case c <= -two63:
			return pick(op == Ge), op, 0
		}
		return matchCompare, op, int64(c)
	}
	return matchNone, op, 0
}

// pick returns matchAll when all is true, else matchNone.
func pick(all bool) intPredicateKind {
	if all {
		return matchAll
	}
	return matchNone
}

// Outcomes of comparing x with v, as bit positions of an outcome mask: at most one of lt, eq and
// gt holds, and none does when either side is NaN.
const (
	outcomeUnordered = 0
	outcomeLt        = 1
	outcomeEq        = 2
	outcomeGt        = 4
)

// outcomeMask returns the set of outcomes (bit k set for outcome k) for which "x op v" holds, so a
// loop can test any operator without branching on it: opMask>>outcome(x, v)&1.
func outcomeMask(op Op) uint8 {
	switch op {
	case Eq:
		return 1 << outcomeEq
	case Ne:
		return 1<<outcomeUnordered | 1<<outcomeLt | 1<<outcomeGt
	case Gt:
		return 1 << outcomeGt
	case Ge:
		return 1<<outcomeGt | 1<<outcomeEq
	case Lt:
		return 1 << outcomeLt
	case Le:
		return 1<<outcomeLt | 1<<outcomeEq
	}
	return 0
}

// outcomeFloat64 returns the outcome of comparing x with v.
func outcomeFloat64(x, v float64) uint8 {
	return b2u8(x < v)*outcomeLt | b2u8(x == v)*outcomeEq | b2u8(x > v)*outcomeGt
}

// outcomeInt64 returns the outcome of comparing x with v.
func outcomeInt64(x, v int64) uint8 {
	return b2u8(x < v)*outcomeLt | b2u8(x == v)*outcomeEq | b2u8(x > v)*outcomeGt
}

// b2u8 converts a bool to 0 or 1 without a branch.
func b2u8(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// b2u converts a bool to 0 or 1 without a branch.
func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}
