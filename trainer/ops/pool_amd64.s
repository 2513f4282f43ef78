//go:build amd64

#include "textflag.h"
#include "shuffle_amd64.h"

// 2q for the eight outputs of a block: the column of each window's top left.
DATA pool2lanes<>+0(SB)/4, $0
DATA pool2lanes<>+4(SB)/4, $2
DATA pool2lanes<>+8(SB)/4, $4
DATA pool2lanes<>+12(SB)/4, $6
DATA pool2lanes<>+16(SB)/4, $8
DATA pool2lanes<>+20(SB)/4, $10
DATA pool2lanes<>+24(SB)/4, $12
DATA pool2lanes<>+28(SB)/4, $14
GLOBL pool2lanes<>(SB), RODATA|NOPTR, $32

// POOL2_OFFSETS sets, from base (AX) and w (R8), the eight lanes' window
// corners base + 2q (Y14), the offsets in a window 1, w and w+1 (Y11,
// Y12, Y13), and the step to the next block, 16 (Y15). It clobbers AX.
#define POOL2_OFFSETS \
	VMOVD AX, X14; \
	VPBROADCASTD X14, Y14; \
	VPADDD pool2lanes<>(SB), Y14, Y14; \
	MOVL $1, AX; \
	VMOVD AX, X11; \
	VPBROADCASTD X11, Y11; \
	MOVL R8, AX; \
	VMOVD AX, X12; \
	VPBROADCASTD X12, Y12; \
	INCL AX; \
	VMOVD AX, X13; \
	VPBROADCASTD X13, Y13; \
	MOVL $16, AX; \
	VMOVD AX, X15; \
	VPBROADCASTD X15, Y15

// func pool2RowsAVX(x *float32, w int, y *float32, arg *int32, base int32, n8, rows int)
//
// Max-pools rows row pairs of x, rows of w = 16*n8 one after another, into
// y[0:8*n8*rows] with 2x2 windows, recording in arg the flat index base +
// (offset in x) of each maximum, the first in row-major window order on
// ties (strict > comparisons, so a NaN is taken only as the first value of
// its window). Evens and odds of each 16 inputs are split with VSHUFPS
// (which interleaves 128-bit lanes) and put back in order with VPERMPD.
TEXT ·pool2RowsAVX(SB), NOSPLIT, $0-56
	MOVQ x+0(FP), SI
	MOVQ w+8(FP), R8
	MOVQ y+16(FP), DI
	MOVQ arg+24(FP), DX
	MOVL base+32(FP), AX
	MOVQ n8+40(FP), R9
	MOVQ rows+48(FP), R10
	POOL2_OFFSETS
	LEAQ (SI)(R8*4), BX
	TESTQ R9, R9
	JE pdone
	TESTQ R10, R10
	JE pdone
prow:
	MOVQ R9, CX
ploop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS (BX), Y2
	VMOVUPS 32(BX), Y3
	DEINT(Y0, Y1, Y4, Y5)
	DEINT(Y2, Y3, Y6, Y7)
	VPXOR Y8, Y8, Y8
	VCMPPS $0x1e, Y4, Y5, Y9
	VBLENDVPS Y9, Y5, Y4, Y4
	VBLENDVPS Y9, Y11, Y8, Y8
	VCMPPS $0x1e, Y4, Y6, Y9
	VBLENDVPS Y9, Y6, Y4, Y4
	VBLENDVPS Y9, Y12, Y8, Y8
	VCMPPS $0x1e, Y4, Y7, Y9
	VBLENDVPS Y9, Y7, Y4, Y4
	VBLENDVPS Y9, Y13, Y8, Y8
	VMOVUPS Y4, (DI)
	VPADDD Y14, Y8, Y10
	VMOVDQU Y10, (DX)
	VPADDD Y15, Y14, Y14
	ADDQ $64, SI
	ADDQ $64, BX
	ADDQ $32, DI
	ADDQ $32, DX
	DECQ CX
	JNZ ploop
	// BX is at the end of the bottom row: the next pair's top row. The
	// indices moved on by w; the next pair starts 2w on.
	MOVQ BX, SI
	LEAQ (SI)(R8*4), BX
	VPADDD Y12, Y14, Y14
	DECQ R10
	JNZ prow
pdone:
	VZEROUPPER
	RET

