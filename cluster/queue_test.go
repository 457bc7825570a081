package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func testRequest(rid string, task int) TaskRequest {
	return TaskRequest{
		RequestID:  rid,
		InvokeTime: 1.7e9 + float64(task),
		TaskIndex:  task,
		Dataset:    DatasetRef{Name: "ds", BasePath: "/data/ds", RegisteredAt: baseTime, GroupColumn: "uid", TimestampColumn: "ts"},
		Mode:       SetByInvoker,
		Part:       &PartRef{Index: task, Name: "p.parquet", Size: 1},
		Query:      json.RawMessage(`{"query":{}}`),
	}
}

func TestQueueRoundTripFIFO(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClient(t)
	var want []TaskRequest
	for i := range 5 {
		want = append(want, testRequest("r1", i))
	}
	if err := c.Enqueue(ctx, "default", want[:3]); err != nil {
		t.Fatal(err)
	}
	if err := c.Enqueue(ctx, "default", want[3:]); err != nil {
		t.Fatal(err)
	}
	if err := c.Enqueue(ctx, "default", nil); err != nil {
		t.Fatalf("Enqueue(nothing) = %v", err)
	}
	if n, err := c.rdb.LLen(ctx, c.Key("queues", "default")).Result(); n != 5 || err != nil {
		t.Fatalf("queue %s holds %d, %v; want 5", c.Key("queues", "default"), n, err)
	}
	for i := range want {
		got, err := c.Dequeue(ctx, "default", time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if got == nil || got.TaskIndex != i || got.RequestID != "r1" || got.Part == nil || got.Part.Index != i ||
			!got.Dataset.RegisteredAt.Equal(baseTime) || string(got.Query) != `{"query":{}}` {
			t.Fatalf("Dequeue #%d = %+v, want task %d", i, got, i)
		}
	}
	// Another queue is another list.
	if err := c.Enqueue(ctx, "other", want[:1]); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Dequeue(ctx, "default", 0); got != nil || err != nil {
		t.Fatalf("Dequeue(default, no wait) = %+v, %v; want nothing", got, err)
	}
	if got, err := c.Dequeue(ctx, "other", 0); got == nil || err != nil {
		t.Fatalf("Dequeue(other, no wait) = %+v, %v; want a request", got, err)
	}
}

func TestDequeueTimeout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClient(t)
	start := time.Now()
	got, err := c.Dequeue(ctx, "default", 200*time.Millisecond)
	if got != nil || err != nil {
		t.Fatalf("Dequeue(empty) = %+v, %v; want nil, nil", got, err)
	}
	if d := time.Since(start); d < 150*time.Millisecond || d > 900*time.Millisecond {
		t.Fatalf("Dequeue(200ms) returned after %s", d)
	}
}

// TestDequeueLongerThanReadTimeout checks that a block time above the read timeout does not end in
// a read timeout: the block time is added to the read deadline.
func TestDequeueLongerThanReadTimeout(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.URL = shared.URL()
	cfg.Prefix = "t:TestDequeueLongerThanReadTimeout:"
	cfg.ReadTimeout = 300 * time.Millisecond
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	clearPrefix(t, c)
	start := time.Now()
	got, err := c.Dequeue(context.Background(), "default", 700*time.Millisecond)
	if got != nil || err != nil {
		t.Fatalf("Dequeue(700ms) with a 300ms read timeout = %+v, %v; want nil, nil", got, err)
	}
	if d := time.Since(start); d < 650*time.Millisecond || d > 2500*time.Millisecond {
		t.Fatalf("Dequeue(700ms) returned after %s (want about 1s: rounded up to whole seconds)", d)
	}
}

func TestDequeueWaitsForPush(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClient(t)
	go func() {
		time.Sleep(100 * time.Millisecond)
		c.Enqueue(ctx, "default", []TaskRequest{testRequest("late", 7)})
	}()
	start := time.Now()
	got, err := c.Dequeue(ctx, "default", 5*time.Second)
	if err != nil || got == nil || got.RequestID != "late" || got.TaskIndex != 7 {
		t.Fatalf("Dequeue = %+v, %v; want the late request", got, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Dequeue took %s, want it to return when the request arrives", d)
	}
}

func TestDequeueMalformed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClient(t)
	key := c.Key("queues", "default")
	long := `{"requestId": "` + strings.Repeat("x", 500) + `"`
	incomplete := `{"requestId":"r","taskIndex":0,"mode":"SET_BY_INVOKER","query":{}}`
	// LPUSH one by one: the first pushed is popped first.
	for _, p := range []string{"not json", long, incomplete} {
		if err := c.rdb.LPush(ctx, key, p).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Enqueue(ctx, "default", []TaskRequest{testRequest("good", 1)}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"not json"`, `"{\"requestId\": \"xxxx`, `names no dataset`} {
		got, err := c.Dequeue(ctx, "default", time.Second)
		if !errors.Is(err, ErrBadRequest) || got != nil {
			t.Fatalf("Dequeue(malformed) = %+v, %v; want ErrBadRequest", got, err)
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
		if len(err.Error()) > 400 {
			t.Errorf("error quotes %d bytes: want a prefix of the payload", len(err.Error()))
		}
	}
	// The malformed payloads were consumed; the queue goes on.
	if got, err := c.Dequeue(ctx, "default", time.Second); err != nil || got == nil || got.RequestID != "good" {
		t.Fatalf("Dequeue after malformed = %+v, %v", got, err)
	}
}
