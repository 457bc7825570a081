package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/frocket/frocket/catalog"
	"github.com/frocket/frocket/cluster"
	"github.com/frocket/frocket/query"
)

// QueryJob is one query over one dataset, validated and ready to dispatch: one task per part, the
// task index being the part's index in Dataset.Parts.
type QueryJob struct {
	RequestID string
	Dataset   *catalog.Dataset
	Query     *query.Validated
	// Expanded is the expanded query document, as sent to remote workers.
	Expanded []byte
}

// DatasetRef returns the job's dataset as the task protocol names it.
func (j *QueryJob) DatasetRef() cluster.DatasetRef {
	d := j.Dataset
	return cluster.DatasetRef{Name: d.Name, RegisteredAt: d.RegisteredAt, BasePath: d.BasePath,
		GroupColumn: d.GroupColumn, TimestampColumn: d.TimestampColumn}
}

// Part returns task i's part.
func (j *QueryJob) Part(i int) cluster.PartRef {
	p := j.Dataset.Parts[i]
	return cluster.PartRef{Index: i, Name: p.Name, Size: p.Size}
}

// Invoker runs the tasks of query jobs: in process (LocalInvoker), through a Redis work queue, or
// through AWS Lambda.
type Invoker interface {
	// RunQuery runs every task of job and merges exactly one successful attempt per task, in task
	// order. It reports progress (counts of the latest attempt's status per task) on every change.
	// It never returns nil; a failed run has Err set.
	RunQuery(ctx context.Context, job *QueryJob, progress ProgressFunc) *JobRun
}

// JobRun is what an invoker did for one job.
type JobRun struct {
	Merged *query.Partial
	Err    error
	// Attempts holds the metrics of every task attempt that reported them, failed ones included.
	Attempts []cluster.TaskMetrics
	// EnqueueTime is spent dispatching the first attempts; PollTime waiting for the tasks.
	EnqueueTime, PollTime time.Duration
	// Cost is the run's compute cost in dollars, when the invoker knows it (Lambda).
	Cost *float64
}

// mergeInOrder merges partials (one per task, none nil) in task order.
func mergeInOrder(partials []*query.Partial) (*query.Partial, error) {
	merged := &query.Partial{}
	for i, p := range partials {
		if p == nil {
			return nil, fmt.Errorf("BUG: task %d has no result", i)
		}
		if i == 0 {
			*merged = *p
			continue
		}
		if err := merged.Merge(p); err != nil {
			return nil, fmt.Errorf("merge result of task %d: %w", i, err)
		}
	}
	return merged, nil
}

// taskFailure builds a job's failure message in Funnel Rocket's form:
// "<invoker message or 'No errors in invoker'>. Task errors: [<messages>]".
func taskFailure(invokerMsg string, taskErrs []string) error {
	if invokerMsg == "" {
		invokerMsg = "No errors in invoker"
	}
	if len(taskErrs) == 0 {
		return errors.New(invokerMsg)
	}
	return fmt.Errorf("%s. Task errors: [%s]", invokerMsg, strings.Join(taskErrs, "; "))
}

// statusCounts counts statuses for a progress report, leaving out zeros.
func statusCounts(statuses []string) map[string]int {
	out := map[string]int{}
	for _, s := range statuses {
		if s != "" {
			out[s]++
		}
	}
	return out
}

func (r *JobRun) stats(percentiles []float64) *JobStats {
	inv := &InvokerStats{EnqueueTime: seconds(r.EnqueueTime), PollTime: seconds(r.PollTime), TotalTasks: len(r.Attempts)}
	w := &WorkerStats{}
	var latency, load, total []float64
	var took []time.Duration
	for _, m := range r.Attempts {
		if !m.Success {
			inv.FailedTasks++
			continue
		}
		if m.Cold {
			w.ColdTasks++
		} else {
			w.WarmTasks++
		}
		latency = append(latency, m.InvokeLatency)
		load = append(load, m.LoadTime)
		total = append(total, m.TotalTime)
		took = append(took, time.Duration((m.InvokeLatency+m.TotalTime)*float64(time.Second)))
		w.ScannedRows += m.ScannedRows
		w.ScannedGroups += m.ScannedGroups
		if m.LoadFrom == cluster.LoadFromDiskCache {
			w.Cache.DiskCache++
		} else {
			w.Cache.Source++
		}
	}
	inv.TaskSuccessOverTime = successOverTime(took)
	w.InvokeLatency = NewTimingStats(latency, percentiles)
	w.LoadTime = NewTimingStats(load, percentiles)
	w.TotalTime = NewTimingStats(total, percentiles)
	return &JobStats{Invoker: inv, Worker: w, Cost: r.Cost}
}
