package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// buildFrocket builds ./cmd/frocket into dir and returns its path.
func buildFrocket(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "frocket")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bin, "./cmd/frocket")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build frocket: %v\n%s", err, out)
	}
	return bin
}

// hasLambdaMode reports whether the binary has the Lambda bootstrap command and serve's Lambda
// invoker flags.
func hasLambdaMode(bin string) bool {
	if err := exec.Command(bin, "lambda", "-h").Run(); err != nil {
		return false
	}
	out, _ := exec.Command(bin, "serve", "-h").CombinedOutput()
	return strings.Contains(string(out), "-lambda-endpoint")
}

func TestRunE2E(t *testing.T) {
	dir := t.TempDir()
	bin := buildFrocket(t, dir)
	cfg := DefaultE2EConfig()
	cfg.Rows, cfg.Files, cfg.Reps = 20_000, 2, 2
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.Binary = bin
	cfg.Modes = []string{ModeQueue}
	if hasLambdaMode(bin) {
		cfg.Modes = append(cfg.Modes, ModeLambda)
	} else {
		t.Log("this frocket has no Lambda mode yet (no `lambda` command or no serve --lambda-endpoint): queue mode only")
	}
	cfg.QueryTimeout = 30 * time.Second
	var log bytes.Buffer
	cfg.Log = &log
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	rep, err := RunE2E(ctx, cfg)
	if err != nil {
		t.Fatalf("%v\nlog:\n%s", err, log.String())
	}
	t.Logf("log:\n%s", log.String())

	want := len(cfg.Modes) * len(DefaultE2EQueries()) * 2
	if len(rep.Results) != want {
		t.Fatalf("%d results, want %d: %+v", len(rep.Results), want, rep.Results)
	}
	i := 0
	for _, mode := range cfg.Modes {
		for _, q := range DefaultE2EQueries() {
			for _, run := range []string{"cold", "warm"} {
				r := rep.Results[i]
				i++
				if r.Mode != mode || r.Query != q.Name || r.Run != run {
					t.Fatalf("result %d is %s/%s/%s, want %s/%s/%s", i-1, r.Mode, r.Query, r.Run, mode, q.Name, run)
				}
				checkResult(t, cfg, r)
			}
		}
	}
	// Every projection row is there, and the warm empty query on 100 files costs what 100 tasks of
	// its projected length cost.
	if want := len(DefaultProjectionTargets()) * len(DefaultE2EQueries()) * 2; len(rep.Projections) != want {
		t.Fatalf("%d projections, want %d", len(rep.Projections), want)
	}
	for _, p := range rep.Projections {
		if p.WallSeconds <= p.TaskMaxSeconds || p.CostDollars <= 0 || p.Waves != 1 {
			t.Errorf("projection %+v: want wall > largest task, a cost and one wave", p)
		}
		if got, want := p.CostDollars, float64(p.Target.Files)*LambdaTaskCost(p.TaskSeconds, 2048, LambdaPricePerGBSecond); math.Abs(got-want) > 1e-12 {
			t.Errorf("projection %+v: cost %v, want %v", p, got, want)
		}
	}

	var table bytes.Buffer
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"conds3-or", "hit_ratio", "100M/100 on 100", "500M/500 on 500", "assumptions:"} {
		if !strings.Contains(table.String(), s) {
			t.Errorf("table has no %q:\n%s", s, table.String())
		}
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Fatalf("report does not encode: %v", err)
	}
	t.Logf("\n%s", table.String())
}

// checkResult checks the values of one result for sanity.
func checkResult(t *testing.T, cfg E2EConfig, r E2EResult) {
	t.Helper()
	name := r.Mode + "/" + r.Query + "/" + r.Run
	wantRuns := 1
	if r.Run == "warm" {
		wantRuns = cfg.Reps
	}
	if r.Runs != wantRuns || r.Tasks != cfg.Files {
		t.Errorf("%s: %d runs of %d tasks, want %d of %d", name, r.Runs, r.Tasks, wantRuns, cfg.Files)
	}
	if r.WallSeconds <= 0 || r.TotalSeconds <= 0 || r.WallSeconds < r.TotalSeconds || r.WallMinSeconds > r.WallSeconds {
		t.Errorf("%s: wall %v (min %v), total %v", name, r.WallSeconds, r.WallMinSeconds, r.TotalSeconds)
	}
	if r.TaskP50 <= 0 || r.TaskMax < r.TaskP50 || r.TaskMax > r.TotalSeconds+1e-6 || r.TaskMean <= 0 {
		t.Errorf("%s: task p50 %v, max %v, mean %v, job total %v", name, r.TaskP50, r.TaskMax, r.TaskMean, r.TotalSeconds)
	}
	if r.RowsPerTask != float64(cfg.Rows)/float64(cfg.Files) {
		t.Errorf("%s: %v rows per task", name, r.RowsPerTask)
	}
	switch r.Run {
	case "cold":
		// Fresh caches: every part is downloaded.
		if r.CacheHitRatio != 0 || r.BytesDownloaded <= 0 {
			t.Errorf("%s: hit ratio %v, %d bytes downloaded; want 0 and the dataset", name, r.CacheHitRatio, r.BytesDownloaded)
		}
	case "warm":
		if r.CacheHitRatio != 1 || r.BytesDownloaded != 0 {
			t.Errorf("%s: hit ratio %v, %d bytes downloaded; want 1 and none", name, r.CacheHitRatio, r.BytesDownloaded)
		}
	}
	switch r.Mode {
	case ModeQueue:
		if r.CostDollars != nil {
			t.Errorf("%s: queue workers have no cost, got %v", name, *r.CostDollars)
		}
	case ModeLambda:
		if r.CostDollars == nil || *r.CostDollars <= 0 {
			t.Errorf("%s: want a Lambda cost", name)
		}
		// A fresh emulator pool starts its bootstraps on the first invocations: those tasks are cold.
		if r.Run == "cold" && r.ColdTasks == 0 {
			t.Errorf("%s: no cold task on a fresh pool", name)
		}
		if r.Run == "warm" && r.ColdTasks != 0 {
			t.Errorf("%s: %d cold tasks on a warm pool", name, r.ColdTasks)
		}
	}
}

