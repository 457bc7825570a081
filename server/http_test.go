package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/frocket/frocket/bench"
	"github.com/frocket/frocket/catalog"
	"github.com/frocket/frocket/query"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files under testdata/golden/")

// httpEnv is a test server over a real engine, a FileStore and a generated dataset.
type httpEnv struct {
	srv     *httptest.Server
	eng     *Engine
	dataDir string // the generated dataset's directory
	token   string
}

// httpOpts tweaks newHTTPEnv.
type httpOpts struct {
	cfg    func(*HTTPConfig)
	engine func(*Config)
	inv    Invoker
	store  func(catalog.Store) catalog.Store
}

// testDataset generates a 5000-row, 2-file dataset into a temporary directory.
func testDataset(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	cfg := bench.DefaultGenConfig()
	cfg.Rows, cfg.Files, cfg.Seed, cfg.OutDir = 5000, 2, 7, dir
	if _, err := bench.Generate(context.Background(), cfg); err != nil {
		t.Fatalf("generate: %v", err)
	}
	return dir
}

func newHTTPEnv(t *testing.T, o httpOpts) *httpEnv {
	t.Helper()
	fs, err := catalog.OpenFileStore(filepath.Join(t.TempDir(), "catalog"))
	if err != nil {
		t.Fatal(err)
	}
	var store catalog.Store = fs
	if o.store != nil {
		store = o.store(fs)
	}
	ecfg := DefaultConfig()
	ecfg.Workers = 2
	if o.engine != nil {
		o.engine(&ecfg)
	}
	eng, err := NewEngine(store, o.inv, ecfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultHTTPConfig()
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	h, err := NewHandler(eng, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &httpEnv{srv: srv, eng: eng, dataDir: testDataset(t), token: cfg.AuthToken}
}

// register registers the generated dataset as name through the engine.
func (e *httpEnv) register(t *testing.T, name string) {
	t.Helper()
	res, err := e.eng.Register(context.Background(), catalog.RegisterArgs{Name: name, BasePath: e.dataDir,
		GroupColumn: "userId", TimestampColumn: "timestamp", ValidateUniques: true}, nil)
	if err != nil || !res.Success {
		t.Fatalf("register: %v %+v", err, res)
	}
}

type httpAnswer struct {
	status int
	header http.Header
	body   []byte
}

func (e *httpEnv) do(t *testing.T, method, path string, body []byte, header ...string) httpAnswer {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if e.token != "" {
		req.Header.Set("Authorization", "Bearer "+e.token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return httpAnswer{status: resp.StatusCode, header: resp.Header, body: b}
}

func (a httpAnswer) want(t *testing.T, status int) httpAnswer {
	t.Helper()
	if a.status != status {
		t.Fatalf("status %d, want %d; body: %s", a.status, status, a.body)
	}
	ct := a.header.Get("Content-Type")
	if !strings.HasPrefix(ct, "application/json") && !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Fatalf("Content-Type %q, want application/json (or the metrics text format)", ct)
	}
	return a
}

// errorBody decodes an ErrorResponse and checks its shape.
func (a httpAnswer) errorBody(t *testing.T) ErrorResponse {
	t.Helper()
	var r ErrorResponse
	dec := json.NewDecoder(bytes.NewReader(a.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("error body %s: %v", a.body, err)
	}
	if r.Success || r.ErrorMessage == "" {
		t.Fatalf("error body %s: want success false and a message", a.body)
	}
	return r
}

var (
	reRequestID = regexp.MustCompile(`\b\d{9,11}-[0-9a-f]{8}\b`)
	reTiming    = regexp.MustCompile(`"(invokeLatency|loadTime|totalTime|taskSuccessOverTime)": \{[^}]*\}`)
	reSeconds   = regexp.MustCompile(`"(totalTime|enqueueTime|pollTime)": [0-9.e+-]+`)
	reStamp     = regexp.MustCompile(`"(registeredAt|datasetLastUsed)": ("[^"]*"|\d+)`)
	reLastUsed  = regexp.MustCompile(`last used \d+ seconds ago`)
)

// normalise replaces what varies between runs: request ids, timings, registration and use times,
// and the data directory.
func (e *httpEnv) normalise(b []byte) []byte {
	s := strings.ReplaceAll(string(b), e.dataDir, "$DATA")
	s = reRequestID.ReplaceAllString(s, "<request-id>")
	s = reTiming.ReplaceAllString(s, `"$1": "<varies>"`)
	s = reSeconds.ReplaceAllString(s, `"$1": "<varies>"`)
	s = reStamp.ReplaceAllString(s, `"$1": "<varies>"`)
	s = reLastUsed.ReplaceAllString(s, "last used N seconds ago")
	return []byte(s)
}

// golden compares the normalised body with testdata/golden/name.json (rewritten with -update).
func (e *httpEnv) golden(t *testing.T, name string, body []byte) {
	t.Helper()
	got := e.normalise(body)
	path := filepath.Join("testdata", "golden", name+".json")
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./server/ -run HTTP -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s:\n%s", name, path, got)
	}
}

// testQuery uses every section of the language over the generated columns.
const testQuery = `{
  "query": {
    "conditions": [
      {"filter": ["eventType", "==", "addToCart"]},
      {"name": "buyers", "filter": {"column": "eventType", "op": "==", "value": "purchase"}, "target": ["count", ">=", 1]}
    ],
    "relation": "$0 or $buyers",
    "aggregations": [{"column": "device"}, {"column": "country", "type": "countPerValue", "name": "countries"}]
  },
  "funnel": {
    "sequence": [
      {"filter": ["eventType", "==", "pageview"]},
      {"filter": ["eventType", "==", "addToCart"]},
      {"filter": ["eventType", "==", "purchase"]}
    ],
    "stepAggregations": [{"column": "device", "type": "groupsPerValue"}],
    "endAggregations": [{"column": "price", "type": "count"}]
  }
}`

func TestHTTPEndpoints(t *testing.T) {
	e := newHTTPEnv(t, httpOpts{})
	e.golden(t, "list_empty", e.do(t, "GET", "/datasets", nil).want(t, 200).body)

	body := fmt.Sprintf(`{"name": "events", "basepath": %q, "groupIdColumn": "userId", "timestampColumn": "timestamp", "validationMode": "FIRST_LAST"}`, e.dataDir)
	e.golden(t, "register", e.do(t, "POST", "/datasets/register", []byte(body)).want(t, 200).body)
	e.golden(t, "list", e.do(t, "GET", "/datasets", nil).want(t, 200).body)
	e.golden(t, "schema_short", e.do(t, "GET", "/datasets/events/schema", nil).want(t, 200).body)
	e.golden(t, "schema_full", e.do(t, "GET", "/datasets/events/schema?full=%20TRUE%20", nil).want(t, 200).body)
	e.golden(t, "parts", e.do(t, "GET", "/datasets/events/parts", nil).want(t, 200).body)
	q := e.do(t, "POST", "/datasets/events/query", []byte(testQuery)).want(t, 200)
	e.golden(t, "query", q.body)
	var res QueryJobResult
	if err := json.Unmarshal(q.body, &res); err != nil || !res.Success || res.Funnel == nil {
		t.Fatalf("query result %s: %v", q.body, err)
	}
	if res.Stats.Worker.ScannedRows != 5000 || res.Stats.Invoker.TotalTasks != 2 {
		t.Errorf("stats: scanned %d rows in %d tasks, want 5000 in 2", res.Stats.Worker.ScannedRows, res.Stats.Invoker.TotalTasks)
	}
	e.golden(t, "empty_query", e.do(t, "GET", "/datasets/events/empty-query", nil).want(t, 200).body)

	// Queried just now: unregistering needs force (500 with the result, as the original).
	e.golden(t, "unregister_refused", e.do(t, "POST", "/datasets/events/unregister", nil).want(t, 500).body)
	e.golden(t, "unregister_forced", e.do(t, "POST", "/datasets/events/unregister?force=true", nil).want(t, 200).body)
	e.golden(t, "unregister_unknown", e.do(t, "POST", "/datasets/events/unregister", nil).want(t, 200).body)
	if got := e.do(t, "GET", "/datasets", nil).want(t, 200).body; !bytes.Equal(bytes.TrimSpace(got), []byte("[]")) {
		t.Errorf("list after unregister: %s, want []", got)
	}
	h := e.do(t, "GET", "/healthz", nil).want(t, 200)
	if !bytes.Contains(h.body, []byte(`"status": "ok"`)) {
		t.Errorf("healthz: %s", h.body)
	}
}

func TestHTTPJobFailures(t *testing.T) {
	e := newHTTPEnv(t, httpOpts{})
	empty := t.TempDir()
	body := fmt.Sprintf(`{"name": "nothing", "basepath": %q, "group_id_column": "userId", "timestamp_column": "timestamp"}`, empty)
	a := e.do(t, "POST", "/datasets/register", []byte(body)).want(t, 500)
	var reg RegisterJobResult
	if err := json.Unmarshal(a.body, &reg); err != nil || reg.Success || reg.ErrorMessage == "" || reg.RequestID == "" {
		t.Fatalf("failed registration: %s (%v)", a.body, err)
	}

	// A part removed after registration fails the query job: 500 with the job result.
	e.register(t, "events")
	if err := os.Remove(filepath.Join(e.dataDir, "part-00001.parquet")); err != nil {
		t.Fatal(err)
	}
	a = e.do(t, "POST", "/datasets/events/query", []byte(`{}`)).want(t, 500)
	var res QueryJobResult
	if err := json.Unmarshal(a.body, &res); err != nil || res.Success || !strings.Contains(res.ErrorMessage, "Task errors") || res.Stats == nil {
		t.Fatalf("failed query: %s (%v)", a.body, err)
	}
	// Streamed, the failure is the last line of a 200.
	lines := streamLines(t, e.do(t, "POST", "/datasets/events/query?stream=true", []byte(`{}`)).want(t, 200))
	var last QueryJobResult
	if err := json.Unmarshal(lines[len(lines)-1], &last); err != nil || last.Success || last.ErrorMessage == "" {
		t.Fatalf("last line %s (%v)", lines[len(lines)-1], err)
	}
}

// streamLines splits a streamed answer into lines, checking each is one JSON document.
func streamLines(t *testing.T, a httpAnswer) [][]byte {
	t.Helper()
	if te := a.header.Get("Content-Length"); te != "" {
		t.Errorf("streamed answer has Content-Length %s, want chunked", te)
	}
	var lines [][]byte
	sc := bufio.NewScanner(bytes.NewReader(a.body))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		l := append([]byte(nil), sc.Bytes()...)
		if !json.Valid(l) {
			t.Fatalf("line %d is not JSON: %s", len(lines), l)
		}
		lines = append(lines, l)
	}
	if len(lines) == 0 {
		t.Fatal("empty stream")
	}
	return lines
}

// checkProgress checks progress lines: the shape, no repeated line, and task counts summing to
// tasks (when tasks > 0).
func checkProgress(t *testing.T, lines [][]byte, tasks int) {
	t.Helper()
	for i, l := range lines {
		var p map[string]json.RawMessage
		if err := json.Unmarshal(l, &p); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"stage", "message", "tasks"} {
			if _, ok := p[k]; !ok || len(p) != 3 {
				t.Fatalf("progress line %s: want exactly stage, message and tasks", l)
			}
		}
		if i > 0 && bytes.Equal(l, lines[i-1]) {
			t.Errorf("line %d repeats the one before: %s", i, l)
		}
		if tasks == 0 {
			continue
		}
		var counts map[string]int
		if err := json.Unmarshal(p["tasks"], &counts); err != nil {
			t.Fatal(err)
		}
		sum := 0
		for status, n := range counts {
			if n <= 0 {
				t.Errorf("line %s: status %s has count %d; only non-zero counts appear", l, status, n)
			}
			sum += n
		}
		if sum != tasks {
			t.Errorf("line %s: counts sum to %d, want %d", l, sum, tasks)
		}
	}
}

func TestHTTPStreaming(t *testing.T) {
	e := newHTTPEnv(t, httpOpts{})
	body := fmt.Sprintf(`{"name": "events", "basepath": %q, "groupIdColumn": "userId", "timestampColumn": "timestamp"}`, e.dataDir)
	lines := streamLines(t, e.do(t, "POST", "/datasets/register?stream=true", []byte(body)).want(t, 200))
	// STARTING (discovery), then one line per inspected part (2 sampled parts), then the result.
	if len(lines) != 5 {
		t.Fatalf("register stream: %d lines, want 5: %s", len(lines), bytes.Join(lines, []byte("\n")))
	}
	checkProgress(t, lines[:1], 0)
	checkProgress(t, lines[1:4], 2)
	if want := `{"stage":"STARTING","message":"Discovering files in ` + e.dataDir + `","tasks":{}}`; string(lines[0]) != want {
		t.Errorf("first line %s, want %s", lines[0], want)
	}
	if want := `{"stage":"RUNNING","message":"Validating sampled files","tasks":{"ENDED_SUCCESS":2}}`; string(lines[3]) != want {
		t.Errorf("last progress line %s, want %s", lines[3], want)
	}
	var reg RegisterJobResult
	if err := json.Unmarshal(lines[4], &reg); err != nil || !reg.Success || reg.Dataset == nil {
		t.Fatalf("register result line %s (%v)", lines[4], err)
	}

	for _, c := range []struct{ method, path, body string }{
		{"POST", "/datasets/events/query?stream=true", testQuery},
		{"GET", "/datasets/events/empty-query?stream=TRUE", ""},
	} {
		var body []byte
		if c.body != "" {
			body = []byte(c.body)
		}
		lines := streamLines(t, e.do(t, c.method, c.path, body).want(t, 200))
		if len(lines) < 2 {
			t.Fatalf("%s: %d lines, want progress then the result", c.path, len(lines))
		}
		checkProgress(t, lines[:len(lines)-1], 2)
		var first, lastProgress struct{ Tasks map[string]int }
		_ = json.Unmarshal(lines[0], &first)
		_ = json.Unmarshal(lines[len(lines)-2], &lastProgress)
		if first.Tasks["QUEUED"] != 2 || lastProgress.Tasks["ENDED_SUCCESS"] != 2 {
			t.Errorf("%s: first progress %v, last %v; want 2 QUEUED then 2 ENDED_SUCCESS", c.path, first.Tasks, lastProgress.Tasks)
		}
		var res QueryJobResult
		if err := json.Unmarshal(lines[len(lines)-1], &res); err != nil || !res.Success {
			t.Fatalf("%s: last line %s (%v)", c.path, lines[len(lines)-1], err)
		}
		// The streamed result is the plain one.
		plainPath := strings.Split(c.path, "?")[0]
		plain := e.do(t, c.method, plainPath, body).want(t, 200)
		var compact bytes.Buffer
		if err := json.Compact(&compact, plain.body); err != nil {
			t.Fatal(err)
		}
		if got, want := e.normalise(lines[len(lines)-1]), e.normalise(compact.Bytes()); !bytes.Equal(got, want) {
			// Timings are compact here, so compare without the stats.
			if !bytes.Equal(stripStats(t, got), stripStats(t, want)) {
				t.Errorf("%s: streamed result %s\ndiffers from %s", c.path, got, want)
			}
		}
	}
	// A validation error is not streamed.
	a := e.do(t, "POST", "/datasets/events/query?stream=true", []byte(`{"bad": 1}`)).want(t, 400)
	a.errorBody(t)
	e.do(t, "POST", "/datasets/nope/query?stream=true", []byte(`{}`)).want(t, 404).errorBody(t)
}

func stripStats(t *testing.T, b []byte) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "stats")
	delete(m, "requestId")
	out, _ := json.Marshal(m)
	return out
}

