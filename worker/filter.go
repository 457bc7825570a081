package worker

import (
	"fmt"
	"math"
	"strings"

	"github.com/frocket/frocket/kernels"
	"github.com/frocket/frocket/query"
	"github.com/frocket/frocket/scan"
)

func kernelOp(op query.Op) (kernels.Op, error) {
	switch op {
	case query.OpEq:
		return kernels.Eq, nil
	case query.OpNe:
		return kernels.Ne, nil
	case query.OpGt:
		return kernels.Gt, nil
	case query.OpGe:
		return kernels.Ge, nil
	case query.OpLt:
		return kernels.Lt, nil
	case query.OpLe:
		return kernels.Le, nil
	}
	return 0, fmt.Errorf("operator %q is not a comparison", op)
}

// compileFilter writes into dst the rows of col that match f. Validation has already checked that
// the operator and the literal suit the column's type; a mismatch here is reported, not assumed.
func compileFilter(dst kernels.Bitset, col *scan.Column, f *query.Filter) error {
	v := f.Value
	if col.Type == scan.String {
		if v.Kind != query.KindString {
			return fmt.Errorf("a %s literal cannot be compared with a STRING column", v.Kind)
		}
		lut, err := stringLUT(col, f.Op, v.Str)
		if err != nil {
			return err
		}
		kernels.MatchCodes(dst, col.Codes, lut)
		return nil
	}
	op, err := kernelOp(f.Op)
	if err != nil {
		return fmt.Errorf("operator %q applies only to STRING columns", f.Op)
	}
	switch col.Type {
	case scan.Int:
		if !v.IsNumber() {
			return fmt.Errorf("a %s literal cannot be compared with an INT column", v.Kind)
		}
		if i, ok := exactInt(v); ok {
			kernels.CompareInt64(dst, col.Ints, col.Nulls, op, i)
		} else {
			kernels.CompareInt64WithFloat(dst, col.Ints, col.Nulls, op, v.Number())
		}
	case scan.Float:
		if !v.IsNumber() {
			return fmt.Errorf("a %s literal cannot be compared with a FLOAT column", v.Kind)
		}
		kernels.CompareFloat64(dst, col.Floats, col.Nulls, op, v.Number())
	case scan.Bool:
		if v.Kind != query.KindBool || (op != kernels.Eq && op != kernels.Ne) {
			return fmt.Errorf("a BOOL column takes only == or != with true or false")
		}
		kernels.CompareBool(dst, col.Bools, col.Nulls, op, v.Bool)
	default:
		return fmt.Errorf("column type %s cannot be filtered", col.Type)
	}
	return nil
}

// exactInt returns v as an int64 when it is an integer or a float with an integral value in range.
func exactInt(v query.Value) (int64, bool) {
	if v.Kind == query.KindInt {
		return v.Int, true
	}
	f := v.Float
	if f == math.Trunc(f) && f >= -(1<<63) && f < 1<<63 {
		return int64(f), true
	}
	return 0, false
}

// stringLUT evaluates a string predicate once per dictionary entry. The last entry is for null rows,
// which match only != and not contains.
func stringLUT(col *scan.Column, op query.Op, lit string) ([]bool, error) {
	lut := make([]bool, len(col.Dict)+1)
	var match func(s string) bool
	switch op {
	case query.OpEq:
		match = func(s string) bool { return s == lit }
	case query.OpNe:
		match = func(s string) bool { return s != lit }
	case query.OpGt:
		match = func(s string) bool { return s > lit }
	case query.OpGe:
		match = func(s string) bool { return s >= lit }
	case query.OpLt:
		match = func(s string) bool { return s < lit }
	case query.OpLe:
		match = func(s string) bool { return s <= lit }
	case query.OpContains:
		match = func(s string) bool { return strings.Contains(s, lit) }
	case query.OpNotContains:
		match = func(s string) bool { return !strings.Contains(s, lit) }
	default:
		return nil, fmt.Errorf("unknown operator %q", op)
	}
	for i, s := range col.Dict {
		lut[i] = match(s)
	}
	lut[len(col.Dict)] = op == query.OpNe || op == query.OpNotContains
	return lut, nil
}
