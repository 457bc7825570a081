package naive

import (
	"sort"

	"github.com/frocket/frocket/query"
)

// DefaultTop is the number of map entries an aggregation keeps when its Top is not set.
const DefaultTop = 10

// group is one group's rows in the timeframe, ordered by timestamp (ties in input order), with
// their timestamps.
type group struct {
	rows []Row
	ts   []Cell
}

// evaluation holds what every step of one evaluation needs.
type evaluation struct {
	rows  []Row
	tsCol string
	top   int
}

// evaluate answers q over rows. rel combines the per-condition results of one group (by condition
// index); nil means all conditions must hold. defaultTop applies to aggregations without a Top.
func evaluate(rows []Row, groupCol, tsCol string, q *query.Query, rel func([]bool) bool, defaultTop int) *query.Partial {
	e := &evaluation{rows: rows, tsCol: tsCol, top: defaultTop}
	groups := e.groupRows(rows, groupCol, q.Timeframe)

	var sec query.QuerySection
	if q.Query != nil {
		sec = *q.Query
	}
	var matching []*group
	for _, g := range groups {
		if e.groupMatches(g, sec.Conditions, rel) {
			matching = append(matching, g)
		}
	}

	p := &query.Partial{Query: query.QueryPartial{
		MatchingGroups:    int64(len(matching)),
		MatchingGroupRows: countRows(matching),
		Aggregations:      e.aggregateAll(sec.Aggregations, matching),
	}}
	if q.Funnel != nil {
		p.Funnel = e.funnel(q.Funnel, matching)
	}
	return p
}

// columnType finds a column's type in the first row that has it ("" when no row has it).
func (e *evaluation) columnType(name string) query.ColumnType {
	for _, r := range e.rows {
		if c, ok := r[name]; ok && c.Type != "" {
			return c.Type
		}
	}
	return ""
}

// groupRows keeps the rows inside the timeframe (and with a group id and a timestamp) and splits
// them by group, in order of first appearance.
func (e *evaluation) groupRows(rows []Row, groupCol string, tf *query.Timeframe) []*group {
	// Keyed by the id's type and value, so that no string is built per row.
	type groupKey struct {
		t query.ColumnType
		i int64
		f float64
		s string
		b bool
	}
	byKey := make(map[groupKey]*group)
	var out []*group
	for _, r := range rows {
		id, ok := r[groupCol]
		if !ok || id.isNull() {
			continue
		}
		ts, ok := r[e.tsCol]
		if !ok || ts.isNull() || !inTimeframe(ts, tf) {
			continue
		}
		key := groupKey{t: id.Type, i: id.Int, f: id.Float, s: id.Str, b: id.Bool}
		g := byKey[key]
		if g == nil {
			g = &group{}
			byKey[key] = g
			out = append(out, g)
		}
		g.rows = append(g.rows, r)
		g.ts = append(g.ts, ts)
	}
	for _, g := range out {
		sortByTime(g)
	}
	return out
}

// inTimeframe reports whether a timestamp lies in [From, To).
func inTimeframe(ts Cell, tf *query.Timeframe) bool {
	if tf == nil {
		return true
	}
	if tf.From != nil && compareNumbers(ts, IntCell(*tf.From)) < 0 {
		return false
	}
	if tf.To != nil && compareNumbers(ts, IntCell(*tf.To)) >= 0 {
		return false
	}
	return true
}

// sortByTime orders a group's rows by timestamp, keeping the input order of equal timestamps.
func sortByTime(g *group) {
	type entry struct {
		row Row
		ts  Cell
		pos int
	}
	es := make([]entry, len(g.rows))
	for i := range es {
		es[i] = entry{g.rows[i], g.ts[i], i}
	}
	sort.Slice(es, func(i, j int) bool {
		if c := compareNumbers(es[i].ts, es[j].ts); c != 0 {
			return c < 0
		}
		return es[i].pos < es[j].pos
	})
	for i, e := range es {
		g.rows[i], g.ts[i] = e.row, e.ts
	}
}

func countRows(gs []*group) int64 {
	var n int64
	for _, g := range gs {
		n += int64(len(g.rows))
	}
	return n
}

// groupMatches evaluates every condition on the group and combines them with the relation.
func (e *evaluation) groupMatches(g *group, conds []query.Condition, rel func([]bool) bool) bool {
	if len(conds) == 0 {
		return true
	}
	vals := make([]bool, len(conds))
	for i := range conds {
		vals[i] = e.conditionHolds(g, &conds[i])
	}
	if rel != nil {
		return rel(vals)
	}
	for _, v := range vals {
		if !v {
			return false
		}
	}
	return true
}

