package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/frocket/frocket/query"
)

// The statement sqlOf writes answers a whole query in one result set. Each row is one of:
//
//	kind 'query'          n = matching groups, r = their rows
//	kind 'step', step i   n = groups that completed funnel steps 0..i, r = their rows
//	kind 'qagg', idx j    query.aggregations[j]: one row per key (ks, ki, kd or kb by the column's
//	                      type), or one row with n = the count of a count aggregation
//	kind 'sagg', step i   funnel.stepAggregations[j] over step i's groups
//	kind 'eagg'           funnel.endAggregations[j] over the last step's groups
//
// For per-value rows n is the row count (countPerValue), the group count (groupsPerValue) or the
// number of non-null otherColumn values (sumPerValue, meanPerValue), and s their sum.
const resultColumns = "kind, step, idx, ks, ki, kd, kb, n, r, s"

// sqlOf translates a validated query into one DuckDB statement over the Parquet files matching glob,
// with frocket's semantics:
//   - the timeframe removes rows before anything else (from inclusive, to exclusive);
//   - a null value matches only != and not contains;
//   - a count target matches groups with at least one matching row (or none, with includeZero), a
//     sum target groups with at least one matching row, summing non-null values;
//   - a sequence (condition or funnel) is the chain of per-group minimum timestamps, each step's
//     strictly later than the previous step's: t0 = min(ts) over rows matching step 0, and
//     t(i) = min(ts) over rows matching step i with ts > t(i-1);
//   - aggregations run over all rows of the matching groups; null keys are left out.
//
// The per-group work is one hash aggregation by group: counts and sums with FILTER, and for every
// sequence step after the first the list of its matching timestamps, reduced by lambdas.
func sqlOf(v *query.Validated, schema *query.Schema, glob string) (string, error) {
	b := &sqlBuilder{schema: schema, group: quoteIdent(schema.GroupColumn), ts: quoteIdent(schema.TimestampColumn),
		perGroup: map[string]string{}}
	return b.build(v, glob)
}

type sqlBuilder struct {
	schema    *query.Schema
	group, ts string // quoted
	// groupCols are the select items of the per-group aggregation g beyond the group and its rows.
	groupCols []string
	// perGroup maps an aggregate expression to its alias in g, so that repeated steps share a column.
	perGroup map[string]string
	names    int
}

func (b *sqlBuilder) alias(prefix string) string {
	b.names++
	return fmt.Sprintf("%s%d", prefix, b.names)
}

// groupAgg returns the alias in g of an aggregate expression, adding it once.
func (b *sqlBuilder) groupAgg(prefix, expr string) string {
	if a, ok := b.perGroup[expr]; ok {
		return a
	}
	a := b.alias(prefix)
	b.perGroup[expr] = a
	b.groupCols = append(b.groupCols, expr+" AS "+a)
	return a
}

// layers holds chained projections: layer i may use the columns of layers before it.
type layers [][]string

func (l *layers) add(depth int, item string) {
	for len(*l) <= depth {
		*l = append(*l, nil)
	}
	(*l)[depth] = append((*l)[depth], item)
}

// chain adds the columns of a sequence's per-step timestamps and returns their aliases: the first
// is a column of g, the others are computed in layers 0, 1, ...
func (b *sqlBuilder) chain(steps []query.Step, l *layers) ([]string, error) {
	out := make([]string, len(steps))
	for i := range steps {
		if steps[i].RowFound != nil && !*steps[i].RowFound {
			return nil, fmt.Errorf("step %d: rowFound false is not translated", i)
		}
		cond, err := b.filtersSQL(steps[i].AllFilters())
		if err != nil {
			return nil, fmt.Errorf("step %d: %w", i, err)
		}
		if i == 0 {
			out[0] = b.groupAgg("m", fmt.Sprintf("min(%s) FILTER (WHERE %s)", b.ts, cond))
			continue
		}
		list := b.groupAgg("l", fmt.Sprintf("list(%s) FILTER (WHERE %s)", b.ts, cond))
		out[i] = b.alias("t")
		l.add(i-1, fmt.Sprintf("list_min(list_filter(%s, lambda x: x > %s)) AS %s", list, out[i-1], out[i]))
	}
	return out, nil
}

