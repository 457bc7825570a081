//go:build !amd64 || purego

package scan

// hasAVX2 is false: only the pure-Go order check exists here.
func hasAVX2() bool { return false }

// increasesTSAVX2 is never called without AVX2.
func increasesTSAVX2(g, ts []int64, up []uint64) uint64 {
	panic("BUG: increasesTSAVX2 without AVX2")
}
