package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// report is the outcome of one harness run.
type report struct {
	Machine machine  `json:"machine"`
	Rows    int64    `json:"rows"`
	Files   int      `json:"files"`
	Reps    int      `json:"reps"`
	Threads int      `json:"threads"`
	Results []result `json:"results"`
}

// machine describes where and on what the run happened.
type machine struct {
	CPU    string `json:"cpu"`
	Cores  int    `json:"cores"`
	Go     string `json:"go"`
	DuckDB string `json:"duckdb"`
	Commit string `json:"commit"`
	Date   string `json:"date"`
	// Load is /proc/loadavg's 1, 5 and 15 minute averages when the run started: other work on
	// the machine makes the figures noisier.
	Load string `json:"load,omitempty"`
}

// result is one query on one layout. Throughputs are dataset rows per second of wall time, per
// thread; Ratio is frocket's over DuckDB's.
type result struct {
	Query          string   `json:"query"`
	Layout         string   `json:"layout"`
	Rows           int64    `json:"rows"`
	FrocketSeconds float64  `json:"frocketSeconds"`
	DuckDBSeconds  float64  `json:"duckdbSeconds"`
	FrocketRowsSec float64  `json:"frocketRowsPerSecPerThread"`
	DuckDBRowsSec  float64  `json:"duckdbRowsPerSecPerThread"`
	Ratio          float64  `json:"ratio"`
	Target         float64  `json:"target,omitempty"`
	Match          bool     `json:"match"`
	Diffs          []string `json:"diffs,omitempty"`
	Error          string   `json:"error,omitempty"`
	Frocket        *answer  `json:"frocketAnswer,omitempty"`
	DuckDB         *answer  `json:"duckdbAnswer,omitempty"`
}

// fill computes the throughputs and the ratio from the times.
func (r *result) fill(threads int) {
	if r.FrocketSeconds > 0 {
		r.FrocketRowsSec = float64(r.Rows) / r.FrocketSeconds / float64(threads)
	}
	if r.DuckDBSeconds > 0 {
		r.DuckDBRowsSec = float64(r.Rows) / r.DuckDBSeconds / float64(threads)
	}
	if r.DuckDBRowsSec > 0 {
		r.Ratio = r.FrocketRowsSec / r.DuckDBRowsSec
	}
}

func (r *result) failed() bool { return r.Error != "" || !r.Match }

// failures counts the results with an error or differing answers.
func (rep *report) failures() int {
	n := 0
	for i := range rep.Results {
		if rep.Results[i].failed() {
			n++
		}
	}
	return n
}

// printTable writes the results as an aligned table, then every mismatch with both answers.
func (rep *report) printTable(w io.Writer) {
	fmt.Fprintf(w, "frocket vs DuckDB: %s rows in %d files, best of %d, %d thread(s) each; rows/s per thread\n",
		humanCount(float64(rep.Rows)), rep.Files, rep.Reps, rep.Threads)
	m := rep.Machine
	fmt.Fprintf(w, "%s, %d cores, %s, DuckDB %s, commit %s, %s, load average at start %s\n\n", m.CPU, m.Cores, m.Go, m.DuckDB, m.Commit, m.Date, m.Load)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "query\tlayout\tfrocket rows/s\tduckdb rows/s\tratio\ttarget\tmet?\t")
	for i := range rep.Results {
		r := &rep.Results[i]
		if r.Error != "" {
			fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\t%s\tERROR\t\n", r.Query, r.Layout, targetText(r.Target))
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.2fx\t%s\t%s\t\n", r.Query, r.Layout, humanCount(r.FrocketRowsSec),
			humanCount(r.DuckDBRowsSec), r.Ratio, targetText(r.Target), metText(r))
	}
	tw.Flush()
	for i := range rep.Results {
		r := &rep.Results[i]
		switch {
		case r.Error != "":
			fmt.Fprintf(w, "\n%s/%s failed: %s\n", r.Layout, r.Query, r.Error)
		case !r.Match:
			fmt.Fprintf(w, "\n%s/%s: ANSWERS DIFFER\n", r.Layout, r.Query)
			for _, d := range r.Diffs {
				fmt.Fprintf(w, "  %s\n", d)
			}
			writeAnswer(w, "frocket", r.Frocket)
			writeAnswer(w, "duckdb", r.DuckDB)
		}
	}
}

func writeAnswer(w io.Writer, who string, a *answer) {
	b, err := json.Marshal(a)
	if err != nil {
		fmt.Fprintf(w, "  %s answer: %v\n", who, err)
		return
	}
	fmt.Fprintf(w, "  %s answer: %s\n", who, b)
}

func targetText(t float64) string {
	if t == 0 {
		return "-"
	}
	return fmt.Sprintf(">= %gx", t)
}

// metText says whether the ratio reached the target, and by how much it fell short if not.
func metText(r *result) string {
	switch {
	case !r.Match:
		return "MISMATCH"
	case r.Target == 0:
		return "-"
	case r.Ratio >= r.Target:
		return "yes"
	}
	return fmt.Sprintf("no (-%.0f%%)", 100*(1-r.Ratio/r.Target))
}

// humanCount writes a count with a K, M or G suffix and three significant digits.
func humanCount(x float64) string {
	switch {
	case x >= 1e9:
		return trimFloat(x/1e9) + "G"
	case x >= 1e6:
		return trimFloat(x/1e6) + "M"
	case x >= 1e3:
		return trimFloat(x/1e3) + "K"
	}
	return trimFloat(x)
}

func trimFloat(x float64) string {
	switch {
	case x >= 100:
		return fmt.Sprintf("%.0f", x)
	case x >= 10:
		return fmt.Sprintf("%.1f", x)
	}
	return fmt.Sprintf("%.2f", x)
}

// writeJSON writes the report, answers included, to path.
func (rep *report) writeJSON(path string) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// describeMachine gathers the CPU model, core count, Go version and the commit of the checkout
// holding the working directory.
func describeMachine(ctx context.Context) machine {
	m := machine{CPU: cpuModel(), Cores: runtime.NumCPU(), Go: runtime.Version(), Commit: "unknown",
		Date: time.Now().UTC().Format("2006-01-02")}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			m.Load = strings.Join(f[:3], " ")
		}
	}
	cmd := exec.CommandContext(ctx, "git", "describe", "--always", "--dirty")
	if out, err := cmd.Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
	}
	return m
}

// cpuModel returns the first "model name" of /proc/cpuinfo, or GOARCH where there is none.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}
