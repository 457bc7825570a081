package prepare

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"

	"github.com/frocket/frocket/scan"
)

// kind is the physical type of a column as prepare stores it.
type kind uint8

const (
	kindBool kind = iota + 1
	kindInt32
	kindInt64
	kindFloat
	kindDouble
	kindBytes
)

// width returns the bytes per value of a fixed-width kind in a spill block.
func (k kind) width() int {
	switch k {
	case kindBool:
		return 1
	case kindInt32, kindFloat:
		return 4
	case kindInt64, kindDouble:
		return 8
	}
	return 0
}

// column is one column that is carried from the inputs to the outputs.
type column struct {
	name     string
	kind     kind
	optional bool
	unsigned bool         // an unsigned integer (orders and hashes as unsigned)
	typ      parquet.Type // the input's type, logical annotation included
	leaf     int          // index of the column chunk in the inputs' row groups
	dict     bool         // dictionary encoded in the output (strings only; decided after the map pass)
}

// layout is the shape shared by every input and output.
type layout struct {
	cols    []column
	group   int      // index in cols of the group column
	ts      int      // index in cols of the timestamp column
	dropped []string // unsupported input columns left out
}

// input is one input file.
type input struct {
	path      string
	rowGroups []int64 // rows per row group
	firstRow  int64   // input position of its first row: rows of all earlier inputs
}

// fileShape is what describeFile learns from one input's footer.
type fileShape struct {
	infos     []scan.ColumnInfo
	leaves    []int          // leaf index of each top-level column, -1 for groups
	types     []parquet.Type // type of each top-level leaf column, nil for groups
	rowGroups []int64
}

// listInputs returns the input files, sorted: the *.parquet files directly in a directory, or
// the regular files matching a glob.
func listInputs(pattern string) ([]string, error) {
	var paths []string
	if st, err := os.Stat(pattern); err == nil && st.IsDir() {
		ents, err := os.ReadDir(pattern)
		if err != nil {
			return nil, fmt.Errorf("list input %s: %w", pattern, err)
		}
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), ".parquet") && e.Type().IsRegular() {
				paths = append(paths, filepath.Join(pattern, e.Name()))
			}
		}
		if len(paths) == 0 {
			return nil, fmt.Errorf("list input %s: no *.parquet files in the directory", pattern)
		}
		return paths, nil
	}
	matches, err := filepath.Glob(pattern)
	if err != nil {
		return nil, fmt.Errorf("list input %s: %w", pattern, err)
	}
	for _, m := range matches {
		if st, err := os.Stat(m); err == nil && st.Mode().IsRegular() {
			paths = append(paths, m)
		}
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("list input %s: no files match", pattern)
	}
	slices.Sort(paths)
	return paths, nil
}

// describeFile reads the footer of one input.
func describeFile(path string) (sh *fileShape, err error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open input %s: %w", path, err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("open input %s: %w", path, err)
	}
	sf, err := scan.Open(fh, st.Size(), path)
	if err != nil {
		return nil, err // names the file
	}
	defer func() {
		if p := recover(); p != nil {
			sh, err = nil, fmt.Errorf("open input %s: %w: %v", path, scan.ErrNotParquet, p)
		}
	}()
	pf, err := parquet.OpenFile(fh, st.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, fmt.Errorf("open input %s: %w", path, err)
	}
	sh = &fileShape{infos: sf.Columns()}
	top := pf.Root().Columns()
	if len(top) != len(sh.infos) {
		return nil, fmt.Errorf("open input %s: %w: %d top-level columns, schema says %d", path, scan.ErrNotParquet, len(top), len(sh.infos))
	}
	for _, c := range top {
		if c.Leaf() {
			sh.leaves = append(sh.leaves, c.Index())
			sh.types = append(sh.types, c.Type())
		} else {
			sh.leaves = append(sh.leaves, -1)
			sh.types = append(sh.types, nil)
		}
	}
	for _, rg := range pf.RowGroups() {
		n := rg.NumRows()
		if n < 0 {
			return nil, fmt.Errorf("open input %s: %w: row group with %d rows", path, scan.ErrNotParquet, n)
		}
		sh.rowGroups = append(sh.rowGroups, n)
	}
	return sh, nil
}

