package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/frocket/frocket/cluster"
	"github.com/frocket/frocket/query"
	"github.com/frocket/frocket/scan"
)

// ServiceConfig configures a worker process.
type ServiceConfig struct {
	// RejectAge drops requests older than this (FROCKET_WORKER_REJECT_AGE): the invoker has treated
	// them as lost and retried already, or is about to.
	RejectAge time.Duration
	// Preflight is how long after a self-selection request was sent a worker without cached
	// candidates waits before taking any part (FROCKET_PART_SELECTION_PREFLIGHT_MS), so workers
	// that hold parts get to take them first.
	Preflight time.Duration
	// Name identifies this process in statuses (default host:pid).
	Name string
	// TrackColdStart labels the first task of the process cold and later ones warm (Lambda); when
	// false every task is warm, as a long-lived queue worker always is.
	TrackColdStart bool
	// MemoryMB is reported with each task for cost (Lambda); 0 elsewhere.
	MemoryMB int
	// MaxMapKeys is the per-part cap on per-value aggregation keys (0: DefaultMaxMapKeys).
	MaxMapKeys int
	Query      query.Config
	// Columns, when not nil, keeps decoded columns of recently used parts in memory between tasks
	// (FROCKET_WORKER_COLUMN_CACHE_MB), so repeated queries over a dataset skip decoding.
	Columns *ColumnCache
	// Buffers recycles the memory of the columns decoded for one task in the next tasks when Columns
	// is nil; it cuts the allocation and clearing of a decode (see scan.Buffers). Nil: NewService
	// makes one. One Buffers serves every concurrent task (it is safe for concurrent use and keeps
	// its slices in per-processor pools). With Columns set it is not used: a decoded table may go
	// into the column cache, which shares it with later tasks, so its memory is never given back.
	Buffers *scan.Buffers
	// DebugTaskDelay slows every task down after it reports LOADING_DATA, for fault-injection tests
	// (FROCKET_WORKER_DEBUG_TASK_DELAY_MS); 0 in production.
	DebugTaskDelay time.Duration
}

// DefaultServiceConfig returns Funnel Rocket's defaults.
func DefaultServiceConfig() ServiceConfig {
	host, _ := os.Hostname()
	return ServiceConfig{
		RejectAge: 60 * time.Second,
		Preflight: 200 * time.Millisecond,
		Name:      fmt.Sprintf("%s:%d", host, os.Getpid()),
		Query:     query.DefaultConfig(),
	}
}

// Validate reports every problem of c at once.
func (c ServiceConfig) Validate() error {
	var errs []error
	if c.RejectAge <= 0 {
		errs = append(errs, fmt.Errorf("reject age must be positive, not %v", c.RejectAge))
	}
	if c.Preflight < 0 {
		errs = append(errs, fmt.Errorf("preflight must not be negative"))
	}
	if c.MemoryMB < 0 {
		errs = append(errs, fmt.Errorf("memory must not be negative"))
	}
	return errors.Join(errs...)
}

// Part is a part made readable for one task.
type Part struct {
	// Path is the local file, or a name for errors when Reader is set.
	Path   string
	Reader io.ReaderAt
	Size   int64
	// LoadFrom is cluster.LoadFromSource or cluster.LoadFromDiskCache.
	LoadFrom        string
	BytesDownloaded int64
	DownloadTime    time.Duration
	// Close releases the part (nil: nothing to release).
	Close func() error
}

// PartSource makes parts readable: in place for local datasets, through the disk cache for S3.
type PartSource interface {
	Open(ctx context.Context, ds cluster.DatasetRef, p cluster.PartRef) (*Part, error)
	// Candidates returns the parts of exactly this registration of ds held locally, most recently
	// used first (none for local datasets, which are never cached).
	Candidates(ds cluster.DatasetRef) []cluster.PartRef
}

