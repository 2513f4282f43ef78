//go:build amd64

package ops

import "golang.org/x/sys/cpu"

// pool2RowAVX max-pools 8*n8 windows of a row pair; see pool_amd64.s. It
// requires AVX2.
//
//go:noescape
func pool2RowAVX(x *float32, w int, y *float32, arg *int32, base int32, n8 int)

// pool2Fast pools the row pair starting at x[0] (rows of w) into y and arg
// with AVX2 when the CPU has it and w is a multiple of 16, and reports
// whether it did.
func pool2Fast(x, y []float32, arg []int32, base int32, w int) bool {
	if !cpu.X86.HasAVX2 || w%16 != 0 || len(x) < 2*w || len(y) < w/2 || len(arg) < w/2 {
		return false
	}
	pool2RowAVX(&x[0], w, &y[0], &arg[0], base, w/16)
	return true
}

// pool3s2RowAVX max-pools 8*n8 overlapping 3x3 windows with stride 2 of a
// row triple; see pool_amd64.s. It requires AVX2.
//
//go:noescape
func pool3s2RowAVX(x *float32, w int, y *float32, arg *int32, base int32, n8 int)

// pool3s2Fast pools output row r of a plane x [H, w] (ow outputs a row)
// into y and arg with AVX2: blocks of 8 outputs, the last block shifted
// back to end at ow (recomputing some outputs identically), and reports
// whether it did; it does not for rows of fewer than 8 outputs.
func pool3s2Fast(x, y []float32, arg []int32, base int32, w, ow, r int) bool {
	i0 := 2 * r * w
	if !cpu.X86.HasAVX2 || ow < 8 || len(x) < i0+2*w+2*ow+1 || len(y) < (r+1)*ow || len(arg) < (r+1)*ow {
		return false
	}
	// Every load of a block starting at column p stays within
	// x[p : p+17] of each row, and p+16 <= 2*(ow-1)+2 <= w-1.
	yr, ar := y[r*ow:(r+1)*ow], arg[r*ow:(r+1)*ow]
	n8 := ow / 8
	pool3s2RowAVX(&x[i0], w, &yr[0], &ar[0], base+int32(i0), n8)
	if q := ow - 8; q > 8*(n8-1) {
		pool3s2RowAVX(&x[i0+2*q], w, &yr[q], &ar[q], base+int32(i0+2*q), 1)
	}
	return true
}
