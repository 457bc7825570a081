package query

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// origSchema is the dataset of the original's validator tests; its timestamps have 13 digits.
func origSchema() *Schema {
	return &Schema{
		GroupColumn:     "userId",
		TimestampColumn: "ts",
		Columns: map[string]ColumnType{
			"userId": TypeInt, "ts": TypeInt, "eventId": TypeInt, "rowType": TypeString,
			"eventType": TypeString, "eventValue": TypeFloat, "goalValue": TypeFloat, "isCool": TypeBool,
			"device": TypeString, "transactionId": TypeInt, "goalId": TypeInt,
		},
		Unsupported:       map[string]string{"tags": "LIST<STRING>"},
		MinTimestamp:      1590918400516,
		MaxTimestamp:      1618918400516,
		HasTimestampRange: true,
	}
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustParse(t testing.TB, doc string) *Query {
	t.Helper()
	q, errs := Parse([]byte(doc))
	if len(errs) > 0 {
		t.Fatalf("Parse(%s): %v", doc, errs)
	}
	return q
}

func mustCompile(t testing.TB, doc string, schema *Schema) *Validated {
	t.Helper()
	v, errs := Compile([]byte(doc), schema, DefaultConfig())
	if len(errs) > 0 {
		t.Fatalf("Compile(%s): %v", doc, errs)
	}
	return v
}

// hasError reports whether errs holds an error of the kind at the path whose message contains msg.
func hasError(errs Errors, kind ErrorKind, path, msg string) bool {
	for _, e := range errs {
		if e.Kind == kind && e.Path == path && strings.Contains(e.Message, msg) {
			return true
		}
	}
	return false
}

// compileErr returns a closure that compiles doc against schema and wants an error of the kind at
// the path, whose message contains msg.
func compileErr(t *testing.T, schema *Schema) func(doc string, kind ErrorKind, path, msg string) {
	return func(doc string, kind ErrorKind, path, msg string) {
		t.Helper()
		v, errs := Compile([]byte(doc), schema, DefaultConfig())
		if v != nil || len(errs) == 0 {
			t.Fatalf("Compile(%s) succeeded, want %s at %q", doc, kind, path)
		}
		if !hasError(errs, kind, path, msg) {
			t.Fatalf("Compile(%s) = %v\nwant %s at %q containing %q", doc, errs, kind, path, msg)
		}
	}
}

func TestCompileErrorKinds(t *testing.T) {
	f := compileErr(t, origSchema())
	f(`{"query": `, KindParse, "", "line 1, column 11: unexpected end of JSON input")
	f(`{"query": {"conditions": [{"filter": ["eventId", "like", 1]}]}}`, KindSchema, "query.conditions[0].filter[1]", `the string "like" is not a filter operator`)
	f(`{"query": {"conditions": [{"filter": ["eventId", "==", 1], "target": ["count", ">", 0], "includeZero": true}]}}`,
		KindTypeMismatch, "query.conditions[0].includeZero", "For target operator '>', 'includeZero' cannot be true")
	f(`{"query": {"relation": "$0 or $3", "conditions": [{"filter": ["eventId", "==", 1]}]}}`, KindRelation, "query.relation", "Condition no. 3 does not exist")
	f(`{"query": {"conditions": [{"filter": ["price", "==", 1]}]}}`, KindDatasetMismatch, "query.conditions[0].filter.column", "Column 'price' not in dataset")
	f(`{"query": {"conditions": [{"filter": ["eventValue", "contains", "1"]}]}}`, KindTypeMismatch, "query.conditions[0].filter.op",
		`column "eventValue" is FLOAT; operator "contains" applies only to STRING columns (use ==, !=, >, >=, <, <=)`)

	if _, errs := Validate(nil, nil, DefaultConfig()); !hasError(errs, KindInvalidArgs, "", "no query") {
		t.Fatalf("Validate(nil) = %v, want INVALID_ARGUMENTS", errs)
	}
	if errs := Expand(nil, DefaultConfig()); !hasError(errs, KindInvalidArgs, "", "no query") {
		t.Fatalf("Expand(nil) = %v, want INVALID_ARGUMENTS", errs)
	}
}

func TestCompileStages(t *testing.T) {
	schema := origSchema()
	// Shape problems stop before the language checks, which stop before the dataset checks.
	doc := `{"query": {"conditions": [{"filter": ["nope", "==", 1], "target": ["count", ">", 0], "includeZero": true}, {"hello": 1, "filter": ["eventId", "==", 1]}]}}`
	_, errs := Compile([]byte(doc), schema, DefaultConfig())
	if len(errs) != 1 || errs[0].Kind != KindSchema || errs[0].Path != "query.conditions[1].hello" {
		t.Fatalf("got %v, want only the unknown key", errs)
	}
	doc = `{"query": {"conditions": [{"filter": ["nope", "==", 1], "target": ["count", ">", 0], "includeZero": true}, {"name": "1x", "filter": ["eventId", "==", 1]}]}}`
	_, errs = Compile([]byte(doc), schema, DefaultConfig())
	if len(errs) != 2 || errs[0].Kind != KindTypeMismatch || errs[1].Kind != KindSchema {
		t.Fatalf("got %v, want the includeZero and name errors only", errs)
	}
	// Every dataset problem is reported at once, in document order.
	doc = `{"timeframe": {"from": 123},
	        "query": {"conditions": [{"filter": ["nope", "==", 1]}, {"filter": ["isCool", ">", "yes"], "target": ["sum", "device", ">", 1]}],
	                  "aggregations": [{"column": "tags"}, {"column": "goalId", "type": "meanPerValue", "otherColumn": "missing"}]},
	        "funnel": {"sequence": [{"filters": [{"column": "eventId", "op": "==", "value": "7"}]}]}}`
	_, errs = Compile([]byte(doc), schema, DefaultConfig())
	want := []struct {
		kind ErrorKind
		path string
	}{
		{KindTypeMismatch, "timeframe.from"},
		{KindDatasetMismatch, "query.conditions[0].filter.column"},
		{KindTypeMismatch, "query.conditions[1].filter.op"},
		{KindTypeMismatch, "query.conditions[1].filter.value"},
		{KindTypeMismatch, "query.conditions[1].target.column"},
		{KindDatasetMismatch, "query.aggregations[0].column"},
		{KindDatasetMismatch, "query.aggregations[1].otherColumn"},
		{KindTypeMismatch, "funnel.sequence[0].filters[0].value"},
	}
	if len(errs) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(errs), len(want), errs)
	}
	for i, w := range want {
		if errs[i].Kind != w.kind || errs[i].Path != w.path {
			t.Fatalf("error %d = %v, want %s at %s", i, errs[i], w.kind, w.path)
		}
	}
}

