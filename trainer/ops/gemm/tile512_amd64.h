// The shared pieces of the AVX-512 micro-kernels (kernel512_amd64.s,
// half512_amd64.s): loading the arguments, clearing the accumulators, the
// multiply-adds of a k step, and the epilogues. A tile 32 wide holds row
// i in Z(2i) (columns 0..15) and Z(2i+1) (16..31); a tile 16 wide (the
// half-width kernels) row i in Z(i). Each macro for n rows is the one for
// n-4 rows followed by four more.

// PARGS(rowBytes) loads a kernel's arguments (k, a, b, c, ldc, flags,
// bias, seg, gap; see kernel12x32) into CX, SI, DI, DX, R8 (ldc in bytes),
// R10, R11, and seg and gap into AX and BX (RUNARGS, rowBytes of A a k
// step).
#define PARGS(rowBytes) \
	MOVQ k+0(FP), CX; \
	MOVQ a+8(FP), SI; \
	MOVQ b+16(FP), DI; \
	MOVQ c+24(FP), DX; \
	MOVQ ldc+32(FP), R8; \
	MOVQ flags+40(FP), R10; \
	MOVQ bias+48(FP), R11; \
	SHLQ $2, R8; \
	RUNARGS(rowBytes)

// GARGS loads a gather kernel's arguments (see kernel12x32g): k into CX,
// a into SI, x0 and x1 into R12 and R13, offs into BX, c into DX, ldc (in
// bytes) into R8, flags into R10 and bias into R11.
#define GARGS \
	MOVQ k+0(FP), CX; \
	MOVQ a+8(FP), SI; \
	MOVQ x0+16(FP), R12; \
	MOVQ x1+24(FP), R13; \
	MOVQ offs+32(FP), BX; \
	MOVQ c+40(FP), DX; \
	MOVQ ldc+48(FP), R8; \
	MOVQ flags+56(FP), R10; \
	MOVQ bias+64(FP), R11; \
	SHLQ $2, R8

// ZEROZn clears Z0..Z(n-1).
#define ZEROZ4 \
	VPXORD Z0, Z0, Z0; \
	VPXORD Z1, Z1, Z1; \
	VPXORD Z2, Z2, Z2; \
	VPXORD Z3, Z3, Z3

#define ZEROZ8 \
	ZEROZ4; \
	VPXORD Z4, Z4, Z4; \
	VPXORD Z5, Z5, Z5; \
	VPXORD Z6, Z6, Z6; \
	VPXORD Z7, Z7, Z7

#define ZEROZ12 \
	ZEROZ8; \
	VPXORD Z8, Z8, Z8; \
	VPXORD Z9, Z9, Z9; \
	VPXORD Z10, Z10, Z10; \
	VPXORD Z11, Z11, Z11

#define ZEROZ16 \
	ZEROZ12; \
	VPXORD Z12, Z12, Z12; \
	VPXORD Z13, Z13, Z13; \
	VPXORD Z14, Z14, Z14; \
	VPXORD Z15, Z15, Z15

#define ZEROZ24 \
	ZEROZ16; \
	VPXORD Z16, Z16, Z16; \
	VPXORD Z17, Z17, Z17; \
	VPXORD Z18, Z18, Z18; \
	VPXORD Z19, Z19, Z19; \
	VPXORD Z20, Z20, Z20; \
	VPXORD Z21, Z21, Z21; \
	VPXORD Z22, Z22, Z22; \
	VPXORD Z23, Z23, Z23

// FMAnx32(aoff, b0, b1) multiplies the row of B in b0, b1 by each of the
// n values of A at aoff(SI) (broadcast into Z30 and Z31 in turn) and adds
// the products into rows 0..n-1.
#define FMA4x32(aoff, b0, b1) \
	VBROADCASTSS aoff+0(SI), Z30; \
	VFMADD231PS b0, Z30, Z0; \
	VFMADD231PS b1, Z30, Z1; \
	VBROADCASTSS aoff+4(SI), Z31; \
	VFMADD231PS b0, Z31, Z2; \
	VFMADD231PS b1, Z31, Z3; \
	VBROADCASTSS aoff+8(SI), Z30; \
	VFMADD231PS b0, Z30, Z4; \
	VFMADD231PS b1, Z30, Z5; \
	VBROADCASTSS aoff+12(SI), Z31; \
	VFMADD231PS b0, Z31, Z6; \
	VFMADD231PS b1, Z31, Z7

