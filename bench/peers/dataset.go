package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/frocket/frocket/bench"
)

// rowsPerFile is the part size of the benchmark datasets: 10M rows make 10 files.
const rowsPerFile = 1_000_000

// minFiles keeps a quick run (1M rows) spread over several files, so that merging is exercised.
const minFiles = 4

// datasetSeed selects the generated dataset; fixed so that every run measures the same data.
const datasetSeed = 1

// layout is one way the same rows are laid out in files.
type layout struct {
	Name     string
	Unsorted bool
	// Warm runs frocket with a column cache that one unmeasured run has filled: the speed of a
	// repeated query over the same files (DuckDB keeps its own default caches in every layout).
	Warm bool
}

// allLayouts returns the layouts every query runs on, in order.
func allLayouts() []layout {
	return []layout{{Name: "sorted"}, {Name: "unsorted", Unsorted: true}, {Name: "sorted-warm", Warm: true}}
}

// files names the generated files of the layout: a warm layout reads its cold twin's.
func (l layout) files() string { return strings.TrimSuffix(l.Name, "-warm") }

// parseScale reads a row count such as 10M, 1M, 500K, 2.5M or 20000.
func parseScale(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := 1.0
	switch {
	case strings.HasSuffix(t, "K"):
		mult, t = 1e3, strings.TrimSuffix(t, "K")
	case strings.HasSuffix(t, "M"):
		mult, t = 1e6, strings.TrimSuffix(t, "M")
	case strings.HasSuffix(t, "G"), strings.HasSuffix(t, "B"):
		mult, t = 1e9, t[:len(t)-1]
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f <= 0 {
		return 0, fmt.Errorf("scale %q is not a positive row count like 10M", s)
	}
	rows := int64(f * mult)
	if rows < 1 {
		return 0, fmt.Errorf("scale %q is less than one row", s)
	}
	return rows, nil
}

// filesFor returns the number of parts of a dataset of rows rows: one per million rows, at least
// minFiles (but never more files than a tenth of the rows, so every part has users).
func filesFor(rows int64) int {
	n := max(rows/rowsPerFile, minFiles)
	return int(max(min(n, rows/10), 1))
}

// genConfig returns the generator config of one layout.
func genConfig(dataDir string, rows int64, files int, l layout) bench.GenConfig {
	cfg := bench.DefaultGenConfig()
	cfg.Rows, cfg.Files, cfg.Seed, cfg.Unsorted = rows, files, datasetSeed, l.Unsorted
	cfg.OutDir = filepath.Join(dataDir, fmt.Sprintf("peers-%d-%df-%s", rows, files, l.files()))
	return cfg
}

// specFile records, in a dataset directory, the config that generated it.
const specFile = "spec.json"

// datasetSpec is what must be equal for a generated dataset to be reused.
type datasetSpec struct {
	Rows, Users  int64
	Files        int
	Seed         int64
	Unsorted     bool
	RowGroupRows int
	StartMillis  int64
	Format       int // bench.FileFormat
}

func specOf(c bench.GenConfig) datasetSpec {
	return datasetSpec{Rows: c.Rows, Users: c.Users, Files: c.Files, Seed: c.Seed, Unsorted: c.Unsorted,
		RowGroupRows: c.RowGroupRows, StartMillis: c.StartMillis, Format: bench.FileFormat}
}

// ensureDataset generates the dataset of cfg unless its directory already holds it: the same spec
// and exactly the expected part files. It reports whether it generated.
func ensureDataset(ctx context.Context, cfg bench.GenConfig) (bool, error) {
	want := specOf(cfg)
	if ok, err := haveDataset(cfg.OutDir, want); err != nil {
		return false, err
	} else if ok {
		return false, nil
	}
	// Stale parts (another spec) must not stay beside the new ones.
	if err := os.RemoveAll(cfg.OutDir); err != nil {
		return false, fmt.Errorf("clear %s: %w", cfg.OutDir, err)
	}
	if _, err := bench.Generate(ctx, cfg); err != nil {
		return false, fmt.Errorf("generate %s: %w", cfg.OutDir, err)
	}
	b, err := json.MarshalIndent(want, "", "  ")
	if err != nil {
		return false, err
	}
	if err := os.WriteFile(filepath.Join(cfg.OutDir, specFile), append(b, '\n'), 0o644); err != nil {
		return false, fmt.Errorf("write dataset spec: %w", err)
	}
	return true, nil
}

func haveDataset(dir string, want datasetSpec) (bool, error) {
	b, err := os.ReadFile(filepath.Join(dir, specFile))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read dataset spec: %w", err)
	}
	var got datasetSpec
	if err := json.Unmarshal(b, &got); err != nil || got != want {
		return false, nil
	}
	parts, err := filepath.Glob(filepath.Join(dir, "*.parquet"))
	if err != nil {
		return false, err
	}
	if len(parts) != want.Files {
		return false, nil
	}
	for p := range want.Files {
		if _, err := os.Stat(filepath.Join(dir, fmt.Sprintf("part-%05d.parquet", p))); err != nil {
			return false, nil
		}
	}
	return true, nil
}

// repoRoot returns the nearest directory at or above dir holding the main module's go.mod.
func repoRoot(dir string) (string, error) {
	for d := dir; ; {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if first, _, _ := strings.Cut(string(b), "\n"); err == nil && strings.TrimSpace(first) == "module github.com/frocket/frocket" {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no frocket checkout at or above %s", dir)
		}
		d = parent
	}
}
