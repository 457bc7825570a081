package server

import (
	"bufio"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/frocket/frocket/cluster"
)

func TestHTTPMetricsText(t *testing.T) {
	m := NewMetrics()
	if got := metricsText(t, m); got != "" {
		t.Fatalf("no observation yet, got %q", got)
	}
	cost := 0.02
	m.ObserveQuery("ds", &JobRun{
		Attempts: []cluster.TaskMetrics{
			{Success: true, LoadFrom: "source", PartSelectMethod: "set_by_invoker", TotalTime: 0.3, LoadTime: 0.07, ScannedRows: 1500, ScannedGroups: 150},
			{Success: false, LoadFrom: "source", PartSelectMethod: "set_by_invoker", TotalTime: 20},
		},
		Cost: &cost,
	}, 1500*time.Millisecond)
	m.ObserveRegister(`we"ird`, false, 40*time.Millisecond)
	m.CountRequest("/datasets/{name}/query", 200)
	m.CountRequest("/datasets/{name}/query", 200)
	m.CountRequest("other", 404)

	// Series are sorted by their label values: "False" before "True".
	want := `
# HELP invoker_total_seconds Duration of a job, from request to result.
# TYPE invoker_total_seconds histogram
invoker_total_seconds_bucket{component="invoker",success="False",dataset="we\"ird",job_type="register",le="0.05"} 1
invoker_total_seconds_bucket{component="invoker",success="False",dataset="we\"ird",job_type="register",le="0.1"} 1
invoker_total_seconds_bucket{component="invoker",success="False",dataset="we\"ird",job_type="register",le="0.5"} 1
invoker_total_seconds_bucket{component="invoker",success="False",dataset="we\"ird",job_type="register",le="1"} 1
invoker_total_seconds_bucket{component="invoker",success="False",dataset="we\"ird",job_type="register",le="2"} 1
invoker_total_seconds_bucket{component="invoker",success="False",dataset="we\"ird",job_type="register",le="5"} 1
invoker_total_seconds_bucket{component="invoker",success="False",dataset="we\"ird",job_type="register",le="10"} 1
invoker_total_seconds_bucket{component="invoker",success="False",dataset="we\"ird",job_type="register",le="15"} 1
invoker_total_seconds_bucket{component="invoker",success="False",dataset="we\"ird",job_type="register",le="+Inf"} 1
invoker_total_seconds_sum{component="invoker",success="False",dataset="we\"ird",job_type="register"} 0.04
invoker_total_seconds_count{component="invoker",success="False",dataset="we\"ird",job_type="register"} 1
invoker_total_seconds_bucket{component="invoker",success="True",dataset="ds",job_type="query",le="0.05"} 0
invoker_total_seconds_bucket{component="invoker",success="True",dataset="ds",job_type="query",le="0.1"} 0
invoker_total_seconds_bucket{component="invoker",success="True",dataset="ds",job_type="query",le="0.5"} 0
invoker_total_seconds_bucket{component="invoker",success="True",dataset="ds",job_type="query",le="1"} 0
invoker_total_seconds_bucket{component="invoker",success="True",dataset="ds",job_type="query",le="2"} 1
invoker_total_seconds_bucket{component="invoker",success="True",dataset="ds",job_type="query",le="5"} 1
invoker_total_seconds_bucket{component="invoker",success="True",dataset="ds",job_type="query",le="10"} 1
invoker_total_seconds_bucket{component="invoker",success="True",dataset="ds",job_type="query",le="15"} 1
invoker_total_seconds_bucket{component="invoker",success="True",dataset="ds",job_type="query",le="+Inf"} 1
invoker_total_seconds_sum{component="invoker",success="True",dataset="ds",job_type="query"} 1.5
invoker_total_seconds_count{component="invoker",success="True",dataset="ds",job_type="query"} 1
# HELP task_total_run_seconds Duration of a task attempt.
`
	got := metricsText(t, m)
	if !strings.HasPrefix(got, strings.TrimPrefix(want, "\n")) {
		t.Errorf("metrics text starts with\n%s\nwant\n%s", got[:min(len(got), 2000)], want)
	}
	for _, line := range []string{
		`task_total_run_seconds_bucket{component="worker",success="True",dataset="ds",job_type="query",load_from="source",part_select_method="set_by_invoker",le="0.5"} 1`,
		`task_total_run_seconds_bucket{component="worker",success="False",dataset="ds",job_type="query",load_from="source",part_select_method="set_by_invoker",le="15"} 0`,
		`task_total_run_seconds_count{component="worker",success="False",dataset="ds",job_type="query",load_from="source",part_select_method="set_by_invoker"} 1`,
		`task_total_load_seconds_sum{component="worker",success="True",dataset="ds",job_type="query",load_from="source",part_select_method="set_by_invoker"} 0.07`,
		`scanned_rows_bucket{component="worker",success="True",dataset="ds",job_type="query",load_from="source",part_select_method="set_by_invoker",le="1000"} 0`,
		`scanned_rows_bucket{component="worker",success="True",dataset="ds",job_type="query",load_from="source",part_select_method="set_by_invoker",le="10000"} 1`,
		`scanned_groups_sum{component="worker",success="True",dataset="ds",job_type="query",load_from="source",part_select_method="set_by_invoker"} 150`,
		`cost_dollars_bucket{component="invoker",success="True",dataset="ds",job_type="query",le="0.01"} 0`,
		`cost_dollars_bucket{component="invoker",success="True",dataset="ds",job_type="query",le="0.05"} 1`,
		"# TYPE http_requests_total counter",
		`http_requests_total{route="/datasets/{name}/query",code="200"} 2`,
		`http_requests_total{route="other",code="404"} 1`,
	} {
		if !strings.Contains(got, "\n"+line+"\n") {
			t.Errorf("missing line %s", line)
		}
	}
	checkExposition(t, got)
}

