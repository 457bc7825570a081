package query

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseSyntaxError(t *testing.T) {
	f := func(doc, want string) {
		t.Helper()
		q, errs := Parse([]byte(doc))
		if q != nil || len(errs) != 1 {
			t.Fatalf("Parse(%q) = %v, %v; want one PARSE error", doc, q, errs)
		}
		if e := errs[0]; e.Kind != KindParse || e.Path != "" || !strings.HasPrefix(e.Message, want) {
			t.Fatalf("Parse(%q) error %#v, want PARSE %q", doc, e, want)
		}
	}
	f("{\n  \"query\": {\n    \"relation\" 1}}", "line 3, column 16: invalid character '1' after object key")
	f(`{"a" 1}`, "line 1, column 6: invalid character '1' after object key")
	f(`{"query": {}} x`, "line 1, column 15: invalid character 'x' after top-level value")
	f(`{"é": 1 x}`, "line 1, column 9: invalid character 'x'") // columns count characters, not bytes
	f("{\"query\": {\n", "line 2, column 1: unexpected end of JSON input")
	f("", "line 1, column 1: unexpected end of JSON input (the body is empty")
	f("  \n ", "line 2, column 2: unexpected end of JSON input (the body is empty")
	f(`{"a": tru}`, "line 1, column 10: invalid character '}' in literal true")
}

