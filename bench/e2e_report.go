package bench

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
)

// E2EReport is what RunE2E measured, with the projection derived from it.
type E2EReport struct {
	Rows           int64   `json:"rows"`
	Files          int     `json:"files"`
	DatasetBytes   int64   `json:"datasetBytes"`
	Workers        int     `json:"workers"`
	Lambdas        int     `json:"lambdas"`
	Reps           int     `json:"reps"`
	LambdaMemoryMB int     `json:"lambdaMemoryMB"`
	Cores          int     `json:"cores"`
	GoVersion      string  `json:"goVersion"`
	Date           string  `json:"date"`
	Seconds        float64 `json:"seconds"` // the whole run, dataset and uploads included
	// Machine and Commit are filled in by the caller (the CPU model, the binary's version).
	Machine string `json:"machine,omitempty"`
	Commit  string `json:"commit,omitempty"`

	Results     []E2EResult  `json:"results"`
	Projections []Projection `json:"projections"`
	Assumptions []string     `json:"assumptions"`
}

// E2EResult summarises the runs of one (mode, query, cold|warm). Times are in seconds. Over
// several warm runs, wall and total times are medians, task percentiles the median of each run's,
// the task maximum the largest of all, counts are sums and bytes and cost are means per run.
type E2EResult struct {
	Mode  string `json:"mode"`
	Query string `json:"query"`
	Run   string `json:"run"` // "cold" or "warm"
	Runs  int    `json:"runs"`

	WallSeconds    float64 `json:"wallSeconds"` // the HTTP client's
	WallMinSeconds float64 `json:"wallMinSeconds"`
	TotalSeconds   float64 `json:"totalSeconds"` // stats.totalTime

	Tasks       int     `json:"tasks"` // per run
	RowsPerTask float64 `json:"rowsPerTask"`
	TaskP50     float64 `json:"taskP50Seconds"`
	// TaskP95 is stats.worker.totalTime's 95%, given by the server only from 20 tasks up.
	TaskP95          *float64 `json:"taskP95Seconds,omitempty"`
	TaskMax          float64  `json:"taskMaxSeconds"`
	TaskMean         float64  `json:"taskMeanSeconds"`
	LoadMean         float64  `json:"loadMeanSeconds"`
	InvokeLatencyMax float64  `json:"invokeLatencyMaxSeconds"`
	// InvokeLatencyMin is the smallest: on a cold run, a first-wave task's, which on fresh Lambda
	// functions includes the bootstrap's start.
	InvokeLatencyMin float64 `json:"invokeLatencyMinSeconds"`

	ColdTasks int `json:"coldTasks"`
	WarmTasks int `json:"warmTasks"`
	// BytesDownloaded is per run: parts read from the source x the mean part size.
	BytesDownloaded int64   `json:"bytesDownloaded"`
	CacheHitRatio   float64 `json:"cacheHitRatio"` // parts read from the disk cache / tasks
	// CostDollars is stats.cost per run (Lambda only).
	CostDollars *float64 `json:"costDollars,omitempty"`
}

