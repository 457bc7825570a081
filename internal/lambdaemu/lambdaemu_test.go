package lambdaemu

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

// echoEnv makes the test binary, started as a bootstrap, run echoFunction instead of the tests.
const echoEnv = "LAMBDAEMU_TEST_FUNCTION"

// echoRequest is the test function's event.
type echoRequest struct {
	SleepMillis int      `json:"sleepMs"`
	Env         []string `json:"env"`
	Fail        bool     `json:"fail"`
}

// echoResponse is what the test function answers.
type echoResponse struct {
	PID  int               `json:"pid"`
	Cold bool              `json:"cold"`
	Env  map[string]string `json:"env"`
}

func TestMain(m *testing.M) {
	if os.Getenv(echoEnv) == "1" {
		started := false
		lambda.Start(func(ctx context.Context, req echoRequest) (echoResponse, error) {
			cold := !started
			started = true
			time.Sleep(time.Duration(req.SleepMillis) * time.Millisecond)
			if req.Fail {
				return echoResponse{}, errors.New("asked to fail")
			}
			out := echoResponse{PID: os.Getpid(), Cold: cold, Env: map[string]string{}}
			for _, k := range req.Env {
				out.Env[k] = os.Getenv(k)
			}
			return out, nil
		})
		return
	}
	os.Exit(m.Run())
}

