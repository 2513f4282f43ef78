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
// 8; it panics when a slice is too short. Like every packing helper, it
// runs the instruction set of kernel k ("" is Default()), and panics when k
// does not run here.
func (k Kernel) Transpose8(dst []float32, ldd int, src []float32, lds int, mask []float32, n int) {
	if n <= 0 {
		return
	}
	if n%8 != 0 || ldd < 8 || lds < n || len(src) < 7*lds+n || (mask != nil && len(mask) < 7*lds+n) || len(dst) < (n-1)*ldd+8 {
		panic(fmt.Sprintf("gemm: Transpose8 n=%d ldd=%d lds=%d with len(dst)=%d len(src)=%d len(mask)=%d", n, ldd, lds, len(dst), len(src), len(mask)))
	}
	if k.resolve().level >= levelAVX2 {
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

// Transpose16 is Transpose8 for a 16 x n block (i < 16; n a multiple of
// 16): 16 channels of an output gradient into a full NR-wide panel. It
// panics when a slice is too short.
func (k Kernel) Transpose16(dst []float32, ldd int, src []float32, lds int, mask []float32, n int) {
	if n <= 0 {
		return
	}
	if n%16 != 0 || ldd < 16 || lds < n || len(src) < 15*lds+n || (mask != nil && len(mask) < 15*lds+n) || len(dst) < (n-1)*ldd+16 {
		panic(fmt.Sprintf("gemm: Transpose16 n=%d ldd=%d lds=%d with len(dst)=%d len(src)=%d len(mask)=%d", n, ldd, lds, len(dst), len(src), len(mask)))
	}
	if k.resolve().level < levelAVX512 {
		k.transpose16By8(dst, ldd, src, lds, mask, n)
		return
	}
	var m *float32
	if mask != nil {
		m = &mask[0]
	}
	transpose16AVX512(&dst[0], ldd, &src[0], lds, m, n/16)
}

// transpose16By8 is Transpose16 as two Transpose8: rows 0..7 and 8..15
// into the two halves of each output row.
func (k Kernel) transpose16By8(dst []float32, ldd int, src []float32, lds int, mask []float32, n int) {
	var m0, m1 []float32
	if mask != nil {
		m0, m1 = mask, mask[8*lds:]
	}
	k.Transpose8(dst, ldd, src, lds, m0, n)
	k.Transpose8(dst[8:], ldd, src[8*lds:], lds, m1, n)
}

// MaskCopy sets dst[t] = src[t] where the ReLU output mask[t] is not ±0
// (a NaN keeps its value) and +0 elsewhere. The slices must have equal
// lengths.
func (k Kernel) MaskCopy(dst, src, mask []float32) {
	if len(src) != len(dst) || len(mask) != len(dst) {
		panic(fmt.Sprintf("gemm: MaskCopy of %d values with %d sources and %d masks", len(dst), len(src), len(mask)))
	}
	n8 := 0
	if k.resolve().level >= levelAVX2 && len(dst) >= 8 {
		n8 = len(dst) / 8
		maskCopyAVX(&dst[0], &src[0], &mask[0], n8)
	}
	for t := 8 * n8; t < len(dst); t++ {
		dst[t] = reluMask(src[t], mask[t])
	}
}

// DecimateRows writes every second value of rows rows of src (row stride
// lds), from the first, to rows of n values of dst (row stride ldd):
//
//	dst[r*ldd + i] = src[r*lds + 2*i],  r < rows, i < n
//
// src must hold (rows-1)*lds + 2*n-1 values; it reads no more than
// (rows-1)*lds + 2*n, and writes nothing else. This splits the rows of an
// image into their phases for a convolution of stride 2.
func (k Kernel) DecimateRows(dst []float32, ldd int, src []float32, lds int, rows, n int) {
	if rows <= 0 || n <= 0 {
		return
	}
	if ldd < n || lds < 1 || len(dst) < (rows-1)*ldd+n || len(src) < (rows-1)*lds+2*n-1 {
		panic(fmt.Sprintf("gemm: DecimateRows of %d rows of %d (ldd %d, lds %d) with len(dst)=%d len(src)=%d", rows, n, ldd, lds, len(dst), len(src)))
	}
	// The first full rows' first 8*n8 values in vector blocks, in one
	// call (rows of 16, as a 32x32 image's phases, cost a call each
	// otherwise); the blocks read 16*n8 <= 2n values a row, there in src
	// for every row but perhaps the last (16*n8 <= lds + 2n-1).
	full, done := 0, 0
	if n8 := n / 8; k.resolve().level >= levelAVX2 && n8 > 0 {
		full, done = rows, 8*n8
		if (rows-1)*lds+16*n8 > len(src) {
			full--
		}
		if full > 0 {
			decimateRowsAVX(&dst[0], ldd, &src[0], lds, full, n8)
		}
	}
	for r := 0; r < rows; r++ {
		d, s := dst[r*ldd:r*ldd+n], src[r*lds:]
		from := done
		if r >= full {
			from = 0
		}
		for i := from; i < n; i++ {
			d[i] = s[2*i]
		}
	}
}

// CopyRows copies rows rows of n values from src (row stride lds) into
// dst (row stride ldd), each value kept only where a ReLU output in mask
// (row stride lds, as src) is not ±0 when mask is not nil (a NaN keeps its
// value; a masked value is +0, as in MaskCopy):
//
//	dst[r*ldd + t] = src[r*lds + t] * [mask[r*lds + t] != 0],  r < rows, t < n
//
// It reads and writes nothing else. This pads an image (or an output
// gradient, through its ReLU) into the interior of zero-bordered planes.
// It panics when a slice is too short.
func (k Kernel) CopyRows(dst []float32, ldd int, src []float32, lds int, mask []float32, rows, n int) {
	if rows <= 0 || n <= 0 {
		return
	}
	if ldd < n || lds < n || len(dst) < (rows-1)*ldd+n || len(src) < (rows-1)*lds+n || (mask != nil && len(mask) < (rows-1)*lds+n) {
		panic(fmt.Sprintf("gemm: CopyRows rows=%d n=%d ldd=%d lds=%d with len(dst)=%d len(src)=%d len(mask)=%d", rows, n, ldd, lds, len(dst), len(src), len(mask)))
	}
	var m *float32
	if mask != nil {
		m = &mask[0]
	}
	level, done := k.resolve().level, 0
	switch {
	case level >= levelAVX512:
		copyRowsAVX512(&dst[0], ldd, &src[0], lds, m, rows, n)
		return
	case level >= levelAVX2 && n >= 8:
		// Rows as short as an image's 16 values cost a call each
		// otherwise, more than the copy.
		done = n &^ 7
		copyRowsAVX2(&dst[0], ldd, &src[0], lds, m, rows, done/8)
	}
	if done == n {
		return
	}
	for r := 0; r < rows; r++ {
		d, s := dst[r*ldd+done:r*ldd+n], src[r*lds+done:r*lds+n]
		if mask == nil {
			copy(d, s)
			continue
		}
		k.MaskCopy(d, s, mask[r*lds+done:r*lds+n])
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
// as one panel row-slice of height h (4, 6, 8 or 12: a panel height of
// some kernel), k-major, zero-filling rows past rows:
//
//	dst[t*h + i] = src[i*lds + t] for i < rows, 0 for rows <= i < h,  t < n
//
// It may also write zeros to the h elements after the last position,
// dst[n*h : n*h+h], which must exist. This packs the channels of one image
// row into a panel of PackA's layout.
func (k Kernel) Interleave(dst []float32, h int, src []float32, lds, rows, n int) {
	if n <= 0 {
		return
	}
	if (h != 4 && h != 6 && h != 8 && h != 12) || rows < 1 || rows > h || lds < n || len(src) < (rows-1)*lds+n || len(dst) < (n+1)*h {
		panic(fmt.Sprintf("gemm: Interleave h=%d rows=%d n=%d lds=%d with len(dst)=%d len(src)=%d", h, rows, n, lds, len(dst), len(src)))
	}
	level := k.resolve().level
	done := 0
	if level >= levelAVX512 && n >= 16 {
		done = n &^ 15
		interleaveAVX512(&dst[0], h, &src[0], lds, rows, done/16)
	}
	if h <= 8 && level >= levelAVX2 {
		if n8 := (n - done) / 8; n8 > 0 {
			interleaveAVX(&dst[done*h], h, &src[done], lds, rows, n8)
			done += 8 * n8
		}
		if done < n && n >= 8 {
			// The last positions as one block of 8 ending at n, over
			// positions already written (the same values again, in
			// order): a phase image's row of 19 otherwise left 3
			// positions to the loop below, as long as 16 in vectors.
			interleaveAVX(&dst[(n-8)*h], h, &src[n-8], lds, rows, 1)
			done = n
		}
	}
	if done == n {
		return
	}
	// The rest one row at a time (rows of fewer than 8 values, a 7x7
	// image's, go here whole), then the zero rows.
	out := dst[done*h : n*h]
	for i := 0; i < rows; i++ {
		for t, v := range src[i*lds+done : i*lds+n] {
			out[t*h+i] = v
		}
	}
	for i := rows; i < h; i++ {
		for t := i; t < len(out); t += h {
			out[t] = 0
		}
	}
}
