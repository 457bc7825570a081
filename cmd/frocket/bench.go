package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/frocket/frocket/bench"
)

// cmdBench runs the end-to-end cold/warm benchmark (bench.RunE2E): the generated dataset on a
// private S3-compatible server, Redis, then queue workers and Lambda workers under the emulator,
// each query once cold and --reps times warm, with a projection onto the original's datasets.
// It starts this same binary as the API server, the queue workers and the Lambda bootstrap, and
// stops every process it started on exit, also on Ctrl-C.
func cmdBench(ctx context.Context, env *cliEnv, args []string) error {
	cfg := bench.DefaultE2EConfig()
	fs := env.newFlagSet("bench", "[flags]", env.stdout)
	fs.Int64Var(&cfg.Rows, "rows", cfg.Rows, "rows of the generated dataset")
	fs.IntVar(&cfg.Files, "files", cfg.Files, "files (parts) of the generated dataset")
	fs.IntVar(&cfg.Workers, "workers", cfg.Workers, "queue worker processes")
	fs.IntVar(&cfg.Lambdas, "lambdas", cfg.Lambdas, "Lambda emulator processes (the function's concurrency)")
	fs.IntVar(&cfg.Reps, "reps", cfg.Reps, "warm runs after the cold one, per mode and query")
	modes := fs.String("modes", strings.Join(cfg.Modes, ","), "modes to run, comma-separated: queue, lambda")
	fs.IntVar(&cfg.LambdaMemoryMB, "lambda-memory-mb", cfg.LambdaMemoryMB, "Lambda function memory, for the cost")
	data := fs.String("data", "", "dataset directory, reused when it holds the parts (default bench-data/e2e-ROWS-FILES)")
	jsonOut := fs.String("json", "", "also write the report as JSON to this file")
	fs.StringVar(&cfg.Bootstrap, "bootstrap", "", "Lambda bootstrap executable (e.g. dist/bootstrap of make lambda; default this binary)")
	fs.Float64Var(&cfg.AssumedInvokeSeconds, "invoke-latency", cfg.AssumedInvokeSeconds, "async Lambda invoke latency assumed by the projection, in seconds")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return helpRequested(fs, err)
	}
	cfg.Modes = splitList(*modes)
	cfg.DataDir = *data
	if cfg.DataDir == "" {
		cfg.DataDir = filepath.Join("bench-data", fmt.Sprintf("e2e-%d-%d", cfg.Rows, cfg.Files))
	}
	bin, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find this executable: %w", err)
	}
	cfg.Binary = bin
	cfg.Log = env.stderr
	if err := cfg.Validate(); err != nil {
		return usageErr("%v", err)
	}
	rep, err := bench.RunE2E(ctx, cfg)
	if err != nil {
		return err
	}
	rep.Machine, rep.Commit = cpuModel(), version
	if err := rep.WriteTable(env.stdout); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if *jsonOut != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return fmt.Errorf("encode report: %w", err)
		}
		if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}
	return nil
}

// cpuModel returns the first "model name" of /proc/cpuinfo, or "" where there is none.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
