package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/frocket/frocket/cluster"
	"github.com/frocket/frocket/query"
)

// TaskTracker is the invoker's side of the Redis task protocol (implemented by *cluster.Client).
type TaskTracker interface {
	InitTasks(ctx context.Context, rid string, n int, parts []cluster.PartRef) error
	NewAttempt(ctx context.Context, rid string, task int) (int, error)
	Statuses(ctx context.Context, rid string) (map[cluster.TaskAttempt]cluster.TaskStatus, error)
	Results(ctx context.Context, rid string, tas []cluster.TaskAttempt) ([]*cluster.TaskResult, error)
	Cleanup(ctx context.Context, rid string) error
}

// Dispatcher sends task requests to workers: onto a Redis queue, or as Lambda invocations.
type Dispatcher interface {
	// Dispatch sends every request; an error fails the job (it is not retried).
	Dispatch(ctx context.Context, reqs []cluster.TaskRequest) error
}

// QueueDispatcher pushes requests onto a Redis list that queue workers block on.
type QueueDispatcher struct {
	Queue interface {
		Enqueue(ctx context.Context, queue string, reqs []cluster.TaskRequest) error
	}
	Name string // default "default"
}

// Dispatch implements Dispatcher.
func (d *QueueDispatcher) Dispatch(ctx context.Context, reqs []cluster.TaskRequest) error {
	name := d.Name
	if name == "" {
		name = "default"
	}
	if err := d.Queue.Enqueue(ctx, name, reqs); err != nil {
		return fmt.Errorf("enqueue %d task(s): %w", len(reqs), err)
	}
	return nil
}

// RemoteConfig configures a RemoteInvoker; the FROCKET_INVOKER_* names are Funnel Rocket's.
type RemoteConfig struct {
	PollInterval        time.Duration // FROCKET_INVOKER_ASYNC_POLL_INTERVAL_MS, 25ms
	RunTimeout          time.Duration // FROCKET_INVOKER_RUN_TIMEOUT, 60s
	MaxAttempts         int           // FROCKET_INVOKER_RETRY_MAX_ATTEMPTS, 3
	RetryFailedInterval time.Duration // FROCKET_INVOKER_RETRY_FAILED_INTERVAL, 3s
	RetryLostInterval   time.Duration // FROCKET_INVOKER_RETRY_LOST_INTERVAL, 20s
	SelfSelect          bool          // FROCKET_WORKER_SELF_SELECT_ENABLED, true
	// RedisGrace is how long polling may fail in a row (Redis away) before the job fails.
	RedisGrace time.Duration
	// Cost, when set, prices a job's attempts (Lambda).
	Cost func([]cluster.TaskMetrics) *float64
}

// DefaultRemoteConfig returns Funnel Rocket's defaults.
func DefaultRemoteConfig() RemoteConfig {
	return RemoteConfig{
		PollInterval:        25 * time.Millisecond,
		RunTimeout:          60 * time.Second,
		MaxAttempts:         3,
		RetryFailedInterval: 3 * time.Second,
		RetryLostInterval:   20 * time.Second,
		SelfSelect:          true,
		RedisGrace:          5 * time.Second,
	}
}

// Validate reports every problem of c at once.
func (c RemoteConfig) Validate() error {
	var errs []error
	if c.PollInterval <= 0 {
		errs = append(errs, fmt.Errorf("poll interval must be positive"))
	}
	if c.RunTimeout <= 0 {
		errs = append(errs, fmt.Errorf("run timeout must be positive"))
	}
	if c.MaxAttempts < 1 {
		errs = append(errs, fmt.Errorf("max attempts must be at least 1, not %d", c.MaxAttempts))
	}
	if c.RetryFailedInterval < 0 || c.RetryLostInterval <= 0 {
		errs = append(errs, fmt.Errorf("retry intervals must be positive"))
	}
	if c.RedisGrace <= 0 {
		errs = append(errs, fmt.Errorf("redis grace must be positive"))
	}
	return errors.Join(errs...)
}

// RemoteInvoker runs tasks on remote workers and tracks them through Redis: statuses per (task,
// attempt), retries of failed tasks after RetryFailedInterval and of lost ones (no status change
// for RetryLostInterval) with a new attempt number set by the invoker, up to MaxAttempts; then it
// merges exactly one successful attempt per task, the earliest.
type RemoteInvoker struct {
	tracker  TaskTracker
	dispatch Dispatcher
	cfg      RemoteConfig
	log      *slog.Logger
	now      func() time.Time
}

// NewRemoteInvoker returns an invoker over a tracker and a dispatcher.
func NewRemoteInvoker(t TaskTracker, d Dispatcher, cfg RemoteConfig, log *slog.Logger) (*RemoteInvoker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invoker config: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &RemoteInvoker{tracker: t, dispatch: d, cfg: cfg, log: log, now: time.Now}, nil
}

