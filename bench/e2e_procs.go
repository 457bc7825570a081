package bench

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
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/frocket/frocket/internal/lambdaemu"
	"github.com/frocket/frocket/internal/testredis"
	"github.com/frocket/frocket/internal/tests3"
)

const (
	// e2eBucket and e2ePrefix locate the uploaded dataset.
	e2eBucket = "frocket-bench"
	e2ePrefix = "data"
	// e2eDataset is the name the dataset is registered under.
	e2eDataset = "bench"
	// readyTimeout bounds the wait for a started server to answer /healthz.
	readyTimeout = 30 * time.Second
	// stopGrace is how long a process may take to exit after SIGTERM before SIGKILL.
	stopGrace = 5 * time.Second
)

// harness holds the long-lived services of a run (S3, Redis) and the processes of the current
// (mode, query) stack.
type harness struct {
	cfg        *E2EConfig
	ds         *dataset
	work       string // temporary directory: logs, caches, the bootstrap wrapper
	s3         *tests3.Server
	redis      *testredis.Server
	registered bool
	stacks     int // stacks started so far, for directory names

	procs []*childProc
	pool  *lambdaemu.Pool
	http  *http.Client
}

// childProc is one started frocket process.
type childProc struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
}

// startHarness starts S3 and Redis and uploads the dataset. On error everything started is stopped.
func startHarness(ctx context.Context, cfg *E2EConfig, ds *dataset) (h *harness, err error) {
	work, err := os.MkdirTemp("", "frocket-bench-")
	if err != nil {
		return nil, fmt.Errorf("create work dir: %w", err)
	}
	h = &harness{cfg: cfg, ds: ds, work: work, http: &http.Client{}}
	defer func() {
		if err != nil {
			h.close()
		}
	}()
	if h.s3, err = tests3.StartProcess(); err != nil {
		return nil, fmt.Errorf("start S3 server: %w", err)
	}
	if h.redis, err = testredis.StartProcess(); err != nil {
		return nil, fmt.Errorf("start redis: %w", err)
	}
	cfg.logf("S3 server at %s, redis at %s", h.s3.Endpoint, h.redis.URL())
	if err := h.upload(ctx); err != nil {
		return nil, err
	}
	return h, nil
}

// upload creates the bucket and puts every part under the prefix.
func (h *harness) upload(ctx context.Context) error {
	client := h.s3.NewClient()
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(e2eBucket)}); err != nil {
		return fmt.Errorf("create bucket %s: %w", e2eBucket, err)
	}
	start := time.Now()
	for _, path := range h.ds.files {
		if err := putFile(ctx, client, path, e2ePrefix+"/"+filepath.Base(path)); err != nil {
			return err
		}
	}
	h.cfg.logf("uploaded %d parts (%d MB) in %.1f s", len(h.ds.files), h.ds.bytes>>20, time.Since(start).Seconds())
	return nil
}

func putFile(ctx context.Context, client *s3.Client, path, key string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open part: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("stat part: %w", err)
	}
	_, err = client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(e2eBucket), Key: aws.String(key), Body: f, ContentLength: aws.Int64(st.Size()),
	})
	if err != nil {
		return fmt.Errorf("upload s3://%s/%s: %w", e2eBucket, key, err)
	}
	return nil
}

// close stops every process and service and removes the work directory.
func (h *harness) close() {
	h.stopStack()
	if h.redis != nil {
		_ = h.redis.Close()
	}
	if h.s3 != nil {
		_ = h.s3.Close()
	}
	_ = os.RemoveAll(h.work)
}

// s3Env is the environment that points a frocket process at the private S3 server.
func (h *harness) s3Env() []string {
	return []string{
		"FROCKET_S3_AWS_ENDPOINT_URL=" + h.s3.Endpoint,
		"FROCKET_S3_AWS_ACCESS_KEY_ID=" + h.s3.AccessKey,
		"FROCKET_S3_AWS_SECRET_ACCESS_KEY=" + h.s3.SecretKey,
		"FROCKET_S3_AWS_REGION=" + h.s3.Region,
	}
}

