package prepare

import (
	"math"
	"slices"

	"github.com/frocket/frocket/bench"
	"github.com/frocket/frocket/scan"
)

// colBuf holds one column of a batch. Fixed-width values are stored as uint64 bit patterns:
// booleans as 0 or 1, INT32 and FLOAT zero-extended from their 32 bits, INT64 and DOUBLE as
// they are. Null rows hold 0 (or an empty byte array).
type colBuf struct {
	fixed []uint64
	data  []byte // byte arrays, concatenated
	offs  []int  // byte array i is data[offs[i]:offs[i+1]]; len(offs) == rows+1
	nulls []bool // optional columns only: nulls[i] reports a null at row i
}

// batch is a set of rows in columns, with the input position of each row.
type batch struct {
	l    *layout
	rows int
	cols []colBuf
	ord  []int64
}

func newBatch(l *layout) *batch {
	b := &batch{l: l, cols: make([]colBuf, len(l.cols))}
	for i := range l.cols {
		if l.cols[i].kind == kindBytes {
			b.cols[i].offs = []int{0}
		}
	}
	return b
}

// reset empties the batch and keeps its memory.
func (b *batch) reset() {
	b.rows = 0
	b.ord = b.ord[:0]
	for i := range b.cols {
		c := &b.cols[i]
		c.fixed = c.fixed[:0]
		c.data = c.data[:0]
		c.nulls = c.nulls[:0]
		if c.offs != nil {
			c.offs = c.offs[:1]
		}
	}
}

// release empties the batch and drops its memory.
func (b *batch) release() {
	*b = *newBatch(b.l)
}

// memBytes returns the bytes the batch's rows take.
func (b *batch) memBytes() int64 {
	n := int64(len(b.ord)) * 8
	for i := range b.cols {
		c := &b.cols[i]
		n += int64(len(c.fixed))*8 + int64(len(c.data)) + int64(len(c.offs))*8 + int64(len(c.nulls))
	}
	return n
}

// grow makes room for rows more rows and dataBytes[i] more bytes in byte-array column i
// (dataBytes may be nil).
func (b *batch) grow(rows int, dataBytes []int64) {
	b.ord = slices.Grow(b.ord, rows)
	for i := range b.cols {
		c := &b.cols[i]
		if b.l.cols[i].kind == kindBytes {
			c.offs = slices.Grow(c.offs, rows)
			if dataBytes != nil {
				c.data = slices.Grow(c.data, int(dataBytes[i]))
			}
		} else {
			c.fixed = slices.Grow(c.fixed, rows)
		}
		if b.l.cols[i].optional {
			c.nulls = slices.Grow(c.nulls, rows)
		}
	}
}

// bytesAt returns byte array i of column c (valid until the batch changes).
func (c *colBuf) bytesAt(i int) []byte { return c.data[c.offs[i]:c.offs[i+1]] }

// appendRow appends row i of src, which has the same layout.
func (b *batch) appendRow(src *batch, i int) {
	for c := range b.cols {
		d, s := &b.cols[c], &src.cols[c]
		if b.l.cols[c].kind == kindBytes {
			d.data = append(d.data, s.bytesAt(i)...)
			d.offs = append(d.offs, len(d.data))
		} else {
			d.fixed = append(d.fixed, s.fixed[i])
		}
		if b.l.cols[c].optional {
			d.nulls = append(d.nulls, s.nulls[i])
		}
	}
	b.ord = append(b.ord, src.ord[i])
	b.rows++
}

// scatter appends every row i of b to dst[part[i]], column by column.
func (b *batch) scatter(part []int32, dst []*batch) {
	for c := range b.cols {
		s := &b.cols[c]
		if b.l.cols[c].kind == kindBytes {
			for i, p := range part {
				d := &dst[p].cols[c]
				d.data = append(d.data, s.data[s.offs[i]:s.offs[i+1]]...)
				d.offs = append(d.offs, len(d.data))
			}
		} else {
			for i, p := range part {
				d := &dst[p].cols[c]
				d.fixed = append(d.fixed, s.fixed[i])
			}
		}
		if b.l.cols[c].optional {
			for i, p := range part {
				d := &dst[p].cols[c]
				d.nulls = append(d.nulls, s.nulls[i])
			}
		}
	}
	for i, p := range part {
		d := dst[p]
		d.ord = append(d.ord, b.ord[i])
		d.rows++
	}
}

// intID returns an integer group id as scan reads it: sign- or zero-extended to int64.
func intID(c *column, u uint64) int64 {
	if c.kind == kindInt32 {
		if c.unsigned {
			return int64(uint32(u))
		}
		return int64(int32(uint32(u)))
	}
	return int64(u)
}

// intKey maps an integer value to an int64 that orders like it.
func intKey(c *column, u uint64) int64 {
	if c.kind == kindInt64 && c.unsigned {
		return int64(u ^ 1<<63)
	}
	return intID(c, u)
}

// tsKey maps a timestamp value to an int64 that orders like it (floats as scan.FloatKey). ok
// is false for NaN.
func tsKey(c *column, u uint64) (key int64, ok bool) {
	switch c.kind {
	case kindFloat:
		f := float64(math.Float32frombits(uint32(u)))
		return scan.FloatKey(f), f == f
	case kindDouble:
		f := math.Float64frombits(u)
		return scan.FloatKey(f), f == f
	}
	return intKey(c, u), true
}

// partOf returns the output part of row i's group id, placed like bench places users.
func (b *batch) partOf(i, files int) int {
	g := &b.l.cols[b.l.group]
	c := &b.cols[b.l.group]
	if g.kind == kindBytes {
		return bench.PartOfStringUserID(string(c.bytesAt(i)), files)
	}
	return bench.PartOfInt64UserID(intID(g, c.fixed[i]), files)
}

// tsKeys appends the timestamp key of every row to dst. It returns the first row with a NaN
// timestamp, or -1.
func (b *batch) tsKeys(dst []int64) ([]int64, int) {
	col := &b.l.cols[b.l.ts]
	for i, u := range b.cols[b.l.ts].fixed {
		k, ok := tsKey(col, u)
		if !ok {
			return dst, i
		}
		dst = append(dst, k)
	}
	return dst, -1
}

// groupKeys appends the group key of every row of an integer group column to dst.
func (b *batch) groupKeys(dst []int64) []int64 {
	col := &b.l.cols[b.l.group]
	for _, u := range b.cols[b.l.group].fixed {
		dst = append(dst, intKey(col, u))
	}
	return dst
}