func (b *sqlBuilder) build(v *query.Validated, glob string) (string, error) {
	q := v.Query
	if q.Funnel != nil && q.Funnel.MaxDuration != nil {
		return "", fmt.Errorf("funnel.maxDuration is not translated")
	}
	var ctes []string
	ev := fmt.Sprintf("SELECT %s FROM read_parquet(%s)", b.columnList(v.UsedColumns), quoteString(glob))
	if tf := q.Timeframe; tf != nil {
		var w []string
		if tf.From != nil {
			w = append(w, fmt.Sprintf("%s >= %d", b.ts, *tf.From))
		}
		if tf.To != nil {
			w = append(w, fmt.Sprintf("%s < %d", b.ts, *tf.To))
		}
		if len(w) > 0 {
			ev += " WHERE " + strings.Join(w, " AND ")
		}
	}
	ctes = append(ctes, "ev AS ("+ev+")")

	// Conditions: one boolean expression per condition over the columns of g and its layers.
	var (
		conds   []string
		qLayers layers
	)
	var qs *query.QuerySection
	if q.Query != nil {
		qs = q.Query
	}
	hasConds := qs != nil && len(qs.Conditions) > 0 && v.Relation != nil
	if hasConds {
		for i := range qs.Conditions {
			c, err := b.condition(&qs.Conditions[i], &qLayers)
			if err != nil {
				return "", fmt.Errorf("query.conditions[%d]: %w", i, err)
			}
			conds = append(conds, c)
		}
	}
	var fSteps []string
	var fLayers layers
	if q.Funnel != nil {
		var err error
		if fSteps, err = b.chain(q.Funnel.Sequence, &fLayers); err != nil {
			return "", fmt.Errorf("funnel: %w", err)
		}
	}

	var branches []string
	needGroups := hasConds || q.Funnel != nil
	if needGroups {
		g := fmt.Sprintf("SELECT %s AS uid, count(*) AS n", b.group)
		for _, c := range b.groupCols {
			g += ", " + c
		}
		g += " FROM ev GROUP BY " + b.group
		ctes = append(ctes, "g AS ("+g+")")
		from := b.addLayers(&ctes, "q", "g", qLayers)
		m := "SELECT * FROM " + from
		if hasConds {
			m += " WHERE " + relationSQL(v.Relation, conds)
		}
		ctes = append(ctes, "m AS MATERIALIZED ("+m+")")
		branches = append(branches, branch("query", 0, 0, nil, "count(*)", "coalesce(sum(n), 0)", "0")+" FROM m")
	} else {
		branches = append(branches, branch("query", 0, 0, nil, fmt.Sprintf("count(DISTINCT %s)", b.group), "count(*)", "0")+" FROM ev")
	}

	var aggErr error
	aggBranches := func(kind string, step int, aggs []query.Aggregation, rows string) {
		for j := range aggs {
			s, err := b.aggregation(kind, step, j, &aggs[j], rows)
			if err != nil && aggErr == nil {
				aggErr = fmt.Errorf("%s[%d]: %w", kind, j, err)
			}
			branches = append(branches, s)
		}
	}
	if qs != nil && len(qs.Aggregations) > 0 {
		rows := "ev"
		if hasConds {
			rows = rowSet(&ctes, "qr", fmt.Sprintf("SELECT * FROM ev WHERE %s IN (SELECT uid FROM m)", b.group), len(qs.Aggregations))
		}
		aggBranches("qagg", 0, qs.Aggregations, rows)
	}
	if f := q.Funnel; f != nil {
		from := b.addLayers(&ctes, "f", "m", fLayers)
		ctes = append(ctes, fmt.Sprintf("fs AS MATERIALIZED (SELECT uid, n, %s FROM %s)", strings.Join(fSteps, ", "), from))
		last := len(fSteps) - 1
		for i, t := range fSteps {
			branches = append(branches, branch("step", i, 0, nil, fmt.Sprintf("count(%s)", t),
				fmt.Sprintf("coalesce(sum(n) FILTER (WHERE %s IS NOT NULL), 0)", t), "0")+" FROM fs")
			uses := len(f.StepAggregations)
			if i == last {
				uses += len(f.EndAggregations)
			}
			if uses == 0 {
				continue
			}
			rows := rowSet(&ctes, fmt.Sprintf("sr%d", i), fmt.Sprintf("SELECT * FROM ev WHERE %s IN (SELECT uid FROM fs WHERE %s IS NOT NULL)", b.group, t), uses)
			aggBranches("sagg", i, f.StepAggregations, rows)
			if i == last {
				aggBranches("eagg", i, f.EndAggregations, rows)
			}
		}
	}
	if aggErr != nil {
		return "", aggErr
	}
	return "WITH " + strings.Join(ctes, ",\n") + "\n" + strings.Join(branches, "\nUNION ALL\n"), nil
}

