package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/frocket/frocket/catalog"
	"github.com/frocket/frocket/query"
)

func cmdRegister(ctx context.Context, env *cliEnv, args []string) error {
	fs := env.newFlagSet("register", "NAME BASEPATH GROUP_ID_COLUMN TIMESTAMP_COLUMN", env.stdout)
	pattern := fs.String("pattern", "*.parquet", "file name pattern of the dataset's parts")
	validation := fs.String("validation", "sample", "how many parts to validate: single, first_last or sample")
	skipUniques := fs.Bool("skip-uniques", false, "skip the check that group ids are unique across the validated parts")
	pos, err := parseArgs(fs, args, 4, 4)
	if err != nil {
		return helpRequested(fs, err)
	}
	mode := catalog.ValidationMode(strings.ToUpper(*validation))
	switch mode {
	case catalog.ValidationMode("SINGLE"), catalog.ValidationMode("FIRST_LAST"), catalog.ValidationMode("SAMPLE"):
	default:
		return usageErr("--validation %q: use single, first_last or sample", *validation)
	}
	b, err := env.backend()
	if err != nil {
		return err
	}
	bar := newProgressBar(env.stderr, true)
	res, err := b.Register(ctx, catalog.RegisterArgs{
		Name: pos[0], BasePath: pos[1], GroupColumn: pos[2], TimestampColumn: pos[3],
		Pattern: *pattern, ValidationMode: mode, ValidateUniques: !*skipUniques,
	}, bar.update)
	bar.done()
	if err != nil {
		return err
	}
	if err := env.printJSON(res); err != nil {
		return err
	}
	if !res.Success {
		return fmt.Errorf("registration failed: %s", res.ErrorMessage)
	}
	return nil
}

func cmdList(ctx context.Context, env *cliEnv, args []string) error {
	fs := env.newFlagSet("list", "", env.stdout)
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return helpRequested(fs, err)
	}
	b, err := env.backend()
	if err != nil {
		return err
	}
	list, err := b.List(ctx)
	if err != nil {
		return err
	}
	if env.noPretty {
		rows := make([]map[string]any, len(list))
		for i, d := range list {
			rows[i] = map[string]any{"name": d.ID.Name, "registered at": d.ID.RegisteredAt,
				"parts": d.TotalParts, "group id": d.GroupIDColumn, "timestamp": d.TimestampColumn, "path": d.BasePath}
		}
		return env.printJSON(rows)
	}
	if len(list) == 0 {
		fmt.Fprintln(env.stdout, "No datasets registered yet")
		return nil
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tREGISTERED AT\tPARTS\tGROUP ID\tTIMESTAMP\tPATH")
	for _, d := range list {
		at := d.ID.RegisteredAt
		if t, err := time.Parse(time.RFC3339Nano, at); err == nil {
			at = t.Local().Format("2006-01-02 15:04:05")
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", env.trim(d.ID.Name, 30), at,
			d.TotalParts, d.GroupIDColumn, d.TimestampColumn, env.trim(d.BasePath, 50))
	}
	return tw.Flush()
}

func (env *cliEnv) trim(s string, n int) string {
	if env.noTrim || len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}

func cmdRun(ctx context.Context, env *cliEnv, args []string) error {
	fs := env.newFlagSet("run", "DATASET (--file F | --string JSON | --empty)", env.stdout)
	file := fs.String("file", "", "read the query from a JSON file (- for standard input)")
	fs.StringVar(file, "f", "", "shorthand for --file")
	str := fs.String("string", "", "the query as a JSON string")
	empty := fs.Bool("empty", false, "run the empty query (every group)")
	fs.BoolVar(empty, "e", false, "shorthand for --empty")
	table := fs.Bool("table", false, "print the answer as a readable table instead of JSON")
	progress := fs.Bool("progress", true, "show a progress bar on a terminal for queries that take a while")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the query to this file")
	memProfile := fs.String("memprofile", "", "write a heap profile after the query to this file")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return helpRequested(fs, err)
	}
	given := 0
	for _, b := range []bool{*file != "", *str != "", *empty} {
		if b {
			given++
		}
	}
	if given != 1 {
		return usageErr("give exactly one of --file, --string or --empty")
	}
	var body []byte
	switch {
	case *file == "-":
		if body, err = readAll(os.Stdin); err != nil {
			return fmt.Errorf("read query from standard input: %w", err)
		}
	case *file != "":
		if body, err = os.ReadFile(*file); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("query file not found: %s", *file)
			}
			return fmt.Errorf("read query file: %w", err)
		}
	case *str != "":
		body = []byte(*str)
	default:
		body = []byte("{}")
	}
	b, err := env.backend()
	if err != nil {
		return err
	}
	stopProfile, err := startProfiles(*cpuProfile, *memProfile)
	if err != nil {
		return err
	}
	bar := newProgressBar(env.stderr, *progress)
	res, err := b.Query(ctx, pos[0], body, bar.update)
	bar.done()
	if perr := stopProfile(); perr != nil && err == nil {
		return perr
	}
	if err != nil {
		return describeQueryError(pos[0], err)
	}
	if *table {
		if err := printResultTable(env.stdout, res); err != nil {
			return err
		}
	} else if err := env.printJSON(res); err != nil {
		return err
	}
	if !res.Success {
		return fmt.Errorf("query failed: %s", res.ErrorMessage)
	}
	return nil
}

