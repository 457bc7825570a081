package prepare

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
)

// errCorrupt is wrapped by errors of malformed input pages.
var errCorrupt = errors.New("corrupt Parquet data")

// decoder appends row groups of input files to a batch, one column at a time, from the typed
// page buffers of parquet-go.
type decoder struct {
	l *layout
	// The converted dictionary of the current chunk.
	lastDict  parquet.Dictionary
	dictFixed []uint64
	dictData  []byte
	dictOffs  []int
	vals      []uint64 // dense values of a page
}

// decodeRowGroup appends the rows of rg to b. It recovers from panics of the Parquet library on
// malformed input.
func (d *decoder) decodeRowGroup(rg parquet.RowGroup, b *batch) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", errCorrupt, p)
		}
	}()
	want := rg.NumRows()
	if want > math.MaxInt32 {
		return fmt.Errorf("row group has %d rows, more than prepare reads at once", want)
	}
	chunks := rg.ColumnChunks()
	b.grow(int(want), nil)
	for c := range d.l.cols {
		col := &d.l.cols[c]
		if col.leaf >= len(chunks) {
			return fmt.Errorf("%w: row group has %d column chunks", errCorrupt, len(chunks))
		}
		before := b.rows
		if err := d.decodeChunk(chunks[col.leaf], col, &b.cols[c]); err != nil {
			return fmt.Errorf("column %q: %w", col.name, err)
		}
		got := b.colRows(c) - before
		if int64(got) != want {
			return fmt.Errorf("column %q: %w: pages hold %d of the row group's %d rows", col.name, errCorrupt, got, want)
		}
	}
	b.rows += int(want)
	return nil
}

// colRows returns the rows column c holds.
func (b *batch) colRows(c int) int {
	if b.l.cols[c].kind == kindBytes {
		return len(b.cols[c].offs) - 1
	}
	return len(b.cols[c].fixed)
}

func (d *decoder) decodeChunk(chunk parquet.ColumnChunk, col *column, cb *colBuf) error {
	pages := chunk.Pages()
	defer pages.Close()
	d.lastDict = nil
	for {
		page, err := pages.ReadPage()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("%w: %w", errCorrupt, err)
		}
		err = d.decodePage(page, col, cb)
		parquet.Release(page)
		if err != nil {
			return err
		}
	}
}

// decodePage appends one page's rows to cb.
func (d *decoder) decodePage(page parquet.Page, col *column, cb *colBuf) error {
	rows := int(page.NumRows())
	if rows < 0 {
		return fmt.Errorf("%w: page with %d rows", errCorrupt, rows)
	}
	defs := page.DefinitionLevels()
	nulls := 0
	switch {
	case !col.optional:
		defs = nil
	case len(defs) == 0:
		// No levels: every row is defined.
	case len(defs) != rows:
		return fmt.Errorf("%w: page has %d definition levels for %d rows", errCorrupt, len(defs), rows)
	default:
		nulls = int(page.NumNulls())
		if nulls < 0 || nulls > rows {
			return fmt.Errorf("%w: page has %d nulls in %d rows", errCorrupt, nulls, rows)
		}
	}
	defined := rows - nulls
	data := page.Data()
	dict := page.Dictionary()
	if col.kind == kindBytes {
		return d.decodeBytes(&data, dict, col, cb, defs, rows, defined)
	}
	vals, err := d.denseFixed(&data, dict, col, defined)
	if err != nil {
		return err
	}
	if len(defs) == 0 {
		cb.fixed = append(cb.fixed, vals...)
		if col.optional {
			cb.nulls = append(cb.nulls, make([]bool, len(vals))...)
		}
		return nil
	}
	j := 0
	for _, def := range defs {
		if def == 1 {
			if j >= len(vals) {
				return fmt.Errorf("%w: page holds %d values for more defined rows", errCorrupt, len(vals))
			}
			cb.fixed = append(cb.fixed, vals[j])
			cb.nulls = append(cb.nulls, false)
			j++
		} else {
			cb.fixed = append(cb.fixed, 0)
			cb.nulls = append(cb.nulls, true)
		}
	}
	return nil
}

// denseFixed returns the page's first n values as bit patterns (see colBuf).
func (d *decoder) denseFixed(data *encoding.Values, dict parquet.Dictionary, col *column, n int) ([]uint64, error) {
	if dict != nil {
		if dict != d.lastDict {
			dd := dict.Page().Data()
			vals, err := convertFixed(&dd, col.kind, dict.Len(), nil)
			if err != nil {
				return nil, err
			}
			d.lastDict, d.dictFixed = dict, slices.Clone(vals)
		}
		idx := data.Int32()
		if len(idx) < n {
			return nil, errShort(len(idx), n)
		}
		d.vals = d.vals[:0]
		for _, k := range idx[:n] {
			if uint(k) >= uint(len(d.dictFixed)) {
				return nil, fmt.Errorf("%w: dictionary index %d out of range [0, %d)", errCorrupt, k, len(d.dictFixed))
			}
			d.vals = append(d.vals, d.dictFixed[k])
		}
		return d.vals, nil
	}
	vals, err := convertFixed(data, col.kind, n, d.vals[:0])
	d.vals = vals
	return vals, err
}

