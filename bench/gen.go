package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sync"
)

// FileFormat versions the files Generate writes: it changes whenever the same config would give
// different files (another encoding or codec), so that datasets kept for reuse are regenerated.
// 2: the integer timestamp column is stored uncompressed.
const FileFormat = 2

// Defaults of GenConfig.
const (
	DefaultRowGroupRows = 128 * 1024
	DefaultStartMillis  = 1609459200000 // 2021-01-01T00:00:00Z
	maxFiles            = 100000        // part names have five digits
	maxStartMillis      = 32503680000000 - spanMillis
)

// GenConfig describes a synthetic dataset. The same config (seed included)
// always produces byte-identical files, whatever the number of cores.
type GenConfig struct {
	// Rows is the total number of rows, exactly.
	Rows int64
	// Users is the number of distinct users, exactly; 0 means Rows/10 (at least 1).
	Users int64
	// Files is the number of parts; users are spread over them by a hash of
	// the user id (see PartOfInt64UserID and PartOfStringUserID).
	Files int
	// Seed selects the dataset; any value is valid.
	Seed int64
	// OutDir receives part-00000.parquet ... ; it is created when missing.
	// Existing parts with the same names are replaced, other files are left alone.
	OutDir string
	// Unsorted shuffles the rows within each file instead of sorting them
	// by (userId, timestamp), and omits the sorting metadata.
	Unsorted bool
	// StringUserIDs writes userId as a string column ("u" + zero-padded
	// number, see StringUserID) instead of int64.
	StringUserIDs bool
	// FloatTimestamps writes timestamp as float64 seconds with a
	// millisecond fraction instead of int64 milliseconds.
	FloatTimestamps bool
	// RowGroupRows is the number of rows per row group; 0 means DefaultRowGroupRows.
	RowGroupRows int
	// StartMillis is the unix time in milliseconds of the first possible
	// event; events span 30 days from it. 0 means DefaultStartMillis.
	StartMillis int64
	// Progress, when set, is called from time to time with the number of
	// rows written so far. Calls never overlap.
	Progress func(rowsDone int64)
}

// DefaultGenConfig returns a valid config for a small dataset: 1M rows,
// 100K users, 4 files under ./frocket-gen.
func DefaultGenConfig() GenConfig {
	return GenConfig{
		Rows:         1_000_000,
		Files:        4,
		Seed:         1,
		OutDir:       "frocket-gen",
		RowGroupRows: DefaultRowGroupRows,
		StartMillis:  DefaultStartMillis,
	}
}

// effectiveUsers returns Users with the Rows/10 default applied.
func (c GenConfig) effectiveUsers() int64 {
	if c.Users != 0 {
		return c.Users
	}
	return max(c.Rows/10, 1)
}

// Validate reports every problem of the config at once, joined.
func (c GenConfig) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("bench: "+format, args...))
	}
	if c.Rows < 1 {
		bad("rows must be at least 1, got %d", c.Rows)
	}
	switch users := c.effectiveUsers(); {
	case c.Users < 0:
		bad("users must be 0 (rows/10) or positive, got %d", c.Users)
	case c.Rows >= 1 && users > c.Rows:
		bad("users (%d) must not exceed rows (%d): every user has at least one row", users, c.Rows)
	case users > math.MaxUint32:
		bad("users must be at most %d, got %d", int64(math.MaxUint32), users)
	}
	if c.Files < 1 || c.Files > maxFiles {
		bad("files must be in [1, %d], got %d", maxFiles, c.Files)
	}
	if c.OutDir == "" {
		bad("output dir must be set")
	}
	if c.RowGroupRows < 0 {
		bad("row group rows must be 0 (default) or positive, got %d", c.RowGroupRows)
	}
	if c.StartMillis < 0 || c.StartMillis > maxStartMillis {
		bad("start millis must be in [0, %d], got %d", int64(maxStartMillis), c.StartMillis)
	}
	return errors.Join(errs...)
}

// GenStats describes a generated dataset.
type GenStats struct {
	Files []string // paths of the parts, in part order
	Rows  int64
	Users int64
	Bytes int64 // total size of the files
}

// Generate writes the dataset described by cfg and returns what it wrote.
// Parts are generated and written in parallel, one per core at a time; memory
// use is bounded by the largest part (about 24 bytes per row plus the
// writer's row group buffers) per core, plus 8 bytes per user for the plan.
// Each part is written to a temporary file and renamed into place. On error
// or cancellation the parts already completed stay in OutDir.
func Generate(ctx context.Context, cfg GenConfig) (*GenStats, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.RowGroupRows == 0 {
		cfg.RowGroupRows = DefaultRowGroupRows
	}
	if cfg.StartMillis == 0 {
		cfg.StartMillis = DefaultStartMillis
	}
	users := cfg.effectiveUsers()
	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("create output dir: %w", err)
	}
	plan, err := planUsers(cfg.Seed, cfg.Rows, users, cfg.Files, cfg.StringUserIDs)
	if err != nil {
		return nil, fmt.Errorf("plan users: %w", err)
	}
	t := newTables(cfg.Seed)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stats := &GenStats{Files: make([]string, cfg.Files), Rows: cfg.Rows, Users: users}
	sizes := make([]int64, cfg.Files)
	prog := &progress{fn: cfg.Progress}

	parts := make(chan int)
	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	workers := min(runtime.GOMAXPROCS(0), cfg.Files)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &partWriter{cfg: &cfg, plan: plan, t: t, prog: prog,
				gen: userGen{t: t, seed: cfg.Seed, startMilli: cfg.StartMillis}}
			for p := range parts {
				path, size, err := w.write(ctx, p)
				if err != nil {
					errOnce.Do(func() { firstErr = err; cancel() })
					continue
				}
				stats.Files[p], sizes[p] = path, size
			}
		}()
	}
feed:
	for p := range cfg.Files {
		select {
		case parts <- p:
		case <-ctx.Done():
			break feed
		}
	}
	close(parts)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	for _, s := range sizes {
		stats.Bytes += s
	}
	return stats, nil
}

// progress serializes calls to the user's progress callback.
type progress struct {
	fn   func(rowsDone int64)
	mu   sync.Mutex
	done int64
}

func (p *progress) add(rows int64) {
	if p.fn == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += rows
	p.fn(p.done)
}

// partPath returns the path of part p under dir.
func partPath(dir string, p int) string {
	return filepath.Join(dir, fmt.Sprintf("part-%05d.parquet", p))
}
