package ops

import (
	G "gorgonia.org/gorgonia"

	"branchspec/trainer/ops/gemm"
)

// A convolution with stride s > 1 is computed as a stride-1 convolution on
// the s*s phase images of its padded input (space-to-depth; the
// polyphase decomposition of a decimating filter). Writing each tap index
// as i = s*i' + a and j = s*j' + b, 0 <= a, b < s,
//
//	y[o][r][q] = sum_{c,i,j} w[o][c][i][j] xp[c][r*s + i][q*s + j]
//	           = sum_{c,a,b,i',j'} w2[o][c2][i'][j'] ph[c2][r + i'][q + j']
//
// with phase channel c2 = (c*s + a)*s + b,
//
//	ph[c2][u][v]        = xp[c][u*s + a][v*s + b]     (xp: x zero-padded by pad)
//	w2[o][c2][i'][j']   = w[o][c][s*i' + a][s*j' + b]  (0 where s*i'+a or s*j'+b >= K)
//
// a stride-1, unpadded convolution with C*s*s channels and a kernel of
// K2 = ceil(K/s) taps a side, on phase images of OH+K2-1 by OW+K2-1. The
// forward pass, backward data and backward filter all run on the stride-1
// machinery (convPlan); the input gradient is the phase gradient read
// back (each input pixel is in exactly one phase), and the weight gradient
// is the phase weight gradient at the taps that exist. The forward product
// and the weight gradient skip the taps that do not exist
// (newConvPlanKeep); backward data computes them too, at (s*K2/K)^2 - 1
// extra arithmetic: 31% for 7x7/2, 44% for 5x5/2.

// phaseGeom returns the stride-1 geometry on g's phase images.
func (g convGeom) phaseGeom() convGeom {
	s := g.stride
	k2 := (g.k + s - 1) / s
	return convGeom{n: g.n, c: g.c * s * s, h: g.oh + k2 - 1, w: g.ow + k2 - 1, o: g.o, k: k2, stride: 1, oh: g.oh, ow: g.ow}
}

// phaseRange returns the phase columns (or rows) v in [v0, v1) whose
// source v*s + b - pad lies in [0, n), clipped to [0, m).
func phaseRange(b, pad, s, n, m int) (v0, v1 int) {
	if d := pad - b; d > 0 {
		v0 = (d + s - 1) / s
	}
	if last := n - 1 + pad - b; last >= 0 {
		v1 = min(m, last/s+1)
	}
	return v0, max(v0, v1)
}

// phaseImage writes all of ph [C*s*s, Hph, Wph], the phase images of one
// image [C, H, W] at the start of x (see above); x may run on past the
// image (stride 2 reads one value past a row, to decimate it in vector
// blocks with kern), and those values are never used.
func (g convGeom) phaseImage(ph, x []float32, kern gemm.Kernel) {
	s, p := g.stride, g.phaseGeom()
	plane := p.h * p.w
	clear(ph[:p.inImage()])
	for c := 0; c < g.c; c++ {
		for a := 0; a < s; a++ {
			u0, u1 := phaseRange(a, g.pad, s, g.h, p.h)
			for b := 0; b < s; b++ {
				v0, v1 := phaseRange(b, g.pad, s, g.w, p.w)
				dst := ph[((c*s+a)*s+b)*plane:][:plane]
				if u0 == u1 || v0 == v1 {
					continue
				}
				// Row u, column v of the phase reads x[c][u*s+a-pad][v*s+b-pad].
				src := x[(c*g.h+u0*s+a-g.pad)*g.w+v0*s+b-g.pad:]
				if s == 2 {
					kern.DecimateRows(dst[u0*p.w+v0:], p.w, src, s*g.w, u1-u0, v1-v0)
					continue
				}
				for u := 0; u < u1-u0; u++ {
					row, in := dst[(u0+u)*p.w+v0:(u0+u)*p.w+v1], src[u*s*g.w:]
					for v := range row {
						row[v] = in[v*s]
					}
				}
			}
		}
	}
}

