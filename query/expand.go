package query

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Config holds defaults the language needs.
type Config struct {
	// DefaultTop is how many entries a per-value aggregation keeps when the query gives no "top".
	// Zero means 10.
	DefaultTop int
}

// DefaultConfig returns the defaults of Funnel Rocket.
func DefaultConfig() Config { return Config{DefaultTop: 10} }

// Validate reports a config that cannot be used.
func (c Config) Validate() error {
	if c.DefaultTop < 0 || c.DefaultTop > maxTop {
		return fmt.Errorf("query: DefaultTop must be from 0 (meaning 10) to %d, not %d", maxTop, c.DefaultTop)
	}
	return nil
}

func (c Config) top() int {
	if c.DefaultTop <= 0 || c.DefaultTop > maxTop {
		return 10
	}
	return c.DefaultTop
}

// defaultAggregationTypes are what an aggregation without a type expands into, in this order.
var defaultAggregationTypes = [...]AggregationType{AggCount, AggCountPerValue, AggGroupsPerValue}

// Expand fills defaults in place, as reference sections 2.4, 2.5, 2.7 and 2.8 (steps 2 and 3) say:
// a filter or filters condition without a target gets count >= 1; a count == 0 target without
// includeZero gets includeZero true, and includeZero is checked against its target (TYPE_MISMATCH);
// an aggregation without a type becomes count, countPerValue and groupsPerValue of its column (in
// query.aggregations and in the funnel's step and end aggregations); every aggregation without a top
// gets cfg.DefaultTop; otherColumn is checked (required by sumPerValue and meanPerValue, forbidden
// otherwise); names are checked (pattern, uniqueness per scope, and/or as condition names); the
// relation is expanded (absent with conditions: "$0 and $1 ..."; "and", "or", "&&" or "||" in any
// case: every condition joined by it) and parsed; and timeframe.to must be above timeframe.from.
//
// Expand first checks what Parse would have refused (for a Query built in code), and then does
// nothing else if that fails. Every problem is reported, with paths into q as it was given (an
// aggregation's index is its index before expansion). On error q may be partly expanded. Expanding
// an expanded query changes nothing.
func Expand(q *Query, cfg Config) Errors {
	_, errs := expand(q, cfg)
	return errs
}

