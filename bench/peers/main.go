package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"time"

	"github.com/frocket/frocket/catalog"
	"github.com/frocket/frocket/scan"
	"github.com/frocket/frocket/worker"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// options are the command line of the harness.
type options struct {
	scale    string
	files    int
	data     string
	queries  string
	layouts  string
	reps     int
	threads  int
	jsonOut  string
	printSQL bool
}

func parseOptions(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("peers", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.scale, "scale", "10M", "rows of the generated datasets, e.g. 1M (a quick run), 10M, 100M, 500M")
	fs.IntVar(&o.files, "files", 0, "parts per dataset; 0 means one per million rows (at least 4)")
	fs.StringVar(&o.data, "data", "", "directory of the generated datasets (default: bench-data in the repository root); reused when already generated with the same spec")
	fs.StringVar(&o.queries, "queries", "", "run only the queries whose name matches this regular expression")
	fs.StringVar(&o.layouts, "layouts", "", "run only the layouts (sorted, unsorted) matching this regular expression")
	fs.IntVar(&o.reps, "reps", 3, "runs of each query per engine; the best time counts")
	fs.IntVar(&o.threads, "threads", 1, "frocket parts answered at once and DuckDB threads; throughput is reported per thread")
	fs.StringVar(&o.jsonOut, "json", "", "also write the results as JSON to this file")
	fs.BoolVar(&o.printSQL, "sql", false, "print each query's DuckDB statement to stderr")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: peers [flags]\n\nRuns frocket and DuckDB side by side on the same generated Parquet files and compares answers and throughput.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if o.reps < 1 {
		return nil, fmt.Errorf("--reps must be at least 1")
	}
	if o.threads < 1 {
		return nil, fmt.Errorf("--threads must be at least 1")
	}
	if o.files < 0 {
		return nil, fmt.Errorf("--files must not be negative")
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseOptions(args, stderr)
	if err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		fmt.Fprintf(stderr, "peers: %v\n", err)
		return 2
	}
	rep, err := runBench(ctx, o, stderr)
	if rep != nil {
		rep.printTable(stdout)
		if o.jsonOut != "" {
			if werr := rep.writeJSON(o.jsonOut); werr != nil {
				fmt.Fprintf(stderr, "peers: %v\n", werr)
				return 1
			}
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "peers: %v\n", err)
		return 1
	}
	if n := rep.failures(); n > 0 {
		fmt.Fprintf(stderr, "peers: %d result(s) failed (mismatch or error)\n", n)
		return 1
	}
	return 0
}

// runBench generates or reuses the datasets, runs every selected query with both engines and
// returns the report. Query failures are recorded in the report; the error is for the setup only.
func runBench(ctx context.Context, o *options, log io.Writer) (*report, error) {
	rows, err := parseScale(o.scale)
	if err != nil {
		return nil, err
	}
	files := o.files
	if files == 0 {
		files = filesFor(rows)
	}
	dataDir := o.data
	if dataDir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, err
		}
		root, err := repoRoot(wd)
		if err != nil {
			return nil, fmt.Errorf("%w (pass --data)", err)
		}
		dataDir = filepath.Join(root, "bench-data")
	}
	qre, err := regexp.Compile(o.queries)
	if err != nil {
		return nil, fmt.Errorf("--queries: %w", err)
	}
	lre, err := regexp.Compile(o.layouts)
	if err != nil {
		return nil, fmt.Errorf("--layouts: %w", err)
	}
	var queries []benchQuery
	for _, q := range benchQueries() {
		if qre.MatchString(q.Name) {
			queries = append(queries, q)
		}
	}
	if len(queries) == 0 {
		return nil, fmt.Errorf("no query matches %q", o.queries)
	}

	d, err := openDuck(ctx, o.threads)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	rep := &report{Rows: rows, Files: files, Reps: o.reps, Threads: o.threads, Machine: describeMachine(ctx)}
	if rep.Machine.DuckDB, err = d.version(ctx); err != nil {
		return nil, err
	}

	for _, l := range allLayouts() {
		if !lre.MatchString(l.Name) {
			continue
		}
		cfg := genConfig(dataDir, rows, files, l)
		start := time.Now()
		generated, err := ensureDataset(ctx, cfg)
		if err != nil {
			return rep, err
		}
		if generated {
			fmt.Fprintf(log, "generated %s (%d rows, %d files) in %.1fs\n", cfg.OutDir, rows, files, time.Since(start).Seconds())
		} else {
			fmt.Fprintf(log, "reusing %s\n", cfg.OutDir)
		}
		ds, err := registerDataset(ctx, "peers-"+l.Name, cfg.OutDir)
		if err != nil {
			return rep, err
		}
		glob := filepath.Join(cfg.OutDir, "*.parquet")
		for _, q := range queries {
			res := measure(ctx, d, ds, rows, cfg.OutDir, glob, q, l, o, log)
			rep.Results = append(rep.Results, res)
			if err := ctx.Err(); err != nil {
				return rep, err
			}
		}
	}
	return rep, nil
}

