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

// The AVX-512 versions, 16 pixels at a time.
//
//go:noescape
func lrnForward512(win *float32, m, hw int, xc, y, d *float32, n16 int, k, alpha float32)

//go:noescape
func lrnQuotient512(q, gy, y, d *float32, n16 int)

//go:noescape
func lrnBackward512(win *float32, m, hw int, x, gy, d, gx *float32, n16 int, c2 float32)

// vector reports whether the AVX paths run: for beta = 0.75 at vector
// level AVX2 or higher.
func (k lrnKernel) vector() bool { return k.beta == 0.75 && k.vec >= vecAVX2 }

// vectorBlocks covers pixels [0, n) with vector blocks: blocks of 16
// (wide) at AVX-512, then of 8, then, when pixels are left and n >= 8,
// one block of 8 ending at n that overlaps pixels already done (the same
// operations on the same inputs rewrite the same bits there). It calls
// run(from, blocks, wide) and returns how many pixels it covered: n, or 0
// below 8.
func (k lrnKernel) vectorBlocks(n int, run func(from, blocks int, wide bool)) int {
	if n < 8 {
		return 0
	}
	done := 0
	if n16 := n / 16; k.vec >= vec512 && n16 > 0 {
		run(0, n16, true)
		done = 16 * n16
	}
	if n8 := (n - done) / 8; n8 > 0 {
		run(done, n8, false)
		done += 8 * n8
	}
	if done < n {
		run(n-8, 1, false)
	}
	return n
}

// lrnForwardFast computes lrnKernel.forwardPlane's pixels [0, n) with AVX
// (and AVX-512) and returns how many it did: all n, or 0 when it cannot.
func (k lrnKernel) lrnForwardFast(y, d, xc, win []float32, m, stride, n int) int {
	if !k.vector() || m < 1 || len(y) < n || len(d) < n || len(xc) < n || len(win) < (m-1)*stride+n {
		return 0
	}
	return k.vectorBlocks(n, func(i, blocks int, wide bool) {
		if wide {
			lrnForward512(&win[i], m, stride, &xc[i], &y[i], &d[i], blocks, k.k, k.alpha)
		} else {
			lrnForwardAVX(&win[i], m, stride, &xc[i], &y[i], &d[i], blocks, k.k, k.alpha)
		}
	})
}

// lrnQuotientFast computes q = gy*y/d with AVX (and AVX-512) and returns
// how many values it did: all of q, or 0 when it cannot.
func (k lrnKernel) lrnQuotientFast(q, gy, y, d []float32) int {
	if !k.vector() || len(gy) < len(q) || len(y) < len(q) || len(d) < len(q) {
		return 0
	}
	return k.vectorBlocks(len(q), func(i, blocks int, wide bool) {
		if wide {
			lrnQuotient512(&q[i], &gy[i], &y[i], &d[i], blocks)
		} else {
			lrnQuotientAVX(&q[i], &gy[i], &y[i], &d[i], blocks)
		}
	})
}

// lrnBackwardFast computes lrnKernel.backwardPlane's pixels [0, n) with
// AVX (and AVX-512) and returns how many it did: all n, or 0 when it
// cannot.
func (k lrnKernel) lrnBackwardFast(gx, x, gy, d, q []float32, m, stride, n int) int {
	if !k.vector() || m < 1 || len(gx) < n || len(x) < n || len(gy) < n || len(d) < n || len(q) < (m-1)*stride+n {
		return 0
	}
	return k.vectorBlocks(n, func(i, blocks int, wide bool) {
		if wide {
			lrnBackward512(&q[i], m, stride, &x[i], &gy[i], &d[i], &gx[i], blocks, k.c2)
		} else {
			lrnBackwardAVX(&q[i], m, stride, &x[i], &gy[i], &d[i], &gx[i], blocks, k.c2)
		}
	})
}