func TestHTTPBadQuery(t *testing.T) {
	e := newHTTPEnv(t, httpOpts{})
	e.register(t, "events")
	type wantErr struct {
		kind query.ErrorKind
		path string
	}
	f := func(name, body string, want ...wantErr) {
		t.Helper()
		a := e.do(t, "POST", "/datasets/events/query", []byte(body)).want(t, 400)
		r := a.errorBody(t)
		if len(r.Errors) != len(want) {
			t.Fatalf("%s: %d errors, want %d: %s", name, len(r.Errors), len(want), a.body)
		}
		for i, w := range want {
			if got := r.Errors[i]; got.Kind != w.kind || got.Path != w.path || got.Message == "" {
				t.Errorf("%s: error %d is %+v, want kind %s at %q", name, i, got, w.kind, w.path)
			}
		}
		if !strings.HasPrefix(r.ErrorMessage, "Query validation failed: ") {
			t.Errorf("%s: errorMessage %q", name, r.ErrorMessage)
		}
	}
	f("parse", "{\n  \"query\": {\"conditions\": [}\n}", wantErr{query.KindParse, ""})
	f("empty", "", wantErr{query.KindParse, ""})
	f("schema", `{"blah": 1}`, wantErr{query.KindSchema, "blah"})
	f("relation", `{"query": {"conditions": [{"filter": ["eventType", "==", "x"]}], "relation": "$0 and $5"}}`,
		wantErr{query.KindRelation, "query.relation"})

	// Every dataset problem is listed, in document order.
	a := e.do(t, "POST", "/datasets/events/query", []byte(`{"query": {"conditions": [
		{"filter": ["eventType", "==", 5]},
		{"filter": ["nope", "==", 1]}
	]}}`)).want(t, 400)
	r := a.errorBody(t)
	if len(r.Errors) != 2 || r.Errors[0].Kind != query.KindTypeMismatch || r.Errors[1].Kind != query.KindDatasetMismatch ||
		!strings.HasPrefix(r.Errors[0].Path, "query.conditions[0]") || !strings.HasPrefix(r.Errors[1].Path, "query.conditions[1]") {
		t.Errorf("errors %+v, want TYPE_MISMATCH at conditions[0] and DATASET_MISMATCH at conditions[1]", r.Errors)
	}
	if !strings.Contains(r.ErrorMessage, "and 1 more problem)") {
		t.Errorf("errorMessage %q does not count the other problem", r.ErrorMessage)
	}
	e.golden(t, "bad_query", a.body)

	parse := e.do(t, "POST", "/datasets/events/query", []byte("{\n  \"query\": {\"conditions\": [}\n}")).errorBody(t)
	if !strings.Contains(parse.Errors[0].Message, "line 2, column 28") {
		t.Errorf("parse error %q does not point at line 2, column 28", parse.Errors[0].Message)
	}
}

