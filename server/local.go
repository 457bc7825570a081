package server

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/frocket/frocket/cluster"
	"github.com/frocket/frocket/objstore"
	"github.com/frocket/frocket/query"
	"github.com/frocket/frocket/worker"
)

// LocalInvoker runs tasks in process on a pool of goroutines (embedded mode). Parts must be local
// files. The first failing task fails the job and cancels the tasks not yet started: a local failure
// (a corrupt or missing file) does not go away on retry.
type LocalInvoker struct {
	Workers int
}

// RunQuery implements Invoker.
func (l *LocalInvoker) RunQuery(ctx context.Context, job *QueryJob, progress ProgressFunc) *JobRun {
	run := &JobRun{}
	start := time.Now()
	loc, err := objstore.ParseLocation(job.Dataset.BasePath)
	if err != nil {
		run.Err = fmt.Errorf("dataset %s: %w", job.Dataset.Name, err)
		return run
	}
	if loc.Scheme != "file" {
		run.Err = fmt.Errorf("dataset %s is on %s, which embedded mode cannot read yet", job.Dataset.Name, loc.Scheme)
		return run
	}
	bucket := objstore.NewLocal(loc.Path)
	n := len(job.Dataset.Parts)
	tasks := make([]worker.Task, n)
	for i, p := range job.Dataset.Parts {
		tasks[i] = worker.Task{Path: bucket.LocalPath(p.Name), GroupColumn: job.Dataset.GroupColumn,
			TimestampColumn: job.Dataset.TimestampColumn, Query: job.Query}
	}

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
				t0 := time.Now()
				p, st, err := runTask(ctx, tasks[i])
				m := cluster.TaskMetrics{TaskIndex: i, Success: err == nil, LoadFrom: cluster.LoadFromSource,
					PartSelectMethod: cluster.SelectSetByInvoker, Part: job.Dataset.Parts[i].Name, TotalTime: time.Since(t0).Seconds()}
				if st != nil {
					m.LoadTime, m.RunTime = st.LoadTime.Seconds(), st.RunTime.Seconds()
					m.ScannedRows, m.ScannedGroups = st.ScannedRows, st.ScannedGroups
				}
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

// runTask runs one task, turning a panic (a bug) into a task error instead of a crash.
func runTask(ctx context.Context, t worker.Task) (p *query.Partial, st *worker.Stats, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("BUG: task on %s panicked: %v", t.Path, r)
		}
	}()
	return worker.Run(ctx, t)
}
