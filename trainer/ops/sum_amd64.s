//go:build amd64

#include "textflag.h"

// The four interleaved partial sums of sum4 in the lanes of one SSE
// register: lane l adds v[4i+l] for i = 0, 1, ..., in order, so each lane
// is the same chain of float32 additions as s_l in sum4's Go loop (SSE2, on
// every amd64 CPU).

// func sum4SSE(s *[4]float32, v *float32, n4 int)
TEXT ·sum4SSE(SB), NOSPLIT, $0-24
	MOVQ s+0(FP), DI
	MOVQ v+8(FP), SI
	MOVQ n4+16(FP), CX
	XORPS X0, X0
	TESTQ CX, CX
	JE done
loop:
	MOVUPS (SI), X1
	ADDPS X1, X0
	ADDQ $16, SI
	DECQ CX
	JNZ loop
done:
	MOVUPS X0, (DI)
	RET

// func sum4MaskSSE(s *[4]float32, v, y *float32, n4 int)
//
// sum4SSE of v[i] where y[i] is not ±0 (reluMask): the bits of y without
// the sign compared with zero, and v kept where they differ.
TEXT ·sum4MaskSSE(SB), NOSPLIT, $0-32
	MOVQ s+0(FP), DI
	MOVQ v+8(FP), SI
	MOVQ y+16(FP), DX
	MOVQ n4+24(FP), CX
	XORPS X0, X0
	PXOR X4, X4
	MOVL $0x7fffffff, AX
	MOVD AX, X3
	PSHUFD $0, X3, X3
	TESTQ CX, CX
	JE donem
loopm:
	MOVUPS (DX), X2
	ANDPS X3, X2
	PCMPEQL X4, X2
	MOVUPS (SI), X1
	ANDNPS X1, X2
	ADDPS X2, X0
	ADDQ $16, SI
	ADDQ $16, DX
	DECQ CX
	JNZ loopm
donem:
	MOVUPS X0, (DI)
	RET

// func addToSSE(dst, src *float32, n16 int)
//
// dst[i] += src[i] for i < 16*n16, four SSE registers at a time: each
// element one float32 addition, as in the Go loop (SSE2, on every amd64
// CPU).
TEXT ·addToSSE(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n16+16(FP), CX
	TESTQ CX, CX
	JE addDone
addLoop:
	MOVUPS (DI), X0
	MOVUPS 16(DI), X1
	MOVUPS 32(DI), X2
	MOVUPS 48(DI), X3
	MOVUPS (SI), X4
	MOVUPS 16(SI), X5
	MOVUPS 32(SI), X6
	MOVUPS 48(SI), X7
	ADDPS X4, X0
	ADDPS X5, X1
	ADDPS X6, X2
	ADDPS X7, X3
	MOVUPS X0, (DI)
	MOVUPS X1, 16(DI)
	MOVUPS X2, 32(DI)
	MOVUPS X3, 48(DI)
	ADDQ $64, DI
	ADDQ $64, SI
	DECQ CX
	JNZ addLoop
addDone:
	RET