// summarize folds the runs of one (mode, query, run kind) into an E2EResult.
func summarize(mode, query, run string, rows int64, ms []*measured) E2EResult {
	r := E2EResult{Mode: mode, Query: query, Run: run, Runs: len(ms)}
	var walls, totals, p50s, p95s, means, loads []float64
	var source, disk int
	var bytes float64
	var cost float64
	hasCost := false
	for _, m := range ms {
		st := &m.res.Stats
		walls = append(walls, m.wall.Seconds())
		totals = append(totals, st.TotalTime)
		w := &st.Worker
		p50s = append(p50s, w.TotalTime["50%"])
		if v, ok := w.TotalTime["95%"]; ok {
			p95s = append(p95s, v)
		}
		r.TaskMax = max(r.TaskMax, w.TotalTime["max"])
		means = append(means, w.TotalTime["mean"])
		loads = append(loads, w.LoadTime["mean"])
		r.InvokeLatencyMax = max(r.InvokeLatencyMax, w.InvokeLatency["max"])
		if v, ok := w.InvokeLatency["min"]; ok && (r.InvokeLatencyMin == 0 || v < r.InvokeLatencyMin) {
			r.InvokeLatencyMin = v
		}
		r.Tasks = w.Cache.Source + w.Cache.DiskCache
		r.ColdTasks += w.ColdTasks
		r.WarmTasks += w.WarmTasks
		source += w.Cache.Source
		disk += w.Cache.DiskCache
		if parts := st.Dataset.Parts; parts > 0 {
			bytes += float64(w.Cache.Source) * float64(st.Dataset.TotalSize) / float64(parts)
			r.RowsPerTask = float64(rows) / float64(parts)
		}
		if st.Cost != nil {
			cost += *st.Cost
			hasCost = true
		}
	}
	n := float64(len(ms))
	r.WallSeconds, r.WallMinSeconds = median(walls), slices.Min(walls)
	r.TotalSeconds, r.TaskP50 = median(totals), median(p50s)
	if len(p95s) > 0 {
		v := median(p95s)
		r.TaskP95 = &v
	}
	r.TaskMean, r.LoadMean = mean(means), mean(loads)
	r.BytesDownloaded = int64(math.Round(bytes / n))
	if source+disk > 0 {
		r.CacheHitRatio = float64(disk) / float64(source+disk)
	}
	if hasCost {
		c := cost / n
		r.CostDollars = &c
	}
	return r
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func mean(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	sum := 0.0
	for _, x := range v {
		sum += x
	}
	return sum / float64(len(v))
}

// ProjectionTarget is a dataset and a Lambda concurrency to project the measured runs onto.
type ProjectionTarget struct {
	Name      string `json:"name"`
	Rows      int64  `json:"rows"`
	Files     int    `json:"files"`
	Functions int    `json:"functions"` // concurrent Lambda functions
}

// DefaultProjectionTargets are the original's benchmark datasets (100M rows in 100 files on 100
// functions, 500M in 500 on 500) and the dataset of its published warm empty query (254M rows in
// 256 files, 2.11 s, $0.00175), run on as many functions as files.
func DefaultProjectionTargets() []ProjectionTarget {
	return []ProjectionTarget{
		{"100M/100 on 100", 100_000_000, 100, 100},
		{"500M/500 on 500", 500_000_000, 500, 500},
		{"254M/256 on 256", 254_000_000, 256, 256},
	}
}

// Projection estimates one (target, query, cold|warm) from a measured E2EResult.
type Projection struct {
	Target ProjectionTarget `json:"target"`
	From   string           `json:"from"` // the mode measured
	Query  string           `json:"query"`
	Run    string           `json:"run"`
	// TaskSeconds and TaskMaxSeconds are the projected mean and largest task times, scaled to the
	// target's rows per task; OverheadSeconds is what the measured wall time holds besides tasks.
	TaskSeconds     float64 `json:"taskSeconds"`
	TaskMaxSeconds  float64 `json:"taskMaxSeconds"`
	OverheadSeconds float64 `json:"overheadSeconds"`
	// ColdStartSeconds is the extra invoke latency of fresh functions (cold runs only).
	ColdStartSeconds float64 `json:"coldStartSeconds"`
	Waves            int     `json:"waves"`
	WallSeconds      float64 `json:"wallSeconds"`
	CostDollars      float64 `json:"costDollars"`
}

// LambdaPricePerGBSecond is AWS Lambda's x86 price in us-east-1, the original's default.
const LambdaPricePerGBSecond = 0.0000166667

// LambdaTaskCost is the original's cost of one task attempt: the run time plus 8 ms, rounded up to
// the millisecond, times the memory in GB, times the price.
func LambdaTaskCost(seconds float64, memoryMB int, pricePerGBSecond float64) float64 {
	billed := math.Ceil(math.Round((max(seconds, 0)+0.008)*1e9)/1e6) / 1000
	return billed * float64(memoryMB) / 1024 * pricePerGBSecond
}

// project fills r.Projections and r.Assumptions from the measured results: those of Lambda mode
// when it ran, else queue mode. A warm projection takes the measured mean and largest task; a cold
// one takes the largest cold task for every task, as in one wave every task starts like the
// measured first wave (self-selection preflight wait, download), plus the extra invoke latency of
// fresh functions (cold start), with the overhead of the warm runs.
func (r *E2EReport) project(targets []ProjectionTarget, invokeSeconds float64) {
	from, concurrency := ModeLambda, r.Lambdas
	if !slices.ContainsFunc(r.Results, func(x E2EResult) bool { return x.Mode == ModeLambda }) {
		from, concurrency = ModeQueue, r.Workers
	}
	// The workers were busy for tasks x mean task / concurrency at most (one task at a time each):
	// the rest of the wall time is dispatch, polling, merging and idle workers waiting for the
	// last tasks, so the estimate errs on the high side.
	overheadOf := func(m E2EResult) float64 {
		return max(0, m.WallSeconds-float64(m.Tasks)*m.TaskMean/float64(concurrency))
	}
	warmOf := func(m E2EResult) (E2EResult, bool) {
		for _, w := range r.Results {
			if w.Mode == m.Mode && w.Query == m.Query && w.Run == "warm" {
				return w, true
			}
		}
		return E2EResult{}, false
	}
	mem := r.LambdaMemoryMB
	for _, t := range targets {
		for _, m := range r.Results {
			if m.Mode != from || m.RowsPerTask == 0 || m.Tasks == 0 {
				continue
			}
			scale := float64(t.Rows) / float64(t.Files) / m.RowsPerTask
			p := Projection{Target: t, From: from, Query: m.Query, Run: m.Run, Waves: (t.Files + t.Functions - 1) / t.Functions,
				TaskSeconds: m.TaskMean * scale, TaskMaxSeconds: m.TaskMax * scale, OverheadSeconds: overheadOf(m)}
			if m.Run == "cold" {
				p.TaskSeconds = p.TaskMaxSeconds
				if w, ok := warmOf(m); ok {
					p.OverheadSeconds = overheadOf(w)
					p.ColdStartSeconds = max(0, m.InvokeLatencyMin-w.InvokeLatencyMin)
				}
			}
			p.WallSeconds = invokeSeconds + p.ColdStartSeconds + float64(p.Waves-1)*p.TaskSeconds + p.TaskMaxSeconds + p.OverheadSeconds
			p.CostDollars = float64(t.Files) * LambdaTaskCost(p.TaskSeconds, mem, LambdaPricePerGBSecond)
			r.Projections = append(r.Projections, p)
		}
	}
	measuredRows := float64(r.Rows) / float64(max(r.Files, 1))
	r.Assumptions = []string{
		fmt.Sprintf("measured in %s mode; per-task times (stats.worker.totalTime mean and max) scale linearly with rows per task (measured: %s rows per task)", from, formatCount(measuredRows)),
		fmt.Sprintf("a function of %d MB runs a task as fast as one core of this machine did with %d tasks at once on %d cores", mem, concurrency, r.Cores),
		fmt.Sprintf("wall = %.3g s assumed async-invoke latency + cold start + (waves-1) x task + largest task + overhead; overhead = measured warm wall - tasks x mean task / concurrency (dispatch, Redis statuses, polling, merge, HTTP, and workers idle while the last tasks run: an upper bound)", invokeSeconds),
		"warm: task = the measured mean task, largest task = the measured largest; cold: every task takes as long as the largest measured cold task (in one wave every task starts like the measured first wave: the self-selection preflight wait, then the download), and cold start = the smallest cold invoke latency - the smallest warm one (a fresh function's bootstrap start)",
		"every function is free when the query starts (no throttling) and the overhead does not grow with the number of tasks",
		"cold: parts download from the local S3-compatible server over loopback; from AWS S3 add part size / per-function S3 throughput",
		fmt.Sprintf("cost = files x ceil((mean task s + 0.008) x 1000)/1000 x %d/1024 GB x $%.10g per GB-s (the original's formula, us-east-1 x86); requests and S3 not included", mem, LambdaPricePerGBSecond),
	}
	for _, t := range targets {
		if ratio := float64(t.Rows) / float64(t.Files) / measuredRows; ratio < 0.5 || ratio > 2 {
			r.Assumptions = append(r.Assumptions, fmt.Sprintf("%s has %.3gx the measured rows per task: fixed parts of a task (e.g. cold tasks' 200 ms self-selection preflight wait) are scaled with the rest, so its projection is only indicative; measure at about 1M rows per task (the default --rows 10000000 --files 10)", t.Name, ratio))
		}
	}
}

// WriteTable prints the report as aligned text: the runs, then the projection and its assumptions.
func (r *E2EReport) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "frocket bench: %s rows in %d files (%s) on a local S3-compatible server; %d queue workers; %d Lambda emulator processes of %d MB; 1 cold + %d warm runs per query\n",
		formatCount(float64(r.Rows)), r.Files, formatBytes(float64(r.DatasetBytes)), r.Workers, r.Lambdas, r.LambdaMemoryMB, r.Reps)
	machine := r.Machine
	if machine == "" {
		machine = "?"
	}
	fmt.Fprintf(&b, "%s, %d cores, %s, commit %s, %s; whole run %.0f s\n\n", machine, r.Cores, r.GoVersion, orDash(r.Commit), r.Date, r.Seconds)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "mode\tquery\trun\twall_s\ttotal_s\ttask_p50\ttask_p95\ttask_max\tload_mean\tinvoke_min\tinvoke_max\tcold/warm tasks\tdownloaded\thit_ratio\tcost/query\t")
	for _, x := range r.Results {
		p95 := "-"
		if x.TaskP95 != nil {
			p95 = fmt.Sprintf("%.3f", *x.TaskP95)
		}
		cost := "-"
		if x.CostDollars != nil {
			cost = fmt.Sprintf("$%.7f", *x.CostDollars)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.3f\t%.3f\t%.3f\t%s\t%.3f\t%.3f\t%.3f\t%.3f\t%d/%d\t%s\t%.2f\t%s\t\n",
			x.Mode, x.Query, x.Run, x.WallSeconds, x.TotalSeconds, x.TaskP50, p95, x.TaskMax, x.LoadMean,
			x.InvokeLatencyMin, x.InvokeLatencyMax, x.ColdTasks, x.WarmTasks, formatBytes(float64(x.BytesDownloaded)), x.CacheHitRatio, cost)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	b.WriteString("\nwarm: median of the warm runs (task_max: the largest of all; cold/warm tasks: summed over runs); task_p95 only from 20 tasks up;\n" +
		"invoke_min/max: the time from invocation to a task's start (queueing for a free worker included; on a cold Lambda run the smallest includes the bootstrap's start)\n")
	if len(r.Projections) > 0 {
		b.WriteString("\nprojection (one task per file, 1 function per task):\n\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "target\tquery\trun\twaves\ttask_s\ttask_max_s\tcold_start_s\toverhead_s\twall_s\tcost/query\t")
		for _, p := range r.Projections {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.3f\t%.3f\t%.3f\t%.3f\t%.2f\t$%.5f\t\n", p.Target.Name, p.Query, p.Run, p.Waves,
				p.TaskSeconds, p.TaskMaxSeconds, p.ColdStartSeconds, p.OverheadSeconds, p.WallSeconds, p.CostDollars)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		b.WriteString("\nassumptions:\n")
		for _, a := range r.Assumptions {
			b.WriteString("  - " + a + "\n")
		}
		b.WriteString("the original (published): warm empty query, 254M rows in 256 files on Lambda: 2.11 s, $0.00175; cold start of its Python worker 3-5 s\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// formatCount writes 10000000 as 10.0M.
func formatCount(v float64) string {
	switch {
	case v >= 1e9:
		return fmt.Sprintf("%.3gG", v/1e9)
	case v >= 1e6:
		return fmt.Sprintf("%.3gM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.3gK", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

// formatBytes writes a byte count in MB (10^6) or KB.
func formatBytes(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v >= 1e6:
		return fmt.Sprintf("%.1f MB", v/1e6)
	}
	return fmt.Sprintf("%.1f KB", v/1e3)
}