// expand is Expand, also returning the parsed relation (nil when there are no conditions).
func expand(q *Query, cfg Config) (*Relation, Errors) {
	if q == nil {
		return nil, Errors{{Kind: KindInvalidArgs, Message: "no query given"}}
	}
	var errs Errors
	checkStructure(q, &errs)
	if len(errs) > 0 {
		return nil, errs
	}
	if tf := q.Timeframe; tf != nil && tf.From != nil && tf.To != nil && *tf.To <= *tf.From {
		errs.Add(KindSchema, "timeframe.to", "Value of 'to' (exclusive) should be larger than 'from' (inclusive) in query timeframe: to is %d, from is %d", *tf.To, *tf.From)
	}
	top := cfg.top()
	var rel *Relation
	if qs := q.Query; qs != nil {
		expandConditions(qs, &errs)
		rel = expandRelation(qs, &errs)
		qs.Aggregations = expandAggregations(qs.Aggregations, "query.aggregations", top, &errs)
	}
	if f := q.Funnel; f != nil {
		f.StepAggregations = expandAggregations(f.StepAggregations, "funnel.stepAggregations", top, &errs)
		f.EndAggregations = expandAggregations(f.EndAggregations, "funnel.endAggregations", top, &errs)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return rel, nil
}

// validName reports whether s matches ^[A-Za-z][A-Za-z_0-9]*$.
func validName(s string) bool {
	if s == "" || !isLetter(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isLetter(c) && !isDigit(c) && c != '_' {
			return false
		}
	}
	return true
}

// checkName checks a name's pattern and its uniqueness (case-sensitive) within a scope; seen maps
// the names met so far in the scope to their path.
func checkName(name, path, scope string, seen map[string]string, errs *Errors) bool {
	ok := true
	if !validName(name) {
		errs.Add(KindSchema, path, "Invalid identifier name %s: a name starts with a letter and continues with letters, digits or _", quoteName(name))
		ok = false
	}
	if first, dup := seen[name]; dup {
		errs.Add(KindSchema, path, "Identifier name %s is not unique in scope '%s' (also used at %s)", quoteName(name), scope, first)
		return false
	}
	seen[name] = path
	return ok
}

// quoteName quotes a name for a message the way the original did ('x'), escaping odd characters.
func quoteName(s string) string {
	q := strconv.Quote(s)
	return "'" + q[1:len(q)-1] + "'"
}

func expandConditions(qs *QuerySection, errs *Errors) {
	seen := make(map[string]string)
	for i := range qs.Conditions {
		c := &qs.Conditions[i]
		path := indexPath("query.conditions", i)
		if c.Name != "" && checkName(c.Name, path+".name", "query.conditions", seen, errs) && isRelationOp(strings.ToLower(c.Name)) {
			errs.Add(KindSchema, path+".name", "%s is not a valid condition name: and, or are relation operators", quoteName(c.Name))
		}
		if c.Kind() == SequenceCondition {
			continue
		}
		if c.Target == nil {
			c.Target = &Target{Type: TargetCount, Op: OpGe, Value: IntValue(1)}
		}
		checkIncludeZero(c, path, errs)
	}
}

// checkIncludeZero applies the includeZero rules of reference section 2.4, setting includeZero for
// a count == 0 target that does not say.
func checkIncludeZero(c *Condition, path string, errs *Errors) {
	t, iz := c.Target, c.IncludeZero
	izPath := path + ".includeZero"
	if t.Type != TargetCount {
		if iz != nil && *iz {
			errs.Add(KindTypeMismatch, izPath, "'includeZero' is not applicable for target type '%s': a group with no matching rows is never a match; remove it", t.Type)
		}
		return
	}
	v := t.Value.Int
	if iz != nil && *iz {
		switch {
		case t.Op == OpGt:
			errs.Add(KindTypeMismatch, izPath, "For target operator '>', 'includeZero' cannot be true: count > %d never holds for zero (use >= or remove includeZero)", v)
		case t.Op == OpLt && v == 0:
			errs.Add(KindTypeMismatch, izPath, "Target count < 0 implies a negative value, and thus 'includeZero' cannot be true")
		case t.Op == OpNe && v == 0, (t.Op == OpEq || t.Op == OpGe) && v != 0:
			errs.Add(KindTypeMismatch, izPath, "Target count %s %d explicitly precludes zero, and thus 'includeZero' cannot be true", t.Op, v)
		}
		return
	}
	if t.Op == OpEq && v == 0 {
		if iz == nil {
			b := true
			c.IncludeZero = &b
			return
		}
		errs.Add(KindTypeMismatch, izPath, "When using a target of count == 0, 'includeZero' cannot be false: only groups with zero matching rows satisfy it")
	}
}

// expandRelation expands the relation shorthands and parses the result.
func expandRelation(qs *QuerySection, errs *Errors) *Relation {
	n := len(qs.Conditions)
	names := make(map[string]int, n)
	for i, c := range qs.Conditions {
		if c.Name != "" {
			// Names are matched ignoring case; of two that differ only in case the later wins, as in
			// the original.
			names[strings.ToLower(strings.TrimSpace(c.Name))] = i
		}
	}
	op := ""
	if trimmed := strings.ToLower(strings.TrimSpace(qs.Relation)); qs.Relation == "" {
		if n == 0 {
			return nil
		}
		op = "and"
	} else if isRelationOp(trimmed) {
		op = trimmed
	}
	if op != "" {
		if n == 0 {
			errs.Add(KindRelation, "query.relation", "relation %q joins every condition, but there are no conditions; remove it or add conditions", qs.Relation)
			return nil
		}
		var b strings.Builder
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteString(" " + op + " ")
			}
			b.WriteString("$" + strconv.Itoa(i))
		}
		qs.Relation = b.String()
	}
	r, err := ParseRelation(qs.Relation, names, n)
	if err != nil {
		if e, ok := err.(Error); ok {
			*errs = append(*errs, e)
		} else {
			errs.Add(KindRelation, "query.relation", "%v", err)
		}
		return nil
	}
	return r
}