// PartVersion identifies the content of a part read through a reader (a cached download) for the
// column cache: the dataset's registration, which a changed object requires anyway. Local files
// are identified by their size and modification time instead, so this returns "" for them.
func PartVersion(ds cluster.DatasetRef, p *Part) string {
	if p.Reader == nil {
		return ""
	}
	return ds.Name + "@" + ds.RegisteredAt.UTC().Format(time.RFC3339Nano)
}

// TaskStore is the part of the Redis protocol a worker uses (implemented by *cluster.Client).
type TaskStore interface {
	SetStatus(ctx context.Context, rid string, ta cluster.TaskAttempt, st cluster.TaskStatus) error
	Finish(ctx context.Context, rid string, ta cluster.TaskAttempt, st cluster.TaskStatus, res *cluster.TaskResult) error
	TakePart(ctx context.Context, rid string, candidates []cluster.PartRef) (cluster.PartRef, string, bool, error)
}

// Service runs task requests: from a Redis queue (RunQueue) or one at a time (Handle, for Lambda).
type Service struct {
	store   TaskStore
	parts   PartSource
	cfg     ServiceConfig
	log     *slog.Logger
	started atomic.Bool
	// now is time.Now, replaceable in tests.
	now func() time.Time
}

// NewService returns a worker service.
func NewService(store TaskStore, parts PartSource, cfg ServiceConfig, log *slog.Logger) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("worker config: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Buffers == nil {
		cfg.Buffers = new(scan.Buffers)
	}
	return &Service{store: store, parts: parts, cfg: cfg, log: log, now: time.Now}, nil
}

// ErrRejected is returned by Handle for a request older than the reject age.
var ErrRejected = errors.New("worker: request too old, dropped")

// Handle runs one task request and writes its statuses and result. It returns an error only when
// it could not report to Redis (the invoker will then see the task as lost) or the request was
// rejected; a task that fails is reported as ENDED_FAILED and Handle returns nil.
func (s *Service) Handle(ctx context.Context, req *cluster.TaskRequest) error {
	received := s.now()
	if err := req.Validate(); err != nil {
		return err
	}
	cold := s.cfg.TrackColdStart && !s.started.Swap(true)
	latency := received.Sub(req.InvokedAt())
	if latency > s.cfg.RejectAge {
		s.log.Warn("dropping old request", "request_id", req.RequestID, "task", req.TaskIndex, "attempt", req.AttemptNo,
			"age_ms", latency.Milliseconds())
		return ErrRejected
	}
	m := cluster.TaskMetrics{AttemptNo: req.AttemptNo, Worker: s.cfg.Name, Cold: cold, MemoryMB: s.cfg.MemoryMB,
		InvokeLatency: max(latency.Seconds(), 0)}

	part, method, ok, err := s.choosePart(ctx, req, &m)
	if err != nil {
		return err
	}
	if !ok {
		s.log.Info("no part left to take", "request_id", req.RequestID)
		return nil
	}
	m.TaskIndex, m.Part, m.PartSelectMethod = part.Index, part.Name, method
	ta := cluster.TaskAttempt{Task: part.Index, Attempt: req.AttemptNo}
	log := s.log.With("request_id", req.RequestID, "task", part.Index, "attempt", req.AttemptNo, "part", part.Name)

	p, runErr := s.run(ctx, req, part, ta, &m)
	m.TotalTime = s.now().Sub(received).Seconds()
	m.Success = runErr == nil
	st := cluster.TaskStatus{Status: cluster.StatusEndedSuccess, Time: cluster.UnixSeconds(s.now()), Worker: s.cfg.Name}
	if runErr != nil {
		st.Status, st.Error = cluster.StatusEndedFailed, runErr.Error()
		log.Warn("task failed", "err", runErr)
	} else {
		log.Debug("task done", "rows", m.ScannedRows, "dur_ms", int64(m.TotalTime*1000))
	}
	// Report even when ctx was cancelled (shutdown): the invoker should know now, not after the
	// lost interval.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.store.Finish(rctx, req.RequestID, ta, st, &cluster.TaskResult{Partial: p, Metrics: m}); err != nil {
		return fmt.Errorf("report task %d/%d of %s: %w", ta.Task, ta.Attempt, req.RequestID, err)
	}
	return nil
}