// conditionHolds evaluates one condition on one group.
func (e *evaluation) conditionHolds(g *group, c *query.Condition) bool {
	if c.Kind() == query.SequenceCondition {
		return e.stepsCompleted(g, c.Sequence) == len(c.Sequence)
	}
	t := query.Target{Type: query.TargetCount, Op: query.OpGe, Value: query.IntValue(1)}
	if c.Target != nil {
		t = *c.Target
	}
	filters := c.AllFilters()
	var n, sumInt int64
	var sumFloat float64
	for _, r := range g.rows {
		if !matchAll(r, filters) {
			continue
		}
		n++
		if t.Type == query.TargetSum {
			v, ok := r[t.Column]
			if !ok || v.isNull() {
				continue
			}
			if v.Type == query.TypeInt {
				sumInt += v.Int
			} else {
				sumFloat += v.Float
			}
		}
	}
	if n == 0 {
		return t.Type == query.TargetCount && c.IncludeZero != nil && *c.IncludeZero
	}
	if t.Type == query.TargetCount {
		return opHolds(t.Op, compareIntLiteral(n, t.Value))
	}
	if e.columnType(t.Column) == query.TypeInt {
		return opHolds(t.Op, compareIntLiteral(sumInt, t.Value))
	}
	return opHolds(t.Op, compareFloats(sumFloat, t.Value.Number()))
}

// stepsCompleted returns how many leading steps of a sequence the group completes: T0 is the
// earliest timestamp of a row matching step 0, and Ti the earliest of a row matching step i with a
// timestamp strictly greater than T(i-1).
func (e *evaluation) stepsCompleted(g *group, steps []query.Step) int {
	var prev Cell
	for i := range steps {
		filters := steps[i].AllFilters()
		found := false
		var best Cell
		for j, r := range g.rows {
			ts := g.ts[j]
			if i > 0 && compareNumbers(ts, prev) <= 0 {
				continue
			}
			if !matchAll(r, filters) {
				continue
			}
			if !found || compareNumbers(ts, best) < 0 {
				best, found = ts, true
			}
		}
		if !found {
			return i
		}
		prev = best
	}
	return len(steps)
}

// funnel reports, for each step i, the groups that completed steps 0..i.
func (e *evaluation) funnel(f *query.Funnel, groups []*group) *query.FunnelPartial {
	done := make([]int, len(groups))
	for i, g := range groups {
		done[i] = e.stepsCompleted(g, f.Sequence)
	}
	out := &query.FunnelPartial{Sequence: make([]query.StepPartial, len(f.Sequence))}
	var last []*group
	for s := range f.Sequence {
		var at []*group
		for i, g := range groups {
			if done[i] > s {
				at = append(at, g)
			}
		}
		out.Sequence[s] = query.StepPartial{
			MatchingGroups:    int64(len(at)),
			MatchingGroupRows: countRows(at),
			Aggregations:      e.aggregateAll(f.StepAggregations, at),
		}
		last = at
	}
	out.EndAggregations = e.aggregateAll(f.EndAggregations, last)
	return out
}

// aggregateAll runs each aggregation over all rows of the groups (nil when there are none).
func (e *evaluation) aggregateAll(aggs []query.Aggregation, groups []*group) []query.AggPartial {
	if len(aggs) == 0 {
		return nil
	}
	out := make([]query.AggPartial, len(aggs))
	for i := range aggs {
		out[i] = e.aggregate(&aggs[i], groups)
	}
	return out
}

// aggregate runs one aggregation over all rows of the groups.
func (e *evaluation) aggregate(a *query.Aggregation, groups []*group) query.AggPartial {
	p := query.AggPartial{
		Column:      a.Column,
		Type:        a.Type,
		OtherColumn: a.OtherColumn,
		Name:        a.Name,
		Top:         e.top,
		KeyType:     e.columnType(a.Column),
	}
	if a.Top != nil {
		p.Top = *a.Top
	}
	if a.Type == query.AggCount {
		for _, g := range groups {
			for _, r := range g.rows {
				if c, ok := r[a.Column]; ok && !c.isNull() {
					p.Count++
				}
			}
		}
		return p
	}
	p.Values = make(map[string]query.PerValue)
	for _, g := range groups {
		seen := make(map[string]bool) // keys already counted for this group (groupsPerValue)
		for _, r := range g.rows {
			c, ok := r[a.Column]
			if !ok || c.isNull() {
				continue
			}
			key := formatKey(c)
			v := p.Values[key]
			switch a.Type {
			case query.AggCountPerValue:
				v.N++
			case query.AggGroupsPerValue:
				if !seen[key] {
					seen[key] = true
					v.N++
				}
			case query.AggSumPerValue, query.AggMeanPerValue:
				if o, ok := r[a.OtherColumn]; ok && !o.isNull() {
					v.N++
					v.Sum += number(o)
				}
			}
			p.Values[key] = v
		}
	}
	return p
}
