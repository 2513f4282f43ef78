//go:build amd64

#include "textflag.h"

// The AVX-512 micro-kernels: kernel6x16 (kernel_amd64.s) for 16-row and
// 8-row panels of A, with the same arithmetic: each value of the tile is
// one chain of VFMADD231PS along k, in order, then the same epilogue, so
// they give the same bits as the AVX2 kernels. A's values are read as
// embedded broadcasts ({1to16}) by the multiply-adds themselves.

// STEPn(aoff, boff, zb) is one k step of an n-row kernel: the packed row of
// B at boff(DI) into zb, times each of the n values of A at aoff(SI),
// added into Z0..Z(n-1).
#define STEP16(aoff, boff, zb) \
	VMOVUPS boff(DI), zb; \
	VFMADD231PS.BCST aoff+0(SI), zb, Z0; \
	VFMADD231PS.BCST aoff+4(SI), zb, Z1; \
	VFMADD231PS.BCST aoff+8(SI), zb, Z2; \
	VFMADD231PS.BCST aoff+12(SI), zb, Z3; \
	VFMADD231PS.BCST aoff+16(SI), zb, Z4; \
	VFMADD231PS.BCST aoff+20(SI), zb, Z5; \
	VFMADD231PS.BCST aoff+24(SI), zb, Z6; \
	VFMADD231PS.BCST aoff+28(SI), zb, Z7; \
	VFMADD231PS.BCST aoff+32(SI), zb, Z8; \
	VFMADD231PS.BCST aoff+36(SI), zb, Z9; \
	VFMADD231PS.BCST aoff+40(SI), zb, Z10; \
	VFMADD231PS.BCST aoff+44(SI), zb, Z11; \
	VFMADD231PS.BCST aoff+48(SI), zb, Z12; \
	VFMADD231PS.BCST aoff+52(SI), zb, Z13; \
	VFMADD231PS.BCST aoff+56(SI), zb, Z14; \
	VFMADD231PS.BCST aoff+60(SI), zb, Z15

#define STEP8(aoff, boff, zb) \
	VMOVUPS boff(DI), zb; \
	VFMADD231PS.BCST aoff+0(SI), zb, Z0; \
	VFMADD231PS.BCST aoff+4(SI), zb, Z1; \
	VFMADD231PS.BCST aoff+8(SI), zb, Z2; \
	VFMADD231PS.BCST aoff+12(SI), zb, Z3; \
	VFMADD231PS.BCST aoff+16(SI), zb, Z4; \
	VFMADD231PS.BCST aoff+20(SI), zb, Z5; \
	VFMADD231PS.BCST aoff+24(SI), zb, Z6; \
	VFMADD231PS.BCST aoff+28(SI), zb, Z7