func TestHTTPBadRegisterArgs(t *testing.T) {
	e := newHTTPEnv(t, httpOpts{})
	type wantErr struct {
		kind query.ErrorKind
		path string
		msg  string // a part of the message
	}
	f := func(name, body string, want ...wantErr) httpAnswer {
		t.Helper()
		a := e.do(t, "POST", "/datasets/register", []byte(body)).want(t, 400)
		r := a.errorBody(t)
		if len(r.Errors) != len(want) {
			t.Fatalf("%s: %d errors, want %d: %s", name, len(r.Errors), len(want), a.body)
		}
		for i, w := range want {
			if got := r.Errors[i]; got.Kind != w.kind || got.Path != w.path || !strings.Contains(got.Message, w.msg) {
				t.Errorf("%s: error %d is %+v, want kind %s at %q saying %q", name, i, got, w.kind, w.path, w.msg)
			}
		}
		return a
	}
	inv := query.KindInvalidArgs
	a := f("everything wrong", `{"name": "bad name", "basepath": 5, "group_id_column": "u", "timestampColumn": "u",
		"validationMode": "first_last", "validate_uniques": 123, "extra": true}`,
		wantErr{inv, "name", "invalid dataset name"},
		wantErr{inv, "basepath", "5 is not a string"},
		wantErr{inv, "timestampColumn", "are both"},
		wantErr{inv, "validationMode", "'first_last' is not a valid validation mode"},
		wantErr{inv, "validate_uniques", "123 is not a bool"},
		wantErr{inv, "extra", "unknown argument"},
	)
	e.golden(t, "bad_register", a.body)
	f("missing", `{"name": "x", "basepath": "/tmp"}`,
		wantErr{inv, "groupIdColumn", "'groupIdColumn' is missing"},
		wantErr{inv, "timestampColumn", "'timestampColumn' is missing"})
	f("both spellings", `{"name": "x", "basepath": "/tmp", "groupIdColumn": "u", "group_id_column": "u", "timestampColumn": "t"}`,
		wantErr{inv, "group_id_column", "give it once"})
	f("malformed", "{\"name\": \"x\",\n \"basepath\" \"/tmp\"}", wantErr{query.KindParse, "", "line 2, column 13"})
	f("truncated", `{"name": "x"`, wantErr{query.KindParse, "", "line 1, column 13"})
	f("trailing", `{"name": "x"} {}`, wantErr{query.KindParse, "", "after the JSON object"})
	f("empty", ``, wantErr{query.KindParse, "", "empty"})
	f("not an object", `["x"]`, wantErr{inv, "", "must be a JSON object"})
	f("null", `null`, wantErr{inv, "", "must be a JSON object"})
}

