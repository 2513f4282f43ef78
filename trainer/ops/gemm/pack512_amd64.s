//go:build amd64

#include "textflag.h"

// Packing with AVX-512: 16x16 transposes of float32 blocks.

// TRANSPOSE16 transposes the 16x16 block whose rows are Z0..Z15 in place:
// afterwards Zp holds column p (element i of Zp is element p of row i).
// It unpacks pairs of rows (VUNPCKLPS/HPS), then pairs of pairs
// (VUNPCKLPD/HPD), which leaves 4x4 blocks transposed within each 128-bit
// lane, then moves the lanes (two rounds of VSHUFF32X4). Z16..Z31 are
// scratch.
#define TRANSPOSE16 \
	VUNPCKLPS Z1, Z0, Z16; \
	VUNPCKHPS Z1, Z0, Z17; \
	VUNPCKLPS Z3, Z2, Z18; \
	VUNPCKHPS Z3, Z2, Z19; \
	VUNPCKLPS Z5, Z4, Z20; \
	VUNPCKHPS Z5, Z4, Z21; \
	VUNPCKLPS Z7, Z6, Z22; \
	VUNPCKHPS Z7, Z6, Z23; \
	VUNPCKLPS Z9, Z8, Z24; \
	VUNPCKHPS Z9, Z8, Z25; \
	VUNPCKLPS Z11, Z10, Z26; \
	VUNPCKHPS Z11, Z10, Z27; \
	VUNPCKLPS Z13, Z12, Z28; \
	VUNPCKHPS Z13, Z12, Z29; \
	VUNPCKLPS Z15, Z14, Z30; \
	VUNPCKHPS Z15, Z14, Z31; \
	VUNPCKLPD Z18, Z16, Z0; \
	VUNPCKHPD Z18, Z16, Z1; \
	VUNPCKLPD Z19, Z17, Z2; \
	VUNPCKHPD Z19, Z17, Z3; \
	VUNPCKLPD Z22, Z20, Z4; \
	VUNPCKHPD Z22, Z20, Z5; \
	VUNPCKLPD Z23, Z21, Z6; \
	VUNPCKHPD Z23, Z21, Z7; \
	VUNPCKLPD Z26, Z24, Z8; \
	VUNPCKHPD Z26, Z24, Z9; \
	VUNPCKLPD Z27, Z25, Z10; \
	VUNPCKHPD Z27, Z25, Z11; \
	VUNPCKLPD Z30, Z28, Z12; \
	VUNPCKHPD Z30, Z28, Z13; \
	VUNPCKLPD Z31, Z29, Z14; \
	VUNPCKHPD Z31, Z29, Z15; \
	VSHUFF32X4 $0x44, Z4, Z0, Z16; \
	VSHUFF32X4 $0xEE, Z4, Z0, Z17; \
	VSHUFF32X4 $0x44, Z12, Z8, Z18; \
	VSHUFF32X4 $0xEE, Z12, Z8, Z19; \
	VSHUFF32X4 $0x44, Z5, Z1, Z20; \
	VSHUFF32X4 $0xEE, Z5, Z1, Z21; \
	VSHUFF32X4 $0x44, Z13, Z9, Z22; \
	VSHUFF32X4 $0xEE, Z13, Z9, Z23; \
	VSHUFF32X4 $0x44, Z6, Z2, Z24; \
	VSHUFF32X4 $0xEE, Z6, Z2, Z25; \
	VSHUFF32X4 $0x44, Z14, Z10, Z26; \
	VSHUFF32X4 $0xEE, Z14, Z10, Z27; \
	VSHUFF32X4 $0x44, Z7, Z3, Z28; \
	VSHUFF32X4 $0xEE, Z7, Z3, Z29; \
	VSHUFF32X4 $0x44, Z15, Z11, Z30; \
	VSHUFF32X4 $0xEE, Z15, Z11, Z31; \
	VSHUFF32X4 $0x88, Z18, Z16, Z0; \
	VSHUFF32X4 $0xDD, Z18, Z16, Z4; \
	VSHUFF32X4 $0x88, Z19, Z17, Z8; \
	VSHUFF32X4 $0xDD, Z19, Z17, Z12; \
	VSHUFF32X4 $0x88, Z22, Z20, Z1; \
	VSHUFF32X4 $0xDD, Z22, Z20, Z5; \
	VSHUFF32X4 $0x88, Z23, Z21, Z9; \
	VSHUFF32X4 $0xDD, Z23, Z21, Z13; \
	VSHUFF32X4 $0x88, Z26, Z24, Z2; \
	VSHUFF32X4 $0xDD, Z26, Z24, Z6; \
	VSHUFF32X4 $0x88, Z27, Z25, Z10; \
	VSHUFF32X4 $0xDD, Z27, Z25, Z14; \
	VSHUFF32X4 $0x88, Z30, Z28, Z3; \
	VSHUFF32X4 $0xDD, Z30, Z28, Z7; \
	VSHUFF32X4 $0x88, Z31, Z29, Z11; \
	VSHUFF32X4 $0xDD, Z31, Z29, Z15

