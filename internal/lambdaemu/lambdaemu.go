// Package lambdaemu runs a local stand-in for AWS Lambda for tests and benchmarks: a server that
// speaks the Lambda Invoke API on loopback and spreads the invocations over a pool of AWS Lambda
// Runtime Interface Emulator processes (aws-lambda-rie), each running the real function bootstrap.
//
// The emulator runs one invocation at a time (a second concurrent call breaks it) and answers every
// call synchronously, whatever its invocation type. So the pool keeps exactly one call in flight per
// emulator process, queues the rest, and answers an Event invocation (header X-Amz-Invocation-Type:
// Event) with 202 at once, as Lambda does; a RequestResponse invocation waits for the function's
// answer (a function error is flagged with X-Amz-Function-Error: Unhandled, as Lambda does).
//
// How the emulator is run (from its source, cmd/aws-lambda-rie and internal/lambda/rie):
//   - `aws-lambda-rie --runtime-interface-emulator-address 127.0.0.1:P --runtime-api-address
//     127.0.0.1:Q BOOTSTRAP`: it serves POST /2015-03-31/functions/function/invocations on P, and the
//     Runtime API the bootstrap polls on Q (default 127.0.0.1:9001, so each process needs its own);
//     the arguments after the options are the bootstrap's command line.
//   - Its whole environment is passed on to the bootstrap, with AWS_LAMBDA_RUNTIME_API set to Q;
//     AWS_LAMBDA_FUNCTION_MEMORY_SIZE, AWS_LAMBDA_FUNCTION_NAME and AWS_LAMBDA_FUNCTION_TIMEOUT are
//     read from it. AWS_LAMBDA_MAX_CONCURRENCY must be unset (it selects another mode).
//   - The bootstrap is started by the first invocation (the init phase), so a fresh emulator process
//     is cold and serves every later invocation warm from the same bootstrap process.
//   - The bootstrap runs in its own process group; Close kills it by PID along with the emulator.
//
// The binary is looked up in $FROCKET_TOOLS_DIR, then in <module root>/.tools, then on PATH (`make
// test` installs it into .tools). This package is for tests and the benchmark harness (bench) only.
// It does not import package testing, since the frocket binary links it through the harness: the
// test conveniences (Start, BuildBootstrap) take a testproc.TB.
package lambdaemu

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/frocket/frocket/internal/testproc"
)

const (
	// binary is the emulator program.
	binary = "aws-lambda-rie"
	// readyTimeout bounds the wait for a started emulator to accept connections.
	readyTimeout = 20 * time.Second
	// portAttempts bounds the retries when another process takes a chosen port first.
	portAttempts = 5
	// queueSize bounds the invocations waiting for a free emulator; past it the pool answers 429.
	queueSize = 10000
	// defaultFunctionName is Config.FunctionName when empty (the invoker's default).
	defaultFunctionName = "frocket"
	// invokePrefix and invokeSuffix frame the function name in the Invoke API's path.
	invokePrefix = "/2015-03-31/functions/"
	invokeSuffix = "/invocations"
)

// Config says what the pool runs.
type Config struct {
	// RIEPath is the emulator binary; empty looks it up as the package doc says.
	RIEPath string
	// Bootstrap is the function's executable, run with no arguments.
	Bootstrap string
	// Processes is the number of emulator processes (default 1): the function's concurrency.
	Processes int
	// Env is the function's environment (KEY=VALUE). Each process also gets
	// FROCKET_WORKER_CACHE_DIR (its own directory) and, unless Env sets them,
	// AWS_LAMBDA_FUNCTION_NAME (FunctionName), AWS_LAMBDA_FUNCTION_MEMORY_SIZE (2048),
	// AWS_LAMBDA_FUNCTION_TIMEOUT (60) and AWS_REGION (us-east-1). PATH and HOME are taken from
	// this process; nothing else of its environment is passed on.
	Env []string
	// FunctionName is the name the Invoke API answers to (default "frocket"); an ARN ending in
	// :function:NAME is accepted too.
	FunctionName string
}

