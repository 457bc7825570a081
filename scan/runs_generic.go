//go:build !amd64 || purego

package scan

// hasAVX2 is false: only the pure-Go order check exists here.
func hasAVX2() bool { return false }

// increasesTSAVX2 is never called without AVX2.
func increasesTSAVX2(g, ts []int64, up []uint64) uint64 {
	panic("BUG: increasesTSAVX2 without AVX2")
}

// unpackSumAVX2 is never called without AVX2.
func unpackSumAVX2(dst []int64, src []byte, tab *unpackSumTab, w int, minDelta, last int64) int64 {
	panic("BUG: unpackSumAVX2 without AVX2")
}