#define FMA8x32(aoff, b0, b1) \
	FMA4x32(aoff, b0, b1); \
	VBROADCASTSS aoff+16(SI), Z30; \
	VFMADD231PS b0, Z30, Z8; \
	VFMADD231PS b1, Z30, Z9; \
	VBROADCASTSS aoff+20(SI), Z31; \
	VFMADD231PS b0, Z31, Z10; \
	VFMADD231PS b1, Z31, Z11; \
	VBROADCASTSS aoff+24(SI), Z30; \
	VFMADD231PS b0, Z30, Z12; \
	VFMADD231PS b1, Z30, Z13; \
	VBROADCASTSS aoff+28(SI), Z31; \
	VFMADD231PS b0, Z31, Z14; \
	VFMADD231PS b1, Z31, Z15

#define FMA12x32(aoff, b0, b1) \
	FMA8x32(aoff, b0, b1); \
	VBROADCASTSS aoff+32(SI), Z30; \
	VFMADD231PS b0, Z30, Z16; \
	VFMADD231PS b1, Z30, Z17; \
	VBROADCASTSS aoff+36(SI), Z31; \
	VFMADD231PS b0, Z31, Z18; \
	VFMADD231PS b1, Z31, Z19; \
	VBROADCASTSS aoff+40(SI), Z30; \
	VFMADD231PS b0, Z30, Z20; \
	VFMADD231PS b1, Z30, Z21; \
	VBROADCASTSS aoff+44(SI), Z31; \
	VFMADD231PS b0, Z31, Z22; \
	VFMADD231PS b1, Z31, Z23

// FMAnx16z(aoff, b) is FMAnx32 for a row of B 16 wide in b, each value of
// A broadcast by VFMADD231PS itself.
#define FMA4x16z(aoff, b) \
	VFMADD231PS.BCST aoff+0(SI), b, Z0; \
	VFMADD231PS.BCST aoff+4(SI), b, Z1; \
	VFMADD231PS.BCST aoff+8(SI), b, Z2; \
	VFMADD231PS.BCST aoff+12(SI), b, Z3

#define FMA8x16z(aoff, b) \
	FMA4x16z(aoff, b); \
	VFMADD231PS.BCST aoff+16(SI), b, Z4; \
	VFMADD231PS.BCST aoff+20(SI), b, Z5; \
	VFMADD231PS.BCST aoff+24(SI), b, Z6; \
	VFMADD231PS.BCST aoff+28(SI), b, Z7

#define FMA12x16z(aoff, b) \
	FMA8x16z(aoff, b); \
	VFMADD231PS.BCST aoff+32(SI), b, Z8; \
	VFMADD231PS.BCST aoff+36(SI), b, Z9; \
	VFMADD231PS.BCST aoff+40(SI), b, Z10; \
	VFMADD231PS.BCST aoff+44(SI), b, Z11

// The epilogue's steps for n rows: ADDCn adds the rows of C from R9 on
// (R8 bytes apart), BIASn adds bias[i] (R11) to row i, MAXn takes max(Z30,
// v), SAVEn stores the rows from DX on, leaving DX at the last.
#define ADDC4x32 \
	VADDPS (R9), Z0, Z0; \
	VADDPS 64(R9), Z1, Z1; \
	ADDQ R8, R9; \
	VADDPS (R9), Z2, Z2; \
	VADDPS 64(R9), Z3, Z3; \
	ADDQ R8, R9; \
	VADDPS (R9), Z4, Z4; \
	VADDPS 64(R9), Z5, Z5; \
	ADDQ R8, R9; \
	VADDPS (R9), Z6, Z6; \
	VADDPS 64(R9), Z7, Z7

#define ADDC8x32 \
	ADDC4x32; \
	ADDQ R8, R9; \
	VADDPS (R9), Z8, Z8; \
	VADDPS 64(R9), Z9, Z9; \
	ADDQ R8, R9; \
	VADDPS (R9), Z10, Z10; \
	VADDPS 64(R9), Z11, Z11; \
	ADDQ R8, R9; \
	VADDPS (R9), Z12, Z12; \
	VADDPS 64(R9), Z13, Z13; \
	ADDQ R8, R9; \
	VADDPS (R9), Z14, Z14; \
	VADDPS 64(R9), Z15, Z15

