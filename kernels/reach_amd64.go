//go:build amd64 && !purego

package kernels

import "golang.org/x/sys/cpu"

// hasBMI reports whether the CPU has BMI1 (TZCNT) and BMI2 (SHRX), which reachRangeBMI uses.
var hasBMI = cpu.X86.HasBMI1 && cpu.X86.HasBMI2

// reachRangeBMI is reachRange in assembly. Preconditions: those of reachRange, 1 <= len(steps)
// <= 65535, and every step mask has at least (len(ts)+63)/64 words; a group's end past len(ts)
// is taken as len(ts), so the walk reads no row past ts.
//
//go:noescape
func reachRangeBMI(reached []uint16, steps []Bitset, ts []int64, starts []uint32, first, end int)