// measure runs one query on one layout with both engines, best of o.reps each, and compares the
// answers of their last runs.
func measure(ctx context.Context, d *duck, ds *catalog.Dataset, rows int64, dir, glob string, q benchQuery, l layout, o *options, log io.Writer) result {
	res := result{Query: q.Name, Layout: l.Name, Rows: rows, Target: q.target(l)}
	fail := func(format string, args ...any) result {
		res.Error = fmt.Sprintf(format, args...)
		fmt.Fprintf(log, "%s/%s: %s\n", l.Name, q.Name, res.Error)
		return res
	}
	v, err := compileQuery([]byte(q.Body), ds)
	if err != nil {
		return fail("compile: %v", err)
	}
	stmt, err := sqlOf(v, ds.QuerySchema(), glob)
	if err != nil {
		return fail("translate: %v", err)
	}
	if o.printSQL {
		fmt.Fprintf(log, "-- %s/%s\n%s;\n", l.Name, q.Name, stmt)
	}

	var fa *answer
	var cache *worker.ColumnCache
	bufs := &scan.Buffers{} // one per query, as a worker process keeps one
	if l.Warm {
		cache = worker.NewColumnCache(0)
		if _, err := runFrocket(ctx, ds, dir, []byte(q.Body), o.threads, cache, bufs); err != nil {
			return fail("frocket (warming up): %v", err)
		}
	}
	for range o.reps {
		runtime.GC()
		start := time.Now()
		p, err := runFrocket(ctx, ds, dir, []byte(q.Body), o.threads, cache, bufs)
		el := time.Since(start)
		if err != nil {
			return fail("frocket: %v", err)
		}
		if res.FrocketSeconds == 0 || el.Seconds() < res.FrocketSeconds {
			res.FrocketSeconds = el.Seconds()
		}
		if fa, err = answerOfPartial(p); err != nil {
			return fail("frocket answer: %v", err)
		}
	}
	var da *answer
	for range o.reps {
		runtime.GC()
		start := time.Now()
		a, err := d.run(ctx, stmt, v)
		el := time.Since(start)
		if err != nil {
			return fail("duckdb: %v", err)
		}
		if res.DuckDBSeconds == 0 || el.Seconds() < res.DuckDBSeconds {
			res.DuckDBSeconds = el.Seconds()
		}
		da = a
	}
	res.fill(o.threads)
	res.Frocket, res.DuckDB = fa, da
	res.Diffs = diffAnswers(fa, da, 20)
	res.Match = len(res.Diffs) == 0
	status := "answers match"
	if !res.Match {
		status = "ANSWERS DIFFER"
	}
	fmt.Fprintf(log, "%s/%s: frocket %.3fs, duckdb %.3fs, ratio %.2f, %s (%s)\n", l.Name, q.Name,
		res.FrocketSeconds, res.DuckDBSeconds, res.Ratio, status, fa.summary())
	return res
}
