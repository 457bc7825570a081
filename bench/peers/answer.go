package main

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/frocket/frocket/query"
)

// answer is what the harness compares between the engines: every count of a query's result and the
// complete per-value maps (before any top-N cut), so that a difference hidden by ranking still shows.
type answer struct {
	Groups  int64       `json:"matchingGroups"`
	Rows    int64       `json:"matchingGroupRows"`
	Aggs    []aggAnswer `json:"aggregations,omitempty"`
	Steps   []stepAns   `json:"funnel,omitempty"`
	EndAggs []aggAnswer `json:"endAggregations,omitempty"`
}

// stepAns is one funnel step: the groups that completed steps 0..i and all their rows.
type stepAns struct {
	Groups int64       `json:"matchingGroups"`
	Rows   int64       `json:"matchingGroupRows"`
	Aggs   []aggAnswer `json:"aggregations,omitempty"`
}

// aggAnswer is one aggregation. Count holds a count aggregation's value; Values a per-value
// aggregation's map, where N is the rows (countPerValue), the groups (groupsPerValue) or the non-null
// other-column values (sumPerValue, meanPerValue), and Sum the sum of those values.
type aggAnswer struct {
	Column string                    `json:"column"`
	Type   query.AggregationType     `json:"type"`
	Count  int64                     `json:"count,omitempty"`
	Values map[string]query.PerValue `json:"values,omitempty"`
}

// answerOfPartial turns frocket's merged partial result into an answer. It fails when an
// aggregation was cut to its top keys, since such a map cannot be compared exactly.
func answerOfPartial(p *query.Partial) (*answer, error) {
	aggs := func(ps []query.AggPartial, path string) ([]aggAnswer, error) {
		if len(ps) == 0 {
			return nil, nil
		}
		out := make([]aggAnswer, len(ps))
		for i, a := range ps {
			if a.Approximate {
				return nil, fmt.Errorf("%s[%d] (%s of %s) is approximate", path, i, a.Type, a.Column)
			}
			out[i] = aggAnswer{Column: a.Column, Type: a.Type, Count: a.Count, Values: a.Values}
		}
		return out, nil
	}
	var (
		a   = &answer{Groups: p.Query.MatchingGroups, Rows: p.Query.MatchingGroupRows}
		err error
	)
	if a.Aggs, err = aggs(p.Query.Aggregations, "query.aggregations"); err != nil {
		return nil, err
	}
	if p.Funnel == nil {
		return a, nil
	}
	a.Steps = make([]stepAns, len(p.Funnel.Sequence))
	for i, s := range p.Funnel.Sequence {
		a.Steps[i] = stepAns{Groups: s.MatchingGroups, Rows: s.MatchingGroupRows}
		if a.Steps[i].Aggs, err = aggs(s.Aggregations, fmt.Sprintf("funnel.sequence[%d].aggregations", i)); err != nil {
			return nil, err
		}
	}
	if a.EndAggs, err = aggs(p.Funnel.EndAggregations, "funnel.endAggregations"); err != nil {
		return nil, err
	}
	return a, nil
}

// sumTolerance bounds the relative difference allowed between two sums of the same floats added in
// different orders.
const sumTolerance = 1e-9

// diffAnswers lists the differences between a (frocket) and b (DuckDB), at most limit of them
// (all when limit <= 0); none means the answers match.
func diffAnswers(a, b *answer, limit int) []string {
	var out []string
	add := func(format string, args ...any) {
		if limit <= 0 || len(out) < limit {
			out = append(out, fmt.Sprintf(format, args...))
		}
	}
	if a.Groups != b.Groups {
		add("query.matchingGroups: frocket %d, duckdb %d", a.Groups, b.Groups)
	}
	if a.Rows != b.Rows {
		add("query.matchingGroupRows: frocket %d, duckdb %d", a.Rows, b.Rows)
	}
	diffAggs(a.Aggs, b.Aggs, "query.aggregations", add)
	if len(a.Steps) != len(b.Steps) {
		add("funnel: frocket %d steps, duckdb %d", len(a.Steps), len(b.Steps))
	} else {
		for i := range a.Steps {
			x, y := &a.Steps[i], &b.Steps[i]
			if x.Groups != y.Groups {
				add("funnel.sequence[%d].matchingGroups: frocket %d, duckdb %d", i, x.Groups, y.Groups)
			}
			if x.Rows != y.Rows {
				add("funnel.sequence[%d].matchingGroupRows: frocket %d, duckdb %d", i, x.Rows, y.Rows)
			}
			diffAggs(x.Aggs, y.Aggs, fmt.Sprintf("funnel.sequence[%d].aggregations", i), add)
		}
	}
	diffAggs(a.EndAggs, b.EndAggs, "funnel.endAggregations", add)
	return out
}

func diffAggs(a, b []aggAnswer, path string, add func(string, ...any)) {
	if len(a) != len(b) {
		add("%s: frocket %d aggregations, duckdb %d", path, len(a), len(b))
		return
	}
	for i := range a {
		x, y := &a[i], &b[i]
		at := fmt.Sprintf("%s[%d] (%s of %s)", path, i, x.Type, x.Column)
		if x.Column != y.Column || x.Type != y.Type {
			add("%s: duckdb answered %s of %s", at, y.Type, y.Column)
			continue
		}
		if x.Count != y.Count {
			add("%s: count frocket %d, duckdb %d", at, x.Count, y.Count)
		}
		for _, k := range unionKeys(x.Values, y.Values) {
			u, inA := x.Values[k]
			v, inB := y.Values[k]
			switch {
			case !inA:
				add("%s[%q]: only duckdb has it (n %d, sum %g)", at, k, v.N, v.Sum)
			case !inB:
				add("%s[%q]: only frocket has it (n %d, sum %g)", at, k, u.N, u.Sum)
			case u.N != v.N || !closeSums(u.Sum, v.Sum):
				add("%s[%q]: frocket n %d sum %g, duckdb n %d sum %g", at, k, u.N, u.Sum, v.N, v.Sum)
			}
		}
	}
}

func unionKeys(a, b map[string]query.PerValue) []string {
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// closeSums reports whether x and y are equal up to the rounding of a different summation order.
func closeSums(x, y float64) bool {
	if x == y {
		return true
	}
	d := math.Abs(x - y)
	return d <= 1e-6 || d <= sumTolerance*math.Max(math.Abs(x), math.Abs(y))
}

// summary renders the counts of an answer on one line, e.g. "groups 1000 rows 10000 | steps 900/9000 300/3000".
func (a *answer) summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "groups %d rows %d", a.Groups, a.Rows)
	if len(a.Steps) > 0 {
		b.WriteString(" | steps")
		for _, s := range a.Steps {
			fmt.Fprintf(&b, " %d/%d", s.Groups, s.Rows)
		}
	}
	n := len(a.Aggs) + len(a.EndAggs)
	for _, s := range a.Steps {
		n += len(s.Aggs)
	}
	if n > 0 {
		fmt.Fprintf(&b, " | %d aggregations", n)
	}
	return b.String()
}
