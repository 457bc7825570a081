package query

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestExpandGolden expands every testdata/expand/<name>.json and compares the result with
// <name>.golden.json (as JSON values, numbers by their text). Run with -update to rewrite them.
func TestExpandGolden(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "expand", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, in := range inputs {
		if strings.HasSuffix(in, ".golden.json") {
			continue
		}
		n++
		src, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		q, errs := Parse(src)
		if len(errs) > 0 {
			t.Fatalf("%s: %v", in, errs)
		}
		if errs := Expand(q, DefaultConfig()); len(errs) > 0 {
			t.Fatalf("%s: %v", in, errs)
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(q); err != nil {
			t.Fatal(err)
		}
		got := buf.Bytes()
		golden := strings.TrimSuffix(in, ".json") + ".golden.json"
		if *update {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if !reflect.DeepEqual(decodeJSON(t, got), decodeJSON(t, want)) {
			t.Fatalf("%s expanded to\n%s\nwant (%s)\n%s", in, got, golden, want)
		}
	}
	if n < 3 {
		t.Fatalf("found only %d inputs", n)
	}
}

func decodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

// expandDoc parses and expands doc, failing the test on any error.
func expandDoc(t *testing.T, doc string) *Query {
	t.Helper()
	q := mustParse(t, doc)
	if errs := Expand(q, DefaultConfig()); len(errs) > 0 {
		t.Fatalf("Expand(%s): %v", doc, errs)
	}
	return q
}

// expandErr returns a closure that wants Expand of doc to fail with kind at path.
func expandErr(t *testing.T) func(doc string, kind ErrorKind, path, msg string) {
	return func(doc string, kind ErrorKind, path, msg string) {
		t.Helper()
		q := mustParse(t, doc)
		errs := Expand(q, DefaultConfig())
		if !hasError(errs, kind, path, msg) {
			t.Fatalf("Expand(%s) = %v\nwant %s at %q containing %q", doc, errs, kind, path, msg)
		}
	}
}

const simpleFilter = `["eventId", "==", 1]`

// TestIncludeZero is the original's test_include_zero_validity.
func TestIncludeZero(t *testing.T) {
	doc := func(target, iz string) string {
		c := `{"filter": ` + simpleFilter + `, "target": ` + target
		if iz != "" {
			c += `, "includeZero": ` + iz
		}
		return `{"query": {"conditions": [` + c + `}]}}`
	}
	valid := func(target, iz string) {
		t.Helper()
		expandDoc(t, doc(target, iz))
	}
	invalid := func(target, iz, msg string) {
		t.Helper()
		expandErr(t)(doc(target, iz), KindTypeMismatch, "query.conditions[0].includeZero", msg)
	}
	valid(`["count", "==", 0]`, "true")
	valid(`["count", "!=", 1]`, "true")
	valid(`["count", "<=", 10]`, "true")
	valid(`["count", "<=", 0]`, "true")
	valid(`["count", "<", 1]`, "true")
	valid(`["count", ">=", 0]`, "true")
	valid(`["count", "==", 1]`, "false")
	valid(`["count", "!=", 0]`, "false")
	valid(`["count", ">", 0]`, "false")
	valid(`["count", ">=", 1]`, "false")
	valid(`["sum", "eventValue", ">", 1]`, "false")
	invalid(`["count", "==", 0]`, "false", "When using a target of count == 0, 'includeZero' cannot be false")
	invalid(`["count", "==", 1]`, "true", "Target count == 1 explicitly precludes zero")
	invalid(`["count", "!=", 0]`, "true", "Target count != 0 explicitly precludes zero")
	invalid(`["count", "<", 0]`, "true", "Target count < 0 implies a negative value")
	invalid(`["count", ">", 0]`, "true", "For target operator '>', 'includeZero' cannot be true")
	invalid(`["count", ">=", 1]`, "true", "Target count >= 1 explicitly precludes zero")
	invalid(`["sum", "eventValue", ">", 1]`, "true", "'includeZero' is not applicable for target type 'sum'")

	// count == 0 without includeZero gets includeZero true; other targets are left alone.
	q := expandDoc(t, doc(`["count", "==", 0]`, ""))
	if iz := q.Query.Conditions[0].IncludeZero; iz == nil || !*iz {
		t.Fatalf("includeZero = %v, want true", iz)
	}
	q = expandDoc(t, doc(`["count", "<", 3]`, ""))
	if iz := q.Query.Conditions[0].IncludeZero; iz != nil {
		t.Fatalf("includeZero = %v, want it absent", *iz)
	}
}

// TestExpandDefaultTarget is the original's test_shorthand_and_default_target.
func TestExpandDefaultTarget(t *testing.T) {
	q := expandDoc(t, `{"query": {"conditions": [
		{"filter": `+simpleFilter+`},
		{"filters": [{"column": "eventId", "op": "==", "value": 1}]},
		{"filter": `+simpleFilter+`, "target": ["sum", "eventValue", ">=", 1]},
		{"sequence": [{"filter": `+simpleFilter+`}]}]}}`)
	def := Target{Type: TargetCount, Op: OpGe, Value: IntValue(1)}
	cs := q.Query.Conditions
	if *cs[0].Target != def || *cs[1].Target != def {
		t.Fatalf("default targets %+v, %+v; want %+v", cs[0].Target, cs[1].Target, def)
	}
	if want := (Target{Type: TargetSum, Column: "eventValue", Op: OpGe, Value: IntValue(1)}); *cs[2].Target != want {
		t.Fatalf("sum target %+v, want %+v", cs[2].Target, want)
	}
	if cs[3].Target != nil {
		t.Fatalf("a sequence condition got a target: %+v", cs[3].Target)
	}
}

// TestExpandAggregations is the original's test_aggregation_expansion, plus top.
func TestExpandAggregations(t *testing.T) {
	q := expandDoc(t, `{"query": {"aggregations": [
			{"type": "count", "column": "transactionId"},
			{"type": "sumPerValue", "column": "transactionId", "otherColumn": "eventValue", "top": 3},
			{"column": "eventId"},
			{"column": "goalId", "top": 7}]},
		"funnel": {"sequence": [{"filter": `+simpleFilter+`}],
			"stepAggregations": [{"column": "eventId"}],
			"endAggregations": {"columns": [{"column": "eventId"}]}}}`)
	top := func(n int) *int { return &n }
	want := []Aggregation{
		{Column: "transactionId", Type: AggCount, Top: top(10)},
		{Column: "transactionId", Type: AggSumPerValue, OtherColumn: "eventValue", Top: top(3)},
		{Column: "eventId", Type: AggCount, Top: top(10)},
		{Column: "eventId", Type: AggCountPerValue, Top: top(10)},
		{Column: "eventId", Type: AggGroupsPerValue, Top: top(10)},
		{Column: "goalId", Type: AggCount, Top: top(7)},
		{Column: "goalId", Type: AggCountPerValue, Top: top(7)},
		{Column: "goalId", Type: AggGroupsPerValue, Top: top(7)},
	}
	if !reflect.DeepEqual(q.Query.Aggregations, want) {
		got, _ := json.Marshal(q.Query.Aggregations)
		t.Fatalf("aggregations expanded to %s", got)
	}
	if len(q.Funnel.StepAggregations) != 3 || len(q.Funnel.EndAggregations) != 3 {
		t.Fatalf("funnel aggregations expanded to %d and %d entries, want 3 and 3", len(q.Funnel.StepAggregations), len(q.Funnel.EndAggregations))
	}
	// Expanded entries have their own top.
	*q.Query.Aggregations[2].Top = 99
	if *q.Query.Aggregations[3].Top != 10 {
		t.Fatal("expanded aggregations share their top")
	}

	// The configured default applies; zero means 10.
	q = mustParse(t, `{"query": {"aggregations": [{"column": "a", "type": "countPerValue"}]}}`)
	if errs := Expand(q, Config{DefaultTop: 25}); len(errs) > 0 || *q.Query.Aggregations[0].Top != 25 {
		t.Fatalf("top = %d (%v), want 25", *q.Query.Aggregations[0].Top, errs)
	}
	q = mustParse(t, `{"query": {"aggregations": [{"column": "a", "type": "countPerValue"}]}}`)
	if errs := Expand(q, Config{}); len(errs) > 0 || *q.Query.Aggregations[0].Top != 10 {
		t.Fatalf("top = %d (%v), want 10", *q.Query.Aggregations[0].Top, errs)
	}
}

// TestExpandAggregationErrors covers the original's test_aggregation_other_column (its schema
// part) and test_default_aggr_name.
func TestExpandAggregationErrors(t *testing.T) {
	f := expandErr(t)
	end := func(a string) string {
		return `{"funnel": {"sequence": [{"filter": ` + simpleFilter + `}], "endAggregations": [` + a + `]}}`
	}
	expandDoc(t, end(`{"column": "eventId", "type": "sumPerValue", "otherColumn": "eventValue"}`))
	f(end(`{"column": "eventId", "type": "countPerValue", "otherColumn": "eventValue"}`), KindSchema, "funnel.endAggregations[0].otherColumn", "other column name is not relevant but was given")
	f(end(`{"column": "eventId", "type": "sumPerValue"}`), KindSchema, "funnel.endAggregations[0]", "other column name is required but was not found")
	f(end(`{"column": "eventId", "type": "meanPerValue"}`), KindSchema, "funnel.endAggregations[0]", "other column name is required")
	f(end(`{"column": "eventId", "otherColumn": "eventValue"}`), KindSchema, "funnel.endAggregations[0].otherColumn", "has no type")

	step := `{"funnel": {"sequence": [{"filter": ` + simpleFilter + `}], "stepAggregations": [{"column": "eventId", "type": "count", "name": "aggr1"}, {"column": "eventId"%s}]}}`
	expandDoc(t, strings.Replace(step, "%s", "", 1))
	f(strings.Replace(step, "%s", `, "name": "mename"`, 1), KindSchema, "funnel.stepAggregations[1].name", "expands into multiple default aggregations")
}

// TestExpandNames covers the original's test_valid_condition_names and test_name_uniqueness.
func TestExpandNames(t *testing.T) {
	named := func(names ...string) string {
		var cs []string
		for _, n := range names {
			b, _ := json.Marshal(n)
			cs = append(cs, `{"name": `+string(b)+`, "filter": `+simpleFilter+`}`)
		}
		return `{"query": {"conditions": [` + strings.Join(cs, ", ") + `]}}`
	}
	expandDoc(t, named("a", "zrubi_1_a_234", "PORQUE", "zz12123123"))
	f := expandErr(t)
	for _, n := range []string{"1", "2asd", "$1", "$adsas", "import crazy", " a", "b ", "&&", "||", "é"} {
		f(named(n), KindSchema, "query.conditions[0].name", "Invalid identifier name")
	}
	for _, n := range []string{"and", "or", "AND", "Or"} {
		f(named(n), KindSchema, "query.conditions[0].name", "is not a valid condition name")
	}

	const base = `{"query": {
		"conditions": [{"name": "name0", "filter": ` + simpleFilter + `}, {"name": "name1", "filter": ` + simpleFilter + `}, {"name": "%c", "filter": ` + simpleFilter + `}],
		"aggregations": [{"name": "name0", "type": "count", "column": "transactionId"}, {"name": "%q", "type": "count", "column": "transactionId"}]},
	  "funnel": {"sequence": [{"filter": ` + simpleFilter + `}, {"filter": ` + simpleFilter + `}],
		"stepAggregations": [{"name": "name0", "type": "count", "column": "transactionId"}, {"name": "%s", "type": "count", "column": "transactionId"}],
		"endAggregations": [{"name": "name0", "type": "count", "column": "transactionId"}, {"name": "%e", "type": "count", "column": "transactionId"}]}}`
	doc := func(c, q, s, e string) string {
		return strings.NewReplacer("%c", c, "%q", q, "%s", s, "%e", e).Replace(base)
	}
	// Names may repeat across scopes, and differ in case within one.
	expandDoc(t, doc("name2", "name1", "name1", "name1"))
	expandDoc(t, doc("NAME0", "Name0", "nAme0", "naMe0"))
	f(doc("name0", "name1", "name1", "name1"), KindSchema, "query.conditions[2].name", "Identifier name 'name0' is not unique in scope 'query.conditions' (also used at query.conditions[0].name)")
	f(doc("name2", "name0", "name1", "name1"), KindSchema, "query.aggregations[1].name", "not unique in scope 'query.aggregations'")
	f(doc("name2", "name1", "name0", "name1"), KindSchema, "funnel.stepAggregations[1].name", "not unique in scope 'funnel.stepAggregations'")
	f(doc("name2", "name1", "name1", "name0"), KindSchema, "funnel.endAggregations[1].name", "not unique in scope 'funnel.endAggregations'")
}

// TestExpandRelation covers the original's test_shorthand_relation.
func TestExpandRelation(t *testing.T) {
	three := func(rel string) string {
		r := ""
		if rel != "-" {
			b, _ := json.Marshal(rel)
			r = `"relation": ` + string(b) + `, `
		}
		return `{"query": {` + r + `"conditions": [{"name": "name0", "filter": ` + simpleFilter + `}, {"name": "name1", "filter": ` + simpleFilter + `}, {"name": "name2", "filter": ` + simpleFilter + `}]}}`
	}
	f := func(rel, wantRel, wantTree string) {
		t.Helper()
		v := mustCompile(t, three(rel), nil)
		if v.Query.Query.Relation != wantRel || v.Relation.String() != wantTree {
			t.Fatalf("relation %q expanded to %q (%s), want %q (%s)", rel, v.Query.Query.Relation, v.Relation, wantRel, wantTree)
		}
	}
	f("-", "$0 and $1 and $2", "$0 and $1 and $2")
	f("OR", "$0 or $1 or $2", "$0 or $1 or $2")
	f(" || ", "$0 || $1 || $2", "$0 or $1 or $2")
	f("&&", "$0 && $1 && $2", "$0 and $1 and $2")
	f("And", "$0 and $1 and $2", "$0 and $1 and $2")
	f("$name2 or $NAME0", "$name2 or $NAME0", "$2 or $0") // kept as written

	bad := compileErr(t, nil)
	bad(three(""), KindRelation, "query.relation", "Relation cannot be an empty string")
	bad(three("   "), KindRelation, "query.relation", "Relation cannot be an empty string")
	bad(three("mosh"), KindRelation, "query.relation", "Query relation is invalid around 'mosh'")
	bad(three("$name3"), KindRelation, "query.relation", "Condition named name3 does not exist")
	bad(`{"query": {"relation": "and"}}`, KindRelation, "query.relation", "there are no conditions")
	bad(`{"query": {"relation": "$0"}}`, KindRelation, "query.relation", "Condition no. 0 does not exist (the query has no conditions)")

	// No conditions and no relation: nothing to combine.
	for _, doc := range []string{`{}`, `{"query": {}}`, `{"query": {"conditions": []}}`} {
		v := mustCompile(t, doc, nil)
		if v.Relation != nil || v.Query.Query != nil && v.Query.Query.Relation != "" {
			t.Fatalf("%s: relation %v", doc, v.Relation)
		}
	}
	// Of two names that differ only in case, the later wins (as in the original).
	v := mustCompile(t, `{"query": {"relation": "$x", "conditions": [{"name": "x", "filter": `+simpleFilter+`}, {"name": "X", "filter": `+simpleFilter+`}]}}`, nil)
	if v.Relation.String() != "$1" {
		t.Fatalf("relation $x resolved to %s, want $1", v.Relation)
	}
}

func TestExpandTimeframe(t *testing.T) {
	f := expandErr(t)
	f(`{"timeframe": {"from": 1600918400516, "to": 1590918400516}}`, KindSchema, "timeframe.to", "Value of 'to' (exclusive) should be larger than 'from' (inclusive)")
	f(`{"timeframe": {"from": 5, "to": 5}}`, KindSchema, "timeframe.to", "larger")
	expandDoc(t, `{"timeframe": {"from": 5, "to": 6}}`)
	expandDoc(t, `{"timeframe": {"to": 0}}`)
}

func TestExpandIdempotent(t *testing.T) {
	for _, doc := range roundTripDocs(t) {
		q := expandDoc(t, doc)
		again := q.Clone()
		if errs := Expand(again, DefaultConfig()); len(errs) > 0 {
			t.Fatalf("second Expand(%s): %v", doc, errs)
		}
		if !reflect.DeepEqual(q, again) {
			a, _ := json.Marshal(q)
			b, _ := json.Marshal(again)
			t.Fatalf("second Expand changed\n%s\ninto\n%s", a, b)
		}
	}
}

// TestExpandStructure checks a Query built in code: what Parse refuses is reported, without panics.
func TestExpandStructure(t *testing.T) {
	f := func(q *Query, path, msg string) {
		t.Helper()
		errs := Expand(q, DefaultConfig())
		if !hasError(errs, KindSchema, path, msg) {
			t.Fatalf("Expand = %v, want SCHEMA at %q containing %q", errs, path, msg)
		}
	}
	cond := func(c Condition) *Query { return &Query{Query: &QuerySection{Conditions: []Condition{c}}} }
	good := &Filter{Column: "a", Op: OpEq, Value: IntValue(1)}
	neg := int64(-1)
	no := false
	zero := 0
	f(cond(Condition{}), "query.conditions[0]", "needs one of")
	f(cond(Condition{Filter: good, Sequence: []Step{{Filter: good}}}), "query.conditions[0]", "not filter and sequence together")
	f(cond(Condition{Filters: []Filter{}}), "query.conditions[0].filters", "non-empty")
	f(cond(Condition{Sequence: []Step{}}), "query.conditions[0].sequence", "non-empty")
	f(cond(Condition{Filter: &Filter{Column: "a", Op: "regex", Value: IntValue(1)}}), "query.conditions[0].filter.op", "not a filter operator")
	f(cond(Condition{Filter: &Filter{Op: OpEq, Value: IntValue(1)}}), "query.conditions[0].filter.column", "non-empty")
	f(cond(Condition{Filter: &Filter{Column: "a", Op: OpEq}}), "query.conditions[0].filter.value", "string, number or boolean")
	f(cond(Condition{Filter: good, Target: &Target{Type: TargetCount, Op: OpGt, Value: FloatValue(1.5)}}), "query.conditions[0].target.value", "integer >= 0")
	f(cond(Condition{Filter: good, Target: &Target{Type: "avg", Op: OpGt, Value: IntValue(1)}}), "query.conditions[0].target.type", `"count" or "sum"`)
	f(cond(Condition{Filter: good, Target: &Target{Type: TargetSum, Op: OpContains, Value: IntValue(1)}}), "query.conditions[0].target.op", "not a target operator")
	f(cond(Condition{Filter: good, Target: &Target{Type: TargetSum, Op: OpGt, Value: IntValue(1)}}), "query.conditions[0].target.column", "non-empty")
	f(cond(Condition{Sequence: []Step{{Filter: good}}, Target: &Target{}}), "query.conditions[0].target", "no target")
	f(cond(Condition{Sequence: []Step{{Filter: good, RowFound: &no}}}), "query.conditions[0].sequence[0].rowFound", "not supported yet")
	f(cond(Condition{Sequence: []Step{{}}}), "query.conditions[0].sequence[0]", `needs "filter" or "filters"`)
	f(cond(Condition{Filter: good, MaxDuration: &neg}), "query.conditions[0].maxDuration", ">= 0")
	f(&Query{Timeframe: &Timeframe{From: &neg}}, "timeframe.from", ">= 0")
	f(&Query{Funnel: &Funnel{}}, "funnel.sequence", "non-empty")
	f(&Query{Query: &QuerySection{Aggregations: []Aggregation{{Column: "a", Top: &zero}}}}, "query.aggregations[0].top", "from 1")
	f(&Query{Query: &QuerySection{Aggregations: []Aggregation{{Column: "a", Type: "median"}}}}, "query.aggregations[0].type", "not an aggregation type")
	f(&Query{Query: &QuerySection{Aggregations: []Aggregation{{Type: AggCount}}}}, "query.aggregations[0].column", "non-empty")
}

func TestConfig(t *testing.T) {
	if c := DefaultConfig(); c.DefaultTop != 10 || c.Validate() != nil {
		t.Fatalf("DefaultConfig() = %+v", c)
	}
	if err := (Config{DefaultTop: -1}).Validate(); err == nil {
		t.Fatal("a negative DefaultTop should not validate")
	}
	if err := (Config{}).Validate(); err != nil {
		t.Fatalf("the zero Config should validate: %v", err)
	}
}