// startEcho runs a pool of n emulators over this test binary as the function.
func startEcho(t *testing.T, n int) *Pool {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return Start(t, Config{Bootstrap: self, Processes: n, FunctionName: "echo",
		Env: []string{echoEnv + "=1", "ECHO_MARK=m1", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=1536"}})
}

// invoke posts one invocation and returns the status, the function error header and the body.
func invoke(t *testing.T, p *Pool, name, typ string, req echoRequest) (int, string, []byte) {
	t.Helper()
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	hr, err := http.NewRequest(http.MethodPost, p.Endpoint()+"/2015-03-31/functions/"+name+"/invocations", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if typ != "" {
		hr.Header.Set("X-Amz-Invocation-Type", typ)
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatalf("invoke: %v\n%s", err, p.Logs())
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("X-Amz-Function-Error"), b
}

func TestRequestResponseColdWarmAndEnv(t *testing.T) {
	p := startEcho(t, 2)
	keys := []string{"ECHO_MARK", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_NAME", "AWS_REGION",
		"FROCKET_WORKER_CACHE_DIR", "AWS_LAMBDA_RUNTIME_API"}
	// Two concurrent slow calls land on the two processes, both cold; later calls are warm.
	var wg sync.WaitGroup
	answers := make([]echoResponse, 6)
	for round := range 3 {
		for i := range 2 {
			wg.Go(func() {
				status, fnErr, body := invoke(t, p, "echo", "RequestResponse", echoRequest{SleepMillis: 300, Env: keys})
				if status != http.StatusOK || fnErr != "" {
					t.Errorf("status %d, function error %q: %s", status, fnErr, body)
					return
				}
				if err := json.Unmarshal(body, &answers[round*2+i]); err != nil {
					t.Errorf("answer %s: %v", body, err)
				}
			})
		}
		wg.Wait()
	}
	if t.Failed() {
		t.Fatal(p.Logs())
	}
	cold := map[int]int{}
	calls := map[int]int{}
	cacheDirs := map[string]bool{}
	for _, a := range answers {
		calls[a.PID]++
		if a.Cold {
			cold[a.PID]++
		}
		cacheDirs[a.Env["FROCKET_WORKER_CACHE_DIR"]] = true
		for k, want := range map[string]string{"ECHO_MARK": "m1", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1536",
			"AWS_LAMBDA_FUNCTION_NAME": "echo", "AWS_REGION": "us-east-1"} {
			if a.Env[k] != want {
				t.Errorf("%s=%q in the function, want %q", k, a.Env[k], want)
			}
		}
		if a.Env["AWS_LAMBDA_RUNTIME_API"] == "" {
			t.Error("AWS_LAMBDA_RUNTIME_API is not set in the function")
		}
	}
	if len(calls) != 2 || cold[answers[0].PID] != 1 || cold[answers[1].PID] != 1 {
		t.Fatalf("want 2 function processes, each cold once: calls %v, cold %v", calls, cold)
	}
	if len(cacheDirs) != 2 {
		t.Fatalf("want a cache dir per process: %v", cacheDirs)
	}
	if got := p.Invocations(); got != 6 {
		t.Fatalf("Invocations() = %d, want 6", got)
	}
}

func TestEventsQueueOneCallPerProcess(t *testing.T) {
	p := startEcho(t, 2)
	const n = 16
	// Every Event call is accepted at once, though the function needs 16 × 100 ms / 2 to run them.
	start := time.Now()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if status, _, body := invoke(t, p, "echo", "Event", echoRequest{SleepMillis: 100}); status != http.StatusAccepted {
				t.Errorf("Event call: status %d: %s", status, body)
			}
		})
	}
	wg.Wait()
	if accepted := time.Since(start); accepted > 600*time.Millisecond {
		t.Errorf("Event calls took %s to be accepted: they waited for the function", accepted)
	}
	if got := p.Invocations(); got >= n {
		t.Errorf("all %d invocations ran before the calls returned", got)
	}
	deadline := time.Now().Add(20 * time.Second)
	for p.Invocations() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d invocations ran\n%s", p.Invocations(), n, p.Logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := p.MaxInFlight(); got != 1 {
		t.Fatalf("MaxInFlight() = %d, want 1", got)
	}
	if pids := p.PIDs(); len(pids) != 2 {
		t.Fatalf("emulators alive: %v, want 2\n%s", pids, p.Logs())
	}
	// The emulators still answer.
	if status, _, body := invoke(t, p, "echo", "", echoRequest{}); status != http.StatusOK {
		t.Fatalf("after the burst: status %d: %s", status, body)
	}
}

func TestFunctionErrorKeepsProcess(t *testing.T) {
	p := startEcho(t, 1)
	_, _, body := invoke(t, p, "echo", "", echoRequest{})
	var first echoResponse
	if err := json.Unmarshal(body, &first); err != nil {
		t.Fatalf("answer %s: %v", body, err)
	}
	status, fnErr, body := invoke(t, p, "echo", "RequestResponse", echoRequest{Fail: true})
	if status != http.StatusOK || fnErr != "Unhandled" || !strings.Contains(string(body), "asked to fail") {
		t.Fatalf("failed call: status %d, function error %q, body %s", status, fnErr, body)
	}
	_, _, body = invoke(t, p, "echo", "", echoRequest{})
	var after echoResponse
	if err := json.Unmarshal(body, &after); err != nil {
		t.Fatalf("answer %s: %v", body, err)
	}
	if after.PID != first.PID || after.Cold {
		t.Fatalf("the function process changed after an error: %+v then %+v", first, after)
	}
}

func TestUnknownFunctionAndARN(t *testing.T) {
	p := startEcho(t, 1)
	if status, _, body := invoke(t, p, "other", "", echoRequest{}); status != http.StatusNotFound {
		t.Fatalf("unknown function: status %d: %s", status, body)
	}
	if status, _, body := invoke(t, p, "arn:aws:lambda:us-east-1:123456789012:function:echo", "", echoRequest{}); status != http.StatusOK {
		t.Fatalf("ARN: status %d: %s", status, body)
	}
	if got := p.Invocations(); got != 1 {
		t.Fatalf("Invocations() = %d, want 1", got)
	}
}

func TestCloseKillsEveryProcess(t *testing.T) {
	p := startEcho(t, 2)
	var pids []int
	for range 2 {
		_, _, body := invoke(t, p, "echo", "", echoRequest{SleepMillis: 200})
		var a echoResponse
		if err := json.Unmarshal(body, &a); err != nil {
			t.Fatalf("answer %s: %v", body, err)
		}
		pids = append(pids, a.PID)
	}
	pids = append(pids, p.PIDs()...)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for _, pid := range pids {
		for syscall.Kill(pid, 0) == nil {
			if time.Now().After(deadline) {
				t.Fatalf("process %d still runs after Close", pid)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if len(p.PIDs()) != 0 {
		t.Fatalf("PIDs() after Close: %v", p.PIDs())
	}
}

func TestMissingEmulator(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	_, err = StartProcess(Config{RIEPath: "/nonexistent/aws-lambda-rie", Bootstrap: self})
	if err == nil || !strings.Contains(err.Error(), "make test") {
		t.Fatalf("want an error saying to run make test, got %v", err)
	}
	// Not in $FROCKET_TOOLS_DIR, outside the module, not on PATH.
	t.Setenv("FROCKET_TOOLS_DIR", t.TempDir())
	t.Setenv("PATH", t.TempDir())
	t.Chdir(t.TempDir())
	if _, err := StartProcess(Config{Bootstrap: self}); err == nil || !strings.Contains(err.Error(), "make test") {
		t.Fatalf("emulator not found: want an error saying to run make test, got %v", err)
	}
}
