package scan

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/parquet-go/parquet-go/format"
)

// Request says what Read decodes.
type Request struct {
	// GroupColumn is the group (user) id column, integer or string, without nulls.
	GroupColumn string
	// TimestampColumn is the timestamp column, integer or float, without nulls or NaN. Empty means
	// the caller needs no time order: the timestamp column is then not decoded (unless listed in
	// Columns), the table's TS is nil, its rows are ordered by group only, and From and To must be
	// nil.
	TimestampColumn string
	// Columns are the other columns to decode; they may include the group and timestamp columns.
	Columns []string
	// Unordered lets the caller take the rows of a file that is not already ordered in file order:
	// the table then has GroupOf and GroupRows instead of GroupStarts, and no sort happens. A file
	// already in order is returned ordered, as without Unordered.
	Unordered bool
	// CountGroupsOnly says the caller needs only the rows and the number of groups: the rows keep
	// their file order, and the table has GroupCount instead of GroupStarts or GroupOf. WasSorted
	// then tells only whether the group column is in order (for integer groups; false for strings).
	CountGroupsOnly bool
	// Buffers, when not nil, supplies the table's value slices from tables released earlier.
	Buffers *Buffers
	// From and To, when set, restrict the rows to From <= ts < To. For a float timestamp column
	// the comparison is numeric and exact.
	From, To *int64
}

// maxTableRows bounds a table so that row positions fit in uint32 with one to spare.
const maxTableRows = math.MaxUint32 - 1

// ReadPath opens the file at path, reads it and closes it.
func ReadPath(path string, req Request) (*Table, error) {
	f, closer, err := OpenPath(path)
	if err != nil {
		return nil, err
	}
	defer closer.Close()
	return f.Read(req)
}

