package worker

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/frocket/frocket/kernels"
	"github.com/frocket/frocket/query"
	"github.com/frocket/frocket/scan"
)

// Task is one query over one part.
type Task struct {
	// Path is the part's local file, or its name when Reader is set.
	Path string
	// Reader, when not nil, reads the part (e.g. a memory-mapped cache entry) instead of Path.
	Reader                       io.ReaderAt
	Size                         int64
	GroupColumn, TimestampColumn string
	Query                        *query.Validated
	// PartVersion, when set, identifies the content of the part together with Path and Size (an
	// object's ETag, or the dataset's registration time): the column cache keys entries by it. When
	// empty, a local Path is identified by its size and modification time, and a part read through
	// Reader is not cached.
	PartVersion string
	// Columns, when not nil, keeps decoded columns in memory between tasks (see ColumnCache).
	Columns *ColumnCache
	// Buffers, when not nil and Columns is nil, recycles the memory of decoded columns: Run gives
	// its table back once the partial result is made, and later tasks decode into it.
	Buffers *scan.Buffers
	// MaxMapKeys caps the keys a per-value aggregation returns from one part; past it the part sends
	// only its top Top*2 keys and the aggregation is marked approximate. 0 means DefaultMaxMapKeys.
	MaxMapKeys int
}

// DefaultMaxMapKeys is the per-part cap on the keys of a per-value aggregation.
const DefaultMaxMapKeys = 100_000

// topGraceFactor is how many times Top keys a part keeps past MaxMapKeys (as Funnel Rocket did always).
const topGraceFactor = 2

// Stats describes the work of one task.
type Stats struct {
	FileRows         int64         // rows in the file
	ScannedRows      int64         // rows inside the timeframe
	ScannedGroups    int64         // groups inside the timeframe
	RowGroups        int           // row groups in the file
	SkippedRowGroups int           // row groups skipped by the timeframe
	WasSorted        bool          // the file was already ordered by (group, timestamp)
	ColumnCacheHit   bool          // the columns came from Task.Columns, not from the file
	LoadTime         time.Duration // open and decode
	RunTime          time.Duration // kernels and partial result
}