// expandAggregations checks one scope of aggregations and returns it expanded: every entry gets a
// top, and an entry without a type becomes the three default aggregations.
func expandAggregations(aggs []Aggregation, scope string, top int, errs *Errors) []Aggregation {
	if aggs == nil {
		return nil
	}
	seen := make(map[string]string)
	out := make([]Aggregation, 0, len(aggs))
	for i, a := range aggs {
		path := indexPath(scope, i)
		if a.Name != "" {
			checkName(a.Name, path+".name", scope, seen, errs)
		}
		needsOther := a.Type == AggSumPerValue || a.Type == AggMeanPerValue
		switch {
		case a.Type == "":
			if a.Name != "" {
				errs.Add(KindSchema, path+".name", "Aggregation of column '%s' has no type, so it expands into multiple default aggregations (count, countPerValue, groupsPerValue), and thus a name attribute is not supported; give it a type or remove the name", a.Column)
			}
			if a.OtherColumn != "" {
				errs.Add(KindSchema, path+".otherColumn", "Aggregation of column '%s' has no type, so it expands into count, countPerValue and groupsPerValue, for which other column name is not relevant; remove it or use type sumPerValue or meanPerValue", a.Column)
			}
		case needsOther && a.OtherColumn == "":
			errs.Add(KindSchema, path, "For aggregation of column '%s' with type '%s', other column name is required but was not found; add \"otherColumn\": an INT or FLOAT column", a.Column, a.Type)
		case !needsOther && a.OtherColumn != "":
			errs.Add(KindSchema, path+".otherColumn", "For aggregation of column '%s' with type '%s', other column name is not relevant but was given; only sumPerValue and meanPerValue use it", a.Column, a.Type)
		}
		t := top
		if a.Top != nil {
			t = *a.Top
		}
		if a.Type != "" {
			a.Top = &t
			out = append(out, a)
			continue
		}
		for _, typ := range defaultAggregationTypes {
			d := a
			d.Type = typ
			tt := t
			d.Top = &tt
			out = append(out, d)
		}
	}
	return out
}

// filterOps are the operators the language accepts in a filter.
var filterOps = [...]Op{OpEq, OpNe, OpGt, OpGe, OpLt, OpLe, OpContains, OpNotContains}

func validFilterOp(op Op) bool {
	for _, o := range filterOps {
		if op == o {
			return true
		}
	}
	return false
}

func validTargetOp(op Op) bool {
	for _, o := range NumericOps {
		if op == o {
			return true
		}
	}
	return false
}

// aggregationTypes are the valid values of Aggregation.Type.
var aggregationTypes = [...]AggregationType{AggCount, AggCountPerValue, AggGroupsPerValue, AggSumPerValue, AggMeanPerValue}

func validAggregationType(t AggregationType) bool {
	for _, a := range aggregationTypes {
		if t == a {
			return true
		}
	}
	return false
}

// maxTop bounds a per-aggregation top.
const maxTop = math.MaxInt32

// integral returns v as an int64 when it is an integer or a float with an integral value in range.
func integral(v Value) (int64, bool) {
	switch v.Kind {
	case KindInt:
		return v.Int, true
	case KindFloat:
		if v.Float == math.Trunc(v.Float) && v.Float >= -(1<<63) && v.Float < 1<<63 {
			return int64(v.Float), true
		}
	}
	return 0, false
}

// checkStructure reports, as SCHEMA errors with paths into q, whatever Parse would have refused;
// a Query that came from Parse always passes.
func checkStructure(q *Query, errs *Errors) {
	if tf := q.Timeframe; tf != nil {
		checkNonNegative(tf.From, "timeframe.from", errs)
		checkNonNegative(tf.To, "timeframe.to", errs)
	}
	if qs := q.Query; qs != nil {
		for i := range qs.Conditions {
			checkConditionStructure(&qs.Conditions[i], indexPath("query.conditions", i), errs)
		}
		checkAggregationsStructure(qs.Aggregations, "query.aggregations", errs)
	}
	if f := q.Funnel; f != nil {
		checkStepsStructure(f.Sequence, "funnel.sequence", errs)
		checkNonNegative(f.MaxDuration, "funnel.maxDuration", errs)
		checkAggregationsStructure(f.StepAggregations, "funnel.stepAggregations", errs)
		checkAggregationsStructure(f.EndAggregations, "funnel.endAggregations", errs)
	}
}

