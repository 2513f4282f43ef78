//go:build amd64

#include "textflag.h"
#include "runs_amd64.h"
#include "tile512_amd64.h"

// The AVX-512 micro-kernels: kernel6x16 (kernel_amd64.s) for panels of 12,
// 8 and 4 rows of A and packed panels of B 32 wide (two zmm registers a
// row), with the same arithmetic: each value of the tile is one chain of
// VFMADD231PS along k, in order, then the same epilogue, so they give the
// same bits as the AVX2 kernels. A 12x32 tile keeps 24 accumulators; each
// k step loads a row of B (two registers) and broadcasts 12 values of A,
// 14 loads for 24 multiply-adds. Every kernel (AVX2's and the half-width
// ones too) reads A in runs of seg steps with gap steps skipped after each
// (runs_amd64.h; seg >= k is the plain product); the depth loop of a run
// is unrolled as before.

// STEPn(aoff, boff, b0, b1) is one k step of an n-row kernel: the packed
// row of B at boff(DI) into b0, b1, times each of the n values of A at
// aoff(SI) (broadcast into Z30 and Z31 in turn), added into Z0..Z(2n-1):
// row i in Z(2i) (columns 0..15) and Z(2i+1) (16..31).
#define STEP12(aoff, boff, b0, b1) \
	VMOVUPS boff(DI), b0; \
	VMOVUPS boff+64(DI), b1; \
	FMA12x32(aoff, b0, b1)

#define STEP8(aoff, boff, b0, b1) \
	VMOVUPS boff(DI), b0; \
	VMOVUPS boff+64(DI), b1; \
	FMA8x32(aoff, b0, b1)

#define STEP4(aoff, boff, b0, b1) \
	VMOVUPS boff(DI), b0; \
	VMOVUPS boff+64(DI), b1; \
	FMA4x32(aoff, b0, b1)

// func kernel12x32(k int, a, b, c *float32, ldc int, flags int, bias *float32, seg, gap int)
//
// Accumulators: Z0..Z23 hold the rows of the tile, two per row; two k steps
// per iteration (B rows in Z28, Z29 and Z26, Z27); the epilogue is
// FINISH12x32 (tile512_amd64.h).
TEXT ·kernel12x32(SB), NOSPLIT, $0-72
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	MOVQ flags+40(FP), R10
	MOVQ bias+48(FP), R11
	SHLQ $2, R8
	RUNARGS(48)
	ZEROZ24
	TESTQ CX, CX
	JE store12
run_kernel12x32:
	RUNLEN(1, 1)
	JE tail12
loop12:
	STEP12(0, 0, Z28, Z29)
	STEP12(48, 128, Z26, Z27)
	ADDQ $96, SI
	ADDQ $256, DI
	DECQ R9
	JNZ loop12
tail12:
	TESTQ R12, R12
	JE next_kernel12x32
	STEP12(0, 0, Z28, Z29)
	ADDQ $48, SI
	ADDQ $128, DI
next_kernel12x32:
	ADDQ BX, SI
	TESTQ CX, CX
	JNE run_kernel12x32
store12:
	STORE12x32

// func kernel8x32(k int, a, b, c *float32, ldc int, flags int, bias *float32, seg, gap int)
//
// Accumulators: Z0..Z15 hold the rows of the tile, two per row; two k steps
// per iteration (B rows in Z28, Z29 and Z26, Z27); the epilogue is
// FINISH8x32 (tile512_amd64.h).
TEXT ·kernel8x32(SB), NOSPLIT, $0-72
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	MOVQ flags+40(FP), R10
	MOVQ bias+48(FP), R11
	SHLQ $2, R8
	RUNARGS(32)
	ZEROZ16
	TESTQ CX, CX
	JE store8
run_kernel8x32:
	RUNLEN(1, 1)
	JE tail8
loop8:
	STEP8(0, 0, Z28, Z29)
	STEP8(32, 128, Z26, Z27)
	ADDQ $64, SI
	ADDQ $256, DI
	DECQ R9
	JNZ loop8
tail8:
	TESTQ R12, R12
	JE next_kernel8x32
	STEP8(0, 0, Z28, Z29)
	ADDQ $32, SI
	ADDQ $128, DI
next_kernel8x32:
	ADDQ BX, SI
	TESTQ CX, CX
	JNE run_kernel8x32
store8:
	STORE8x32

// func kernel4x32(k int, a, b, c *float32, ldc int, flags int, bias *float32, seg, gap int)
//
// Accumulators: Z0..Z7 hold the rows of the tile, two per row; two k steps
// per iteration (B rows in Z28, Z29 and Z26, Z27); the epilogue is
// FINISH4x32 (tile512_amd64.h).
TEXT ·kernel4x32(SB), NOSPLIT, $0-72
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	MOVQ flags+40(FP), R10
	MOVQ bias+48(FP), R11
	SHLQ $2, R8
	RUNARGS(16)
	ZEROZ8
	TESTQ CX, CX
	JE store4
run_kernel4x32:
	RUNLEN(1, 1)
	JE tail4