func TestLambdaTaskCost(t *testing.T) {
	f := func(seconds float64, memoryMB int, want float64) {
		t.Helper()
		if got := LambdaTaskCost(seconds, memoryMB, 1); math.Abs(got-want) > 1e-12 {
			t.Errorf("%vs at %d MB: %v, want %v", seconds, memoryMB, got, want)
		}
	}
	f(0.1, 1024, 0.108)
	f(0.992, 2048, 2)
	f(0, 512, 0.004)
	f(0.0005, 1024, 0.009)
	f(1.2345, 1024, 1.243)
	f(-1, 1024, 0.008)
}

func TestSummarize(t *testing.T) {
	run := func(wall time.Duration, total, p50, max, mean float64, source, disk int, cost float64) *measured {
		m := &measured{wall: wall}
		s := &m.res.Stats
		s.TotalTime = total
		s.Worker.TotalTime = map[string]float64{"50%": p50, "max": max, "mean": mean}
		s.Worker.Cache.Source, s.Worker.Cache.DiskCache = source, disk
		s.Dataset.Parts, s.Dataset.TotalSize = 4, 4000
		s.Cost = &cost
		return m
	}
	r := summarize(ModeLambda, "q", "warm", 400, []*measured{
		run(300*time.Millisecond, 0.25, 0.1, 0.2, 0.12, 1, 3, 0.01),
		run(100*time.Millisecond, 0.05, 0.02, 0.03, 0.02, 0, 4, 0.02),
		run(200*time.Millisecond, 0.15, 0.05, 0.06, 0.05, 0, 4, 0.03),
	})
	if r.WallSeconds != 0.2 || r.WallMinSeconds != 0.1 || r.TotalSeconds != 0.15 || r.TaskP50 != 0.05 || r.TaskMax != 0.2 {
		t.Errorf("medians and max: %+v", r)
	}
	if r.TaskP95 != nil {
		t.Errorf("p95 without a 95%% in any run: %v", *r.TaskP95)
	}
	if math.Abs(r.TaskMean-0.19/3) > 1e-12 || r.Tasks != 4 || r.RowsPerTask != 100 {
		t.Errorf("mean, tasks, rows per task: %+v", r)
	}
	if r.CacheHitRatio != 11.0/12 || r.BytesDownloaded != 333 {
		t.Errorf("hit ratio %v, bytes %d; want 11/12 and 1000/3", r.CacheHitRatio, r.BytesDownloaded)
	}
	if r.CostDollars == nil || math.Abs(*r.CostDollars-0.02) > 1e-12 {
		t.Errorf("cost per run: %v", r.CostDollars)
	}
}

func TestProject(t *testing.T) {
	r := &E2EReport{Rows: 4_000_000, Files: 4, Lambdas: 2, LambdaMemoryMB: 1024, Cores: 2, Results: []E2EResult{
		{Mode: ModeLambda, Query: "q", Run: "cold", Tasks: 4, RowsPerTask: 1e6, WallSeconds: 0.9, TaskMean: 0.2, TaskMax: 0.5, InvokeLatencyMin: 0.06},
		{Mode: ModeLambda, Query: "q", Run: "warm", Tasks: 4, RowsPerTask: 1e6, WallSeconds: 0.35, TaskMean: 0.1, TaskMax: 0.2, InvokeLatencyMin: 0.01},
	}}
	r.project([]ProjectionTarget{{"8M/4 on 2", 8_000_000, 4, 2}}, 0.1)
	if len(r.Projections) != 2 {
		t.Fatalf("%d projections, want 2", len(r.Projections))
	}
	near := func(got, want float64) bool { return math.Abs(got-want) < 1e-9 }
	// Warm: 2M rows per task doubles the times; 2 waves; overhead 0.35 - 4 x 0.1 / 2 = 0.15.
	w := r.Projections[1]
	if w.Run != "warm" || w.Waves != 2 || !near(w.TaskSeconds, 0.2) || !near(w.TaskMaxSeconds, 0.4) || !near(w.OverheadSeconds, 0.15) ||
		w.ColdStartSeconds != 0 || !near(w.WallSeconds, 0.1+0.2+0.4+0.15) || !near(w.CostDollars, 4*LambdaTaskCost(0.2, 1024, LambdaPricePerGBSecond)) {
		t.Errorf("warm projection %+v", w)
	}
	// Cold: every task as long as the largest cold one (doubled), the warm overhead, cold start 0.05.
	c := r.Projections[0]
	if c.Run != "cold" || !near(c.TaskSeconds, 1) || !near(c.TaskMaxSeconds, 1) || !near(c.OverheadSeconds, 0.15) ||
		!near(c.ColdStartSeconds, 0.05) || !near(c.WallSeconds, 0.1+0.05+1+1+0.15) {
		t.Errorf("cold projection %+v", c)
	}
	if len(r.Assumptions) < 5 {
		t.Errorf("assumptions: %q", r.Assumptions)
	}
}
