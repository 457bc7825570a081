//go:build !amd64 || purego

package scan

// hasAVX2 is false: only the pure-Go order check exists here.
func hasAVX2() bool { return false }

// increasesTSAVX2 is never called without AVX2.
func increasesTSAVX2(g, ts []int64, up []uint64) uint64 {
	panic("BUG: increasesTSAVX2 without AVX2")
}

// unpackSumBlockAVX2 is never called without AVX2.
func unpackSumBlockAVX2(dst []int64, src []byte, widths []byte, per int, tabs *[33]unpackSumTab, minDelta, last int64) int64 {
	panic("BUG: unpackSumBlockAVX2 without AVX2")
}

// mapSmallAVX2 is never called without AVX2.
func mapSmallAVX2(out, ids []uint32, table *[16]uint32, size uint32) bool {
	panic("BUG: mapSmallAVX2 without AVX2")
}
