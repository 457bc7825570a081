package scan

import (
	"encoding/binary"
	"fmt"
	"math/bits"

	"github.com/parquet-go/bitpack"
)

// The RLE/bit-packed hybrid encoding (definition levels, dictionary indexes) is a sequence of
// runs, each introduced by a ULEB128 header h: an even h is a run of h>>1 copies of one value
// stored in ceil(bitWidth/8) little-endian bytes; an odd h is (h>>1) groups of 8 values
// bit-packed least significant bit first, (h>>1)*bitWidth bytes. The last bit-packed group may
// hold padding values past the count the page needs; they are ignored.

// unpackPad is the slack the bit unpacking routines read past the last packed byte: every
// buffer the fast path decodes from has at least this much capacity past its length.
const unpackPad = 64

// unpackU32 unpacks len(dst) values of bitWidth (1..32) bits from src, which must hold
// ceil(len(dst)*bitWidth/8) bytes. When src lacks the slack the unpacking routine reads past
// its end, the bytes are copied to tmp first; tmp is returned for reuse.
func unpackU32(dst []uint32, src []byte, bitWidth uint, tmp []byte) []byte {
	return unpack(dst, src, bitWidth, bitpack.PaddingInt32, tmp)
}

// unpackI64 is unpackU32 for 1..64 bits into int64 slots (values above 2^63 wrap).
func unpackI64(dst []int64, src []byte, bitWidth uint, tmp []byte) []byte {
	return unpack(dst, src, bitWidth, bitpack.PaddingInt64, tmp)
}

// unpack is unpackU32 and unpackI64, with the padding the routine for T reads.
func unpack[T uint32 | int64](dst []T, src []byte, bitWidth uint, padding int, tmp []byte) []byte {
	need := bitpack.ByteCount(bitWidth*uint(len(dst)) + 8*uint(padding))
	if cap(src) < need {
		tmp = growBytes(tmp, need)
		clear(tmp[copy(tmp, src):])
		src = tmp
	}
	// The assembly reads up to the capacity, the pure-Go version (purego builds) up to the
	// length: give both the padded length.
	bitpack.Unpack(dst, src[:need], bitWidth)
	return tmp
}

// growBytes returns a slice of n bytes with unspecified contents, reusing b when large enough,
// with unpackPad bytes of capacity to spare.
func growBytes(b []byte, n int) []byte {
	if cap(b) < n+unpackPad {
		return make([]byte, n, n+unpackPad)
	}
	return b[:n]
}

// runHeader reads the header of the next run of a hybrid stream: the number of values and
// whether they are bit-packed.
func runHeader(data []byte) (count uint64, packed bool, n int, err error) {
	h, n := binary.Uvarint(data)
	if n <= 0 {
		return 0, false, 0, fmt.Errorf("%w: bad run header in RLE/bit-packed data", ErrCorrupt)
	}
	if h&1 == 0 {
		return h >> 1, false, n, nil
	}
	if h>>1 > 1<<40 {
		return 0, false, 0, fmt.Errorf("%w: bit-packed run of %d groups", ErrCorrupt, h>>1)
	}
	return (h >> 1) * 8, true, n, nil
}

// decodeLevels decodes len(defs) definition levels of a column whose maximum level is 1 (bit
// width 1) into defs and returns how many are 1. A level above 1 or a stream that ends early is
// an error.
func decodeLevels(defs []byte, data []byte) (defined int, err error) {
	n := len(defs)
	for i := 0; i < n; {
		count, packed, k, err := runHeader(data)
		if err != nil {
			return 0, err
		}
		data = data[k:]
		m := int(min(count, uint64(n-i)))
		if !packed {
			if len(data) < 1 {
				return 0, fmt.Errorf("%w: definition level run ends early", ErrCorrupt)
			}
			v := data[0]
			data = data[1:]
			if v > 1 {
				return 0, fmt.Errorf("%w: definition level %d above the maximum 1", ErrCorrupt, v)
			}
			fillRun(defs, i, m, v)
			defined += m * int(v)
			i += m
			continue
		}
		if (m+7)/8 > len(data) {
			return 0, fmt.Errorf("%w: bit-packed definition levels end early", ErrCorrupt)
		}
		out := defs[i : i+m]
		src := data[:(m+7)/8]
		full := m >> 3
		for k, b := range src[:full] {
			*(*[8]byte)(out[k<<3:]) = levelBytes[b]
			defined += bits.OnesCount8(b)
		}
		for j := full << 3; j < m; j++ {
			b := src[j>>3] >> (uint(j) & 7) & 1
			out[j] = b
			defined += int(b)
		}
		data = data[min(uint64(len(data)), count/8):]
		i += m
	}
	return defined, nil
}

// levelBytes[b] is the eight levels (0 or 1) bit-packed in byte b, least significant bit first.
var levelBytes = func() (t [256][8]byte) {
	for b := range t {
		for j := range 8 {
			t[b][j] = byte(b>>j) & 1
		}
	}
	return t
}()

