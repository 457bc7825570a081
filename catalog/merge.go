package catalog

import (
	"cmp"
	"container/heap"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/frocket/frocket/query"
	"github.com/frocket/frocket/scan"
)

// maxReported caps how many differences or duplicate ids an error lists.
const maxReported = 5

// compareSchemas checks that every sampled part has the first part's supported columns with the same
// types, and says which column differs in which part.
func compareSchemas(parts []sampledPart) error {
	if len(parts) < 2 {
		return nil
	}
	first := parts[0]
	want := columnTypes(first.schema)
	var diffs []string
	total := 0
	add := func(msg string) {
		total++
		if len(diffs) < maxReported {
			diffs = append(diffs, msg)
		}
	}
	for _, p := range parts[1:] {
		got := columnTypes(p.schema)
		for _, name := range sortedKeys(want) {
			w := want[name]
			g, ok := got[name]
			switch {
			case !ok:
				add(fmt.Sprintf("column %s is %s in %s but %s in %s", name, w, first.path, describeAbsent(p.schema, name), p.path))
			case g != w:
				add(fmt.Sprintf("column %s is %s in %s but %s in %s", name, w, first.path, g, p.path))
			}
		}
		for _, name := range sortedKeys(got) {
			if _, ok := want[name]; !ok {
				add(fmt.Sprintf("column %s is %s in %s but %s in %s", name, got[name], p.path, describeAbsent(first.schema, name), first.path))
			}
		}
	}
	if total == 0 {
		return nil
	}
	more := ""
	if total > len(diffs) {
		more = fmt.Sprintf("; and %d more", total-len(diffs))
	}
	return fmt.Errorf("schemas differ between the %d sampled files: %s%s", len(parts), strings.Join(diffs, "; "), more)
}

// columnTypes maps a part's supported columns to their types.
func columnTypes(fs *scan.FileSchema) map[string]scan.Type {
	m := make(map[string]scan.Type, len(fs.Columns))
	for _, c := range fs.Columns {
		if c.Type != 0 {
			m[c.Name] = c.Type
		}
	}
	return m
}

// describeAbsent says why name is not a supported column of fs.
func describeAbsent(fs *scan.FileSchema, name string) string {
	for _, c := range fs.Columns {
		if c.Name == name {
			return "unsupported (" + c.Physical + ")"
		}
	}
	return "missing"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// checkUniques checks that no group id is in two sampled parts. The id lists of a part are distinct
// and sorted (as scan returns them; they are sorted here if not), so a k-way merge finds the ids
// shared by parts without holding them all in a set.
func checkUniques(parts []sampledPart) error {
	ints := make([][]int64, len(parts))
	strs := make([][]string, len(parts))
	for i, p := range parts {
		ints[i] = distinctSorted(p.schema.GroupIDsInt)
		strs[i] = distinctSorted(p.schema.GroupIDsString)
	}
	n, examples := sharedValues(ints, func(v int64) string { return strconv.FormatInt(v, 10) })
	ns, examplesS := sharedValues(strs, strconv.Quote)
	n += ns
	examples = append(examples, examplesS...)
	if n == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "group IDs are not unique across the %d sampled files: %d IDs are in more than one file, e.g. ", len(parts), n)
	for i, ex := range examples[:min(len(examples), maxReported)] {
		if i > 0 {
			b.WriteString("; ")
		}
		names := make([]string, len(ex.parts))
		for j, k := range ex.parts {
			names[j] = parts[k].path
		}
		fmt.Fprintf(&b, "%s in %s", ex.id, strings.Join(names, ", "))
	}
	return errors.New(b.String())
}

// sharedID is a group id found in more than one part (indexes into the sampled parts).
type sharedID struct {
	id    string
	parts []int
}

func distinctSorted[T cmp.Ordered](s []T) []T {
	for i := 1; i < len(s); i++ {
		if !(s[i-1] < s[i]) {
			c := slices.Clone(s)
			slices.Sort(c)
			return slices.Compact(c)
		}
	}
	return s
}

