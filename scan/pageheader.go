package scan

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/parquet-go/parquet-go/format"
)

// pageHeader holds the fields of a Parquet PageHeader (thrift compact protocol) that the fast
// path uses. Fields absent from the encoded header keep their zero values, except isCompressed,
// which defaults to true as the format says.
type pageHeader struct {
	typ              format.PageType
	uncompressedSize int32
	compressedSize   int32
	crc              int32
	hasCRC           bool

	// numValues, encoding: of the data page (v1 or v2) or of the dictionary page.
	numValues int32
	encoding  format.Encoding
	// defEncoding is the encoding of the definition levels of a v1 data page.
	defEncoding format.Encoding
	// v2 data pages only.
	numNulls, numRows  int32
	defBytes, repBytes int32
	isCompressed       bool

	// Which sub-header was present.
	hasData, hasDataV2, hasDict bool
}

// errHeader is wrapped by the errors of parsePageHeader.
var errHeader = errors.New("bad page header")

// Thrift compact protocol type codes.
const (
	ctStop   = 0
	ctTrue   = 1
	ctFalse  = 2
	ctByte   = 3
	ctI16    = 4
	ctI32    = 5
	ctI64    = 6
	ctDouble = 7
	ctBinary = 8
	ctList   = 9
	ctSet    = 10
	ctMap    = 11
	ctStruct = 12
)

// maxThriftDepth bounds the nesting of skipped structures, so hostile input cannot recurse
// without end.
const maxThriftDepth = 16

// compactReader reads thrift compact protocol values from a byte slice; the first error sticks.
type compactReader struct {
	b   []byte
	off int
	err error
}

func (r *compactReader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s at byte %d", errHeader, what, r.off)
	}
}

func (r *compactReader) byte() byte {
	if r.err != nil {
		return 0
	}
	if r.off >= len(r.b) {
		r.fail("unexpected end")
		return 0
	}
	c := r.b[r.off]
	r.off++
	return c
}

func (r *compactReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		r.fail("bad varint")
		return 0
	}
	r.off += n
	return v
}

