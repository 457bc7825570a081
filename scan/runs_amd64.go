//go:build amd64 && !purego

package scan

import "sync"

// cpuid executes CPUID with the given leaf and subleaf.
func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

// xgetbv reads XCR0, the register saying which vector states the OS saves.
func xgetbv() (eax, edx uint32)

// increasesTSAVX2 is increasesTS for len(up)*64 rows, four at a time: bit i of up[w] is set
// when g[64w+i+1] > g[64w+i]; the result is non-zero when some g decreases or some ts decreases
// where g does not increase. Preconditions: the CPU has AVX2 (hasAVX2), len(g) and len(ts) are
// at least len(up)*64+1.
//
//go:noescape
func increasesTSAVX2(g, ts []int64, up []uint64) (bad uint64)

// hasAVX2 reports whether the CPU and OS support AVX2. The answer is found once: CPUID costs
// microseconds in a virtual machine, and it never changes.
var hasAVX2 = sync.OnceValue(detectAVX2)

// detectAVX2 asks the CPU whether it and the OS support AVX2.
func detectAVX2() bool {
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const osxsave, avx = 1 << 27, 1 << 28
	if ecx1&osxsave == 0 || ecx1&avx == 0 {
		return false
	}
	if xcr0, _ := xgetbv(); xcr0&6 != 6 { // XMM and YMM state
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	return ebx7&(1<<5) != 0
}

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