// startStack starts the processes of one (mode, query) run, all with empty caches: the API server
// and the queue workers, or the API server and a fresh emulator pool. It returns the server's base
// URL and registers the dataset the first time.
func (h *harness) startStack(ctx context.Context, mode string) (string, error) {
	h.stacks++
	dir := filepath.Join(h.work, fmt.Sprintf("stack-%02d-%s", h.stacks, mode))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create stack dir: %w", err)
	}
	serveArgs := []string{"serve", "--redis", h.redis.URL()}
	serveEnv := append(h.s3Env(), "FROCKET_LOG_LEVEL=warning")
	switch mode {
	case ModeQueue:
		for i := range h.cfg.Workers {
			env := append(h.s3Env(), "FROCKET_LOG_LEVEL=warning",
				"FROCKET_WORKER_CACHE_DIR="+filepath.Join(dir, fmt.Sprintf("cache-%d", i)))
			if _, err := h.start(dir, fmt.Sprintf("worker-%d", i), []string{"worker", "--redis", h.redis.URL()}, env); err != nil {
				return "", err
			}
		}
	case ModeLambda:
		boot, err := h.bootstrapWrapper()
		if err != nil {
			return "", err
		}
		env := append(h.s3Env(), "FROCKET_REDIS_URL="+h.redis.URL(), "FROCKET_LOG_LEVEL=warning",
			"AWS_LAMBDA_FUNCTION_MEMORY_SIZE="+strconv.Itoa(h.cfg.LambdaMemoryMB))
		h.pool, err = lambdaemu.StartProcess(lambdaemu.Config{Bootstrap: boot, Processes: h.cfg.Lambdas, Env: env})
		if err != nil {
			return "", fmt.Errorf("start Lambda emulator pool: %w", err)
		}
		serveArgs = append(serveArgs, "--invoker", "lambda", "--lambda-endpoint", h.pool.Endpoint())
		serveEnv = append(serveEnv, "FROCKET_LAMBDA_AWS_NO_SIGNATURE=true",
			"FROCKET_INVOKER_LAMBDA_MEMORY_MB="+strconv.Itoa(h.cfg.LambdaMemoryMB))
	}
	port, err := freePort()
	if err != nil {
		return "", err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	serve, err := h.start(dir, "serve", append(serveArgs, "--listen", addr), serveEnv)
	if err != nil {
		return "", err
	}
	base := "http://" + addr
	if err := h.waitHealthy(ctx, base, serve); err != nil {
		return "", err
	}
	if !h.registered {
		if err := h.register(ctx, base); err != nil {
			return "", err
		}
		h.registered = true
	}
	return base, nil
}

// bootstrapWrapper writes the function's bootstrap: a script that runs `BOOTSTRAP lambda`, as the
// emulator starts the bootstrap with no arguments.
func (h *harness) bootstrapWrapper() (string, error) {
	bin := h.cfg.Bootstrap
	if bin == "" {
		bin = h.cfg.Binary
	}
	bin, err := filepath.Abs(bin)
	if err != nil {
		return "", fmt.Errorf("bootstrap: %w", err)
	}
	if strings.ContainsAny(bin, "'\n") {
		return "", fmt.Errorf("bootstrap path %q has a quote or a newline", bin)
	}
	path := filepath.Join(h.work, "bootstrap")
	script := "#!/bin/sh\nexec '" + bin + "' lambda\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		return "", fmt.Errorf("write bootstrap wrapper: %w", err)
	}
	return path, nil
}