// Read decodes the requested columns of the rows in the timeframe, ordered by (group, ts) with
// ties in file order (by group alone, ties in file order, without a timestamp column). Row groups whose timestamp statistics lie outside the timeframe are not
// read. Null group ids and null or NaN timestamps among the rows read are errors.
func (f *File) Read(req Request) (t *Table, err error) {
	defer func() {
		if p := recover(); p != nil {
			t, err = nil, fmt.Errorf("read %s: %w: %v", f.name, ErrCorrupt, p)
		}
	}()
	gspec, err := f.column("read", req.GroupColumn)
	if err != nil {
		return nil, err
	}
	if gspec.info.Type != Int && gspec.info.Type != String {
		return nil, fmt.Errorf("read %s: group column %q must be integer or string, not %s", f.name, req.GroupColumn, gspec.info.Physical)
	}
	specs := []*columnSpec{gspec}
	var tspec *columnSpec
	if req.TimestampColumn != "" {
		if tspec, err = f.column("read", req.TimestampColumn); err != nil {
			return nil, err
		}
		if tspec.info.Type != Int && tspec.info.Type != Float {
			return nil, fmt.Errorf("read %s: timestamp column %q must be integer or float, not %s", f.name, req.TimestampColumn, tspec.info.Physical)
		}
		specs = append(specs, tspec)
	} else if req.From != nil || req.To != nil {
		return nil, fmt.Errorf("read %s: a timeframe needs a timestamp column", f.name)
	}
	for _, name := range req.Columns {
		s, err := f.column("read", name)
		if err != nil {
			return nil, err
		}
		specs = append(specs, s)
	}

	var tf timeframe
	if tspec != nil {
		tf = makeTimeframe(tspec.info.Type, req.From, req.To)
	}
	t = &Table{RowGroups: len(f.pq.RowGroups()), FileRows: f.pq.NumRows()}
	var groups []int
	total := 0
	for rg, g := range f.pq.RowGroups() {
		if tf.set() && f.outside(tspec, rg, tf) {
			t.SkippedRowGroups++
			continue
		}
		n := g.NumRows()
		if n < 0 || int64(total)+n > maxTableRows {
			return nil, fmt.Errorf("read %s: row group %d has %d rows, more than a table holds", f.name, rg, n)
		}
		if n > 0 {
			groups = append(groups, rg)
			total += int(n)
		}
	}

	// Decode row group by row group, so that, when every row is kept, the order of an integer
	// group column and timestamp is checked on each row group's rows while they are in cache.
	early := !req.CountGroupsOnly && !tf.set() && gspec.info.Type == Int && (tspec == nil || tspec.info.Type == Int)
	// A file that declares its (group, timestamp) order, read for a query that does not use the
	// group values themselves, needs them only for that check and the group starts: each row
	// group's values go into one small buffer instead of a column of every row.
	stream := early && tspec != gspec && !slices.Contains(req.Columns, req.GroupColumn) &&
		f.declaresOrder(gspec, tspec, groups)
	cols := make(map[string]*Column, len(specs))
	st := req.Buffers.newReadState()
	defer req.Buffers.done(st)
	decs := make([]*columnDecoder, 0, len(specs))
	for i, s := range specs {
		if _, done := cols[s.info.Name]; done {
			continue
		}
		rows, bufs := total, req.Buffers
		if stream && i == 0 {
			rows, bufs = 0, nil // the values go to the scratch buffer below
		}
		d, err := f.newColumnDecoder(s, rows, bufs, st)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", f.name, err)
		}
		if stream && i == 0 {
			// Row 0 holds the previous row group's last value.
			d.rows = f.maxRowGroupRows(groups) + 1
			if cap(st.scratch.group) < d.rows {
				st.scratch.group = make([]int64, d.rows)
			}
			d.col.Ints = st.scratch.group[:d.rows]
		}
		decs = append(decs, d)
		cols[s.info.Name] = d.col
	}
	group := cols[req.GroupColumn]
	var tsCol *Column
	if tspec != nil {
		tsCol = cols[req.TimestampColumn]
	}
	// decs[0] decodes the group column, decs[1] the timestamp column when it is another one.
	checkAfter := 0
	var tsInts []int64
	if tsCol != nil {
		tsInts = tsCol.Ints
		if tsCol != group {
			checkAfter = 1
		}
	}
	var rc runCheck[int64]
	if early {
		rc.init(req.Buffers.starts(total/8+2), hasAVX2())
	}
	pos := 0
	for _, rg := range groups {
		n := 0
		for i, d := range decs {
			at := pos
			if stream && i == 0 {
				at = 1
			}
			var err error
			if n, err = d.decodeRowGroup(rg, at); err != nil {
				return nil, fmt.Errorf("read %s: %w", f.name, err)
			}
			switch {
			case !early || i != checkAfter:
			case stream && pos == 0:
				rc.addAt(group.Ints[1:1+n], tsInts, 0, n)
				group.Ints[0] = group.Ints[n]
			case stream:
				ts := tsInts
				if ts != nil {
					ts = ts[pos-1:]
				}
				rc.addAt(group.Ints[:1+n], ts, pos-1, pos+n)
				group.Ints[0] = group.Ints[n]
			default:
				rc.add(group.Ints, tsInts, pos+n)
			}
		}
		pos += n
	}
	for _, d := range decs {
		d.finish()
	}
	if stream {
		group.Ints = nil // the scratch buffer's
		if rc.bad {
			// Not in the declared order after all: decode the group values of every row.
			d, err := f.newColumnDecoder(gspec, total, req.Buffers, st)
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", f.name, err)
			}
			at := 0
			for _, rg := range groups {
				n, err := d.decodeRowGroup(rg, at)
				if err != nil {
					return nil, fmt.Errorf("read %s: %w", f.name, err)
				}
				at += n
			}
			group = d.finish()
			cols[req.GroupColumn] = group
		}
	}
	t.fastChunks, t.slowChunks, t.directPages = st.fastChunks, st.slowChunks, st.directPages
	if group.Nulls != nil {
		return nil, fmt.Errorf("read %s: group column %q has null values", f.name, req.GroupColumn)
	}
	var ts []int64
	if tspec != nil {
		if tsCol.Nulls != nil {
			return nil, fmt.Errorf("read %s: timestamp column %q has null or NaN values", f.name, req.TimestampColumn)
		}
		ts = tsCol.Ints
		if tsCol.Type == Float {
			ts = req.Buffers.int64s(total)
			for i, v := range tsCol.Floats {
				ts[i] = FloatKey(v)
			}
		}
	}
	var pre *preOrder
	if early {
		starts, ok := rc.result(total)
		pre = &preOrder{starts: starts, sorted: ok}
	}

	sel := tf.filter(ts)
	var idx, starts []uint32
	var sorted, keep bool
	if req.CountGroupsOnly {
		idx, keep = sel, true
	} else {
		idx, sorted, keep, starts = order(group, ts, sel, req.Unordered, req.Buffers, pre)
	}
	if idx != nil {
		// When the rows keep their order, idx is the increasing selection and can be applied in
		// place.
		inPlace := sorted || keep
		seen := make(map[*Column]bool, len(cols))
		for _, c := range cols {
			if !seen[c] {
				seen[c] = true
				gatherColumn(c, idx, inPlace)
			}
		}
		switch {
		case tsCol == nil:
		case tsCol.Type == Int:
			ts = tsCol.Ints
		default:
			ts = gather(ts, idx, inPlace)
		}
	}

	t.Rows = total
	if idx != nil {
		t.Rows = len(idx)
	}
	t.Group = group
	t.TS = ts
	t.WasSorted = sorted
	switch {
	case req.CountGroupsOnly && group.Type == Int:
		t.GroupCount, t.WasSorted = countIntGroups(group.Ints)
	case req.CountGroupsOnly:
		t.GroupCount = countCodes(group.Codes, len(group.Dict))
	case keep && group.Type == Int:
		t.GroupOf, t.GroupRows = intGroupIDs(group.Ints, req.Buffers)
	case keep:
		t.GroupOf, t.GroupRows = codeGroupIDs(group.Codes, len(group.Dict), req.Buffers)
	case starts != nil:
		t.GroupStarts = starts
	case group.Type == Int:
		t.GroupStarts = groupStarts(group.Ints)
	default:
		t.GroupStarts = groupStarts(group.Codes)
	}
	t.Columns = make(map[string]*Column, len(req.Columns))
	for _, name := range req.Columns {
		t.Columns[name] = cols[name]
	}
	return t, nil
}

