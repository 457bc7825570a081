package scan

import (
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/klauspost/compress/s2"
	"github.com/parquet-go/parquet-go/format"
)

// The fast path decodes a column chunk without parquet-go's page machinery: one ReadAt of the
// chunk's byte range into a reused buffer, then per page a header parsed in place, a checksum
// check, decompression into a reused buffer and a decoder that writes straight into the
// column's slices. Whatever it does not handle (an encoding, a codec, a page layout) makes it
// give the chunk to the parquet-go path (decodeChunk) before or, rarely, during decoding.

// errFallback is returned inside the fast path when the chunk needs the parquet-go path.
var errFallback = errors.New("scan: chunk needs the general decoder")

// scratch holds the reusable buffers of the fast path. Every byte buffer keeps unpackPad bytes
// of capacity past its length (see growBytes).
type scratch struct {
	chunk []byte   // the column chunk's bytes
	page  []byte   // a decompressed page
	dict  []byte   // the decompressed dictionary page of the current chunk
	defs  []byte   // definition levels of a page
	idx   []uint32 // unpacked dictionary indexes, indexBatch of them
	lens  []int64  // byte array lengths of a DELTA_LENGTH_BYTE_ARRAY page
	tmp   []byte   // padded copies for bit unpacking near a buffer's end
	group []int64  // one row group's group values, when Read streams them
}

// chunkDict is the dictionary page of the chunk being decoded by the fast path.
type chunkDict struct {
	data      []byte // PLAIN values
	n         int    // number of values
	set       bool   // a dictionary page was seen
	converted bool   // the decoder's dict tables hold data converted
}

// fastCodec reports whether the fast path decompresses the codec.
func fastCodec(c format.CompressionCodec) bool {
	return c == format.Uncompressed || c == format.Snappy
}

