package worker

import (
	"sync"

	"github.com/frocket/frocket/kernels"
	"github.com/frocket/frocket/scan"
)

// maxIndexedCodes is the most codes (dictionary entries plus the null entry) a STRING column of a
// cached table may have to get per-code row masks: at most 16 bits per row, half of what the
// column's codes take.
const maxIndexedCodes = 16

// codeIndex holds, for one cached table, row masks per code of its low-cardinality STRING
// columns, each built on first use (one kernels.EqualCodes pass). A filter on such a column then
// costs a reference to one mask (equality) or an OR of a few, instead of a pass over the codes, so
// the masks of the usual funnel steps (eventType == ...) are free on a warm part. The
// ColumnCache keeps a table's index with it. It is safe for concurrent use.
type codeIndex struct {
	mu   sync.Mutex
	cols map[*scan.Column]*codeMasks
}

// codeMasks is one column's masks.
type codeMasks struct {
	mu    sync.Mutex
	codes []uint32         // the column's codes, one per row
	masks []kernels.Bitset // by code, nil until used; the last one is the null rows'
}

func newCodeIndex() *codeIndex {
	return &codeIndex{cols: map[*scan.Column]*codeMasks{}}
}

// column returns the masks of col over rows rows, or nil when x is nil or col is not a
// low-cardinality STRING column.
func (x *codeIndex) column(col *scan.Column, rows int) *codeMasks {
	if x == nil || col.Type != scan.String || len(col.Dict)+1 > maxIndexedCodes || len(col.Codes) < rows {
		return nil
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	cm := x.cols[col]
	if cm == nil {
		cm = &codeMasks{codes: col.Codes[:rows], masks: make([]kernels.Bitset, len(col.Dict)+1)}
		x.cols[col] = cm
	}
	return cm
}

// mask returns the rows of code c (shared: callers must not modify it).
func (cm *codeMasks) mask(c int) kernels.Bitset {
	cm.mu.Lock()
	defer cm.mu.Unlock()
	if cm.masks[c] == nil {
		m := kernels.NewBitset(len(cm.codes))
		kernels.EqualCodes(m, cm.codes, uint32(c))
		cm.masks[c] = m
	}
	return cm.masks[c]
}

// match returns the rows whose code matches lut: the code's mask itself when one code matches
// (shared: callers must not modify it), else a new OR of the matching ones.
func (cm *codeMasks) match(lut []bool) kernels.Bitset {
	var match []int
	for c, m := range lut[:len(cm.masks)] {
		if m {
			match = append(match, c)
		}
	}
	if len(match) == 1 {
		return cm.mask(match[0])
	}
	dst := kernels.NewBitset(len(cm.codes))
	for _, c := range match {
		dst.Or(cm.mask(c))
	}
	return dst
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