// Pool is a running emulator pool behind one Invoke API endpoint.
type Pool struct {
	cfg      Config
	dir      string
	ownsDir  bool
	procs    []*process
	queue    chan *invocation
	listener net.Listener
	srv      *http.Server
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup

	invocations atomic.Int64
	maxInFlight atomic.Int64
	closeOnce   sync.Once
	closeErr    error
}

// process is one emulator process.
type process struct {
	index    int
	url      string // the emulator's invocation URL
	logPath  string
	proc     *testproc.Process
	inFlight atomic.Int64 // calls being sent to it now: never more than one
}

// invocation is one queued call.
type invocation struct {
	payload []byte
	// reply receives the function's answer for a RequestResponse call; nil for an Event call.
	reply chan result
}

// result is an emulator's answer to one invocation.
type result struct {
	status int
	header http.Header
	body   []byte
	err    error
}

// Start runs a pool for a test, with its files in t.TempDir(), and stops every process (by PID) in
// t.Cleanup. It fails the test when the emulator or the bootstrap is missing, saying to run
// `make test`.
func Start(t testproc.TB, cfg Config) *Pool {
	t.Helper()
	p, err := start(cfg, t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
	return p
}

// StartProcess is Start for a TestMain or a benchmark harness: it makes its own temporary directory
// and returns an error instead of failing a test. The caller must call Close.
func StartProcess(cfg Config) (*Pool, error) {
	dir, err := os.MkdirTemp("", "lambdaemu-")
	if err != nil {
		return nil, fmt.Errorf("lambdaemu: create pool dir: %w", err)
	}
	p, err := start(cfg, dir, true)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return p, nil
}

func start(cfg Config, dir string, ownsDir bool) (*Pool, error) {
	if cfg.Processes == 0 {
		cfg.Processes = 1
	}
	if cfg.Processes < 0 {
		return nil, fmt.Errorf("lambdaemu: %d processes", cfg.Processes)
	}
	if cfg.FunctionName == "" {
		cfg.FunctionName = defaultFunctionName
	}
	if cfg.RIEPath == "" {
		path, err := testproc.FindTool(binary)
		if err != nil {
			return nil, fmt.Errorf("lambdaemu: %w", err)
		}
		cfg.RIEPath = path
	} else if !isExecutable(cfg.RIEPath) {
		return nil, fmt.Errorf("lambdaemu: %s is not an executable file; run `make test`, which installs %s into .tools/", cfg.RIEPath, binary)
	}
	if cfg.Bootstrap == "" || !isExecutable(cfg.Bootstrap) {
		return nil, fmt.Errorf("lambdaemu: bootstrap %q is not an executable file", cfg.Bootstrap)
	}
	bootstrap, err := filepath.Abs(cfg.Bootstrap)
	if err != nil {
		return nil, fmt.Errorf("lambdaemu: bootstrap: %w", err)
	}
	cfg.Bootstrap = bootstrap
	ctx, cancel := context.WithCancel(context.Background())
	p := &Pool{cfg: cfg, dir: dir, ownsDir: ownsDir, queue: make(chan *invocation, queueSize), ctx: ctx, cancel: cancel}
	for i := range cfg.Processes {
		proc, err := p.startProcess(i)
		if err != nil {
			p.Close()
			return nil, err
		}
		p.procs = append(p.procs, proc)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		p.Close()
		return nil, fmt.Errorf("lambdaemu: listen: %w", err)
	}
	p.listener = l
	p.srv = &http.Server{Handler: http.HandlerFunc(p.serveInvoke), ReadHeaderTimeout: 10 * time.Second}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		_ = p.srv.Serve(l)
	}()
	for _, proc := range p.procs {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.feed(proc)
		}()
	}
	return p, nil
}

