package scan

import (
	"cmp"
	"fmt"
	"slices"
)

// ColumnInfo describes a top-level column of a file.
type ColumnInfo struct {
	Name     string
	Type     Type   // 0 when the language cannot query the column
	Physical string // the Parquet type, e.g. "INT64", "BYTE_ARRAY (STRING)", "INT96", "LIST"
	Optional bool
}

// FileSchema is what registration learns from reading one whole file.
type FileSchema struct {
	Rows                       int64
	Columns                    []ColumnStats // file order, unsupported columns included with Type 0
	MinTimestamp, MaxTimestamp float64
	GroupIDsInt                []int64  // distinct group ids, sorted (integer group column)
	GroupIDsString             []string // distinct group ids, sorted (string group column)
}

// ColumnStats describes one column of a file.
type ColumnStats struct {
	Name      string
	Type      Type
	Physical  string
	NullCount int64
	// HasRange, Min and Max bound the non-null values of INT and FLOAT columns.
	HasRange bool
	Min, Max float64
	// Distinct counts the distinct non-null values of a STRING column.
	Distinct int
	// Top holds a STRING column's most frequent non-null values, count descending then value ascending.
	Top []ValueCount
}

// ValueCount is a value and how many rows hold it.
type ValueCount struct {
	Value string
	Count int64
}

// Inspect reads the whole file for dataset registration. It checks that the group column exists,
// is integer or string and has no nulls, and that the timestamp column exists, is integer or
// float and has no nulls or NaN; then it describes every column. topN bounds ColumnStats.Top.
// Columns are decoded one at a time, so memory stays near one column of the file. For a file with
// no rows MinTimestamp and MaxTimestamp are 0.
func (f *File) Inspect(groupCol, tsCol string, topN int) (s *FileSchema, err error) {
	defer func() {
		if p := recover(); p != nil {
			s, err = nil, fmt.Errorf("inspect %s: %w: %v", f.name, ErrCorrupt, p)
		}
	}()
	gspec, err := f.column("inspect", groupCol)
	if err != nil {
		return nil, err
	}
	if gspec.info.Type != Int && gspec.info.Type != String {
		return nil, fmt.Errorf("inspect %s: group column %q type must be either integer or string, not %s", f.name, groupCol, gspec.info.Physical)
	}
	tspec, err := f.column("inspect", tsCol)
	if err != nil {
		return nil, err
	}
	if tspec.info.Type != Int && tspec.info.Type != Float {
		return nil, fmt.Errorf("inspect %s: timestamp column %q is not numeric (%s)", f.name, tsCol, tspec.info.Physical)
	}

	var groups []int
	total := int64(0)
	for rg, g := range f.pq.RowGroups() {
		if n := g.NumRows(); n > 0 {
			groups = append(groups, rg)
			total += n
		}
	}
	if total > maxTableRows {
		return nil, fmt.Errorf("inspect %s: %d rows, more than a table holds", f.name, total)
	}

	s = &FileSchema{Rows: f.pq.NumRows(), Columns: make([]ColumnStats, len(f.columns))}
	rs := (*Buffers)(nil).newReadState()
	for i := range f.columns {
		spec := &f.columns[i]
		st := &s.Columns[i]
		st.Name, st.Type, st.Physical = spec.info.Name, spec.info.Type, spec.info.Physical
		if spec.info.Type == 0 {
			st.NullCount = f.metadataNulls(spec)
			continue
		}
		c, err := f.decodeColumn(spec, groups, int(total), nil, rs)
		if err != nil {
			return nil, fmt.Errorf("inspect %s: %w", f.name, err)
		}
		counts := describe(st, c, topN)
		switch spec.info.Name {
		case groupCol:
			if c.Nulls != nil {
				return nil, fmt.Errorf("inspect %s: some values in group column %q are null", f.name, groupCol)
			}
			if c.Type == Int {
				ids := slices.Clone(c.Ints)
				slices.Sort(ids)
				s.GroupIDsInt = slices.Compact(ids)
			} else {
				ids := make([]string, 0, st.Distinct)
				for code, n := range counts {
					if n > 0 {
						ids = append(ids, c.Dict[code])
					}
				}
				slices.Sort(ids)
				s.GroupIDsString = ids
			}
		}
		if spec.info.Name == tsCol {
			if c.Nulls != nil {
				return nil, fmt.Errorf("inspect %s: timestamp column %q has null or NaN values", f.name, tsCol)
			}
			s.MinTimestamp, s.MaxTimestamp = st.Min, st.Max
		}
	}
	return s, nil
}

// describe fills the statistics of a decoded column. For a STRING column it returns the number
// of non-null rows per dictionary code.
func describe(st *ColumnStats, c *Column, topN int) []int64 {
	st.NullCount = int64(popcount(c.Nulls))
	switch c.Type {
	case Int:
		for i, v := range c.Ints {
			if c.IsNull(i) {
				continue
			}
			fv := float64(v)
			if !st.HasRange {
				st.HasRange, st.Min, st.Max = true, fv, fv
			}
			st.Min, st.Max = min(st.Min, fv), max(st.Max, fv)
		}
	case Float:
		for i, v := range c.Floats {
			if c.IsNull(i) {
				continue
			}
			if !st.HasRange {
				st.HasRange, st.Min, st.Max = true, v, v
			}
			st.Min, st.Max = min(st.Min, v), max(st.Max, v)
		}
	case String:
		counts := make([]int64, len(c.Dict)+1) // the last slot counts nulls
		for _, code := range c.Codes {
			counts[code]++
		}
		counts = counts[:len(c.Dict)]
		var top []ValueCount
		for code, n := range counts {
			if n > 0 {
				st.Distinct++
				top = append(top, ValueCount{Value: c.Dict[code], Count: n})
			}
		}
		slices.SortFunc(top, func(a, b ValueCount) int {
			if a.Count != b.Count {
				return cmp.Compare(b.Count, a.Count)
			}
			return cmp.Compare(a.Value, b.Value)
		})
		if len(top) > topN {
			top = top[:max(topN, 0)]
		}
		st.Top = top
		return counts
	}
	return nil
}

// metadataNulls adds up the null counts the footer records for an unsupported leaf column.
func (f *File) metadataNulls(spec *columnSpec) int64 {
	if spec.leaf < 0 {
		return 0
	}
	n := int64(0)
	for _, rg := range f.pq.Metadata().RowGroups {
		if spec.leaf < len(rg.Columns) {
			n += rg.Columns[spec.leaf].MetaData.Statistics.NullCount
		}
	}
	return n
}