// sharedValues merges distinct sorted lists and returns how many values are in more than one list,
// with the first maxReported of them.
func sharedValues[T cmp.Ordered](lists [][]T, format func(T) string) (int, []sharedID) {
	h := &mergeHeap[T]{}
	for i, l := range lists {
		if len(l) > 0 {
			h.items = append(h.items, mergeItem[T]{v: l[0], list: i})
		}
	}
	heap.Init(h)
	pos := make([]int, len(lists))
	count := 0
	var examples []sharedID
	var holders []int
	for h.Len() > 0 {
		v := h.items[0].v
		holders = holders[:0]
		for h.Len() > 0 && h.items[0].v == v {
			it := heap.Pop(h).(mergeItem[T])
			holders = append(holders, it.list)
			pos[it.list]++
			if pos[it.list] < len(lists[it.list]) {
				heap.Push(h, mergeItem[T]{v: lists[it.list][pos[it.list]], list: it.list})
			}
		}
		if len(holders) > 1 {
			count++
			if len(examples) < maxReported {
				ps := slices.Clone(holders)
				slices.Sort(ps)
				examples = append(examples, sharedID{id: format(v), parts: ps})
			}
		}
	}
	return count, examples
}

type mergeItem[T cmp.Ordered] struct {
	v    T
	list int
}

// mergeHeap is a min-heap of list heads.
type mergeHeap[T cmp.Ordered] struct{ items []mergeItem[T] }

func (h *mergeHeap[T]) Len() int { return len(h.items) }
func (h *mergeHeap[T]) Less(i, j int) bool {
	return h.items[i].v < h.items[j].v || (h.items[i].v == h.items[j].v && h.items[i].list < h.items[j].list)
}
func (h *mergeHeap[T]) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *mergeHeap[T]) Push(x any)    { h.items = append(h.items, x.(mergeItem[T])) }
func (h *mergeHeap[T]) Pop() any {
	it := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return it
}

// mergeSchema merges the schemas of the sampled parts, which compareSchemas found equal: numeric
// ranges span the parts, a string column is categorical only if it is in every part, and the top
// values are the per-part shares summed, cut to TopCount, divided by the number of parts and kept
// from TopMinPct up. Unsupported columns come from the first part.
func mergeSchema(group, ts string, parts []sampledPart, cfg RegisterConfig) (Schema, error) {
	s := Schema{
		GroupColumn:     group,
		TimestampColumn: ts,
		Columns:         map[string]ColumnSchema{},
	}
	if len(parts) == 0 {
		return s, errors.New("merge schema: no parts")
	}
	first := parts[0].schema
	for ci, c := range first.Columns {
		if c.Type == 0 {
			if s.Unsupported == nil {
				s.Unsupported = map[string]string{}
			}
			s.Unsupported[c.Name] = c.Physical
			continue
		}
		stats := make([]*scan.ColumnStats, len(parts))
		for i, p := range parts {
			stats[i] = findColumn(p.schema, c.Name, ci)
		}
		col := ColumnSchema{Name: c.Name, Type: columnType(c.Type), DtypeName: dtypeName(c.Type, c.Physical)}
		switch c.Type {
		case scan.Int, scan.Float:
			col.NumericMin, col.NumericMax = numericRange(stats)
		case scan.String:
			mergeCategorical(&col, parts, stats, cfg)
		}
		s.Columns[c.Name] = col
	}
	if _, ok := s.Columns[group]; !ok {
		return s, fmt.Errorf("group column %s is not a supported column of %s", group, parts[0].path)
	}
	if _, ok := s.Columns[ts]; !ok {
		return s, fmt.Errorf("timestamp column %s is not a supported column of %s", ts, parts[0].path)
	}
	// The timestamp range, from the parts that have rows.
	has := false
	for _, p := range parts {
		if p.schema.Rows == 0 {
			continue
		}
		lo, hi := p.schema.MinTimestamp, p.schema.MaxTimestamp
		if math.IsInf(lo, 0) || math.IsInf(hi, 0) || math.IsNaN(lo) || math.IsNaN(hi) {
			return s, fmt.Errorf("part %s: timestamp column %s has non-finite values", p.path, ts)
		}
		if !has || lo < s.MinTimestamp {
			s.MinTimestamp = lo
		}
		if !has || hi > s.MaxTimestamp {
			s.MaxTimestamp = hi
		}
		has = true
	}
	tsCol := s.Columns[ts]
	if has {
		lo, hi := s.MinTimestamp, s.MaxTimestamp
		tsCol.NumericMin, tsCol.NumericMax = &lo, &hi
	} else {
		tsCol.NumericMin, tsCol.NumericMax = nil, nil
	}
	s.Columns[ts] = tsCol
	return s, nil
}

