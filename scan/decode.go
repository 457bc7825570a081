package scan

import (
	"errors"
	"fmt"
	"io"
	"math/bits"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/format"
)

// columnDecoder decodes one column over a list of row groups into a Column. It copies every page
// into the column's slices, so no parquet-go buffer outlives the page that produced it.
type columnDecoder struct {
	spec *columnSpec
	col  *Column
	rows int // total rows of the row groups being decoded

	// The fast path's state (see chunk.go): the file, the buffers, the codec and dictionary
	// page of the current chunk.
	file    *File
	state   *readState
	scratch *scratch
	codec   format.CompressionCodec
	fdict   chunkDict

	// The conversion of the last dictionary seen, reused while pages share it (one per chunk).
	lastDict   parquet.Dictionary
	dictInts   []int64
	dictFloats []float64
	dictBools  []bool
	dictCodes  []uint32 // dictionary index -> code in col.Dict

	// index interns strings: each distinct string is converted and stored once per file.
	index map[string]uint32
}

// decodeColumn decodes the column spec over the given row groups, whose row counts add up to
// rows; its value slices come from bufs (every row is written, so their old contents never show).
func (f *File) decodeColumn(spec *columnSpec, rowGroups []int, rows int, bufs *Buffers, st *readState) (*Column, error) {
	d, err := f.newColumnDecoder(spec, rows, bufs, st)
	if err != nil {
		return nil, err
	}
	pos := 0
	for _, rg := range rowGroups {
		n, err := d.decodeRowGroup(rg, pos)
		if err != nil {
			return nil, err
		}
		pos += n
	}
	return d.finish(), nil
}

// newColumnDecoder returns a decoder of the column spec into a new column of rows rows, whose
// value slices come from bufs.
func (f *File) newColumnDecoder(spec *columnSpec, rows int, bufs *Buffers, st *readState) (*columnDecoder, error) {
	col := &Column{Name: spec.info.Name, Type: spec.info.Type}
	switch col.Type {
	case Int:
		col.Ints = bufs.int64s(rows)
	case Float:
		col.Floats = bufs.float64s(rows)
	case Bool:
		col.Bools = make([]bool, rows)
	case String:
		col.Codes = bufs.uint32s(rows)
		col.Dict = []string{}
	default:
		return nil, fmt.Errorf("column %q has unsupported type %s", spec.info.Name, spec.info.Physical)
	}
	d := &columnDecoder{spec: spec, col: col, rows: rows, file: f, state: st, scratch: st.scratch}
	if col.Type == String {
		d.index = make(map[string]uint32)
	}
	return d, nil
}

// decodeRowGroup decodes row group rg into the column's rows from pos on and returns its row
// count. Row groups must be decoded in file order. The chunk goes through the fast path when it
// can (see chunk.go), otherwise through parquet-go's page reader; the read state counts the
// chunks of each.
func (d *columnDecoder) decodeRowGroup(rg, pos int) (int, error) {
	spec, f, st := d.spec, d.file, d.state
	groups := f.pq.RowGroups()
	meta := f.pq.Metadata().RowGroups
	g := groups[rg]
	want := int(g.NumRows())
	chunks := g.ColumnChunks()
	if spec.leaf < 0 || spec.leaf >= len(chunks) || rg >= len(meta) || spec.leaf >= len(meta[rg].Columns) {
		return 0, fmt.Errorf("column %q: row group %d has %d column chunks: %w", spec.info.Name, rg, len(chunks), ErrCorrupt)
	}
	if want < 0 || want > d.rows-pos {
		return 0, fmt.Errorf("column %q: row group %d has %d rows, past the %d expected: %w", spec.info.Name, rg, want, d.rows, ErrCorrupt)
	}
	cc := &meta[rg].Columns[spec.leaf]
	d.codec = cc.MetaData.Codec
	handled, err := d.fastChunk(cc, pos, want)
	if handled {
		st.fastChunks++
	} else {
		st.slowChunks++
		err = d.decodeChunk(chunks[spec.leaf], pos, want)
	}
	if err != nil {
		return 0, fmt.Errorf("column %q, row group %d: %w", spec.info.Name, rg, err)
	}
	return want, nil
}