// func pool2GradRowsAVX(gy, y *float32, relu int, arg *int32, base int32, w int, gx *float32, n8, rows int)
//
// Routes the gradients gy[0:8*n8*rows] of the 2x2 windows of rows row
// pairs, rows of w = 16*n8 one after another, to the inputs recorded in
// arg (flat indices, base + offset in gx), writing every input of the
// rows gx[0:2*w*rows]: gy[q] where
// arg[q] names it, +0 elsewhere; with relu != 0, gy[q] only where the
// pooled y[q] is not ±0 (reluMask's rule: its bits but the sign's not all
// zero). Each window's four offsets from its top left (0, 1, w, w+1) are
// compared with arg - (base + 2q); the matches mask gy (VANDPS, so gy's
// bits are kept), and VUNPCKLPS/VUNPCKHPS with VPERM2F128 interleave the
// left and right columns back into rows.
TEXT ·pool2GradRowsAVX(SB), NOSPLIT, $0-72
	MOVQ gy+0(FP), SI
	MOVQ y+8(FP), R9
	MOVQ relu+16(FP), R10
	MOVQ arg+24(FP), DX
	MOVL base+32(FP), AX
	MOVQ w+40(FP), R8
	MOVQ gx+48(FP), DI
	MOVQ n8+56(FP), R11
	MOVQ rows+64(FP), R12
	POOL2_OFFSETS
	VPXOR Y2, Y2, Y2
	VPCMPEQD Y10, Y10, Y10
	VPSRLD $1, Y10, Y10
	LEAQ (DI)(R8*4), BX
	TESTQ R11, R11
	JE gdone
	TESTQ R12, R12
	JE gdone
gpair:
	MOVQ R11, CX
gloop:
	VMOVDQU (DX), Y0
	VMOVUPS (SI), Y1
	TESTQ R10, R10
	JE gnomask
	VANDPS (R9), Y10, Y3
	VPCMPEQD Y2, Y3, Y3
	VANDNPS Y1, Y3, Y1
	ADDQ $32, R9
gnomask:
	VPSUBD Y14, Y0, Y0
	VPCMPEQD Y2, Y0, Y3
	VPCMPEQD Y11, Y0, Y4
	VPCMPEQD Y12, Y0, Y5
	VPCMPEQD Y13, Y0, Y6
	VANDPS Y1, Y3, Y3
	VANDPS Y1, Y4, Y4
	VANDPS Y1, Y5, Y5
	VANDPS Y1, Y6, Y6
	INTERLEAVE_STORE(Y3, Y4, Y7, Y8, DI)
	INTERLEAVE_STORE(Y5, Y6, Y7, Y8, BX)
	VPADDD Y15, Y14, Y14
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $64, DI
	ADDQ $64, BX
	DECQ CX
	JNZ gloop
	// As in pool2RowsAVX: on to the next row pair.
	MOVQ BX, DI
	LEAQ (DI)(R8*4), BX
	VPADDD Y12, Y14, Y14
	DECQ R12
	JNZ gpair
gdone:
	VZEROUPPER
	RET

// 2q for the eight outputs of a block (int32), and the step to the next
// block: 16 input columns.
DATA pool3lanes<>+0(SB)/4, $0
DATA pool3lanes<>+4(SB)/4, $2
DATA pool3lanes<>+8(SB)/4, $4
DATA pool3lanes<>+12(SB)/4, $6
DATA pool3lanes<>+16(SB)/4, $8
DATA pool3lanes<>+20(SB)/4, $10
DATA pool3lanes<>+24(SB)/4, $12
DATA pool3lanes<>+28(SB)/4, $14
DATA pool3lanes<>+32(SB)/4, $16
DATA pool3lanes<>+36(SB)/4, $16
DATA pool3lanes<>+40(SB)/4, $16
DATA pool3lanes<>+44(SB)/4, $16
DATA pool3lanes<>+48(SB)/4, $16
DATA pool3lanes<>+52(SB)/4, $16
DATA pool3lanes<>+56(SB)/4, $16
DATA pool3lanes<>+60(SB)/4, $16
GLOBL pool3lanes<>(SB), RODATA|NOPTR, $64

// func pool3s2RowAVX(x *float32, w int, y *float32, arg *int32, base int32, n8 int)
//
// Max-pools 3x3 windows with stride 2 whose top rows start at x[2q],
// q < 8*n8 (rows x[0:], x[w:], x[2w:] of width w), into y[q], recording in
// arg[q] the flat index base + (offset in x) of each maximum: the first in
// row-major window order on ties (strict > comparisons, so a NaN is taken
// only as the first value of its window). Per input row and block of 16
// columns p: E = x[p+2q] and O = x[p+2q+1] are the evens and odds of
// x[p:p+16] (VSHUFPS, then VPERMPD to undo the lane interleave), and
// E2 = x[p+2q+2] the evens of x[p+2:p+10] with the odds of x[p+9:p+17], so
// no load reaches past x[p+16].
TEXT ·pool3s2RowAVX(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), SI
	MOVQ w+8(FP), R8
	MOVQ y+16(FP), DI
	MOVQ arg+24(FP), DX
	MOVL base+32(FP), AX
	MOVQ n8+40(FP), CX
	VMOVD AX, X15
	VPBROADCASTD X15, Y15
	VPADDD pool3lanes<>(SB), Y15, Y15
	// Window offsets: 1, 2, w, w+1, w+2, 2w, 2w+1, 2w+2 in Y7..Y14.
	MOVL $1, AX
	VMOVD AX, X7
	VPBROADCASTD X7, Y7
	MOVL $2, AX
	VMOVD AX, X8
	VPBROADCASTD X8, Y8
	MOVL R8, AX
	VMOVD AX, X9
	VPBROADCASTD X9, Y9
	VPADDD Y7, Y9, Y10
	VPADDD Y8, Y9, Y11
	VPADDD Y9, Y9, Y12
	VPADDD Y7, Y12, Y13
	VPADDD Y8, Y12, Y14
	LEAQ (SI)(R8*4), BX
	LEAQ (BX)(R8*4), R9
	TESTQ CX, CX
	JE p3done