// Run answers t over its part: Load, then Evaluate.
func Run(ctx context.Context, t Task) (*query.Partial, *Stats, error) {
	start := time.Now()
	tbl, index, hit, err := load(t)
	if err != nil {
		return nil, nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	loaded := time.Now()
	p, err := evaluate(tbl, index, t.Query, t.MaxMapKeys)
	st := TableStats(tbl)
	if t.Columns == nil {
		t.Buffers.Release(tbl) // the partial result holds nothing of the table
	}
	if err != nil {
		return nil, nil, fmt.Errorf("query part %s: %w", t.Path, err)
	}
	st.ColumnCacheHit = hit
	st.LoadTime, st.RunTime = loaded.Sub(start), time.Since(loaded)
	return p, st, nil
}

// Load decodes the columns t's query uses from t's part, restricted to the timeframe, or takes
// them from t.Columns when it holds them. The table may be shared with other tasks through the
// cache: callers must not modify it.
func Load(t Task) (*scan.Table, error) {
	tbl, _, _, err := load(t)
	return tbl, err
}

// load is Load that also returns the cached table's code index (nil for an uncached table) and
// reports whether the column cache answered.
func load(t Task) (*scan.Table, *codeIndex, bool, error) {
	if t.Query == nil || t.Query.Query == nil {
		return nil, nil, false, fmt.Errorf("worker: task for %s has no query", t.Path)
	}
	req := scanRequest(t)
	if t.Columns == nil {
		// A table used once is evaluated in file order when the file is not sorted: the by-row
		// kernels cost less than sorting. Cached tables are sorted once, for every later query.
		req.Unordered = true
		req.CountGroupsOnly = countsOnly(t.Query.Query)
		req.Buffers = t.Buffers
		tbl, err := read(t, req)
		return tbl, nil, false, err
	}
	key, ok, err := partIdentity(t)
	if err != nil {
		return nil, nil, false, err
	}
	if !ok {
		tbl, err := read(t, req)
		return tbl, nil, false, err
	}
	if tbl, index := t.Columns.get(key, req); tbl != nil {
		return tbl, index, true, nil
	}
	req = t.Columns.widen(key, req)
	tbl, err := read(t, req)
	if err != nil {
		return nil, nil, false, err
	}
	// A local file rewritten while it was read must not be cached under its old identity.
	if after, ok, err := partIdentity(t); err == nil && ok && after == key {
		t.Columns.put(key, req, tbl)
	}
	return tbl, nil, false, nil
}

// read decodes req from t's part.
func read(t Task, req scan.Request) (*scan.Table, error) {
	if t.Reader == nil {
		return scan.ReadPath(t.Path, req)
	}
	f, err := scan.Open(t.Reader, t.Size, t.Path)
	if err != nil {
		return nil, err
	}
	return f.Read(req)
}

// TableStats returns the stats of a loaded table (times are left zero).
func TableStats(tbl *scan.Table) *Stats {
	return &Stats{
		FileRows:         tbl.FileRows,
		ScannedRows:      int64(tbl.Rows),
		ScannedGroups:    int64(tbl.Groups()),
		RowGroups:        tbl.RowGroups,
		SkippedRowGroups: tbl.SkippedRowGroups,
		WasSorted:        tbl.WasSorted,
	}
}

func scanRequest(t Task) scan.Request {
	req := scan.Request{GroupColumn: t.GroupColumn}
	if needsTime(t.Query.Query) {
		req.TimestampColumn = t.TimestampColumn
	}
	refs := referencedColumns(t.Query.Query)
	for _, c := range t.Query.UsedColumns {
		// The group and timestamp columns are always decoded for ordering; their values are needed
		// as an ordinary column only when a filter or aggregation reads them.
		if (c != t.GroupColumn && c != t.TimestampColumn) || refs[c] {
			req.Columns = append(req.Columns, c)
		}
	}
	if tf := t.Query.Query.Timeframe; tf != nil {
		req.From, req.To = tf.From, tf.To
	}
	return req
}

// countsOnly reports whether q asks only for the numbers of groups and rows of the timeframe (no
// condition, aggregation or funnel).
func countsOnly(q *query.Query) bool {
	return q.Funnel == nil && (q.Query == nil || (len(q.Query.Conditions) == 0 && len(q.Query.Aggregations) == 0))
}

// needsTime reports whether evaluating q needs the timestamps: for a timeframe, a sequence
// condition or a funnel. Without them the scan neither decodes nor orders by the timestamp column.
func needsTime(q *query.Query) bool {
	if q.Timeframe != nil || q.Funnel != nil {
		return true
	}
	if qs := q.Query; qs != nil {
		for i := range qs.Conditions {
			if qs.Conditions[i].Kind() == query.SequenceCondition {
				return true
			}
		}
	}
	return false
}

// referencedColumns returns every column a filter, target or aggregation of q reads.
func referencedColumns(q *query.Query) map[string]bool {
	refs := map[string]bool{}
	forEachFilter(q, func(f *query.Filter) { refs[f.Column] = true })
	aggs := func(as []query.Aggregation) {
		for _, a := range as {
			refs[a.Column] = true
			if a.OtherColumn != "" {
				refs[a.OtherColumn] = true
			}
		}
	}
	if qs := q.Query; qs != nil {
		for i := range qs.Conditions {
			if t := qs.Conditions[i].Target; t != nil && t.Column != "" {
				refs[t.Column] = true
			}
		}
		aggs(qs.Aggregations)
	}
	if f := q.Funnel; f != nil {
		aggs(f.StepAggregations)
		aggs(f.EndAggregations)
	}
	return refs
}

// forEachFilter calls fn for every filter of q: those of the conditions, of their sequence steps
// and of the funnel's steps.
func forEachFilter(q *query.Query, fn func(*query.Filter)) {
	add := func(fs []query.Filter) {
		for i := range fs {
			fn(&fs[i])
		}
	}
	steps := func(ss []query.Step) {
		for i := range ss {
			add(ss[i].AllFilters())
		}
	}
	if qs := q.Query; qs != nil {
		for i := range qs.Conditions {
			add(qs.Conditions[i].AllFilters())
			steps(qs.Conditions[i].Sequence)
		}
	}
	if q.Funnel != nil {
		steps(q.Funnel.Sequence)
	}
}

// Evaluate answers a validated query over a decoded table.
func Evaluate(tbl *scan.Table, v *query.Validated, maxMapKeys int) (*query.Partial, error) {
	return evaluate(tbl, nil, v, maxMapKeys)
}

// evaluate is Evaluate with the table's code index when it has one (a cached table).
func evaluate(tbl *scan.Table, index *codeIndex, v *query.Validated, maxMapKeys int) (*query.Partial, error) {
	if maxMapKeys <= 0 {
		maxMapKeys = DefaultMaxMapKeys
	}
	e := &evaluator{tbl: tbl, byRow: tbl.GroupOf != nil, index: index, masks: map[string]kernels.Bitset{}, encodedCols: map[string]*encodedColumn{}, maxMapKeys: maxMapKeys}
	q := v.Query
	var out query.Partial

	matched, err := e.matchingGroups(q.Query, v.Relation)
	if err != nil {
		return nil, err
	}
	out.Query.MatchingGroups = int64(matched.GetCardinality())
	out.Query.MatchingGroupRows = e.rowsOf(matched)
	if q.Query != nil && len(q.Query.Aggregations) > 0 {
		if out.Query.Aggregations, err = e.aggregate(q.Query.Aggregations, matched); err != nil {
			return nil, err
		}
	}
	if q.Funnel != nil {
		if out.Funnel, err = e.funnel(q.Funnel, matched); err != nil {
			return nil, err
		}
	}
	return &out, nil
}

type evaluator struct {
	tbl *scan.Table
	// byRow is set when the table's rows are in file order (tbl.GroupOf): the by-row kernels run.
	byRow       bool
	index       *codeIndex                // per-code masks of a cached table, or nil
	masks       map[string]kernels.Bitset // by filterKey
	encodedCols map[string]*encodedColumn // per-value encodings of columns
	maxMapKeys  int
}

// rowsOf returns the number of rows of the groups in set.
func (e *evaluator) rowsOf(set *roaring.Bitmap) int64 {
	if e.tbl.GroupOf == nil && e.tbl.GroupStarts == nil {
		return int64(e.tbl.Rows) // a count-only table: set holds every group (see countsOnly)
	}
	if e.byRow {
		return kernels.RowsOfGroupsByRow(set, e.tbl.GroupRows)
	}
	return kernels.RowsOfGroups(set, e.tbl.GroupStarts)
}

// groupBits returns set as a Bitset over group indexes.
func (e *evaluator) groupBits(set *roaring.Bitmap) kernels.Bitset {
	b := kernels.NewBitset(e.tbl.Groups())
	kernels.GroupSetBits(b, set)
	return b
}

// reach sets reached[g] to the number of steps group g completes, for the groups in set (nil means
// every group).
func (e *evaluator) reach(reached []uint16, steps []kernels.Bitset, set *roaring.Bitmap) {
	if !e.byRow {
		kernels.SequenceReach(reached, steps, e.tbl.TS, e.tbl.GroupStarts, set)
		return
	}
	var bits kernels.Bitset
	if set != nil {
		bits = e.groupBits(set)
	}
	g := e.tbl.Groups()
	kernels.SequenceReachByRow(reached, steps, e.tbl.TS, e.tbl.GroupOf, bits, make([]int64, g), make([]int64, g))
}

func (e *evaluator) allGroups() *roaring.Bitmap {
	all := roaring.New()
	if g := e.tbl.Groups(); g > 0 {
		all.AddRange(0, uint64(g))
	}
	return all
}

// matchingGroups evaluates the conditions and the relation.
func (e *evaluator) matchingGroups(qs *query.QuerySection, rel *query.Relation) (*roaring.Bitmap, error) {
	if qs == nil || len(qs.Conditions) == 0 || rel == nil {
		return e.allGroups(), nil
	}
	sets := make([]*roaring.Bitmap, len(qs.Conditions))
	for i := range qs.Conditions {
		s, err := e.condition(&qs.Conditions[i])
		if err != nil {
			return nil, fmt.Errorf("query.conditions[%d]: %w", i, err)
		}
		sets[i] = s
	}
	return evalRelation(rel, sets), nil
}

func evalRelation(r *query.Relation, sets []*roaring.Bitmap) *roaring.Bitmap {
	switch r.Op {
	case query.RelAnd:
		return roaring.And(evalRelation(r.Left, sets), evalRelation(r.Right, sets))
	case query.RelOr:
		return roaring.Or(evalRelation(r.Left, sets), evalRelation(r.Right, sets))
	}
	return sets[r.Cond]
}

func (e *evaluator) condition(c *query.Condition) (*roaring.Bitmap, error) {
	out := roaring.New()
	starts := e.tbl.GroupStarts
	if c.Kind() == query.SequenceCondition {
		steps, err := e.stepMasks(c.Sequence)
		if err != nil {
			return nil, err
		}
		reached := make([]uint16, e.tbl.Groups())
		e.reach(reached, steps, nil)
		kernels.GroupsReaching(out, reached, len(steps))
		return out, nil
	}
	mask, err := e.filtersMask(c.AllFilters())
	if err != nil {
		return nil, err
	}
	counts := make([]uint32, e.tbl.Groups())
	if e.byRow {
		kernels.CountPerGroupByRow(counts, mask, e.tbl.GroupOf)
	} else {
		kernels.CountPerGroup(counts, mask, starts)
	}
	t := c.Target
	if t == nil {
		return nil, fmt.Errorf("BUG: condition has no target after expansion")
	}
	op, err := kernelOp(t.Op)
	if err != nil {
		return nil, err
	}
	if t.Type == query.TargetCount {
		kernels.TargetCount(out, counts, op, t.Value.Number(), c.IncludeZero != nil && *c.IncludeZero)
		return out, nil
	}
	col, err := e.column(t.Column)
	if err != nil {
		return nil, err
	}
	switch col.Type {
	case scan.Int:
		sums := make([]int64, len(counts))
		if e.byRow {
			kernels.SumPerGroupInt64ByRow(sums, mask, col.Ints, col.Nulls, e.tbl.GroupOf)
		} else {
			kernels.SumPerGroupInt64(sums, mask, col.Ints, col.Nulls, starts)
		}
		kernels.TargetSumInt64(out, counts, sums, op, t.Value.Number())
	case scan.Float:
		sums := make([]float64, len(counts))
		if e.byRow {
			kernels.SumPerGroupFloat64ByRow(sums, mask, col.Floats, col.Nulls, e.tbl.GroupOf)
		} else {
			kernels.SumPerGroupFloat64(sums, mask, col.Floats, col.Nulls, starts)
		}
		kernels.TargetSumFloat64(out, counts, sums, op, t.Value.Number())
	default:
		return nil, fmt.Errorf("sum target column %q is %s, not numeric", t.Column, col.Type)
	}
	return out, nil
}

func (e *evaluator) stepMasks(steps []query.Step) ([]kernels.Bitset, error) {
	var single []*query.Filter
	for i := range steps {
		if fs := steps[i].AllFilters(); len(fs) == 1 {
			single = append(single, &fs[0])
		}
	}
	e.equalityMasks(single)
	masks := make([]kernels.Bitset, len(steps))
	for i := range steps {
		m, err := e.filtersMask(steps[i].AllFilters())
		if err != nil {
			return nil, fmt.Errorf("sequence[%d]: %w", i, err)
		}
		masks[i] = m
	}
	return masks, nil
}

// equalityMasks makes the masks of the == filters among fs on a STRING column without a code
// index when the column has two or more of them (the steps of a funnel over eventType): one
// kernels.EqualCodesMulti pass reads the column's codes once for all of them. Other filters are
// left to filterMask.
func (e *evaluator) equalityMasks(fs []*query.Filter) {
	type want struct {
		keys  []string
		codes []uint32
	}
	byCol := map[*scan.Column]*want{}
	var order []*scan.Column
	for _, f := range fs {
		key := filterKey(f)
		if _, done := e.masks[key]; done || f.Op != query.OpEq || f.Value.Kind != query.KindString {
			continue
		}
		col, ok := e.tbl.Columns[f.Column]
		if !ok || col.Type != scan.String || e.index.column(col, e.tbl.Rows) != nil {
			continue
		}
		code := slices.Index(col.Dict, f.Value.Str)
		if code < 0 {
			continue // matches nothing: filterMask makes the empty mask
		}
		w := byCol[col]
		if w == nil {
			w = &want{}
			byCol[col] = w
			order = append(order, col)
		}
		if !slices.Contains(w.keys, key) {
			w.keys = append(w.keys, key)
			w.codes = append(w.codes, uint32(code))
		}
	}
	for _, col := range order {
		w := byCol[col]
		if len(w.keys) < 2 {
			continue
		}
		dsts := make([]kernels.Bitset, len(w.keys))
		for k := range dsts {
			dsts[k] = kernels.NewBitset(e.tbl.Rows)
		}
		kernels.EqualCodesMulti(dsts, col.Codes[:e.tbl.Rows], w.codes)
		for k, key := range w.keys {
			e.masks[key] = dsts[k]
		}
	}
}

// filtersMask returns the rows matching every filter. The result may be shared: callers must not
// modify it.
func (e *evaluator) filtersMask(fs []query.Filter) (kernels.Bitset, error) {
	if len(fs) == 1 {
		return e.filterMask(&fs[0])
	}
	key := ""
	for i := range fs {
		key += filterKey(&fs[i]) + "\x00"
	}
	if m, ok := e.masks[key]; ok {
		return m, nil
	}
	var acc kernels.Bitset
	for i := range fs {
		m, err := e.filterMask(&fs[i])
		if err != nil {
			return nil, err
		}
		if acc == nil {
			acc = append(kernels.Bitset(nil), m...)
		} else {
			acc.And(m)
		}
	}
	e.masks[key] = acc
	return acc, nil
}

func filterKey(f *query.Filter) string {
	return fmt.Sprintf("%s\x01%s\x01%d\x01%s", f.Column, f.Op, f.Value.Kind, f.Value.String())
}

func (e *evaluator) filterMask(f *query.Filter) (kernels.Bitset, error) {
	key := filterKey(f)
	if m, ok := e.masks[key]; ok {
		return m, nil
	}
	col, err := e.column(f.Column)
	if err != nil {
		return nil, err
	}
	if cm := e.index.column(col, e.tbl.Rows); cm != nil && f.Value.Kind == query.KindString {
		lut, err := stringLUT(col, f.Op, f.Value.Str)
		if err != nil {
			return nil, fmt.Errorf("filter on %q: %w", f.Column, err)
		}
		m := cm.match(lut)
		e.masks[key] = m
		return m, nil
	}
	dst := kernels.NewBitset(e.tbl.Rows)
	if err := compileFilter(dst, col, f); err != nil {
		return nil, fmt.Errorf("filter on %q: %w", f.Column, err)
	}
	e.masks[key] = dst
	return dst, nil
}

func (e *evaluator) column(name string) (*scan.Column, error) {
	c, ok := e.tbl.Columns[name]
	if !ok {
		return nil, fmt.Errorf("BUG: column %q was not decoded", name)
	}
	return c, nil
}