// decodeChunk decodes the pages of one column chunk into rows [pos, pos+want) of the column.
func (d *columnDecoder) decodeChunk(chunk parquet.ColumnChunk, pos, want int) error {
	pages := chunk.Pages()
	defer pages.Close()
	d.lastDict = nil // dictionaries belong to one chunk
	end := pos + want
	for {
		page, err := pages.ReadPage()
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		rows := int(page.NumRows())
		if rows < 0 || rows > end-pos {
			parquet.Release(page)
			return fmt.Errorf("%w: pages hold more than the row group's %d rows", ErrCorrupt, want)
		}
		err = d.decodePage(page, pos, rows)
		parquet.Release(page)
		if err != nil {
			return err
		}
		pos += rows
	}
	return rowsHeld(pos, end, want)
}

// decodePage decodes one page into rows [pos, pos+rows): first the page's non-null values
// densely at the front of the range, then, when the page has nulls, spread backwards to their
// rows following the definition levels.
func (d *columnDecoder) decodePage(page parquet.Page, pos, rows int) error {
	defs := page.DefinitionLevels()
	nulls := 0
	if len(defs) > 0 {
		if len(defs) != rows {
			return fmt.Errorf("%w: page has %d definition levels for %d rows", ErrCorrupt, len(defs), rows)
		}
		nulls = int(page.NumNulls())
	}
	defined := rows - nulls
	data := page.Data()
	dict := page.Dictionary()
	const maxDef = 1 // top-level optional columns only; required ones have no levels
	col := d.col
	var err error
	switch col.Type {
	case Int:
		dst := col.Ints[pos : pos+rows]
		if err = d.denseInts(data, dict, dst[:defined]); err == nil && nulls > 0 {
			spread(dst, defs, maxDef, defined, d.nullBits(), pos)
		}
	case Float:
		dst := col.Floats[pos : pos+rows]
		if err = d.denseFloats(data, dict, dst[:defined]); err == nil {
			if nulls > 0 {
				spread(dst, defs, maxDef, defined, d.nullBits(), pos)
			}
			d.nanToNull(dst, pos)
		}
	case Bool:
		dst := col.Bools[pos : pos+rows]
		if err = d.denseBools(data, dict, dst[:defined]); err == nil && nulls > 0 {
			spread(dst, defs, maxDef, defined, d.nullBits(), pos)
		}
	case String:
		dst := col.Codes[pos : pos+rows]
		if err = d.denseCodes(data, dict, dst[:defined]); err == nil && nulls > 0 {
			spread(dst, defs, maxDef, defined, d.nullBits(), pos)
		}
	}
	return err
}

// nullBits returns the column's null bitmap, allocating it on the first null.
func (d *columnDecoder) nullBits() []uint64 {
	if d.col.Nulls == nil {
		d.col.Nulls = make([]uint64, (d.rows+63)/64)
	}
	return d.col.Nulls
}

// spread moves the first defined values of vals to the rows whose definition level is maxDef,
// zeroes the other rows and marks them in nulls (offset by pos). It walks backwards so the move
// can be done in place. Preconditions: len(defs) == len(vals) and exactly defined levels equal
// maxDef.
func spread[T any](vals []T, defs []byte, maxDef byte, defined int, nulls []uint64, pos int) {
	var zero T
	j := defined - 1
	// The null bits of one 64-row word are gathered in acc and stored once.
	w, acc := (pos+len(vals)-1)>>6, uint64(0)
	for i := len(vals) - 1; i >= 0; i-- {
		r := pos + i
		if r>>6 != w {
			nulls[w] |= acc
			w, acc = r>>6, 0
		}
		if defs[i] == maxDef {
			vals[i] = vals[j]
			j--
		} else {
			vals[i] = zero
			acc |= 1 << (uint(r) & 63)
		}
	}
	if len(vals) > 0 {
		nulls[w] |= acc
	}
}

// nanToNull turns the NaNs of rows [pos, pos+len(vals)) into nulls holding 0.
func (d *columnDecoder) nanToNull(vals []float64, pos int) {
	for i, v := range vals {
		if v != v {
			vals[i] = 0
			r := pos + i
			nulls := d.nullBits()
			nulls[r>>6] |= 1 << (uint(r) & 63)
		}
	}
}

