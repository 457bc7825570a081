package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// Modes of the end-to-end benchmark (E2EConfig.Modes).
const (
	// ModeQueue runs `frocket serve --redis` with `frocket worker` processes.
	ModeQueue = "queue"
	// ModeLambda runs `frocket serve --redis --invoker lambda` against a pool of Lambda emulator
	// processes, each running the frocket bootstrap.
	ModeLambda = "lambda"
)

// E2EQuery is one query of the end-to-end benchmark.
type E2EQuery struct {
	Name string
	Body string // the query JSON
}

// DefaultE2EQueries are the queries of scripts/bench-queue.sh: the empty query, a three-step funnel
// and three count conditions joined by or with an aggregation.
func DefaultE2EQueries() []E2EQuery {
	return []E2EQuery{
		{"empty", `{}`},
		{"funnel3", `{"funnel":{"sequence":[{"filter":["eventType","==","pageview"]},{"filter":["eventType","==","addToCart"]},{"filter":["eventType","==","purchase"]}]}}`},
		{"conds3-or", `{"query":{"conditions":[{"filter":["eventType","==","purchase"],"target":["count",">=",2]},{"filter":["country","==","DE"],"target":["count",">=",3]},{"filter":["device","==","tablet"],"target":["count",">",5]}],"relation":"or","aggregations":[{"column":"browser","type":"groupsPerValue"}]}}`},
	}
}

// E2EConfig says what the end-to-end benchmark runs.
type E2EConfig struct {
	// Rows and Files shape the generated dataset (seed 1, sorted parts).
	Rows  int64
	Files int
	// DataDir holds the dataset; parts already there (Files of them) are reused.
	DataDir string
	// Binary is the frocket executable started as `serve`, `worker` and, in Lambda mode, as the
	// function's bootstrap (`frocket lambda`).
	Binary string
	// Bootstrap, when set, is the Lambda function's executable instead of Binary (e.g. dist/bootstrap
	// of `make lambda`); it is run as `BOOTSTRAP lambda`.
	Bootstrap string
	// Workers is the number of queue workers; Lambdas the number of emulator processes (the
	// function's concurrency).
	Workers, Lambdas int
	// Reps is the number of warm runs after the cold one, per mode and query.
	Reps int
	// Modes lists ModeQueue and/or ModeLambda, run in this order.
	Modes []string
	// LambdaMemoryMB is the function memory the emulator reports and tasks are priced with.
	LambdaMemoryMB int
	// Queries run in this order; empty means DefaultE2EQueries.
	Queries []E2EQuery
	// Projection describes the projected runs; empty means DefaultProjectionTargets.
	Projection []ProjectionTarget
	// AssumedInvokeSeconds is the latency of an asynchronous Lambda invocation assumed by the
	// projection (not measurable on the emulator).
	AssumedInvokeSeconds float64
	// QueryTimeout bounds each query.
	QueryTimeout time.Duration
	// Log, when set, receives a line per step.
	Log io.Writer
}

// DefaultE2EConfig returns the configuration of `make bench`: 10M rows in 10 files, 2 queue workers,
// 2 Lambda emulator processes of 2048 MB, 3 warm runs.
func DefaultE2EConfig() E2EConfig {
	return E2EConfig{
		Rows:                 10_000_000,
		Files:                10,
		Workers:              2,
		Lambdas:              2,
		Reps:                 3,
		Modes:                []string{ModeQueue, ModeLambda},
		LambdaMemoryMB:       2048,
		AssumedInvokeSeconds: 0.1,
		QueryTimeout:         5 * time.Minute,
	}
}

// Validate reports every problem of the configuration at once.
func (c E2EConfig) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("bench: "+format, args...)) }
	if c.Rows < 1 {
		bad("rows must be positive, got %d", c.Rows)
	}
	if c.Files < 1 || c.Files > maxFiles {
		bad("files must be in [1, %d], got %d", maxFiles, c.Files)
	}
	if c.DataDir == "" {
		bad("data dir must be set")
	}
	if c.Binary == "" {
		bad("frocket binary must be set")
	}
	if c.Reps < 0 {
		bad("reps must not be negative, got %d", c.Reps)
	}
	if len(c.Modes) == 0 {
		bad("no mode to run (use %s and/or %s)", ModeQueue, ModeLambda)
	}
	for _, m := range c.Modes {
		switch m {
		case ModeQueue:
			if c.Workers < 1 {
				bad("queue mode needs at least one worker, got %d", c.Workers)
			}
		case ModeLambda:
			if c.Lambdas < 1 {
				bad("lambda mode needs at least one emulator process, got %d", c.Lambdas)
			}
			if c.LambdaMemoryMB < 128 || c.LambdaMemoryMB > 10240 {
				bad("lambda memory must be in [128, 10240] MB, got %d", c.LambdaMemoryMB)
			}
		default:
			bad("unknown mode %q (use %s or %s)", m, ModeQueue, ModeLambda)
		}
	}
	if c.AssumedInvokeSeconds < 0 {
		bad("assumed invoke latency must not be negative, got %v", c.AssumedInvokeSeconds)
	}
	if c.QueryTimeout <= 0 {
		bad("query timeout must be positive, got %v", c.QueryTimeout)
	}
	for _, q := range c.Queries {
		if q.Name == "" || q.Body == "" {
			bad("a query needs a name and a body: %+v", q)
		}
	}
	return errors.Join(errs...)
}