#define ADDC12x32 \
	ADDC8x32; \
	ADDQ R8, R9; \
	VADDPS (R9), Z16, Z16; \
	VADDPS 64(R9), Z17, Z17; \
	ADDQ R8, R9; \
	VADDPS (R9), Z18, Z18; \
	VADDPS 64(R9), Z19, Z19; \
	ADDQ R8, R9; \
	VADDPS (R9), Z20, Z20; \
	VADDPS 64(R9), Z21, Z21; \
	ADDQ R8, R9; \
	VADDPS (R9), Z22, Z22; \
	VADDPS 64(R9), Z23, Z23

#define BIAS4x32 \
	VBROADCASTSS 0(R11), Z30; \
	VADDPS Z30, Z0, Z0; \
	VADDPS Z30, Z1, Z1; \
	VBROADCASTSS 4(R11), Z30; \
	VADDPS Z30, Z2, Z2; \
	VADDPS Z30, Z3, Z3; \
	VBROADCASTSS 8(R11), Z30; \
	VADDPS Z30, Z4, Z4; \
	VADDPS Z30, Z5, Z5; \
	VBROADCASTSS 12(R11), Z30; \
	VADDPS Z30, Z6, Z6; \
	VADDPS Z30, Z7, Z7

#define BIAS8x32 \
	BIAS4x32; \
	VBROADCASTSS 16(R11), Z30; \
	VADDPS Z30, Z8, Z8; \
	VADDPS Z30, Z9, Z9; \
	VBROADCASTSS 20(R11), Z30; \
	VADDPS Z30, Z10, Z10; \
	VADDPS Z30, Z11, Z11; \
	VBROADCASTSS 24(R11), Z30; \
	VADDPS Z30, Z12, Z12; \
	VADDPS Z30, Z13, Z13; \
	VBROADCASTSS 28(R11), Z30; \
	VADDPS Z30, Z14, Z14; \
	VADDPS Z30, Z15, Z15

#define BIAS12x32 \
	BIAS8x32; \
	VBROADCASTSS 32(R11), Z30; \
	VADDPS Z30, Z16, Z16; \
	VADDPS Z30, Z17, Z17; \
	VBROADCASTSS 36(R11), Z30; \
	VADDPS Z30, Z18, Z18; \
	VADDPS Z30, Z19, Z19; \
	VBROADCASTSS 40(R11), Z30; \
	VADDPS Z30, Z20, Z20; \
	VADDPS Z30, Z21, Z21; \
	VBROADCASTSS 44(R11), Z30; \
	VADDPS Z30, Z22, Z22; \
	VADDPS Z30, Z23, Z23

#define MAX4x32 \
	VMAXPS Z0, Z30, Z0; \
	VMAXPS Z1, Z30, Z1; \
	VMAXPS Z2, Z30, Z2; \
	VMAXPS Z3, Z30, Z3; \
	VMAXPS Z4, Z30, Z4; \
	VMAXPS Z5, Z30, Z5; \
	VMAXPS Z6, Z30, Z6; \
	VMAXPS Z7, Z30, Z7

#define MAX8x32 \
	MAX4x32; \
	VMAXPS Z8, Z30, Z8; \
	VMAXPS Z9, Z30, Z9; \
	VMAXPS Z10, Z30, Z10; \
	VMAXPS Z11, Z30, Z11; \
	VMAXPS Z12, Z30, Z12; \
	VMAXPS Z13, Z30, Z13; \
	VMAXPS Z14, Z30, Z14; \
	VMAXPS Z15, Z30, Z15

#define MAX12x32 \
	MAX8x32; \
	VMAXPS Z16, Z30, Z16; \
	VMAXPS Z17, Z30, Z17; \
	VMAXPS Z18, Z30, Z18; \
	VMAXPS Z19, Z30, Z19; \
	VMAXPS Z20, Z30, Z20; \
	VMAXPS Z21, Z30, Z21; \
	VMAXPS Z22, Z30, Z22; \
	VMAXPS Z23, Z30, Z23

#define SAVE4x32 \
	VMOVUPS Z0, (DX); \
	VMOVUPS Z1, 64(DX); \
	ADDQ R8, DX; \
	VMOVUPS Z2, (DX); \
	VMOVUPS Z3, 64(DX); \
	ADDQ R8, DX; \
	VMOVUPS Z4, (DX); \
	VMOVUPS Z5, 64(DX); \
	ADDQ R8, DX; \
	VMOVUPS Z6, (DX); \
	VMOVUPS Z7, 64(DX)

