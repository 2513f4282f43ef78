//go:build amd64

#include "textflag.h"
#include "shuffle_amd64.h"

// STORE4 stores four tiles' values of one row i of a transform at DI,
// DI + ldv, DI + 2*ldv and DI + 3*ldv (R9 is ldv, R11 3*ldv, in bytes).
#define STORE4(a, b, c, d) \
	VMOVUPS a, (DI); \
	VMOVUPS b, (DI)(R9*1); \
	VMOVUPS c, (DI)(R9*2); \
	VMOVUPS d, (DI)(R11*1)

// WINO_IN_ROW computes row i of Bᵀ d B for eight tiles from the rows
// combined as a OP b (OP one of VSUBPS, VADDPS: Go order, so "VSUBPS b, a"
// is a - b), at offsets 0 and 2 of the block, and stores its four values
// at DI + (4i+j)*ldv. Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1].
#define WINO_IN_ROW(OP, ra, rb, i) \
	VMOVUPS (ra), Y0; \
	VMOVUPS 32(ra), Y1; \
	VMOVUPS 8(ra), Y2; \
	VMOVUPS 40(ra), Y3; \
	OP (rb), Y0, Y0; \
	OP 32(rb), Y1, Y1; \
	OP 8(rb), Y2, Y2; \
	OP 40(rb), Y3, Y3; \
	DEINT(Y0, Y1, Y4, Y5); \
	DEINT(Y2, Y3, Y6, Y7); \
	VSUBPS Y6, Y4, Y8; \
	VADDPS Y6, Y5, Y9; \
	VSUBPS Y5, Y6, Y10; \
	VSUBPS Y7, Y5, Y11; \
	STORE4(Y8, Y9, Y10, Y11); \
	ADDQ R12, DI

// func winoInputAVX(xp *float32, ldx int, v *float32, ldv int, nb, rows int)
//
// The Winograd F(2x2, 3x3) input transform V = Bᵀ d B of rows rows of 8*nb
// tiles: d is the 4x4 block of the padded plane xp (rows ldx apart) at row
// 2r, column 2t of tile t of tile row r; V's element (i, j) of that tile
// goes to v[(4i+j)*ldv + r*8*nb + t]. Each row of Bᵀ combines two rows of xp (at columns
// 16b..16b+15 and 16b+2..16b+17 of block b), whose even and odd values
// then give the four columns: per element
//
//	r = d[a][*] op d[b][*];  V[i][0] = r0 - r2, V[i][1] = r1 + r2,
//	V[i][2] = r2 - r1, V[i][3] = r1 - r3
//
// with (a, op, b) = (0, -, 2), (1, +, 2), (2, -, 1), (1, -, 3) for i = 0..3
// (winoInput, the Go version, does the same operations in the same order).
// Requires AVX2.
TEXT ·winoInputAVX(SB), NOSPLIT, $0-48
	MOVQ xp+0(FP), R13
	MOVQ ldx+8(FP), R8
	MOVQ v+16(FP), R14
	MOVQ ldv+24(FP), R9
	MOVQ nb+32(FP), R15
	MOVQ rows+40(FP), CX
	SHLQ $2, R8            // row stride in bytes
	SHLQ $2, R9            // ldv in bytes
	LEAQ (R9)(R9*2), R11   // 3*ldv
	MOVQ R9, R12
	SHLQ $2, R12           // 4*ldv: from row i's outputs to row i+1's
	TESTQ R15, R15
	JE idone
	TESTQ CX, CX
	JE idone
irow:
	MOVQ R13, SI           // row 0 of the tile row
	LEAQ (SI)(R8*1), AX    // row 1
	LEAQ (AX)(R8*1), BX    // row 2
	LEAQ (BX)(R8*1), R10   // row 3
	MOVQ R14, DX
	MOVQ R15, DI
	SHLQ $5, DI            // 8*nb tiles in bytes
	ADDQ DI, R14           // the next tile row's V
	LEAQ (R13)(R8*2), R13  // and its rows, 2 down
	MOVQ R15, CX
iloop:
	MOVQ DX, DI
	WINO_IN_ROW(VSUBPS, SI, BX, 0)
	WINO_IN_ROW(VADDPS, AX, BX, 1)
	WINO_IN_ROW(VSUBPS, BX, AX, 2)
	WINO_IN_ROW(VSUBPS, AX, R10, 3)
	ADDQ $64, SI
	ADDQ $64, AX
	ADDQ $64, BX
	ADDQ $64, R10
	ADDQ $32, DX
	DECQ CX
	JNZ iloop
	DECQ rows+40(FP)
	JNZ irow
