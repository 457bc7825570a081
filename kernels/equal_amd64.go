//go:build amd64 && !purego

package kernels

import "golang.org/x/sys/cpu"

// hasAVX2 reports whether the CPU and OS support AVX2.
var hasAVX2 = cpu.X86.HasAVX2

// equalCodesAVX2 sets dst[w] to the 64-row word of codes[64w:64w+64] == c for every w <
// len(dst), 8 rows per compare. Preconditions: the CPU has AVX2 (hasAVX2), len(codes) >=
// 64*len(dst).
//
//go:noescape
func equalCodesAVX2(dst []uint64, codes []uint32, c uint32)
