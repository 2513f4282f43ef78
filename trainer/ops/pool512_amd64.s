//go:build amd64

#include "textflag.h"

// Even and odd lanes of two concatenated zmm registers (VPERMI2PS indexes),
// and 2q for the 16 outputs of a block (int32).
DATA pool512even<>+0(SB)/4, $0
DATA pool512even<>+4(SB)/4, $2
DATA pool512even<>+8(SB)/4, $4
DATA pool512even<>+12(SB)/4, $6
DATA pool512even<>+16(SB)/4, $8
DATA pool512even<>+20(SB)/4, $10
DATA pool512even<>+24(SB)/4, $12
DATA pool512even<>+28(SB)/4, $14
DATA pool512even<>+32(SB)/4, $16
DATA pool512even<>+36(SB)/4, $18
DATA pool512even<>+40(SB)/4, $20
DATA pool512even<>+44(SB)/4, $22
DATA pool512even<>+48(SB)/4, $24
DATA pool512even<>+52(SB)/4, $26
DATA pool512even<>+56(SB)/4, $28
DATA pool512even<>+60(SB)/4, $30
GLOBL pool512even<>(SB), RODATA|NOPTR, $64

DATA pool512odd<>+0(SB)/4, $1
DATA pool512odd<>+4(SB)/4, $3
DATA pool512odd<>+8(SB)/4, $5
DATA pool512odd<>+12(SB)/4, $7
DATA pool512odd<>+16(SB)/4, $9
DATA pool512odd<>+20(SB)/4, $11
DATA pool512odd<>+24(SB)/4, $13
DATA pool512odd<>+28(SB)/4, $15
DATA pool512odd<>+32(SB)/4, $17
DATA pool512odd<>+36(SB)/4, $19
DATA pool512odd<>+40(SB)/4, $21
DATA pool512odd<>+44(SB)/4, $23
DATA pool512odd<>+48(SB)/4, $25
DATA pool512odd<>+52(SB)/4, $27
DATA pool512odd<>+56(SB)/4, $29
DATA pool512odd<>+60(SB)/4, $31
GLOBL pool512odd<>(SB), RODATA|NOPTR, $64

// LOADMASK(n, k) sets mask register k to the first clamp(n, 0, 16) lanes;
// n (a register) is clobbered. It uses AX and BX.
#define LOADMASK(n, k) \
	XORQ AX, AX; \
	CMPQ n, $0; \
	CMOVQLT AX, n; \
	MOVQ $0xffff, BX; \
	BZHIQ n, BX, AX; \
	KMOVW AX, k

// ROW3(r, first) compares the three windows' values on the input row at
// (r)(R10*4) (the block's first column): E = x[p+2q], O = x[p+2q+1],
// E2 = x[p+2q+2], gathered from the row with VPERMI2PS. The loads are
// masked to the row (K2..K5), so nothing past it is read.
#define ROWLOAD(r) \
	VMOVUPS.Z (r)(R10*4), K2, Z0; \
	VMOVUPS.Z 64(r)(R10*4), K3, Z1; \
	VMOVUPS.Z 8(r)(R10*4), K4, Z2; \
	VMOVUPS.Z 72(r)(R10*4), K5, Z3; \
	VMOVAPS Z20, Z5; \
	VPERMI2PS Z1, Z0, Z5; \
	VMOVAPS Z21, Z6; \
	VPERMI2PS Z1, Z0, Z6; \
	VMOVAPS Z20, Z7; \
	VPERMI2PS Z3, Z2, Z7

// TAKE(cand, off) takes cand where it is greater than the best so far
// (Z8), recording the window offset off (a zmm of int32) in Z9.
#define TAKE(cand, off) \
	VCMPPS $0x1e, Z8, cand, K1; \
	VMOVAPS cand, K1, Z8; \
	VMOVDQA32 off, K1, Z9

