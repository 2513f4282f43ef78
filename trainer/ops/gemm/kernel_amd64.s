//go:build amd64

#include "textflag.h"
#include "runs_amd64.h"
#include "tile_amd64.h"

// PLOOP(step, abytes, run, loop, tail, loop1, next, done) runs the CX k
// steps of a tile reading A in runs (RUNARGS, RUNLEN: seg in AX, the
// gap's bytes in BX) at SI and the packed B at DI, with step (PSTEP6 or
// PSTEP4: abytes of A a step), four steps a loop trip; run, loop, tail,
// loop1 and next are its labels, and done the caller's, where the k steps
// end.
#define PLOOP(step, abytes, run, loop, tail, loop1, next, done) \
	TESTQ CX, CX; \
	JE done; \
run: \
	RUNLEN(3, 2); \
	JE tail; \
loop: \
	step(0, 0); \
	step(abytes, 64); \
	step(2*abytes, 128); \
	step(3*abytes, 192); \
	ADDQ $(4*abytes), SI; \
	ADDQ $256, DI; \
	DECQ R9; \
	JNZ loop; \
tail: \
	TESTQ R12, R12; \
	JE next; \
loop1: \
	step(0, 0); \
	ADDQ $abytes, SI; \
	ADDQ $64, DI; \
	DECQ R12; \
	JNZ loop1; \
next: \
	ADDQ BX, SI; \
	TESTQ CX, CX; \
	JNE run;

// func kernel6x16(k int, a, b, c *float32, ldc int, flags int, bias *float32, seg, gap int)
//
// Accumulators: Y0..Y11 hold rows 0..5 of the tile, two ymm per row.
// Y12, Y13 hold one packed row of B; Y14, Y15 hold broadcast A values.
// The epilogue, by flags: 1 adds C, 2 adds bias[i] to row i, 4 takes
// max(0, v) (VMAXPS with 0 as the first operand returns v when v is NaN);
// then the tile is stored. Without flag 1, C is not read.
TEXT ·kernel6x16(SB), NOSPLIT, $0-72
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	MOVQ flags+40(FP), R10
	MOVQ bias+48(FP), R11
	SHLQ $2, R8
	RUNARGS(24)
	ZERO6
	PLOOP(PSTEP6, 24, run_kernel6x16, loop4, tail, loop1, next_kernel6x16, store)
store:
	STORE6x16

// func kernel4x16(k int, a, b, c *float32, ldc int, flags int, bias *float32, seg, gap int)
//
// kernel6x16 for a 4-row panel of A (4 values per k step): accumulators
// Y0..Y7 hold rows 0..3; the same epilogue flags.
TEXT ·kernel4x16(SB), NOSPLIT, $0-72
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	MOVQ flags+40(FP), R10
	MOVQ bias+48(FP), R11
	SHLQ $2, R8
	RUNARGS(16)
	ZERO4
	PLOOP(PSTEP4, 16, run_kernel4x16, loop4x4, tail4, loop1x4, next_kernel4x16, store4)
store4:
	STORE4x16

// DOTSUM(y, x, off) adds the sum of the eight lanes of y (x, its lower
// half) to the value at DX+off, in a fixed order: the upper half added to
// the lower, then two horizontal adds. It uses X15.
#define DOTSUM(y, x, off) \
	VEXTRACTF128 $1, y, X15; \
	VADDPS X15, x, x; \
	VHADDPS x, x, x; \
	VHADDPS x, x, x; \
	VADDSS off(DX), x, x; \
	VMOVSS x, off(DX)

// func dotKernel4x3(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int)
//
// C[i][j] += sum_{p<k} a[i*lda+p] * b[j*ldb+p] for i < 4, j < 3; k is a
// multiple of 8. Accumulator Y(3i+j) holds 8 partial sums, reduced in a
// fixed order at the end. Y12..Y14 hold rows of B, Y15 a row of A.
TEXT ·dotKernel4x3(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R10
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), R12
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R8
	SHLQ $2, R10
	SHLQ $2, R12
	SHLQ $2, R8
	LEAQ (R10)(R10*2), R11
	ZERO6
	SHRQ $3, CX
	JE dotstore