p3loop:
	// Row 0: best = E, offset 0; then O (1), E2 (2).
	VMOVUPS (SI), Y2
	VMOVUPS 32(SI), Y3
	VSHUFPS $0xDD, Y3, Y2, Y4
	VSHUFPS $0x88, Y3, Y2, Y0
	VPERMPD $0xD8, Y4, Y4
	VPERMPD $0xD8, Y0, Y0
	VMOVUPS 8(SI), Y3
	VMOVUPS 36(SI), Y6
	VSHUFPS $0xD8, Y6, Y3, Y3
	VPERMPD $0xD8, Y3, Y3
	VPXOR Y1, Y1, Y1
	VCMPPS $0x1e, Y0, Y4, Y5
	VBLENDVPS Y5, Y4, Y0, Y0
	VBLENDVPS Y5, Y7, Y1, Y1
	VCMPPS $0x1e, Y0, Y3, Y5
	VBLENDVPS Y5, Y3, Y0, Y0
	VBLENDVPS Y5, Y8, Y1, Y1
	// Row 1: E (w), O (w+1), E2 (w+2).
	VMOVUPS (BX), Y2
	VMOVUPS 32(BX), Y3
	VSHUFPS $0xDD, Y3, Y2, Y4
	VSHUFPS $0x88, Y3, Y2, Y2
	VPERMPD $0xD8, Y4, Y4
	VPERMPD $0xD8, Y2, Y2
	VMOVUPS 8(BX), Y3
	VMOVUPS 36(BX), Y6
	VSHUFPS $0xD8, Y6, Y3, Y3
	VPERMPD $0xD8, Y3, Y3
	VCMPPS $0x1e, Y0, Y2, Y5
	VBLENDVPS Y5, Y2, Y0, Y0
	VBLENDVPS Y5, Y9, Y1, Y1
	VCMPPS $0x1e, Y0, Y4, Y5
	VBLENDVPS Y5, Y4, Y0, Y0
	VBLENDVPS Y5, Y10, Y1, Y1
	VCMPPS $0x1e, Y0, Y3, Y5
	VBLENDVPS Y5, Y3, Y0, Y0
	VBLENDVPS Y5, Y11, Y1, Y1
	// Row 2: E (2w), O (2w+1), E2 (2w+2).
	VMOVUPS (R9), Y2
	VMOVUPS 32(R9), Y3
	VSHUFPS $0xDD, Y3, Y2, Y4
	VSHUFPS $0x88, Y3, Y2, Y2
	VPERMPD $0xD8, Y4, Y4
	VPERMPD $0xD8, Y2, Y2
	VMOVUPS 8(R9), Y3
	VMOVUPS 36(R9), Y6
	VSHUFPS $0xD8, Y6, Y3, Y3
	VPERMPD $0xD8, Y3, Y3
	VCMPPS $0x1e, Y0, Y2, Y5
	VBLENDVPS Y5, Y2, Y0, Y0
	VBLENDVPS Y5, Y12, Y1, Y1
	VCMPPS $0x1e, Y0, Y4, Y5
	VBLENDVPS Y5, Y4, Y0, Y0
	VBLENDVPS Y5, Y13, Y1, Y1
	VCMPPS $0x1e, Y0, Y3, Y5
	VBLENDVPS Y5, Y3, Y0, Y0
	VBLENDVPS Y5, Y14, Y1, Y1
	VMOVUPS Y0, (DI)
	VPADDD Y15, Y1, Y1
	VMOVDQU Y1, (DX)
	VPADDD pool3lanes<>+32(SB), Y15, Y15
	ADDQ $64, SI
	ADDQ $64, BX
	ADDQ $64, R9
	ADDQ $32, DI
	ADDQ $32, DX
	DECQ CX
	JNZ p3loop
p3done:
	VZEROUPPER
	RET