// unphaseImage writes dx [C, H, W] from the gradient dph of its phase
// images: each input pixel reads the one phase position it went to, and
// pixels no output window reads get 0.
func (g convGeom) unphaseImage(dx, dph []float32) {
	s, p := g.stride, g.phaseGeom()
	plane := p.h * p.w
	clear(dx[:g.inImage()])
	for c := 0; c < g.c; c++ {
		for a := 0; a < s; a++ {
			u0, u1 := phaseRange(a, g.pad, s, g.h, p.h)
			for b := 0; b < s; b++ {
				v0, v1 := phaseRange(b, g.pad, s, g.w, p.w)
				src := dph[((c*s+a)*s+b)*plane:][:plane]
				for u := u0; u < u1; u++ {
					dst := dx[(c*g.h+u*s+a-g.pad)*g.w:][:g.w]
					row := src[u*p.w : (u+1)*p.w]
					for v := v0; v < v1; v++ {
						dst[v*s+b-g.pad] = row[v]
					}
				}
			}
		}
	}
}

// phaseTapExists reports whether tap (i2, j2) of phase channel c2 is a
// tap of the kernel: s*i2 + a < K and s*j2 + b < K.
func (g convGeom) phaseTapExists(c2, i2, j2 int) bool {
	s := g.stride
	return i2*s+c2/s%s < g.k && j2*s+c2%s < g.k
}

// phaseWeights writes w2 from w [O, C, K, K]: with all, w2 [O, C*s*s,
// K2, K2], zero at the taps that do not exist; without, row o holds the
// taps that exist only, in the same order (phaseTapExists), O rows of
// C*K*K.
func (g convGeom) phaseWeights(w2, w []float32, all bool) {
	s, p := g.stride, g.phaseGeom()
	k, k2 := g.k, p.k
	at := 0
	for o := 0; o < g.o; o++ {
		for c2 := 0; c2 < p.c; c2++ {
			c, a, b := c2/(s*s), c2/s%s, c2%s
			for i2 := 0; i2 < k2; i2++ {
				for j2 := 0; j2 < k2; j2++ {
					i, j := i2*s+a, j2*s+b
					switch {
					case i < k && j < k:
						w2[at] = w[((o*g.c+c)*k+i)*k+j]
					case all:
						w2[at] = 0
					default:
						continue
					}
					at++
				}
			}
		}
	}
}

// unphaseWeights writes dw [O, C, K, K] from the phase weight gradient
// dw2 [O, C*s*s, K2, K2], at the taps that exist.
func (g convGeom) unphaseWeights(dw, dw2 []float32) {
	s, p := g.stride, g.phaseGeom()
	k, k2 := g.k, p.k
	for o := 0; o < g.o; o++ {
		for c := 0; c < g.c; c++ {
			for i := 0; i < k; i++ {
				for j := 0; j < k; j++ {
					c2 := (c*s+i%s)*s + j%s
					dw[((o*g.c+c)*k+i)*k+j] = dw2[((o*p.c+c2)*k2+i/s)*k2+j/s]
				}
			}
		}
	}
}

// backwardDataStrided computes dx of the strided convolution g: the
// backward data of its phase convolution, read back per image.
func (op *convGradOp) backwardDataStrided(g convGeom, w, gy, y []float32) G.Value {
	t, dx := op.out.get(g.n, g.c, g.h, g.w)
	pg := g.phaseGeom()
	bg, _ := pg.backwardGeom() // unpadded: pad K2-1 >= 0
	op.w2 = grow(op.w2, pg.o*pg.ckk())
	g.phaseWeights(op.w2, w, true)
	op.backwardData(pg, bg, op.w2, gy, y, nil, func(s *convWorker, _ int) []float32 {
		s.ph = grow(s.ph, pg.inImage())
		return s.ph
	}, func(s *convWorker, n int) {
		g.unphaseImage(dx[n*g.inImage():(n+1)*g.inImage()], s.ph)
	})
	return t
}

// backwardFilterStrided computes dw of the strided convolution g: the
// weight gradient of its phase convolution at the taps that exist.
func (op *convGradOp) backwardFilterStrided(g convGeom, x, gy, y []float32) G.Value {
	t, dw := op.out.get(g.o, g.c, g.k, g.k)
	pg := g.phaseGeom()
	op.w2 = grow(op.w2, pg.o*pg.ckk())
	op.backwardFilter(pg, g.phaseTapExists, func(s *convWorker, n int) []float32 {
		s.ph = grow(s.ph, pg.inImage())
		g.phaseImage(s.ph, x[n*g.inImage():], op.kernel)
		return s.ph
	}, gy, y, op.w2)
	g.unphaseWeights(dw, op.w2)
	return t
}