// func kernel16x16(k int, a, b, c *float32, ldc int, flags int, bias *float32)
//
// Accumulators: Z0..Z15 hold rows 0..15 of the tile; Z16 and Z17 hold
// packed rows of B (two k steps per iteration). The epilogue, by flags: 1
// adds C, 2 adds bias[i] to row i, 4 takes max(0, v) (VMAXPS with 0 as the
// first source returns v when v is NaN); then the tile is stored. Without
// flag 1, C is not read.
TEXT ·kernel16x16(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	MOVQ flags+40(FP), R10
	MOVQ bias+48(FP), R11
	SHLQ $2, R8
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	TESTQ CX, CX
	JE store16
	MOVQ CX, R9
	SHRQ $1, R9
	ANDQ $1, CX
	TESTQ R9, R9
	JE tail16
loop16:
	STEP16(0, 0, Z16)
	STEP16(64, 64, Z17)
	ADDQ $128, SI
	ADDQ $128, DI
	DECQ R9
	JNZ loop16
tail16:
	TESTQ CX, CX
	JE store16
	STEP16(0, 0, Z16)
store16:
	TESTQ $1, R10
	JE noadd16
	MOVQ DX, R9
	VADDPS (R9), Z0, Z0
	ADDQ R8, R9
	VADDPS (R9), Z1, Z1
	ADDQ R8, R9
	VADDPS (R9), Z2, Z2
	ADDQ R8, R9
	VADDPS (R9), Z3, Z3
	ADDQ R8, R9
	VADDPS (R9), Z4, Z4
	ADDQ R8, R9
	VADDPS (R9), Z5, Z5
	ADDQ R8, R9
	VADDPS (R9), Z6, Z6
	ADDQ R8, R9
	VADDPS (R9), Z7, Z7
	ADDQ R8, R9
	VADDPS (R9), Z8, Z8
	ADDQ R8, R9
	VADDPS (R9), Z9, Z9
	ADDQ R8, R9
	VADDPS (R9), Z10, Z10
	ADDQ R8, R9
	VADDPS (R9), Z11, Z11
	ADDQ R8, R9
	VADDPS (R9), Z12, Z12
	ADDQ R8, R9
	VADDPS (R9), Z13, Z13
	ADDQ R8, R9
	VADDPS (R9), Z14, Z14
	ADDQ R8, R9
	VADDPS (R9), Z15, Z15
noadd16:
	TESTQ $2, R10
	JE nobias16
	VADDPS.BCST 0(R11), Z0, Z0
	VADDPS.BCST 4(R11), Z1, Z1
	VADDPS.BCST 8(R11), Z2, Z2
	VADDPS.BCST 12(R11), Z3, Z3
	VADDPS.BCST 16(R11), Z4, Z4
	VADDPS.BCST 20(R11), Z5, Z5
	VADDPS.BCST 24(R11), Z6, Z6
	VADDPS.BCST 28(R11), Z7, Z7
	VADDPS.BCST 32(R11), Z8, Z8
	VADDPS.BCST 36(R11), Z9, Z9
	VADDPS.BCST 40(R11), Z10, Z10
	VADDPS.BCST 44(R11), Z11, Z11
	VADDPS.BCST 48(R11), Z12, Z12
	VADDPS.BCST 52(R11), Z13, Z13
	VADDPS.BCST 56(R11), Z14, Z14
	VADDPS.BCST 60(R11), Z15, Z15
nobias16:
	TESTQ $4, R10
	JE norelu16
	VPXORD Z18, Z18, Z18
	VMAXPS Z0, Z18, Z0
	VMAXPS Z1, Z18, Z1
	VMAXPS Z2, Z18, Z2
	VMAXPS Z3, Z18, Z3
	VMAXPS Z4, Z18, Z4
	VMAXPS Z5, Z18, Z5
	VMAXPS Z6, Z18, Z6
	VMAXPS Z7, Z18, Z7
	VMAXPS Z8, Z18, Z8
	VMAXPS Z9, Z18, Z9
	VMAXPS Z10, Z18, Z10
	VMAXPS Z11, Z18, Z11
	VMAXPS Z12, Z18, Z12
	VMAXPS Z13, Z18, Z13
	VMAXPS Z14, Z18, Z14
	VMAXPS Z15, Z18, Z15
norelu16:
	VMOVUPS Z0, (DX)
	ADDQ R8, DX
	VMOVUPS Z1, (DX)
	ADDQ R8, DX
	VMOVUPS Z2, (DX)
	ADDQ R8, DX
	VMOVUPS Z3, (DX)
	ADDQ R8, DX
	VMOVUPS Z4, (DX)
	ADDQ R8, DX
	VMOVUPS Z5, (DX)
	ADDQ R8, DX
	VMOVUPS Z6, (DX)
	ADDQ R8, DX
	VMOVUPS Z7, (DX)
	ADDQ R8, DX
	VMOVUPS Z8, (DX)
	ADDQ R8, DX
	VMOVUPS Z9, (DX)
	ADDQ R8, DX
	VMOVUPS Z10, (DX)
	ADDQ R8, DX
	VMOVUPS Z11, (DX)
	ADDQ R8, DX
	VMOVUPS Z12, (DX)
	ADDQ R8, DX
	VMOVUPS Z13, (DX)
	ADDQ R8, DX
	VMOVUPS Z14, (DX)
	ADDQ R8, DX
	VMOVUPS Z15, (DX)
	VZEROUPPER
	RET

// func kernel8x16(k int, a, b, c *float32, ldc int, flags int, bias *float32)
//
// kernel16x16 for an 8-row panel of A: accumulators Z0..Z7.
TEXT ·kernel8x16(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	MOVQ flags+40(FP), R10
	MOVQ bias+48(FP), R11
	SHLQ $2, R8
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	TESTQ CX, CX
	JE store8
	MOVQ CX, R9
	SHRQ $1, R9
	ANDQ $1, CX
	TESTQ R9, R9
	JE tail8
loop8:
	STEP8(0, 0, Z16)
	STEP8(32, 64, Z17)
	ADDQ $64, SI
	ADDQ $128, DI
	DECQ R9
	JNZ loop8
tail8:
	TESTQ CX, CX
	JE store8
	STEP8(0, 0, Z16)
store8:
	TESTQ $1, R10
	JE noadd8
	MOVQ DX, R9
	VADDPS (R9), Z0, Z0
	ADDQ R8, R9
	VADDPS (R9), Z1, Z1
	ADDQ R8, R9
	VADDPS (R9), Z2, Z2
	ADDQ R8, R9
	VADDPS (R9), Z3, Z3
	ADDQ R8, R9
	VADDPS (R9), Z4, Z4
	ADDQ R8, R9
	VADDPS (R9), Z5, Z5
	ADDQ R8, R9
	VADDPS (R9), Z6, Z6
	ADDQ R8, R9
	VADDPS (R9), Z7, Z7
noadd8:
	TESTQ $2, R10
	JE nobias8
	VADDPS.BCST 0(R11), Z0, Z0
	VADDPS.BCST 4(R11), Z1, Z1
	VADDPS.BCST 8(R11), Z2, Z2
	VADDPS.BCST 12(R11), Z3, Z3
	VADDPS.BCST 16(R11), Z4, Z4
	VADDPS.BCST 20(R11), Z5, Z5
	VADDPS.BCST 24(R11), Z6, Z6
	VADDPS.BCST 28(R11), Z7, Z7
nobias8:
	TESTQ $4, R10
	JE norelu8
	VPXORD Z18, Z18, Z18
	VMAXPS Z0, Z18, Z0
	VMAXPS Z1, Z18, Z1
	VMAXPS Z2, Z18, Z2
	VMAXPS Z3, Z18, Z3
	VMAXPS Z4, Z18, Z4
	VMAXPS Z5, Z18, Z5
	VMAXPS Z6, Z18, Z6
	VMAXPS Z7, Z18, Z7
norelu8:
	VMOVUPS Z0, (DX)
	ADDQ R8, DX
	VMOVUPS Z1, (DX)
	ADDQ R8, DX
	VMOVUPS Z2, (DX)
	ADDQ R8, DX
	VMOVUPS Z3, (DX)
	ADDQ R8, DX
	VMOVUPS Z4, (DX)
	ADDQ R8, DX
	VMOVUPS Z5, (DX)
	ADDQ R8, DX
	VMOVUPS Z6, (DX)
	ADDQ R8, DX
	VMOVUPS Z7, (DX)
	VZEROUPPER
	RET