#define SAVE8x32 \
	SAVE4x32; \
	ADDQ R8, DX; \
	VMOVUPS Z8, (DX); \
	VMOVUPS Z9, 64(DX); \
	ADDQ R8, DX; \
	VMOVUPS Z10, (DX); \
	VMOVUPS Z11, 64(DX); \
	ADDQ R8, DX; \
	VMOVUPS Z12, (DX); \
	VMOVUPS Z13, 64(DX); \
	ADDQ R8, DX; \
	VMOVUPS Z14, (DX); \
	VMOVUPS Z15, 64(DX)

#define SAVE12x32 \
	SAVE8x32; \
	ADDQ R8, DX; \
	VMOVUPS Z16, (DX); \
	VMOVUPS Z17, 64(DX); \
	ADDQ R8, DX; \
	VMOVUPS Z18, (DX); \
	VMOVUPS Z19, 64(DX); \
	ADDQ R8, DX; \
	VMOVUPS Z20, (DX); \
	VMOVUPS Z21, 64(DX); \
	ADDQ R8, DX; \
	VMOVUPS Z22, (DX); \
	VMOVUPS Z23, 64(DX)

#define ADDC4x16z \
	VADDPS (R9), Z0, Z0; \
	ADDQ R8, R9; \
	VADDPS (R9), Z1, Z1; \
	ADDQ R8, R9; \
	VADDPS (R9), Z2, Z2; \
	ADDQ R8, R9; \
	VADDPS (R9), Z3, Z3

#define ADDC8x16z \
	ADDC4x16z; \
	ADDQ R8, R9; \
	VADDPS (R9), Z4, Z4; \
	ADDQ R8, R9; \
	VADDPS (R9), Z5, Z5; \
	ADDQ R8, R9; \
	VADDPS (R9), Z6, Z6; \
	ADDQ R8, R9; \
	VADDPS (R9), Z7, Z7

#define ADDC12x16z \
	ADDC8x16z; \
	ADDQ R8, R9; \
	VADDPS (R9), Z8, Z8; \
	ADDQ R8, R9; \
	VADDPS (R9), Z9, Z9; \
	ADDQ R8, R9; \
	VADDPS (R9), Z10, Z10; \
	ADDQ R8, R9; \
	VADDPS (R9), Z11, Z11

#define BIAS4x16z \
	VADDPS.BCST 0(R11), Z0, Z0; \
	VADDPS.BCST 4(R11), Z1, Z1; \
	VADDPS.BCST 8(R11), Z2, Z2; \
	VADDPS.BCST 12(R11), Z3, Z3

#define BIAS8x16z \
	BIAS4x16z; \
	VADDPS.BCST 16(R11), Z4, Z4; \
	VADDPS.BCST 20(R11), Z5, Z5; \
	VADDPS.BCST 24(R11), Z6, Z6; \
	VADDPS.BCST 28(R11), Z7, Z7

#define BIAS12x16z \
	BIAS8x16z; \
	VADDPS.BCST 32(R11), Z8, Z8; \
	VADDPS.BCST 36(R11), Z9, Z9; \
	VADDPS.BCST 40(R11), Z10, Z10; \
	VADDPS.BCST 44(R11), Z11, Z11

#define MAX4x16z \
	VMAXPS Z0, Z30, Z0; \
	VMAXPS Z1, Z30, Z1; \
	VMAXPS Z2, Z30, Z2; \
	VMAXPS Z3, Z30, Z3

#define MAX8x16z \
	MAX4x16z; \
	VMAXPS Z4, Z30, Z4; \
	VMAXPS Z5, Z30, Z5; \
	VMAXPS Z6, Z30, Z6; \
	VMAXPS Z7, Z30, Z7

#define MAX12x16z \
	MAX8x16z; \
	VMAXPS Z8, Z30, Z8; \
	VMAXPS Z9, Z30, Z9; \
	VMAXPS Z10, Z30, Z10; \
	VMAXPS Z11, Z30, Z11

#define SAVE4x16z \
	VMOVUPS Z0, (DX); \
	ADDQ R8, DX; \
	VMOVUPS Z1, (DX); \
	ADDQ R8, DX; \
	VMOVUPS Z2, (DX); \
	ADDQ R8, DX; \
	VMOVUPS Z3, (DX)

