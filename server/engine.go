package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/frocket/frocket/catalog"
	"github.com/frocket/frocket/objstore"
	"github.com/frocket/frocket/query"
	"github.com/frocket/frocket/worker"
)

// Config configures an Engine.
type Config struct {
	// Workers is how many parts are answered at once in process (embedded mode).
	Workers int
	Query   query.Config
	// Register configures registration jobs.
	Register catalog.RegisterConfig
	// UnregisterLastUsedInterval refuses to unregister a dataset queried more recently than this,
	// unless forced; 0 disables the check.
	UnregisterLastUsedInterval time.Duration
	// Percentiles of the timing stats.
	Percentiles []float64
}

// DefaultConfig returns the defaults of Funnel Rocket's configuration.
func DefaultConfig() Config {
	return Config{
		Workers:                    runtime.GOMAXPROCS(0),
		Query:                      query.DefaultConfig(),
		Register:                   catalog.DefaultRegisterConfig(),
		UnregisterLastUsedInterval: 30 * time.Second,
		Percentiles:                DefaultPercentiles,
	}
}

// Validate reports every problem of c at once.
func (c Config) Validate() error {
	var errs []error
	if c.Workers < 1 {
		errs = append(errs, fmt.Errorf("workers must be at least 1, not %d", c.Workers))
	}
	if c.Query.DefaultTop < 1 {
		errs = append(errs, fmt.Errorf("default aggregation top must be at least 1, not %d", c.Query.DefaultTop))
	}
	if c.UnregisterLastUsedInterval < 0 {
		errs = append(errs, fmt.Errorf("unregister last-used interval must not be negative"))
	}
	for _, p := range c.Percentiles {
		if p <= 0 || p >= 1 {
			errs = append(errs, fmt.Errorf("percentile %v is not in (0, 1)", p))
		}
	}
	return errors.Join(errs...)
}

// Engine runs registration and query jobs against a catalog. This file holds the embedded mode:
// tasks run in process, one goroutine per worker slot.
type Engine struct {
	store catalog.Store
	cfg   Config
	log   *slog.Logger
}

// NewEngine returns an engine over store.
func NewEngine(store catalog.Store, cfg Config, log *slog.Logger) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("engine config: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Engine{store: store, cfg: cfg, log: log}, nil
}

// Store returns the engine's catalog.
func (e *Engine) Store() catalog.Store { return e.store }

// Progress is a snapshot of a running job: the number of tasks in each status.
type Progress struct {
	Stage   string         `json:"stage"`
	Message string         `json:"message,omitempty"`
	Tasks   map[string]int `json:"tasks,omitempty"`
}

// ProgressFunc receives progress snapshots; it is called from one goroutine at a time.
type ProgressFunc func(Progress)

// Task statuses, as Funnel Rocket names them.
const (
	StatusQueued       = "QUEUED"
	StatusLoadingData  = "LOADING_DATA"
	StatusRunningQuery = "RUNNING_QUERY"
	StatusRunning      = "RUNNING"
	StatusEndedSuccess = "ENDED_SUCCESS"
	StatusEndedFailed  = "ENDED_FAILED"
)

// QueryJobResult is the answer to a query job.
type QueryJobResult struct {
	Success      bool                `json:"success"`
	ErrorMessage string              `json:"errorMessage,omitempty"`
	RequestID    string              `json:"requestId"`
	Stats        *JobStats           `json:"stats,omitempty"`
	Query        *query.QueryResult  `json:"query,omitempty"`
	Funnel       *query.FunnelResult `json:"funnel,omitempty"`
}

// NewRequestID returns an id like 1617106320-6a1e53e9: epoch seconds and 8 random hex digits.
func NewRequestID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%d-%s", time.Now().Unix(), hex.EncodeToString(b[:]))
}

// Query validates body against the dataset and runs it over every part. A returned error is about
// the request itself (unknown dataset: catalog.ErrNotFound; invalid query: query.Errors); a job that
// started and failed returns a result with Success false.
func (e *Engine) Query(ctx context.Context, dataset string, body []byte, progress ProgressFunc) (*QueryJobResult, error) {
	start := time.Now()
	ds, err := e.store.Get(ctx, dataset)
	if err != nil {
		return nil, err
	}
	v, errs := query.Compile(body, ds.QuerySchema(), e.cfg.Query)
	if len(errs) > 0 {
		return nil, errs
	}
	loc, err := objstore.ParseLocation(ds.BasePath)
	if err != nil {
		return nil, fmt.Errorf("dataset %s: %w", ds.Name, err)
	}
	if loc.Scheme != "file" {
		return nil, fmt.Errorf("dataset %s: %s datasets are not supported in embedded mode yet", ds.Name, loc.Scheme)
	}
	if err := e.store.TouchLastUsed(ctx, ds.Name, time.Now()); err != nil {
		e.log.Warn("cannot record dataset use", "dataset", ds.Name, "err", err)
	}
	bucket := objstore.NewLocal(loc.Path)
	res := &QueryJobResult{RequestID: NewRequestID()}
	tasks := make([]worker.Task, len(ds.Parts))
	var totalSize int64
	for i, p := range ds.Parts {
		tasks[i] = worker.Task{Path: bucket.LocalPath(p.Name), GroupColumn: ds.GroupColumn, TimestampColumn: ds.TimestampColumn, Query: v}
		totalSize += p.Size
	}
	e.log.Debug("query job", "request_id", res.RequestID, "dataset", ds.Name, "parts", len(tasks))
	merged, run := e.runLocal(ctx, tasks, progress)
	stats := run.stats(e.cfg.Percentiles)
	stats.Dataset = &DatasetStats{TotalSize: totalSize, Parts: len(ds.Parts)}
	stats.TotalTime = seconds(time.Since(start))
	res.Stats = stats
	if run.err != nil {
		res.ErrorMessage = run.err.Error()
		return res, nil
	}
	final := merged.Finalize()
	res.Success = true
	res.Query = &final.Query
	res.Funnel = final.Funnel
	e.log.Info("query done", "request_id", res.RequestID, "dataset", ds.Name, "parts", len(tasks),
		"rows", stats.Worker.ScannedRows, "dur_ms", time.Since(start).Milliseconds())
	return res, nil
}