// fastEncodings reports whether every encoding the chunk's metadata lists is one the fast path
// decodes for the column's physical type. Level encodings (RLE, BIT_PACKED) are checked per page.
func fastEncodings(kind format.Type, encs []format.Encoding) bool {
	for _, e := range encs {
		switch e {
		case format.Plain, format.PlainDictionary, format.RLEDictionary, format.RLE, format.BitPacked:
		case format.DeltaBinaryPacked:
			if kind != format.Int32 && kind != format.Int64 {
				return false
			}
		case format.DeltaLengthByteArray:
			if kind != format.ByteArray {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// fastChunk decodes the chunk into rows [pos, pos+want) of the column if the fast path handles
// it; handled is false when the chunk must go to decodeChunk, in which case nothing of the
// chunk's rows is left behind that decodeChunk would not overwrite.
func (d *columnDecoder) fastChunk(cc *format.ColumnChunk, pos, want int) (handled bool, err error) {
	f := d.file
	md := &cc.MetaData
	if f == nil || f.legacyDecode || cc.FilePath != "" || cc.CryptoMetadata.Value != nil ||
		len(cc.EncryptedColumnMetadata) > 0 || f.pq.Metadata().EncryptionAlgorithm.Value != nil ||
		!fastCodec(md.Codec) || !fastEncodings(d.spec.kind, md.Encoding) {
		return false, nil
	}
	start := md.DataPageOffset
	if md.DictionaryPageOffset != 0 {
		start = md.DictionaryPageOffset
	}
	size := md.TotalCompressedSize
	if start < 0 || size < 0 || start > f.size || size > f.size-start {
		return true, fmt.Errorf("%w: column chunk [%d, +%d) outside the file of %d bytes", ErrCorrupt, start, size, f.size)
	}
	hadNulls := d.col.Nulls != nil
	if d.direct(md) {
		err = d.directPages(start, size, pos, want)
	} else {
		sc := d.scratch
		sc.chunk = growBytes(sc.chunk, int(size))
		buf := sc.chunk
		if n, err := f.r.ReadAt(buf, start); n < len(buf) {
			return true, fmt.Errorf("read column chunk: %w", err)
		}
		err = d.fastPages(buf, pos, want)
	}
	if errors.Is(err, errFallback) {
		// Undo what the chunk's rows left in the null bitmap; the values are all rewritten.
		if !hadNulls {
			d.col.Nulls = nil
		} else {
			clearBits(d.col.Nulls, pos, pos+want)
		}
		return false, nil
	}
	return true, err
}

// clearBits clears bits [from, to) of b.
func clearBits(b []uint64, from, to int) {
	for i := from; i < to; i++ {
		b[i>>6] &^= 1 << (uint(i) & 63)
	}
}

// fastPages decodes the pages in buf (a whole column chunk) into rows [pos, pos+want).
func (d *columnDecoder) fastPages(buf []byte, pos, want int) error {
	d.fdict = chunkDict{}
	end := pos + want
	for off := 0; off < len(buf); {
		h, n, err := parsePageHeader(buf[off:])
		if err != nil {
			return fmt.Errorf("%w: page at chunk byte %d: %w", ErrCorrupt, off, err)
		}
		off += n
		if int(h.compressedSize) > len(buf)-off {
			return fmt.Errorf("%w: page of %d bytes runs past the column chunk", ErrCorrupt, h.compressedSize)
		}
		body := buf[off : off+int(h.compressedSize)]
		off += int(h.compressedSize)
		rows, err := d.page(&h, body, pos, end, want)
		if err != nil {
			return err
		}
		pos += rows
	}
	return rowsHeld(pos, end, want)
}

// page checks the body of a page against its header's checksum and decodes it into the rows
// from pos on (the row group's end is end, its row count want); it returns how many rows the
// page filled.
func (d *columnDecoder) page(h *pageHeader, body []byte, pos, end, want int) (int, error) {
	if h.hasCRC && crc32.ChecksumIEEE(body) != uint32(h.crc) {
		return 0, fmt.Errorf("%w: page checksum mismatch", ErrCorrupt)
	}
	if err := checkPageKind(h); err != nil {
		return 0, err
	}
	if h.typ == format.DictionaryPage {
		return 0, d.fastDictPage(h, body)
	}
	rows := int(h.numValues)
	if rows > end-pos {
		return 0, fmt.Errorf("%w: pages hold more than the row group's %d rows", ErrCorrupt, want)
	}
	return rows, d.fastDataPage(h, body, pos, rows)
}

// checkPageKind checks that a page header has exactly the sub-header of its page type, and that
// the type is one a column chunk holds.
func checkPageKind(h *pageHeader) error {
	if b2i(h.hasData)+b2i(h.hasDataV2)+b2i(h.hasDict) > 1 {
		return fmt.Errorf("%w: page header has several page kinds", ErrCorrupt)
	}
	switch h.typ {
	case format.DictionaryPage:
		if !h.hasDict {
			return fmt.Errorf("%w: dictionary page without its header", ErrCorrupt)
		}
	case format.DataPage:
		if !h.hasData {
			return fmt.Errorf("%w: data page without its header", ErrCorrupt)
		}
	case format.DataPageV2:
		if !h.hasDataV2 {
			return fmt.Errorf("%w: data page v2 without its header", ErrCorrupt)
		}
	default:
		return fmt.Errorf("%w: cannot read values of page type %s", ErrCorrupt, h.typ)
	}
	return nil
}

// decompress returns the decompressed form of a page body that decompresses to size bytes,
// in sc.page, or in dst when not nil.
func (d *columnDecoder) decompress(body []byte, size int, dst *[]byte) ([]byte, error) {
	if d.codec == format.Uncompressed {
		return body, nil
	}
	n, err := s2.DecodedLen(body)
	if err != nil {
		return nil, fmt.Errorf("%w: snappy: %w", ErrCorrupt, err)
	}
	if n != size || n > 32*len(body)+64 {
		// A size the header does not announce, or more than snappy can expand to: leave the
		// chunk to the general decoder (which accepts what it accepted before).
		return nil, errFallback
	}
	if dst == nil {
		dst = &d.scratch.page
	}
	*dst = growBytes(*dst, n)
	out, err := s2.Decode(*dst, body)
	if err != nil || len(out) != n {
		return nil, fmt.Errorf("%w: snappy: %w", ErrCorrupt, err)
	}
	return out, nil
}

// fastDictPage takes the chunk's dictionary page; its values are converted when the first
// dictionary-encoded data page needs them (so strings are interned in the same order as by the
// general decoder). Later dictionary pages are ignored, as parquet-go does.
func (d *columnDecoder) fastDictPage(h *pageHeader, body []byte) error {
	if d.fdict.set {
		return nil
	}
	if h.encoding != format.Plain && h.encoding != format.PlainDictionary {
		return errFallback
	}
	data, err := d.decompress(body, int(h.uncompressedSize), &d.scratch.dict)
	if err != nil {
		return err
	}
	d.fdict = chunkDict{data: data, n: int(h.numValues), set: true}
	return nil
}

// fastDataPage decodes a v1 or v2 data page into rows [pos, pos+rows).
func (d *columnDecoder) fastDataPage(h *pageHeader, body []byte, pos, rows int) error {
	optional := d.spec.info.Optional
	var levels, values []byte
	hasLevels := false
	if h.typ == format.DataPage {
		data, err := d.decompress(body, int(h.uncompressedSize), nil)
		if err != nil {
			return err
		}
		if optional {
			if h.defEncoding != format.RLE {
				return errFallback
			}
			if len(data) < 4 {
				return fmt.Errorf("%w: definition levels missing", ErrCorrupt)
			}
			n := uint64(uint32(data[0]) | uint32(data[1])<<8 | uint32(data[2])<<16 | uint32(data[3])<<24)
			if n > uint64(len(data)-4) {
				return fmt.Errorf("%w: definition levels of %d bytes run past the page", ErrCorrupt, n)
			}
			levels, values, hasLevels = data[4:4+n], data[4+n:], true
		} else {
			values = data
		}
	} else {
		rep, def := int(h.repBytes), int(h.defBytes)
		if rep > len(body) || def > len(body)-rep {
			return fmt.Errorf("%w: levels of %d bytes run past the page", ErrCorrupt, rep+def)
		}
		levels, values = body[rep:rep+def], body[rep+def:]
		hasLevels = optional && def > 0
		if h.isCompressed {
			var err error
			if values, err = d.decompress(values, int(h.uncompressedSize)-rep-def, nil); err != nil {
				return err
			}
		}
	}

	defined := rows
	var defs []byte
	if optional && rows > 0 {
		if !hasLevels {
			return fmt.Errorf("%w: page of an optional column has no definition levels", ErrCorrupt)
		}
		d.scratch.defs = growBytes(d.scratch.defs, rows)
		defs = d.scratch.defs
		var err error
		if defined, err = decodeLevels(defs, levels); err != nil {
			return err
		}
	}
	if h.typ == format.DataPageV2 && int(h.numValues-h.numNulls) != defined {
		return fmt.Errorf("%w: page has %d nulls by its header and %d by its levels", ErrCorrupt, h.numNulls, rows-defined)
	}

	col := d.col
	const maxDef = 1
	switch col.Type {
	case Int:
		dst := col.Ints[pos : pos+rows]
		if err := d.fastInts(h.encoding, values, dst[:defined]); err != nil {
			return err
		}
		if defined < rows {
			spread(dst, defs, maxDef, defined, d.nullBits(), pos)
		}
	case Float:
		dst := col.Floats[pos : pos+rows]
		if err := d.fastFloats(h.encoding, values, dst[:defined]); err != nil {
			return err
		}
		if defined < rows {
			spread(dst, defs, maxDef, defined, d.nullBits(), pos)
		}
		d.nanToNull(dst, pos)
	case Bool:
		dst := col.Bools[pos : pos+rows]
		if err := d.fastBools(h.encoding, values, dst[:defined]); err != nil {
			return err
		}
		if defined < rows {
			spread(dst, defs, maxDef, defined, d.nullBits(), pos)
		}
	case String:
		dst := col.Codes[pos : pos+rows]
		if err := d.fastCodes(h.encoding, values, dst[:defined]); err != nil {
			return err
		}
		if defined < rows {
			spread(dst, defs, maxDef, defined, d.nullBits(), pos)
		}
	}
	return nil
}

func isDictEncoding(e format.Encoding) bool {
	return e == format.RLEDictionary || e == format.PlainDictionary
}

// dictionary returns the chunk's dictionary values for a dictionary-encoded page, converting
// them on first use with convert.
func (d *columnDecoder) dictionary(convert func(data []byte, n int) error) error {
	if !d.fdict.set {
		return fmt.Errorf("%w: dictionary-encoded page without a dictionary page", ErrCorrupt)
	}
	if d.fdict.converted {
		return nil
	}
	// Bound the count by the bytes before allocating for it: every value takes at least 4
	// bytes, or one bit for BOOLEAN.
	if n, size := d.fdict.n, len(d.fdict.data); (d.spec.kind == format.Boolean && n > 8*size) ||
		(d.spec.kind != format.Boolean && n > size/4) {
		return fmt.Errorf("%w: dictionary of %d values in %d bytes", ErrCorrupt, n, size)
	}
	if err := convert(d.fdict.data, d.fdict.n); err != nil {
		return err
	}
	d.fdict.converted = true
	return nil
}

func (d *columnDecoder) fastInts(enc format.Encoding, values []byte, dst []int64) error {
	var err error
	switch {
	case isDictEncoding(enc):
		if err = d.dictionary(func(data []byte, n int) error {
			d.dictInts = make([]int64, n)
			return d.plainInts(d.dictInts, data)
		}); err != nil {
			return err
		}
		d.scratch.tmp, err = decodeIndexes(dst, d.dictInts, values, d.scratch.idx, d.scratch.tmp)
	case enc == format.Plain:
		err = d.plainInts(dst, values)
	case enc == format.DeltaBinaryPacked && d.spec.kind == format.Int64:
		if d.scratch.tmp, err = decodeDeltaInt64(dst, values, d.scratch.tmp); err == nil && d.spec.unsigned {
			err = d.checkUnsigned(dst)
		}
	case enc == format.DeltaBinaryPacked && d.spec.kind == format.Int32:
		d.scratch.tmp, err = decodeDeltaInt32(dst, values, d.spec.unsigned, d.scratch.tmp)
	default:
		return errFallback
	}
	return err
}

func (d *columnDecoder) fastFloats(enc format.Encoding, values []byte, dst []float64) error {
	var err error
	switch {
	case isDictEncoding(enc):
		if err = d.dictionary(func(data []byte, n int) error {
			d.dictFloats = make([]float64, n)
			return d.plainFloats(d.dictFloats, data)
		}); err != nil {
			return err
		}
		d.scratch.tmp, err = decodeIndexes(dst, d.dictFloats, values, d.scratch.idx, d.scratch.tmp)
	case enc == format.Plain:
		err = d.plainFloats(dst, values)
	default:
		return errFallback
	}
	return err
}

func (d *columnDecoder) fastBools(enc format.Encoding, values []byte, dst []bool) error {
	var err error
	switch {
	case isDictEncoding(enc):
		if err = d.dictionary(func(data []byte, n int) error {
			d.dictBools = make([]bool, n)
			return unpackBools(data, d.dictBools)
		}); err != nil {
			return err
		}
		d.scratch.tmp, err = decodeIndexes(dst, d.dictBools, values, d.scratch.idx, d.scratch.tmp)
	case enc == format.Plain:
		err = unpackBools(values, dst)
	default:
		return errFallback
	}
	return err
}

func (d *columnDecoder) fastCodes(enc format.Encoding, values []byte, dst []uint32) error {
	var err error
	switch {
	case isDictEncoding(enc):
		if err = d.dictionary(func(data []byte, n int) error {
			d.dictCodes = make([]uint32, n)
			return d.plainStrings(d.dictCodes, data)
		}); err != nil {
			return err
		}
		d.scratch.tmp, err = decodeIndexes(dst, d.dictCodes, values, d.scratch.idx, d.scratch.tmp)
	case enc == format.Plain:
		err = d.plainStrings(dst, values)
	case enc == format.DeltaLengthByteArray:
		err = d.deltaLengthStrings(dst, values)
	default:
		return errFallback
	}
	return err
}

// deltaLengthStrings interns len(dst) DELTA_LENGTH_BYTE_ARRAY values (the lengths as a
// DELTA_BINARY_PACKED stream of exactly len(dst) INT32 values, then the bytes of every value)
// and writes their codes into dst.
func (d *columnDecoder) deltaLengthStrings(dst []uint32, src []byte) error {
	h, _, err := parseDeltaHeader(src)
	if err != nil {
		return err
	}
	if h.total != len(dst) {
		return fmt.Errorf("%w: %d byte array lengths for %d values", ErrCorrupt, h.total, len(dst))
	}
	sc := d.scratch
	if cap(sc.lens) < len(dst) {
		sc.lens = make([]int64, len(dst))
	}
	lens := sc.lens[:len(dst)]
	var data []byte
	if sc.tmp, data, err = deltaInt32(lens, src, false, sc.tmp); err != nil {
		return err
	}
	for i, n := range lens {
		if n < 0 || n > int64(len(data)) {
			return fmt.Errorf("%w: byte array of %d bytes runs past the page", ErrCorrupt, n)
		}
		dst[i] = d.intern(data[:n])
		data = data[n:]
	}
	return nil
}