// roundTrip checks that the expanded query re-encodes, re-parses and re-validates to an equal query
// and relation.
func roundTrip(t testing.TB, v *Validated, cfg Config) {
	t.Helper()
	b, err := json.Marshal(v.Query)
	if err != nil {
		t.Fatalf("marshal expanded query: %v", err)
	}
	q2, errs := Parse(b)
	if len(errs) > 0 {
		t.Fatalf("reparse %s: %v", b, errs)
	}
	v2, errs := Validate(q2, nil, cfg)
	if len(errs) > 0 {
		t.Fatalf("revalidate %s: %v", b, errs)
	}
	if !reflect.DeepEqual(v.Query, v2.Query) {
		b2, _ := json.Marshal(v2.Query)
		t.Fatalf("round trip changed the query:\n%s\n%s", b, b2)
	}
	if (v.Relation == nil) != (v2.Relation == nil) || v.Relation != nil && v.Relation.String() != v2.Relation.String() {
		t.Fatalf("round trip changed the relation: %v vs %v", v.Relation, v2.Relation)
	}
	again := v.Query.Clone()
	if errs := Expand(again, cfg); len(errs) > 0 || !reflect.DeepEqual(again, v.Query) {
		t.Fatalf("expanding the expanded query changed it (%v)", errs)
	}
}

func TestRoundTrip(t *testing.T) {
	for _, doc := range roundTripDocs(t) {
		v := mustCompile(t, doc, nil)
		roundTrip(t, v, DefaultConfig())
	}
}