func checkNonNegative(x *int64, path string, errs *Errors) {
	if x != nil && *x < 0 {
		errs.Add(KindSchema, path, "must be an integer >= 0, not %d", *x)
	}
}

func checkConditionStructure(c *Condition, path string, errs *Errors) {
	var shapes []string
	if c.Filter != nil {
		shapes = append(shapes, "filter")
	}
	if c.Filters != nil {
		shapes = append(shapes, "filters")
	}
	if c.Sequence != nil {
		shapes = append(shapes, "sequence")
	}
	switch len(shapes) {
	case 0:
		errs.Add(KindSchema, path, "a condition needs one of \"filter\", \"filters\" or \"sequence\"")
		return
	case 1:
	default:
		errs.Add(KindSchema, path, "a condition has exactly one of \"filter\", \"filters\" or \"sequence\", not %s together", strings.Join(shapes, " and "))
		return
	}
	checkNonNegative(c.MaxDuration, path+".maxDuration", errs)
	switch c.Kind() {
	case FilterCondition:
		checkFilterStructure(c.Filter, path+".filter", errs)
	case FiltersCondition:
		checkFiltersStructure(c.Filters, path+".filters", errs)
	case SequenceCondition:
		checkStepsStructure(c.Sequence, path+".sequence", errs)
		if c.Target != nil {
			errs.Add(KindSchema, path+".target", "a sequence condition has no target: it matches the groups that complete the sequence")
		}
		if c.IncludeZero != nil {
			errs.Add(KindSchema, path+".includeZero", "\"includeZero\" applies only to filter and filters conditions, not to a sequence")
		}
		return
	}
	if c.MaxDuration != nil {
		errs.Add(KindSchema, path+".maxDuration", "\"maxDuration\" applies only to sequence conditions")
	}
	if t := c.Target; t != nil {
		checkTargetStructure(t, path+".target", errs)
	}
}

func checkFiltersStructure(fs []Filter, path string, errs *Errors) {
	if len(fs) == 0 {
		errs.Add(KindSchema, path, "\"filters\" must be a non-empty array of filters")
	}
	for i := range fs {
		checkFilterStructure(&fs[i], indexPath(path, i), errs)
	}
}

func checkFilterStructure(f *Filter, path string, errs *Errors) {
	if f.Column == "" {
		errs.Add(KindSchema, path+".column", "a filter's column must be a column name (a non-empty string)")
	}
	if !validFilterOp(f.Op) {
		errs.Add(KindSchema, path+".op", "%q is not a filter operator; use one of ==, !=, >, >=, <, <=, contains, not contains", f.Op)
	}
	switch f.Value.Kind {
	case KindString, KindInt, KindBool:
	case KindFloat:
		if math.IsNaN(f.Value.Float) || math.IsInf(f.Value.Float, 0) {
			errs.Add(KindSchema, path+".value", "a filter's value must be a finite number, not %v", f.Value.Float)
		}
	default:
		errs.Add(KindSchema, path+".value", "a filter's value must be a string, number or boolean")
	}
}

func checkStepsStructure(steps []Step, path string, errs *Errors) {
	if len(steps) == 0 {
		errs.Add(KindSchema, path, "\"sequence\" must be a non-empty array of steps")
	}
	for i := range steps {
		s := &steps[i]
		sp := indexPath(path, i)
		switch {
		case s.Filter == nil && s.Filters == nil:
			errs.Add(KindSchema, sp, "a sequence step needs \"filter\" or \"filters\"")
		case s.Filter != nil && s.Filters != nil:
			errs.Add(KindSchema, sp, "a sequence step has \"filter\" or \"filters\", not both")
		case s.Filter != nil:
			checkFilterStructure(s.Filter, sp+".filter", errs)
		default:
			checkFiltersStructure(s.Filters, sp+".filters", errs)
		}
		if s.RowFound != nil && !*s.RowFound {
			errs.Add(KindSchema, sp+".rowFound", "%s", rowFoundMessage)
		}
	}
}