func TestHTTPNotFound(t *testing.T) {
	e := newHTTPEnv(t, httpOpts{})
	for _, c := range []struct{ method, path string }{
		{"GET", "/datasets/nope/schema"},
		{"GET", "/datasets/nope/schema?full=true"},
		{"GET", "/datasets/nope/parts"},
		{"POST", "/datasets/nope/query"},
		{"GET", "/datasets/nope/empty-query"},
	} {
		r := e.do(t, c.method, c.path, []byte(`{}`)).want(t, 404).errorBody(t)
		if r.ErrorMessage != "Dataset nope not found" {
			t.Errorf("%s %s: %q", c.method, c.path, r.ErrorMessage)
		}
	}
	for _, p := range []string{"/", "/nope", "/datasets/x/y/z", "/datasets/"} {
		e.do(t, "GET", p, nil).want(t, 404).errorBody(t)
	}
}

func TestHTTPMethodNotAllowed(t *testing.T) {
	e := newHTTPEnv(t, httpOpts{})
	for path, allowed := range map[string]string{
		"/datasets/register":      "POST",
		"/datasets/x/unregister":  "POST",
		"/datasets":               "GET",
		"/datasets/x/schema":      "GET",
		"/datasets/x/parts":       "GET",
		"/datasets/x/query":       "POST",
		"/datasets/x/empty-query": "GET",
		"/metrics":                "GET",
		"/healthz":                "GET",
	} {
		for _, m := range []string{"GET", "POST", "PUT", "DELETE"} {
			if m == allowed {
				continue
			}
			a := e.do(t, m, path, nil).want(t, 405)
			a.errorBody(t)
			if got := a.header.Get("Allow"); got != allowed {
				t.Errorf("%s %s: Allow %q, want %q", m, path, got, allowed)
			}
		}
	}
}

