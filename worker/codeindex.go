package worker

import (
	"sync"

	"github.com/frocket/frocket/kernels"
	"github.com/frocket/frocket/query"
	"github.com/frocket/frocket/scan"
)

// maxIndexedCodes is the most codes (dictionary entries plus the null entry) a STRING column of a
// cached table may have to get per-code row masks: at most 16 bits per row, half of what the
// column's codes take.
const maxIndexedCodes = 16

// codeIndex holds, for one table, one row mask per code of each low-cardinality STRING column that
// a filter has used, built on first use. A filter on such a column then costs a reference to one
// mask (equality) or an OR of a few, instead of a pass over the codes. A cached table keeps its
// index with it (ColumnCache), so the masks of the usual funnel steps (eventType == ...) are free on
// a warm part; an uncached evaluation may use a scratch one (scratchCodeIndex). It is safe for
// concurrent use.
type codeIndex struct {
	mu   sync.Mutex
	cols map[*scan.Column]*codeMasks
	only map[string]bool // when set, the only columns indexed, by name
}

// codeMasks is one column's masks, built once.
type codeMasks struct {
	once  sync.Once
	masks []kernels.Bitset // by code; the last one is the null rows'
}

func newCodeIndex() *codeIndex {
	return &codeIndex{cols: map[*scan.Column]*codeMasks{}}
}

// masks returns the per-code masks of col over rows rows, or nil when x is nil or col is not a
// low-cardinality STRING column.
func (x *codeIndex) masks(col *scan.Column, rows int) []kernels.Bitset {
	if x == nil || col.Type != scan.String || len(col.Dict)+1 > maxIndexedCodes || len(col.Codes) < rows ||
		(x.only != nil && !x.only[col.Name]) {
		return nil
	}
	x.mu.Lock()
	cm := x.cols[col]
	if cm == nil {
		cm = &codeMasks{}
		x.cols[col] = cm
	}
	x.mu.Unlock()
	cm.once.Do(func() {
		masks := make([]kernels.Bitset, len(col.Dict)+1)
		for c := range masks {
			masks[c] = kernels.NewBitset(rows)
		}
		kernels.CodeMasks(masks, col.Codes[:rows])
		cm.masks = masks
	})
	return cm.masks
}

// minScratchFilters is the number of distinct filters on one column from which a query on an
// uncached table makes all of the column's masks at once (kernels.CodeMasks, one pass) rather
// than one pass per filter (kernels.MatchCodes): measured, one CodeMasks pass over 11 codes costs
// about two MatchCodes passes.
const minScratchFilters = 3

// scratchCodeIndex returns an index for one evaluation of q over an uncached table, limited to
// the columns with at least minScratchFilters distinct string filters (a 3-step funnel over
// eventType), or nil when there is none.
func scratchCodeIndex(q *query.Query) *codeIndex {
	distinct := map[string]map[string]bool{} // column -> filter keys
	forEachFilter(q, func(f *query.Filter) {
		if f.Value.Kind != query.KindString {
			return
		}
		if distinct[f.Column] == nil {
			distinct[f.Column] = map[string]bool{}
		}
		distinct[f.Column][filterKey(f)] = true
	})
	var only map[string]bool
	for col, keys := range distinct {
		if len(keys) >= minScratchFilters {
			if only == nil {
				only = map[string]bool{}
			}
			only[col] = true
		}
	}
	if only == nil {
		return nil
	}
	x := newCodeIndex()
	x.only = only
	return x
}

// indexBytes is the most memory a codeIndex over tbl can take: the masks of every
// low-cardinality STRING column.
func indexBytes(tbl *scan.Table) int64 {
	var n int64
	words := int64(tbl.Rows+63) / 64
	for _, col := range tbl.Columns {
		if col.Type == scan.String && len(col.Dict)+1 <= maxIndexedCodes {
			n += int64(len(col.Dict)+1) * words * 8
		}
	}
	return n
}

// unionMasks returns the rows whose code matches lut, from the per-code masks: the mask itself
// when one code matches (shared: callers must not modify it), else a new OR of the matching ones.
func unionMasks(masks []kernels.Bitset, lut []bool, rows int) kernels.Bitset {
	var match []int
	for c, m := range lut[:len(masks)] {
		if m {
			match = append(match, c)
		}
	}
	if len(match) == 1 {
		return masks[match[0]]
	}
	dst := kernels.NewBitset(rows)
	for _, c := range match {
		dst.Or(masks[c])
	}
	return dst
}