// Endpoint returns the Invoke API's base URL, "http://127.0.0.1:PORT", for
// FROCKET_LAMBDA_AWS_ENDPOINT_URL.
func (p *Pool) Endpoint() string { return "http://" + p.listener.Addr().String() }

// Invocations returns how many invocations the emulators have answered so far.
func (p *Pool) Invocations() int { return int(p.invocations.Load()) }

// MaxInFlight returns the most calls ever sent at once to one emulator process (1 once any call was
// made; more would be a bug of the pool).
func (p *Pool) MaxInFlight() int { return int(p.maxInFlight.Load()) }

// PIDs returns the process ids of the running emulator processes.
func (p *Pool) PIDs() []int {
	var out []int
	for _, proc := range p.procs {
		if proc.alive() {
			out = append(out, proc.proc.Pid())
		}
	}
	return out
}

// Logs returns the end of each emulator's output (its own log and the function's), for test
// failure messages.
func (p *Pool) Logs() string {
	var b strings.Builder
	for _, proc := range p.procs {
		fmt.Fprintf(&b, "--- emulator %d (%s):\n%s\n", proc.index, proc.logPath, testproc.LogTail(proc.logPath))
	}
	return b.String()
}

// Close stops the Invoke API, then every bootstrap and emulator process by PID, and, for a pool
// from StartProcess, removes its directory. Queued invocations are dropped.
func (p *Pool) Close() error {
	p.closeOnce.Do(func() {
		if p.srv != nil {
			_ = p.srv.Close()
		}
		p.cancel()
		for _, proc := range p.procs {
			proc.kill()
		}
		p.wg.Wait()
		if p.ownsDir {
			if err := os.RemoveAll(p.dir); err != nil {
				p.closeErr = fmt.Errorf("lambdaemu: remove pool dir %s: %w", p.dir, err)
			}
		}
	})
	return p.closeErr
}

// serveInvoke implements the Invoke API: POST /2015-03-31/functions/NAME/invocations.
func (p *Pool) serveInvoke(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.Path, invokePrefix)
	if ok {
		name, ok = strings.CutSuffix(name, invokeSuffix)
	}
	if !ok || r.Method != http.MethodPost {
		apiError(w, http.StatusNotFound, "ResourceNotFoundException", "unknown operation "+r.Method+" "+r.URL.Path)
		return
	}
	if name != p.cfg.FunctionName && !strings.HasSuffix(name, ":function:"+p.cfg.FunctionName) {
		apiError(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+name)
		return
	}
	payload, err := io.ReadAll(r.Body)
	if err != nil {
		apiError(w, http.StatusBadRequest, "InvalidRequestContentException", "read payload: "+err.Error())
		return
	}
	inv := &invocation{payload: payload}
	kind := r.Header.Get("X-Amz-Invocation-Type")
	switch kind {
	case "Event":
	case "", "RequestResponse":
		inv.reply = make(chan result, 1)
	case "DryRun":
		w.WriteHeader(http.StatusNoContent)
		return
	default:
		apiError(w, http.StatusBadRequest, "InvalidParameterValueException", "unknown invocation type "+kind)
		return
	}
	select {
	case p.queue <- inv:
	default:
		apiError(w, http.StatusTooManyRequests, "TooManyRequestsException", "too many queued invocations")
		return
	}
	if inv.reply == nil {
		w.WriteHeader(http.StatusAccepted)
		return
	}
	select {
	case res := <-inv.reply:
		if res.err != nil {
			apiError(w, http.StatusBadGateway, "ServiceException", res.err.Error())
			return
		}
		for _, h := range []string{"Content-Type", "X-Amz-Function-Error"} {
			if v := res.header.Get(h); v != "" {
				w.Header().Set(h, v)
			}
		}
		if isFunctionError(res.body) {
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
		}
		w.Header().Set("X-Amz-Executed-Version", "$LATEST")
		w.WriteHeader(res.status)
		_, _ = w.Write(res.body)
	case <-r.Context().Done():
	case <-p.ctx.Done():
		apiError(w, http.StatusServiceUnavailable, "ServiceException", "emulator pool closed")
	}
}

