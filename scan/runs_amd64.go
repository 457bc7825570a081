//go:build amd64 && !purego

package scan

import "golang.org/x/sys/cpu"

// increasesTSAVX2 is increasesTS for len(up)*64 rows, four at a time: bit i of up[w] is set
// when g[64w+i+1] > g[64w+i]; the result is non-zero when some g decreases or some ts decreases
// where g does not increase. Preconditions: the CPU has AVX2 (hasAVX2), len(g) and len(ts) are
// at least len(up)*64+1.
//
//go:noescape
func increasesTSAVX2(g, ts []int64, up []uint64) (bad uint64)

// hasAVX2 reports whether the CPU and OS support AVX2 (found once, at start-up, by
// golang.org/x/sys/cpu).
func hasAVX2() bool { return cpu.X86.HasAVX2 }

// unpackSumBlockAVX2 turns the miniblocks of one DELTA_BINARY_PACKED block, per deltas each,
// bit-packed at width widths[m] (LSB first), consecutive in src, into per*len(widths) values:
// with d the deltas in order, dst[j] = last + (j+1)*minDelta + d[0] + ... + d[j], wrapping at
// 64 bits. It returns dst's last value. Eight values are unpacked per 32-byte load and summed
// four at a time. Preconditions: unpackSumBlockOk(widths, per, len(dst), src) holds and the
// CPU has AVX2.
//
//go:noescape
func unpackSumBlockAVX2(dst []int64, src []byte, widths []byte, per int, tabs *[33]unpackSumTab, minDelta, last int64) int64

// mapSmallAVX2 writes out[j] = table[ids[j]] for the first len(ids)/8*8 indexes and reports
// whether all of them were below size; when not, out holds garbage for some of them.
// Preconditions: the CPU has AVX2, 1 <= size <= 16, len(out) >= len(ids).
//
//go:noescape
func mapSmallAVX2(out, ids []uint32, table *[16]uint32, size uint32) (ok bool)