// start runs the frocket binary with args, its output in dir/name.log.
func (h *harness) start(dir, name string, args, env []string) (*childProc, error) {
	logPath := filepath.Join(dir, name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("create log of %s: %w", name, err)
	}
	cmd := exec.Command(h.cfg.Binary, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &childProc{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	h.procs = append(h.procs, p)
	return p, nil
}

// stopStack stops the current stack's processes (SIGTERM, then SIGKILL) and emulator pool.
func (h *harness) stopStack() {
	for _, p := range h.procs {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, p := range h.procs {
		select {
		case <-p.done:
		case <-time.After(stopGrace):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
	h.procs = nil
	if h.pool != nil {
		_ = h.pool.Close()
		h.pool = nil
	}
}

// stackLogs returns the end of every running process's log, for error messages.
func (h *harness) stackLogs() string {
	var b strings.Builder
	for _, p := range h.procs {
		fmt.Fprintf(&b, "\n--- %s:\n%s", p.name, logTail(p.logPath))
	}
	if h.pool != nil {
		fmt.Fprintf(&b, "\n--- Lambda emulators:\n%s", h.pool.Logs())
	}
	return b.String()
}

func logTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// waitHealthy polls GET /healthz until it answers 200, the process exits or readyTimeout passes.
func (h *harness) waitHealthy(ctx context.Context, base string, p *childProc) error {
	deadline := time.Now().Add(readyTimeout)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
		if err != nil {
			return fmt.Errorf("health request: %w", err)
		}
		if resp, err := h.http.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before answering: %s", p.name, logTail(p.logPath))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer /healthz within %v: %s", p.name, readyTimeout, logTail(p.logPath))
		}
	}
}

// register registers the uploaded dataset.
func (h *harness) register(ctx context.Context, base string) error {
	body, _ := json.Marshal(map[string]string{
		"name": e2eDataset, "basepath": "s3://" + e2eBucket + "/" + e2ePrefix,
		"groupIdColumn": "userId", "timestampColumn": "timestamp",
	})
	var res struct {
		Success      bool   `json:"success"`
		ErrorMessage string `json:"errorMessage"`
	}
	if err := h.post(ctx, base+"/datasets/register", body, &res); err != nil {
		return fmt.Errorf("register dataset: %w", err)
	}
	if !res.Success {
		return fmt.Errorf("register dataset: %s", res.ErrorMessage)
	}
	return nil
}

// post sends body and decodes the JSON answer into out; an answer that is not JSON is an error
// quoting it.
func (h *harness) post(ctx context.Context, url string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("read answer: %w", err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("answer %d is not a job result: %.300s", resp.StatusCode, b)
	}
	return nil
}

// jobResult is the part of a query job result the benchmark reads. Timing stats are decoded as
// maps ("min", "mean", "max", "50%", ...).
type jobResult struct {
	Success      bool   `json:"success"`
	ErrorMessage string `json:"errorMessage"`
	Stats        struct {
		TotalTime float64 `json:"totalTime"`
		Invoker   struct {
			TotalTasks  int `json:"totalTasks"`
			FailedTasks int `json:"failedTasks"`
		} `json:"invoker"`
		Worker struct {
			ColdTasks     int                `json:"coldTasks"`
			WarmTasks     int                `json:"warmTasks"`
			InvokeLatency map[string]float64 `json:"invokeLatency"`
			LoadTime      map[string]float64 `json:"loadTime"`
			TotalTime     map[string]float64 `json:"totalTime"`
			ScannedRows   int64              `json:"scannedRows"`
			Cache         struct {
				Source    int `json:"source"`
				DiskCache int `json:"diskCache"`
			} `json:"cache"`
		} `json:"worker"`
		Dataset struct {
			TotalSize int64 `json:"totalSize"`
			Parts     int   `json:"parts"`
		} `json:"dataset"`
		Cost *float64 `json:"cost"`
	} `json:"stats"`
}

// measured is one query run: the client's wall time and the job's stats.
type measured struct {
	wall time.Duration
	res  jobResult
}

// query runs one query and checks that it succeeded over every row.
func (h *harness) query(ctx context.Context, base string, q E2EQuery) (*measured, error) {
	ctx, cancel := context.WithTimeout(ctx, h.cfg.QueryTimeout)
	defer cancel()
	m := &measured{}
	start := time.Now()
	err := h.post(ctx, base+"/datasets/"+e2eDataset+"/query", []byte(q.Body), &m.res)
	m.wall = time.Since(start)
	if err != nil {
		return nil, err
	}
	if !m.res.Success {
		return nil, errors.New(m.res.ErrorMessage)
	}
	if got := m.res.Stats.Worker.ScannedRows; got != h.cfg.Rows {
		return nil, fmt.Errorf("scanned %d rows, want %d", got, h.cfg.Rows)
	}
	return m, nil
}

// runQuery starts a fresh stack for mode, runs q once cold and Reps times warm, stops the stack
// and returns the cold and warm results.
func (h *harness) runQuery(ctx context.Context, mode string, q E2EQuery) (out []E2EResult, err error) {
	base, err := h.startStack(ctx, mode)
	defer func() {
		if err != nil && ctx.Err() == nil {
			err = fmt.Errorf("%w%s", err, h.stackLogs())
		}
		h.stopStack()
	}()
	if err != nil {
		return nil, err
	}
	cold, err := h.query(ctx, base, q)
	if err != nil {
		return nil, fmt.Errorf("cold run: %w", err)
	}
	h.cfg.logf("%s %s cold: %.3f s", mode, q.Name, cold.wall.Seconds())
	out = append(out, summarize(mode, q.Name, "cold", h.cfg.Rows, []*measured{cold}))
	if h.cfg.Reps == 0 {
		return out, nil
	}
	var warm []*measured
	for range h.cfg.Reps {
		m, err := h.query(ctx, base, q)
		if err != nil {
			return nil, fmt.Errorf("warm run: %w", err)
		}
		warm = append(warm, m)
	}
	w := summarize(mode, q.Name, "warm", h.cfg.Rows, warm)
	h.cfg.logf("%s %s warm: median %.3f s", mode, q.Name, w.WallSeconds)
	return append(out, w), nil
}

// freePort asks the kernel for a free port on 127.0.0.1. Another process may take it before use;
// the server then fails to start and the run reports it.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
