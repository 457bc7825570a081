package query

import (
	"encoding/json"
	"reflect"
	"testing"
)

func exampleDoc(t *testing.T) string {
	return string(readTestdata(t, "expand/example.json"))
}

// usedConditions lists a relation's condition indexes in order of appearance.
func usedConditions(r *Relation) []int {
	if r == nil {
		return nil
	}
	if r.Op == RelCond {
		return []int{r.Cond}
	}
	return append(usedConditions(r.Left), usedConditions(r.Right)...)
}

// TestExampleWithoutDataset is the original's test_original_without_dataset_ok and
// test_used_columns_na.
func TestExampleWithoutDataset(t *testing.T) {
	v := mustCompile(t, exampleDoc(t), nil)
	if got := v.Relation.String(); got != "($1 and $2) or $5 or $0" {
		t.Fatalf("relation %s", got)
	}
	if got := usedConditions(v.Relation); !reflect.DeepEqual(got, []int{1, 2, 5, 0}) {
		t.Fatalf("used conditions %v", got)
	}
	if v.UsedColumns != nil {
		t.Fatalf("UsedColumns = %v without a schema, want nil", v.UsedColumns)
	}
}

// TestExampleWithDataset is the original's test_original_ok.
func TestExampleWithDataset(t *testing.T) {
	v := mustCompile(t, exampleDoc(t), origSchema())
	want := []string{"userId", "ts", "eventId", "eventValue", "eventType", "goalValue", "isCool", "rowType", "device", "transactionId", "goalId"}
	if !reflect.DeepEqual(v.UsedColumns, want) {
		t.Fatalf("UsedColumns = %v\nwant %v", v.UsedColumns, want)
	}
	// The original's test_multipass, with the dataset: the expanded query validates to itself.
	b, err := json.Marshal(v.Query)
	if err != nil {
		t.Fatal(err)
	}
	v2 := mustCompile(t, string(b), origSchema())
	if !reflect.DeepEqual(v.Query, v2.Query) || !reflect.DeepEqual(v.UsedColumns, v2.UsedColumns) {
		t.Fatal("validating the expanded query changed it")
	}
}

// TestValidateDoesNotModify is the original's test_original_not_modified.
func TestValidateDoesNotModify(t *testing.T) {
	q := mustParse(t, exampleDoc(t))
	orig := mustParse(t, exampleDoc(t))
	v, errs := Validate(q, origSchema(), DefaultConfig())
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if !reflect.DeepEqual(q, orig) {
		t.Fatal("Validate modified its argument")
	}
	if reflect.DeepEqual(v.Query, q) {
		t.Fatal("the expanded query equals the source")
	}
	// Nor does a later change to the expanded query reach the source.
	*v.Query.Query.Aggregations[0].Top = 1
	v.Query.Query.Conditions[0].Filter.Column = "x"
	if !reflect.DeepEqual(q, orig) {
		t.Fatal("the expanded query shares memory with the source")
	}
}

// TestValidateEmpty is the original's test_empty and test_no_conditions.
func TestValidateEmpty(t *testing.T) {
	for _, doc := range []string{`{}`, `{"query": {}}`, `{"query": {"conditions": []}}`} {
		v := mustCompile(t, doc, origSchema())
		if v.Relation != nil || !reflect.DeepEqual(v.UsedColumns, []string{"userId", "ts"}) {
			t.Fatalf("%s: relation %v, used columns %v", doc, v.Relation, v.UsedColumns)
		}
	}
}