func TestHTTPBodyLimit(t *testing.T) {
	e := newHTTPEnv(t, httpOpts{cfg: func(c *HTTPConfig) { c.MaxBodyBytes = 1024 }})
	e.register(t, "events")
	huge := append(append([]byte(`{"query": {"conditions": [`), bytes.Repeat([]byte(`{"filter": ["eventType", "==", "x"]},`), 60)...), `{}]}}`...)
	for _, path := range []string{"/datasets/events/query", "/datasets/register"} {
		r := e.do(t, "POST", path, huge).want(t, 413).errorBody(t)
		if !strings.Contains(r.ErrorMessage, "1024") {
			t.Errorf("%s: %q does not give the limit", path, r.ErrorMessage)
		}
		// Without a Content-Length, the limit is found while reading.
		req, _ := http.NewRequest("POST", e.srv.URL+path, io.MultiReader(bytes.NewReader(huge)))
		req.ContentLength = -1
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 413 {
			t.Errorf("%s chunked: status %d, want 413", path, resp.StatusCode)
		}
	}
	// Just under the limit is fine.
	e.do(t, "POST", "/datasets/events/query", append([]byte(`{}`), bytes.Repeat([]byte(" "), 1000)...)).want(t, 200)
}

func TestHTTPAuth(t *testing.T) {
	e := newHTTPEnv(t, httpOpts{cfg: func(c *HTTPConfig) { c.AuthToken = "s3cret" }})
	e.token = ""
	for _, h := range [][]string{nil, {"Authorization", "Bearer wrong"}, {"Authorization", "s3cret"}, {"Authorization", "Basic s3cret"}} {
		a := e.do(t, "GET", "/datasets", nil, h...).want(t, 401)
		a.errorBody(t)
		if a.header.Get("WWW-Authenticate") == "" {
			t.Error("401 without WWW-Authenticate")
		}
	}
	e.do(t, "GET", "/datasets/x/schema", nil).want(t, 401)
	e.do(t, "GET", "/datasets", nil, "Authorization", "Bearer s3cret").want(t, 200)
	e.do(t, "GET", "/datasets", nil, "Authorization", "bearer  s3cret ").want(t, 200)
	e.do(t, "GET", "/healthz", nil).want(t, 200)
	e.do(t, "GET", "/metrics", nil).want(t, 200)
}

