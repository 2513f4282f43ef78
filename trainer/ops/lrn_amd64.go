//go:build amd64

package ops

// The AVX vector paths of lrnKernel for beta = 0.75; see lrn_amd64.s.
//
//go:noescape
func lrnForwardAVX(win *float32, m, hw int, xc, y, d *float32, n8 int, k, alpha float32)

//go:noescape
func lrnQuotientAVX(q, gy, y, d *float32, n8 int)

//go:noescape
func lrnBackwardAVX(win *float32, m, hw int, x, gy, d, gx *float32, n8 int, c2 float32)

// vector reports whether the AVX paths run: for beta = 0.75 at vector
// level AVX2 or higher.
func (k lrnKernel) vector() bool { return k.beta == 0.75 && k.vec >= vecAVX2 }

// lrnForwardFast computes the first 8*floor(hw/8) pixels of
// lrnKernel.forwardPlane with AVX and returns how many it did (0 when it
// cannot).
func (k lrnKernel) lrnForwardFast(y, d, xc, win []float32, m, hw int) int {
	n8 := hw / 8
	if !k.vector() || n8 == 0 || m < 1 || len(y) < hw || len(d) < hw || len(xc) < hw || len(win) < m*hw {
		return 0
	}
	lrnForwardAVX(&win[0], m, hw, &xc[0], &y[0], &d[0], n8, k.k, k.alpha)
	return 8 * n8
}

// lrnQuotientFast computes the first 8*floor(len(q)/8) values of
// q = gy*y/d with AVX and returns how many it did.
func (k lrnKernel) lrnQuotientFast(q, gy, y, d []float32) int {
	n8 := len(q) / 8
	if !k.vector() || n8 == 0 || len(gy) < len(q) || len(y) < len(q) || len(d) < len(q) {
		return 0
	}
	lrnQuotientAVX(&q[0], &gy[0], &y[0], &d[0], n8)
	return 8 * n8
}

// lrnBackwardFast computes the first 8*floor(hw/8) pixels of
// lrnKernel.backwardPlane with AVX and returns how many it did.
func (k lrnKernel) lrnBackwardFast(gx, x, gy, d, q []float32, m, hw int) int {
	n8 := hw / 8
	if !k.vector() || n8 == 0 || m < 1 || len(gx) < hw || len(x) < hw || len(gy) < hw || len(d) < hw || len(q) < m*hw {
		return 0
	}
	lrnBackwardAVX(&q[0], m, hw, &x[0], &gy[0], &d[0], &gx[0], n8, k.c2)
	return 8 * n8
}