// describeInputs reads every input's footer (in parallel), checks that all have the columns of
// the first one, and returns the inputs and the layout.
func describeInputs(ctx context.Context, paths []string, cfg *Config) ([]input, *layout, error) {
	shapes := make([]*fileShape, len(paths))
	err := parallel(ctx, len(paths), cfg.Workers, func(_ context.Context, _, i int) error {
		sh, err := describeFile(paths[i])
		shapes[i] = sh
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	ref := shapes[0]
	for i := 1; i < len(paths); i++ {
		if why := schemaDifference(ref.infos, shapes[i].infos); why != "" {
			return nil, nil, fmt.Errorf("input %s: columns differ from %s: %s", paths[i], paths[0], why)
		}
	}
	l, err := makeLayout(ref, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("input %s: %w", paths[0], err)
	}
	inputs := make([]input, len(paths))
	var row int64
	for i, sh := range shapes {
		inputs[i] = input{path: paths[i], rowGroups: sh.rowGroups, firstRow: row}
		for _, n := range sh.rowGroups {
			row += n
		}
	}
	return inputs, l, nil
}

// schemaDifference describes the first difference between two column lists, or returns "".
func schemaDifference(want, got []scan.ColumnInfo) string {
	for i := range min(len(want), len(got)) {
		w, g := want[i], got[i]
		if w.Name != g.Name || w.Physical != g.Physical || w.Optional != g.Optional {
			return fmt.Sprintf("column %d is %s here, %s there", i, describeInfo(g), describeInfo(w))
		}
	}
	if len(want) != len(got) {
		return fmt.Sprintf("%d columns here, %d there", len(got), len(want))
	}
	return ""
}

func describeInfo(c scan.ColumnInfo) string {
	s := fmt.Sprintf("%q %s", c.Name, c.Physical)
	if c.Optional {
		s += " optional"
	}
	return s
}

// makeLayout picks the columns to carry and checks the group and timestamp columns.
func makeLayout(sh *fileShape, cfg *Config) (*layout, error) {
	l := &layout{group: -1, ts: -1}
	var unsupported []string
	for i, info := range sh.infos {
		if info.Type == 0 || sh.leaves[i] < 0 {
			if cfg.DropUnsupported && info.Name != cfg.GroupColumn && info.Name != cfg.TimestampColumn {
				l.dropped = append(l.dropped, info.Name)
				continue
			}
			unsupported = append(unsupported, fmt.Sprintf("%q (%s)", info.Name, info.Physical))
			continue
		}
		if slices.ContainsFunc(l.cols, func(c column) bool { return c.name == info.Name }) {
			return nil, fmt.Errorf("column %q appears twice", info.Name)
		}
		typ := sh.types[i]
		c := column{name: info.Name, optional: info.Optional, typ: typ, leaf: sh.leaves[i]}
		switch typ.Kind() {
		case parquet.Boolean:
			c.kind = kindBool
		case parquet.Int32:
			c.kind, c.unsigned = kindInt32, isUnsigned(typ)
		case parquet.Int64:
			c.kind, c.unsigned = kindInt64, isUnsigned(typ)
		case parquet.Float:
			c.kind = kindFloat
		case parquet.Double:
			c.kind = kindDouble
		case parquet.ByteArray:
			c.kind = kindBytes
		default:
			unsupported = append(unsupported, fmt.Sprintf("%q (%s)", info.Name, info.Physical))
			continue
		}
		switch info.Name {
		case cfg.GroupColumn:
			if info.Type != scan.Int && info.Type != scan.String {
				return nil, fmt.Errorf("group id column %q must be integer or string, not %s", info.Name, info.Physical)
			}
			l.group = len(l.cols)
		case cfg.TimestampColumn:
			if info.Type != scan.Int && info.Type != scan.Float {
				return nil, fmt.Errorf("timestamp column %q must be integer or float, not %s", info.Name, info.Physical)
			}
			l.ts = len(l.cols)
		}
		l.cols = append(l.cols, c)
	}
	if len(unsupported) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrUnsupportedColumns, strings.Join(unsupported, ", "))
	}
	if l.group < 0 {
		return nil, fmt.Errorf("group id column %q not found", cfg.GroupColumn)
	}
	if l.ts < 0 {
		return nil, fmt.Errorf("timestamp column %q not found", cfg.TimestampColumn)
	}
	return l, nil
}

// isUnsigned reports whether an integer type is annotated as unsigned.
func isUnsigned(t parquet.Type) bool {
	if lt := t.LogicalType(); lt != nil {
		if it, ok := lt.Value.(*format.IntType); ok {
			return !it.IsSigned
		}
	}
	if ct := t.ConvertedType(); ct != nil {
		switch *ct {
		case deprecated.Uint8, deprecated.Uint16, deprecated.Uint32, deprecated.Uint64:
			return true
		}
	}
	return false
}