// rowSet returns what aggregations read the rows of a set of groups from: the subquery itself when
// one aggregation reads it, else a CTE materialized once (which DuckDB answers faster than joining
// the groups again per aggregation).
func rowSet(ctes *[]string, name, subquery string, uses int) string {
	if uses < 2 {
		return "(" + subquery + ")"
	}
	*ctes = append(*ctes, name+" AS MATERIALIZED ("+subquery+")")
	return name
}

// addLayers appends one CTE per layer on top of base and returns the name of the last one.
func (b *sqlBuilder) addLayers(ctes *[]string, prefix, base string, l layers) string {
	from := base
	for i, items := range l {
		name := fmt.Sprintf("%s%d", prefix, i+1)
		*ctes = append(*ctes, fmt.Sprintf("%s AS (SELECT *, %s FROM %s)", name, strings.Join(items, ", "), from))
		from = name
	}
	return from
}

// condition returns the boolean expression of one condition.
func (b *sqlBuilder) condition(c *query.Condition, l *layers) (string, error) {
	if c.Kind() == query.SequenceCondition {
		if c.MaxDuration != nil {
			return "", fmt.Errorf("maxDuration is not translated")
		}
		ts, err := b.chain(c.Sequence, l)
		if err != nil {
			return "", err
		}
		return ts[len(ts)-1] + " IS NOT NULL", nil
	}
	f, err := b.filtersSQL(c.AllFilters())
	if err != nil {
		return "", err
	}
	t := c.Target
	if t == nil {
		return "", fmt.Errorf("condition has no target")
	}
	op, err := sqlOp(t.Op)
	if err != nil {
		return "", err
	}
	count := b.groupAgg("c", fmt.Sprintf("count(*) FILTER (WHERE %s)", f))
	lit := numberLiteral(t.Value)
	if t.Type == query.TargetCount {
		if c.IncludeZero != nil && *c.IncludeZero {
			return fmt.Sprintf("(%s = 0 OR %s %s %s)", count, count, op, lit), nil
		}
		return fmt.Sprintf("(%s > 0 AND %s %s %s)", count, count, op, lit), nil
	}
	sum := b.groupAgg("s", fmt.Sprintf("sum(%s) FILTER (WHERE %s)", quoteIdent(t.Column), f))
	return fmt.Sprintf("(%s > 0 AND coalesce(%s, 0) %s %s)", count, sum, op, lit), nil
}

func relationSQL(r *query.Relation, conds []string) string {
	switch r.Op {
	case query.RelAnd:
		return "(" + relationSQL(r.Left, conds) + " AND " + relationSQL(r.Right, conds) + ")"
	case query.RelOr:
		return "(" + relationSQL(r.Left, conds) + " OR " + relationSQL(r.Right, conds) + ")"
	}
	return "(" + conds[r.Cond] + ")"
}

// aggregation returns the union branch of one aggregation over the rows of the subquery rows.
func (b *sqlBuilder) aggregation(kind string, step, idx int, a *query.Aggregation, rows string) (string, error) {
	col := quoteIdent(a.Column)
	if a.Type == query.AggCount {
		return branch(kind, step, idx, nil, fmt.Sprintf("count(%s)", col), "0", "0") + " FROM " + rows, nil
	}
	ct, ok := b.schema.Columns[a.Column]
	if !ok {
		return "", fmt.Errorf("column %q not in the schema", a.Column)
	}
	key := &keyColumn{expr: col, typ: ct}
	var n, s string
	switch a.Type {
	case query.AggCountPerValue:
		n, s = "count(*)", "0"
	case query.AggGroupsPerValue:
		n, s = fmt.Sprintf("count(DISTINCT %s)", b.group), "0"
	case query.AggSumPerValue, query.AggMeanPerValue:
		other := quoteIdent(a.OtherColumn)
		n, s = fmt.Sprintf("count(%s)", other), fmt.Sprintf("coalesce(sum(%s), 0)", other)
	default:
		return "", fmt.Errorf("aggregation type %q is not translated", a.Type)
	}
	return branch(kind, step, idx, key, n, "0", s) + fmt.Sprintf(" FROM %s WHERE %s IS NOT NULL GROUP BY %s", rows, col, col), nil
}

