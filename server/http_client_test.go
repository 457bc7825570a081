package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/frocket/frocket/catalog"
	"github.com/frocket/frocket/query"
)

func TestHTTPClient(t *testing.T) {
	e := newHTTPEnv(t, httpOpts{cfg: func(c *HTTPConfig) { c.AuthToken = "tok" }})
	ctx := context.Background()
	c := &Client{BaseURL: e.srv.URL + "/", Token: "tok", HTTP: e.srv.Client()}

	list, err := c.List(ctx)
	if err != nil || list == nil || len(list) != 0 {
		t.Fatalf("List on an empty catalog: %v, %v; want an empty list", list, err)
	}
	reg, err := c.Register(ctx, catalog.RegisterArgs{Name: "events", BasePath: e.dataDir, GroupColumn: "userId",
		TimestampColumn: "timestamp", ValidationMode: catalog.ValidateFirstLast, ValidateUniques: true})
	if err != nil || !reg.Success || reg.Dataset == nil || reg.Dataset.ID.Name != "events" || reg.Dataset.TotalParts != 2 {
		t.Fatalf("Register: %+v, %v", reg, err)
	}
	list, err = c.List(ctx)
	if err != nil || len(list) != 1 || list[0].BasePath != e.dataDir {
		t.Fatalf("List: %+v, %v", list, err)
	}
	short, err := c.Schema(ctx, "events", false)
	if err != nil {
		t.Fatal(err)
	}
	var ss catalog.ShortSchema
	if err := json.Unmarshal(short, &ss); err != nil || ss.Columns["eventType"] != query.ColumnType("STRING") {
		t.Fatalf("short schema %s: %v", short, err)
	}
	full, err := c.Schema(ctx, "events", true)
	if err != nil {
		t.Fatal(err)
	}
	var fs catalog.FullSchema
	if err := json.Unmarshal(full, &fs); err != nil || fs.GroupIDColumn != "userId" || fs.Columns["price"].Coltype != "FLOAT" {
		t.Fatalf("full schema %s: %v", full, err)
	}
	parts, err := c.Parts(ctx, "events")
	if err != nil || parts.TotalParts != 2 || len(parts.Filenames) != 2 {
		t.Fatalf("Parts: %+v, %v", parts, err)
	}

	var mu sync.Mutex
	var progress []Progress
	res, err := c.Query(ctx, "events", []byte(testQuery), func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		progress = append(progress, p)
	})
	if err != nil || !res.Success || res.Query == nil || res.Funnel == nil || len(res.Funnel.Sequence) != 3 {
		t.Fatalf("Query: %+v, %v", res, err)
	}
	if len(progress) == 0 || progress[0].Stage != "RUNNING" || progress[len(progress)-1].Tasks["ENDED_SUCCESS"] != 2 {
		t.Errorf("progress %+v: want RUNNING lines ending with 2 ENDED_SUCCESS", progress)
	}
	local, err := e.eng.Query(ctx, "events", []byte(testQuery), nil)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := mustJSON(t, res.Query), mustJSON(t, local.Query); a != b {
		t.Errorf("remote query result %s differs from the local one %s", a, b)
	}
	if a, b := mustJSON(t, res.Funnel), mustJSON(t, local.Funnel); a != b {
		t.Errorf("remote funnel result %s differs from the local one %s", a, b)
	}
	// Values have the types a local result has.
	if _, ok := res.Query.Aggregations[0].Value.(int64); !ok {
		t.Errorf("count value is %T, want int64", res.Query.Aggregations[0].Value)
	}
	if vm, ok := res.Query.Aggregations[3].Value.(query.ValueMap); !ok || len(vm) != 10 || vm[0].Key != "US" {
		t.Errorf("countPerValue value is %T %v, want a ValueMap in rank order", res.Query.Aggregations[3].Value, res.Query.Aggregations[3].Value)
	}

	// A bad query: the problems come back as query.Errors.
	_, err = c.Query(ctx, "events", []byte(`{"query": {"conditions": [{"filter": ["eventType", "==", 5]}, {"filter": ["nope", "==", 1]}]}}`), nil)
	var qe query.Errors
	if !errors.As(err, &qe) || len(qe) != 2 || qe[0].Kind != query.KindTypeMismatch || qe[1].Kind != query.KindDatasetMismatch {
		t.Fatalf("bad query: %v; want query.Errors with TYPE_MISMATCH and DATASET_MISMATCH", err)
	}
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusBadRequest {
		t.Errorf("bad query: %v, want an *APIError with status 400", err)
	}
	if errors.Is(err, catalog.ErrNotFound) {
		t.Error("a bad query is not ErrNotFound")
	}
	// Unknown datasets.
	for name, call := range map[string]func() error{
		"Query":  func() error { _, err := c.Query(ctx, "nope", []byte(`{}`), nil); return err },
		"Schema": func() error { _, err := c.Schema(ctx, "nope", false); return err },
		"Parts":  func() error { _, err := c.Parts(ctx, "nope"); return err },
	} {
		err := call()
		if !errors.Is(err, catalog.ErrNotFound) || errors.As(err, &qe) {
			t.Errorf("%s of an unknown dataset: %v, want ErrNotFound only", name, err)
		}
	}

	// A registration that runs and fails is a result, not an error.
	failed, err := c.Register(ctx, catalog.RegisterArgs{Name: "empty", BasePath: t.TempDir(), GroupColumn: "userId",
		TimestampColumn: "timestamp"})
	if err != nil || failed.Success || failed.ErrorMessage == "" {
		t.Fatalf("failing registration: %+v, %v", failed, err)
	}
	// Bad arguments are a 400 with INVALID_ARGUMENTS.
	_, err = c.Register(ctx, catalog.RegisterArgs{Name: "bad name", BasePath: e.dataDir, GroupColumn: "a", TimestampColumn: "b"})
	if !errors.As(err, &qe) || qe[0].Kind != query.KindInvalidArgs || qe[0].Path != "name" {
		t.Errorf("bad registration: %v", err)
	}

	// Unregister: refused (queried just now), then forced, then unknown.
	un, err := c.Unregister(ctx, "events", false)
	if err != nil || un.Success || !un.DatasetFound || un.DatasetLastUsed == nil || un.ErrorMessage == "" {
		t.Fatalf("refused Unregister: %+v, %v", un, err)
	}
	un, err = c.Unregister(ctx, "events", true)
	if err != nil || !un.Success || !un.DatasetFound {
		t.Fatalf("forced Unregister: %+v, %v", un, err)
	}
	un, err = c.Unregister(ctx, "events", false)
	if err != nil || !un.Success || un.DatasetFound {
		t.Fatalf("Unregister of an unknown dataset: %+v, %v", un, err)
	}

	// A wrong token.
	bad := &Client{BaseURL: e.srv.URL, Token: "nope", HTTP: e.srv.Client()}
	if _, err := bad.List(ctx); !errors.As(err, &ae) || ae.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong token: %v, want a 401 APIError", err)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestHTTPClientErrors(t *testing.T) {
	ctx := context.Background()
	f := func(status int, body string, check func(error)) {
		t.Helper()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
		}))
		defer srv.Close()
		c := &Client{BaseURL: srv.URL, HTTP: srv.Client()}
		_, err := c.Query(ctx, "x", []byte(`{}`), nil)
		if err == nil {
			t.Fatalf("status %d body %q: no error", status, body)
		}
		check(err)
	}
	// A proxy's plain-text error keeps its text.
	f(502, "Bad Gateway from the proxy", func(err error) {
		var ae *APIError
		if !errors.As(err, &ae) || ae.StatusCode != 502 || ae.Message != "Bad Gateway from the proxy" {
			t.Errorf("got %v", err)
		}
	})
	// An internal error, details hidden.
	f(500, `{"success": false, "errorMessage": "Internal error (request 1-abc)"}`, func(err error) {
		var ae *APIError
		if !errors.As(err, &ae) || ae.Message != "Internal error (request 1-abc)" || errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("got %v", err)
		}
	})
	// A stream that stops before its result.
	f(200, `{"stage": "RUNNING", "message": null, "tasks": {"QUEUED": 1}}`+"\n", func(err error) {
		if !strings.Contains(err.Error(), "ended before the result") {
			t.Errorf("got %v", err)
		}
	})
	f(200, "{not json\n", func(err error) {
		var ae *APIError
		if errors.As(err, &ae) {
			t.Errorf("a broken stream is not an APIError: %v", err)
		}
	})
	// Unreachable server.
	c := &Client{BaseURL: "http://127.0.0.1:1"}
	if _, err := c.List(ctx); err == nil {
		t.Error("unreachable server: no error")
	}
}

