package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/frocket/frocket/catalog"
	"github.com/frocket/frocket/internal/testredis"
)

func TestPrefixAndDBIsolation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	base := strings.TrimSuffix(shared.URL(), "/0")
	a := newClientFor(t, base+"/0", "t:iso-a:")
	b := newClientFor(t, base+"/0", "t:iso-b:")
	a1 := newClientFor(t, base+"/1", "t:iso-a:") // same prefix, other DB
	if err := a.Catalog().Put(ctx, testDataset("ds", baseTime)); err != nil {
		t.Fatal(err)
	}
	if err := a.Enqueue(ctx, "default", []TaskRequest{testRequest("r", 0)}); err != nil {
		t.Fatal(err)
	}
	if err := a.InitTasks(ctx, "r", 1, parts(1)); err != nil {
		t.Fatal(err)
	}
	for name, other := range map[string]*Client{"other prefix": b, "other DB": a1} {
		if _, err := other.Catalog().Get(ctx, "ds"); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("%s: Get = %v, want ErrNotFound", name, err)
		}
		if req, err := other.Dequeue(ctx, "default", 0); req != nil || err != nil {
			t.Errorf("%s: Dequeue = %+v, %v; want nothing", name, req, err)
		}
		if st, err := other.Statuses(ctx, "r"); len(st) != 0 || err != nil {
			t.Errorf("%s: Statuses = %v, %v; want none", name, st, err)
		}
		if _, _, ok, err := other.TakePart(ctx, "r", nil); ok || err != nil {
			t.Errorf("%s: TakePart = %v, %v; want nothing", name, ok, err)
		}
	}
	// The owner still sees everything.
	if _, err := a.Catalog().Get(ctx, "ds"); err != nil {
		t.Fatal(err)
	}
	if req, err := a.Dequeue(ctx, "default", 0); req == nil || err != nil {
		t.Fatalf("owner Dequeue = %+v, %v", req, err)
	}
	if st, err := a.Statuses(ctx, "r"); len(st) != 1 || err != nil {
		t.Fatalf("owner Statuses = %v, %v", st, err)
	}
}

func TestRedisRestartedBetweenCalls(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := testredis.Start(t)
	c := newClientFor(t, srv.URL(), "frocket:")
	store := c.Catalog()
	if err := store.Put(ctx, testDataset("ds", baseTime)); err != nil {
		t.Fatal(err)
	}
	if err := c.InitTasks(ctx, "r", 2, parts(2)); err != nil {
		t.Fatal(err)
	}

	// A graceful restart: the pooled connections are dead; the next calls reconnect. Data is gone.
	srv.Restart(t)
	if _, err := store.Get(ctx, "ds"); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("Get after restart = %v, want ErrNotFound (no persistence)", err)
	}
	// Scripts are gone from the server's cache too: EVALSHA falls back to EVAL.
	if a, err := c.NewAttempt(ctx, "r", 0); err != nil || a != 1 {
		t.Fatalf("NewAttempt after restart = %d, %v", a, err)
	}

	// A crash: same again.
	if err := store.Put(ctx, testDataset("ds", baseTime)); err != nil {
		t.Fatal(err)
	}
	srv.Kill()
	srv.Restart(t)
	if err := c.SetStatus(ctx, "r", TaskAttempt{Task: 0, Attempt: 1}, TaskStatus{Status: StatusLoadingData}); err != nil {
		t.Fatalf("SetStatus after crash and restart = %v", err)
	}
	if err := store.TouchLastUsed(ctx, "ds", time.Now()); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("TouchLastUsed after crash = %v, want ErrNotFound", err)
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestRedisDown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := testredis.Start(t)
	c := newClientFor(t, srv.URL(), "frocket:")
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	srv.Stop()

	start := time.Now()
	err := c.Ping(ctx)
	if !IsUnavailable(err) {
		t.Fatalf("Ping with Redis down = %v, want IsUnavailable", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "Redis at "+srv.Addr+" is unreachable") {
		t.Fatalf("error %q does not say Redis at %s is unreachable", msg, srv.Addr)
	}
	t.Logf("Ping with Redis down failed after %s: %v", time.Since(start), err)
	if _, err := c.Catalog().List(ctx); !IsUnavailable(err) {
		t.Fatalf("List with Redis down = %v, want IsUnavailable", err)
	}
	if _, err := c.Dequeue(ctx, "default", time.Second); !IsUnavailable(err) {
		t.Fatalf("Dequeue with Redis down = %v, want IsUnavailable", err)
	}
	if _, _, _, err := c.TakePart(ctx, "r", nil); !IsUnavailable(err) {
		t.Fatalf("TakePart with Redis down = %v, want IsUnavailable", err)
	}

	// New does not connect: it succeeds with Redis down, and its first call reports unavailability.
	fresh, err := New(Config{URL: srv.URL()})
	if err != nil {
		t.Fatalf("New with Redis down = %v", err)
	}
	defer fresh.Close()
	if err := fresh.Ping(ctx); !IsUnavailable(err) {
		t.Fatalf("fresh Ping with Redis down = %v, want IsUnavailable", err)
	}

	// Once Redis is back the same client recovers (the pool may hold off dialling for a moment).
	srv.Restart(t)
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := c.Ping(ctx)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Ping 5s after Redis came back = %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestIsUnavailable(t *testing.T) {
	t.Parallel()
	f := func(err error, want bool) {
		t.Helper()
		if got := IsUnavailable(err); got != want {
			t.Fatalf("IsUnavailable(%v) = %v, want %v", err, got, want)
		}
	}
	f(nil, false)
	f(errors.New("WRONGTYPE Operation against a key holding the wrong kind of value"), false)
	f(catalog.ErrNotFound, false)
	f(context.Canceled, false)
	f(fmt.Errorf("x: %w", syscall.ECONNREFUSED), true)
	f(fmt.Errorf("x: %w", syscall.ECONNRESET), true)
	f(io.EOF, true)
	f(&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("no route")}, true)
	f(fmt.Errorf("x: %w", &unavailableError{addr: "h:1", err: errors.New("y")}), true)
	f(fmt.Errorf("x: %w", &net.DNSError{Err: "no such host", Name: "nohost"}), true)
}