// TestParseShape checks one shape problem per document: its kind, path and message.
func TestParseShape(t *testing.T) {
	f := func(doc string, kind ErrorKind, path, msg string) {
		t.Helper()
		q, errs := Parse([]byte(doc))
		if q != nil {
			t.Fatalf("Parse(%s) returned a query with errors %v", doc, errs)
		}
		if !hasError(errs, kind, path, msg) {
			t.Fatalf("Parse(%s) = %v\nwant %s at %q containing %q", doc, errs, kind, path, msg)
		}
	}
	cond := func(c string) string { return `{"query": {"conditions": [` + c + `]}}` }
	const p0 = "query.conditions[0]"

	// Documents and unknown keys (the original's test_additional_property).
	f(`[]`, KindSchema, "", "a query must be a JSON object")
	f(`null`, KindSchema, "", "not null")
	f(`{"hello": "world"}`, KindSchema, "hello", `unknown key "hello"; allowed here: timeframe, query, funnel`)
	f(`{"a b": 1}`, KindSchema, `["a b"]`, `unknown key "a b"`)
	f(`{"query": {}, "query": {}}`, KindSchema, "query", "appears more than once")
	f(cond(`{"filter": ["a", "==", 1], "hello": "world"}`), KindSchema, p0+".hello", "unknown key")
	f(`{"query": {"blah": 1}}`, KindSchema, "query.blah", "allowed here: relation, conditions, aggregations")
	f(`{"query": 1}`, KindSchema, "query", "query must be an object, not the number 1")
	f(`{"query": {"conditions": {}}}`, KindSchema, "query.conditions", "must be an array")

	// Condition shapes.
	f(cond(`{}`), KindSchema, p0, `needs one of "filter", "filters" or "sequence"`)
	f(cond(`{"name": "x"}`), KindSchema, p0, "needs one of")
	f(cond(`{"filter": ["a", "==", 1], "sequence": [{"filter": ["a", "==", 1]}]}`), KindSchema, p0, "not filter and sequence together")
	f(cond(`{"filter": ["a", "==", 1], "filters": [{"column": "a", "op": "==", "value": 1}]}`), KindSchema, p0, "not filter and filters together")
	f(cond(`{"sequence": [{"filter": ["a", "==", 1]}], "target": ["count", ">", 1]}`), KindSchema, p0+".target", "a sequence condition has no target")
	f(cond(`{"sequence": [{"filter": ["a", "==", 1]}], "includeZero": true}`), KindSchema, p0+".includeZero", "applies only to filter and filters")
	f(cond(`{"filter": ["a", "==", 1], "maxDuration": 5}`), KindSchema, p0+".maxDuration", "applies only to sequence conditions")
	f(cond(`{"sequence": [{"filter": ["a", "==", 1]}], "maxDuration": -5}`), KindSchema, p0+".maxDuration", "integer >= 0")
	f(cond(`{"sequence": []}`), KindSchema, p0+".sequence", "non-empty array of steps")
	f(cond(`{"sequence": [{"filter": ["a", "==", 1], "rowFound": false}]}`), KindSchema, p0+".sequence[0].rowFound", "not supported yet")
	f(cond(`{"sequence": [{"filter": ["a", "==", 1], "rowFound": 1}]}`), KindSchema, p0+".sequence[0].rowFound", "must be true or false")
	f(cond(`{"sequence": [{}]}`), KindSchema, p0+".sequence[0]", `needs "filter" or "filters"`)
	f(cond(`{"sequence": [{"filter": ["a", "==", 1], "filters": [{"column": "a", "op": "==", "value": 1}]}]}`), KindSchema, p0+".sequence[0]", "not both")
	f(cond(`{"sequence": [{"filter": ["a", "==", 1], "target": 1}]}`), KindSchema, p0+".sequence[0].target", "allowed here: filter, filters, rowFound")
	f(cond(`{"filter": ["a", "==", 1], "includeZero": "yes"}`), KindSchema, p0+".includeZero", "must be true or false")
	f(cond(`{"filter": ["a", "==", 1], "name": 5}`), KindSchema, p0+".name", "must be a string")

	// Filters (the original's shorthand quirks become SCHEMA errors with a path).
	f(cond(`{"filter": ["s", "=="]}`), KindSchema, p0+".filter", "has 2 item(s)")
	f(cond(`{"filter": ["s", "==", 1, 2]}`), KindSchema, p0+".filter", "has 4 item(s)")
	f(cond(`{"filter": ["s", "==", null]}`), KindSchema, p0+".filter[2]", "not null")
	f(cond(`{"filter": ["s", "==", [1]]}`), KindSchema, p0+".filter[2]", "not an array")
	f(cond(`{"filter": ["s", "==", 1e400]}`), KindSchema, p0+".filter[2]", "out of range")
	f(cond(`{"filter": ["s", "regex", "x"]}`), KindSchema, p0+".filter[1]", `the string "regex" is not a filter operator`)
	f(cond(`{"filter": ["s", "CONTAINS", "x"]}`), KindSchema, p0+".filter[1]", "not a filter operator")
	f(cond(`{"filter": ["", "==", "x"]}`), KindSchema, p0+".filter[0]", "non-empty string")
	f(cond(`{"filter": [1, "==", "x"]}`), KindSchema, p0+".filter[0]", "column name")
	f(cond(`{"filter": {"column": "s", "op": "=="}}`), KindSchema, p0+".filter", `missing key "value"`)
	f(cond(`{"filter": {"column": "s", "op": "~", "value": 1}}`), KindSchema, p0+".filter.op", "not a filter operator")
	f(cond(`{"filter": {"column": "s", "op": "==", "value": 1, "x": 2}}`), KindSchema, p0+".filter.x", "allowed here: column, op, value")
	f(cond(`{"filter": "s == 1"}`), KindSchema, p0+".filter", "a filter must be an object")
	f(cond(`{"filters": []}`), KindSchema, p0+".filters", "not an empty array")
	f(cond(`{"filters": [["a", "==", 1]]}`), KindSchema, p0+".filters[0]", "shorthand [column, op, value] is allowed only in \"filter\"")
	f(cond(`{"filters": [{"column": "a", "op": "==", "value": 1}, {"column": "a", "op": "==", "value": null}]}`), KindSchema, p0+".filters[1].value", "not null")

	// Targets (the original's test_targets_match_type_and_dataset, the schema part).
	tgt := func(target string) string { return cond(`{"filter": ["eventId", "==", 1], "target": ` + target + `}`) }
	f(tgt(`["count", "contains", 100]`), KindSchema, p0+".target[1]", "not a target operator")
	f(tgt(`["count", ">", true]`), KindSchema, p0+".target[2]", "integer >= 0, not true")
	f(tgt(`["count", ">", false]`), KindSchema, p0+".target[2]", "integer >= 0")
	f(tgt(`["count", ">", "hello"]`), KindSchema, p0+".target[2]", "integer >= 0")
	f(tgt(`["count", ">", 1.5]`), KindSchema, p0+".target[2]", "integer >= 0, not the number 1.5")
	f(tgt(`["count", ">", -1]`), KindSchema, p0+".target[2]", "integer >= 0")
	f(tgt(`["sum", "eventValue", ">", "blah"]`), KindSchema, p0+".target[3]", "must be a number")
	f(tgt(`["sum", "eventValue", ">", true]`), KindSchema, p0+".target[3]", "must be a number")
	f(tgt(`["sum", "eventValue", "contains", 100]`), KindSchema, p0+".target[2]", "not a target operator")
	f(tgt(`["sum", ">", 100]`), KindSchema, p0+".target", `["sum", column, op, x]; this one has 3 item(s)`)
	f(tgt(`["count", "x", ">", 100]`), KindSchema, p0+".target", "this one has 4 item(s)")
	f(tgt(`["avg", ">", 100]`), KindSchema, p0+".target[0]", `must be "count" or "sum"`)
	f(tgt(`[]`), KindSchema, p0+".target", "not an empty array")
	f(tgt(`5`), KindSchema, p0+".target", "a target must be an array")
	f(tgt(`{"type": "count", "op": ">", "value": 1, "column": "x"}`), KindSchema, p0+".target.column", "applies only to sum targets")
	f(tgt(`{"type": "sum", "op": ">", "value": 1}`), KindSchema, p0+".target", `missing key "column"`)
	f(tgt(`{"op": ">", "value": 1}`), KindSchema, p0+".target", `missing key "type"`)
	f(tgt(`{"type": "count", "op": ">", "value": 1, "top": 1}`), KindSchema, p0+".target.top", "unknown key")

	// Aggregations.
	agg := func(a string) string { return `{"query": {"aggregations": ` + a + `}}` }
	f(agg(`5`), KindSchema, "query.aggregations", "must be an array")
	f(agg(`{"cols": []}`), KindSchema, "query.aggregations.cols", `allowed here: columns`)
	f(agg(`{"cols": []}`), KindSchema, "query.aggregations", `missing key "columns"`)
	f(agg(`{"columns": 5}`), KindSchema, "query.aggregations.columns", "must be an array")
	f(agg(`{"columns": [{"column": "a", "type": "median"}]}`), KindSchema, "query.aggregations.columns[0].type", "not an aggregation type")
	f(agg(`[{"type": "count"}]`), KindSchema, "query.aggregations[0]", `missing key "column"`)
	f(agg(`[{"column": "a", "top": 0}]`), KindSchema, "query.aggregations[0].top", "integer from 1")
	f(agg(`[{"column": "a", "top": 2.5}]`), KindSchema, "query.aggregations[0].top", "integer from 1")
	f(agg(`[{"column": "a", "top": 1e10}]`), KindSchema, "query.aggregations[0].top", "integer from 1")
	f(agg(`[{"column": "a", "otherColumn": ""}]`), KindSchema, "query.aggregations[0].otherColumn", "non-empty string")
	f(agg(`[{"column": "a", "value": 1}]`), KindSchema, "query.aggregations[0].value", "allowed here: column, type, otherColumn, name, top")

	// Funnel, timeframe and relation.
	f(`{"funnel": {}}`, KindSchema, "funnel", `missing key "sequence"`)
	f(`{"funnel": {"sequence": []}}`, KindSchema, "funnel.sequence", "non-empty array")
	f(`{"funnel": {"sequence": [{"filter": ["a", "==", 1]}], "maxDuration": 1.5}}`, KindSchema, "funnel.maxDuration", "integer >= 0")
	f(`{"funnel": {"sequence": [{"filter": ["a", "==", 1]}], "aggregations": []}}`, KindSchema, "funnel.aggregations", "allowed here: sequence, maxDuration, stepAggregations, endAggregations")
	f(`{"timeframe": {"from": 1.5}}`, KindSchema, "timeframe.from", "integer >= 0, not the number 1.5")
	f(`{"timeframe": {"to": -1}}`, KindSchema, "timeframe.to", "integer >= 0")
	f(`{"timeframe": {"to": "1"}}`, KindSchema, "timeframe.to", "integer >= 0, not the string \"1\"")
	f(`{"timeframe": {"to": 1e19}}`, KindSchema, "timeframe.to", "integer >= 0")
	f(`{"timeframe": {"since": 1}}`, KindSchema, "timeframe.since", "allowed here: from, to")
	f(`{"query": {"relation": ""}}`, KindRelation, "query.relation", "Relation cannot be an empty string")
	f(`{"query": {"relation": 5}}`, KindSchema, "query.relation", "must be a string")
}

