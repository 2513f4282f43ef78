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

// PLOOP(step, abytes, run, loop, tail, next, done) runs the CX k steps of
// a kernel reading B packed, with step (STEP12, STEP8 or STEP4: abytes of A
// a step), A in runs (RUNARGS, RUNLEN: seg in AX, the gap's bytes in BX),
// two steps a loop trip; run, loop, tail and next are its labels, done the
// caller's, where the k steps end.
#define PLOOP(step, abytes, run, loop, tail, next, done) \
	TESTQ CX, CX; \
	JE done; \
run: \
	RUNLEN(1, 1); \
	JE tail; \
loop: \
	step(0, 0, Z28, Z29); \
	step(abytes, 128, Z26, Z27); \
	ADDQ $(2*abytes), SI; \
	ADDQ $256, DI; \
	DECQ R9; \
	JNZ loop; \
tail: \
	TESTQ R12, R12; \
	JE next; \
	step(0, 0, Z28, Z29); \
	ADDQ $abytes, SI; \
	ADDQ $128, DI; \
next: \
	ADDQ BX, SI; \
	TESTQ CX, CX; \
	JNE run

// func kernel12x32(k int, a, b, c *float32, ldc int, flags int, bias *float32, seg, gap int)
//
// Accumulators: Z0..Z23 hold the rows of the tile, two per row; two k steps
// per iteration (B rows in Z28, Z29 and Z26, Z27); the epilogue is
// FINISH12x32 (tile512_amd64.h).
TEXT ·kernel12x32(SB), NOSPLIT, $0-72
	PARGS(48)
	ZEROZ24
	PLOOP(STEP12, 48, run12, loop12, tail12, next12, store12)
store12:
	STORE12x32

// func kernel8x32(k int, a, b, c *float32, ldc int, flags int, bias *float32, seg, gap int)
//
// Accumulators: Z0..Z15 hold the rows of the tile, two per row; two k steps
// per iteration (B rows in Z28, Z29 and Z26, Z27); the epilogue is
// FINISH8x32 (tile512_amd64.h).
TEXT ·kernel8x32(SB), NOSPLIT, $0-72
	PARGS(32)
	ZEROZ16
	PLOOP(STEP8, 32, run8, loop8, tail8, next8, store8)
store8:
	STORE8x32

// func kernel4x32(k int, a, b, c *float32, ldc int, flags int, bias *float32, seg, gap int)
//
// Accumulators: Z0..Z7 hold the rows of the tile, two per row; two k steps
// per iteration (B rows in Z28, Z29 and Z26, Z27); the epilogue is
// FINISH4x32 (tile512_amd64.h).
TEXT ·kernel4x32(SB), NOSPLIT, $0-72
	PARGS(16)
	ZEROZ8
	PLOOP(STEP4, 16, run4, loop4, tail4, next4, store4)
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

// GLOOP(step, abytes, loop, tail, done) runs the CX k steps of a gather
// kernel with step (GSTEP12, GSTEP8 or GSTEP4: abytes of A a step), two a
// loop trip (R14 counts them); loop and tail are its labels, done the
// caller's, where the k steps end.
#define GLOOP(step, abytes, loop, tail, done) \
	TESTQ CX, CX; \
	JE done; \
	MOVQ CX, R14; \
	SHRQ $1, R14; \
	ANDQ $1, CX; \
	TESTQ R14, R14; \
	JE tail; \
loop: \
	step(0, 0, Z28, Z29); \
	step(abytes, 4, Z26, Z27); \
	ADDQ $(2*abytes), SI; \
	ADDQ $8, BX; \
	DECQ R14; \
	JNZ loop; \
tail: \
	TESTQ CX, CX; \
	JE done; \
	step(0, 0, Z28, Z29)

// func kernel12x32g(k int, a *float32, x0, x1 *float32, offs *int32, c *float32, ldc int, flags int, bias *float32)
//
// kernel12x32 with row p of B read in place: x0[offs[p]:][:16] then
// x1[offs[p]:][:16].
TEXT ·kernel12x32g(SB), NOSPLIT, $0-72
	GARGS
	ZEROZ24
	GLOOP(GSTEP12, 48, loopg12, tailg12, storeg12)
storeg12:
	STORE12x32

// func kernel8x32g(k int, a *float32, x0, x1 *float32, offs *int32, c *float32, ldc int, flags int, bias *float32)
//
// kernel8x32 with row p of B read in place: x0[offs[p]:][:16] then
// x1[offs[p]:][:16].
TEXT ·kernel8x32g(SB), NOSPLIT, $0-72
	GARGS
	ZEROZ16
	GLOOP(GSTEP8, 32, loopg8, tailg8, storeg8)
storeg8:
	STORE8x32

// func kernel4x32g(k int, a *float32, x0, x1 *float32, offs *int32, c *float32, ldc int, flags int, bias *float32)
//
// kernel4x32 with row p of B read in place: x0[offs[p]:][:16] then
// x1[offs[p]:][:16].
TEXT ·kernel4x32g(SB), NOSPLIT, $0-72
	GARGS
	ZEROZ8
	GLOOP(GSTEP4, 16, loopg4, tailg4, storeg4)
storeg4:
	STORE4x32
