//go:build amd64

#include "textflag.h"

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

// func pool2RowAVX(x *float32, w int, y *float32, arg *int32, base int32, n8 int)
//
// Max-pools the row pair x[0:w], x[w:2w] into y[0:8*n8] with 2x2 windows,
// recording in arg the flat index base + (offset in x) of each maximum, the
// first in row-major window order on ties (strict > comparisons, so a NaN
// is taken only as the first value of its window). Evens and odds of each
// 16 inputs are split with VSHUFPS (which interleaves 128-bit lanes) and
// put back in order with VPERMPD.
TEXT ·pool2RowAVX(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), SI
	MOVQ w+8(FP), R8
	MOVQ y+16(FP), DI
	MOVQ arg+24(FP), DX
	MOVL base+32(FP), AX
	MOVQ n8+40(FP), CX
	VMOVD AX, X14
	VPBROADCASTD X14, Y14
	VPADDD pool2lanes<>(SB), Y14, Y14
	MOVL $1, AX
	VMOVD AX, X11
	VPBROADCASTD X11, Y11
	MOVL R8, AX
	VMOVD AX, X12
	VPBROADCASTD X12, Y12
	INCL AX
	VMOVD AX, X13
	VPBROADCASTD X13, Y13
	MOVL $16, AX
	VMOVD AX, X15
	VPBROADCASTD X15, Y15
	LEAQ (SI)(R8*4), BX
	TESTQ CX, CX
	JE pdone
ploop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS (BX), Y2
	VMOVUPS 32(BX), Y3
	VSHUFPS $0x88, Y1, Y0, Y4
	VSHUFPS $0xDD, Y1, Y0, Y5
	VSHUFPS $0x88, Y3, Y2, Y6
	VSHUFPS $0xDD, Y3, Y2, Y7
	VPERMPD $0xD8, Y4, Y4
	VPERMPD $0xD8, Y5, Y5
	VPERMPD $0xD8, Y6, Y6
	VPERMPD $0xD8, Y7, Y7
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
pdone:
	VZEROUPPER
	RET