// describeQueryError turns request-level query errors into messages for a terminal.
func describeQueryError(dataset string, err error) error {
	if errors.Is(err, catalog.ErrNotFound) {
		return fmt.Errorf("dataset %q not found (see frocket list)", dataset)
	}
	var qe query.Errors
	if errors.As(err, &qe) {
		var b strings.Builder
		fmt.Fprintf(&b, "invalid query (%d problem(s)):", len(qe))
		for _, e := range qe {
			path := e.Path
			if path == "" {
				path = "(document)"
			}
			fmt.Fprintf(&b, "\n  %s %s: %s", e.Kind, path, e.Message)
		}
		return errors.New(b.String())
	}
	return err
}

func cmdInfo(ctx context.Context, env *cliEnv, args []string) error {
	fs := env.newFlagSet("info", "DATASET", env.stdout)
	full := fs.Bool("full", false, "print the full schema")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return helpRequested(fs, err)
	}
	b, err := env.backend()
	if err != nil {
		return err
	}
	docs, err := b.Info(ctx, pos[0], *full)
	if err != nil {
		if errors.Is(err, catalog.ErrNotFound) {
			return fmt.Errorf("dataset %q not found (see frocket list)", pos[0])
		}
		return err
	}
	for _, d := range docs {
		if err := env.printJSON(d); err != nil {
			return err
		}
	}
	return nil
}

func cmdUnregister(ctx context.Context, env *cliEnv, args []string) error {
	fs := env.newFlagSet("unregister", "DATASET", env.stdout)
	force := fs.Bool("force", false, "unregister even if the dataset was queried recently")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return helpRequested(fs, err)
	}
	b, err := env.backend()
	if err != nil {
		return err
	}
	res, err := b.Unregister(ctx, pos[0], *force)
	if err != nil {
		return err
	}
	if err := env.printJSON(res); err != nil {
		return err
	}
	if !res.Success {
		return errors.New(res.ErrorMessage)
	}
	return nil
}

func cmdConfig(_ context.Context, env *cliEnv, args []string) error {
	fs := env.newFlagSet("config", "", env.stdout)
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return helpRequested(fs, err)
	}
	cfg, err := engineConfigFromEnv()
	if err != nil {
		return err
	}
	dir, err := env.resolvedDataDir()
	if err != nil {
		return err
	}
	return env.printJSON(map[string]any{
		"data.dir":                       dir,
		"workers":                        cfg.Workers,
		"aggregations.top.default.count": cfg.Query.DefaultTop,
		"unregister.last.used.interval":  cfg.UnregisterLastUsedInterval.Seconds(),
		"stats.timing.percentiles":       cfg.Percentiles,
		"validation.sample.max":          cfg.Register.SampleMax,
		"validation.sample.ratio":        cfg.Register.SampleRatio,
		"dataset.categorical.ratio":      cfg.Register.CategoricalRatio,
		"dataset.categorical.top.count":  cfg.Register.TopCount,
		"dataset.categorical.top.minpct": cfg.Register.TopMinPct,
		"go.version":                     runtime.Version(),
		"frocket.version":                version,
	})
}

func cmdVersion(_ context.Context, env *cliEnv, args []string) error {
	fs := env.newFlagSet("version", "", env.stdout)
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return helpRequested(fs, err)
	}
	fmt.Fprintf(env.stdout, "frocket %s (%s)\n", version, runtime.Version())
	return nil
}
