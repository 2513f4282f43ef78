//go:build amd64

#include "textflag.h"

// func lrnForwardAVX(win *float32, m, hw int, xc, y, d *float32, n8 int, k, alpha float32)
//
// For 8*n8 pixels i: s = sum over the m planes win[t*hw + i] (t in order,
// from 0) of v*v; d[i] = k + alpha*s; y[i] = xc[i] / (sqrt(d) *
// sqrt(sqrt(d))). Separate multiplies and adds (no FMA), as lrnKernel's
// portable code, so both give the same bits. m >= 1.
TEXT ·lrnForwardAVX(SB), NOSPLIT, $0-64
	MOVQ win+0(FP), SI
	MOVQ m+8(FP), R8
	MOVQ hw+16(FP), R9
	SHLQ $2, R9
	MOVQ xc+24(FP), R10
	MOVQ y+32(FP), DI
	MOVQ d+40(FP), DX
	MOVQ n8+48(FP), CX
	VBROADCASTSS k+56(FP), Y14
	VBROADCASTSS alpha+60(FP), Y15
	TESTQ CX, CX
	JE fdone
floop:
	VXORPS Y0, Y0, Y0
	MOVQ SI, BX
	MOVQ R8, AX
fwin:
	VMOVUPS (BX), Y1
	VMULPS Y1, Y1, Y1
	VADDPS Y1, Y0, Y0
	ADDQ R9, BX
	DECQ AX
	JNZ fwin
	VMULPS Y15, Y0, Y0
	VADDPS Y14, Y0, Y0
	VMOVUPS Y0, (DX)
	VSQRTPS Y0, Y2
	VSQRTPS Y2, Y3
	VMULPS Y3, Y2, Y2
	VMOVUPS (R10), Y4
	VDIVPS Y2, Y4, Y4
	VMOVUPS Y4, (DI)
	ADDQ $32, SI
	ADDQ $32, R10
	ADDQ $32, DI
	ADDQ $32, DX
	DECQ CX
	JNZ floop
fdone:
	VZEROUPPER
	RET

// func lrnQuotientAVX(q, gy, y, d *float32, n8 int)
//
// q[i] = (gy[i]*y[i]) / d[i] for 8*n8 values.
TEXT ·lrnQuotientAVX(SB), NOSPLIT, $0-40
	MOVQ q+0(FP), DI
	MOVQ gy+8(FP), SI
	MOVQ y+16(FP), BX
	MOVQ d+24(FP), DX
	MOVQ n8+32(FP), CX
	TESTQ CX, CX
	JE qdone
