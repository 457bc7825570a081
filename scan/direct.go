package scan

import (
	"fmt"
	"hash/crc32"

	"github.com/parquet-go/bitpack/unsafecast"
	"github.com/parquet-go/parquet-go/format"
)

// An uncompressed PLAIN page of a required 8-byte column holds the column's values exactly as
// they lie in memory (on a little-endian machine), so the fast path reads such a page straight
// into the column's slice instead of through its chunk buffer: the page headers are read first,
// then each page body where it belongs. Other pages of such a chunk are read into the buffers
// and decoded as usual.

// headerWindow is how many bytes are read for a page header at first; a larger header is read
// again with a larger window.
const headerWindow = 256

// direct reports whether the chunk's data pages can be read straight into the column: the chunk
// is uncompressed, lists no encoding but PLAIN (and level encodings), and the column is a
// required INT64 or DOUBLE one.
func (d *columnDecoder) direct(md *format.ColumnMetaData) bool {
	if md.Codec != format.Uncompressed || d.spec.info.Optional || !nativeLittleEndian() {
		return false
	}
	switch {
	case d.col.Type == Int && d.spec.kind == format.Int64:
	case d.col.Type == Float && d.spec.kind == format.Double:
	default:
		return false
	}
	for _, e := range md.Encoding {
		if e != format.Plain && e != format.RLE && e != format.BitPacked {
			return false
		}
	}
	return true
}

// directPages decodes the chunk at [start, start+size) of the file into rows [pos, pos+want),
// reading each page on its own.
func (d *columnDecoder) directPages(start, size int64, pos, want int) error {
	d.fdict = chunkDict{}
	f, sc := d.file, d.scratch
	end := pos + want
	for off, stop := start, start+size; off < stop; {
		h, n, err := d.readHeader(off, stop)
		if err != nil {
			return err
		}
		off += int64(n)
		cs := int64(h.compressedSize)
		if cs > stop-off {
			return fmt.Errorf("%w: page of %d bytes runs past the column chunk", ErrCorrupt, cs)
		}
		rows := int(h.numValues)
		if dst := d.directTarget(&h, pos, end); dst != nil {
			if n, err := f.r.ReadAt(dst, off); n < len(dst) {
				return fmt.Errorf("read page: %w", err)
			}
			if h.hasCRC && crc32.ChecksumIEEE(dst) != uint32(h.crc) {
				return fmt.Errorf("%w: page checksum mismatch", ErrCorrupt)
			}
			if err := d.directDone(pos, rows); err != nil {
				return err
			}
			d.state.directPages++
			pos += rows
			off += cs
			continue
		}
		buf := &sc.page
		if h.typ == format.DictionaryPage {
			buf = &sc.dict // the dictionary's values are used by the pages after it
		}
		*buf = growBytes(*buf, int(cs))
		body := *buf
		if n, err := f.r.ReadAt(body, off); n < len(body) {
			return fmt.Errorf("read page: %w", err)
		}
		off += cs
		rows, err = d.page(&h, body, pos, end, want)
		if err != nil {
			return err
		}
		pos += rows
	}
	return rowsHeld(pos, end, want)
}

// readHeader reads and parses the page header at off, before stop.
func (d *columnDecoder) readHeader(off, stop int64) (pageHeader, int, error) {
	sc := d.scratch
	for win := min(stop-off, headerWindow); ; win = min(stop-off, 8*win) {
		sc.chunk = growBytes(sc.chunk, int(win))
		if n, err := d.file.r.ReadAt(sc.chunk, off); n < len(sc.chunk) {
			return pageHeader{}, 0, fmt.Errorf("read page header: %w", err)
		}
		h, n, err := parsePageHeader(sc.chunk)
		if err == nil {
			return h, n, nil
		}
		if win == stop-off {
			return h, 0, fmt.Errorf("%w: page at file byte %d: %w", ErrCorrupt, off, err)
		}
	}
}

// directTarget returns the bytes of the column's rows the page fills when it can be read
// straight there: a data page of PLAIN values only, one per row, no more rows than remain.
func (d *columnDecoder) directTarget(h *pageHeader, pos, end int) []byte {
	if checkPageKind(h) != nil || h.typ == format.DictionaryPage || h.encoding != format.Plain ||
		h.typ == format.DataPageV2 && (h.repBytes != 0 || h.defBytes != 0 || h.numNulls != 0) {
		return nil
	}
	rows := int(h.numValues)
	if rows > end-pos || int64(h.compressedSize) != 8*int64(rows) {
		return nil
	}
	if d.col.Type == Int {
		return unsafecast.Slice[byte](d.col.Ints[pos : pos+rows])
	}
	return unsafecast.Slice[byte](d.col.Floats[pos : pos+rows])
}

// directDone finishes rows [pos, pos+rows) read straight into the column: unsigned values past
// the int64 range are an error, NaNs become nulls.
func (d *columnDecoder) directDone(pos, rows int) error {
	if d.col.Type == Int {
		if d.spec.unsigned {
			return d.checkUnsigned(d.col.Ints[pos : pos+rows])
		}
		return nil
	}
	d.nanToNull(d.col.Floats[pos:pos+rows], pos)
	return nil
}