// STORE16 stores Z0..Z15 at (DI), (DI)+R8, ..., (DI)+15*R8, then advances
// DI by 16*R8. R11 must hold 3*R8.
#define STORE16 \
	MOVQ DI, AX; \
	VMOVUPS Z0, (AX); \
	VMOVUPS Z1, (AX)(R8*1); \
	VMOVUPS Z2, (AX)(R8*2); \
	VMOVUPS Z3, (AX)(R11*1); \
	LEAQ (AX)(R8*4), AX; \
	VMOVUPS Z4, (AX); \
	VMOVUPS Z5, (AX)(R8*1); \
	VMOVUPS Z6, (AX)(R8*2); \
	VMOVUPS Z7, (AX)(R11*1); \
	LEAQ (AX)(R8*4), AX; \
	VMOVUPS Z8, (AX); \
	VMOVUPS Z9, (AX)(R8*1); \
	VMOVUPS Z10, (AX)(R8*2); \
	VMOVUPS Z11, (AX)(R11*1); \
	LEAQ (AX)(R8*4), AX; \
	VMOVUPS Z12, (AX); \
	VMOVUPS Z13, (AX)(R8*1); \
	VMOVUPS Z14, (AX)(R8*2); \
	VMOVUPS Z15, (AX)(R11*1); \
	SHLQ $4, R8; \
	ADDQ R8, DI; \
	SHRQ $4, R8

// STORE16K is STORE16 with the stores masked by K1.
#define STORE16K \
	MOVQ DI, AX; \
	VMOVUPS Z0, K1, (AX); \
	VMOVUPS Z1, K1, (AX)(R8*1); \
	VMOVUPS Z2, K1, (AX)(R8*2); \
	VMOVUPS Z3, K1, (AX)(R11*1); \
	LEAQ (AX)(R8*4), AX; \
	VMOVUPS Z4, K1, (AX); \
	VMOVUPS Z5, K1, (AX)(R8*1); \
	VMOVUPS Z6, K1, (AX)(R8*2); \
	VMOVUPS Z7, K1, (AX)(R11*1); \
	LEAQ (AX)(R8*4), AX; \
	VMOVUPS Z8, K1, (AX); \
	VMOVUPS Z9, K1, (AX)(R8*1); \
	VMOVUPS Z10, K1, (AX)(R8*2); \
	VMOVUPS Z11, K1, (AX)(R11*1); \
	LEAQ (AX)(R8*4), AX; \
	VMOVUPS Z12, K1, (AX); \
	VMOVUPS Z13, K1, (AX)(R8*1); \
	VMOVUPS Z14, K1, (AX)(R8*2); \
	VMOVUPS Z15, K1, (AX)(R11*1); \
	SHLQ $4, R8; \
	ADDQ R8, DI; \
	SHRQ $4, R8