func TestParseMultipleErrors(t *testing.T) {
	doc := `{"timeframe": {"from": -1},
	 "query": {"conditions": [{"filter": ["a", "~", 1]}, {"filters": [], "bogus": 1}],
	           "aggregations": [{"column": "x", "type": "avg"}]},
	 "funnel": {"sequence": [{"filter": ["a", "==", null]}]}}`
	_, errs := Parse([]byte(doc))
	want := []string{
		"timeframe.from",
		"query.conditions[0].filter[1]",
		"query.conditions[1].filters",
		"query.conditions[1].bogus",
		"query.aggregations[0].type",
		"funnel.sequence[0].filter[2]",
	}
	if len(errs) != len(want) {
		t.Fatalf("got %d errors, want %d: %v", len(errs), len(want), errs)
	}
	for i, p := range want {
		if errs[i].Kind != KindSchema || errs[i].Path != p {
			t.Fatalf("error %d = %v, want SCHEMA at %s", i, errs[i], p)
		}
	}
}

func TestParseShorthands(t *testing.T) {
	// The original's test_shorthand_filter: the shorthand and the verbose filter parse the same.
	q := mustParse(t, `{"query": {"conditions": [
		{"filter": ["eventId", "==", 1]},
		{"filter": {"column": "eventId", "op": "==", "value": 1}},
		{"filter": ["eventId", "==", 1], "target": ["count", ">=", 2.0]},
		{"filter": ["eventId", "==", 1], "target": {"type": "count", "op": ">=", "value": 2}},
		{"filter": ["eventId", "==", 1], "target": ["sum", "eventValue", ">=", 1]},
		{"filter": ["eventId", "==", 1], "target": {"type": "sum", "op": ">=", "value": 1, "column": "eventValue"}}]}}`)
	cs := q.Query.Conditions
	want := Filter{Column: "eventId", Op: OpEq, Value: IntValue(1)}
	if *cs[0].Filter != want || *cs[1].Filter != want {
		t.Fatalf("filters %+v and %+v, want %+v", *cs[0].Filter, *cs[1].Filter, want)
	}
	if cs[0].Target != nil {
		t.Fatalf("Parse added a target: %+v", cs[0].Target)
	}
	wantCount := Target{Type: TargetCount, Op: OpGe, Value: IntValue(2)} // 2.0 is an integer here
	if *cs[2].Target != wantCount || *cs[3].Target != wantCount {
		t.Fatalf("count targets %+v and %+v, want %+v", *cs[2].Target, *cs[3].Target, wantCount)
	}
	wantSum := Target{Type: TargetSum, Column: "eventValue", Op: OpGe, Value: IntValue(1)}
	if *cs[4].Target != wantSum || *cs[5].Target != wantSum {
		t.Fatalf("sum targets %+v and %+v, want %+v", *cs[4].Target, *cs[5].Target, wantSum)
	}
}