loop4:
	STEP4(0, 0, Z28, Z29)
	STEP4(16, 128, Z26, Z27)
	ADDQ $32, SI
	ADDQ $256, DI
	DECQ R9
	JNZ loop4
tail4:
	TESTQ R12, R12
	JE next_kernel4x32
	STEP4(0, 0, Z28, Z29)
	ADDQ $16, SI
	ADDQ $128, DI
next_kernel4x32:
	ADDQ BX, SI
	TESTQ CX, CX
	JNE run_kernel4x32
store4:
	STORE4x32

// The gather variants: B read in place from two sources at the offsets of a
// Gather (see Workspace.MulGather), one offset load per k step.

#define GSTEP12(aoff, ooff, b0, b1) \
	MOVLQSX ooff(BX), R9; \
	VMOVUPS (R12)(R9*4), b0; \
	VMOVUPS (R13)(R9*4), b1; \
	FMA12x32(aoff, b0, b1)

#define GSTEP8(aoff, ooff, b0, b1) \
	MOVLQSX ooff(BX), R9; \
	VMOVUPS (R12)(R9*4), b0; \
	VMOVUPS (R13)(R9*4), b1; \
	FMA8x32(aoff, b0, b1)

#define GSTEP4(aoff, ooff, b0, b1) \
	MOVLQSX ooff(BX), R9; \
	VMOVUPS (R12)(R9*4), b0; \
	VMOVUPS (R13)(R9*4), b1; \
	FMA4x32(aoff, b0, b1)

// func kernel12x32g(k int, a *float32, x0, x1 *float32, offs *int32, c *float32, ldc int, flags int, bias *float32)
//
// kernel12x32 with row p of B read in place: x0[offs[p]:][:16] then
// x1[offs[p]:][:16].
TEXT ·kernel12x32g(SB), NOSPLIT, $0-72
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ x0+16(FP), R12
	MOVQ x1+24(FP), R13
	MOVQ offs+32(FP), BX
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R8
	MOVQ flags+56(FP), R10
	MOVQ bias+64(FP), R11
	SHLQ $2, R8
	ZEROZ24
	TESTQ CX, CX
	JE storeg12
	MOVQ CX, R14
	SHRQ $1, R14
	ANDQ $1, CX
	TESTQ R14, R14
	JE tailg12
loopg12:
	GSTEP12(0, 0, Z28, Z29)
	GSTEP12(48, 4, Z26, Z27)
	ADDQ $96, SI
	ADDQ $8, BX
	DECQ R14
	JNZ loopg12
tailg12:
	TESTQ CX, CX
	JE storeg12
	GSTEP12(0, 0, Z28, Z29)
storeg12:
	STORE12x32

// func kernel8x32g(k int, a *float32, x0, x1 *float32, offs *int32, c *float32, ldc int, flags int, bias *float32)
//
// kernel8x32 with row p of B read in place: x0[offs[p]:][:16] then
// x1[offs[p]:][:16].
TEXT ·kernel8x32g(SB), NOSPLIT, $0-72
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ x0+16(FP), R12
	MOVQ x1+24(FP), R13
	MOVQ offs+32(FP), BX
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R8
	MOVQ flags+56(FP), R10
	MOVQ bias+64(FP), R11
	SHLQ $2, R8
	ZEROZ16
	TESTQ CX, CX
	JE storeg8
	MOVQ CX, R14
	SHRQ $1, R14
	ANDQ $1, CX
	TESTQ R14, R14
	JE tailg8
loopg8:
	GSTEP8(0, 0, Z28, Z29)
	GSTEP8(32, 4, Z26, Z27)
	ADDQ $64, SI
	ADDQ $8, BX
	DECQ R14
	JNZ loopg8
tailg8:
	TESTQ CX, CX
	JE storeg8
	GSTEP8(0, 0, Z28, Z29)
storeg8:
	STORE8x32

// func kernel4x32g(k int, a *float32, x0, x1 *float32, offs *int32, c *float32, ldc int, flags int, bias *float32)
//
// kernel4x32 with row p of B read in place: x0[offs[p]:][:16] then
// x1[offs[p]:][:16].
TEXT ·kernel4x32g(SB), NOSPLIT, $0-72
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ x0+16(FP), R12
	MOVQ x1+24(FP), R13
	MOVQ offs+32(FP), BX
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R8
	MOVQ flags+56(FP), R10
	MOVQ bias+64(FP), R11
	SHLQ $2, R8
	ZEROZ8
	TESTQ CX, CX
	JE storeg4
	MOVQ CX, R14
	SHRQ $1, R14
	ANDQ $1, CX
	TESTQ R14, R14
	JE tailg4
loopg4:
	GSTEP4(0, 0, Z28, Z29)
	GSTEP4(16, 4, Z26, Z27)
	ADDQ $32, SI
	ADDQ $8, BX
	DECQ R14
	JNZ loopg4
tailg4:
	TESTQ CX, CX
	JE storeg4
	GSTEP4(0, 0, Z28, Z29)
storeg4:
	STORE4x32