// func transpose16AVX512(dst *float32, ldd int, src *float32, lds int, mask *float32, n16 int)
//
// For each block b < n16 of 16 columns: dst[(16b+p)*ldd + i] = m(src[i*lds
// + 16b + p]) for i, p < 16, where m keeps a value when mask is nil or the
// mask value at the same place is not ±0 (VCMPPS NEQ_UQ: a NaN keeps it),
// and gives +0 otherwise (a zero-masking load). ldd and lds are in
// elements.
TEXT ·transpose16AVX512(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ ldd+8(FP), R8
	MOVQ src+16(FP), SI
	MOVQ lds+24(FP), R9
	MOVQ mask+32(FP), DX
	MOVQ n16+40(FP), CX
	SHLQ $2, R8
	SHLQ $2, R9
	LEAQ (R9)(R9*2), R10 // 3*lds
	LEAQ (R8)(R8*2), R11 // 3*ldd
	TESTQ CX, CX
	JE t16done
t16loop:
	TESTQ DX, DX
	JNE t16mask
	MOVQ SI, AX
	VMOVUPS (AX), Z0
	VMOVUPS (AX)(R9*1), Z1
	VMOVUPS (AX)(R9*2), Z2
	VMOVUPS (AX)(R10*1), Z3
	LEAQ (AX)(R9*4), AX
	VMOVUPS (AX), Z4
	VMOVUPS (AX)(R9*1), Z5
	VMOVUPS (AX)(R9*2), Z6
	VMOVUPS (AX)(R10*1), Z7
	LEAQ (AX)(R9*4), AX
	VMOVUPS (AX), Z8
	VMOVUPS (AX)(R9*1), Z9
	VMOVUPS (AX)(R9*2), Z10
	VMOVUPS (AX)(R10*1), Z11
	LEAQ (AX)(R9*4), AX
	VMOVUPS (AX), Z12
	VMOVUPS (AX)(R9*1), Z13
	VMOVUPS (AX)(R9*2), Z14
	VMOVUPS (AX)(R10*1), Z15
	JMP t16loaded
t16mask:
	VPXORD Z31, Z31, Z31
	MOVQ SI, AX
	MOVQ DX, BX
	VCMPPS $4, (BX), Z31, K1
	VMOVUPS.Z (AX), K1, Z0
	VCMPPS $4, (BX)(R9*1), Z31, K1
	VMOVUPS.Z (AX)(R9*1), K1, Z1
	VCMPPS $4, (BX)(R9*2), Z31, K1
	VMOVUPS.Z (AX)(R9*2), K1, Z2
	VCMPPS $4, (BX)(R10*1), Z31, K1
	VMOVUPS.Z (AX)(R10*1), K1, Z3
	LEAQ (AX)(R9*4), AX
	LEAQ (BX)(R9*4), BX
	VCMPPS $4, (BX), Z31, K1
	VMOVUPS.Z (AX), K1, Z4
	VCMPPS $4, (BX)(R9*1), Z31, K1
	VMOVUPS.Z (AX)(R9*1), K1, Z5
	VCMPPS $4, (BX)(R9*2), Z31, K1
	VMOVUPS.Z (AX)(R9*2), K1, Z6
	VCMPPS $4, (BX)(R10*1), Z31, K1
	VMOVUPS.Z (AX)(R10*1), K1, Z7
	LEAQ (AX)(R9*4), AX
	LEAQ (BX)(R9*4), BX
	VCMPPS $4, (BX), Z31, K1
	VMOVUPS.Z (AX), K1, Z8
	VCMPPS $4, (BX)(R9*1), Z31, K1
	VMOVUPS.Z (AX)(R9*1), K1, Z9
	VCMPPS $4, (BX)(R9*2), Z31, K1
	VMOVUPS.Z (AX)(R9*2), K1, Z10
	VCMPPS $4, (BX)(R10*1), Z31, K1
	VMOVUPS.Z (AX)(R10*1), K1, Z11
	LEAQ (AX)(R9*4), AX
	LEAQ (BX)(R9*4), BX
	VCMPPS $4, (BX), Z31, K1
	VMOVUPS.Z (AX), K1, Z12
	VCMPPS $4, (BX)(R9*1), Z31, K1
	VMOVUPS.Z (AX)(R9*1), K1, Z13
	VCMPPS $4, (BX)(R9*2), Z31, K1
	VMOVUPS.Z (AX)(R9*2), K1, Z14
	VCMPPS $4, (BX)(R10*1), Z31, K1
	VMOVUPS.Z (AX)(R10*1), K1, Z15
	ADDQ $64, DX
t16loaded:
	TRANSPOSE16
	STORE16
	ADDQ $64, SI
	DECQ CX
	JNZ t16loop
t16done:
	VZEROUPPER
	RET

// func interleaveAVX512(dst *float32, h int, src *float32, lds int, rows int, n16 int)
//
// dst[t*h + i] = src[i*lds + t] for i < rows and 0 for rows <= i < h,
// t < 16*n16 (rows <= h <= 16): up to 16 rows of a matrix interleaved
// into a k-major panel of height h, 16 positions per transpose, each
// stored as h floats (a store masked to the first h lanes). lds is in
// elements.
TEXT ·interleaveAVX512(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ h+8(FP), R8
	MOVQ src+16(FP), SI
	MOVQ lds+24(FP), R9
	MOVQ rows+32(FP), DX
	MOVQ R8, CX
	MOVQ $1, AX
	SHLQ CX, AX
	DECQ AX
	KMOVW AX, K1 // the first h lanes
	MOVQ n16+40(FP), CX
	SHLQ $2, R8
	SHLQ $2, R9
	LEAQ (R8)(R8*2), R11 // 3*h floats
	TESTQ CX, CX
	JE ildone
illoop:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	MOVQ SI, AX
	CMPQ DX, $1
	JLT illoaded
	VMOVUPS (AX), Z0
	ADDQ R9, AX
	CMPQ DX, $2
	JLT illoaded
	VMOVUPS (AX), Z1
	ADDQ R9, AX
	CMPQ DX, $3
	JLT illoaded
	VMOVUPS (AX), Z2
	ADDQ R9, AX
	CMPQ DX, $4
	JLT illoaded
	VMOVUPS (AX), Z3
	ADDQ R9, AX
	CMPQ DX, $5
	JLT illoaded
	VMOVUPS (AX), Z4
	ADDQ R9, AX
	CMPQ DX, $6
	JLT illoaded
	VMOVUPS (AX), Z5
	ADDQ R9, AX
	CMPQ DX, $7
	JLT illoaded
	VMOVUPS (AX), Z6
	ADDQ R9, AX
	CMPQ DX, $8
	JLT illoaded
	VMOVUPS (AX), Z7
	ADDQ R9, AX
	CMPQ DX, $9
	JLT illoaded
	VMOVUPS (AX), Z8
	ADDQ R9, AX
	CMPQ DX, $10
	JLT illoaded
	VMOVUPS (AX), Z9
	ADDQ R9, AX
	CMPQ DX, $11
	JLT illoaded
	VMOVUPS (AX), Z10
	ADDQ R9, AX
	CMPQ DX, $12
	JLT illoaded
	VMOVUPS (AX), Z11
	ADDQ R9, AX
	CMPQ DX, $13
	JLT illoaded
	VMOVUPS (AX), Z12
	ADDQ R9, AX
	CMPQ DX, $14
	JLT illoaded
	VMOVUPS (AX), Z13
	ADDQ R9, AX
	CMPQ DX, $15
	JLT illoaded
	VMOVUPS (AX), Z14
	ADDQ R9, AX
	CMPQ DX, $16
	JLT illoaded
	VMOVUPS (AX), Z15
illoaded:
	TRANSPOSE16
	STORE16K
	ADDQ $64, SI
	DECQ CX
	JNZ illoop
ildone:
	VZEROUPPER
	RET

// func copyRowsAVX512(dst *float32, ldd int, src *float32, lds int, mask *float32, rows int, n int)
//
// dst[r*ldd + t] = m(src[r*lds + t]) for r < rows, t < n, where m keeps a
// value when mask is nil or mask[r*lds + t] is not ±0 (VCMPPS NEQ_UQ: a
// NaN keeps it) and gives +0 otherwise (a zero-masking load). Each row is
// moved 16 values at a time, the last n%16 under a lane mask (K2), so
// nothing outside the rows is read or written. ldd and lds are in
// elements; n >= 1.
TEXT ·copyRowsAVX512(SB), NOSPLIT, $0-56
	MOVQ dst+0(FP), DI
	MOVQ ldd+8(FP), R8
	MOVQ src+16(FP), SI
	MOVQ lds+24(FP), R9
	MOVQ mask+32(FP), DX
	MOVQ rows+40(FP), R10
	MOVQ n+48(FP), R11
	SHLQ $2, R8
	SHLQ $2, R9
	MOVQ R11, CX
	ANDQ $15, CX
	MOVQ $1, AX
	SHLQ CX, AX
	DECQ AX
	KMOVW AX, K2 // the last n%16 values of a row
	SHRQ $4, R11 // blocks of 16 a row
	VPXORD Z31, Z31, Z31
	TESTQ R10, R10
	JE crdone
crrow:
	XORQ BX, BX // byte offset in the row
	MOVQ R11, CX
	TESTQ CX, CX
	JE crtail
crblock:
	TESTQ DX, DX
	JE crplain
	VCMPPS $4, (DX)(BX*1), Z31, K1
	VMOVUPS.Z (SI)(BX*1), K1, Z0
	JMP crstore
crplain:
	VMOVUPS (SI)(BX*1), Z0
crstore:
	VMOVUPS Z0, (DI)(BX*1)
	ADDQ $64, BX
	DECQ CX
	JNZ crblock
crtail:
	KORTESTW K2, K2
	JE crnext
	TESTQ DX, DX
	JE crtplain
	VCMPPS $4, (DX)(BX*1), Z31, K2, K1
	VMOVUPS.Z (SI)(BX*1), K1, Z0
	JMP crtstore
crtplain:
	VMOVUPS.Z (SI)(BX*1), K2, Z0
crtstore:
	VMOVUPS Z0, K2, (DI)(BX*1)
crnext:
	ADDQ R8, DI
	ADDQ R9, SI
	TESTQ DX, DX
	JE crnomask
	ADDQ R9, DX
crnomask:
	DECQ R10
	JNZ crrow
crdone:
	VZEROUPPER
	RET

// func packRunsAVX512(dst, src *float32, offs *int32, rows int, width int, runs *int32, nruns int)
//
// For each packed row r < rows and each run (three int32: src, dst, mask
// of its n <= 16 lanes): dst[r*width + run.dst + t] = src[offs[r] +
// run.src + t] for t < n: one masked load and store per run, nothing else
// read or written.
TEXT ·packRunsAVX512(SB), NOSPLIT, $0-56
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ offs+16(FP), R8
	MOVQ rows+24(FP), R9
	MOVQ width+32(FP), R10
	MOVQ runs+40(FP), R11
	MOVQ nruns+48(FP), R12
	SHLQ $2, R10
	TESTQ R9, R9
	JE prdone
	TESTQ R12, R12
	JE prdone
prrow:
	MOVLQSX (R8), AX
	LEAQ (SI)(AX*4), BX // the row's source
	MOVQ R11, DX
	MOVQ R12, CX
prrun:
	MOVLQSX (DX), AX
	MOVLQSX 4(DX), R13
	KMOVW 8(DX), K1
	VMOVUPS.Z (BX)(AX*4), K1, Z0
	VMOVUPS Z0, K1, (DI)(R13*4)
	ADDQ $12, DX
	DECQ CX
	JNZ prrun
	ADDQ $4, R8
	ADDQ R10, DI
	DECQ R9
	JNZ prrow
prdone:
	VZEROUPPER
	RET