func errShort(have, want int) error {
	return fmt.Errorf("%w: page holds %d values for %d defined rows", ErrCorrupt, have, want)
}

func errIndex(k int32, n int) error {
	return fmt.Errorf("%w: dictionary index %d out of range [0, %d)", ErrCorrupt, k, n)
}

// errOverflow reports an unsigned 64-bit value that has no int64 representation.
func (d *columnDecoder) errOverflow(v int64) error {
	return fmt.Errorf("column %q: value %d exceeds the int64 range", d.spec.info.Name, uint64(v))
}

// denseInts writes the page's first len(dst) values into dst.
func (d *columnDecoder) denseInts(data encoding.Values, dict parquet.Dictionary, dst []int64) error {
	if dict != nil {
		if dict != d.lastDict {
			vals, err := d.intTable(dict.Page().Data())
			if err != nil {
				return err
			}
			d.lastDict, d.dictInts = dict, vals
		}
		return lookup(d.dictInts, data.Int32(), dst)
	}
	return d.convertInts(data, dst)
}

// convertInts converts len(dst) plain INT32/INT64 values to int64.
func (d *columnDecoder) convertInts(data encoding.Values, dst []int64) error {
	switch d.spec.kind {
	case format.Int32:
		src := data.Int32()
		if len(src) < len(dst) {
			return errShort(len(src), len(dst))
		}
		src = src[:len(dst)]
		if d.spec.unsigned {
			for i, v := range src {
				dst[i] = int64(uint32(v))
			}
		} else {
			for i, v := range src {
				dst[i] = int64(v)
			}
		}
	case format.Int64:
		src := data.Int64()
		if len(src) < len(dst) {
			return errShort(len(src), len(dst))
		}
		copy(dst, src)
		if d.spec.unsigned {
			var or int64
			for _, v := range dst {
				or |= v
			}
			if or < 0 {
				for _, v := range dst {
					if v < 0 {
						return d.errOverflow(v)
					}
				}
			}
		}
	default:
		return fmt.Errorf("%w: integer column with physical type %s", ErrCorrupt, d.spec.kind)
	}
	return nil
}

// intTable converts a dictionary page's values.
func (d *columnDecoder) intTable(data encoding.Values) ([]int64, error) {
	var n int
	switch d.spec.kind {
	case format.Int32:
		n = len(data.Int32())
	case format.Int64:
		n = len(data.Int64())
	}
	vals := make([]int64, n)
	return vals, d.convertInts(data, vals)
}

// lookup maps dictionary indexes to values: dst[i] = table[idx[i]].
func lookup[T any](table []T, idx []int32, dst []T) error {
	if len(idx) < len(dst) {
		return errShort(len(idx), len(dst))
	}
	idx = idx[:len(dst)]
	n := uint32(len(table))
	for i, k := range idx {
		if uint32(k) >= n {
			return errIndex(k, len(table))
		}
		dst[i] = table[k]
	}
	return nil
}

// denseFloats writes the page's first len(dst) values into dst.
func (d *columnDecoder) denseFloats(data encoding.Values, dict parquet.Dictionary, dst []float64) error {
	if dict != nil {
		if dict != d.lastDict {
			vals, err := d.floatTable(dict.Page().Data())
			if err != nil {
				return err
			}
			d.lastDict, d.dictFloats = dict, vals
		}
		return lookup(d.dictFloats, data.Int32(), dst)
	}
	return d.convertFloats(data, dst)
}

func (d *columnDecoder) convertFloats(data encoding.Values, dst []float64) error {
	switch d.spec.kind {
	case format.Float:
		src := data.Float()
		if len(src) < len(dst) {
			return errShort(len(src), len(dst))
		}
		for i, v := range src[:len(dst)] {
			dst[i] = float64(v)
		}
	case format.Double:
		src := data.Double()
		if len(src) < len(dst) {
			return errShort(len(src), len(dst))
		}
		copy(dst, src)
	default:
		return fmt.Errorf("%w: float column with physical type %s", ErrCorrupt, d.spec.kind)
	}
	return nil
}

