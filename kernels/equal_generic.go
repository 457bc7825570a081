//go:build !amd64 || purego

package kernels

// hasAVX2 is false: only the Go loop of EqualCodes exists here.
var hasAVX2 = false

// equalCodesAVX2 is never called without AVX2.
func equalCodesAVX2(dst []uint64, codes []uint32, c uint32) {
	panic("BUG: equalCodesAVX2 without AVX2")
}
