//go:build amd64 && !purego

#include "textflag.h"

// func reachRangeBMI(reached []uint16, steps []Bitset, ts []int64, starts []uint32, first, end int)
//
// reachRange's walk with every variable in a register: DI reached[first:], SI starts[first:],
// R8 the step masks' slice headers, R9 the step count, R10 ts, R11 the group (from 0), R12 the
// groups to walk; per group AX the row, BX the group's end, CX the steps reached, DX the current
// step's mask, R13 the timestamp of the last step reached. SHRX shifts a mask word by the row
// (modulo 64, as the walk needs), TZCNT finds the next set bit.
TEXT ·reachRangeBMI(SB), NOSPLIT, $0-112
	MOVQ first+96(FP), R11
	MOVQ end+104(FP), R12
	SUBQ R11, R12
	MOVQ reached_base+0(FP), DI
	LEAQ (DI)(R11*2), DI
	MOVQ starts_base+72(FP), SI
	LEAQ (SI)(R11*4), SI
	MOVQ steps_base+24(FP), R8
	MOVQ steps_len+32(FP), R9
	MOVQ ts_base+48(FP), R10
	XORQ R11, R11

group:
	CMPQ R11, R12
	JGE done
	MOVL (SI)(R11*4), AX
	MOVL 4(SI)(R11*4), BX
	CMPQ BX, ts_len+56(FP)
	CMOVQHI ts_len+56(FP), BX
	XORQ CX, CX
	MOVQ (R8), DX

walk:
	CMPQ AX, BX
	JAE store
	MOVQ AX, R14
	SHRQ $6, R14
	MOVQ (DX)(R14*8), R14
	SHRXQ AX, R14, R14
	TESTQ R14, R14
	JZ skipword
	TZCNTQ R14, R14
	ADDQ R14, AX
	CMPQ AX, BX
	JAE store
	MOVQ (R10)(AX*8), R15
	TESTQ CX, CX
	JZ take
	CMPQ R15, R13
	JLE next

take:
	MOVQ R15, R13
	INCQ CX
	CMPQ CX, R9
	JEQ store
	LEAQ (CX)(CX*2), R14
	MOVQ (R8)(R14*8), DX

next:
	INCQ AX
	JMP walk

skipword:
	ORQ $63, AX
	INCQ AX
	JMP walk

store:
	MOVW CX, (DI)(R11*2)
	INCQ R11
	JMP group

done:
	RET
