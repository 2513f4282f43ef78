//go:build amd64

#include "textflag.h"

// func gatherPanelAVX(dst, src *float32, offs *int32, n int)
//
// dst[r*16+t] = src[offs[r]+t] for r < n, t < 16: two unaligned 32-byte
// moves per row.
TEXT ·gatherPanelAVX(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ offs+16(FP), BX
	MOVQ n+24(FP), CX
	TESTQ CX, CX
	JE done
loop:
	MOVLQSX (BX), DX
	VMOVUPS (SI)(DX*4), Y0
	VMOVUPS 32(SI)(DX*4), Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ $4, BX
	ADDQ $64, DI
	DECQ CX
	JNZ loop
done:
	VZEROUPPER
	RET

// func transpose8AVX(dst *float32, ldd int, src *float32, lds int, mask *float32, n8 int)
//
// For each block b < n8 of 8 columns: dst[(8b+p)*ldd + i] = m(src[i*lds +
// 8b + p]) for i, p < 8, where m keeps a value when mask is nil or the mask
// value at the same place is not ±0 (VCMPPS NEQ_UQ: a NaN keeps it), and
// gives +0 otherwise. ldd and lds are in elements.
TEXT ·transpose8AVX(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ ldd+8(FP), R8
	MOVQ src+16(FP), SI
	MOVQ lds+24(FP), R9
	MOVQ mask+32(FP), DX
	MOVQ n8+40(FP), CX
	SHLQ $2, R8
	SHLQ $2, R9
	LEAQ (R9)(R9*2), R10 // 3*lds
	LEAQ (R8)(R8*2), R11 // 3*ldd
	TESTQ CX, CX
	JE tdone
tloop:
	MOVQ SI, AX
	VMOVUPS (AX), Y0
	VMOVUPS (AX)(R9*1), Y1
	VMOVUPS (AX)(R9*2), Y2
	VMOVUPS (AX)(R10*1), Y3
	LEAQ (AX)(R9*4), AX
	VMOVUPS (AX), Y4
	VMOVUPS (AX)(R9*1), Y5
	VMOVUPS (AX)(R9*2), Y6
	VMOVUPS (AX)(R10*1), Y7
	TESTQ DX, DX
	JE tnomask
	VXORPS Y15, Y15, Y15
	MOVQ DX, AX
	VCMPPS $4, (AX), Y15, Y8
	VANDPS Y8, Y0, Y0
	VCMPPS $4, (AX)(R9*1), Y15, Y8
	VANDPS Y8, Y1, Y1
	VCMPPS $4, (AX)(R9*2), Y15, Y8
	VANDPS Y8, Y2, Y2
	VCMPPS $4, (AX)(R10*1), Y15, Y8
	VANDPS Y8, Y3, Y3
	LEAQ (AX)(R9*4), AX
	VCMPPS $4, (AX), Y15, Y8
	VANDPS Y8, Y4, Y4
	VCMPPS $4, (AX)(R9*1), Y15, Y8
	VANDPS Y8, Y5, Y5
	VCMPPS $4, (AX)(R9*2), Y15, Y8
	VANDPS Y8, Y6, Y6
	VCMPPS $4, (AX)(R10*1), Y15, Y8
	VANDPS Y8, Y7, Y7
tnomask:
	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15
	VSHUFPS $0x44, Y10, Y8, Y0
	VSHUFPS $0xEE, Y10, Y8, Y1
	VSHUFPS $0x44, Y11, Y9, Y2
	VSHUFPS $0xEE, Y11, Y9, Y3
	VSHUFPS $0x44, Y14, Y12, Y4
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7
	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15
	MOVQ DI, AX
	VMOVUPS Y8, (AX)
	VMOVUPS Y9, (AX)(R8*1)
	VMOVUPS Y10, (AX)(R8*2)
	VMOVUPS Y11, (AX)(R11*1)
	LEAQ (AX)(R8*4), AX
	VMOVUPS Y12, (AX)
	VMOVUPS Y13, (AX)(R8*1)
	VMOVUPS Y14, (AX)(R8*2)
	VMOVUPS Y15, (AX)(R11*1)
	ADDQ $32, SI
	TESTQ DX, DX
	JE tnoadv
	ADDQ $32, DX
tnoadv:
	LEAQ (DI)(R8*8), DI
	DECQ CX
	JNZ tloop
tdone:
	VZEROUPPER
	RET

// func maskCopyAVX(dst, src, mask *float32, n8 int)
//
// dst[t] = src[t] where mask[t] is not ±0 (a NaN keeps it), else +0, for
// t < 8*n8.
TEXT ·maskCopyAVX(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ mask+16(FP), DX
	MOVQ n8+24(FP), CX
	VXORPS Y15, Y15, Y15
	TESTQ CX, CX
	JE mdone
mloop:
	VMOVUPS (SI), Y0
	VCMPPS $4, (DX), Y15, Y1
	VANDPS Y1, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	DECQ CX
	JNZ mloop
mdone:
	VZEROUPPER
	RET

// func gatherPanel2AVX(dst, src0, src1 *float32, offs *int32, n int)
//
// dst[r*16+t] = src0[offs[r]+t] and dst[r*16+8+t] = src1[offs[r]+t] for
// r < n, t < 8: a panel row made of two runs of 8.
TEXT ·gatherPanel2AVX(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src0+8(FP), SI
	MOVQ src1+16(FP), R8
	MOVQ offs+24(FP), BX
	MOVQ n+32(FP), CX
	TESTQ CX, CX
	JE g2done
g2loop:
	MOVLQSX (BX), DX
	VMOVUPS (SI)(DX*4), Y0
	VMOVUPS (R8)(DX*4), Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ $4, BX
	ADDQ $64, DI
	DECQ CX
	JNZ g2loop
g2done:
	VZEROUPPER
	RET

// func interleaveAVX(dst *float32, h int, src *float32, lds int, rows int, n8 int)
//
// dst[t*h + i] = src[i*lds + t] for i < rows and 0 for rows <= i < min(h, 8)
// (h is 4, 6, 8 or 16; rows <= 8), t < 8*n8: rows of a matrix interleaved
// into a k-major panel (with h = 16, the first 8 rows of each position).
// Each position but with h = 4 is stored as 8 floats; a 6-row position's
// last two (zeros) are overwritten by the next position, so with h = 6 the
// two floats after the last position are set to zero.
TEXT ·interleaveAVX(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ h+8(FP), R8
	MOVQ src+16(FP), SI
	MOVQ lds+24(FP), R9
	MOVQ rows+32(FP), DX
	MOVQ n8+40(FP), CX
	SHLQ $2, R8
	SHLQ $2, R9
	TESTQ CX, CX
	JE idone
iloop:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ SI, AX
	CMPQ DX, $1
	JLT iloaded
	VMOVUPS (AX), Y0
	ADDQ R9, AX
	CMPQ DX, $2
	JLT iloaded
	VMOVUPS (AX), Y1
	ADDQ R9, AX
	CMPQ DX, $3
	JLT iloaded
	VMOVUPS (AX), Y2
	ADDQ R9, AX
	CMPQ DX, $4
	JLT iloaded
	VMOVUPS (AX), Y3
	ADDQ R9, AX
	CMPQ DX, $5
	JLT iloaded
	VMOVUPS (AX), Y4
	ADDQ R9, AX
	CMPQ DX, $6
	JLT iloaded
	VMOVUPS (AX), Y5
	ADDQ R9, AX
	CMPQ DX, $7
	JLT iloaded
	VMOVUPS (AX), Y6
	ADDQ R9, AX
	CMPQ DX, $8
	JLT iloaded
	VMOVUPS (AX), Y7
	ADDQ R9, AX
iloaded:
	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15
	VSHUFPS $0x44, Y10, Y8, Y0
	VSHUFPS $0xEE, Y10, Y8, Y1
	VSHUFPS $0x44, Y11, Y9, Y2
	VSHUFPS $0xEE, Y11, Y9, Y3
	VSHUFPS $0x44, Y14, Y12, Y4
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7
	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15
	CMPQ R8, $16
	JEQ ih4
	// Positions in increasing order: with h = 6 each store's last two
	// (zero) floats are overwritten by the next position's.
	MOVQ DI, AX
	VMOVUPS Y8, (AX)
	VMOVUPS Y9, (AX)(R8*1)
	VMOVUPS Y10, (AX)(R8*2)
	LEAQ (AX)(R8*2), AX
	VMOVUPS Y11, (AX)(R8*1)
	VMOVUPS Y12, (AX)(R8*2)
	LEAQ (AX)(R8*2), AX
	VMOVUPS Y13, (AX)(R8*1)
	VMOVUPS Y14, (AX)(R8*2)
	LEAQ (AX)(R8*2), AX
	VMOVUPS Y15, (AX)(R8*1)
	LEAQ (DI)(R8*8), DI
	JMP inext
ih4:
	VMOVUPS X8, 0(DI)
	VMOVUPS X9, 16(DI)
	VMOVUPS X10, 32(DI)
	VMOVUPS X11, 48(DI)
	VMOVUPS X12, 64(DI)
	VMOVUPS X13, 80(DI)
	VMOVUPS X14, 96(DI)
	VMOVUPS X15, 112(DI)
	ADDQ $128, DI
inext:
	ADDQ $32, SI
	DECQ CX
	JNZ iloop
idone:
	VZEROUPPER
	RET

// func gatherPanel32AVX512(dst, src *float32, offs *int32, n int)
//
// dst[r*32+t] = src[offs[r]+t] for r < n, t < 32: two unaligned 64-byte
// moves per row.
TEXT ·gatherPanel32AVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ offs+16(FP), BX
	MOVQ n+24(FP), CX
	TESTQ CX, CX
	JE g32done
g32loop:
	MOVLQSX (BX), DX
	VMOVUPS (SI)(DX*4), Z0
	VMOVUPS 64(SI)(DX*4), Z1
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	ADDQ $4, BX
	ADDQ $128, DI
	DECQ CX
	JNZ g32loop
g32done:
	VZEROUPPER
	RET

// func gatherPanel2x16AVX512(dst, src0, src1 *float32, offs *int32, n int)
//
// dst[r*32+t] = src0[offs[r]+t] and dst[r*32+16+t] = src1[offs[r]+t] for
// r < n, t < 16: a panel row made of two runs of 16.
TEXT ·gatherPanel2x16AVX512(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src0+8(FP), SI
	MOVQ src1+16(FP), R8
	MOVQ offs+24(FP), BX
	MOVQ n+32(FP), CX
	TESTQ CX, CX
	JE g216done
g216loop:
	MOVLQSX (BX), DX
	VMOVUPS (SI)(DX*4), Z0
	VMOVUPS (R8)(DX*4), Z1
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	ADDQ $4, BX
	ADDQ $128, DI
	DECQ CX
	JNZ g216loop
g216done:
	VZEROUPPER
	RET

// func decimateRowsAVX(dst *float32, ldd int, src *float32, lds int, rows int, n8 int)
//
// dst[r*ldd + i] = src[r*lds + 2*i] for r < rows, i < 8*n8, reading
// src[r*lds : r*lds + 16*n8] of each row: per block, the even values of
// each 128-bit lane of two loads (VSHUFPS), then their 64-bit pairs put in
// order (VPERMPD). ldd and lds are in elements; rows and n8 >= 1.
TEXT ·decimateRowsAVX(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ ldd+8(FP), R8
	MOVQ src+16(FP), SI
	MOVQ lds+24(FP), R9
	MOVQ rows+32(FP), R10
	MOVQ n8+40(FP), R11
	SHLQ $2, R8
	SHLQ $2, R9
decrow:
	MOVQ SI, AX
	MOVQ DI, BX
	MOVQ R11, CX
decblock:
	VMOVUPS (AX), Y0
	VMOVUPS 32(AX), Y1
	VSHUFPS $0x88, Y1, Y0, Y2
	VPERMPD $0xD8, Y2, Y2
	VMOVUPS Y2, (BX)
	ADDQ $64, AX
	ADDQ $32, BX
	DECQ CX
	JNZ decblock
	ADDQ R8, DI
	ADDQ R9, SI
	DECQ R10
	JNZ decrow
	VZEROUPPER
	RET

// func copyRowsAVX2(dst *float32, ldd int, src *float32, lds int, mask *float32, rows int, n8 int)
//
// dst[r*ldd + t] = m(src[r*lds + t]) for r < rows, t < 8*n8, where m keeps
// a value when mask is nil or mask[r*lds + t] is not ±0 (VCMPPS NEQ_UQ: a
// NaN keeps it) and gives +0 otherwise, as maskCopyAVX; eight values at a
// time. ldd and lds are in elements; rows and n8 >= 1.
TEXT ·copyRowsAVX2(SB), NOSPLIT, $0-56
	MOVQ dst+0(FP), DI
	MOVQ ldd+8(FP), R8
	MOVQ src+16(FP), SI
	MOVQ lds+24(FP), R9
	MOVQ mask+32(FP), DX
	MOVQ rows+40(FP), R10
	MOVQ n8+48(FP), R11
	SHLQ $2, R8
	SHLQ $2, R9
	VXORPS Y15, Y15, Y15
	TESTQ DX, DX
	JE c2plainrow
c2maskrow:
	XORQ BX, BX // byte offset in the row
	MOVQ R11, CX
c2maskblock:
	VMOVUPS (SI)(BX*1), Y0
	VCMPPS $4, (DX)(BX*1), Y15, Y1
	VANDPS Y1, Y0, Y0
	VMOVUPS Y0, (DI)(BX*1)
	ADDQ $32, BX
	DECQ CX
	JNZ c2maskblock
	ADDQ R8, DI
	ADDQ R9, SI
	ADDQ R9, DX
	DECQ R10
	JNZ c2maskrow
	JMP c2done
c2plainrow:
	XORQ BX, BX
	MOVQ R11, CX
c2plainblock:
	VMOVUPS (SI)(BX*1), Y0
	VMOVUPS Y0, (DI)(BX*1)
	ADDQ $32, BX
	DECQ CX
	JNZ c2plainblock
	ADDQ R8, DI
	ADDQ R9, SI
	DECQ R10
	JNZ c2plainrow
c2done:
	VZEROUPPER
	RET
