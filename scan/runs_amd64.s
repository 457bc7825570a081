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
