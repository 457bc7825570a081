package query

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Validated is a query ready to run.
type Validated struct {
	// Query is the expanded query.
	Query *Query
	// Relation combines the conditions; nil when there are none.
	Relation *Relation
	// UsedColumns are the group column, the timestamp column, then every filter, aggregation,
	// sum-target and otherColumn column, each once, in document order; nil without a schema.
	UsedColumns []string
}

// Validate expands a copy of q (q itself is not modified) and, when schema is not nil, checks it
// against the dataset as reference section 2.8 step 5 says, with frocket's extensions: every column
// must exist (DATASET_MISMATCH, also for a column of an unsupported type); an operator and a value
// must suit their column's type (TYPE_MISMATCH): INT and FLOAT take numbers (an INT column may be
// compared with a fraction) and the six comparisons, BOOL takes booleans with == and !=, STRING takes
// strings with the six comparisons (bytewise) and contains / not contains; sum targets and otherColumn
// need INT or FLOAT columns; and timeframe bounds must have as many digits as the dataset's timestamps
// (TYPE_MISMATCH). Every problem is reported; the dataset is checked only once the language checks
// (those of Expand) pass. Paths point into q as given.
func Validate(q *Query, schema *Schema, cfg Config) (*Validated, Errors) {
	if q == nil {
		return nil, Errors{{Kind: KindInvalidArgs, Message: "no query to validate"}}
	}
	c := q.Clone()
	rel, errs := expand(c, cfg)
	if len(errs) > 0 {
		return nil, errs
	}
	v := &Validated{Query: c, Relation: rel}
	if schema == nil {
		return v, nil
	}
	// The dataset is checked on q, not on its expansion, so that an aggregation's path keeps the index
	// the caller wrote; expansion adds no column.
	d := datasetChecker{schema: schema, seen: make(map[string]bool)}
	d.use(schema.GroupColumn)
	d.use(schema.TimestampColumn)
	d.query(q)
	if len(d.errs) > 0 {
		return nil, d.errs
	}
	v.UsedColumns = d.used
	return v, nil
}

// datasetChecker checks a query's columns against a schema and lists the columns it uses.
type datasetChecker struct {
	schema *Schema
	errs   Errors
	used   []string
	seen   map[string]bool
}

func (d *datasetChecker) use(name string) {
	if name != "" && !d.seen[name] {
		d.seen[name] = true
		d.used = append(d.used, name)
	}
}

func (d *datasetChecker) query(q *Query) {
	d.timeframe(q.Timeframe)
	if qs := q.Query; qs != nil {
		for i := range qs.Conditions {
			c := &qs.Conditions[i]
			path := indexPath("query.conditions", i)
			switch c.Kind() {
			case FilterCondition:
				d.filter(c.Filter, path+".filter")
			case FiltersCondition:
				d.filters(c.Filters, path+".filters")
			case SequenceCondition:
				d.steps(c.Sequence, path+".sequence")
			}
			if t := c.Target; t != nil && t.Type == TargetSum {
				d.numeric(t.Column, path+".target.column", "a sum target")
			}
		}
		d.aggregations(qs.Aggregations, "query.aggregations")
	}
	if f := q.Funnel; f != nil {
		d.steps(f.Sequence, "funnel.sequence")
		d.aggregations(f.StepAggregations, "funnel.stepAggregations")
		d.aggregations(f.EndAggregations, "funnel.endAggregations")
	}
}

// column looks a column up, reporting it when missing or of an unsupported type.
func (d *datasetChecker) column(name, path string) (ColumnType, bool) {
	if t, ok := d.schema.Columns[name]; ok {
		d.use(name)
		return t, true
	}
	if ut, ok := d.schema.Unsupported[name]; ok {
		d.errs.Add(KindDatasetMismatch, path, "Column '%s' has type %s, which queries do not support", name, ut)
		return "", false
	}
	msg := fmt.Sprintf("Column '%s' not in dataset", name)
	if alt := d.similarColumn(name); alt != "" {
		msg += fmt.Sprintf(" (did you mean '%s'? names are case-sensitive)", alt)
	}
	d.errs.Add(KindDatasetMismatch, path, "%s", msg)
	return "", false
}

// similarColumn returns a column whose name equals name ignoring case (the first in sorted order).
func (d *datasetChecker) similarColumn(name string) string {
	var found []string
	for c := range d.schema.Columns {
		if strings.EqualFold(c, name) {
			found = append(found, c)
		}
	}
	if len(found) == 0 {
		return ""
	}
	sort.Strings(found)
	return found[0]
}