// localRun records what the tasks of one job did.
type localRun struct {
	enqueue, poll time.Duration
	taskTimes     []time.Duration
	loadTimes     []float64
	totalTimes    []float64
	rows, groups  int64
	failed        int
	err           error
}

func (r *localRun) stats(percentiles []float64) *JobStats {
	ok := len(r.taskTimes)
	w := &WorkerStats{WarmTasks: ok, ScannedRows: r.rows, ScannedGroups: r.groups, Cache: CacheStats{Source: ok}}
	w.LoadTime = NewTimingStats(r.loadTimes, percentiles)
	w.TotalTime = NewTimingStats(r.totalTimes, percentiles)
	w.InvokeLatency = NewTimingStats(make([]float64, ok), percentiles)
	return &JobStats{
		Invoker: &InvokerStats{
			EnqueueTime: seconds(r.enqueue), PollTime: seconds(r.poll),
			TotalTasks: ok + r.failed, FailedTasks: r.failed,
			TaskSuccessOverTime: successOverTime(r.taskTimes),
		},
		Worker: w,
	}
}

// runLocal runs tasks on e.cfg.Workers goroutines and merges their partials in task order. The
// first failure cancels the remaining tasks.
func (e *Engine) runLocal(ctx context.Context, tasks []worker.Task, progress ProgressFunc) (*query.Partial, *localRun) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	run := &localRun{}
	type outcome struct {
		i     int
		p     *query.Partial
		st    *worker.Stats
		took  time.Duration
		err   error
		begin bool
	}
	next := make(chan int, len(tasks))
	for i := range tasks {
		next <- i
	}
	close(next)
	run.enqueue = time.Since(start)
	outcomes := make(chan outcome, 2*e.cfg.Workers)
	var wg sync.WaitGroup
	for w := 0; w < min(e.cfg.Workers, len(tasks)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if ctx.Err() != nil {
					outcomes <- outcome{i: i, err: ctx.Err()}
					continue
				}
				outcomes <- outcome{i: i, begin: true}
				t0 := time.Now()
				p, st, err := runTask(ctx, tasks[i])
				outcomes <- outcome{i: i, p: p, st: st, err: err, took: time.Since(t0)}
			}
		}()
	}
	go func() { wg.Wait(); close(outcomes) }()

	partials := make([]*query.Partial, len(tasks))
	counts := map[string]int{StatusQueued: len(tasks)}
	report := func(msg string) {
		if progress == nil {
			return
		}
		snap := map[string]int{}
		for k, v := range counts {
			if v > 0 {
				snap[k] = v
			}
		}
		progress(Progress{Stage: "RUNNING", Message: msg, Tasks: snap})
	}
	report("Running tasks")
	var taskErrs []string
	for o := range outcomes {
		if o.begin {
			counts[StatusQueued]--
			counts[StatusRunningQuery]++
			report("")
			continue
		}
		if o.st == nil && o.p == nil && errors.Is(o.err, context.Canceled) && run.err != nil {
			continue // skipped after an earlier failure
		}
		counts[StatusRunningQuery]--
		if o.err != nil {
			counts[StatusEndedFailed]++
			run.failed++
			taskErrs = append(taskErrs, fmt.Sprintf("task %d: %v", o.i, o.err))
			if run.err == nil {
				run.err = o.err
			}
			cancel()
			report("")
			continue
		}
		counts[StatusEndedSuccess]++
		partials[o.i] = o.p
		run.taskTimes = append(run.taskTimes, o.took)
		run.loadTimes = append(run.loadTimes, o.st.LoadTime.Seconds())
		run.totalTimes = append(run.totalTimes, o.took.Seconds())
		run.rows += o.st.ScannedRows
		run.groups += o.st.ScannedGroups
		report("")
	}
	run.poll = time.Since(start) - run.enqueue
	if run.err != nil {
		run.err = fmt.Errorf("No errors in invoker. Task errors: [%s]", strings.Join(taskErrs, "; "))
		return nil, run
	}
	var merged *query.Partial
	for i, p := range partials {
		if merged == nil {
			merged = p
			continue
		}
		if err := merged.Merge(p); err != nil {
			run.err = fmt.Errorf("merge result of task %d: %w", i, err)
			return nil, run
		}
	}
	if merged == nil {
		merged = &query.Partial{}
	}
	return merged, run
}

// runTask runs one task, turning a panic (a bug) into a task error instead of a crash.
func runTask(ctx context.Context, t worker.Task) (p *query.Partial, st *worker.Stats, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("BUG: task on %s panicked: %v", t.Path, r)
		}
	}()
	return worker.Run(ctx, t)
}