// varint reads a zigzag varint.
func (r *compactReader) varint() int64 {
	u := r.uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

func (r *compactReader) i32() int32 {
	v := r.varint()
	if v < math.MinInt32 || v > math.MaxInt32 {
		r.fail("int32 out of range")
		return 0
	}
	return int32(v)
}

// skipBytes skips n bytes.
func (r *compactReader) skipBytes(n uint64) {
	if r.err != nil {
		return
	}
	if n > uint64(len(r.b)-r.off) {
		r.fail("length past the end")
		return
	}
	r.off += int(n)
}

// fieldHeader reads a field header and returns the field id and type; typ is ctStop at the end
// of a struct. last is the previous field id of the struct.
func (r *compactReader) fieldHeader(last int16) (id int16, typ byte) {
	c := r.byte()
	typ = c & 0x0f
	if typ == ctStop || r.err != nil {
		return 0, ctStop
	}
	if delta := c >> 4; delta != 0 {
		return last + int16(delta), typ
	}
	v := r.varint()
	if v < math.MinInt16 || v > math.MaxInt16 {
		r.fail("field id out of range")
		return 0, ctStop
	}
	return int16(v), typ
}

// skip skips a value of type typ.
func (r *compactReader) skip(typ byte, depth int) {
	if depth > maxThriftDepth {
		r.fail("nesting too deep")
		return
	}
	switch typ {
	case ctTrue, ctFalse:
		// The value is in the type of a field; elements of a list use one byte.
	case ctByte:
		r.byte()
	case ctI16, ctI32, ctI64:
		r.uvarint()
	case ctDouble:
		r.skipBytes(8)
	case ctBinary:
		r.skipBytes(r.uvarint())
	case ctList, ctSet:
		c := r.byte()
		n := uint64(c >> 4)
		if n == 15 {
			n = r.uvarint()
		}
		elem := c & 0x0f
		if elem == ctTrue || elem == ctFalse {
			r.skipBytes(n)
			return
		}
		for i := uint64(0); i < n && r.err == nil; i++ {
			r.skip(elem, depth+1)
		}
	case ctMap:
		n := r.uvarint()
		if n == 0 {
			return
		}
		kv := r.byte()
		for i := uint64(0); i < n && r.err == nil; i++ {
			r.skip(kv>>4, depth+1)
			r.skip(kv&0x0f, depth+1)
		}
	case ctStruct:
		r.skipStruct(depth + 1)
	default:
		r.fail("unknown type")
	}
}

func (r *compactReader) skipStruct(depth int) {
	var last int16
	for r.err == nil {
		id, typ := r.fieldHeader(last)
		if typ == ctStop {
			return
		}
		r.skip(typ, depth)
		last = id
	}
}

// boolField returns the value of a boolean field of type typ.
func (r *compactReader) boolField(typ byte) bool {
	switch typ {
	case ctTrue:
		return true
	case ctFalse:
		return false
	}
	r.fail("boolean field of another type")
	return false
}

// i32Field reads an i32 field of type typ.
func (r *compactReader) i32Field(typ byte) int32 {
	if typ != ctI32 {
		r.fail("int32 field of another type")
		return 0
	}
	return r.i32()
}

// parsePageHeader decodes the page header at the start of b and returns it with its length in
// bytes. Unknown fields are skipped; a field of the wrong type, a missing required field, a
// negative size or count, or a header running past b is an error wrapping errHeader.
func parsePageHeader(b []byte) (h pageHeader, n int, err error) {
	r := compactReader{b: b}
	h.isCompressed = true
	var seen uint8 // bits 0..2: type, uncompressed size, compressed size
	var last int16
	for r.err == nil {
		id, typ := r.fieldHeader(last)
		if typ == ctStop {
			break
		}
		last = id
		switch id {
		case 1:
			h.typ = format.PageType(r.i32Field(typ))
			seen |= 1
		case 2:
			h.uncompressedSize = r.i32Field(typ)
			seen |= 2
		case 3:
			h.compressedSize = r.i32Field(typ)
			seen |= 4
		case 4:
			h.crc, h.hasCRC = r.i32Field(typ), true
		case 5:
			h.hasData = true
			r.dataPageHeader(&h, typ)
		case 7:
			h.hasDict = true
			r.dictPageHeader(&h, typ)
		case 8:
			h.hasDataV2 = true
			r.dataPageHeaderV2(&h, typ)
		default:
			r.skip(typ, 1)
		}
	}
	if r.err != nil {
		return h, 0, r.err
	}
	switch {
	case seen != 7:
		return h, 0, fmt.Errorf("%w: required field missing", errHeader)
	case h.uncompressedSize < 0 || h.compressedSize < 0 || h.numValues < 0 || h.numNulls < 0 ||
		h.numRows < 0 || h.defBytes < 0 || h.repBytes < 0:
		return h, 0, fmt.Errorf("%w: negative size or count", errHeader)
	}
	return h, r.off, nil
}

// structFields reads the fields of a struct of type typ (what names it in errors), handing each
// field's id and type to field; a field it does not take (false) is skipped. It fails unless the
// ids of the fields taken, as bits of seen (id 1 is bit 0), cover want.
func (r *compactReader) structFields(typ byte, what string, want uint8, field func(id int16, ft byte) bool) {
	if typ != ctStruct {
		r.fail(what + " of another type")
		return
	}
	var last int16
	var seen uint8
	for r.err == nil {
		id, ft := r.fieldHeader(last)
		if ft == ctStop {
			break
		}
		last = id
		if !field(id, ft) {
			r.skip(ft, 2)
		} else if id >= 1 && id <= 8 {
			seen |= 1 << (id - 1)
		}
	}
	if seen&want != want {
		r.fail(what + " field missing")
	}
}

func (r *compactReader) dataPageHeader(h *pageHeader, typ byte) {
	r.structFields(typ, "data page header", 7, func(id int16, ft byte) bool {
		switch id {
		case 1:
			h.numValues = r.i32Field(ft)
		case 2:
			h.encoding = format.Encoding(r.i32Field(ft))
		case 3:
			h.defEncoding = format.Encoding(r.i32Field(ft))
		default:
			return false
		}
		return true
	})
}

func (r *compactReader) dictPageHeader(h *pageHeader, typ byte) {
	r.structFields(typ, "dictionary page header", 3, func(id int16, ft byte) bool {
		switch id {
		case 1:
			h.numValues = r.i32Field(ft)
		case 2:
			h.encoding = format.Encoding(r.i32Field(ft))
		default:
			return false
		}
		return true
	})
}

func (r *compactReader) dataPageHeaderV2(h *pageHeader, typ byte) {
	r.structFields(typ, "data page header v2", 63, func(id int16, ft byte) bool {
		switch id {
		case 1:
			h.numValues = r.i32Field(ft)
		case 2:
			h.numNulls = r.i32Field(ft)
		case 3:
			h.numRows = r.i32Field(ft)
		case 4:
			h.encoding = format.Encoding(r.i32Field(ft))
		case 5:
			h.defBytes = r.i32Field(ft)
		case 6:
			h.repBytes = r.i32Field(ft)
		case 7:
			h.isCompressed = r.boolField(ft)
		default:
			return false
		}
		return true
	})
}