// indexBatch is how many bit-packed dictionary indexes are unpacked at a time.
const indexBatch = 1024

// decodeIndexes decodes len(dst) dictionary indexes from data (a bit width byte, then the
// hybrid stream) and writes dst[i] = table[index i]. idx is scratch space of indexBatch entries;
// tmp is scratch returned for reuse.
func decodeIndexes[T any](dst, table []T, data []byte, idx []uint32, tmp []byte) ([]byte, error) {
	n := len(dst)
	if n == 0 {
		return tmp, nil
	}
	if len(data) < 1 {
		return tmp, fmt.Errorf("%w: dictionary indexes missing", ErrCorrupt)
	}
	bitWidth := uint(data[0])
	data = data[1:]
	if bitWidth > 32 {
		return tmp, fmt.Errorf("%w: dictionary index bit width %d", ErrCorrupt, bitWidth)
	}
	size := uint32(len(table))
	valueBytes := int(bitWidth+7) / 8
	var small smallTable
	useSmall := small.init(table)
	for i := 0; i < n; {
		count, packed, k, err := runHeader(data)
		if err != nil {
			return tmp, err
		}
		data = data[k:]
		m := int(min(count, uint64(n-i)))
		if !packed {
			if len(data) < valueBytes {
				return tmp, fmt.Errorf("%w: dictionary index run ends early", ErrCorrupt)
			}
			var v uint32
			for b := range valueBytes {
				v |= uint32(data[b]) << (8 * b)
			}
			data = data[valueBytes:]
			if m == 0 {
				continue
			}
			if v >= size {
				return tmp, errIndex(int32(v), len(table))
			}
			fillRun(dst, i, m, table[v])
			i += m
			continue
		}
		runBytes := uint64(bitWidth) * (count / 8)
		if need := (m*int(bitWidth) + 7) / 8; need > len(data) {
			return tmp, fmt.Errorf("%w: bit-packed dictionary indexes end early", ErrCorrupt)
		}
		if bitWidth == 0 {
			if m > 0 && size == 0 {
				return tmp, errIndex(0, 0)
			}
			fillRun(dst, i, m, table[0])
			i += m
			continue
		}
		src := data
		for done := 0; done < m; {
			b := min(m-done, indexBatch)
			ids := idx[:b]
			tmp = unpackU32(ids, src, bitWidth, tmp)
			src = src[b*int(bitWidth)/8:] // b is a multiple of 8 except at the end
			out := dst[i+done : i+done+b]
			if useSmall && small.lookup(any(out).([]uint32), ids) {
				done += b
				continue
			}
			if j := mapIndexes(out, ids, table); j >= 0 {
				return tmp, errIndex(int32(ids[j]), len(table))
			}
			done += b
		}
		data = data[min(uint64(len(data)), runBytes):]
		i += m
	}
	return tmp, nil
}

// mapIndexes writes out[j] = table[ids[j]] and returns -1, or the position of the first index
// past the table. Precondition: len(out) == len(ids). Kept out of line so the loop keeps its
// values in registers.
//
//go:noinline
func mapIndexes[T any](out []T, ids []uint32, table []T) int {
	out = out[:len(ids)]
	for j, x := range ids {
		if int(x) >= len(table) {
			return j
		}
		out[j] = table[x]
	}
	return -1
}

// smallTable is a dictionary of at most 16 uint32 codes, padded for mapSmallAVX2.
type smallTable struct {
	codes [16]uint32
	size  uint32
}

// init copies table into t and reports whether t can be used: the CPU has AVX2, T is uint32
// (STRING codes) and the table has 1 to 16 entries.
func (t *smallTable) init(table any) bool {
	codes, ok := table.([]uint32)
	if !ok || len(codes) == 0 || len(codes) > 16 || !hasAVX2() {
		return false
	}
	t.size = uint32(len(codes))
	copy(t.codes[:], codes)
	return true
}

// lookup writes out[j] = codes[ids[j]] for every j and reports whether every index was in the
// table; when not, the caller must redo the batch with mapIndexes to find the bad index.
// Precondition: len(out) == len(ids).
func (t *smallTable) lookup(out, ids []uint32) bool {
	bulk := len(ids) &^ 7
	if !mapSmallAVX2(out, ids, &t.codes, t.size) {
		return false
	}
	for j, x := range ids[bulk:] {
		if x >= t.size {
			return false
		}
		out[bulk+j] = t.codes[x]
	}
	return true
}

// fillRun sets dst[i:i+m] to v. Runs are often short (a per-user value repeated over the user's
// rows): eight values are stored at a time, past i+m when dst has room (the next run or page
// overwrites them), so that a short run costs a store or two and no loop of unknown length.
func fillRun[T any](dst []T, i, m int, v T) {
	if i+m+8 > len(dst) {
		fill := dst[i : i+m]
		for j := range fill {
			fill[j] = v
		}
		return
	}
	blk := [8]T{v, v, v, v, v, v, v, v}
	for j := i; j < i+m; j += 8 {
		*(*[8]T)(dst[j:]) = blk
	}
}