// metricsText renders m, checking the byte count WriteTo reports.
func metricsText(t *testing.T, m *Metrics) string {
	t.Helper()
	var b strings.Builder
	n, err := m.WriteTo(&b)
	if err != nil || n != int64(b.Len()) {
		t.Fatalf("WriteTo: %d bytes, %v; wrote %d", n, err, b.Len())
	}
	return b.String()
}

var reSample = regexp.MustCompile(`^([a-z_]+)(\{([a-z_]+="([^"\\]|\\.)*")(,[a-z_]+="([^"\\]|\\.)*")*\})? (\S+)$`)

// checkExposition checks the text format: every line is a comment or a sample with a number, each
// family is declared once before its samples, and histogram buckets are cumulative.
func checkExposition(t *testing.T, text string) {
	t.Helper()
	declared := map[string]bool{}
	var lastBucket float64
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "# TYPE ") {
			name := strings.Fields(line)[2]
			if declared[name] {
				t.Errorf("%s declared twice", name)
			}
			declared[name] = true
			continue
		}
		if strings.HasPrefix(line, "# HELP ") {
			continue
		}
		m := reSample.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("malformed line %q", line)
			continue
		}
		v, err := strconv.ParseFloat(m[7], 64)
		if err != nil {
			t.Errorf("line %q: value: %v", line, err)
		}
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(m[1], "_bucket"), "_sum"), "_count")
		if !declared[base] && !declared[m[1]] {
			t.Errorf("line %q before its # TYPE", line)
		}
		if strings.HasSuffix(m[1], "_bucket") {
			if strings.Contains(line, `le="0.05"`) || strings.Contains(line, `le="100"`) || strings.Contains(line, `le="0.01"`) {
				lastBucket = 0
			}
			if v < lastBucket {
				t.Errorf("line %q: bucket count fell from %v", line, lastBucket)
			}
			lastBucket = v
		}
	}
}

func TestHTTPMetricsEndpoint(t *testing.T) {
	e := newHTTPEnv(t, httpOpts{})
	body := fmt.Sprintf(`{"name": "events", "basepath": %q, "groupIdColumn": "userId", "timestampColumn": "timestamp"}`, e.dataDir)
	e.do(t, "POST", "/datasets/register", []byte(body)).want(t, 200)
	e.do(t, "POST", "/datasets/events/query", []byte(testQuery)).want(t, 200)
	e.do(t, "GET", "/datasets/events/empty-query", nil).want(t, 200)
	e.do(t, "GET", "/datasets/nope/schema", nil).want(t, 404)
	a := e.do(t, "GET", "/metrics", nil).want(t, 200)
	if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type %q", ct)
	}
	text := string(a.body)
	checkExposition(t, text)
	for _, line := range []string{
		`invoker_total_seconds_count{component="invoker",success="True",dataset="events",job_type="register"} 1`,
		`invoker_total_seconds_count{component="invoker",success="True",dataset="events",job_type="query"} 2`,
		`task_total_run_seconds_count{component="worker",success="True",dataset="events",job_type="query",load_from="source",part_select_method="set_by_invoker"} 4`,
		`scanned_rows_sum{component="worker",success="True",dataset="events",job_type="query",load_from="source",part_select_method="set_by_invoker"} 10000`,
		`http_requests_total{route="/datasets/register",code="200"} 1`,
		`http_requests_total{route="/datasets/{name}/query",code="200"} 1`,
		`http_requests_total{route="/datasets/{name}/empty-query",code="200"} 1`,
		`http_requests_total{route="/datasets/{name}/schema",code="404"} 1`,
	} {
		if !strings.Contains(text, "\n"+line+"\n") {
			t.Errorf("missing line %s", line)
		}
	}
	if strings.Contains(text, "cost_dollars") {
		t.Error("cost_dollars without a cost")
	}
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestHTTPMetricsWriteError(t *testing.T) {
	m := NewMetrics()
	m.CountRequest("x", 200)
	if _, err := m.WriteTo(failingWriter{}); err == nil {
		t.Error("WriteTo on a failing writer: want an error")
	}
}
