package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// gateInvoker holds every query until released (or its context ends), then runs it in process.
type gateInvoker struct {
	entered chan struct{}
	release chan struct{}
	inner   LocalInvoker
}

func newGateInvoker() *gateInvoker {
	return &gateInvoker{entered: make(chan struct{}, 16), release: make(chan struct{}), inner: LocalInvoker{Workers: 2}}
}

func (g *gateInvoker) RunQuery(ctx context.Context, job *QueryJob, progress ProgressFunc) *JobRun {
	g.entered <- struct{}{}
	select {
	case <-g.release:
	case <-ctx.Done():
		return &JobRun{Err: fmt.Errorf("query canceled: %w", ctx.Err())}
	}
	return g.inner.RunQuery(ctx, job, progress)
}

func TestHTTPRequestTimeout(t *testing.T) {
	gate := newGateInvoker()
	e := newHTTPEnv(t, httpOpts{inv: gate, cfg: func(c *HTTPConfig) { c.RequestTimeout = 200 * time.Millisecond }})
	e.register(t, "events")
	start := time.Now()
	a := e.do(t, "POST", "/datasets/events/query", []byte(`{}`)).want(t, 500)
	var res QueryJobResult
	if err := json.Unmarshal(a.body, &res); err != nil || res.Success || !strings.Contains(res.ErrorMessage, "deadline exceeded") {
		t.Fatalf("timed out query: %s (%v)", a.body, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the timeout took %s", d)
	}
}

func TestHTTPGracefulShutdown(t *testing.T) {
	gate := newGateInvoker()
	e := newHTTPEnv(t, httpOpts{inv: gate})
	e.register(t, "events")
	h, err := NewHandler(e.eng, DefaultHTTPConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := DefaultHTTPConfig()
	cfg.ShutdownTimeout = 10 * time.Second
	served := make(chan error, 1)
	go func() { served <- serveListener(ctx, ln, h, cfg, nil) }()

	type answer struct {
		status int
		lines  [][]byte
		err    error
	}
	got := make(chan answer, 1)
	go func() {
		resp, err := http.Post(url+"/datasets/events/query?stream=true", "application/json", strings.NewReader(testQuery))
		if err != nil {
			got <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- answer{status: resp.StatusCode, lines: bytes.Split(bytes.TrimSpace(b), []byte("\n")), err: err}
	}()
	select {
	case <-gate.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the query did not start")
	}
	cancel() // begin the shutdown with the query in flight
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", ln.Addr().String(), 100*time.Millisecond)
		if err != nil {
			break // no longer accepting
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("still accepting connections after the shutdown began")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-served:
		t.Fatalf("Serve returned %v with a query in flight", err)
	default:
	}
	close(gate.release)
	a := <-got
	if a.err != nil || a.status != 200 {
		t.Fatalf("in-flight query: status %d, %v", a.status, a.err)
	}
	var res QueryJobResult
	if err := json.Unmarshal(a.lines[len(a.lines)-1], &res); err != nil || !res.Success {
		t.Fatalf("in-flight query result %s (%v)", a.lines[len(a.lines)-1], err)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after the last request")
	}
}

func TestHTTPShutdownTimeoutCancelsJobs(t *testing.T) {
	gate := newGateInvoker()
	e := newHTTPEnv(t, httpOpts{inv: gate})
	e.register(t, "events")
	h, err := NewHandler(e.eng, DefaultHTTPConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cfg := DefaultHTTPConfig()
	cfg.ShutdownTimeout = 100 * time.Millisecond
	served := make(chan error, 1)
	go func() { served <- serveListener(ctx, ln, h, cfg, nil) }()
	go func() {
		resp, err := http.Post("http://"+ln.Addr().String()+"/datasets/events/query", "application/json", strings.NewReader(`{}`))
		if err == nil {
			resp.Body.Close()
		}
	}()
	<-gate.entered
	cancel()
	select {
	case err := <-served:
		if err == nil || !strings.Contains(err.Error(), "graceful shutdown") {
			t.Fatalf("Serve returned %v, want a graceful shutdown error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not give up after its shutdown timeout")
	}
}