qloop:
	VMOVUPS (SI), Y0
	VMULPS (BX), Y0, Y0
	VDIVPS (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, BX
	ADDQ $32, DX
	ADDQ $32, DI
	DECQ CX
	JNZ qloop
qdone:
	VZEROUPPER
	RET

// func lrnBackwardAVX(win *float32, m, hw int, x, gy, d, gx *float32, n8 int, c2 float32)
//
// For 8*n8 pixels i: s = sum over the m planes win[t*hw + i] (t in order,
// from 0); gx[i] = gy[i] / (sqrt(d) * sqrt(sqrt(d))) - (c2*x[i])*s, in the
// order lrnKernel's portable code uses. m >= 1.
TEXT ·lrnBackwardAVX(SB), NOSPLIT, $0-68
	MOVQ win+0(FP), SI
	MOVQ m+8(FP), R8
	MOVQ hw+16(FP), R9
	SHLQ $2, R9
	MOVQ x+24(FP), R10
	MOVQ gy+32(FP), R11
	MOVQ d+40(FP), DX
	MOVQ gx+48(FP), DI
	MOVQ n8+56(FP), CX
	VBROADCASTSS c2+64(FP), Y15
	TESTQ CX, CX
	JE bdone
bloop:
	VXORPS Y0, Y0, Y0
	MOVQ SI, BX
	MOVQ R8, AX
bwin:
	VADDPS (BX), Y0, Y0
	ADDQ R9, BX
	DECQ AX
	JNZ bwin
	VMOVUPS (DX), Y2
	VSQRTPS Y2, Y2
	VSQRTPS Y2, Y3
	VMULPS Y3, Y2, Y2
	VMOVUPS (R11), Y4
	VDIVPS Y2, Y4, Y4
	VMOVUPS (R10), Y5
	VMULPS Y15, Y5, Y5
	VMULPS Y0, Y5, Y5
	VSUBPS Y5, Y4, Y4
	VMOVUPS Y4, (DI)
	ADDQ $32, SI
	ADDQ $32, R10
	ADDQ $32, R11
	ADDQ $32, DX
	ADDQ $32, DI
	DECQ CX
	JNZ bloop
bdone:
	VZEROUPPER
	RET

// The AVX-512 versions: the same operations on 16 pixels at a time in zmm
// registers (VSQRTPS and VDIVPS are correctly rounded at every width), so
// the bits are the same.

// func lrnForward512(win *float32, m, hw int, xc, y, d *float32, n16 int, k, alpha float32)
//
// For 16*n16 pixels i: s = sum over the m planes win[t*hw + i] (t in order,
// from 0) of v*v; d[i] = k + alpha*s; y[i] = xc[i] / (sqrt(d) *
// sqrt(sqrt(d))). Separate multiplies and adds (no FMA), as lrnKernel's
// portable code, so both give the same bits. m >= 1.
TEXT ·lrnForward512(SB), NOSPLIT, $0-64
	MOVQ win+0(FP), SI
	MOVQ m+8(FP), R8
	MOVQ hw+16(FP), R9
	SHLQ $2, R9
	MOVQ xc+24(FP), R10
	MOVQ y+32(FP), DI
	MOVQ d+40(FP), DX
	MOVQ n16+48(FP), CX
	VBROADCASTSS k+56(FP), Z14
	VBROADCASTSS alpha+60(FP), Z15
	TESTQ CX, CX
	JE fdonez
floopz:
	VPXORD Z0, Z0, Z0
	MOVQ SI, BX
	MOVQ R8, AX
fwinz:
	VMOVUPS (BX), Z1
	VMULPS Z1, Z1, Z1
	VADDPS Z1, Z0, Z0
	ADDQ R9, BX
	DECQ AX
	JNZ fwinz
	VMULPS Z15, Z0, Z0
	VADDPS Z14, Z0, Z0
	VMOVUPS Z0, (DX)
	VSQRTPS Z0, Z2
	VSQRTPS Z2, Z3
	VMULPS Z3, Z2, Z2
	VMOVUPS (R10), Z4
	VDIVPS Z2, Z4, Z4
	VMOVUPS Z4, (DI)
	ADDQ $64, SI
	ADDQ $64, R10
	ADDQ $64, DI
	ADDQ $64, DX
	DECQ CX
	JNZ floopz
fdonez:
	VZEROUPPER
	RET

// func lrnQuotient512(q, gy, y, d *float32, n16 int)
//
// q[i] = (gy[i]*y[i]) / d[i] for 16*n16 values.
TEXT ·lrnQuotient512(SB), NOSPLIT, $0-40
	MOVQ q+0(FP), DI
	MOVQ gy+8(FP), SI
	MOVQ y+16(FP), BX
	MOVQ d+24(FP), DX
	MOVQ n16+32(FP), CX
	TESTQ CX, CX
	JE qdonez
qloopz:
	VMOVUPS (SI), Z0
	VMULPS (BX), Z0, Z0
	VDIVPS (DX), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, BX
	ADDQ $64, DX
	ADDQ $64, DI
	DECQ CX
	JNZ qloopz
qdonez:
	VZEROUPPER
	RET

// func lrnBackward512(win *float32, m, hw int, x, gy, d, gx *float32, n16 int, c2 float32)
//
// For 16*n16 pixels i: s = sum over the m planes win[t*hw + i] (t in order,
// from 0); gx[i] = gy[i] / (sqrt(d) * sqrt(sqrt(d))) - (c2*x[i])*s, in the
// order lrnKernel's portable code uses. m >= 1.
TEXT ·lrnBackward512(SB), NOSPLIT, $0-68
	MOVQ win+0(FP), SI
	MOVQ m+8(FP), R8
	MOVQ hw+16(FP), R9
	SHLQ $2, R9
	MOVQ x+24(FP), R10
	MOVQ gy+32(FP), R11
	MOVQ d+40(FP), DX
	MOVQ gx+48(FP), DI
	MOVQ n16+56(FP), CX
	VBROADCASTSS c2+64(FP), Z15
	TESTQ CX, CX
	JE bdonez
bloopz:
	VPXORD Z0, Z0, Z0
	MOVQ SI, BX
	MOVQ R8, AX
bwinz:
	VADDPS (BX), Z0, Z0
	ADDQ R9, BX
	DECQ AX
	JNZ bwinz
	VMOVUPS (DX), Z2
	VSQRTPS Z2, Z2
	VSQRTPS Z2, Z3
	VMULPS Z3, Z2, Z2
	VMOVUPS (R11), Z4
	VDIVPS Z2, Z4, Z4
	VMOVUPS (R10), Z5
	VMULPS Z15, Z5, Z5
	VMULPS Z0, Z5, Z5
	VSUBPS Z5, Z4, Z4
	VMOVUPS Z4, (DI)
	ADDQ $64, SI
	ADDQ $64, R10
	ADDQ $64, R11
	ADDQ $64, DX
	ADDQ $64, DI
	DECQ CX
	JNZ bloopz
bdonez:
	VZEROUPPER
	RET