func TestHTTPAdminDisabled(t *testing.T) {
	e := newHTTPEnv(t, httpOpts{cfg: func(c *HTTPConfig) { c.AdminActions = false }})
	e.register(t, "events")
	for _, c := range []struct{ method, path string }{
		{"POST", "/datasets/register"},
		{"POST", "/datasets/events/unregister?force=true"},
		{"GET", "/datasets/events/parts"},
	} {
		r := e.do(t, c.method, c.path, []byte(`{}`)).want(t, 403).errorBody(t)
		if r.ErrorMessage != "Not supported: admin actions are disabled" {
			t.Errorf("%s %s: %q", c.method, c.path, r.ErrorMessage)
		}
	}
	e.do(t, "GET", "/datasets", nil).want(t, 200)
	e.do(t, "GET", "/datasets/events/schema", nil).want(t, 200)
	e.do(t, "GET", "/datasets/events/empty-query", nil).want(t, 200)
}

// brokenStore fails List with an error that must not leak.
type brokenStore struct{ catalog.Store }

func (brokenStore) List(context.Context) ([]*catalog.Dataset, error) {
	return nil, errors.New("disk on fire at /secret/path")
}

func TestHTTPErrorDetails(t *testing.T) {
	for _, details := range []bool{false, true} {
		e := newHTTPEnv(t, httpOpts{
			cfg:   func(c *HTTPConfig) { c.ErrorDetails = details },
			store: func(s catalog.Store) catalog.Store { return brokenStore{s} },
		})
		a := e.do(t, "GET", "/datasets", nil).want(t, 500)
		r := a.errorBody(t)
		id := a.header.Get("X-Request-Id")
		want := "Internal error (request " + id + ")"
		if id == "" || !strings.HasPrefix(r.ErrorMessage, want) {
			t.Errorf("details %v: message %q, want it to start with %q", details, r.ErrorMessage, want)
		}
		if leaked := strings.Contains(string(a.body), "/secret/path"); leaked != details {
			t.Errorf("details %v: body %s", details, a.body)
		}
		if !details && r.ErrorMessage != want {
			t.Errorf("message %q, want exactly %q", r.ErrorMessage, want)
		}
		// Validation errors are always explained.
		e.do(t, "GET", "/datasets/nope/schema", nil).want(t, 404)
	}
}

