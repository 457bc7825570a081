package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/frocket/frocket/bench"
	"github.com/frocket/frocket/catalog"
)

func cmdGen(ctx context.Context, env *cliEnv, args []string) error {
	fs := env.newFlagSet("gen", "--out DIR [flags]", env.stdout)
	cfg := bench.DefaultGenConfig()
	fs.Int64Var(&cfg.Rows, "rows", cfg.Rows, "number of rows (events)")
	fs.Int64Var(&cfg.Users, "users", cfg.Users, "number of users (0: rows/10)")
	fs.IntVar(&cfg.Files, "files", cfg.Files, "number of files (parts)")
	fs.Int64Var(&cfg.Seed, "seed", cfg.Seed, "random seed (same seed, same files)")
	fs.StringVar(&cfg.OutDir, "out", cfg.OutDir, "output directory")
	fs.BoolVar(&cfg.Unsorted, "unsorted", cfg.Unsorted, "write rows in random order instead of sorted by (user, timestamp)")
	fs.BoolVar(&cfg.StringUserIDs, "string-ids", cfg.StringUserIDs, "write user ids as strings")
	fs.BoolVar(&cfg.FloatTimestamps, "float-ts", cfg.FloatTimestamps, "write timestamps as float seconds")
	fs.IntVar(&cfg.RowGroupRows, "row-group-rows", cfg.RowGroupRows, "rows per Parquet row group")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return helpRequested(fs, err)
	}
	if err := cfg.Validate(); err != nil {
		return usageErr("%v", err)
	}
	bar := newProgressBar(env.stderr, true)
	cfg.Progress = func(done int64) {
		bar.updateRows(done, cfg.Rows)
	}
	start := time.Now()
	st, err := bench.Generate(ctx, cfg)
	bar.done()
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "wrote %d rows of %d users into %d files (%.1f MB) under %s in %.1fs\n",
		st.Rows, st.Users, len(st.Files), float64(st.Bytes)/1e6, cfg.OutDir, time.Since(start).Seconds())
	return nil
}

// demoSpec is the demo dataset: about 1M rows in 8 files.
var demoSpec = struct {
	rows  int64
	files int
	seed  int64
}{1_000_000, 8, 42}

// demoFunnel is the query the demo runs.
const demoFunnel = `{
  "funnel": {
    "sequence": [
      {"filter": ["eventType", "==", "pageview"]},
      {"filter": ["eventType", "==", "addToCart"]},
      {"filter": ["eventType", "==", "purchase"]}
    ],
    "stepAggregations": [{"column": "device", "type": "groupsPerValue", "top": 3}]
  }
}`

func cmdDemo(ctx context.Context, env *cliEnv, args []string) error {
	fs := env.newFlagSet("demo", "", env.stdout)
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return helpRequested(fs, err)
	}
	dir, err := env.resolvedDataDir()
	if err != nil {
		return err
	}
	out := filepath.Join(dir, "demo-data")
	if _, err := os.Stat(filepath.Join(out, "part-00000.parquet")); err != nil {
		cfg := bench.DefaultGenConfig()
		cfg.Rows, cfg.Files, cfg.Seed, cfg.OutDir = demoSpec.rows, demoSpec.files, demoSpec.seed, out
		fmt.Fprintf(env.stdout, "Generating %d events in %d files under %s ...\n", cfg.Rows, cfg.Files, out)
		start := time.Now()
		st, err := bench.Generate(ctx, cfg)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "  %d users, %.1f MB, %.1fs\n", st.Users, float64(st.Bytes)/1e6, time.Since(start).Seconds())
	} else {
		fmt.Fprintf(env.stdout, "Using the demo dataset under %s\n", out)
	}
	eng, err := env.engine()
	if err != nil {
		return err
	}
	reg, err := eng.Register(ctx, catalog.RegisterArgs{Name: "demo", BasePath: out, GroupColumn: "userId",
		TimestampColumn: "timestamp", ValidationMode: "SAMPLE", ValidateUniques: true}, nil)
	if err != nil {
		return err
	}
	if !reg.Success {
		return fmt.Errorf("register demo dataset: %s", reg.ErrorMessage)
	}
	fmt.Fprintf(env.stdout, "Registered dataset \"demo\" (%d parts)\n\n", reg.Dataset.TotalParts)
	fmt.Fprintf(env.stdout, "Query: pageview -> addToCart -> purchase, users per device at each step\n%s\n\n", demoFunnel)
	res, err := eng.Query(ctx, "demo", []byte(demoFunnel), nil)
	if err != nil {
		return describeQueryError("demo", err)
	}
	if err := printResultTable(env.stdout, res); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "\nTry: frocket run demo --table --string '{\"query\":{\"conditions\":[{\"filter\":[\"country\",\"==\",\"US\"]}]}}'\n")
	return nil
}
