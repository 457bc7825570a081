package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/frocket/frocket/bench"
)

// cli runs the command line in process and returns its exit code, stdout and stderr.
func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := runMain(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// genDataset writes a small generated dataset and returns its directory.
func genDataset(t *testing.T, rows int64, files int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "events")
	cfg := bench.DefaultGenConfig()
	cfg.Rows, cfg.Files, cfg.Seed, cfg.OutDir = rows, files, 7, dir
	if _, err := bench.Generate(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestCLIWorkflow(t *testing.T) {
	data := genDataset(t, 20000, 3)
	dd := "--data-dir=" + t.TempDir()

	code, out, errOut := cli(t, dd, "register", "events", data, "userId", "timestamp", "--validation", "first_last")
	if code != 0 {
		t.Fatalf("register: exit %d\n%s%s", code, out, errOut)
	}
	var reg struct {
		Success bool
		Dataset struct {
			BasePath   string `json:"basepath"`
			TotalParts int    `json:"totalParts"`
		}
	}
	if err := json.Unmarshal([]byte(out), &reg); err != nil || !reg.Success || reg.Dataset.TotalParts != 3 {
		t.Fatalf("register output: %v\n%s", err, out)
	}

	code, out, _ = cli(t, dd, "list", "--nopretty")
	if code != 0 || !strings.Contains(out, `"name":"events"`) {
		t.Fatalf("list: exit %d\n%s", code, out)
	}

	code, out, _ = cli(t, dd, "info", "events", "--full", "--nopretty")
	if code != 0 || strings.Count(out, "\n") != 3 || !strings.Contains(out, `"eventType"`) {
		t.Fatalf("info: exit %d\n%s", code, out)
	}

	code, out, errOut = cli(t, dd, "run", "events", "--empty")
	if code != 0 {
		t.Fatalf("run --empty: exit %d\n%s%s", code, out, errOut)
	}
	var res struct {
		Success bool
		Query   struct{ MatchingGroups, MatchingGroupRows int64 }
		Stats   struct {
			Worker struct{ ScannedRows int64 }
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || !res.Success {
		t.Fatalf("run output: %v\n%s", err, out)
	}
	if res.Query.MatchingGroupRows != 20000 || res.Stats.Worker.ScannedRows != 20000 || res.Query.MatchingGroups == 0 {
		t.Fatalf("empty query: %+v", res)
	}

	funnel := `{"funnel":{"sequence":[{"filter":["eventType","==","pageview"]},{"filter":["eventType","==","addToCart"]}]}}`
	code, out, errOut = cli(t, dd, "run", "events", "--string", funnel, "--table")
	if code != 0 || !strings.Contains(out, "Funnel:") || !strings.Contains(out, "100.0%") {
		t.Fatalf("run --table: exit %d\n%s%s", code, out, errOut)
	}

	// Queried a moment ago: unregister needs --force.
	code, _, errOut = cli(t, dd, "unregister", "events")
	if code != 1 || !strings.Contains(errOut, "safety interval") {
		t.Fatalf("unregister without force: exit %d, %s", code, errOut)
	}
	code, out, _ = cli(t, dd, "unregister", "events", "--force")
	if code != 0 || !strings.Contains(out, `"datasetFound": true`) {
		t.Fatalf("unregister --force: exit %d\n%s", code, out)
	}
	code, out, _ = cli(t, dd, "unregister", "events")
	if code != 0 || !strings.Contains(out, `"datasetFound": false`) {
		t.Fatalf("second unregister: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(data, "part-00000.parquet")); err != nil {
		t.Fatalf("unregister must not remove files: %v", err)
	}
}

func TestCLIErrors(t *testing.T) {
	data := genDataset(t, 3000, 2)
	dd := "--data-dir=" + t.TempDir()
	if code, out, errOut := cli(t, dd, "register", "ev", data, "userId", "timestamp"); code != 0 {
		t.Fatalf("register: exit %d\n%s%s", code, out, errOut)
	}
	f := func(wantCode int, wantErr string, args ...string) {
		t.Helper()
		code, out, errOut := cli(t, append([]string{dd}, args...)...)
		if code != wantCode || !strings.Contains(errOut, wantErr) {
			t.Fatalf("%v: exit %d (want %d), stderr %q (want %q), stdout %q", args, code, wantCode, errOut, wantErr, out)
		}
	}
	f(2, "unknown command", "nosuch")
	f(2, "expected 1 argument", "run")
	f(2, "exactly one of", "run", "ev")
	f(2, "exactly one of", "run", "ev", "--empty", "--string", "{}")
	f(1, `dataset "nope" not found`, "run", "nope", "--empty")
	f(1, "query file not found", "run", "ev", "--file", filepath.Join(t.TempDir(), "missing.json"))
	f(1, "PARSE", "run", "ev", "--string", `{"query": `)
	f(1, "DATASET_MISMATCH query.conditions[0].filter.column", "run", "ev", "--string", `{"query":{"conditions":[{"filter":["contry","==","US"]}]}}`)
	// Every problem is reported at once.
	code, _, errOut := cli(t, dd, "run", "ev", "--string", `{"query":{"conditions":[{"filter":["contry","==","US"]},{"filter":["price","contains","x"]}]}}`)
	if code != 1 || !strings.Contains(errOut, "contry") || !strings.Contains(errOut, "query.conditions[1]") {
		t.Fatalf("two problems: exit %d, %s", code, errOut)
	}
	f(1, "registration failed", "register", "bad", filepath.Join(t.TempDir(), "nodir"), "userId", "timestamp")
	f(1, "registration failed", "register", "bad", data, "nosuchcolumn", "timestamp")
	f(2, "--validation", "register", "bad", data, "userId", "timestamp", "--validation", "all")
	f(2, "unknown log level", "--loglevel", "loud", "list")
	f(2, "needs Redis", "serve", "--invoker", "lambda")
	f(2, "invoker", "serve", "--invoker", "bogus", "--redis", "redis://127.0.0.1:1/0")
}

func TestCLICorruptPart(t *testing.T) {
	data := genDataset(t, 3000, 2)
	dd := "--data-dir=" + t.TempDir()
	if code, out, errOut := cli(t, dd, "register", "ev", data, "userId", "timestamp"); code != 0 {
		t.Fatalf("register: exit %d\n%s%s", code, out, errOut)
	}
	// The file is damaged after registration: the query fails, naming the part.
	part := filepath.Join(data, "part-00001.parquet")
	if err := os.WriteFile(part, []byte("this is not parquet"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := cli(t, dd, "run", "ev", "--empty", "--nopretty")
	if code != 1 || !strings.Contains(out, `"success":false`) || !strings.Contains(out, "part-00001.parquet") {
		t.Fatalf("corrupt part: exit %d\n%s\n%s", code, out, errOut)
	}
}

func TestCLIPrepare(t *testing.T) {
	in := filepath.Join(t.TempDir(), "in")
	if code, out, errOut := cli(t, "gen", "--rows", "6000", "--files", "2", "--unsorted", "--out", in); code != 0 {
		t.Fatalf("gen: %s%s", out, errOut)
	}
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, errOut := cli(t, "prepare", "--input", in, "--output", out, "--group-id", "userId", "--timestamp", "timestamp", "--files", "3")
	if code != 0 || !strings.Contains(stdout, "prepared 6000 rows") {
		t.Fatalf("prepare: exit %d\n%s%s", code, stdout, errOut)
	}
	// The prepared dataset answers like the original.
	dd := "--data-dir=" + t.TempDir()
	answers := map[string]string{}
	for name, dir := range map[string]string{"in": in, "out": out} {
		if code, o, e := cli(t, dd, "register", name, dir, "userId", "timestamp"); code != 0 {
			t.Fatalf("register %s: %s%s", name, o, e)
		}
		code, o, e := cli(t, dd, "run", name, "--string", e2eFunnel, "--nopretty")
		if code != 0 {
			t.Fatalf("run %s: %s%s", name, o, e)
		}
		var res map[string]any
		if err := json.Unmarshal([]byte(o), &res); err != nil {
			t.Fatal(err)
		}
		answers[name] = answerOf(t, res)
	}
	if answers["in"] != answers["out"] {
		t.Fatalf("prepared dataset answers differently:\n%s\n%s", answers["in"], answers["out"])
	}
	// Refuses to overwrite without --force.
	if code, _, errOut := cli(t, "prepare", "--input", in, "--output", out, "--group-id", "userId", "--timestamp", "timestamp", "--files", "3"); code == 0 || !strings.Contains(errOut, "force") {
		t.Fatalf("second prepare: exit %d, %s", code, errOut)
	}
}