func checkTargetStructure(t *Target, path string, errs *Errors) {
	if !validTargetOp(t.Op) {
		errs.Add(KindSchema, path+".op", "%q is not a target operator; use one of ==, !=, >, >=, <, <=", t.Op)
	}
	switch t.Type {
	case TargetCount:
		if t.Column != "" {
			errs.Add(KindSchema, path+".column", "\"column\" applies only to sum targets; a count target counts the matching rows")
		}
		if t.Value.Kind != KindInt || t.Value.Int < 0 {
			errs.Add(KindSchema, path+".value", "a count target's value must be an integer >= 0, not %s", t.Value)
		}
	case TargetSum:
		if t.Column == "" {
			errs.Add(KindSchema, path+".column", "a sum target's column must be a column name (a non-empty string)")
		}
		if !t.Value.IsNumber() || math.IsNaN(t.Value.Float) || math.IsInf(t.Value.Float, 0) {
			errs.Add(KindSchema, path+".value", "a sum target's value must be a finite number, not %s", t.Value)
		}
	default:
		errs.Add(KindSchema, path+".type", "a target's type must be \"count\" or \"sum\", not %q", t.Type)
	}
}

func checkAggregationsStructure(aggs []Aggregation, path string, errs *Errors) {
	for i := range aggs {
		a := &aggs[i]
		ap := indexPath(path, i)
		if a.Column == "" {
			errs.Add(KindSchema, ap+".column", "an aggregation's column must be a column name (a non-empty string)")
		}
		if a.Type != "" && !validAggregationType(a.Type) {
			errs.Add(KindSchema, ap+".type", "%q is not an aggregation type; use one of count, countPerValue, groupsPerValue, sumPerValue, meanPerValue", a.Type)
		}
		if a.Top != nil && (*a.Top < 1 || *a.Top > maxTop) {
			errs.Add(KindSchema, ap+".top", "\"top\" must be an integer from 1 to %d, not %d", maxTop, *a.Top)
		}
	}
}

// Clone returns a deep copy of q.
func (q *Query) Clone() *Query {
	if q == nil {
		return nil
	}
	c := *q
	if tf := q.Timeframe; tf != nil {
		c.Timeframe = &Timeframe{From: cloneInt64(tf.From), To: cloneInt64(tf.To)}
	}
	if qs := q.Query; qs != nil {
		cs := *qs
		cs.Aggregations = cloneAggregations(qs.Aggregations)
		if qs.Conditions != nil {
			cs.Conditions = make([]Condition, len(qs.Conditions))
			for i, cond := range qs.Conditions {
				cond.Filter = cloneFilter(cond.Filter)
				cond.Filters = cloneFilters(cond.Filters)
				cond.Sequence = cloneSteps(cond.Sequence)
				cond.IncludeZero = cloneBool(cond.IncludeZero)
				cond.MaxDuration = cloneInt64(cond.MaxDuration)
				if cond.Target != nil {
					t := *cond.Target
					cond.Target = &t
				}
				cs.Conditions[i] = cond
			}
		}
		c.Query = &cs
	}
	if f := q.Funnel; f != nil {
		cf := *f
		cf.Sequence = cloneSteps(f.Sequence)
		cf.MaxDuration = cloneInt64(f.MaxDuration)
		cf.StepAggregations = cloneAggregations(f.StepAggregations)
		cf.EndAggregations = cloneAggregations(f.EndAggregations)
		c.Funnel = &cf
	}
	return &c
}

func cloneInt64(p *int64) *int64 {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func cloneBool(p *bool) *bool {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func cloneFilter(f *Filter) *Filter {
	if f == nil {
		return nil
	}
	c := *f
	return &c
}

func cloneFilters(fs []Filter) []Filter {
	if fs == nil {
		return nil
	}
	return append(make([]Filter, 0, len(fs)), fs...)
}

func cloneSteps(steps []Step) []Step {
	if steps == nil {
		return nil
	}
	out := make([]Step, len(steps))
	for i, s := range steps {
		s.Filter = cloneFilter(s.Filter)
		s.Filters = cloneFilters(s.Filters)
		s.RowFound = cloneBool(s.RowFound)
		out[i] = s
	}
	return out
}

func cloneAggregations(aggs []Aggregation) []Aggregation {
	if aggs == nil {
		return nil
	}
	out := make([]Aggregation, len(aggs))
	for i, a := range aggs {
		out[i] = a
		if a.Top != nil {
			t := *a.Top
			out[i].Top = &t
		}
	}
	return out
}
