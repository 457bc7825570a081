package worker

import (
	"fmt"
	"math"
	"strconv"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/frocket/frocket/kernels"
	"github.com/frocket/frocket/query"
	"github.com/frocket/frocket/scan"
)

// encodedColumn is a column seen through dictionary codes: the file's own dictionary for strings, an
// encoding made once per file for numbers and booleans.
type encodedColumn struct {
	codes []uint32
	keys  []string // the formatted key of each code
}

// keyType maps a decoded column type to the query language's.
func keyType(t scan.Type) query.ColumnType {
	switch t {
	case scan.Int:
		return query.TypeInt
	case scan.Float:
		return query.TypeFloat
	case scan.Bool:
		return query.TypeBool
	}
	return query.TypeString
}

// FormatFloatKey formats a float map key: Go's shortest representation.
func FormatFloatKey(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func (e *evaluator) encoded(col *scan.Column) *encodedColumn {
	if enc, ok := e.encodedCols[col.Name]; ok {
		return enc
	}
	enc := &encodedColumn{}
	switch col.Type {
	case scan.String:
		enc.codes, enc.keys = col.Codes, col.Dict
	case scan.Int:
		enc.codes = make([]uint32, e.tbl.Rows)
		dict := kernels.EncodeInt64(enc.codes, col.Ints, col.Nulls)
		enc.keys = make([]string, len(dict))
		for i, v := range dict {
			enc.keys[i] = strconv.FormatInt(v, 10)
		}
	case scan.Float:
		enc.codes = make([]uint32, e.tbl.Rows)
		dict := kernels.EncodeFloat64(enc.codes, col.Floats, col.Nulls)
		enc.keys = make([]string, len(dict))
		for i, v := range dict {
			enc.keys[i] = FormatFloatKey(v)
		}
	case scan.Bool:
		enc.codes = make([]uint32, e.tbl.Rows)
		dict := kernels.EncodeBool(enc.codes, col.Bools, col.Nulls)
		enc.keys = make([]string, len(dict))
		for i, v := range dict {
			enc.keys[i] = strconv.FormatBool(v)
		}
	}
	e.encodedCols[col.Name] = enc
	return enc
}

// aggregate runs aggs over all rows of the groups in set.
func (e *evaluator) aggregate(aggs []query.Aggregation, set *roaring.Bitmap) ([]query.AggPartial, error) {
	out := make([]query.AggPartial, len(aggs))
	starts := e.tbl.GroupStarts
	var inSet kernels.Bitset // set over group indexes, for the by-row kernels
	if e.byRow {
		inSet = e.groupBits(set)
	}
	groupOf := e.tbl.GroupOf
	for i := range aggs {
		a := &aggs[i]
		col, err := e.column(a.Column)
		if err != nil {
			return nil, err
		}
		top := 0
		if a.Top != nil {
			top = *a.Top
		}
		p := query.AggPartial{Column: a.Column, Type: a.Type, OtherColumn: a.OtherColumn, Name: a.Name, Top: top, KeyType: keyType(col.Type)}
		if a.Type == query.AggCount {
			if e.byRow {
				p.Count = kernels.CountNonNullByRow(inSet, groupOf, col.Nulls)
			} else {
				p.Count = kernels.CountNonNull(set, starts, col.Nulls)
			}
			out[i] = p
			continue
		}
		enc := e.encoded(col)
		n := len(enc.keys) + 1 // the last slot gathers null keys, which are never reported
		values := map[string]query.PerValue{}
		switch a.Type {
		case query.AggCountPerValue, query.AggGroupsPerValue:
			counts := make([]int64, n)
			switch {
			case a.Type == query.AggCountPerValue && e.byRow:
				kernels.CountPerCodeByRow(counts, enc.codes, inSet, groupOf)
			case a.Type == query.AggCountPerValue:
				kernels.CountPerCode(counts, enc.codes, set, starts)
			case e.byRow && (e.tbl.Groups() == 0 || n <= 64*max(e.tbl.Rows, 1024)/e.tbl.Groups()):
				// The seen bitset holds a bit per (value, group): at most about a word per row.
				seen := kernels.NewBitset(n * e.tbl.Groups())
				kernels.GroupsPerCodeByRow(counts, seen, enc.codes, inSet, groupOf, e.tbl.Groups())
			case e.byRow:
				kernels.GroupsPerCodePairsByRow(counts, enc.codes, inSet, groupOf)
			default:
				last := make([]uint32, n)
				for j := range last {
					last[j] = math.MaxUint32
				}
				kernels.GroupsPerCode(counts, last, enc.codes, set, starts)
			}
			for c, k := range enc.keys {
				if counts[c] > 0 {
					values[k] = query.PerValue{N: counts[c]}
				}
			}
		case query.AggSumPerValue, query.AggMeanPerValue:
			other, err := e.column(a.OtherColumn)
			if err != nil {
				return nil, err
			}
			sums, ns, present := make([]float64, n), make([]int64, n), make([]bool, n)
			switch {
			case other.Type == scan.Int && e.byRow:
				kernels.SumPerCodeInt64ByRow(sums, ns, present, enc.codes, other.Ints, other.Nulls, inSet, groupOf)
			case other.Type == scan.Int:
				kernels.SumPerCodeInt64(sums, ns, present, enc.codes, other.Ints, other.Nulls, set, starts)
			case other.Type == scan.Float && e.byRow:
				kernels.SumPerCodeFloat64ByRow(sums, ns, present, enc.codes, other.Floats, other.Nulls, inSet, groupOf)
			case other.Type == scan.Float:
				kernels.SumPerCodeFloat64(sums, ns, present, enc.codes, other.Floats, other.Nulls, set, starts)
			default:
				return nil, fmt.Errorf("aggregation on %q: other column %q is %s, not numeric", a.Column, a.OtherColumn, other.Type)
			}
			for c, k := range enc.keys {
				if present[c] {
					values[k] = query.PerValue{N: ns[c], Sum: sums[c]}
				}
			}
		default:
			return nil, fmt.Errorf("unknown aggregation type %q", a.Type)
		}
		if len(values) > e.maxMapKeys {
			values = trimValues(a.Type, p.KeyType, values, max(top, 1)*topGraceFactor)
			p.Approximate = true
		}
		p.Values = values
		out[i] = p
	}
	return out, nil
}

// trimValues keeps the keep highest-ranked entries of values.
func trimValues(t query.AggregationType, kt query.ColumnType, values map[string]query.PerValue, keep int) map[string]query.PerValue {
	ranked := query.TopValues(t, kt, values, keep)
	out := make(map[string]query.PerValue, len(ranked))
	for _, kv := range ranked {
		out[kv.Key] = values[kv.Key]
	}
	return out
}

// funnel walks the matching groups once and reports every step. Without step aggregations no
// per-step group set is needed: the steps' totals come from one pass over the groups.
func (e *evaluator) funnel(f *query.Funnel, matched *roaring.Bitmap) (*query.FunnelPartial, error) {
	n := len(f.Sequence)
	steps, err := e.stepMasks(f.Sequence)
	if err != nil {
		return nil, fmt.Errorf("funnel: %w", err)
	}
	reached := make([]uint16, e.tbl.Groups())
	e.reach(reached, steps, matched)
	out := &query.FunnelPartial{Sequence: make([]query.StepPartial, n)}
	var last *roaring.Bitmap
	if len(f.StepAggregations) == 0 && (e.tbl.GroupStarts != nil || e.tbl.GroupRows != nil) {
		groups, rows := make([]int64, n), make([]int64, n)
		kernels.ReachTotals(groups, rows, reached, e.tbl.GroupStarts, e.tbl.GroupRows)
		for i := range out.Sequence {
			out.Sequence[i] = query.StepPartial{MatchingGroups: groups[i], MatchingGroupRows: rows[i]}
		}
		if len(f.EndAggregations) > 0 {
			last = roaring.New()
			kernels.GroupsReaching(last, reached, n)
		}
	} else {
		for i := range out.Sequence {
			set := roaring.New()
			kernels.GroupsReaching(set, reached, i+1)
			sp := query.StepPartial{
				MatchingGroups:    int64(set.GetCardinality()),
				MatchingGroupRows: e.rowsOf(set),
			}
			if len(f.StepAggregations) > 0 {
				if sp.Aggregations, err = e.aggregate(f.StepAggregations, set); err != nil {
					return nil, fmt.Errorf("funnel.stepAggregations: %w", err)
				}
			}
			out.Sequence[i] = sp
			last = set
		}
	}
	if len(f.EndAggregations) > 0 {
		if out.EndAggregations, err = e.aggregate(f.EndAggregations, last); err != nil {
			return nil, fmt.Errorf("funnel.endAggregations: %w", err)
		}
	}
	return out, nil
}