func roundTripDocs(t testing.TB) []string {
	docs := []string{
		`{}`,
		`{"query": {}}`,
		`{"query": {"conditions": []}}`,
		`{"timeframe": {}}`,
		`{"timeframe": {"from": 0, "to": 1e3}}`,
		`{"query": {"conditions": [{"filter": ["a", "==", -0.0]}, {"filter": ["b", "!=", 1e300]}, {"filter": ["c", "<", 12345678901234567890]}]}}`,
		`{"query": {"conditions": [{"filter": ["a", "==", 2.0], "target": ["count", "==", 3.0]}, {"filter": ["s", "contains", "\u2028<&>"]}], "relation": "||"}}`,
		`{"query": {"conditions": [{"name": "A", "sequence": [{"filter": ["e", "==", "x"], "rowFound": true}], "maxDuration": 5}, {"name": "a", "filter": ["e", "==", true], "includeZero": false}], "relation": "$A or $0"}}`,
		`{"funnel": {"sequence": [{"filter": ["e", "==", "x"]}], "stepAggregations": {"columns": [{"column": "c", "top": 1}]}, "endAggregations": []}}`,
	}
	for _, name := range []string{"example.json", "reference_2_8.json", "columns_form.json"} {
		docs = append(docs, string(readTestdata(t, filepath.Join("expand", name))))
	}
	return docs
}

// fuzzSchema has a column of each type under short names a fuzzer can hit.
func fuzzSchema() *Schema {
	return &Schema{
		GroupColumn: "u", TimestampColumn: "t",
		Columns:      map[string]ColumnType{"u": TypeInt, "t": TypeInt, "i": TypeInt, "f": TypeFloat, "b": TypeBool, "s": TypeString},
		Unsupported:  map[string]string{"l": "LIST"},
		MinTimestamp: 1000, MaxTimestamp: 9999, HasTimestampRange: true,
	}
}

func FuzzParse(f *testing.F) {
	for _, doc := range roundTripDocs(f) {
		f.Add([]byte(doc))
	}
	for _, doc := range []string{
		`{"query": {"conditions": [{"filter": ["s", "==", "x"], "target": ["sum", "f", ">", 1.5]}]}}`,
		`{"query": {"relation": "$0and($1 or $x)", "conditions": [{"filter": ["i", ">", 1]}, {"name": "x", "filters": [{"column": "b", "op": "==", "value": false}]}]}}`,
		`{"query": {"conditions": [{"filter": {"column": "s", "op": "not contains", "value": "q"}, "target": {"type": "count", "op": "<", "value": 1}, "includeZero": true}]}}`,
		`{"query": {"aggregations": [{"column": "s", "type": "sumPerValue", "otherColumn": "f", "name": "n", "top": 3}]}}`,
		`{"timeframe": {"from": 1000, "to": 2000}, "funnel": {"sequence": [{"filter": ["s", "==", "a"]}, {"filter": ["s", "==", "b"]}], "maxDuration": 10}}`,
		`{"query": {"conditions": [{"filter": ["s", "=="]}]}}`,
		`{"query": {"relation": "", "conditions": [{"sequence": [], "target": [1]}]}}`,
		"{\n\"query\": 1,\n\"query\": [}",
	} {
		f.Add([]byte(doc))
	}
	cfg := DefaultConfig()
	schema := fuzzSchema()
	f.Fuzz(func(t *testing.T, data []byte) {
		q, errs := Parse(data)
		if len(errs) > 0 {
			if q != nil {
				t.Fatal("Parse returned a query and errors")
			}
			for _, e := range errs {
				if e.Kind == "" || e.Message == "" {
					t.Fatalf("error without a kind or message: %#v", e)
				}
			}
			return
		}
		// Validation against a schema must not panic, whatever it finds.
		if _, errs := Validate(q, schema, cfg); len(errs) > 0 && errs[0].Kind == "" {
			t.Fatalf("error without a kind: %v", errs)
		}
		v, errs := Validate(q, nil, cfg)
		if len(errs) > 0 {
			return
		}
		roundTrip(t, v, cfg)
	})
}
