package scan

import (
	"encoding/binary"
	"fmt"
	"math"
)

// DELTA_BINARY_PACKED: a header (block size, miniblocks per block, total value count as
// ULEB128, first value as zigzag LEB128), then blocks of a zigzag min delta, one bit width byte
// per miniblock and the miniblocks, each blockSize/miniblocks deltas (minus the min delta)
// bit-packed least significant bit first. Miniblocks past the last value have no bytes.

// maxDeltaBlock bounds the block size, as parquet-go does.
const maxDeltaBlock = 65536

// deltaHeader is the header of a DELTA_BINARY_PACKED stream.
type deltaHeader struct {
	blockSize, miniBlocks, total int
	first                        int64
}

func parseDeltaHeader(src []byte) (h deltaHeader, rest []byte, err error) {
	bad := func(what string) (deltaHeader, []byte, error) {
		return h, nil, fmt.Errorf("%w: DELTA_BINARY_PACKED %s", ErrCorrupt, what)
	}
	var u [3]uint64
	for i := range u {
		v, n := binary.Uvarint(src)
		if n <= 0 {
			return bad("header ends early")
		}
		u[i], src = v, src[n:]
	}
	first, n := binary.Varint(src)
	if n <= 0 {
		return bad("first value ends early")
	}
	src = src[n:]
	switch {
	case u[0] == 0 || u[0]%128 != 0 || u[0] > maxDeltaBlock:
		return bad(fmt.Sprintf("block size %d", u[0]))
	case u[1] == 0 || u[1] > u[0] || (u[0]/u[1])%32 != 0:
		return bad(fmt.Sprintf("miniblock count %d", u[1]))
	case u[2] > math.MaxInt32:
		return bad(fmt.Sprintf("value count %d", u[2]))
	}
	return deltaHeader{blockSize: int(u[0]), miniBlocks: int(u[1]), total: int(u[2]), first: first}, src, nil
}

// decodeDeltaInt64 decodes the first len(dst) values of a DELTA_BINARY_PACKED stream of INT64
// values into dst: each miniblock is unpacked straight into dst and turned into values by a
// running sum in place. tmp is scratch returned for reuse.
func decodeDeltaInt64(dst []int64, src []byte, tmp []byte) ([]byte, error) {
	tmp, _, err := deltaInts(dst, src, 64, false, tmp)
	return tmp, err
}

// decodeDeltaInt32 is decodeDeltaInt64 for INT32 values: the arithmetic wraps at 32 bits, and
// each value is sign-extended, or zero-extended when unsigned is set.
func decodeDeltaInt32(dst []int64, src []byte, unsigned bool, tmp []byte) ([]byte, error) {
	tmp, _, err := deltaInt32(dst, src, unsigned, tmp)
	return tmp, err
}

// deltaInt32 is decodeDeltaInt32; it also returns the bytes after the last miniblock read, which
// follow the stream when len(dst) is its value count.
func deltaInt32(dst []int64, src []byte, unsigned bool, tmp []byte) ([]byte, []byte, error) {
	return deltaInts(dst, src, 32, unsigned, tmp)
}

