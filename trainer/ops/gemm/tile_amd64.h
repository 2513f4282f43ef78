// The epilogues of the AVX2 micro-kernels (and, below, the clearing of
// their accumulators and the multiply-adds of a k step), shared by those
// that read B packed (kernel6x16, kernel4x16, column16) and in place
// (kernel6x16g, kernel4x16g, gatherColumn16).
// Each finishes the tile in its accumulators: by the flags in
// R10, 1 adds C (rows R8 bytes apart from DX), 2 adds bias[i] (R11) to row
// i, 4 takes max(0, v) (VMAXPS with 0 as the first operand returns v when v
// is NaN); then it stores the tile at DX, leaving DX at its last row. It
// uses R9, Y12 and Y13. STORE6x16 and STORE4x16 then return.

// The epilogue's steps for rows 0..3 (4x16) or 0..5 (6x16, the 4x16 one
// and two rows more): ADDC adds the rows of C from R9 on (R8
// bytes apart), BIAS adds bias[i] (R11) to row i, MAX takes max(Y12, v),
// SAVE stores the rows from DX on, leaving DX at the last.
#define ADDC4x16 \
	VADDPS (R9), Y0, Y0; \
	VADDPS 32(R9), Y1, Y1; \
	ADDQ R8, R9; \
	VADDPS (R9), Y2, Y2; \
	VADDPS 32(R9), Y3, Y3; \
	ADDQ R8, R9; \
	VADDPS (R9), Y4, Y4; \
	VADDPS 32(R9), Y5, Y5; \
	ADDQ R8, R9; \
	VADDPS (R9), Y6, Y6; \
	VADDPS 32(R9), Y7, Y7

#define ADDC6x16 \
	ADDC4x16; \
	ADDQ R8, R9; \
	VADDPS (R9), Y8, Y8; \
	VADDPS 32(R9), Y9, Y9; \
	ADDQ R8, R9; \
	VADDPS (R9), Y10, Y10; \
	VADDPS 32(R9), Y11, Y11

#define BIAS4x16 \
	VBROADCASTSS 0(R11), Y12; \
	VADDPS Y12, Y0, Y0; \
	VADDPS Y12, Y1, Y1; \
	VBROADCASTSS 4(R11), Y13; \
	VADDPS Y13, Y2, Y2; \
	VADDPS Y13, Y3, Y3; \
	VBROADCASTSS 8(R11), Y12; \
	VADDPS Y12, Y4, Y4; \
	VADDPS Y12, Y5, Y5; \
	VBROADCASTSS 12(R11), Y13; \
	VADDPS Y13, Y6, Y6; \
	VADDPS Y13, Y7, Y7

#define BIAS6x16 \
	BIAS4x16; \
	VBROADCASTSS 16(R11), Y12; \
	VADDPS Y12, Y8, Y8; \
	VADDPS Y12, Y9, Y9; \
	VBROADCASTSS 20(R11), Y13; \
	VADDPS Y13, Y10, Y10; \
	VADDPS Y13, Y11, Y11

#define MAX4x16 \
	VMAXPS Y0, Y12, Y0; \
	VMAXPS Y1, Y12, Y1; \
	VMAXPS Y2, Y12, Y2; \
	VMAXPS Y3, Y12, Y3; \
	VMAXPS Y4, Y12, Y4; \
	VMAXPS Y5, Y12, Y5; \
	VMAXPS Y6, Y12, Y6; \
	VMAXPS Y7, Y12, Y7

#define MAX6x16 \
	MAX4x16; \
	VMAXPS Y8, Y12, Y8; \
	VMAXPS Y9, Y12, Y9; \
	VMAXPS Y10, Y12, Y10; \
	VMAXPS Y11, Y12, Y11

#define SAVE4x16 \
	VMOVUPS Y0, (DX); \
	VMOVUPS Y1, 32(DX); \
	ADDQ R8, DX; \
	VMOVUPS Y2, (DX); \
	VMOVUPS Y3, 32(DX); \
	ADDQ R8, DX; \
	VMOVUPS Y4, (DX); \
	VMOVUPS Y5, 32(DX); \
	ADDQ R8, DX; \
	VMOVUPS Y6, (DX); \
	VMOVUPS Y7, 32(DX)