// keyColumn is the grouping key of a per-value aggregation branch.
type keyColumn struct {
	expr string
	typ  query.ColumnType
}

// branch returns the SELECT list of one union branch (see resultColumns).
func branch(kind string, step, idx int, key *keyColumn, n, r, s string) string {
	keys := [4]string{"CAST(NULL AS VARCHAR)", "CAST(NULL AS BIGINT)", "CAST(NULL AS DOUBLE)", "CAST(NULL AS BOOLEAN)"}
	if key != nil {
		switch key.typ {
		case query.TypeString:
			keys[0] = "CAST(" + key.expr + " AS VARCHAR)"
		case query.TypeInt:
			keys[1] = "CAST(" + key.expr + " AS BIGINT)"
		case query.TypeFloat:
			keys[2] = "CAST(" + key.expr + " AS DOUBLE)"
		case query.TypeBool:
			keys[3] = "CAST(" + key.expr + " AS BOOLEAN)"
		}
	}
	return fmt.Sprintf("SELECT '%s' AS kind, %d AS step, %d AS idx, %s AS ks, %s AS ki, %s AS kd, %s AS kb, CAST(%s AS BIGINT) AS n, CAST(%s AS BIGINT) AS r, CAST(%s AS DOUBLE) AS s",
		kind, step, idx, keys[0], keys[1], keys[2], keys[3], n, r, s)
}

func (b *sqlBuilder) columnList(used []string) string {
	cols := make([]string, 0, len(used))
	seen := map[string]bool{}
	for _, c := range used {
		if !seen[c] {
			seen[c] = true
			cols = append(cols, quoteIdent(c))
		}
	}
	return strings.Join(cols, ", ")
}

// filtersSQL returns the conjunction of filters that must match the same row.
func (b *sqlBuilder) filtersSQL(fs []query.Filter) (string, error) {
	if len(fs) == 0 {
		return "", fmt.Errorf("no filters")
	}
	parts := make([]string, len(fs))
	for i := range fs {
		s, err := b.filterSQL(&fs[i])
		if err != nil {
			return "", err
		}
		parts[i] = s
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return "(" + strings.Join(parts, " AND ") + ")", nil
}

// filterSQL returns one filter's predicate; a null matches only != and not contains.
func (b *sqlBuilder) filterSQL(f *query.Filter) (string, error) {
	col := quoteIdent(f.Column)
	var lit string
	switch f.Value.Kind {
	case query.KindString:
		lit = quoteString(f.Value.Str)
	case query.KindBool:
		lit = strings.ToUpper(strconv.FormatBool(f.Value.Bool))
	case query.KindInt, query.KindFloat:
		lit = numberLiteral(f.Value)
	default:
		return "", fmt.Errorf("filter on %q has no value", f.Column)
	}
	switch f.Op {
	case query.OpContains:
		return fmt.Sprintf("contains(%s, %s)", col, lit), nil
	case query.OpNotContains:
		return fmt.Sprintf("(%s IS NULL OR NOT contains(%s, %s))", col, col, lit), nil
	case query.OpNe:
		return fmt.Sprintf("(%s IS NULL OR %s <> %s)", col, col, lit), nil
	}
	op, err := sqlOp(f.Op)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s %s %s", col, op, lit), nil
}

func sqlOp(op query.Op) (string, error) {
	switch op {
	case query.OpEq:
		return "=", nil
	case query.OpNe:
		return "<>", nil
	case query.OpGt, query.OpGe, query.OpLt, query.OpLe:
		return string(op), nil
	}
	return "", fmt.Errorf("operator %q is not translated", op)
}

// numberLiteral writes an integer as such and a float as an exact DOUBLE.
func numberLiteral(v query.Value) string {
	if v.Kind == query.KindInt {
		return strconv.FormatInt(v.Int, 10)
	}
	return "CAST('" + strconv.FormatFloat(v.Float, 'g', -1, 64) + "' AS DOUBLE)"
}

func quoteIdent(s string) string  { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