// preOrder is the order check of an integer group column made while decoding (see runCheck),
// over all rows.
type preOrder struct {
	starts []uint32 // the group starts, when sorted
	sorted bool
}

// order decides the final row order of the selected rows (all rows when sel is nil). It returns
// the rows to take, in order (nil: all rows as they are), and whether the selection was already
// ordered by (group, ts), in which case starts are the group starts of the selection (their
// memory from bufs when it has some). pre, when not nil, is the check already made on all rows
// of an integer group column (sel is then nil). When the selection is not ordered and unordered
// is set, the rows keep their file order: idx is sel and keep is true.
func order(group *Column, ts []int64, sel []uint32, unordered bool, bufs *Buffers, pre *preOrder) (idx []uint32, sorted, keep bool, starts []uint32) {
	tsSel := pick(ts, sel)
	var rank []uint32
	groups := 0
	if group.Type == Int {
		g := pick(group.Ints, sel)
		switch {
		case pre != nil && pre.sorted:
			return sel, true, false, pre.starts
		case pre != nil:
		default:
			if st, ok := sortedRuns(g, tsSel, bufs.starts(len(g)/8+2)); ok {
				return sel, true, false, st
			}
		}
		if unordered {
			return sel, false, true, nil
		}
		rank, groups = denseIntRanks(g)
	} else {
		ranks := stringRanks(group.Dict)
		codes := group.Codes
		n := len(codes)
		if sel != nil {
			n = len(sel)
		}
		rank = make([]uint32, n)
		if sel == nil {
			for i, c := range codes {
				rank[i] = ranks[c]
			}
		} else {
			for i, p := range sel {
				rank[i] = ranks[codes[p]]
			}
		}
		if st, ok := sortedRuns(rank, tsSel, bufs.starts(len(rank)/8+2)); ok {
			return sel, true, false, st
		}
		if unordered {
			return sel, false, true, nil
		}
		groups = len(group.Dict)
	}
	perm := sortPermutation(rank, groups, tsSel)
	if sel != nil {
		for i, p := range perm {
			perm[i] = sel[p]
		}
	}
	return perm, false, false, nil
}

