package prepare

import (
	"context"
	"sync"
	"sync/atomic"
)

// parallel calls fn for i in [0, n) on up to workers goroutines, each i once, in increasing
// order of start. The first error cancels the context given to the other calls and is
// returned; otherwise the parent context's error, if any.
func parallel(ctx context.Context, n, workers int, fn func(ctx context.Context, worker, i int) error) error {
	if n == 0 {
		return ctx.Err()
	}
	workers = max(1, min(workers, n))
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next  atomic.Int64
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for w := range workers {
		wg.Go(func() {
			for cctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(cctx, w, i); err != nil {
					once.Do(func() {
						first = err
						cancel()
					})
					return
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	return first
}

// byteSem is a counting semaphore over bytes that grants waiters in arrival order.
type byteSem struct {
	mu      sync.Mutex
	avail   int64
	waiters []*semWaiter
}

type semWaiter struct {
	n     int64
	ready chan struct{}
}

func newByteSem(total int64) *byteSem { return &byteSem{avail: total} }

// acquire takes n bytes, waiting until they are free or ctx is done. n must not exceed the
// semaphore's total.
func (s *byteSem) acquire(ctx context.Context, n int64) error {
	s.mu.Lock()
	if len(s.waiters) == 0 && s.avail >= n {
		s.avail -= n
		s.mu.Unlock()
		return nil
	}
	w := &semWaiter{n: n, ready: make(chan struct{})}
	s.waiters = append(s.waiters, w)
	s.mu.Unlock()
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		select {
		case <-w.ready: // granted meanwhile: give it back
			s.avail += n
		default:
			for i, x := range s.waiters {
				if x == w {
					s.waiters = append(s.waiters[:i], s.waiters[i+1:]...)
					break
				}
			}
		}
		s.grant()
		s.mu.Unlock()
		return ctx.Err()
	}
}

// release returns n bytes.
func (s *byteSem) release(n int64) {
	s.mu.Lock()
	s.avail += n
	s.grant()
	s.mu.Unlock()
}

// grant wakes the waiters at the head of the queue whose bytes are free. s.mu is held.
func (s *byteSem) grant() {
	for len(s.waiters) > 0 && s.avail >= s.waiters[0].n {
		w := s.waiters[0]
		s.waiters = s.waiters[1:]
		s.avail -= w.n
		close(w.ready)
	}
}