// logf writes one progress line to c.Log.
func (c *E2EConfig) logf(format string, args ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, "bench: "+format+"\n", args...)
	}
}

// RunE2E runs the end-to-end benchmark: it generates (or reuses) the dataset, uploads it to a
// private S3-compatible server, starts Redis, then for each mode and query starts fresh workers
// (or a fresh emulator pool) with empty caches, runs the query once cold and Reps times warm,
// and stops them. Every process it started is stopped and every temporary directory removed
// before it returns, also when ctx is cancelled.
func RunE2E(ctx context.Context, cfg E2EConfig) (*E2EReport, error) {
	if len(cfg.Queries) == 0 {
		cfg.Queries = DefaultE2EQueries()
	}
	if len(cfg.Projection) == 0 {
		cfg.Projection = DefaultProjectionTargets()
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	bin, err := filepath.Abs(cfg.Binary)
	if err != nil {
		return nil, fmt.Errorf("frocket binary: %w", err)
	}
	cfg.Binary = bin
	started := time.Now()
	ds, err := prepareDataset(ctx, &cfg)
	if err != nil {
		return nil, err
	}
	h, err := startHarness(ctx, &cfg, ds)
	if err != nil {
		return nil, err
	}
	defer h.close()

	rep := &E2EReport{
		Rows: cfg.Rows, Files: cfg.Files, DatasetBytes: ds.bytes, Workers: cfg.Workers, Lambdas: cfg.Lambdas,
		Reps: cfg.Reps, LambdaMemoryMB: cfg.LambdaMemoryMB, Cores: runtime.NumCPU(), GoVersion: runtime.Version(),
		Date: time.Now().UTC().Format("2006-01-02"),
	}
	for _, mode := range cfg.Modes {
		for _, q := range cfg.Queries {
			rows, err := h.runQuery(ctx, mode, q)
			if err != nil {
				return nil, fmt.Errorf("%s mode, query %s: %w", mode, q.Name, err)
			}
			rep.Results = append(rep.Results, rows...)
		}
	}
	rep.project(cfg.Projection, cfg.AssumedInvokeSeconds)
	rep.Seconds = time.Since(started).Seconds()
	return rep, nil
}

// dataset is the generated dataset on local disk.
type dataset struct {
	dir   string
	files []string // absolute paths, in part order
	bytes int64
}

// prepareDataset reuses the parts in cfg.DataDir when all of them are there, else generates them.
func prepareDataset(ctx context.Context, cfg *E2EConfig) (*dataset, error) {
	dir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	ds := &dataset{dir: dir}
	complete := true
	for p := range cfg.Files {
		path := partPath(dir, p)
		st, err := os.Stat(path)
		if err != nil {
			complete = false
			break
		}
		ds.files = append(ds.files, path)
		ds.bytes += st.Size()
	}
	// A part beyond Files means another dataset was written here.
	if _, err := os.Stat(partPath(dir, cfg.Files)); err == nil {
		return nil, fmt.Errorf("data dir %s holds more than %d parts: use another --data dir", dir, cfg.Files)
	}
	if complete {
		cfg.logf("reusing %d parts in %s (%d MB)", cfg.Files, dir, ds.bytes>>20)
		return ds, nil
	}
	gc := DefaultGenConfig()
	gc.Rows, gc.Files, gc.OutDir = cfg.Rows, cfg.Files, dir
	cfg.logf("generating %d rows in %d parts into %s", cfg.Rows, cfg.Files, dir)
	st, err := Generate(ctx, gc)
	if err != nil {
		return nil, fmt.Errorf("generate dataset: %w", err)
	}
	ds.files, ds.bytes = st.Files, st.Bytes
	for i, f := range ds.files {
		if ds.files[i], err = filepath.Abs(f); err != nil {
			return nil, fmt.Errorf("dataset part: %w", err)
		}
	}
	return ds, nil
}
