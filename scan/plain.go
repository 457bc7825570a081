package scan

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/parquet-go/bitpack/unsafecast"
	"github.com/parquet-go/parquet-go/format"
)

// nativeLittleEndian reports whether the machine stores integers little-endian, as PLAIN does,
// so fixed-width values can be copied without conversion.
func nativeLittleEndian() bool {
	return binary.NativeEndian.Uint16([]byte{1, 0}) == 1
}

// plainInts decodes len(dst) PLAIN INT32 or INT64 values (kind) into dst. Unsigned INT32 values
// are zero-extended; unsigned INT64 values above the int64 range are an overflow error.
func (d *columnDecoder) plainInts(dst []int64, src []byte) error {
	switch d.spec.kind {
	case format.Int32:
		if len(src)/4 < len(dst) {
			return errShort(len(src)/4, len(dst))
		}
		src = src[:4*len(dst)]
		if d.spec.unsigned {
			for i := range dst {
				dst[i] = int64(binary.LittleEndian.Uint32(src[4*i:]))
			}
		} else {
			for i := range dst {
				dst[i] = int64(int32(binary.LittleEndian.Uint32(src[4*i:])))
			}
		}
		return nil
	case format.Int64:
		if len(src)/8 < len(dst) {
			return errShort(len(src)/8, len(dst))
		}
		src = src[:8*len(dst)]
		if nativeLittleEndian() {
			copy(dst, unsafecast.Slice[int64](src))
		} else {
			for i := range dst {
				dst[i] = int64(binary.LittleEndian.Uint64(src[8*i:]))
			}
		}
		if d.spec.unsigned {
			return d.checkUnsigned(dst)
		}
		return nil
	}
	return fmt.Errorf("%w: integer column with physical type %s", ErrCorrupt, d.spec.kind)
}

// checkUnsigned reports an unsigned INT64 value (read as int64) above the int64 range.
func (d *columnDecoder) checkUnsigned(vals []int64) error {
	var or int64
	for _, v := range vals {
		or |= v
	}
	if or < 0 {
		for _, v := range vals {
			if v < 0 {
				return d.errOverflow(v)
			}
		}
	}
	return nil
}

// plainFloats decodes len(dst) PLAIN FLOAT or DOUBLE values into dst.
func (d *columnDecoder) plainFloats(dst []float64, src []byte) error {
	switch d.spec.kind {
	case format.Float:
		if len(src)/4 < len(dst) {
			return errShort(len(src)/4, len(dst))
		}
		src = src[:4*len(dst)]
		for i := range dst {
			dst[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:])))
		}
		return nil
	case format.Double:
		if len(src)/8 < len(dst) {
			return errShort(len(src)/8, len(dst))
		}
		src = src[:8*len(dst)]
		if nativeLittleEndian() {
			copy(dst, unsafecast.Slice[float64](src))
		} else {
			for i := range dst {
				dst[i] = math.Float64frombits(binary.LittleEndian.Uint64(src[8*i:]))
			}
		}
		return nil
	}
	return fmt.Errorf("%w: float column with physical type %s", ErrCorrupt, d.spec.kind)
}

// plainStrings interns len(dst) PLAIN BYTE_ARRAY values (a 4-byte little-endian length, then
// the bytes) and writes their codes into dst.
func (d *columnDecoder) plainStrings(dst []uint32, src []byte) error {
	for i := range dst {
		if len(src) < 4 {
			return errShort(i, len(dst))
		}
		n := binary.LittleEndian.Uint32(src)
		if uint64(n) > uint64(len(src)-4) {
			return fmt.Errorf("%w: byte array of %d bytes runs past the page", ErrCorrupt, n)
		}
		dst[i] = d.intern(src[4 : 4+n])
		src = src[4+n:]
	}
	return nil
}