// countIntGroups returns the number of distinct values and whether vals is sorted.
func countIntGroups(vals []int64) (groups int, sorted bool) {
	if len(vals) == 0 {
		return 0, true
	}
	// One pass counts the runs while checking the order; a decrease falls through to the sets.
	groups, sorted = 1, true
	for i := 1; i < len(vals); i++ {
		a, b := vals[i-1], vals[i]
		if b < a {
			sorted = false
			break
		}
		groups += b2i(b != a)
	}
	if sorted {
		return groups, true
	}
	lo, hi := slices.Min(vals), slices.Max(vals)
	if span := uint64(hi) - uint64(lo); span < 64*uint64(len(vals)) {
		seen := make([]uint64, span/64+1)
		for _, v := range vals {
			k := uint64(v) - uint64(lo)
			seen[k>>6] |= 1 << (k & 63)
		}
		return popcount(seen), false
	}
	var x intIndex
	x.init(len(vals))
	last := vals[0]
	x.id(last)
	for _, v := range vals[1:] {
		if v != last {
			last = v
			x.id(v)
		}
	}
	return len(x.distinct), false
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// countCodes returns the number of distinct codes below dictLen in codes.
func countCodes(codes []uint32, dictLen int) int {
	seen := make([]uint64, dictLen/64+1)
	for _, c := range codes {
		seen[c>>6] |= 1 << (c & 63)
	}
	return popcount(seen)
}

// intGroupIDs numbers the distinct values of vals densely in order of first appearance and returns
// each row's number and the row count of each number.
func intGroupIDs(vals []int64, bufs *Buffers) (groupOf, groupRows []uint32) {
	groupOf = bufs.uint32s(len(vals))
	if len(vals) == 0 {
		return groupOf, nil
	}
	// Ids within a span of a few times the row count index a table directly: one memory access
	// per row instead of a hash probe.
	lo, hi := slices.Min(vals), slices.Max(vals)
	if span := uint64(hi) - uint64(lo); span < 4*uint64(len(vals)) {
		idOf := make([]uint32, span+1) // id+1; 0 means not seen yet
		for i, v := range vals {
			slot := &idOf[uint64(v)-uint64(lo)]
			id := *slot
			if id == 0 {
				groupRows = append(groupRows, 0)
				id = uint32(len(groupRows))
				*slot = id
			}
			groupOf[i] = id - 1
			groupRows[id-1]++
		}
		return groupOf, groupRows
	}
	var x intIndex
	x.init(len(vals))
	last, lastID := int64(0), uint32(0)
	for i, v := range vals {
		if i == 0 || v != last {
			last, lastID = v, x.id(v)
			if int(lastID) == len(groupRows) {
				groupRows = append(groupRows, 0)
			}
		}
		groupOf[i] = lastID
		groupRows[lastID]++
	}
	return groupOf, groupRows
}

// codeGroupIDs is intGroupIDs for dictionary codes below dictLen.
func codeGroupIDs(codes []uint32, dictLen int, bufs *Buffers) (groupOf, groupRows []uint32) {
	groupOf = bufs.uint32s(len(codes))
	idOf := make([]uint32, dictLen)
	for i := range idOf {
		idOf[i] = math.MaxUint32
	}
	for i, c := range codes {
		id := idOf[c]
		if id == math.MaxUint32 {
			id = uint32(len(groupRows))
			idOf[c] = id
			groupRows = append(groupRows, 0)
		}
		groupOf[i] = id
		groupRows[id]++
	}
	return groupOf, groupRows
}

// timeframe is a half-open range of timestamp keys (see Table.TS).
type timeframe struct {
	hasLo, hasHi bool
	lo, hi       int64
}

// makeTimeframe converts the request's bounds to keys of the timestamp column's type.
func makeTimeframe(typ Type, from, to *int64) timeframe {
	var tf timeframe
	key := func(v int64) int64 {
		if typ == Float {
			return FloatKey(ceilFloat(v))
		}
		return v
	}
	if from != nil {
		tf.hasLo, tf.lo = true, key(*from)
	}
	if to != nil {
		tf.hasHi, tf.hi = true, key(*to)
	}
	return tf
}

func (tf timeframe) set() bool { return tf.hasLo || tf.hasHi }

// keeps reports whether key k lies in the timeframe.
func (tf timeframe) keeps(k int64) bool {
	return (!tf.hasLo || k >= tf.lo) && (!tf.hasHi || k < tf.hi)
}

// filter returns the positions of the keys inside the timeframe, or nil when all are.
func (tf timeframe) filter(ts []int64) []uint32 {
	if !tf.set() {
		return nil
	}
	first := -1
	for i, k := range ts {
		if !tf.keeps(k) {
			first = i
			break
		}
	}
	if first < 0 {
		return nil
	}
	sel := make([]uint32, first, len(ts))
	for i := range sel {
		sel[i] = uint32(i)
	}
	for i := first + 1; i < len(ts); i++ {
		if tf.keeps(ts[i]) {
			sel = append(sel, uint32(i))
		}
	}
	return sel
}

// outside reports whether the statistics of the timestamp column prove that row group rg has
// no row in the timeframe. Missing or unusable statistics never skip a row group.
func (f *File) outside(ts *columnSpec, rg int, tf timeframe) bool {
	if tf.hasLo && tf.hasHi && tf.lo >= tf.hi {
		return true // an empty timeframe keeps nothing
	}
	md := f.pq.Metadata()
	if rg >= len(md.RowGroups) || ts.leaf < 0 || ts.leaf >= len(md.RowGroups[rg].Columns) {
		return false
	}
	st := &md.RowGroups[rg].Columns[ts.leaf].MetaData.Statistics
	lo, ok1 := statKey(ts, st.MinValue)
	hi, ok2 := statKey(ts, st.MaxValue)
	if !ok1 || !ok2 {
		return false
	}
	return (tf.hasHi && lo >= tf.hi) || (tf.hasLo && hi < tf.lo)
}

// statKey decodes a plain-encoded statistics value of the timestamp column to a key.
func statKey(ts *columnSpec, b []byte) (int64, bool) {
	switch ts.kind {
	case format.Int32:
		if len(b) != 4 {
			return 0, false
		}
		v := binary.LittleEndian.Uint32(b)
		if ts.unsigned {
			return int64(v), true
		}
		return int64(int32(v)), true
	case format.Int64:
		if len(b) != 8 {
			return 0, false
		}
		v := binary.LittleEndian.Uint64(b)
		if ts.unsigned && v > math.MaxInt64 {
			return 0, false
		}
		return int64(v), true
	case format.Float:
		if len(b) != 4 {
			return 0, false
		}
		v := float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
		if math.IsNaN(v) {
			return 0, false
		}
		return FloatKey(v), true
	case format.Double:
		if len(b) != 8 {
			return 0, false
		}
		v := math.Float64frombits(binary.LittleEndian.Uint64(b))
		if math.IsNaN(v) {
			return 0, false
		}
		return FloatKey(v), true
	}
	return 0, false
}

// declaresOrder reports whether every one of the row groups declares (Parquet's sorting_columns)
// that its rows are sorted by the group column, then the timestamp column (when tspec is not
// nil), ascending.
func (f *File) declaresOrder(gspec, tspec *columnSpec, groups []int) bool {
	meta := f.pq.Metadata().RowGroups
	for _, rg := range groups {
		sc := meta[rg].SortingColumns
		if len(sc) < 1 || int(sc[0].ColumnIdx) != gspec.leaf || sc[0].Descending {
			return false
		}
		if tspec != nil && (len(sc) < 2 || int(sc[1].ColumnIdx) != tspec.leaf || sc[1].Descending) {
			return false
		}
	}
	return len(groups) > 0
}

// maxRowGroupRows returns the most rows of one of the row groups.
func (f *File) maxRowGroupRows(groups []int) int {
	n := 0
	for _, rg := range groups {
		n = max(n, int(f.pq.RowGroups()[rg].NumRows()))
	}
	return n
}
