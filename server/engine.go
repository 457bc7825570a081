package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/frocket/frocket/catalog"
	"github.com/frocket/frocket/objstore"
	"github.com/frocket/frocket/query"
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
	// Buckets opens datasets' base paths for registration (nil: local directories and S3 with the
	// default configuration).
	Buckets *objstore.Opener
	// AllowedRoots confines local base paths to these directories (FROCKET_ALLOWED_ROOTS); empty
	// allows any local directory.
	AllowedRoots []string
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

// Engine runs registration and query jobs against a catalog, dispatching query tasks through an
// Invoker.
type Engine struct {
	store    catalog.Store
	invoker  Invoker
	cfg      Config
	log      *slog.Logger
	observer Observer
}

// Observer is told about every finished job, e.g. to export metrics. It must be safe for
// concurrent use.
type Observer interface {
	// ObserveQuery is called once per query job that started running.
	ObserveQuery(dataset string, run *JobRun, total time.Duration)
	// ObserveRegister is called once per registration job that started.
	ObserveRegister(dataset string, success bool, total time.Duration)
}

// SetObserver installs o; call it before the engine serves requests.
func (e *Engine) SetObserver(o Observer) { e.observer = o }

// NewEngine returns an engine over store that runs tasks through inv (nil: in process, on
// cfg.Workers goroutines).
func NewEngine(store catalog.Store, inv Invoker, cfg Config, log *slog.Logger) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("engine config: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Buckets == nil {
		cfg.Buckets = &objstore.Opener{}
	}
	if inv == nil {
		inv = &LocalInvoker{Workers: cfg.Workers}
	}
	return &Engine{store: store, invoker: inv, cfg: cfg, log: log}, nil
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
	expanded, err := json.Marshal(v.Query)
	if err != nil {
		return nil, fmt.Errorf("encode expanded query: %w", err)
	}
	if err := e.store.TouchLastUsed(ctx, ds.Name, time.Now()); err != nil {
		e.log.Warn("cannot record dataset use", "dataset", ds.Name, "err", err)
	}
	job := &QueryJob{RequestID: NewRequestID(), Dataset: ds, Query: v, Expanded: expanded}
	res := &QueryJobResult{RequestID: job.RequestID}
	e.log.Debug("query job", "request_id", job.RequestID, "dataset", ds.Name, "parts", len(ds.Parts))
	run := e.invoker.RunQuery(ctx, job, progress)
	if e.observer != nil {
		e.observer.ObserveQuery(ds.Name, run, time.Since(start))
	}
	stats := run.stats(e.cfg.Percentiles)
	stats.Dataset = &DatasetStats{TotalSize: ds.TotalSize(), Parts: len(ds.Parts)}
	stats.TotalTime = seconds(time.Since(start))
	res.Stats = stats
	if run.Err != nil {
		res.ErrorMessage = run.Err.Error()
		e.log.Warn("query failed", "request_id", job.RequestID, "dataset", ds.Name, "err", run.Err)
		return res, nil
	}
	final := run.Merged.Finalize()
	res.Success = true
	res.Query = &final.Query
	res.Funnel = final.Funnel
	e.log.Info("query done", "request_id", job.RequestID, "dataset", ds.Name, "parts", len(ds.Parts),
		"rows", stats.Worker.ScannedRows, "dur_ms", time.Since(start).Milliseconds())
	return res, nil
}