func TestParseValues(t *testing.T) {
	f := func(lit string, want Value) {
		t.Helper()
		q := mustParse(t, `{"query": {"conditions": [{"filter": ["c", "==", `+lit+`]}]}}`)
		if got := q.Query.Conditions[0].Filter.Value; got != want {
			t.Fatalf("value %s parsed as %#v, want %#v", lit, got, want)
		}
	}
	f(`"x"`, StringValue("x"))
	f(`""`, StringValue(""))
	f(`true`, BoolValue(true))
	f(`5`, IntValue(5))
	f(`-9223372036854775808`, IntValue(-9223372036854775808))
	f(`5.0`, FloatValue(5)) // a filter keeps how a number was written
	f(`1.5`, FloatValue(1.5))
	f(`1e3`, FloatValue(1000))
	f(`9223372036854775808`, FloatValue(9223372036854775808))
}

func TestParseTimeframe(t *testing.T) {
	q := mustParse(t, `{"timeframe": {"from": 1600000000000.0, "to": 16e11}}`)
	if *q.Timeframe.From != 1600000000000 || *q.Timeframe.To != 1600000000000 {
		t.Fatalf("timeframe %d..%d", *q.Timeframe.From, *q.Timeframe.To)
	}
	q = mustParse(t, `{"timeframe": {}}`)
	if q.Timeframe == nil || q.Timeframe.From != nil || q.Timeframe.To != nil {
		t.Fatalf("empty timeframe parsed as %+v", q.Timeframe)
	}
}