func (d *datasetChecker) numeric(name, path, role string) {
	if t, ok := d.column(name, path); ok && !t.IsNumeric() {
		d.errs.Add(KindTypeMismatch, path, "Column '%s' is of type %s, but %s needs an INT or FLOAT column", name, t, role)
	}
}

func (d *datasetChecker) steps(steps []Step, path string) {
	for i := range steps {
		s := &steps[i]
		sp := indexPath(path, i)
		if s.Filter != nil {
			d.filter(s.Filter, sp+".filter")
		} else {
			d.filters(s.Filters, sp+".filters")
		}
	}
}

func (d *datasetChecker) filters(fs []Filter, path string) {
	for i := range fs {
		d.filter(&fs[i], indexPath(path, i))
	}
}

func (d *datasetChecker) filter(f *Filter, path string) {
	t, ok := d.column(f.Column, path+".column")
	if !ok {
		return
	}
	if msg := opMismatch(t, f.Op); msg != "" {
		d.errs.Add(KindTypeMismatch, path+".op", "column %q is %s; %s", f.Column, t, msg)
	}
	if msg := valueMismatch(t, f.Value); msg != "" {
		d.errs.Add(KindTypeMismatch, path+".value", "column %q is %s; %s", f.Column, t, msg)
	}
}

// opMismatch says why op does not apply to a column of type t, or returns "".
func opMismatch(t ColumnType, op Op) string {
	switch {
	case op == OpContains || op == OpNotContains:
		if t == TypeString {
			return ""
		}
		alt := "==, !=, >, >=, <, <="
		if t == TypeBool {
			alt = "== or !="
		}
		return fmt.Sprintf("operator %q applies only to STRING columns (use %s)", op, alt)
	case t == TypeBool && op != OpEq && op != OpNe:
		return fmt.Sprintf("operator %q does not apply to it (use == or !=)", op)
	}
	return ""
}

// valueMismatch says why v cannot be compared with a column of type t, or returns "".
func valueMismatch(t ColumnType, v Value) string {
	var want string
	switch t {
	case TypeInt, TypeFloat:
		if v.IsNumber() {
			return ""
		}
		want = "a number"
	case TypeBool:
		if v.Kind == KindBool {
			return ""
		}
		want = "true or false"
	case TypeString:
		if v.Kind == KindString {
			return ""
		}
		want = "a string, such as " + strconv.Quote(strings.Trim(v.String(), `"`))
	default:
		return ""
	}
	return fmt.Sprintf("the value %s (%s) does not suit it (use %s)", v, kindNoun(v.Kind), want)
}

func kindNoun(k ValueKind) string {
	switch k {
	case KindString:
		return "a string"
	case KindInt:
		return "an integer"
	case KindFloat:
		return "a float"
	case KindBool:
		return "a boolean"
	}
	return "null"
}

func (d *datasetChecker) aggregations(aggs []Aggregation, path string) {
	for i := range aggs {
		a := &aggs[i]
		ap := indexPath(path, i)
		d.column(a.Column, ap+".column")
		if a.OtherColumn != "" {
			d.numeric(a.OtherColumn, ap+".otherColumn", fmt.Sprintf("\"otherColumn\" of %s", a.Type))
		}
	}
}

// timeframe applies the original's scale check: a bound must have as many digits as the dataset's
// minimum (for from) or maximum (for to) timestamp, so that seconds are not compared with
// milliseconds.
func (d *datasetChecker) timeframe(tf *Timeframe) {
	s := d.schema
	if tf == nil || !s.HasTimestampRange {
		return
	}
	if tf.From != nil {
		d.scale(*tf.From, s.MinTimestamp, "timeframe.from", "minimum")
	}
	if tf.To != nil {
		d.scale(*tf.To, s.MaxTimestamp, "timeframe.to", "maximum")
	}
}

func (d *datasetChecker) scale(ts int64, ref float64, path, which string) {
	if math.IsNaN(ref) || ref >= 1<<63 || ref < -(1<<63) {
		return
	}
	got := len(strconv.FormatInt(ts, 10))
	want := len(strconv.FormatInt(int64(ref), 10))
	if got != want {
		d.errs.Add(KindTypeMismatch, path, "Given timestamp %d doesn't appear to be in same scale as %s timestamp in dataset (%s): it has %d digits, the dataset's have %d; use the unit of the timestamp column",
			ts, which, strconv.FormatFloat(ref, 'f', -1, 64), got, want)
	}
}