// findColumn returns the stats of the column named name, looking first at position hint.
func findColumn(fs *scan.FileSchema, name string, hint int) *scan.ColumnStats {
	if hint < len(fs.Columns) && fs.Columns[hint].Name == name {
		return &fs.Columns[hint]
	}
	for i := range fs.Columns {
		if fs.Columns[i].Name == name {
			return &fs.Columns[i]
		}
	}
	return nil
}

// numericRange spans the finite ranges of the parts; nil when no part has one.
func numericRange(stats []*scan.ColumnStats) (lo, hi *float64) {
	for _, st := range stats {
		if st == nil || !st.HasRange {
			continue
		}
		if finite(st.Min) && (lo == nil || st.Min < *lo) {
			v := st.Min
			lo = &v
		}
		if finite(st.Max) && (hi == nil || st.Max > *hi) {
			v := st.Max
			hi = &v
		}
	}
	if lo == nil || hi == nil {
		return nil, nil
	}
	return lo, hi
}

func finite(f float64) bool { return !math.IsInf(f, 0) && !math.IsNaN(f) }

// mergeCategorical sets the categorical attributes of a string column.
func mergeCategorical(col *ColumnSchema, parts []sampledPart, stats []*scan.ColumnStats, cfg RegisterConfig) {
	ratioSum := 0.0
	for i, st := range stats {
		rows := parts[i].schema.Rows
		if st == nil || rows == 0 || st.Distinct == 0 {
			return
		}
		ratio := float64(st.Distinct) / float64(rows)
		if ratio > cfg.CategoricalRatio {
			return
		}
		ratioSum += ratio
	}
	col.Categorical = true
	col.CatUniqueRatio = ratioSum / float64(len(parts))
	if cfg.TopCount == 0 {
		return
	}
	sums := map[string]float64{}
	for i, st := range stats {
		nonNull := parts[i].schema.Rows - st.NullCount
		if nonNull <= 0 {
			continue
		}
		for _, vc := range st.Top {
			sums[vc.Value] += float64(vc.Count) / float64(nonNull)
		}
	}
	type share struct {
		v string
		f float64
	}
	all := make([]share, 0, len(sums))
	for v, f := range sums {
		all = append(all, share{v, f})
	}
	slices.SortFunc(all, func(a, b share) int {
		if c := cmp.Compare(b.f, a.f); c != 0 {
			return c
		}
		return strings.Compare(a.v, b.v)
	})
	top := map[string]float64{}
	for _, sh := range all[:min(len(all), cfg.TopCount)] {
		if f := sh.f / float64(len(parts)); f >= cfg.TopMinPct {
			top[sh.v] = f
		}
	}
	if len(top) > 0 {
		col.CatTopValues = top
	}
}

func columnType(t scan.Type) query.ColumnType {
	switch t {
	case scan.Int:
		return query.TypeInt
	case scan.Float:
		return query.TypeFloat
	case scan.Bool:
		return query.TypeBool
	}
	return query.TypeString
}

// dtypeName names a column's type the way pandas would after reading the Parquet file.
func dtypeName(t scan.Type, physical string) string {
	switch t {
	case scan.Bool:
		return "bool"
	case scan.String:
		return "object"
	case scan.Float:
		if strings.HasPrefix(physical, "FLOAT") {
			return "float32"
		}
		return "float64"
	}
	// Integers: a logical INT(bits,signed) or a converted [U]INT_bits type gives the width.
	if i := strings.Index(physical, "(INT("); i >= 0 {
		rest := physical[i+len("(INT("):]
		if bits, signed, ok := strings.Cut(strings.TrimSuffix(rest, "))"), ","); ok {
			if signed == "false" {
				return "uint" + bits
			}
			return "int" + bits
		}
	}
	for _, u := range []string{"UINT", "INT"} {
		if i := strings.Index(physical, "("+u+"_"); i >= 0 {
			bits := strings.TrimSuffix(physical[i+len(u)+2:], ")")
			return strings.ToLower(u) + bits
		}
	}
	if strings.HasPrefix(physical, "INT32") {
		return "int32"
	}
	return "int64"
}