dotloop:
	VMOVUPS (DI), Y12
	VMOVUPS (DI)(R12*1), Y13
	VMOVUPS (DI)(R12*2), Y14
	VMOVUPS (SI), Y15
	VFMADD231PS Y12, Y15, Y0
	VFMADD231PS Y13, Y15, Y1
	VFMADD231PS Y14, Y15, Y2
	VMOVUPS (SI)(R10*1), Y15
	VFMADD231PS Y12, Y15, Y3
	VFMADD231PS Y13, Y15, Y4
	VFMADD231PS Y14, Y15, Y5
	VMOVUPS (SI)(R10*2), Y15
	VFMADD231PS Y12, Y15, Y6
	VFMADD231PS Y13, Y15, Y7
	VFMADD231PS Y14, Y15, Y8
	VMOVUPS (SI)(R11*1), Y15
	VFMADD231PS Y12, Y15, Y9
	VFMADD231PS Y13, Y15, Y10
	VFMADD231PS Y14, Y15, Y11
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ dotloop
dotstore:
	DOTSUM(Y0, X0, 0)
	DOTSUM(Y1, X1, 4)
	DOTSUM(Y2, X2, 8)
	ADDQ R8, DX
	DOTSUM(Y3, X3, 0)
	DOTSUM(Y4, X4, 4)
	DOTSUM(Y5, X5, 8)
	ADDQ R8, DX
	DOTSUM(Y6, X6, 0)
	DOTSUM(Y7, X7, 4)
	DOTSUM(Y8, X8, 8)
	ADDQ R8, DX
	DOTSUM(Y9, X9, 0)
	DOTSUM(Y10, X10, 4)
	DOTSUM(Y11, X11, 8)
	VZEROUPPER
	RET

// GSTEP6 and GSTEP4 are one k step of kernel6x16g and kernel4x16g: row
// p of B from x0 and x1 at the offset offs[p] (BX+ooff), times the A
// values at SI+aoff.
#define GSTEP6(aoff, ooff) \
	MOVLQSX ooff(BX), R9; \
	VMOVUPS (R12)(R9*4), Y12; \
	VMOVUPS (R13)(R9*4), Y13; \
	FMA6x16(aoff)

#define GSTEP4(aoff, ooff) \
	MOVLQSX ooff(BX), R9; \
	VMOVUPS (R12)(R9*4), Y12; \
	VMOVUPS (R13)(R9*4), Y13; \
	FMA4x16(aoff)

// GLOOP(step, abytes, loop, tail, loop1, done) runs the CX k steps of a
// tile reading B in place with step (GSTEP6 or GSTEP4: abytes of A a
// step), four a loop trip (R14 counts them), with A at SI and the offsets
// at BX; loop, tail, loop1 and done are its labels.
#define GLOOP(step, abytes, loop, tail, loop1, done) \
	MOVQ CX, R14; \
	SHRQ $2, R14; \
	ANDQ $3, CX; \
	TESTQ R14, R14; \
	JE tail; \
loop: \
	step(0, 0); \
	step(abytes, 4); \
	step(2*abytes, 8); \
	step(3*abytes, 12); \
	ADDQ $(4*abytes), SI; \
	ADDQ $16, BX; \
	DECQ R14; \
	JNZ loop; \
tail: \
	TESTQ CX, CX; \
	JE done; \
loop1: \
	step(0, 0); \
	ADDQ $abytes, SI; \
	ADDQ $4, BX; \
	DECQ CX; \
	JNZ loop1; \
done:

// func kernel6x16g(k int, a *float32, x0, x1 *float32, offs *int32, c *float32, ldc int, flags int, bias *float32)
//
// kernel6x16 with row p of B read in place: x0[offs[p]:][:8] then
// x1[offs[p]:][:8].
TEXT ·kernel6x16g(SB), NOSPLIT, $0-72
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
	ZERO6
	GLOOP(GSTEP6, 24, loopg6, tailg6, loop1g6, storeg6)
	STORE6x16

// func kernel4x16g(k int, a *float32, x0, x1 *float32, offs *int32, c *float32, ldc int, flags int, bias *float32)
//
// kernel6x16g for a 4-row panel of A.
TEXT ·kernel4x16g(SB), NOSPLIT, $0-72
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
	ZERO4
	GLOOP(GSTEP4, 16, loopg4, tailg4, loop1g4, storeg4)
	STORE4x16

