//go:build amd64

package ops

// pool2RowsAVX max-pools row pairs of 8*n8 windows; see pool_amd64.s. It
// requires AVX2.
//
//go:noescape
func pool2RowsAVX(x *float32, w int, y *float32, arg *int32, base int32, n8, rows int)

// pool2Fast pools the rows of x (rows of w, len(y)/(w/2) row pairs) into
// y and arg with AVX2 when vec allows it and w is a multiple of 16, and
// reports whether it did.
func pool2Fast(vec vecLevel, x, y []float32, arg []int32, base int32, w int) bool {
	if vec < vecAVX2 || w%16 != 0 || len(y) == 0 {
		return false
	}
	rows := len(y) / (w / 2)
	if len(x) < 2*w*rows || len(arg) < len(y) || len(y) != rows*w/2 {
		return false
	}
	pool2RowsAVX(&x[0], w, &y[0], &arg[0], base, w/16, rows)
	return true
}

// pool2GradRowsAVX writes the gradient of row pairs of 8*n8 2x2 windows
// into both rows of each, masked by y when relu is not 0; see
// pool_amd64.s. It requires AVX2.
//
//go:noescape
func pool2GradRowsAVX(gy, y *float32, relu int, arg *int32, base int32, w int, gx *float32, n8, rows int)

// pool2GradFast is pool2Grad with AVX2, when vec allows it and w is a
// multiple of 16; it reports whether it ran.
func pool2GradFast(vec vecLevel, gy, y []float32, arg []int32, base int32, w int, gx []float32) bool {
	if vec < vecAVX2 || w%16 != 0 || len(gy) == 0 {
		return false
	}
	rows := len(gy) / (w / 2)
	if len(gy) != rows*w/2 || len(gx) < 2*w*rows || len(arg) < len(gy) || (y != nil && len(y) < len(gy)) {
		return false
	}
	yp, relu := &gy[0], 0 // y is not read unless relu
	if y != nil {
		yp, relu = &y[0], 1
	}
	pool2GradRowsAVX(&gy[0], yp, relu, &arg[0], base, w, &gx[0], w/16, rows)
	return true
}

// pool3s2RowAVX max-pools 8*n8 overlapping 3x3 windows with stride 2 of a
// row triple; see pool_amd64.s. It requires AVX2.
//
//go:noescape
func pool3s2RowAVX(x *float32, w int, y *float32, arg *int32, base int32, n8 int)

// pool3s2RowAVX512 max-pools ow (>= 1) overlapping 3x3 windows with
// stride 2 of a row triple, 16 at a time under lane masks; see
// pool512_amd64.s. It requires AVX-512F and BMI2.
//
//go:noescape
func pool3s2RowAVX512(x *float32, w int, y *float32, arg *int32, base int32, ow int)

// pool3s2Fast pools output row r of a plane x [H, w] (ow outputs a row)
// into y and arg with vector instructions, and reports whether it did.
// Rows of fewer than 8 outputs, where x extends 17 values past the start
// of the row triple's last row (x may run on past the plane: poolStrided's
// caller passes the rest of the tensor, so only a tensor's last rows miss
// out), take one AVX2 block of 8 of which ow outputs are kept, at either
// vector level. Otherwise AVX-512 (vec is vec512) pools blocks of 16
// outputs under lane masks, for any ow, and AVX2 (vecAVX2) blocks of 8,
// the last block shifted back to end at ow (recomputing some outputs
// identically), for ow >= 8. Every path gives the same values and
// indices.
func pool3s2Fast(vec vecLevel, x, y []float32, arg []int32, base int32, w, ow, r int) bool {
	i0 := 2 * r * w
	if ow < 1 || len(x) < i0+2*w+2*ow+1 || len(y) < (r+1)*ow || len(arg) < (r+1)*ow {
		return false
	}
	short := ow < 8 && len(x) >= i0+2*w+17           // one AVX2 block, see below
	if vec == vec512 && !short && len(x) >= i0+3*w { // its masked loads read rows of w
		pool3s2RowAVX512(&x[i0], w, &y[r*ow], &arg[r*ow], base+int32(i0), ow)
		return true
	}
	if vec < vecAVX2 {
		return false
	}
	if short {
		// One block of 8 windows into scratch, of which the first ow are
		// kept: its loads read x[i0 : i0+17] of each row, past the row
		// (and the plane) for the lanes dropped, so that much of x must be
		// there. Faster than a masked AVX-512 block on such rows (193
		// against 232 µs a 3/2 pool of 128x16x16x16 on Zen 5).
		var yb [8]float32
		var ab [8]int32
		pool3s2RowAVX(&x[i0], w, &yb[0], &ab[0], base+int32(i0), 1)
		copy(y[r*ow:(r+1)*ow], yb[:ow])
		copy(arg[r*ow:(r+1)*ow], ab[:ow])
		return true
	}
	if ow < 8 {
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
