package gemm

import (
	"fmt"
	"math"
)

// Transpose8 writes the transpose of an 8 x n block of src (row stride
// lds) into dst (row stride ldd), each value kept only where a ReLU output
// in mask is positive:
//
//	dst[p*ldd + i] = src[i*lds + p] * [mask[i*lds + p] != 0],  i < 8, p < n
//
// mask nil keeps every value; a NaN in mask keeps its value (as a ReLU
// passes NaN on); a masked value is +0. This packs 8 channels of an output
// gradient into a k-major panel, through the ReLU. n must be a multiple of
// 8; it panics when a slice is too short.
func Transpose8(dst []float32, ldd int, src []float32, lds int, mask []float32, n int) {
	if n <= 0 {
		return
	}
	if n%8 != 0 || ldd < 8 || lds < n || len(src) < 7*lds+n || (mask != nil && len(mask) < 7*lds+n) || len(dst) < (n-1)*ldd+8 {
		panic(fmt.Sprintf("gemm: Transpose8 n=%d ldd=%d lds=%d with len(dst)=%d len(src)=%d len(mask)=%d", n, ldd, lds, len(dst), len(src), len(mask)))
	}
	if hasAVX2FMA() {
		var m *float32
		if mask != nil {
			m = &mask[0]
		}
		transpose8AVX(&dst[0], ldd, &src[0], lds, m, n/8)
		return
	}
	for i := 0; i < 8; i++ {
		for p := 0; p < n; p++ {
			v := src[i*lds+p]
			if mask != nil {
				v = reluMask(v, mask[i*lds+p])
			}
			dst[p*ldd+i] = v
		}
	}
}

// MaskCopy sets dst[t] = src[t] where the ReLU output mask[t] is not ±0
// (a NaN keeps its value) and +0 elsewhere. The slices must have equal
// lengths.
func MaskCopy(dst, src, mask []float32) {
	if len(src) != len(dst) || len(mask) != len(dst) {
		panic(fmt.Sprintf("gemm: MaskCopy of %d values with %d sources and %d masks", len(dst), len(src), len(mask)))
	}
	n8 := 0
	if hasAVX2FMA() && len(dst) >= 8 {
		n8 = len(dst) / 8
		maskCopyAVX(&dst[0], &src[0], &mask[0], n8)
	}
	for t := 8 * n8; t < len(dst); t++ {
		dst[t] = reluMask(src[t], mask[t])
	}
}

// reluMask returns g where y is not ±0 and +0 elsewhere, without a
// branch.
func reluMask(g, y float32) float32 {
	b := math.Float32bits(y) &^ (1 << 31)
	mask := uint32(int32(-b) >> 31) // all ones when b != 0
	return math.Float32frombits(math.Float32bits(g) & mask)
}

// Interleave writes rows (<= h) rows of n values of src (row stride lds)
// as one panel row-slice of height h (4, 6, 8 or 16: a panel height of
// some kernel), k-major, zero-filling rows past rows:
//
//	dst[t*h + i] = src[i*lds + t] for i < rows, 0 for rows <= i < h,  t < n
//
// It may also write zeros to the h elements after the last position,
// dst[n*h : n*h+h], which must exist. This packs the channels of one image
// row into a panel of PackA's layout.
func Interleave(dst []float32, h int, src []float32, lds, rows, n int) {
	if n <= 0 {
		return
	}
	if (h != 4 && h != 6 && h != 8 && h != 16) || rows < 1 || rows > h || lds < n || len(src) < (rows-1)*lds+n || len(dst) < (n+1)*h {
		panic(fmt.Sprintf("gemm: Interleave h=%d rows=%d n=%d lds=%d with len(dst)=%d len(src)=%d", h, rows, n, lds, len(dst), len(src)))
	}
	n8 := 0
	if hasAVX2FMA() {
		n8 = n / 8
		if n8 > 0 {
			interleaveAVX(&dst[0], h, &src[0], lds, min(rows, 8), n8)
			if h == 16 {
				// Rows 8..15 (zeros past rows) into the second half of
				// each position.
				hi := &src[0]
				if rows > 8 {
					hi = &src[8*lds]
				}
				interleaveAVX(&dst[8], h, hi, lds, max(rows-8, 0), n8)
			}
		}
	}
	for t := 8 * n8; t < n; t++ {
		for i := 0; i < h; i++ {
			v := float32(0)
			if i < rows {
				v = src[i*lds+t]
			}
			dst[t*h+i] = v
		}
	}
}