// taskState is what the invoker knows of one task.
type taskState struct {
	attempts int // attempts dispatched so far
	chosen   int // the earliest successful attempt, or -1
	latest   cluster.TaskStatus
	latestNo int
}

// RunQuery implements Invoker.
func (r *RemoteInvoker) RunQuery(ctx context.Context, job *QueryJob, progress ProgressFunc) *JobRun {
	run := &JobRun{}
	rid := job.RequestID
	n := len(job.Dataset.Parts)
	log := r.log.With("request_id", rid, "dataset", job.Dataset.Name)
	defer func() {
		// Request keys go even when the caller gave up; they also carry a TTL in case this fails.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := r.tracker.Cleanup(cctx, rid); err != nil {
			log.Warn("cannot delete request keys (they expire)", "err", err)
		}
	}()
	report := func(stage, msg string, tasks map[string]int) {
		if progress != nil {
			progress(Progress{Stage: stage, Message: msg, Tasks: tasks})
		}
	}

	start := r.now()
	var published []cluster.PartRef
	if r.cfg.SelfSelect {
		published = make([]cluster.PartRef, n)
		for i := range published {
			published[i] = job.Part(i)
		}
	}
	report("STARTING", "Enqueuing tasks", nil)
	if err := r.tracker.InitTasks(ctx, rid, n, published); err != nil {
		run.Err = fmt.Errorf("start tasks: %w", err)
		return run
	}
	reqs := make([]cluster.TaskRequest, n)
	for i := range reqs {
		reqs[i] = r.request(job, i, 0)
		if r.cfg.SelfSelect {
			reqs[i].Mode, reqs[i].Part = cluster.SelectedByWorker, nil
		}
	}
	if err := r.dispatch.Dispatch(ctx, reqs); err != nil {
		run.Err = err
		return run
	}
	run.EnqueueTime = r.now().Sub(start)

	chosen, err := r.poll(ctx, job, report, log)
	run.PollTime = r.now().Sub(start) - run.EnqueueTime
	metricsOf := func() {
		run.Attempts = r.collectMetrics(ctx, rid, log)
		if r.cfg.Cost != nil {
			run.Cost = r.cfg.Cost(run.Attempts)
		}
	}
	if err != nil {
		metricsOf()
		run.Err = err
		return run
	}
	report("FINISHING", "Merging results", nil)
	results, err := r.tracker.Results(ctx, rid, chosen)
	if err != nil {
		metricsOf()
		run.Err = fmt.Errorf("read task results: %w", err)
		return run
	}
	partials := make([]*query.Partial, n)
	for i, res := range results {
		if res == nil || res.Partial == nil {
			run.Err = fmt.Errorf("task %d attempt %d reported success without a result", chosen[i].Task, chosen[i].Attempt)
			return run
		}
		partials[i] = res.Partial
	}
	metricsOf()
	run.Merged, run.Err = mergeInOrder(partials)
	return run
}

func (r *RemoteInvoker) request(job *QueryJob, task, attempt int) cluster.TaskRequest {
	part := job.Part(task)
	return cluster.TaskRequest{
		RequestID: job.RequestID, InvokeTime: cluster.UnixSeconds(r.now()), TaskIndex: task, AttemptNo: attempt,
		Dataset: job.DatasetRef(), Mode: cluster.SetByInvoker, Part: &part,
		Query: job.Expanded, UsedColumns: job.Query.UsedColumns,
	}
}

