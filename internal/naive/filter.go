package naive

import (
	"math/big"
	"strconv"
	"strings"

	"github.com/frocket/frocket/query"
)

// matchFilter reports whether the row matches the filter.
func matchFilter(row Row, f query.Filter) bool {
	c, ok := row[f.Column]
	if !ok || c.isNull() {
		return f.Op == query.OpNe || f.Op == query.OpNotContains
	}
	switch c.Type {
	case query.TypeString:
		if f.Value.Kind != query.KindString {
			return false
		}
		switch f.Op {
		case query.OpContains:
			return strings.Contains(c.Str, f.Value.Str)
		case query.OpNotContains:
			return !strings.Contains(c.Str, f.Value.Str)
		}
		return opHolds(f.Op, strings.Compare(c.Str, f.Value.Str))
	case query.TypeBool:
		if f.Value.Kind != query.KindBool {
			return false
		}
		switch f.Op {
		case query.OpEq:
			return c.Bool == f.Value.Bool
		case query.OpNe:
			return c.Bool != f.Value.Bool
		}
		return false
	case query.TypeInt:
		if !f.Value.IsNumber() {
			return false
		}
		return opHolds(f.Op, compareIntLiteral(c.Int, f.Value))
	case query.TypeFloat:
		if !f.Value.IsNumber() {
			return false
		}
		return opHolds(f.Op, compareFloats(c.Float, f.Value.Number()))
	}
	return false
}

// matchAll reports whether the row matches every filter.
func matchAll(row Row, fs []query.Filter) bool {
	for _, f := range fs {
		if !matchFilter(row, f) {
			return false
		}
	}
	return true
}

// opHolds tells whether a comparison whose result is cmp (-1, 0, 1) satisfies op. Ordering ops
// never hold for an unordered comparison (cmp == 2).
func opHolds(op query.Op, cmp int) bool {
	if cmp == 2 {
		return op == query.OpNe
	}
	switch op {
	case query.OpEq:
		return cmp == 0
	case query.OpNe:
		return cmp != 0
	case query.OpLt:
		return cmp < 0
	case query.OpLe:
		return cmp <= 0
	case query.OpGt:
		return cmp > 0
	case query.OpGe:
		return cmp >= 0
	}
	return false
}

// compareIntLiteral compares an integer with a numeric literal exactly.
func compareIntLiteral(x int64, v query.Value) int {
	if v.Kind == query.KindInt {
		switch {
		case x < v.Int:
			return -1
		case x > v.Int:
			return 1
		}
		return 0
	}
	return compareIntFloat(x, v.Float)
}

// compareIntFloat compares an integer with a float exactly (2 when f is NaN).
func compareIntFloat(x int64, f float64) int {
	if f != f {
		return 2
	}
	return new(big.Float).SetInt64(x).Cmp(new(big.Float).SetFloat64(f))
}

// compareFloats compares two floats (2 when either is NaN).
func compareFloats(a, b float64) int {
	switch {
	case a != a || b != b:
		return 2
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compareNumbers compares two numeric cells exactly, whatever their types.
func compareNumbers(a, b Cell) int {
	switch {
	case a.Type == query.TypeInt && b.Type == query.TypeInt:
		return compareIntLiteral(a.Int, query.IntValue(b.Int))
	case a.Type == query.TypeInt:
		return compareIntFloat(a.Int, b.Float)
	case b.Type == query.TypeInt:
		c := compareIntFloat(b.Int, a.Float)
		if c == 2 {
			return 2
		}
		return -c
	}
	return compareFloats(a.Float, b.Float)
}

// formatKey formats a non-null cell as a per-value map key.
func formatKey(c Cell) string {
	switch c.Type {
	case query.TypeInt:
		return strconv.FormatInt(c.Int, 10)
	case query.TypeFloat:
		return strconv.FormatFloat(c.Float, 'g', -1, 64)
	case query.TypeBool:
		return strconv.FormatBool(c.Bool)
	}
	return c.Str
}

// number returns a numeric cell as float64.
func number(c Cell) float64 {
	if c.Type == query.TypeInt {
		return float64(c.Int)
	}
	return c.Float
}