func (d *columnDecoder) floatTable(data encoding.Values) ([]float64, error) {
	var n int
	switch d.spec.kind {
	case format.Float:
		n = len(data.Float())
	case format.Double:
		n = len(data.Double())
	}
	vals := make([]float64, n)
	return vals, d.convertFloats(data, vals)
}

// denseBools writes the page's first len(dst) values into dst.
func (d *columnDecoder) denseBools(data encoding.Values, dict parquet.Dictionary, dst []bool) error {
	if dict != nil {
		if dict != d.lastDict {
			vals := make([]bool, dict.Len())
			dd := dict.Page().Data()
			if err := unpackBools(dd.Boolean(), vals); err != nil {
				return err
			}
			d.lastDict, d.dictBools = dict, vals
		}
		return lookup(d.dictBools, data.Int32(), dst)
	}
	return unpackBools(data.Boolean(), dst)
}

// unpackBools unpacks len(dst) bits, least significant bit first.
func unpackBools(packed []byte, dst []bool) error {
	if len(packed)*8 < len(dst) {
		return errShort(len(packed)*8, len(dst))
	}
	for i := range dst {
		dst[i] = packed[i>>3]>>(uint(i)&7)&1 != 0
	}
	return nil
}

// denseCodes writes the codes of the page's first len(dst) values into dst, adding new strings
// to the file's dictionary.
func (d *columnDecoder) denseCodes(data encoding.Values, dict parquet.Dictionary, dst []uint32) error {
	if dict != nil {
		if dict != d.lastDict {
			codes, err := d.internAll(dict.Page().Data(), dict.Len())
			if err != nil {
				return err
			}
			d.lastDict, d.dictCodes = dict, codes
		}
		return lookup(d.dictCodes, data.Int32(), dst)
	}
	values, offsets := data.ByteArray()
	if len(offsets) < len(dst)+1 {
		return errShort(max(len(offsets)-1, 0), len(dst))
	}
	for i := range dst {
		a, b := offsets[i], offsets[i+1]
		if a > b || int(b) > len(values) {
			return fmt.Errorf("%w: byte array offsets [%d, %d) outside %d bytes", ErrCorrupt, a, b, len(values))
		}
		dst[i] = d.intern(values[a:b])
	}
	return nil
}

// internAll interns the n values of a dictionary page and returns their codes.
func (d *columnDecoder) internAll(data encoding.Values, n int) ([]uint32, error) {
	values, offsets := data.ByteArray()
	if len(offsets) < n+1 {
		return nil, errShort(max(len(offsets)-1, 0), n)
	}
	codes := make([]uint32, n)
	for i := range codes {
		a, b := offsets[i], offsets[i+1]
		if a > b || int(b) > len(values) {
			return nil, fmt.Errorf("%w: dictionary offsets [%d, %d) outside %d bytes", ErrCorrupt, a, b, len(values))
		}
		codes[i] = d.intern(values[a:b])
	}
	return codes, nil
}

// intern returns the code of s, adding it to the dictionary when new. The lookup converts s
// without allocating; only a new string is copied.
func (d *columnDecoder) intern(s []byte) uint32 {
	if code, ok := d.index[string(s)]; ok {
		return code
	}
	code := uint32(len(d.col.Dict))
	str := string(s)
	d.col.Dict = append(d.col.Dict, str)
	d.index[str] = code
	return code
}

// finish gives null string rows their final code, len(Dict), and returns the column.
func (d *columnDecoder) finish() *Column {
	c := d.col
	if c.Type != String || c.Nulls == nil {
		return c
	}
	code := uint32(len(c.Dict))
	for w, word := range c.Nulls {
		for word != 0 {
			i := w<<6 + bits.TrailingZeros64(word)
			c.Codes[i] = code
			word &= word - 1
		}
	}
	return c
}

// rowsHeld checks that a row group's pages, decoded up to row pos, filled it up to its end (want
// rows in all).
func rowsHeld(pos, end, want int) error {
	if pos != end {
		return fmt.Errorf("%w: pages hold %d of the row group's %d rows", ErrCorrupt, want-(end-pos), want)
	}
	return nil
}
