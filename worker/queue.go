package worker

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/frocket/frocket/cluster"
)

// Queue is where a queue worker takes requests from (implemented by *cluster.Client).
type Queue interface {
	// Dequeue blocks up to timeout and returns (nil, nil) when nothing came.
	Dequeue(ctx context.Context, queue string, timeout time.Duration) (*cluster.TaskRequest, error)
}

// QueueConfig configures RunQueue.
type QueueConfig struct {
	Queue string // default "default"
	// Concurrency is how many tasks run at once (default 1).
	Concurrency int
	// BlockTimeout bounds one blocking dequeue (default 5s), and so how quickly a stop is noticed.
	BlockTimeout time.Duration
	// TaskTimeout bounds one task (default 60s, the invoker's default run timeout); a task under
	// way when the worker is asked to stop still gets this long to finish.
	TaskTimeout time.Duration
}

func (c *QueueConfig) withDefaults() QueueConfig {
	out := *c
	if out.Queue == "" {
		out.Queue = "default"
	}
	if out.Concurrency < 1 {
		out.Concurrency = 1
	}
	if out.BlockTimeout <= 0 {
		out.BlockTimeout = 5 * time.Second
	}
	if out.TaskTimeout <= 0 {
		out.TaskTimeout = 60 * time.Second
	}
	return out
}

// RunQueue takes requests from the queue and runs them until ctx is done; a task under way when
// ctx ends is finished (within TaskTimeout) and reported. Redis being unreachable is logged and
// retried with backoff: the worker carries on when Redis comes back.
func (s *Service) RunQueue(ctx context.Context, q Queue, cfg QueueConfig) error {
	cfg = cfg.withDefaults()
	s.log.Info("worker started", "queue", cfg.Queue, "concurrency", cfg.Concurrency, "name", s.cfg.Name)
	var wg sync.WaitGroup
	for range cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.queueLoop(ctx, q, cfg)
		}()
	}
	wg.Wait()
	s.log.Info("worker stopped", "name", s.cfg.Name)
	return nil
}

func (s *Service) queueLoop(ctx context.Context, q Queue, cfg QueueConfig) {
	backoff := time.Duration(0)
	for ctx.Err() == nil {
		req, err := q.Dequeue(ctx, cfg.Queue, cfg.BlockTimeout)
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case errors.Is(err, cluster.ErrBadRequest):
			s.log.Error("dropping malformed request", "err", err)
			continue
		case err != nil:
			backoff = min(max(2*backoff, 100*time.Millisecond), 5*time.Second)
			s.log.Warn("cannot take a task, retrying", "err", err, "backoff_ms", backoff.Milliseconds())
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
				return
			}
			continue
		case req == nil:
			continue
		}
		backoff = 0
		// A task that started is finished even if the worker is asked to stop meanwhile.
		tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.TaskTimeout)
		if err := s.Handle(tctx, req); err != nil && !errors.Is(err, ErrRejected) {
			s.log.Error("task not reported", "request_id", req.RequestID, "task", req.TaskIndex, "err", err)
		}
		cancel()
	}
}