// choosePart returns the part a request names, or takes one from the request's published set,
// preferring parts held locally.
func (s *Service) choosePart(ctx context.Context, req *cluster.TaskRequest, m *cluster.TaskMetrics) (cluster.PartRef, string, bool, error) {
	if req.Mode == cluster.SetByInvoker {
		return *req.Part, cluster.SelectSetByInvoker, true, nil
	}
	candidates := s.parts.Candidates(req.Dataset)
	if len(candidates) == 0 {
		if wait := req.InvokedAt().Add(s.cfg.Preflight).Sub(s.now()); wait > 0 {
			m.PreflightSleep = wait.Seconds()
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return cluster.PartRef{}, "", false, ctx.Err()
			}
		}
	}
	part, method, ok, err := s.store.TakePart(ctx, req.RequestID, candidates)
	if err != nil {
		return cluster.PartRef{}, "", false, fmt.Errorf("take a part for %s: %w", req.RequestID, err)
	}
	return part, method, ok, nil
}

// run loads and queries one part, reporting LOADING_DATA and RUNNING_QUERY on the way. A panic
// (a bug) becomes the task's error.
func (s *Service) run(ctx context.Context, req *cluster.TaskRequest, pr cluster.PartRef, ta cluster.TaskAttempt, m *cluster.TaskMetrics) (p *query.Partial, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("BUG: task panicked: %v", r)
		}
	}()
	status := func(st string) error {
		return s.store.SetStatus(ctx, req.RequestID, ta, cluster.TaskStatus{Status: st, Time: cluster.UnixSeconds(s.now()), Worker: s.cfg.Name})
	}
	if err := status(cluster.StatusLoadingData); err != nil {
		return nil, fmt.Errorf("report status: %w", err)
	}
	if d := s.cfg.DebugTaskDelay; d > 0 {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	v, errs := query.Compile(req.Query, nil, s.cfg.Query)
	if len(errs) > 0 {
		return nil, fmt.Errorf("task query: %w", errs)
	}
	v.UsedColumns = req.UsedColumns
	loadStart := s.now()
	part, err := s.parts.Open(ctx, req.Dataset, pr)
	if err != nil {
		return nil, err
	}
	if part.Close != nil {
		defer part.Close()
	}
	m.LoadFrom, m.BytesDownloaded, m.DownloadTime = part.LoadFrom, part.BytesDownloaded, part.DownloadTime.Seconds()
	t := Task{Path: part.Path, Reader: part.Reader, Size: part.Size, GroupColumn: req.Dataset.GroupColumn,
		TimestampColumn: req.Dataset.TimestampColumn, Query: v, MaxMapKeys: s.cfg.MaxMapKeys,
		Columns: s.cfg.Columns, PartVersion: PartVersion(req.Dataset, part)}
	if t.Columns == nil {
		t.Buffers = s.cfg.Buffers
	}
	tbl, index, _, err := load(t)
	if err != nil {
		return nil, err
	}
	if t.Columns == nil {
		// Only a table no cache holds is given back, once the partial result (which keeps nothing
		// of it) is made or the task has failed.
		defer t.Buffers.Release(tbl)
	}
	st := TableStats(tbl)
	m.ScannedRows, m.ScannedGroups = st.ScannedRows, st.ScannedGroups
	runStart := s.now()
	m.LoadTime = runStart.Sub(loadStart).Seconds()
	if err := status(cluster.StatusRunningQuery); err != nil {
		return nil, fmt.Errorf("report status: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err = evaluate(tbl, index, v, s.cfg.MaxMapKeys)
	m.RunTime = s.now().Sub(runStart).Seconds()
	if err != nil {
		return nil, fmt.Errorf("query part %s: %w", pr.Name, err)
	}
	return p, nil
}
