package cache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestConcurrentFetchesFillOnce(t *testing.T) {
	c := openCache(t, t.TempDir(), 1<<20, true)
	k := key("a")
	want := partData(k, 10000)
	var calls atomic.Int32
	release := make(chan struct{})
	fill := func(ctx context.Context, w io.Writer) (int64, error) {
		calls.Add(1)
		<-release
		n, err := w.Write(want)
		return int64(n), err
	}
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, hit, err := c.Fetch(context.Background(), k, fill)
			if err != nil {
				errs <- err
				return
			}
			defer r.Close()
			if hit {
				errs <- errors.New("a Fetch during the download was a hit")
			}
			got := make([]byte, r.Size())
			if _, err := r.ReadAt(got, 0); err != nil || !bytes.Equal(got, want) {
				errs <- fmt.Errorf("content differs: %v", err)
			}
		}()
	}
	waitWaiters(t, c, k, n-1)
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if calls.Load() != 1 {
		t.Fatalf("fill called %d times, want 1", calls.Load())
	}
	if s := c.Stats(); s.Misses != n || s.Downloads != 1 || s.Pinned != 0 {
		t.Fatalf("Stats = %+v, want %d misses, 1 download, nothing pinned", s, n)
	}
}

// waitWaiters waits until n Fetches wait for the download of k.
func waitWaiters(t *testing.T, c *Cache, k Key, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c.mu.Lock()
		f := c.inflight[k.id()]
		got := 0
		if f != nil {
			got = f.waiters
		}
		c.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d Fetches wait for %s, want %d", got, k, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestWaiterRetriesWhenDownloaderCancelled(t *testing.T) {
	c := openCache(t, t.TempDir(), 1<<20, true)
	k := key("a")
	want := partData(k, 1000)
	var calls atomic.Int32
	started := make(chan struct{})
	blocking := func(ctx context.Context, w io.Writer) (int64, error) {
		calls.Add(1)
		close(started)
		<-ctx.Done()
		return 0, ctx.Err()
	}
	ctx, cancel := context.WithCancel(context.Background())
	firstErr := make(chan error, 1)
	go func() {
		_, _, err := c.Fetch(ctx, k, blocking)
		firstErr <- err
	}()
	<-started
	type result struct {
		data []byte
		err  error
	}
	second := make(chan result, 1)
	go func() {
		r, _, err := c.Fetch(context.Background(), k, fillOf(want, &calls))
		if err != nil {
			second <- result{err: err}
			return
		}
		defer r.Close()
		second <- result{data: readAll(t, r)}
	}()
	waitWaiters(t, c, k, 1)
	cancel()
	if err := <-firstErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Fetch = %v", err)
	}
	res := <-second
	if res.err != nil || !bytes.Equal(res.data, want) {
		t.Fatalf("waiting Fetch = %v, content equal %v", res.err, bytes.Equal(res.data, want))
	}
	if calls.Load() != 2 {
		t.Fatalf("fill called %d times, want 2", calls.Load())
	}
}

func TestWaiterFailsWithDownloadError(t *testing.T) {
	c := openCache(t, t.TempDir(), 1<<20, true)
	k := key("a")
	var calls atomic.Int32
	release := make(chan struct{})
	failing := func(ctx context.Context, w io.Writer) (int64, error) {
		calls.Add(1)
		<-release
		return 0, errors.New("object not found")
	}
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, _, err := c.Fetch(context.Background(), k, failing)
			errs <- err
		}()
	}
	waitWaiters(t, c, k, 1)
	close(release)
	for range 2 {
		if err := <-errs; err == nil || !strings.Contains(err.Error(), "object not found") {
			t.Fatalf("Fetch = %v, want the download's error", err)
		}
	}
	if calls.Load() != 1 {
		t.Fatalf("fill called %d times, want 1", calls.Load())
	}
}

func TestWaiterCancelledWhileWaiting(t *testing.T) {
	c := openCache(t, t.TempDir(), 0, true)
	k := key("a")
	want := partData(k, 100)
	release := make(chan struct{})
	fill := func(ctx context.Context, w io.Writer) (int64, error) {
		<-release
		n, err := w.Write(want)
		return int64(n), err
	}
	done := make(chan error, 1)
	go func() {
		r, _, err := c.Fetch(context.Background(), k, fill)
		if err == nil {
			r.Close()
		}
		done <- err
	}()
	// Wait for the download to start.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c.mu.Lock()
		started := c.inflight[k.id()] != nil
		c.mu.Unlock()
		if started {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("download did not start")
		}
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, _, err := c.Fetch(ctx, k, fill); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiting Fetch past its deadline = %v", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// The waiter that gave up holds no pin: b evicts a.
	fetch(t, c, key("b"), 100, nil)
	checkCandidates(t, c, reg1, "b")
	if s := c.Stats(); s.Pinned != 0 {
		t.Fatalf("Stats = %+v, want nothing pinned", s)
	}
}

func TestConcurrentUseUnderSmallBudget(t *testing.T) {
	c := openCache(t, t.TempDir(), 2000, true)
	const workers, rounds, nparts = 8, 60, 12
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				k := key(fmt.Sprintf("p%d", (w*7+i*5)%nparts))
				want := partData(k, 300+len(k.Part)*50)
				ctx, cancel := context.WithCancel(context.Background())
				if i%11 == 3 {
					cancel() // some Fetches give up at once
				}
				r, _, err := c.Fetch(ctx, k, fillOf(want, nil))
				cancel()
				if err != nil {
					if errors.Is(err, context.Canceled) {
						continue
					}
					errs <- err
					return
				}
				got := make([]byte, r.Size())
				_, err = r.ReadAt(got, 0)
				r.Close()
				if err != nil || !bytes.Equal(got, want) {
					errs <- fmt.Errorf("%s: content differs (%v)", k, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	s := c.Stats()
	if s.Pinned != 0 || s.Bytes > 2000 || s.Hits+s.Misses == 0 || s.Evictions == 0 {
		t.Fatalf("Stats after concurrent use = %+v", s)
	}
	var sum int64
	for _, k := range c.Keys() {
		sum += int64(300 + len(k.Part)*50)
	}
	if sum != s.Bytes || len(dirFiles(t, c.cfg.Dir)) != 2*s.Entries {
		t.Fatalf("index holds %d bytes, stats %d; %d files for %d entries", sum, s.Bytes, len(dirFiles(t, c.cfg.Dir)), s.Entries)
	}
}