idone:
	VZEROUPPER
	RET

// WINO_OUT_COL loads column j of eight tiles' M (m0j..m3j at DX, DX +
// 4*ldm, ...: R9 is ldm in bytes) and computes s = (m0j + m1j) + m2j and
// d = (m1j - m2j) - m3j.
#define WINO_OUT_COL(s, d) \
	VMOVUPS (DX), Y0; \
	LEAQ (DX)(R9*4), R12; \
	VMOVUPS (R12), Y1; \
	LEAQ (R12)(R9*4), R12; \
	VMOVUPS (R12), Y2; \
	LEAQ (R12)(R9*4), R12; \
	VMOVUPS (R12), Y3; \
	VADDPS Y1, Y0, s; \
	VADDPS Y2, s, s; \
	VSUBPS Y2, Y1, d; \
	VSUBPS Y3, d, d

// func winoOutputAVX(m *float32, ldm int, y *float32, w int, bias *float32, flags int, nb, rows int)
//
// The Winograd F(2x2, 3x3) output transform Y = Aᵀ M A of rows rows of
// 8*nb tiles, Aᵀ = [1 1 1 0; 0 1 -1 -1]: element (i, j) of tile t of tile
// row r is m[(4i+j)*ldm + r*8*nb + t]; its 2x2 output goes to rows 2r and
// 2r+1 (rows w apart) of y at columns 2t, 2t+1. Per tile, in this order:
//
//	s_j = (m0j + m1j) + m2j,  d_j = (m1j - m2j) - m3j
//	y00 = (s0 + s1) + s2, y01 = (s1 - s2) - s3
//	y10 = (d0 + d1) + d2, y11 = (d1 - d2) - d3
//
// then + *bias when flags&1, and max(v, 0) (a NaN staying NaN) when
// flags&2 (winoOutput, the Go version, does the same). Requires AVX2.
TEXT ·winoOutputAVX(SB), NOSPLIT, $0-64
	MOVQ m+0(FP), SI
	MOVQ ldm+8(FP), R9
	MOVQ y+16(FP), DI
	MOVQ w+24(FP), R8
	MOVQ bias+32(FP), AX
	MOVQ flags+40(FP), R10
	MOVQ nb+48(FP), R13
	MOVQ rows+56(FP), R14
	SHLQ $2, R9
	SHLQ $2, R8
	LEAQ (DI)(R8*1), BX    // row 1 of y
	VXORPS Y15, Y15, Y15
	VXORPS Y14, Y14, Y14
	TESTQ $1, R10
	JE onobias
	VBROADCASTSS (AX), Y14
onobias:
	LEAQ (R9)(R9*2), R11   // 3*ldm
	TESTQ R13, R13
	JE odone
	TESTQ R14, R14
	JE odone
orow:
	MOVQ R13, CX
oloop:
	MOVQ SI, DX
	// column j: m0j..m3j at DX + (4i+j)*ldm
	WINO_OUT_COL(Y4, Y5)   // s0, d0
	ADDQ R9, DX
	WINO_OUT_COL(Y6, Y7)   // s1, d1
	ADDQ R9, DX
	WINO_OUT_COL(Y8, Y9)   // s2, d2
	ADDQ R9, DX
	WINO_OUT_COL(Y10, Y11) // s3, d3
	// y00 = (s0 + s1) + s2, y01 = (s1 - s2) - s3
	VADDPS Y6, Y4, Y0
	VADDPS Y8, Y0, Y0
	VSUBPS Y8, Y6, Y1
	VSUBPS Y10, Y1, Y1
	// y10 = (d0 + d1) + d2, y11 = (d1 - d2) - d3
	VADDPS Y7, Y5, Y2
	VADDPS Y9, Y2, Y2
	VSUBPS Y9, Y7, Y3
	VSUBPS Y11, Y3, Y3
	TESTQ $1, R10
	JE onoadd
	VADDPS Y14, Y0, Y0
	VADDPS Y14, Y1, Y1
	VADDPS Y14, Y2, Y2
	VADDPS Y14, Y3, Y3
onoadd:
	TESTQ $2, R10
	JE onorelu
	// Intel MAXPS returns its second source when either is NaN: max(0, v).
	VMAXPS Y0, Y15, Y0
	VMAXPS Y1, Y15, Y1
	VMAXPS Y2, Y15, Y2
	VMAXPS Y3, Y15, Y3