func TestHTTPHealthCheck(t *testing.T) {
	var fail error
	var mu sync.Mutex
	e := newHTTPEnv(t, httpOpts{cfg: func(c *HTTPConfig) {
		c.Health = func(context.Context) error { mu.Lock(); defer mu.Unlock(); return fail }
	}})
	e.do(t, "GET", "/healthz", nil).want(t, 200)
	mu.Lock()
	fail = errors.New("redis down")
	mu.Unlock()
	a := e.do(t, "GET", "/healthz", nil).want(t, 503)
	if !bytes.Contains(a.body, []byte(`"status": "unavailable"`)) || !bytes.Contains(a.body, []byte("redis down")) {
		t.Errorf("healthz: %s", a.body)
	}
}

func TestHTTPConfigValidate(t *testing.T) {
	if err := DefaultHTTPConfig().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	c := HTTPConfig{Listen: "nohost", AuthToken: "a b", MaxBodyBytes: 0, RequestTimeout: 0, ShutdownTimeout: -1}
	err := c.Validate()
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{"listen address", "auth token", "max body bytes", "request timeout", "shutdown timeout"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not mention %s", err, want)
		}
	}
	if _, err := NewHandler(nil, DefaultHTTPConfig(), nil); err == nil {
		t.Error("NewHandler without an engine: want an error")
	}
}