// TestValidateFilters is the original's test_filters_match_dataset, with paths; string comparisons
// and not contains are valid here (a deliberate extension).
func TestValidateFilters(t *testing.T) {
	f := compileErr(t, origSchema())
	c := func(cond string) string { return `{"query": {"conditions": [` + cond + `]}}` }
	const p = "query.conditions[0].filter"
	f(c(`{"filter": ["eventBlarg", ">", 1]}`), KindDatasetMismatch, p+".column", "Column 'eventBlarg' not in dataset")
	f(c(`{"filter": ["eventId", "contains", "a"]}`), KindTypeMismatch, p+".op", `column "eventId" is INT; operator "contains" applies only to STRING columns`)
	f(c(`{"filter": ["eventId", "contains", "a"]}`), KindTypeMismatch, p+".value", `the value "a" (a string) does not suit it (use a number)`)
	f(c(`{"filter": ["eventId", ">", "a"]}`), KindTypeMismatch, p+".value", "use a number")
	f(c(`{"filter": ["eventId", "==", true]}`), KindTypeMismatch, p+".value", "the value true (a boolean)")
	f(c(`{"filter": ["eventId", "==", false]}`), KindTypeMismatch, p+".value", "the value false (a boolean)")
	f(c(`{"filter": ["rowType", "==", 1]}`), KindTypeMismatch, p+".value", `use a string, such as "1"`)
	f(c(`{"filter": ["rowType", "==", true]}`), KindTypeMismatch, p+".value", `column "rowType" is STRING`)
	f(c(`{"filter": ["isCool", "==", 1]}`), KindTypeMismatch, p+".value", "use true or false")
	f(c(`{"filter": ["isCool", "==", "true"]}`), KindTypeMismatch, p+".value", "use true or false")
	f(c(`{"filter": ["isCool", "contains", "fish"]}`), KindTypeMismatch, p+".op", "(use == or !=)")
	f(c(`{"filter": ["isCool", ">=", true]}`), KindTypeMismatch, p+".op", `operator ">=" does not apply to it (use == or !=)`)
	f(c(`{"filter": ["eventValue", "not contains", "1"]}`), KindTypeMismatch, p+".op", "applies only to STRING columns")
	f(c(`{"filters": [{"column": "eventId", "op": ">", "value": 0}, {"column": "eventBlah", "op": ">", "value": 0}]}`),
		KindDatasetMismatch, "query.conditions[0].filters[1].column", "Column 'eventBlah' not in dataset")
	f(c(`{"sequence": [{"filter": ["eventId", ">", 0]}, {"filters": [{"column": "eventid", "op": ">", "value": 0}]}]}`),
		KindDatasetMismatch, "query.conditions[0].sequence[1].filters[0].column", "did you mean 'eventId'?")
	f(c(`{"filter": ["tags", "==", "x"]}`), KindDatasetMismatch, p+".column", "Column 'tags' has type LIST<STRING>, which queries do not support")
	f(`{"funnel": {"sequence": [{"filter": ["goalValue", "==", "3"]}]}}`, KindTypeMismatch, "funnel.sequence[0].filter.value", `column "goalValue" is FLOAT`)

	// Valid: the extensions, and numbers of either kind on numeric columns.
	for _, filter := range []string{
		`["rowType", ">", "a"]`, `["rowType", ">=", "a"]`, `["rowType", "<", "a"]`, `["rowType", "<=", "a"]`,
		`["rowType", "not contains", "a"]`, `["rowType", "contains", "a"]`, `["rowType", "!=", ""]`,
		`["eventId", ">", 1.5]`, `["eventId", "==", 2.0]`, `["eventValue", "==", 1]`, `["eventValue", "<", -0.5]`,
		`["isCool", "!=", false]`,
	} {
		mustCompile(t, c(`{"filter": `+filter+`}`), origSchema())
	}
}

// TestValidateTargets is the dataset part of the original's test_targets_match_type_and_dataset.
func TestValidateTargets(t *testing.T) {
	f := compileErr(t, origSchema())
	c := func(target string) string {
		return `{"query": {"conditions": [{"filter": ` + simpleFilter + `, "target": ` + target + `}]}}`
	}
	const p = "query.conditions[0].target.column"
	f(c(`["sum", "jarjar", ">", 100]`), KindDatasetMismatch, p, "Column 'jarjar' not in dataset")
	f(c(`["sum", "rowType", ">", 100]`), KindTypeMismatch, p, "Column 'rowType' is of type STRING, but a sum target needs an INT or FLOAT column")
	f(c(`{"type": "sum", "column": "isCool", "op": ">", "value": 1}`), KindTypeMismatch, p, "of type BOOL")
	mustCompile(t, c(`["sum", "eventId", ">", -1.5]`), origSchema()) // a sum may be compared with any number
	mustCompile(t, c(`["sum", "eventValue", "<=", 100]`), origSchema())
}

