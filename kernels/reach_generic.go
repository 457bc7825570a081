//go:build !amd64 || purego

package kernels

// hasBMI is false: only the Go walk exists here.
var hasBMI = false

// reachRangeBMI is never called without BMI1 and BMI2.
func reachRangeBMI(reached []uint16, steps []Bitset, ts []int64, starts []uint32, first, end int) {
	panic("BUG: reachRangeBMI without BMI")
}