// poll waits until every task has a successful attempt, retrying as configured, and returns the
// chosen attempt of each task in task order.
func (r *RemoteInvoker) poll(ctx context.Context, job *QueryJob, report func(string, string, map[string]int), log *slog.Logger) ([]cluster.TaskAttempt, error) {
	rid := job.RequestID
	n := len(job.Dataset.Parts)
	tasks := make([]taskState, n)
	for i := range tasks {
		tasks[i] = taskState{attempts: 1, chosen: -1}
	}
	start := r.now()
	var lastGood time.Time = start
	var lastCounts string
	tick := time.NewTicker(r.cfg.PollInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("query canceled: %w", ctx.Err())
		case <-tick.C:
		}
		now := r.now()
		if elapsed := now.Sub(start); elapsed > r.cfg.RunTimeout {
			return nil, fmt.Errorf("Query timed out after %.2f seconds", elapsed.Seconds())
		}
		statuses, err := r.tracker.Statuses(ctx, rid)
		if err != nil {
			if now.Sub(lastGood) > r.cfg.RedisGrace {
				return nil, fmt.Errorf("task statuses unavailable for %.1fs: %w", now.Sub(lastGood).Seconds(), err)
			}
			log.Warn("cannot read task statuses, retrying", "err", err)
			continue
		}
		lastGood = now
		if len(statuses) == 0 {
			return nil, fmt.Errorf("the task state of request %s vanished from Redis (was Redis restarted or flushed?)", rid)
		}
		updateStates(tasks, statuses)

		latest := make([]string, n)
		done := 0
		var exhausted []int
		for i := range tasks {
			t := &tasks[i]
			if t.chosen >= 0 {
				latest[i] = cluster.StatusEndedSuccess
				done++
				continue
			}
			if t.latestNo < 0 {
				continue // not written yet
			}
			latest[i] = t.latest.Status
			age := now.Sub(cluster.TimeOf(t.latest.Time))
			switch {
			case t.latest.Status == cluster.StatusEndedFailed && t.attempts >= r.cfg.MaxAttempts:
				exhausted = append(exhausted, i)
			case t.latest.Status == cluster.StatusEndedFailed && age >= r.cfg.RetryFailedInterval,
				!cluster.Ended(t.latest.Status) && age >= r.cfg.RetryLostInterval && t.attempts < r.cfg.MaxAttempts:
				if err := r.retry(ctx, job, i, t, log); err != nil {
					return nil, err
				}
			}
		}
		if key := fmt.Sprint(statusCounts(latest)); key != lastCounts {
			lastCounts = key
			report("RUNNING", "Polling results", statusCounts(latest))
		}
		if len(exhausted) > 0 {
			var msgs []string
			for i := range tasks {
				if tasks[i].latest.Status == cluster.StatusEndedFailed && tasks[i].chosen < 0 {
					msgs = append(msgs, fmt.Sprintf("task %d attempt %d: %s", i, tasks[i].latestNo, tasks[i].latest.Error))
				}
			}
			return nil, taskFailure(fmt.Sprintf("No more retries for task(s): %v, failing", exhausted), msgs)
		}
		if done == n {
			out := make([]cluster.TaskAttempt, n)
			for i := range tasks {
				out[i] = cluster.TaskAttempt{Task: i, Attempt: tasks[i].chosen}
			}
			return out, nil
		}
	}
}

// updateStates folds the statuses read from Redis into the task states: the chosen attempt is the
// lowest successful one; otherwise the latest is the highest attempt seen.
func updateStates(tasks []taskState, statuses map[cluster.TaskAttempt]cluster.TaskStatus) {
	for i := range tasks {
		tasks[i].latestNo = -1
	}
	for ta, st := range statuses {
		if ta.Task < 0 || ta.Task >= len(tasks) {
			continue
		}
		t := &tasks[ta.Task]
		if st.Status == cluster.StatusEndedSuccess && (t.chosen < 0 || ta.Attempt < t.chosen) {
			t.chosen = ta.Attempt
		}
		if ta.Attempt > t.latestNo {
			t.latestNo, t.latest = ta.Attempt, st
		}
		t.attempts = max(t.attempts, ta.Attempt+1)
	}
}

func (r *RemoteInvoker) retry(ctx context.Context, job *QueryJob, i int, t *taskState, log *slog.Logger) error {
	attempt, err := r.tracker.NewAttempt(ctx, job.RequestID, i)
	if err != nil {
		return fmt.Errorf("retry task %d: %w", i, err)
	}
	log.Info("retrying task", "task", i, "attempt", attempt, "previous_status", t.latest.Status, "previous_error", t.latest.Error)
	if err := r.dispatch.Dispatch(ctx, []cluster.TaskRequest{r.request(job, i, attempt)}); err != nil {
		return err
	}
	t.attempts = attempt + 1
	t.latestNo = attempt
	t.latest = cluster.TaskStatus{Status: cluster.StatusQueued, Time: cluster.UnixSeconds(r.now())}
	return nil
}

// collectMetrics reads the metrics of every attempt that ended, in (task, attempt) order.
func (r *RemoteInvoker) collectMetrics(ctx context.Context, rid string, log *slog.Logger) []cluster.TaskMetrics {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	statuses, err := r.tracker.Statuses(cctx, rid)
	if err != nil {
		log.Warn("cannot read task metrics", "err", err)
		return nil
	}
	var ended []cluster.TaskAttempt
	for ta, st := range statuses {
		if cluster.Ended(st.Status) {
			ended = append(ended, ta)
		}
	}
	sort.Slice(ended, func(i, j int) bool {
		if ended[i].Task != ended[j].Task {
			return ended[i].Task < ended[j].Task
		}
		return ended[i].Attempt < ended[j].Attempt
	})
	results, err := r.tracker.Results(cctx, rid, ended)
	if err != nil {
		log.Warn("cannot read task metrics", "err", err)
		return nil
	}
	out := make([]cluster.TaskMetrics, 0, len(results))
	for _, res := range results {
		if res != nil {
			out = append(out, res.Metrics)
		}
	}
	return out
}
