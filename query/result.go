package query

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
)

// Partial is the answer of one part (file). Partials of disjoint parts merge exactly: counts add up,
// and per-value maps are complete (see AggPartial.Approximate), so the merged answer equals the
// answer over all rows at once.
type Partial struct {
	Query  QueryPartial   `json:"query"`
	Funnel *FunnelPartial `json:"funnel,omitempty"`
}

// QueryPartial is the query section's answer in one part.
type QueryPartial struct {
	MatchingGroups    int64        `json:"matchingGroups"`
	MatchingGroupRows int64        `json:"matchingGroupRows"`
	Aggregations      []AggPartial `json:"aggregations,omitempty"`
}

// FunnelPartial is the funnel's answer in one part.
type FunnelPartial struct {
	Sequence        []StepPartial `json:"sequence"`
	EndAggregations []AggPartial  `json:"endAggregations,omitempty"`
}

// StepPartial is one funnel step's answer in one part: the groups that completed steps 0..i.
type StepPartial struct {
	MatchingGroups    int64        `json:"matchingGroups"`
	MatchingGroupRows int64        `json:"matchingGroupRows"`
	Aggregations      []AggPartial `json:"aggregations,omitempty"`
}

// AggPartial is one aggregation's answer in one part.
type AggPartial struct {
	Column      string          `json:"column"`
	Type        AggregationType `json:"type"`
	OtherColumn string          `json:"otherColumn,omitempty"`
	Name        string          `json:"name,omitempty"`
	Top         int             `json:"top"`
	// KeyType is the type of Column, which orders keys that tie on value.
	KeyType ColumnType `json:"keyType"`
	// Count is the value of a count aggregation.
	Count int64 `json:"count,omitempty"`
	// Values holds every key of a per-value aggregation, unless Approximate.
	Values map[string]PerValue `json:"values,omitempty"`
	// Approximate is set when a part held more keys than the per-part cap and sent only its top keys.
	Approximate bool `json:"approximate,omitempty"`
}

// PerValue is what a per-value aggregation accumulates for one key. N is the row count
// (countPerValue), the group count (groupsPerValue) or the number of non-null other-column values
// (sumPerValue, meanPerValue); Sum is the sum of those values.
type PerValue struct {
	N   int64   `json:"n"`
	Sum float64 `json:"sum,omitempty"`
}

// Merge adds o into p. Both must answer the same query.
func (p *Partial) Merge(o *Partial) error {
	p.Query.MatchingGroups += o.Query.MatchingGroups
	p.Query.MatchingGroupRows += o.Query.MatchingGroupRows
	if err := mergeAggs(p.Query.Aggregations, o.Query.Aggregations, "query.aggregations"); err != nil {
		return err
	}
	if (p.Funnel == nil) != (o.Funnel == nil) {
		return fmt.Errorf("query: cannot merge results: funnel present in one and absent in the other")
	}
	if p.Funnel == nil {
		return nil
	}
	if len(p.Funnel.Sequence) != len(o.Funnel.Sequence) {
		return fmt.Errorf("query: cannot merge results: %d funnel steps vs %d", len(p.Funnel.Sequence), len(o.Funnel.Sequence))
	}
	for i := range p.Funnel.Sequence {
		ps, os := &p.Funnel.Sequence[i], &o.Funnel.Sequence[i]
		ps.MatchingGroups += os.MatchingGroups
		ps.MatchingGroupRows += os.MatchingGroupRows
		if err := mergeAggs(ps.Aggregations, os.Aggregations, fmt.Sprintf("funnel.sequence[%d].aggregations", i)); err != nil {
			return err
		}
	}
	return mergeAggs(p.Funnel.EndAggregations, o.Funnel.EndAggregations, "funnel.endAggregations")
}

func mergeAggs(dst, src []AggPartial, path string) error {
	if len(dst) != len(src) {
		return fmt.Errorf("query: cannot merge %s: %d aggregations vs %d", path, len(dst), len(src))
	}
	for i := range dst {
		d, s := &dst[i], &src[i]
		if d.Column != s.Column || d.Type != s.Type || d.OtherColumn != s.OtherColumn || d.Name != s.Name || d.Top != s.Top {
			return fmt.Errorf("query: cannot merge %s[%d]: %s/%s vs %s/%s", path, i, d.Column, d.Type, s.Column, s.Type)
		}
		if d.KeyType == "" {
			d.KeyType = s.KeyType
		}
		d.Count += s.Count
		d.Approximate = d.Approximate || s.Approximate
		if len(s.Values) == 0 {
			continue
		}
		if d.Values == nil {
			d.Values = make(map[string]PerValue, len(s.Values))
		}
		for k, v := range s.Values {
			cur := d.Values[k]
			cur.N += v.N
			cur.Sum += v.Sum
			d.Values[k] = cur
		}
	}
	return nil
}

// Result is the final answer of a query, shaped as Funnel Rocket's API answers: absent parts are left
// out of objects, while entries of lists (funnel steps, aggregations) keep their null fields.
type Result struct {
	Query  QueryResult   `json:"query"`
	Funnel *FunnelResult `json:"funnel,omitempty"`
}