#define SAVE6x16 \
	SAVE4x16; \
	ADDQ R8, DX; \
	VMOVUPS Y8, (DX); \
	VMOVUPS Y9, 32(DX); \
	ADDQ R8, DX; \
	VMOVUPS Y10, (DX); \
	VMOVUPS Y11, 32(DX)

// FINISH6x16 and FINISH4x16 finish rows 0..5 in Y0..Y11 (0..3 in Y0..Y7),
// two ymm a row; their labels differ, as the column kernels use both.
#define FINISH6x16 \
	TESTQ $1, R10; \
	JE noadd; \
	MOVQ DX, R9; \
	ADDC6x16; \
noadd: \
	TESTQ $2, R10; \
	JE nobias; \
	BIAS6x16; \
nobias: \
	TESTQ $4, R10; \
	JE norelu; \
	VXORPS Y12, Y12, Y12; \
	MAX6x16; \
norelu: \
	SAVE6x16

#define FINISH4x16 \
	TESTQ $1, R10; \
	JE noadd4; \
	MOVQ DX, R9; \
	ADDC4x16; \
noadd4: \
	TESTQ $2, R10; \
	JE nobias4; \
	BIAS4x16; \
nobias4: \
	TESTQ $4, R10; \
	JE norelu4; \
	VXORPS Y12, Y12, Y12; \
	MAX4x16; \
norelu4: \
	SAVE4x16

#define STORE6x16 \
	FINISH6x16; \
	VZEROUPPER; \
	RET

#define STORE4x16 \
	FINISH4x16; \
	VZEROUPPER; \
	RET

// ZERO6 and ZERO4 clear the accumulators of a 6x16 and a 4x16 tile.
#define ZERO4 \
	VXORPS Y0, Y0, Y0; \
	VXORPS Y1, Y1, Y1; \
	VXORPS Y2, Y2, Y2; \
	VXORPS Y3, Y3, Y3; \
	VXORPS Y4, Y4, Y4; \
	VXORPS Y5, Y5, Y5; \
	VXORPS Y6, Y6, Y6; \
	VXORPS Y7, Y7, Y7

#define ZERO6 \
	ZERO4; \
	VXORPS Y8, Y8, Y8; \
	VXORPS Y9, Y9, Y9; \
	VXORPS Y10, Y10, Y10; \
	VXORPS Y11, Y11, Y11

// FMA6x16(aoff) and FMA4x16(aoff) are the multiply-adds of one k step: the
// row of B in Y12, Y13 times each A value at SI+aoff (broadcast into Y14
// and Y15 in turn), added into rows 0..5 (0..3): row i in Y(2i), Y(2i+1).
#define FMA4x16(aoff) \
	VBROADCASTSS aoff+0(SI), Y14; \
	VFMADD231PS Y12, Y14, Y0; \
	VFMADD231PS Y13, Y14, Y1; \
	VBROADCASTSS aoff+4(SI), Y15; \
	VFMADD231PS Y12, Y15, Y2; \
	VFMADD231PS Y13, Y15, Y3; \
	VBROADCASTSS aoff+8(SI), Y14; \
	VFMADD231PS Y12, Y14, Y4; \
	VFMADD231PS Y13, Y14, Y5; \
	VBROADCASTSS aoff+12(SI), Y15; \
	VFMADD231PS Y12, Y15, Y6; \
	VFMADD231PS Y13, Y15, Y7

#define FMA6x16(aoff) \
	FMA4x16(aoff); \
	VBROADCASTSS aoff+16(SI), Y14; \
	VFMADD231PS Y12, Y14, Y8; \
	VFMADD231PS Y13, Y14, Y9; \
	VBROADCASTSS aoff+20(SI), Y15; \
	VFMADD231PS Y12, Y15, Y10; \
	VFMADD231PS Y13, Y15, Y11

// PSTEP6(aoff, boff) and PSTEP4(aoff, boff) are one k step with B packed:
// its row at DI+boff into Y12, Y13, then FMA6x16 (FMA4x16).
#define PSTEP6(aoff, boff) \
	VMOVUPS boff(DI), Y12; \
	VMOVUPS boff+32(DI), Y13; \
	FMA6x16(aoff)

#define PSTEP4(aoff, boff) \
	VMOVUPS boff(DI), Y12; \
	VMOVUPS boff+32(DI), Y13; \
	FMA4x16(aoff)
