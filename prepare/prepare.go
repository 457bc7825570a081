package prepare

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Run reads the inputs of cfg and writes them as a dataset of cfg.Files parts sorted by
// (group, timestamp). Parts are written under temporary names and renamed into place only once
// all are written. On any error, or when ctx is done, Run stops, removes its temporary files,
// leaves the output directory as it was, and returns the error.
func Run(ctx context.Context, cfg Config) (*Stats, error) {
	r := &runState{cfg: cfg}
	return r.execute(ctx)
}

// runState is one run of Run.
type runState struct {
	cfg    Config
	l      *layout
	inputs []input
	total  int64 // rows of all inputs
	tmp    string
	sample *sampler
	parts  []partSpill
	sem    *byteSem

	read, written atomic.Int64
	progMu        sync.Mutex
	phase         string

	// Outputs, by part.
	paths  []string
	sizes  []int64
	groups []int64
	rows   []int64
	temps  []string // temporary name of each written part, until renamed

	// Counters that tests look at.
	externalParts atomic.Int64 // parts sorted with runs
	runFiles      atomic.Int64 // sorted runs written, intermediate merges included
	mergePasses   atomic.Int64 // intermediate merges (runs merged into a longer run)
}

// partSpill is the spill file of one output part.
type partSpill struct {
	mu        sync.Mutex
	path      string
	rows      int64
	memBytes  int64   // in-memory size of its rows (batch.memBytes)
	dataBytes []int64 // byte-array bytes per column
	blocks    int
}

func partPath(dir string, p int) string {
	return filepath.Join(dir, fmt.Sprintf("part-%05d.parquet", p))
}

func (r *runState) execute(ctx context.Context) (st *Stats, err error) {
	start := time.Now()
	cfg := &r.cfg
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	paths, err := listInputs(cfg.Input)
	if err != nil {
		return nil, err
	}
	created, err := checkOutput(cfg, paths)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			r.removeOutputs()
			if created {
				os.Remove(cfg.Output) // only when empty
			}
		}
	}()
	if r.inputs, r.l, err = describeInputs(ctx, paths, cfg); err != nil {
		return nil, err
	}
	for _, in := range r.inputs {
		for _, n := range in.rowGroups {
			r.total += n
		}
	}
	tmpBase := cfg.TmpDir
	if tmpBase == "" {
		tmpBase = cfg.Output
	}
	if err := os.MkdirAll(tmpBase, 0o755); err != nil {
		return nil, fmt.Errorf("create temporary directory: %w", err)
	}
	if r.tmp, err = os.MkdirTemp(tmpBase, ".frocket-prepare-"); err != nil {
		return nil, fmt.Errorf("create temporary directory: %w", err)
	}
	defer os.RemoveAll(r.tmp)

	n := cfg.Files
	r.parts = make([]partSpill, n)
	for p := range r.parts {
		r.parts[p].path = filepath.Join(r.tmp, fmt.Sprintf("p%05d.spill", p))
		r.parts[p].dataBytes = make([]int64, len(r.l.cols))
	}
	r.paths, r.sizes, r.groups, r.rows, r.temps = make([]string, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]string, n)
	for p := range r.paths {
		r.paths[p] = partPath(cfg.Output, p)
	}

	r.setPhase(PhaseRead)
	if err := r.mapPass(ctx); err != nil {
		return nil, err
	}
	r.setPhase(PhaseWrite)
	if err := r.reducePass(ctx); err != nil {
		return nil, err
	}
	st = &Stats{Files: r.paths}
	for p := range n {
		st.Rows += r.rows[p]
		st.Groups += r.groups[p]
		st.Bytes += r.sizes[p]
	}
	if st.Rows != r.total {
		return nil, fmt.Errorf("BUG: prepare wrote %d rows of %d", st.Rows, r.total)
	}
	// Every part is written: only now do they replace what the output held.
	for p, tmp := range r.temps {
		if err := os.Rename(tmp, r.paths[p]); err != nil {
			return nil, fmt.Errorf("rename part: %w", err)
		}
		r.temps[p] = ""
	}
	if cfg.Force {
		if err := removeStaleParts(cfg.Output, n); err != nil {
			return nil, err
		}
	}
	st.Duration = time.Since(start)
	return st, nil
}

// checkOutput refuses an output directory that holds an input, or that is not empty without
// Force, and creates it when missing (created reports that).
func checkOutput(cfg *Config, inputs []string) (created bool, err error) {
	out, err := filepath.Abs(cfg.Output)
	if err != nil {
		return false, fmt.Errorf("output %s: %w", cfg.Output, err)
	}
	for _, p := range inputs {
		dir, err := filepath.Abs(filepath.Dir(p))
		if err == nil && dir == out {
			return false, fmt.Errorf("input %s is in the output directory %s", p, cfg.Output)
		}
	}
	ents, err := os.ReadDir(cfg.Output)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(cfg.Output, 0o755); err != nil {
			return false, fmt.Errorf("create output %s: %w", cfg.Output, err)
		}
		return true, nil
	case err != nil:
		return false, fmt.Errorf("output %s: %w", cfg.Output, err)
	case len(ents) > 0 && !cfg.Force:
		return false, fmt.Errorf("%w: %s", ErrOutputNotEmpty, cfg.Output)
	}
	return false, nil
}

// removeStaleParts removes part files numbered files or more.
func removeStaleParts(dir string, files int) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("list output %s: %w", dir, err)
	}
	for _, e := range ents {
		if p, ok := partNumber(e.Name()); ok && p >= files {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return fmt.Errorf("remove stale part: %w", err)
			}
		}
	}
	return nil
}

// partNumber returns the number of a file named part-NNNNN.parquet.
func partNumber(name string) (int, bool) {
	digits, ok := strings.CutPrefix(name, "part-")
	if !ok {
		return 0, false
	}
	digits, ok = strings.CutSuffix(digits, ".parquet")
	if !ok || len(digits) != 5 || strings.Trim(digits, "0123456789") != "" {
		return 0, false
	}
	p, err := strconv.Atoi(digits)
	return p, err == nil
}

// removeOutputs removes the output files this run has written and not yet renamed.
func (r *runState) removeOutputs() {
	for _, tmp := range r.temps {
		if tmp != "" {
			os.Remove(tmp)
		}
	}
}

func (r *runState) setPhase(phase string) {
	r.progMu.Lock()
	r.phase = phase
	r.progMu.Unlock()
	r.report()
}

// report calls the progress callback, never concurrently.
func (r *runState) report() {
	if r.cfg.Progress == nil {
		return
	}
	r.progMu.Lock()
	defer r.progMu.Unlock()
	r.cfg.Progress(Progress{Phase: r.phase, RowsRead: r.read.Load(), RowsWritten: r.written.Load(), TotalRows: r.total})
}