// func pool3s2RowAVX512(x *float32, w int, y *float32, arg *int32, base int32, ow int)
//
// Max-pools the ow (>= 1) overlapping 3x3 windows with stride 2 whose top
// rows start at x[2q] (rows x[0:], x[w:], x[2w:] of width w, and
// 2*(ow-1)+2 < w) into y[q], recording in arg[q] the flat index base +
// (offset in x) of each maximum: the first in row-major window order on
// ties (strict > comparisons, so a NaN is taken only as the first value
// of its window), as pool3s2RowAVX. Blocks of 16 outputs; the loads are
// masked to the row and the stores to the outputs.
TEXT ·pool3s2RowAVX512(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), SI
	MOVQ w+8(FP), R8
	MOVQ y+16(FP), DI
	MOVQ arg+24(FP), DX
	MOVLQSX base+32(FP), R12
	MOVQ ow+40(FP), CX
	VMOVDQU32 pool512even<>(SB), Z20
	VMOVDQU32 pool512odd<>(SB), Z21
	// Z22 = 2q, the column of each window of a block.
	VMOVDQU32 pool512even<>(SB), Z22
	// Window offsets 1, 2, w, w+1, w+2, 2w, 2w+1, 2w+2 in Z10..Z17.
	MOVQ $1, AX
	VPBROADCASTD AX, Z10
	MOVQ $2, AX
	VPBROADCASTD AX, Z11
	VPBROADCASTD R8, Z12
	VPADDD Z10, Z12, Z13
	VPADDD Z11, Z12, Z14
	VPADDD Z12, Z12, Z15
	VPADDD Z10, Z15, Z16
	VPADDD Z11, Z15, Z17
	LEAQ (SI)(R8*4), R13  // row 1
	LEAQ (R13)(R8*4), R14 // row 2
	XORQ R10, R10         // p = 2*q0, the block's first column
	XORQ R11, R11         // q0
	TESTQ CX, CX
	JE p512done
p512loop:
	// Load masks: columns p, p+16, p+2, p+18 onward, up to w.
	MOVQ R8, R9
	SUBQ R10, R9
	LOADMASK(R9, K2)
	MOVQ R8, R9
	SUBQ R10, R9
	SUBQ $16, R9
	LOADMASK(R9, K3)
	MOVQ R8, R9
	SUBQ R10, R9
	SUBQ $2, R9
	LOADMASK(R9, K4)
	MOVQ R8, R9
	SUBQ R10, R9
	SUBQ $18, R9
	LOADMASK(R9, K5)
	// Store mask: outputs q0 .. min(q0+16, ow).
	MOVQ CX, R9
	SUBQ R11, R9
	LOADMASK(R9, K6)
	// Row 0: best = E (offset 0), then O (1), E2 (2).
	ROWLOAD(SI)
	VMOVAPS Z5, Z8
	VPXORD Z9, Z9, Z9
	TAKE(Z6, Z10)
	TAKE(Z7, Z11)
	// Row 1: E (w), O (w+1), E2 (w+2).
	ROWLOAD(R13)
	TAKE(Z5, Z12)
	TAKE(Z6, Z13)
	TAKE(Z7, Z14)
	// Row 2: E (2w), O (2w+1), E2 (2w+2).
	ROWLOAD(R14)
	TAKE(Z5, Z15)
	TAKE(Z6, Z16)
	TAKE(Z7, Z17)
	// arg = base + p + 2q + offset.
	MOVQ R12, AX
	ADDQ R10, AX
	VPBROADCASTD AX, Z0
	VPADDD Z22, Z0, Z0
	VPADDD Z0, Z9, Z9
	VMOVUPS Z8, K6, (DI)(R11*4)
	VMOVDQU32 Z9, K6, (DX)(R11*4)
	ADDQ $16, R11
	ADDQ $32, R10
	CMPQ R11, CX
	JLT p512loop
p512done:
	VZEROUPPER
	RET
