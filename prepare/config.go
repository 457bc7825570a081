package prepare

import (
	"errors"
	"fmt"
	"runtime"
	"time"
)

// Limits of the configuration.
const (
	// MaxFiles is the largest number of output files: part names have five digits.
	MaxFiles = 100_000
	// MinMemoryBytes is the smallest memory budget. Budgets this small work (the tests use
	// them to force external sorting) but are slow.
	MinMemoryBytes = 64 << 10
	// MaxRowGroupRows is the largest number of rows per output row group.
	MaxRowGroupRows = 1 << 24
)

// Config says what Run reads, where it writes, and with what resources.
type Config struct {
	// Input is a directory (every *.parquet file directly in it) or a glob pattern.
	Input string
	// Output is the directory of the output files; it is created when missing.
	Output string
	// GroupColumn is the group (user) id column, integer or string.
	GroupColumn string
	// TimestampColumn is the timestamp column, integer or float.
	TimestampColumn string
	// Files is the number of output files.
	Files int
	// Workers bounds the files and parts processed at once.
	Workers int
	// MemoryBytes is the budget for the buffers of both passes (see the package doc).
	MemoryBytes int64
	// TmpDir is where the private temporary directory for spill files is made; empty means
	// under Output.
	TmpDir string
	// Force allows a non-empty output directory. Its part-NNNNN.parquet files are replaced and,
	// once the new ones are written, those beyond Files are removed; other files are left alone.
	Force bool
	// DropUnsupported leaves out the columns that cannot be queried instead of failing.
	DropUnsupported bool
	// RowGroupRows is the number of rows per output row group.
	RowGroupRows int
	// Progress, when set, is called as rows are read and written. Calls never overlap.
	Progress func(Progress)
}

// DefaultConfig returns a Config with the default resources and no input or output.
func DefaultConfig() Config {
	return Config{
		Files:        16,
		Workers:      runtime.GOMAXPROCS(0),
		MemoryBytes:  1 << 30,
		RowGroupRows: 128 * 1024,
	}
}

// Validate reports every problem of the config at once, joined.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("prepare: "+format, args...))
	}
	if c.Input == "" {
		bad("input must be set")
	}
	if c.Output == "" {
		bad("output must be set")
	}
	if c.GroupColumn == "" {
		bad("group id column must be set")
	}
	if c.TimestampColumn == "" {
		bad("timestamp column must be set")
	}
	if c.GroupColumn != "" && c.GroupColumn == c.TimestampColumn {
		bad("group id and timestamp columns must differ, both are %q", c.GroupColumn)
	}
	if c.Files < 1 || c.Files > MaxFiles {
		bad("files must be in [1, %d], got %d", MaxFiles, c.Files)
	}
	if c.Workers < 1 {
		bad("workers must be at least 1, got %d", c.Workers)
	}
	if c.MemoryBytes < MinMemoryBytes {
		bad("memory must be at least %d bytes, got %d", MinMemoryBytes, c.MemoryBytes)
	}
	if c.RowGroupRows < 1 || c.RowGroupRows > MaxRowGroupRows {
		bad("row group rows must be in [1, %d], got %d", MaxRowGroupRows, c.RowGroupRows)
	}
	return errors.Join(errs...)
}

// Phases reported in Progress.Phase.
const (
	PhaseRead  = "read"  // input rows are read and spilled by part
	PhaseWrite = "write" // parts are sorted and written
)

// Progress is a snapshot of a run.
type Progress struct {
	Phase       string // PhaseRead or PhaseWrite
	RowsRead    int64  // input rows read so far
	RowsWritten int64  // rows written to output files so far
	TotalRows   int64  // rows in all inputs, from their metadata
}

// Stats describes a finished run.
type Stats struct {
	Rows     int64    // rows written
	Groups   int64    // distinct group ids
	Files    []string // output files, in part order
	Bytes    int64    // total size of the output files
	Duration time.Duration
}

// Errors callers may branch on.
var (
	// ErrUnsupportedColumns is wrapped when inputs have columns that cannot be queried and
	// Config.DropUnsupported is not set.
	ErrUnsupportedColumns = errors.New("prepare: unsupported columns")
	// ErrOutputNotEmpty is wrapped when the output directory holds files and Config.Force is
	// not set.
	ErrOutputNotEmpty = errors.New("prepare: output directory is not empty")
)