func TestParseAggregationForms(t *testing.T) {
	arr := mustParse(t, `{"query": {"aggregations": [{"column": "a", "top": 3}, {"column": "b", "type": "sumPerValue", "otherColumn": "c", "name": "n"}]},
		"funnel": {"sequence": [{"filter": ["a", "==", 1]}], "stepAggregations": [{"column": "a"}], "endAggregations": [{"column": "b"}]}}`)
	obj := mustParse(t, `{"query": {"aggregations": {"columns": [{"column": "a", "top": 3}, {"column": "b", "type": "sumPerValue", "otherColumn": "c", "name": "n"}]}},
		"funnel": {"sequence": [{"filter": ["a", "==", 1]}], "stepAggregations": {"columns": [{"column": "a"}]}, "endAggregations": {"columns": [{"column": "b"}]}}}`)
	if !reflect.DeepEqual(arr, obj) {
		t.Fatalf("array and object forms differ:\n%+v\n%+v", arr.Query.Aggregations, obj.Query.Aggregations)
	}
	if a := arr.Query.Aggregations[0]; a.Top == nil || *a.Top != 3 || a.Type != "" {
		t.Fatalf("aggregation parsed as %+v", a)
	}
	// Empty lists parse as absent, so that an expanded query round-trips.
	q := mustParse(t, `{"query": {"conditions": [], "aggregations": {"columns": []}}}`)
	if q.Query.Conditions != nil || q.Query.Aggregations != nil {
		t.Fatalf("empty lists parsed as %+v", q.Query)
	}
}

func TestParseAcceptsExtensions(t *testing.T) {
	// Names may be empty (absent), rowFound true and maxDuration are kept.
	q := mustParse(t, `{"query": {"conditions": [{"name": "", "sequence": [{"filter": ["a", "==", 1], "rowFound": true}], "maxDuration": 60}]},
		"funnel": {"sequence": [{"filters": [{"column": "s", "op": "not contains", "value": "x"}]}], "maxDuration": 10}}`)
	c := q.Query.Conditions[0]
	if c.Name != "" || c.MaxDuration == nil || *c.MaxDuration != 60 || c.Sequence[0].RowFound == nil || !*c.Sequence[0].RowFound {
		t.Fatalf("condition parsed as %+v", c)
	}
	if q.Funnel.MaxDuration == nil || *q.Funnel.MaxDuration != 10 || q.Funnel.Sequence[0].Filters[0].Op != OpNotContains {
		t.Fatalf("funnel parsed as %+v", q.Funnel)
	}
}
