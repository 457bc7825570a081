package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/frocket/frocket/internal/testredis"
)

// The tests in this file run the real binary: `frocket serve --redis` and `frocket worker`
// processes over a real redis-server, and kill them.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// frocketBinary builds the command once per test run.
func frocketBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "frocket-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "frocket")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// proc is a frocket process started by a test.
type proc struct {
	cmd *exec.Cmd
	out *bytes.Buffer
	mu  *sync.Mutex
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// start runs the binary with args and extra environment; the process is killed when the test ends.
func start(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(frocketBinary(t), args...)
	cmd.Env = append(os.Environ(), env...)
	p := &proc{cmd: cmd, out: &bytes.Buffer{}, mu: &sync.Mutex{}}
	cmd.Stdout = lockedWriter{p.mu, p.out}
	cmd.Stderr = lockedWriter{p.mu, p.out}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("output of frocket %s:\n%s", strings.Join(args, " "), p.output())
		}
	})
	return p
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitHTTP waits until the server at base answers /healthz.
func waitHTTP(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("server at %s did not come up", base)
}

func postJSON(t *testing.T, url string, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("decode answer of %s: %v", url, err)
	}
	return resp.StatusCode, out
}

// embeddedAnswer runs a query in process over an embedded catalog, for comparison.
func embeddedAnswer(t *testing.T, data, query string) string {
	t.Helper()
	dd := "--data-dir=" + t.TempDir()
	if code, out, errOut := cli(t, dd, "register", "ev", data, "userId", "timestamp"); code != 0 {
		t.Fatalf("register: %s%s", out, errOut)
	}
	code, out, errOut := cli(t, dd, "run", "ev", "--string", query, "--nopretty")
	if code != 0 {
		t.Fatalf("run: %s%s", out, errOut)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	return answerOf(t, res)
}

func answerOf(t *testing.T, res map[string]any) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"query": res["query"], "funnel": res["funnel"]})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const e2eFunnel = `{"funnel":{"sequence":[{"filter":["eventType","==","pageview"]},{"filter":["eventType","==","addToCart"]}],
  "stepAggregations":[{"column":"device","type":"groupsPerValue"}]}}`

func TestQueueWorkerKilledMidTask(t *testing.T) {
	rs := testredis.Start(t)
	data := genDataset(t, 40000, 4)
	want := embeddedAnswer(t, data, e2eFunnel)

	addr := freeAddr(t)
	base := "http://" + addr
	serverEnv := []string{"FROCKET_INVOKER_RETRY_LOST_INTERVAL=1", "FROCKET_INVOKER_RETRY_FAILED_INTERVAL=0.1",
		"FROCKET_INVOKER_RUN_TIMEOUT=30", "FROCKET_DATA_DIR=" + t.TempDir()}
	start(t, serverEnv, "serve", "--redis", rs.URL(), "--listen", addr)
	waitHTTP(t, base)
	code, reg := postJSON(t, base+"/datasets/register", fmt.Sprintf(
		`{"name":"ev","basepath":%q,"groupIdColumn":"userId","timestampColumn":"timestamp"}`, data))
	if code != 200 || reg["success"] != true {
		t.Fatalf("register: %d %v", code, reg)
	}

	// A slow worker takes the first task; it is killed while holding it.
	slow := start(t, []string{"FROCKET_WORKER_DEBUG_TASK_DELAY_MS=20000"}, "worker", "--redis", rs.URL())
	type result struct {
		code int
		body map[string]any
	}
	done := make(chan result, 1)
	go func() {
		c, b := postJSON(t, base+"/datasets/ev/query", e2eFunnel)
		done <- result{c, b}
	}()

	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr})
	defer rdb.Close()
	slowName := fmt.Sprintf(":%d", slow.cmd.Process.Pid)
	deadline := time.Now().Add(15 * time.Second)
	for held := false; !held; {
		if time.Now().After(deadline) {
			t.Fatal("the slow worker never started a task")
		}
		keys, _ := rdb.Keys(context.Background(), "frocket:req-*:task:attempt:status").Result()
		for _, k := range keys {
			vals, _ := rdb.HVals(context.Background(), k).Result()
			for _, v := range vals {
				if strings.Contains(v, `"LOADING_DATA"`) && strings.Contains(v, slowName) {
					held = true
				}
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := slow.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	start(t, nil, "worker", "--redis", rs.URL())

	select {
	case r := <-done:
		if r.code != 200 || r.body["success"] != true {
			t.Fatalf("query: %d %v", r.code, r.body)
		}
		if got := answerOf(t, r.body); got != want {
			t.Fatalf("answer after a killed worker:\n got %s\nwant %s", got, want)
		}
	case <-time.After(40 * time.Second):
		t.Fatal("query did not finish")
	}
}

func TestServerKilledMidRequestKeysExpire(t *testing.T) {
	rs := testredis.Start(t)
	data := genDataset(t, 5000, 2)
	addr := freeAddr(t)
	base := "http://" + addr
	srv := start(t, []string{"FROCKET_REDIS_REQUEST_TTL=2s", "FROCKET_INVOKER_RUN_TIMEOUT=60"},
		"serve", "--redis", rs.URL(), "--listen", addr)
	waitHTTP(t, base)
	code, reg := postJSON(t, base+"/datasets/register", fmt.Sprintf(
		`{"name":"ev","basepath":%q,"groupIdColumn":"userId","timestampColumn":"timestamp"}`, data))
	if code != 200 || reg["success"] != true {
		t.Fatalf("register: %d %v", code, reg)
	}
	// No worker runs: the request waits, its keys in Redis, until the server is killed.
	go func() {
		resp, err := http.Post(base+"/datasets/ev/query", "application/json", strings.NewReader(`{}`))
		if err == nil {
			resp.Body.Close()
		}
	}()
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr})
	defer rdb.Close()
	ctx := context.Background()
	deadline := time.Now().Add(10 * time.Second)
	var keys []string
	for len(keys) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("request keys never appeared")
		}
		keys, _ = rdb.Keys(ctx, "frocket:req-*").Result()
		time.Sleep(20 * time.Millisecond)
	}
	if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for {
		left, err := rdb.Keys(ctx, "frocket:req-*").Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("request keys of a killed server did not expire: %v", left)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The catalog does not expire.
	if n, err := rdb.HLen(ctx, "frocket:datasets").Result(); err != nil || n != 1 {
		t.Fatalf("catalog: %d %v", n, err)
	}
}

