//go:build amd64 && !purego

#include "textflag.h"

// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eaxArg+0(FP), AX
	MOVL ecxArg+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv() (eax, edx uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET

// func increasesTSAVX2(g, ts []int64, up []uint64) (bad uint64)
//
// Four rows per step: Y4 = g[j] > g[j-1] (its sign bits become four bits of up), Y5 = g[j-1] >
// g[j] and Y6 = ts[j-1] > ts[j] unless g increases; Y15 ORs what is out of order. Sixteen steps
// fill one word of up, shifted in from the top.
TEXT ·increasesTSAVX2(SB), NOSPLIT, $0-80
	MOVQ g_base+0(FP), SI
	MOVQ ts_base+24(FP), DI
	MOVQ up_base+48(FP), DX
	MOVQ up_len+56(FP), CX
	VPXOR Y15, Y15, Y15

word:
	TESTQ CX, CX
	JZ done
	XORQ R8, R8
	MOVQ $16, R9

step:
	VMOVDQU (SI), Y0
	VMOVDQU 8(SI), Y1
	VMOVDQU (DI), Y2
	VMOVDQU 8(DI), Y3
	VPCMPGTQ Y0, Y1, Y4
	VPCMPGTQ Y1, Y0, Y5
	VPCMPGTQ Y3, Y2, Y6
	VPANDN Y6, Y4, Y6
	VPOR Y5, Y15, Y15
	VPOR Y6, Y15, Y15
	VMOVMSKPD Y4, AX
	SHRQ $4, R8
	SHLQ $60, AX
	ORQ AX, R8
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ R9
	JNZ step
	MOVQ R8, (DX)
	ADDQ $8, DX
	DECQ CX
	JMP word

done:
	VMOVMSKPD Y15, AX
	VZEROUPPER
	MOVQ AX, bad+72(FP)
	RET

// func unpackSumAVX2(dst []int64, src []byte, tab *unpackSumTab, w int, minDelta, last int64) int64
//
// Per eight values: one 32-byte load, VPERMD places each value's two dwords in a quadword, a
// variable shift and the mask leave the delta (values 0-3 in Y2, 4-7 in Y3); minDelta (Y9) is
// added, then an in-register prefix sum (add the neighbour in the 128-bit lane, then the low
// lane's total to the high lane) and the running value (Y10, broadcast) give the values. The
// running value advances by each vector's total, taken off the prefix sum, so the loop-carried
// chain is one add per four values.
TEXT ·unpackSumAVX2(SB), NOSPLIT, $0-88
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	MOVQ tab+48(FP), R8
	MOVQ w+56(FP), R9
	MOVQ minDelta+64(FP), AX
	MOVQ AX, X9
	VPBROADCASTQ X9, Y9
	MOVQ last+72(FP), AX
	MOVQ AX, X10
	VPBROADCASTQ X10, Y10
	VMOVDQU 0(R8), Y7
	VMOVDQU 32(R8), Y8
	VMOVDQU 64(R8), Y5
	VMOVDQU 96(R8), Y6
	MOVQ 128(R8), AX
	MOVQ AX, X0
	VPBROADCASTQ X0, Y0
	VPXOR Y12, Y12, Y12
	SHRQ $3, CX

eight:
	TESTQ CX, CX
	JZ sumdone
	VMOVDQU (SI), Y1
	VPERMD Y1, Y7, Y2
	VPERMD Y1, Y8, Y3
	VPSRLVQ Y5, Y2, Y2
	VPSRLVQ Y6, Y3, Y3
	VPAND Y0, Y2, Y2
	VPAND Y0, Y3, Y3
	VPADDQ Y9, Y2, Y2
	VPADDQ Y9, Y3, Y3
	VPSLLDQ $8, Y2, Y11
	VPSLLDQ $8, Y3, Y13
	VPADDQ Y11, Y2, Y2
	VPADDQ Y13, Y3, Y3
	VPERMQ $0x50, Y2, Y11
	VPERMQ $0x50, Y3, Y13
	VPBLENDD $0xF0, Y11, Y12, Y11
	VPBLENDD $0xF0, Y13, Y12, Y13
	VPADDQ Y11, Y2, Y2
	VPADDQ Y13, Y3, Y3
	VPERMQ $0xFF, Y2, Y11
	VPERMQ $0xFF, Y3, Y13
	VPADDQ Y10, Y2, Y2
	VPADDQ Y11, Y10, Y10
	VPADDQ Y10, Y3, Y3
	VPADDQ Y13, Y10, Y10
	VMOVDQU Y2, (DI)
	VMOVDQU Y3, 32(DI)
	ADDQ R9, SI
	ADDQ $64, DI
	DECQ CX
	JMP eight

sumdone:
	MOVQ X10, AX
	MOVQ AX, ret+80(FP)
	VZEROUPPER
	RET
