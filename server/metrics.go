package server

import (
	"bufio"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Metrics exports job and HTTP request metrics in the Prometheus text exposition format (version
// 0.0.4), under Funnel Rocket's metric names. It implements Observer; every Metrics holds its own
// series (nothing is registered globally). It is safe for concurrent use.
//
// Histograms, with labels component, success ("True"/"False"), dataset and job_type
// (query|register):
//
//	invoker_total_seconds    one per job (component="invoker")
//	task_total_run_seconds   one per task attempt (component="worker"), also labelled load_from and part_select_method
//	task_total_load_seconds  as task_total_run_seconds
//	scanned_rows             as task_total_run_seconds
//	scanned_groups           as task_total_run_seconds
//	cost_dollars             one per job whose invoker knows its cost (component="invoker")
//
// Counter: http_requests_total, labelled route (the matched path pattern) and code.
type Metrics struct {
	mu       sync.Mutex
	families []*metricFamily

	invokerTotal, taskRun, taskLoad, scannedRows, scannedGroups, cost, requests *metricFamily
}

// Metric buckets, Funnel Rocket's defaults by unit.
func secondsBuckets() []float64 { return []float64{0.05, 0.1, 0.5, 1, 2, 5, 10, 15} }
func dollarsBuckets() []float64 { return []float64{0.01, 0.05, 0.1, 0.5, 1, 2} }
func countBuckets() []float64 {
	return []float64{100, 1000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 500_000_000}
}

// NewMetrics returns an empty set of metrics.
func NewMetrics() *Metrics {
	m := &Metrics{}
	jobLabels := []string{"component", "success", "dataset", "job_type"}
	taskLabels := append(slices.Clone(jobLabels), "load_from", "part_select_method")
	add := func(name, help, typ string, labels []string, buckets []float64) *metricFamily {
		f := &metricFamily{name: name, help: help, typ: typ, labels: labels, buckets: buckets, series: map[string]*metricSeries{}}
		m.families = append(m.families, f)
		return f
	}
	m.invokerTotal = add("invoker_total_seconds", "Duration of a job, from request to result.", "histogram", jobLabels, secondsBuckets())
	m.taskRun = add("task_total_run_seconds", "Duration of a task attempt.", "histogram", taskLabels, secondsBuckets())
	m.taskLoad = add("task_total_load_seconds", "Time a task attempt spent loading its part.", "histogram", taskLabels, secondsBuckets())
	m.scannedRows = add("scanned_rows", "Rows scanned by a task attempt.", "histogram", taskLabels, countBuckets())
	m.scannedGroups = add("scanned_groups", "Groups scanned by a task attempt.", "histogram", taskLabels, countBuckets())
	m.cost = add("cost_dollars", "Compute cost of a job, when the invoker knows it.", "histogram", jobLabels, dollarsBuckets())
	m.requests = add("http_requests_total", "HTTP requests answered, by route and status code.", "counter", []string{"route", "code"}, nil)
	return m
}

// pyBool renders a success label as Funnel Rocket did.
func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// ObserveQuery implements Observer.
func (m *Metrics) ObserveQuery(dataset string, run *JobRun, total time.Duration) {
	if run == nil {
		return
	}
	ok := pyBool(run.Err == nil)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.invokerTotal.observe(total.Seconds(), "invoker", ok, dataset, "query")
	for _, a := range run.Attempts {
		lv := []string{"worker", pyBool(a.Success), dataset, "query", a.LoadFrom, a.PartSelectMethod}
		m.taskRun.observe(a.TotalTime, lv...)
		m.taskLoad.observe(a.LoadTime, lv...)
		m.scannedRows.observe(float64(a.ScannedRows), lv...)
		m.scannedGroups.observe(float64(a.ScannedGroups), lv...)
	}
	if run.Cost != nil {
		m.cost.observe(*run.Cost, "invoker", ok, dataset, "query")
	}
}

// ObserveRegister implements Observer.
func (m *Metrics) ObserveRegister(dataset string, success bool, total time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.invokerTotal.observe(total.Seconds(), "invoker", pyBool(success), dataset, "register")
}

// CountRequest counts one answered HTTP request.
func (m *Metrics) CountRequest(route string, code int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests.add(1, route, strconv.Itoa(code))
}

// WriteTo writes every series in the Prometheus text format, families in a fixed order and series
// sorted by their label values.
func (m *Metrics) WriteTo(w io.Writer) (int64, error) {
	cw := &countingWriter{w: bufio.NewWriter(w)}
	m.mu.Lock()
	for _, f := range m.families {
		f.write(cw)
	}
	m.mu.Unlock()
	if err := cw.w.Flush(); err != nil && cw.err == nil {
		cw.err = err
	}
	return cw.n, cw.err
}

// ServeHTTP answers a scrape.
func (m *Metrics) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_, _ = m.WriteTo(w)
}

// metricFamily is one metric name with its series. Buckets are upper bounds, ascending; a counter has
// none.
type metricFamily struct {
	name, help, typ string
	labels          []string
	buckets         []float64
	series          map[string]*metricSeries
}

// metricSeries is one label combination. For a histogram, counts[i] counts the observations in
// (buckets[i-1], buckets[i]] (not cumulative; the last slot is above every bucket).
type metricSeries struct {
	values []string
	counts []uint64
	count  uint64
	sum    float64
}

func (f *metricFamily) get(values []string) *metricSeries {
	key := strings.Join(values, "\xff")
	s := f.series[key]
	if s == nil {
		s = &metricSeries{values: slices.Clone(values)}
		if f.buckets != nil {
			s.counts = make([]uint64, len(f.buckets)+1)
		}
		f.series[key] = s
	}
	return s
}

func (f *metricFamily) observe(v float64, values ...string) {
	if math.IsNaN(v) {
		return
	}
	s := f.get(values)
	i, _ := slices.BinarySearch(f.buckets, v)
	s.counts[i]++
	s.count++
	s.sum += v
}

func (f *metricFamily) add(v float64, values ...string) {
	s := f.get(values)
	s.sum += v
}

func (f *metricFamily) write(w *countingWriter) {
	if len(f.series) == 0 {
		return
	}
	w.str("# HELP " + f.name + " " + f.help + "\n")
	w.str("# TYPE " + f.name + " " + f.typ + "\n")
	keys := make([]string, 0, len(f.series))
	for k := range f.series {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		s := f.series[k]
		if f.typ == "counter" {
			w.str(f.name + labelSet(f.labels, s.values, "") + " " + formatFloat(s.sum) + "\n")
			continue
		}
		var cum uint64
		for i, ub := range f.buckets {
			cum += s.counts[i]
			w.str(f.name + "_bucket" + labelSet(f.labels, s.values, formatFloat(ub)) + " " + strconv.FormatUint(cum, 10) + "\n")
		}
		w.str(f.name + "_bucket" + labelSet(f.labels, s.values, "+Inf") + " " + strconv.FormatUint(s.count, 10) + "\n")
		w.str(f.name + "_sum" + labelSet(f.labels, s.values, "") + " " + formatFloat(s.sum) + "\n")
		w.str(f.name + "_count" + labelSet(f.labels, s.values, "") + " " + strconv.FormatUint(s.count, 10) + "\n")
	}
}

// labelSet renders {name="value",...}, adding le when it is not empty.
func labelSet(names, values []string, le string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(n)
		b.WriteString(`="`)
		b.WriteString(escapeLabel(values[i]))
		b.WriteByte('"')
	}
	if le != "" {
		if len(names) > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`le="`)
		b.WriteString(le)
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// escapeLabel escapes a label value as the text format requires: backslash, double quote and
// newline.
func escapeLabel(s string) string {
	if !strings.ContainsAny(s, "\\\"\n") {
		return s
	}
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// countingWriter writes strings, keeping the first error and the byte count.
type countingWriter struct {
	w   *bufio.Writer
	n   int64
	err error
}

func (c *countingWriter) str(s string) {
	if c.err != nil {
		return
	}
	n, err := c.w.WriteString(s)
	c.n += int64(n)
	c.err = err
}