// func gatherColumn16(k int, a *float32, x0, x1 *float32, offs *int32, c *float32, ldc int, flags int, bias *float32, full, tails, stride int)
//
// kernel6x16g over full 6-row panels of A, then kernel4x16g over tails
// 4-row panels, the panels stride floats apart from a, their rows of C
// and of the bias one after another: one call for a whole column of
// tiles. DI holds the panel's A, AX counts the panels.
TEXT ·gatherColumn16(SB), NOSPLIT, $0-96
	MOVQ a+8(FP), DI
	MOVQ x0+16(FP), R12
	MOVQ x1+24(FP), R13
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R8
	MOVQ flags+56(FP), R10
	MOVQ bias+64(FP), R11
	SHLQ $2, R8
	MOVQ full+72(FP), AX
	TESTQ AX, AX
	JE fours
sixes:
	MOVQ k+0(FP), CX
	MOVQ DI, SI
	MOVQ offs+32(FP), BX
	ZERO6
	GLOOP(GSTEP6, 24, loopp6, tailp6, loop1p6, donep6)
	FINISH6x16
	ADDQ R8, DX
	ADDQ $24, R11
	MOVQ stride+88(FP), R9
	LEAQ (DI)(R9*4), DI
	DECQ AX
	JNZ sixes
fours:
	MOVQ tails+80(FP), AX
	TESTQ AX, AX
	JE done
fourloop:
	MOVQ k+0(FP), CX
	MOVQ DI, SI
	MOVQ offs+32(FP), BX
	ZERO4
	GLOOP(GSTEP4, 16, loopp4, tailp4, loop1p4, donep4)
	FINISH4x16
	ADDQ R8, DX
	ADDQ $16, R11
	MOVQ stride+88(FP), R9
	LEAQ (DI)(R9*4), DI
	DECQ AX
	JNZ fourloop
done:
	VZEROUPPER
	RET

// func column16(k int, a6, a4, b, c *float32, ldc int, flags int, bias *float32, seg, gap, full, tails, stride int)
//
// kernel6x16 over full 6-row panels of A from a6, then kernel4x16 over
// tails 4-row ones from a4, each panel stride floats after the one
// before, against the one packed panel of B, their rows of C and of the
// bias one after another: one call for a whole column of tiles. R14 holds
// the panel's A, R13 counts the panels.
TEXT ·column16(SB), NOSPLIT, $0-104
	MOVQ a6+8(FP), R14
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R8
	MOVQ flags+48(FP), R10
	MOVQ bias+56(FP), R11
	SHLQ $2, R8
	MOVQ seg+64(FP), AX
	MOVQ full+80(FP), R13
	TESTQ R13, R13
	JE fours
	MOVQ gap+72(FP), BX
	IMULQ $24, BX
sixes:
	MOVQ k+0(FP), CX
	MOVQ R14, SI
	MOVQ b+24(FP), DI
	ZERO6
	PLOOP(PSTEP6, 24, runc6, loopc6, tailc6, loop1c6, nextc6, donec6)
donec6:
	FINISH6x16
	ADDQ R8, DX
	ADDQ $24, R11
	MOVQ stride+96(FP), R9
	LEAQ (R14)(R9*4), R14
	DECQ R13
	JNZ sixes
fours:
	MOVQ tails+88(FP), R13
	TESTQ R13, R13
	JE done
	MOVQ a4+16(FP), R14
	MOVQ gap+72(FP), BX
	IMULQ $16, BX
fourloop:
	MOVQ k+0(FP), CX
	MOVQ R14, SI
	MOVQ b+24(FP), DI
	ZERO4
	PLOOP(PSTEP4, 16, runc4, loopc4, tailc4, loop1c4, nextc4, donec4)
donec4:
	FINISH4x16
	ADDQ R8, DX
	ADDQ $16, R11
	MOVQ stride+96(FP), R9
	LEAQ (R14)(R9*4), R14
	DECQ R13
	JNZ fourloop
done:
	VZEROUPPER
	RET