// deltaInts decodes INT64 (width 64) or INT32 (width 32, widened as decodeDeltaInt32 says)
// values and returns tmp and the bytes after the last miniblock read.
func deltaInts(dst []int64, src []byte, width int, unsigned bool, tmp []byte) ([]byte, []byte, error) {
	h, src, err := parseDeltaHeader(src)
	if err != nil {
		return tmp, nil, err
	}
	if h.total < len(dst) {
		return tmp, nil, errShort(h.total, len(dst))
	}
	if width == 32 && (h.first < math.MinInt32 || h.first > math.MaxInt32) {
		return tmp, nil, fmt.Errorf("%w: DELTA_BINARY_PACKED first value %d outside INT32", ErrCorrupt, h.first)
	}
	if len(dst) == 0 {
		return tmp, src, nil
	}
	last32 := int32(h.first)
	dst[0] = h.first
	if width == 32 {
		dst[0] = widen32(last32, unsigned)
	}
	per := h.blockSize / h.miniBlocks
	last, avx2 := h.first, width == 64 && hasAVX2()
	for i := 1; i < len(dst); {
		minDelta, n := binary.Varint(src)
		if n <= 0 || len(src)-n < h.miniBlocks {
			return tmp, nil, fmt.Errorf("%w: DELTA_BINARY_PACKED block header ends early", ErrCorrupt)
		}
		widths := src[n : n+h.miniBlocks]
		src = src[n+h.miniBlocks:]
		if avx2 {
			// A whole block of INT64 deltas of at most 32 bits: unpacked and summed in one pass.
			if size, ok := unpackSumBlockOk(widths, per, len(dst)-i, src); ok {
				end := i + per*len(widths)
				last = unpackSumBlockAVX2(dst[i:end], src, widths, per, &unpackSumTabs, minDelta, last)
				src, i = src[size:], end
				continue
			}
		}
		end, rest, t, err := unpackBlock(dst[i:], src, widths, per, width, tmp)
		tmp = t
		if err != nil {
			return tmp, nil, err
		}
		src = rest
		if width == 64 {
			last = runningSum(dst[i:i+end], minDelta, last)
		} else {
			last32 = runningSum32(dst[i:i+end], int32(minDelta), last32, unsigned)
		}
		i += end
	}
	return tmp, src, nil
}

// unpackBlock unpacks the deltas of one block's miniblocks (per values each, of the given bit
// widths, at most maxWidth) into dst, up to len(dst) values, and returns how many it wrote and
// the bytes after the last miniblock read. Consecutive miniblocks of one width are unpacked by
// one call, their bits being contiguous.
func unpackBlock(dst []int64, src, widths []byte, per, maxWidth int, tmp []byte) (int, []byte, []byte, error) {
	i := 0
	for m := 0; m < len(widths) && i < len(dst); {
		w := int(widths[m])
		if w > maxWidth {
			return 0, nil, tmp, fmt.Errorf("%w: DELTA_BINARY_PACKED bit width %d", ErrCorrupt, w)
		}
		// The run of miniblocks of width w that hold values.
		k := 1
		for m+k < len(widths) && int(widths[m+k]) == w && i+k*per < len(dst) {
			k++
		}
		out := dst[i:min(i+k*per, len(dst))]
		if w == 0 {
			clear(out)
		} else {
			if (len(out)*w+7)/8 > len(src) {
				return 0, nil, tmp, fmt.Errorf("%w: DELTA_BINARY_PACKED miniblock ends early", ErrCorrupt)
			}
			tmp = unpackI64(out, src, uint(w), tmp)
			src = src[min(k*per*w/8, len(src)):]
		}
		i += len(out)
		m += k
	}
	return i, src, tmp, nil
}

// widen32 converts an INT32 value to int64.
func widen32(v int32, unsigned bool) int64 {
	if unsigned {
		return int64(uint32(v))
	}
	return int64(v)
}

// runningSum turns unpacked deltas into values: out[j] = last + (j+1)*minDelta + out[0..j]
// summed, wrapping at 64 bits; it returns the last value. Kept out of line so the loop keeps its
// values in registers.
//
//go:noinline
func runningSum(out []int64, minDelta, last int64) int64 {
	for j, d := range out {
		last += minDelta + d
		out[j] = last
	}
	return last
}

// runningSum32 is runningSum with 32-bit wrapping; each value is sign- or zero-extended.
//
//go:noinline
func runningSum32(out []int64, minDelta, last int32, unsigned bool) int32 {
	if unsigned {
		for j, d := range out {
			last += minDelta + int32(d)
			out[j] = int64(uint32(last))
		}
		return last
	}
	for j, d := range out {
		last += minDelta + int32(d)
		out[j] = int64(last)
	}
	return last
}