// QueryResult is the query section's final answer.
type QueryResult struct {
	MatchingGroups    int64       `json:"matchingGroups"`
	MatchingGroupRows int64       `json:"matchingGroupRows"`
	Aggregations      []AggResult `json:"aggregations,omitempty"`
}

// FunnelResult is the funnel's final answer.
type FunnelResult struct {
	Sequence        []StepResult `json:"sequence"`
	EndAggregations []AggResult  `json:"endAggregations,omitempty"`
}

// StepResult is one funnel step's final answer.
type StepResult struct {
	MatchingGroups    int64       `json:"matchingGroups"`
	MatchingGroupRows int64       `json:"matchingGroupRows"`
	Aggregations      []AggResult `json:"aggregations"`
}

// AggResult is one aggregation's final answer. Value is an int64 for count, else a ValueMap.
type AggResult struct {
	Column      string          `json:"column"`
	Type        AggregationType `json:"type"`
	OtherColumn string          `json:"otherColumn,omitempty"`
	Value       any             `json:"value"`
	Top         *int            `json:"top"`
	Name        *string         `json:"name"`
	Approximate bool            `json:"approximate,omitempty"`
}

// KeyValue is one entry of a per-value aggregation's answer.
type KeyValue struct {
	Key   string
	Value float64
}

// ValueMap is a per-value aggregation's answer: a JSON object whose keys keep their rank order.
type ValueMap []KeyValue

// MarshalJSON writes the entries as one object in rank order.
func (m ValueMap) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, kv := range m {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(kv.Key)
		b.Write(k)
		b.WriteByte(':')
		if math.IsNaN(kv.Value) || math.IsInf(kv.Value, 0) {
			b.WriteString("null")
			continue
		}
		b.Write(strconv.AppendFloat(nil, kv.Value, 'g', -1, 64))
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Finalize turns a merged Partial into the final Result: per-value maps keep their Top entries by
// value descending; ties are broken by key ascending in the column's own order (numbers numerically,
// strings bytewise, false before true), so the answer never depends on the order of parts.
func (p *Partial) Finalize() *Result {
	r := &Result{Query: QueryResult{
		MatchingGroups:    p.Query.MatchingGroups,
		MatchingGroupRows: p.Query.MatchingGroupRows,
		Aggregations:      finalizeAggs(p.Query.Aggregations),
	}}
	if p.Funnel != nil {
		f := &FunnelResult{Sequence: make([]StepResult, len(p.Funnel.Sequence))}
		for i, s := range p.Funnel.Sequence {
			f.Sequence[i] = StepResult{MatchingGroups: s.MatchingGroups, MatchingGroupRows: s.MatchingGroupRows,
				Aggregations: finalizeAggs(s.Aggregations)}
		}
		f.EndAggregations = finalizeAggs(p.Funnel.EndAggregations)
		r.Funnel = f
	}
	return r
}

func finalizeAggs(aggs []AggPartial) []AggResult {
	if aggs == nil {
		return nil
	}
	out := make([]AggResult, len(aggs))
	for i := range aggs {
		a := &aggs[i]
		res := AggResult{Column: a.Column, Type: a.Type, OtherColumn: a.OtherColumn, Approximate: a.Approximate}
		if a.Name != "" {
			name := a.Name
			res.Name = &name
		}
		if a.Type == AggCount {
			res.Value = a.Count
		} else {
			top := a.Top
			res.Top = &top
			res.Value = TopValues(a.Type, a.KeyType, a.Values, top)
		}
		out[i] = res
	}
	return out
}

// TopValues ranks the entries of a per-value map and keeps the first top of them (all when top <= 0).
func TopValues(t AggregationType, keyType ColumnType, values map[string]PerValue, top int) ValueMap {
	m := make(ValueMap, 0, len(values))
	for k, v := range values {
		var x float64
		switch t {
		case AggSumPerValue:
			x = v.Sum
		case AggMeanPerValue:
			if v.N == 0 {
				continue // no non-null value: the mean is undefined
			}
			x = v.Sum / float64(v.N)
		default:
			x = float64(v.N)
		}
		m = append(m, KeyValue{Key: k, Value: x})
	}
	less := keyLess(keyType)
	sort.Slice(m, func(i, j int) bool {
		if m[i].Value != m[j].Value {
			return m[i].Value > m[j].Value
		}
		return less(m[i].Key, m[j].Key)
	})
	if top > 0 && len(m) > top {
		m = m[:top]
	}
	return m
}

func keyLess(t ColumnType) func(a, b string) bool {
	if t.IsNumeric() {
		return func(a, b string) bool {
			x, errA := strconv.ParseFloat(a, 64)
			y, errB := strconv.ParseFloat(b, 64)
			if errA != nil || errB != nil || x == y {
				return a < b
			}
			return x < y
		}
	}
	// Strings bytewise; booleans are "false" < "true" bytewise as well.
	return func(a, b string) bool { return a < b }
}