// convertFixed appends the first n plain values of data to dst as bit patterns.
func convertFixed(data *encoding.Values, k kind, n int, dst []uint64) ([]uint64, error) {
	switch k {
	case kindBool:
		packed := data.Boolean()
		if len(packed)*8 < n {
			return nil, errShort(len(packed)*8, n)
		}
		for i := range n {
			dst = append(dst, uint64(packed[i>>3]>>(uint(i)&7)&1))
		}
	case kindInt32:
		src := data.Int32()
		if len(src) < n {
			return nil, errShort(len(src), n)
		}
		for _, v := range src[:n] {
			dst = append(dst, uint64(uint32(v)))
		}
	case kindInt64:
		src := data.Int64()
		if len(src) < n {
			return nil, errShort(len(src), n)
		}
		for _, v := range src[:n] {
			dst = append(dst, uint64(v))
		}
	case kindFloat:
		src := data.Float()
		if len(src) < n {
			return nil, errShort(len(src), n)
		}
		for _, v := range src[:n] {
			dst = append(dst, uint64(math.Float32bits(v)))
		}
	case kindDouble:
		src := data.Double()
		if len(src) < n {
			return nil, errShort(len(src), n)
		}
		for _, v := range src[:n] {
			dst = append(dst, math.Float64bits(v))
		}
	default:
		return nil, fmt.Errorf("%w: unexpected column kind %d", errCorrupt, k)
	}
	return dst, nil
}

// decodeBytes appends a byte-array page's rows to cb.
func (d *decoder) decodeBytes(data *encoding.Values, dict parquet.Dictionary, col *column, cb *colBuf, defs []byte, rows, defined int) error {
	var values []byte
	var offsets []uint32
	var idx []int32
	if dict != nil {
		if dict != d.lastDict {
			dd := dict.Page().Data()
			v, o := dd.ByteArray()
			if err := checkOffsets(v, o, dict.Len()); err != nil {
				return err
			}
			d.lastDict = dict
			d.dictData = append(d.dictData[:0], v...)
			d.dictOffs = d.dictOffs[:0]
			for _, off := range o[:dict.Len()+1] {
				d.dictOffs = append(d.dictOffs, int(off))
			}
		}
		idx = data.Int32()
		if len(idx) < defined {
			return errShort(len(idx), defined)
		}
		for _, k := range idx[:defined] {
			if uint(k) >= uint(len(d.dictOffs)-1) {
				return fmt.Errorf("%w: dictionary index %d out of range [0, %d)", errCorrupt, k, len(d.dictOffs)-1)
			}
		}
	} else {
		values, offsets = data.ByteArray()
		if err := checkOffsets(values, offsets, defined); err != nil {
			return err
		}
	}
	j := 0
	for i := range rows {
		if col.optional {
			null := len(defs) > 0 && defs[i] != 1
			cb.nulls = append(cb.nulls, null)
			if null {
				cb.offs = append(cb.offs, len(cb.data))
				continue
			}
		}
		if j >= defined {
			return fmt.Errorf("%w: page holds %d values for more defined rows", errCorrupt, defined)
		}
		if idx != nil {
			k := idx[j]
			cb.data = append(cb.data, d.dictData[d.dictOffs[k]:d.dictOffs[k+1]]...)
		} else {
			cb.data = append(cb.data, values[offsets[j]:offsets[j+1]]...)
		}
		cb.offs = append(cb.offs, len(cb.data))
		j++
	}
	return nil
}

// checkOffsets checks that offsets describe n byte arrays inside values.
func checkOffsets(values []byte, offsets []uint32, n int) error {
	if len(offsets) < n+1 {
		return errShort(max(len(offsets)-1, 0), n)
	}
	for i := range n {
		if offsets[i] > offsets[i+1] || int(offsets[i+1]) > len(values) {
			return fmt.Errorf("%w: byte array offsets [%d, %d) outside %d bytes", errCorrupt, offsets[i], offsets[i+1], len(values))
		}
	}
	return nil
}

func errShort(have, want int) error {
	return fmt.Errorf("%w: page holds %d values for %d defined rows", errCorrupt, have, want)
}
