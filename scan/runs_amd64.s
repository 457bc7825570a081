//go:build amd64 && !purego

#include "textflag.h"

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

// func unpackSumBlockAVX2(dst []int64, src []byte, widths []byte, per int, tabs *[33]unpackSumTab, minDelta, last int64) int64
//
// For each miniblock (per values of width w = widths[m], at tabs[w]), per eight values: one
// 32-byte load, VPERMD places each value's two dwords in a quadword, a variable shift and the
// mask leave the delta (values 0-3 in Y2, 4-7 in Y3); minDelta (Y9) is added, then an
// in-register prefix sum (add the neighbour in the 128-bit lane, then the low lane's total to
// the high lane) and the running value (Y10, broadcast) give the values. The running value
// advances by each vector's total, taken off the prefix sum, so the loop-carried chain is one
// add per four values.
TEXT ·unpackSumBlockAVX2(SB), NOSPLIT, $0-112
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ widths_base+48(FP), R10
	MOVQ widths_len+56(FP), R11
	MOVQ per+72(FP), R12
	SHRQ $3, R12
	MOVQ tabs+80(FP), R13
	MOVQ minDelta+88(FP), AX
	MOVQ AX, X9
	VPBROADCASTQ X9, Y9
	MOVQ last+96(FP), AX
	MOVQ AX, X10
	VPBROADCASTQ X10, Y10
	VPXOR Y12, Y12, Y12

mini:
	TESTQ R11, R11
	JZ sumdone
	MOVBQZX (R10), R9
	IMUL3Q $136, R9, R8
	ADDQ R13, R8
	VMOVDQU 0(R8), Y7
	VMOVDQU 32(R8), Y8
	VMOVDQU 64(R8), Y5
	VMOVDQU 96(R8), Y6
	VPBROADCASTQ 128(R8), Y0
	MOVQ R12, CX

eight:
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
	JNZ eight
	INCQ R10
	DECQ R11
	JMP mini

sumdone:
	MOVQ X10, AX
	MOVQ AX, ret+104(FP)
	VZEROUPPER
	RET

// func mapSmallAVX2(out, ids []uint32, table *[16]uint32, size uint32) (ok bool)
//
// Eight indexes per step: VPERMD looks each up in entries 0-7 (Y0) and 8-15 (Y1), VPBLENDVB
// picks by index > 7; Y4 keeps the lanes whose indexes were all <= size-1 (unsigned max).
TEXT ·mapSmallAVX2(SB), NOSPLIT, $0-65
	MOVQ out_base+0(FP), DI
	MOVQ ids_base+24(FP), SI
	MOVQ ids_len+32(FP), CX
	MOVQ table+48(FP), R8
	VMOVDQU (R8), Y0
	VMOVDQU 32(R8), Y1
	MOVL size+56(FP), AX
	DECL AX
	MOVQ AX, X2
	VPBROADCASTD X2, Y2
	MOVL $7, AX
	MOVQ AX, X3
	VPBROADCASTD X3, Y3
	VPCMPEQD Y4, Y4, Y4
	SHRQ $3, CX

map8:
	TESTQ CX, CX
	JZ mapdone
	VMOVDQU (SI), Y5
	VPMAXUD Y2, Y5, Y6
	VPCMPEQD Y6, Y2, Y7
	VPAND Y7, Y4, Y4
	VPERMD Y0, Y5, Y8
	VPERMD Y1, Y5, Y9
	VPCMPGTD Y3, Y5, Y10
	VPBLENDVB Y10, Y9, Y8, Y8
	VMOVDQU Y8, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JMP map8

mapdone:
	VPMOVMSKB Y4, AX
	CMPL AX, $0xFFFFFFFF
	SETEQ ok+64(FP)
	VZEROUPPER
	RET
