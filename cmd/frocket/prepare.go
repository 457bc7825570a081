package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime/debug"

	"github.com/frocket/frocket/prepare"
)

func cmdPrepare(ctx context.Context, env *cliEnv, args []string) error {
	fs := env.newFlagSet("prepare", "--input DIR_OR_GLOB --output DIR --group-id COLUMN --timestamp COLUMN [flags]", env.stdout)
	cfg := prepare.DefaultConfig()
	memoryMB := cfg.MemoryBytes >> 20
	fs.StringVar(&cfg.Input, "input", cfg.Input, "input directory (its *.parquet files) or glob")
	fs.StringVar(&cfg.Output, "output", cfg.Output, "output directory")
	fs.StringVar(&cfg.GroupColumn, "group-id", cfg.GroupColumn, "group (user) id column, integer or string")
	fs.StringVar(&cfg.TimestampColumn, "timestamp", cfg.TimestampColumn, "timestamp column, integer or float")
	fs.IntVar(&cfg.Files, "files", cfg.Files, "number of output files (parts)")
	fs.IntVar(&cfg.Workers, "workers", cfg.Workers, "files and parts processed at once")
	fs.Int64Var(&memoryMB, "memory-mb", memoryMB, "memory budget for buffers, in MiB (larger parts are sorted on disk)")
	fs.StringVar(&cfg.TmpDir, "tmp", cfg.TmpDir, "directory for temporary files (default: under --output)")
	fs.BoolVar(&cfg.Force, "force", cfg.Force, "write into a non-empty output directory, replacing its part files")
	fs.BoolVar(&cfg.DropUnsupported, "drop-unsupported", cfg.DropUnsupported, "leave out columns that cannot be queried instead of failing")
	fs.IntVar(&cfg.RowGroupRows, "row-group-rows", cfg.RowGroupRows, "rows per output row group")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return helpRequested(fs, err)
	}
	if memoryMB < 1 || memoryMB > math.MaxInt64>>20 {
		return usageErr("--memory-mb must be at least 1, got %d", memoryMB)
	}
	cfg.MemoryBytes = memoryMB << 20
	if err := cfg.Validate(); err != nil {
		return usageErr("%v", err)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		// The budget counts live buffers; without a limit the garbage collector lets the heap
		// grow to twice what is live. The headroom covers what the budget leaves out (decoded
		// input row groups, Parquet page buffers).
		debug.SetMemoryLimit(cfg.MemoryBytes + cfg.MemoryBytes/4 + 256<<20)
	}
	bar := newProgressBar(env.stderr, true)
	cfg.Progress = func(p prepare.Progress) {
		// One bar for both passes: every row is read once and written once.
		bar.updateRows(p.RowsRead+p.RowsWritten, 2*p.TotalRows)
	}
	st, err := prepare.Run(ctx, cfg)
	bar.done()
	switch {
	case errors.Is(err, prepare.ErrUnsupportedColumns):
		return fmt.Errorf("%w (use --drop-unsupported to leave them out)", err)
	case errors.Is(err, prepare.ErrOutputNotEmpty):
		return fmt.Errorf("%w (use --force to replace its part files)", err)
	case err != nil:
		return err
	}
	fmt.Fprintf(env.stdout, "prepared %d rows of %d users into %d files (%.1f MB) under %s in %.1fs\n",
		st.Rows, st.Groups, len(st.Files), float64(st.Bytes)/1e6, cfg.Output, st.Duration.Seconds())
	return nil
}
