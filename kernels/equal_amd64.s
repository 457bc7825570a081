//go:build amd64 && !purego

#include "textflag.h"

// func equalCodesAVX2(dst []uint64, codes []uint32, c uint32)
//
// Per 64-row word: eight 8-row compares against c broadcast in Y0; each compare's sign bits
// (VMOVMSKPS) are eight bits of the word.
TEXT ·equalCodesAVX2(SB), NOSPLIT, $0-52
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ codes_base+24(FP), SI
	MOVL c+48(FP), AX
	MOVD AX, X0
	VPBROADCASTD X0, Y0

word:
	TESTQ CX, CX
	JZ done
	VPCMPEQD (SI), Y0, Y1
	VPCMPEQD 32(SI), Y0, Y2
	VPCMPEQD 64(SI), Y0, Y3
	VPCMPEQD 96(SI), Y0, Y4
	VPCMPEQD 128(SI), Y0, Y5
	VPCMPEQD 160(SI), Y0, Y6
	VPCMPEQD 192(SI), Y0, Y7
	VPCMPEQD 224(SI), Y0, Y8
	VMOVMSKPS Y8, AX
	VMOVMSKPS Y7, BX
	SHLQ $8, AX
	ORQ BX, AX
	VMOVMSKPS Y6, BX
	SHLQ $8, AX
	ORQ BX, AX
	VMOVMSKPS Y5, BX
	SHLQ $8, AX
	ORQ BX, AX
	VMOVMSKPS Y4, BX
	SHLQ $8, AX
	ORQ BX, AX
	VMOVMSKPS Y3, BX
	SHLQ $8, AX
	ORQ BX, AX
	VMOVMSKPS Y2, BX
	SHLQ $8, AX
	ORQ BX, AX
	VMOVMSKPS Y1, BX
	SHLQ $8, AX
	ORQ BX, AX
	MOVQ AX, (DI)
	ADDQ $256, SI
	ADDQ $8, DI
	DECQ CX
	JMP word

done:
	VZEROUPPER
	RET