func TestHTTPClientAggValues(t *testing.T) {
	line := []byte(`{"success": true, "requestId": "1-a", "query": {"matchingGroups": 1, "matchingGroupRows": 2, "aggregations": [
		{"column": "c", "type": "count", "value": 9007199254740993, "top": null, "name": null},
		{"column": "c", "type": "meanPerValue", "otherColumn": "p", "value": {"z": 2.5, "a": null, "m": 1}, "top": 10, "name": "m"}
	]}, "funnel": {"sequence": [{"matchingGroups": 1, "matchingGroupRows": 2, "aggregations": [
		{"column": "c", "type": "groupsPerValue", "value": {"b": 1, "a": 1}, "top": 10, "name": null}]}],
		"endAggregations": [{"column": "c", "type": "count", "value": 3, "top": null, "name": null}]}}`)
	var res QueryJobResult
	if err := json.Unmarshal(line, &res); err != nil {
		t.Fatal(err)
	}
	if err := restoreAggValues(line, &res); err != nil {
		t.Fatal(err)
	}
	if n, ok := res.Query.Aggregations[0].Value.(int64); !ok || n != 9007199254740993 {
		t.Errorf("count: %T %v, want the exact int64", res.Query.Aggregations[0].Value, res.Query.Aggregations[0].Value)
	}
	vm, ok := res.Query.Aggregations[1].Value.(query.ValueMap)
	if !ok || len(vm) != 3 || vm[0] != (query.KeyValue{Key: "z", Value: 2.5}) || vm[1].Key != "a" || vm[1].Value == vm[1].Value || vm[2].Key != "m" {
		t.Errorf("meanPerValue: %#v, want z, a (NaN), m in order", res.Query.Aggregations[1].Value)
	}
	if got := mustJSON(t, res.Query.Aggregations[1].Value); got != `{"z":2.5,"a":null,"m":1}` {
		t.Errorf("re-encoded %s", got)
	}
	if got := mustJSON(t, res.Funnel.Sequence[0].Aggregations[0].Value); got != `{"b":1,"a":1}` {
		t.Errorf("step aggregation re-encoded %s", got)
	}
	if n, ok := res.Funnel.EndAggregations[0].Value.(int64); !ok || n != 3 {
		t.Errorf("end count: %T %v", res.Funnel.EndAggregations[0].Value, res.Funnel.EndAggregations[0].Value)
	}
}
