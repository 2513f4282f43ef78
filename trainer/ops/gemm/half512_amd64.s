//go:build amd64

#include "textflag.h"
#include "runs_amd64.h"
#include "tile512_amd64.h"

// The half-width AVX-512 micro-kernels: the first 16 columns of a packed
// panel of B 32 wide (rows still 128 bytes apart), for products whose
// panel holds at most 16 columns (16 output channels, or 9 positions of a
// 3x3 output): one zmm accumulator a row, half the multiply-adds of the
// 32-wide kernels. Each k step loads the 16 values of B and multiplies
// them by each value of A broadcast from memory (the {1to16} form of
// VFMADD231PS). Each value is the same chain of multiply-adds along k, in
// order, with the same epilogue, as in every other kernel, so the bits are
// the same.

// func kernel12x16z(k int, a, b, c *float32, ldc int, flags int, bias *float32, seg, gap int)
//
// Accumulators: Z0..Z11, row i in Z(i); two k steps per iteration (B
// rows in Z28 and Z29); the epilogue is FINISH12x16z (tile512_amd64.h).
TEXT ·kernel12x16z(SB), NOSPLIT, $0-72
	PARGS(48)
	ZEROZ12
	TESTQ CX, CX
	JE store12z
run_kernel12x16z:
	RUNLEN(1, 1)
	JE tail12z
loop12z:
	VMOVUPS 0(DI), Z28
	FMA12x16z(0, Z28)
	VMOVUPS 128(DI), Z29
	FMA12x16z(48, Z29)
	ADDQ $96, SI
	ADDQ $256, DI
	DECQ R9
	JNZ loop12z
tail12z:
	TESTQ R12, R12
	JE next_kernel12x16z
	VMOVUPS 0(DI), Z28
	FMA12x16z(0, Z28)
	ADDQ $48, SI
	ADDQ $128, DI
next_kernel12x16z:
	ADDQ BX, SI
	TESTQ CX, CX
	JNE run_kernel12x16z
store12z:
	STORE12x16z

// func kernel8x16z(k int, a, b, c *float32, ldc int, flags int, bias *float32, seg, gap int)
//
// Accumulators: Z0..Z7, row i in Z(i); two k steps per iteration (B
// rows in Z28 and Z29); the epilogue is FINISH8x16z (tile512_amd64.h).
TEXT ·kernel8x16z(SB), NOSPLIT, $0-72
	PARGS(32)
	ZEROZ8
	TESTQ CX, CX
	JE store8z
run_kernel8x16z:
	RUNLEN(1, 1)
	JE tail8z
loop8z:
	VMOVUPS 0(DI), Z28
	FMA8x16z(0, Z28)
	VMOVUPS 128(DI), Z29
	FMA8x16z(32, Z29)
	ADDQ $64, SI
	ADDQ $256, DI
	DECQ R9
	JNZ loop8z
tail8z:
	TESTQ R12, R12
	JE next_kernel8x16z
	VMOVUPS 0(DI), Z28
	FMA8x16z(0, Z28)
	ADDQ $32, SI
	ADDQ $128, DI
next_kernel8x16z:
	ADDQ BX, SI
	TESTQ CX, CX
	JNE run_kernel8x16z
store8z:
	STORE8x16z

// func kernel4x16z(k int, a, b, c *float32, ldc int, flags int, bias *float32, seg, gap int)
//
// Accumulators: Z0..Z3, row i in Z(i); two k steps per iteration (B
// rows in Z28 and Z29); the epilogue is FINISH4x16z (tile512_amd64.h).
TEXT ·kernel4x16z(SB), NOSPLIT, $0-72
	PARGS(16)
	ZEROZ4
	TESTQ CX, CX
	JE store4z
run_kernel4x16z:
	RUNLEN(1, 1)
	JE tail4z
loop4z:
	VMOVUPS 0(DI), Z28
	FMA4x16z(0, Z28)
	VMOVUPS 128(DI), Z29
	FMA4x16z(16, Z29)
	ADDQ $32, SI
	ADDQ $256, DI
	DECQ R9
	JNZ loop4z
tail4z:
	TESTQ R12, R12
	JE next_kernel4x16z
	VMOVUPS 0(DI), Z28
	FMA4x16z(0, Z28)
	ADDQ $16, SI
	ADDQ $128, DI
next_kernel4x16z:
	ADDQ BX, SI
	TESTQ CX, CX
	JNE run_kernel4x16z
store4z:
	STORE4x16z