func TestCLIAgainstServer(t *testing.T) {
	data := genDataset(t, 8000, 2)
	addr := freeAddr(t)
	base := "http://" + addr
	start(t, nil, "serve", "--listen", addr, "--data-dir", t.TempDir())
	waitHTTP(t, base)
	srv := "--server=" + base

	if code, out, errOut := cli(t, srv, "register", "ev", data, "userId", "timestamp"); code != 0 || !strings.Contains(out, `"success": true`) {
		t.Fatalf("register: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := cli(t, srv, "list", "--nopretty"); code != 0 || !strings.Contains(out, `"name":"ev"`) {
		t.Fatalf("list: exit %d\n%s", code, out)
	}
	if code, out, _ := cli(t, srv, "info", "ev", "--nopretty"); code != 0 || strings.Count(out, "\n") != 3 || !strings.Contains(out, `"filenames"`) {
		t.Fatalf("info: exit %d\n%s", code, out)
	}
	want := embeddedAnswer(t, data, e2eFunnel)
	code, out, errOut := cli(t, srv, "run", "ev", "--string", e2eFunnel, "--nopretty")
	if code != 0 {
		t.Fatalf("run: exit %d\n%s%s", code, out, errOut)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if got := answerOf(t, res); got != want {
		t.Fatalf("answer through the server:\n got %s\nwant %s", got, want)
	}
	// Validation errors come back with kinds and paths, as locally.
	code, _, errOut = cli(t, srv, "run", "ev", "--string", `{"query":{"conditions":[{"filter":["contry","==","US"]}]}}`)
	if code != 1 || !strings.Contains(errOut, "DATASET_MISMATCH query.conditions[0].filter.column") {
		t.Fatalf("invalid query: exit %d, %s", code, errOut)
	}
	if code, _, errOut := cli(t, srv, "run", "nope", "--empty"); code != 1 || !strings.Contains(errOut, `dataset "nope" not found`) {
		t.Fatalf("unknown dataset: exit %d, %s", code, errOut)
	}
	if code, out, _ := cli(t, srv, "unregister", "ev", "--force"); code != 0 || !strings.Contains(out, `"datasetFound": true`) {
		t.Fatalf("unregister: exit %d\n%s", code, out)
	}
}