#define SAVE8x16z \
	SAVE4x16z; \
	ADDQ R8, DX; \
	VMOVUPS Z4, (DX); \
	ADDQ R8, DX; \
	VMOVUPS Z5, (DX); \
	ADDQ R8, DX; \
	VMOVUPS Z6, (DX); \
	ADDQ R8, DX; \
	VMOVUPS Z7, (DX)

#define SAVE12x16z \
	SAVE8x16z; \
	ADDQ R8, DX; \
	VMOVUPS Z8, (DX); \
	ADDQ R8, DX; \
	VMOVUPS Z9, (DX); \
	ADDQ R8, DX; \
	VMOVUPS Z10, (DX); \
	ADDQ R8, DX; \
	VMOVUPS Z11, (DX)

// FINISHn finishes the tile in its accumulators: by the flags in R10, 1
// adds C (rows R8 bytes apart from DX), 2 adds bias[i] (R11) to row i, 4
// takes max(0, v) (VMAXPS with 0 as the first source returns v when v is
// NaN); then it stores the tile at DX, leaving DX at its last row. It uses
// R9 and Z30; without flag 1, C is not read. STOREn is FINISHn, then
// VZEROUPPER and RET.
#define FINISH12x32 \
	TESTQ $1, R10; \
	JE noadd; \
	MOVQ DX, R9; \
	ADDC12x32; \
noadd: \
	TESTQ $2, R10; \
	JE nobias; \
	BIAS12x32; \
nobias: \
	TESTQ $4, R10; \
	JE norelu; \
	VPXORD Z30, Z30, Z30; \
	MAX12x32; \
norelu: \
	SAVE12x32

#define FINISH8x32 \
	TESTQ $1, R10; \
	JE noadd; \
	MOVQ DX, R9; \
	ADDC8x32; \
noadd: \
	TESTQ $2, R10; \
	JE nobias; \
	BIAS8x32; \
nobias: \
	TESTQ $4, R10; \
	JE norelu; \
	VPXORD Z30, Z30, Z30; \
	MAX8x32; \
norelu: \
	SAVE8x32

#define FINISH4x32 \
	TESTQ $1, R10; \
	JE noadd; \
	MOVQ DX, R9; \
	ADDC4x32; \
noadd: \
	TESTQ $2, R10; \
	JE nobias; \
	BIAS4x32; \
nobias: \
	TESTQ $4, R10; \
	JE norelu; \
	VPXORD Z30, Z30, Z30; \
	MAX4x32; \
norelu: \
	SAVE4x32

#define FINISH12x16z \
	TESTQ $1, R10; \
	JE noadd; \
	MOVQ DX, R9; \
	ADDC12x16z; \
noadd: \
	TESTQ $2, R10; \
	JE nobias; \
	BIAS12x16z; \
nobias: \
	TESTQ $4, R10; \
	JE norelu; \
	VPXORD Z30, Z30, Z30; \
	MAX12x16z; \
norelu: \
	SAVE12x16z

#define FINISH8x16z \
	TESTQ $1, R10; \
	JE noadd; \
	MOVQ DX, R9; \
	ADDC8x16z; \
noadd: \
	TESTQ $2, R10; \
	JE nobias; \
	BIAS8x16z; \
nobias: \
	TESTQ $4, R10; \
	JE norelu; \
	VPXORD Z30, Z30, Z30; \
	MAX8x16z; \
norelu: \
	SAVE8x16z

#define FINISH4x16z \
	TESTQ $1, R10; \
	JE noadd; \
	MOVQ DX, R9; \
	ADDC4x16z; \
noadd: \
	TESTQ $2, R10; \
	JE nobias; \
	BIAS4x16z; \
nobias: \
	TESTQ $4, R10; \
	JE norelu; \
	VPXORD Z30, Z30, Z30; \
	MAX4x16z; \
norelu: \
	SAVE4x16z

#define STORE12x32 \
	FINISH12x32; \
	VZEROUPPER; \
	RET

#define STORE8x32 \
	FINISH8x32; \
	VZEROUPPER; \
	RET

#define STORE4x32 \
	FINISH4x32; \
	VZEROUPPER; \
	RET

#define STORE12x16z \
	FINISH12x16z; \
	VZEROUPPER; \
	RET

#define STORE8x16z \
	FINISH8x16z; \
	VZEROUPPER; \
	RET

#define STORE4x16z \
	FINISH4x16z; \
	VZEROUPPER; \
	RET