// TestValidateAggregationColumns is the dataset part of the original's
// test_aggregation_other_column, plus aggregation columns.
func TestValidateAggregationColumns(t *testing.T) {
	f := compileErr(t, origSchema())
	end := func(a string) string {
		return `{"funnel": {"sequence": [{"filter": ` + simpleFilter + `}], "endAggregations": [` + a + `]}}`
	}
	mustCompile(t, end(`{"column": "eventId", "type": "sumPerValue", "otherColumn": "eventValue"}`), origSchema())
	f(end(`{"column": "eventId", "type": "sumPerValue", "otherColumn": "what"}`), KindDatasetMismatch, "funnel.endAggregations[0].otherColumn", "Column 'what' not in dataset")
	f(end(`{"column": "eventId", "type": "meanPerValue", "otherColumn": "rowType"}`), KindTypeMismatch, "funnel.endAggregations[0].otherColumn", `"otherColumn" of meanPerValue needs an INT or FLOAT column`)
	// Paths keep the index the query was written with, before the default expansion.
	f(`{"query": {"aggregations": [{"column": "device"}, {"column": "nope", "type": "count"}]}}`, KindDatasetMismatch, "query.aggregations[1].column", "Column 'nope' not in dataset")
	f(`{"query": {"aggregations": {"columns": [{"column": "device"}, {"column": "tags"}]}}}`, KindDatasetMismatch, "query.aggregations[1].column", "which queries do not support")
	mustCompile(t, `{"query": {"aggregations": [{"column": "isCool"}, {"column": "rowType", "type": "sumPerValue", "otherColumn": "eventId"}]}}`, origSchema())
}

// TestTimeframeScale is the original's test_timeframe_scale.
func TestTimeframeScale(t *testing.T) {
	f := compileErr(t, origSchema())
	mustCompile(t, `{"timeframe": {}}`, origSchema())
	f(`{"timeframe": {"from": 123}}`, KindTypeMismatch, "timeframe.from", "Given timestamp 123 doesn't appear to be in same scale as minimum timestamp in dataset (1590918400516)")
	f(`{"timeframe": {"to": 123456789012345}}`, KindTypeMismatch, "timeframe.to", "maximum timestamp in dataset (1618918400516): it has 15 digits, the dataset's have 13")
	mustCompile(t, `{"timeframe": {"from": 1590918400516, "to": 1600918400516}}`, origSchema())
	f(`{"timeframe": {"to": 1590918400516, "from": 1600918400516}}`, KindSchema, "timeframe.to", "should be larger than 'from'")

	// Without a known range there is nothing to compare with.
	s := origSchema()
	s.HasTimestampRange = false
	mustCompile(t, `{"timeframe": {"from": 123}}`, s)
	// Timestamps in seconds compare with a range in (float) seconds.
	s = origSchema()
	s.MinTimestamp, s.MaxTimestamp = 1590918400.25, 1618918400.75
	mustCompile(t, `{"timeframe": {"from": 1590918400, "to": 1618918401}}`, s)
}

func TestValidateNoSchema(t *testing.T) {
	// The language alone: columns are not looked up.
	v, errs := Validate(mustParse(t, `{"query": {"conditions": [{"filter": ["anything", "contains", 5]}]}}`), nil, DefaultConfig())
	if len(errs) > 0 || v.UsedColumns != nil {
		t.Fatalf("got %v, %v", v, errs)
	}
}