// isFunctionError reports whether an emulator's answer is a function error. The emulator drops the
// runtime's error header, so the answer is recognised by its shape, the runtime's error document:
// errorMessage and errorType, perhaps stackTrace, and nothing else.
func isFunctionError(body []byte) bool {
	var doc map[string]json.RawMessage
	if json.Unmarshal(body, &doc) != nil {
		return false
	}
	_, msg := doc["errorMessage"]
	_, typ := doc["errorType"]
	_, trace := doc["stackTrace"]
	n := 2
	if trace {
		n++
	}
	return msg && typ && len(doc) == n
}

// apiError writes an error the way the Lambda API does.
func apiError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"Type":"User","message":%q}`, msg)
}

// feed sends queued invocations to one emulator process, one at a time, until the pool closes.
func (p *Pool) feed(proc *process) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	defer client.CloseIdleConnections()
	for {
		select {
		case <-p.ctx.Done():
			return
		case inv := <-p.queue:
			res := p.send(client, proc, inv.payload)
			if inv.reply != nil {
				inv.reply <- res
			}
		}
	}
}

// send makes one call to an emulator process and counts it.
func (p *Pool) send(client *http.Client, proc *process, payload []byte) result {
	n := proc.inFlight.Add(1)
	defer proc.inFlight.Add(-1)
	for {
		m := p.maxInFlight.Load()
		if n <= m || p.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	req, err := http.NewRequestWithContext(p.ctx, http.MethodPost, proc.url, bytes.NewReader(payload))
	if err != nil {
		return result{err: err}
	}
	resp, err := client.Do(req)
	if err != nil {
		return result{err: fmt.Errorf("emulator %d: %w", proc.index, err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return result{err: fmt.Errorf("emulator %d: read answer: %w", proc.index, err)}
	}
	p.invocations.Add(1)
	return result{status: resp.StatusCode, header: resp.Header, body: body}
}

// startProcess starts emulator i on free ports, retrying when a port was taken in between.
func (p *Pool) startProcess(i int) (*process, error) {
	dir := filepath.Join(p.dir, "rie-"+strconv.Itoa(i))
	cacheDir := filepath.Join(dir, "cache")
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("lambdaemu: create process dir: %w", err)
	}
	var err error
	for range portAttempts {
		var proc *process
		if proc, err = p.tryStart(i, dir, cacheDir); err == nil {
			return proc, nil
		}
	}
	return nil, err
}

func (p *Pool) tryStart(i int, dir, cacheDir string) (*process, error) {
	apiPort, err := testproc.FreePort()
	if err != nil {
		return nil, err
	}
	runtimePort, err := testproc.FreePort()
	if err != nil {
		return nil, err
	}
	if runtimePort == apiPort {
		return nil, errors.New("lambdaemu: the same free port twice")
	}
	apiAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(apiPort))
	logPath := filepath.Join(dir, "rie.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lambdaemu: open log: %w", err)
	}
	defer logFile.Close() // the child has its own descriptor
	cmd := exec.Command(p.cfg.RIEPath,
		"--runtime-interface-emulator-address", apiAddr,
		"--runtime-api-address", net.JoinHostPort("127.0.0.1", strconv.Itoa(runtimePort)),
		"--log-level", "error",
		p.cfg.Bootstrap)
	cmd.Env = p.processEnv(cacheDir)
	cmd.Dir = dir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	// The emulator is ready once it accepts connections; its bootstrap starts with the first call.
	tp, err := testproc.Start(cmd, logPath, readyTimeout, func() error {
		c, err := net.DialTimeout("tcp", apiAddr, time.Second)
		if err == nil {
			c.Close()
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("lambdaemu: emulator %d on %s: %w", i, apiAddr, err)
	}
	return &process{index: i, url: "http://" + apiAddr + "/2015-03-31/functions/function/invocations",
		logPath: logPath, proc: tp}, nil
}

// processEnv is the environment of one emulator process, and so of its function.
func (p *Pool) processEnv(cacheDir string) []string {
	var env []string
	for _, k := range []string{"PATH", "HOME"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	set := map[string]bool{}
	for _, kv := range p.cfg.Env {
		k, _, _ := strings.Cut(kv, "=")
		set[k] = true
	}
	defaults := []string{
		"AWS_LAMBDA_FUNCTION_NAME=" + p.cfg.FunctionName,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=2048",
		"AWS_LAMBDA_FUNCTION_TIMEOUT=60",
		"AWS_REGION=us-east-1",
	}
	for _, kv := range defaults {
		if k, _, _ := strings.Cut(kv, "="); !set[k] {
			env = append(env, kv)
		}
	}
	for _, kv := range p.cfg.Env {
		if k, _, _ := strings.Cut(kv, "="); k != "AWS_LAMBDA_MAX_CONCURRENCY" && k != "FROCKET_WORKER_CACHE_DIR" {
			env = append(env, kv)
		}
	}
	return append(env, "FROCKET_WORKER_CACHE_DIR="+cacheDir)
}

// alive reports whether the emulator process still runs.
func (proc *process) alive() bool {
	select {
	case <-proc.proc.Exited():
		return false
	default:
		return true
	}
}

// kill stops the emulator's children (the bootstrap) and then the emulator, with SIGKILL, by PID,
// and waits for the emulator to exit. The children are signalled first, while the emulator has not
// yet reaped them, so their PIDs cannot have been reused.
func (proc *process) kill() {
	if !proc.alive() {
		return
	}
	for _, child := range children(proc.proc.Pid()) {
		_ = syscall.Kill(child, syscall.SIGKILL)
	}
	proc.proc.Stop(syscall.SIGKILL, 0)
}

// children returns the PIDs of the children of pid, from /proc (none where /proc is missing).
func children(pid int) []int {
	tasks, _ := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "task", "*", "children"))
	var out []int
	for _, f := range tasks {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, field := range strings.Fields(string(b)) {
			if c, err := strconv.Atoi(field); err == nil && c > 0 {
				out = append(out, c)
			}
		}
	}
	return out
}

// isExecutable reports whether p is a regular file with an execute bit.
func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0
}

// BootstrapEnv names a prebuilt bootstrap that BuildBootstrap returns instead of building one
// (e.g. dist/bootstrap from `make lambda`).
const BootstrapEnv = "FROCKET_LAMBDA_BOOTSTRAP"

// BuildBootstrap builds the function's bootstrap for a test: ./cmd/frocket of this module with the
// lambda.norpc tag, into t.TempDir(), and checks that it has the lambda command. It returns
// $FROCKET_LAMBDA_BOOTSTRAP instead when that is set.
func BuildBootstrap(t testproc.TB) string {
	t.Helper()
	if p := os.Getenv(BootstrapEnv); p != "" {
		if !isExecutable(p) {
			t.Fatalf("lambdaemu: %s=%s is not an executable file", BootstrapEnv, p)
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return abs
	}
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(gomod)) == "" || strings.TrimSpace(string(gomod)) == os.DevNull {
		t.Fatalf("lambdaemu: find the module root (go env GOMOD): %q %v", gomod, err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	out := filepath.Join(t.TempDir(), "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", out, "./cmd/frocket")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("lambdaemu: build the bootstrap: %v\n%s", err, b)
	}
	// Fail now, not at the first query's time-out, when the binary has no Lambda mode.
	if b, err := exec.Command(out, "lambda", "-h").CombinedOutput(); err != nil {
		t.Fatalf("lambdaemu: the bootstrap has no working `lambda` command: %v\n%s", err, b)
	}
	return out
}