onorelu:
	// Interleave columns 2t (y?0) and 2t+1 (y?1) into rows.
	INTERLEAVE_STORE(Y0, Y1, Y4, Y5, DI)
	INTERLEAVE_STORE(Y2, Y3, Y4, Y5, BX)
	ADDQ $32, SI
	ADDQ $64, DI
	ADDQ $64, BX
	DECQ CX
	JNZ oloop
	// DI is at the end of row 2r, BX of row 2r+1: the next tile row
	// starts where BX is.
	MOVQ BX, DI
	LEAQ (DI)(R8*1), BX
	DECQ R14
	JNZ orow
odone:
	VZEROUPPER
	RET

// func winoGradAVX(gy *float32, w int, dm *float32, ldm int, nb, rows int)
//
// The gradient of the Winograd output transform, dM = A g Aᵀ, of rows
// rows of 8*nb tiles: g is tile t's 2x2 block of gy (rows 2r and 2r+1, w
// apart, columns 2t and 2t+1) and element (i, j) of its dM goes to
// dm[(4i+j)*ldm + r*8*nb + t]. Per tile, in this order, with
// A = [1 0; 1 1; 1 -1; 0 -1]:
//
//	h_a0 = g_a0, h_a1 = g_a0 + g_a1, h_a2 = g_a0 - g_a1, h_a3 = 0 - g_a1
//	dM_0j = h_0j, dM_1j = h_0j + h_1j, dM_2j = h_0j - h_1j, dM_3j = 0 - h_1j
//
// (winoGrad, the Go version, does the same). Requires AVX2.
TEXT ·winoGradAVX(SB), NOSPLIT, $0-48
	MOVQ gy+0(FP), SI
	MOVQ w+8(FP), R8
	MOVQ dm+16(FP), R14
	MOVQ ldm+24(FP), R9
	MOVQ nb+32(FP), R15
	MOVQ rows+40(FP), CX
	SHLQ $2, R8
	SHLQ $2, R9
	LEAQ (R9)(R9*2), R11   // 3*ldm
	MOVQ R9, R12
	SHLQ $2, R12           // 4*ldm
	VXORPS Y15, Y15, Y15
	TESTQ R15, R15
	JE gdone
	TESTQ CX, CX
	JE gdone
grow2:
	LEAQ (SI)(R8*1), BX    // row 2r+1
	MOVQ R14, DX
	MOVQ R15, DI
	SHLQ $5, DI            // 8*nb tiles in bytes
	ADDQ DI, R14           // the next tile row's dM
	MOVQ R15, CX
gloop2:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS (BX), Y2
	VMOVUPS 32(BX), Y3
	DEINT(Y0, Y1, Y4, Y5)  // g00, g01
	DEINT(Y2, Y3, Y6, Y7)  // g10, g11
	// h0j: Y4, Y8, Y9, Y10; h1j: Y6, Y11, Y12, Y13
	VADDPS Y5, Y4, Y8
	VSUBPS Y5, Y4, Y9
	VSUBPS Y5, Y15, Y10
	VADDPS Y7, Y6, Y11
	VSUBPS Y7, Y6, Y12
	VSUBPS Y7, Y15, Y13
	MOVQ DX, DI
	// i = 0: h0j
	STORE4(Y4, Y8, Y9, Y10)
	ADDQ R12, DI
	// i = 1: h0j + h1j
	VADDPS Y6, Y4, Y0
	VADDPS Y11, Y8, Y1
	VADDPS Y12, Y9, Y2
	VADDPS Y13, Y10, Y3
	STORE4(Y0, Y1, Y2, Y3)
	ADDQ R12, DI
	// i = 2: h0j - h1j
	VSUBPS Y6, Y4, Y0
	VSUBPS Y11, Y8, Y1
	VSUBPS Y12, Y9, Y2
	VSUBPS Y13, Y10, Y3
	STORE4(Y0, Y1, Y2, Y3)
	ADDQ R12, DI
	// i = 3: 0 - h1j
	VSUBPS Y6, Y15, Y0
	VSUBPS Y11, Y15, Y1
	VSUBPS Y12, Y15, Y2
	VSUBPS Y13, Y15, Y3
	STORE4(Y0, Y1, Y2, Y3)
	ADDQ $64, SI
	ADDQ $64, BX
	ADDQ $32, DX
	DECQ CX
	JNZ gloop2
	MOVQ BX, SI            // the next tile row: gy rows 2r+2, 2r+3
	DECQ rows+40(FP)
	JNZ grow2
gdone:
	VZEROUPPER
	RET
