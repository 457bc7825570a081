package server

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/frocket/frocket/cluster"
	"github.com/frocket/frocket/query"
	"github.com/frocket/frocket/scan"
	"github.com/frocket/frocket/worker"
)

// LocalInvoker runs tasks in process on a pool of goroutines (embedded mode). The first failing task
// fails the job and cancels the tasks not yet started: a local failure (a corrupt or missing file)
// does not go away on retry.
type LocalInvoker struct {
	Workers int
	// Parts opens the parts: nil reads local datasets only; worker.CachedParts also reads S3.
	Parts worker.PartSource
	// Columns, when not nil, keeps decoded columns between queries (a long-running embedded server).
	Columns *worker.ColumnCache
	// Buffers recycles the memory of the columns decoded for one task in the next tasks, across
	// queries, when Columns is nil (see worker.Task.Buffers); nil uses the invoker's own. It is safe
	// for concurrent use, so one serves every goroutine of the pool.
	Buffers *scan.Buffers

	// own is the Buffers used when Buffers is nil; a LocalInvoker must not be copied once used.
	own scan.Buffers
}

// buffers returns the Buffers for tasks without a column cache, or nil when Columns is set: a
// decoded table may then be shared through the cache, and its memory must never be reused.
func (l *LocalInvoker) buffers() *scan.Buffers {
	switch {
	case l.Columns != nil:
		return nil
	case l.Buffers != nil:
		return l.Buffers
	}
	return &l.own
}

// RunQuery implements Invoker.
func (l *LocalInvoker) RunQuery(ctx context.Context, job *QueryJob, progress ProgressFunc) *JobRun {
	run := &JobRun{}
	start := time.Now()
	parts := l.Parts
	if parts == nil {
		parts = worker.LocalParts{}
	}
	n := len(job.Dataset.Parts)
	ds := job.DatasetRef()
	bufs := l.buffers()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type event struct {
		i       int
		started bool
		p       *query.Partial
		m       cluster.TaskMetrics
		err     error
	}
	next := make(chan int, n)
	for i := range n {
		next <- i
	}
	close(next)
	run.EnqueueTime = time.Since(start)
	events := make(chan event, 2*max(l.Workers, 1))
	var wg sync.WaitGroup
	for range min(max(l.Workers, 1), n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if ctx.Err() != nil {
					continue
				}
				events <- event{i: i, started: true}
				p, m, err := runTask(ctx, parts, l.Columns, bufs, ds, job.Part(i), job.Query)
				events <- event{i: i, p: p, m: m, err: err}
			}
		}()
	}
	go func() { wg.Wait(); close(events) }()

	statuses := make([]string, n)
	for i := range statuses {
		statuses[i] = cluster.StatusQueued
	}
	report := func() {
		if progress != nil {
			progress(Progress{Stage: "RUNNING", Tasks: statusCounts(statuses)})
		}
	}
	report()
	partials := make([]*query.Partial, n)
	var taskErrs []string
	for ev := range events {
		switch {
		case ev.started:
			statuses[ev.i] = cluster.StatusRunningQuery
		case ev.err != nil && errors.Is(ev.err, context.Canceled) && len(taskErrs) > 0:
			statuses[ev.i] = cluster.StatusQueued // stopped because another task failed
			continue
		case ev.err != nil:
			statuses[ev.i] = cluster.StatusEndedFailed
			run.Attempts = append(run.Attempts, ev.m)
			taskErrs = append(taskErrs, fmt.Sprintf("task %d: %v", ev.i, ev.err))
			cancel()
		default:
			statuses[ev.i] = cluster.StatusEndedSuccess
			run.Attempts = append(run.Attempts, ev.m)
			partials[ev.i] = ev.p
		}
		report()
	}
	run.PollTime = time.Since(start) - run.EnqueueTime
	if len(taskErrs) > 0 {
		run.Err = taskFailure("", taskErrs)
		return run
	}
	if err := ctx.Err(); err != nil {
		run.Err = fmt.Errorf("query canceled: %w", err)
		return run
	}
	run.Merged, run.Err = mergeInOrder(partials)
	return run
}

// runTask opens one part and answers the query over it, decoding into bufs when not nil (see
// LocalInvoker.buffers), turning a panic (a bug) into a task error instead of a crash.
func runTask(ctx context.Context, parts worker.PartSource, columns *worker.ColumnCache, bufs *scan.Buffers, ds cluster.DatasetRef, pr cluster.PartRef, v *query.Validated) (p *query.Partial, m cluster.TaskMetrics, err error) {
	start := time.Now()
	m = cluster.TaskMetrics{TaskIndex: pr.Index, PartSelectMethod: cluster.SelectSetByInvoker, Part: pr.Name}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("BUG: task on %s panicked: %v", pr.Name, r)
		}
		m.Success = err == nil
		m.TotalTime = time.Since(start).Seconds()
	}()
	part, err := parts.Open(ctx, ds, pr)
	if err != nil {
		return nil, m, err
	}
	if part.Close != nil {
		defer part.Close()
	}
	m.LoadFrom, m.BytesDownloaded, m.DownloadTime = part.LoadFrom, part.BytesDownloaded, part.DownloadTime.Seconds()
	p, st, err := worker.Run(ctx, worker.Task{Path: part.Path, Reader: part.Reader, Size: part.Size,
		GroupColumn: ds.GroupColumn, TimestampColumn: ds.TimestampColumn, Query: v,
		Columns: columns, Buffers: bufs, PartVersion: worker.PartVersion(ds, part)})
	if st != nil {
		m.LoadTime, m.RunTime = st.LoadTime.Seconds()+m.DownloadTime, st.RunTime.Seconds()
		m.ScannedRows, m.ScannedGroups = st.ScannedRows, st.ScannedGroups
	}
	return p, m, err
}
