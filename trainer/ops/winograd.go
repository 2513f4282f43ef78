package ops

import (
	"branchspec/trainer/ops/gemm"
)

// Winograd F(2x2, 3x3) convolution (Lavin and Gray, "Fast Algorithms for
// Convolutional Neural Networks", CVPR 2016): each 2x2 block of outputs of
// a 3x3, stride-1 convolution is
//
//	Y = Aᵀ [ Σ_c (G w_c Gᵀ) ⊙ (Bᵀ d_c B) ] A
//
// where d_c is the 4x4 block of padded input channel c under it and
//
//	Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
//	G  = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1]
//	Aᵀ = [1 1 1 0; 0 1 -1 -1]
//
// so that the 36 multiply-adds per output block and channel of a direct
// convolution become 16: the sum over c, for each of the 16 elements ξ of
// the 4x4 transformed block, is one product U_ξ [O, C] × V_ξ [C, T] over
// the T tiles of an image, which the GEMM kernels run (read in place). The
// transforms are additions only. The results differ from a direct
// convolution's by rounding (the transforms reorder the sums): 1-2e-7 of
// the terms' magnitude against a float64 sum here (TestWinoForward), as
// much as a direct float32 sum's.
//
// winoPlan runs it for one geometry: 3x3 weights, padding 1, stride 1, H
// even and W a multiple of 16 (a tile row is whole blocks of 8 tiles, the
// vector width of the transforms), T a multiple of 32 (every kernel's NR
// divides it: whether a convolution runs Winograd must not depend on the
// kernel, as avx512 and avx2 give the same bits) and at least
// winoMinChannels input channels.
type winoPlan struct {
	g      convGeom
	kernel gemm.Kernel
	vec    vecLevel
	hp, wp int          // padded plane: H+2 rows of W+2
	tiles  int          // T = H/2 * W/2
	gather *gemm.Gather // row c of V_ξ at offset c*T
}

// winoFits reports whether winoPlan runs g.
func winoFits(g convGeom) bool {
	return g.k == 3 && g.pad == 1 && g.stride == 1 && g.h%2 == 0 && g.h > 0 && g.w%16 == 0 && g.w > 0 &&
		(g.h/2*g.w/2)%32 == 0 && g.c >= winoMinChannels && g.o > 0
}

// winoMinChannels is the fewest input channels winoPlan takes: its
// products are C deep, and the transforms cost the same per output
// whatever C is, so with few channels the direct convolution keeps up
// (one 16x16 image, one core on Zen 5, hot in cache: 16->16 channels 6.5
// -> 5.9 µs, 32->32 23.8 -> 16.1, 48->48 52.8 -> 31.0; a first layer's 3
// channels were slower, and in a training step, where the transforms'
// buffers come from L2 and memory, the gain is smaller than here).
const winoMinChannels = 32

func newWinoPlan(g convGeom, k gemm.Kernel) *winoPlan {
	p := &winoPlan{g: g, kernel: k, vec: kernelVec(k), hp: g.h + 2, wp: g.w + 2, tiles: g.h / 2 * g.w / 2}
	offs := make([]int32, g.c)
	for c := range offs {
		offs[c] = int32(c * p.tiles)
	}
	p.gather, _ = k.NewGather(offs) // offsets are non-negative
	return p
}

// padLen is the length of an image's padded planes.
func (p *winoPlan) padLen() int { return p.g.c * p.hp * p.wp }

// vStride and mStride are the distances between the 16 matrices of an
// image's transformed input V_ξ [C, T] and of the products M_ξ [O, T]:
// their sizes plus 32 values, as the transforms write or read all 16 at
// once, and at a distance of a multiple of 4 KiB those streams would fall
// into one set of the L1 cache (C*T = 2048 values on 16x16 planes with 32
// channels: the input transform took 8 of a forward pass's 25 µs).
func (p *winoPlan) vStride() int { return p.g.c*p.tiles + 32 }
func (p *winoPlan) mStride() int { return p.g.o*p.tiles + 32 }

// vLen and mLen are the lengths of V and M.
func (p *winoPlan) vLen() int { return 16 * p.vStride() }
func (p *winoPlan) mLen() int { return 16 * p.mStride() }

// packWeights returns the transformed weights U_ξ = (G w Gᵀ)_ξ for w [O,
// C, 3, 3], each [O, C] packed as the kernel's A, 16 of them stride apart
// in dst (resliced or reallocated), and that stride.
func (p *winoPlan) packWeights(dst, u, w []float32) (pk, ubuf []float32, stride int) {
	g := p.g
	oc := g.o * g.c
	us := oc + 16 // apart by 4 KiB multiples, the 16 streams would share an L1 set
	u = grow(u, 16*us)
	for i := 0; i < oc; i++ {
		var t [16]float32
		winoWeight(&t, w[i*9:i*9+9])
		for x, v := range t {
			u[x*us+i] = v
		}
	}
	stride = p.kernel.PanelsLen(g.o, g.c)
	dst = grow(dst, 16*stride)
	for x := 0; x < 16; x++ {
		// Packed in place: the slice has the panels' length.
		p.kernel.PackA(dst[x*stride:(x+1)*stride], u[x*us:x*us+oc], g.c, g.o, g.c)
	}
	return dst, u, stride
}

// winoWeight writes G w Gᵀ of the 3x3 kernel w (row-major) into u (4x4,
// row-major), in float32: rows (G w) first, then columns.
func winoWeight(u *[16]float32, w []float32) {
	var gw [4][3]float32
	for j := 0; j < 3; j++ {
		w0, w1, w2 := w[j], w[3+j], w[6+j]
		gw[0][j] = w0
		gw[1][j] = ((w0 + w1) + w2) * 0.5
		gw[2][j] = ((w0 - w1) + w2) * 0.5
		gw[3][j] = w2
	}
	for i := 0; i < 4; i++ {
		r0, r1, r2 := gw[i][0], gw[i][1], gw[i][2]
		u[4*i+0] = r0
		u[4*i+1] = ((r0 + r1) + r2) * 0.5
		u[4*i+2] = ((r0 - r1) + r2) * 0.5
		u[4*i+3] = r2
	}
}

// forward convolves one image: xp is its padded input (p.padLen(), the
// border zero), upk the packed transformed weights (stride apart), y its
// output [O, H, W], plus bias (nil for none) and through the ReLU when
// relu is set. v and m are the worker's scratch (p.vLen(), p.mLen()).
func (p *winoPlan) forward(ws *gemm.Workspace, xp, upk []float32, stride int, v, m, y, bias []float32, relu bool) {
	g, t := p.g, p.tiles
	tw := g.w / 2 // tiles a row
	nb := g.w / 16
	plane := p.hp * p.wp
	vs, ms := p.vStride(), p.mStride()
	for c := 0; c < g.c; c++ {
		if p.vec >= vecAVX2 {
			winoInputAVX(&xp[c*plane], p.wp, &v[c*t], vs, nb, g.h/2)
			continue
		}
		for ti := 0; ti < g.h/2; ti++ {
			winoInput(xp[c*plane+2*ti*p.wp:], p.wp, v[c*t+ti*tw:], vs, tw)
		}
	}
	nr := p.kernel.NR()
	for x := 0; x < 16; x++ {
		a := upk[x*stride : (x+1)*stride]
		for q := 0; q < t; q += nr {
			ws.MulGather(g.o, nr, a, p.kernel.MR()*g.c, p.gather, v[x*vs+q:], nil, gemm.Epilogue{}, m[x*ms+q:], t)
		}
	}
	flags := 0
	if bias != nil {
		flags |= 1
	}
	if relu {
		flags |= 2
	}
	var zero float32
	for o := 0; o < g.o; o++ {
		b := &zero // not read without a bias
		if bias != nil {
			b = &bias[o]
		}
		if p.vec >= vecAVX2 {
			winoOutputAVX(&m[o*t], ms, &y[o*g.h*g.w], g.w, b, flags, nb, g.h/2)
			continue
		}
		for ti := 0; ti < g.h/2; ti++ {
			winoOutput(m[o*t+ti*tw:], ms, y[o*g.h*g.w+2*ti*g.w:], g.w, *b, flags, tw)
		}
	}
}

// winoInput is winoInputAVX in Go, for n tiles: the same operations in the
// same order.
func winoInput(xp []float32, ldx int, v []float32, ldv, n int) {
	r0, r1, r2, r3 := xp, xp[ldx:], xp[2*ldx:], xp[3*ldx:]
	rows := [4][2][]float32{{r0, r2}, {r1, r2}, {r2, r1}, {r1, r3}}
	for t := 0; t < n; t++ {
		c := 2 * t
		for i, ab := range rows {
			a, b := ab[0], ab[1]
			var r [4]float32
			for q := range r {
				if i == 1 {
					r[q] = a[c+q] + b[c+q]
				} else {
					r[q] = a[c+q] - b[c+q]
				}
			}
			v[(4*i+0)*ldv+t] = r[0] - r[2]
			v[(4*i+1)*ldv+t] = r[1] + r[2]
			v[(4*i+2)*ldv+t] = r[2] - r[1]
			v[(4*i+3)*ldv+t] = r[1] - r[3]
		}
	}
}

// winoOutput is winoOutputAVX in Go, for n tiles (bias is the value, read
// when flags&1): the same operations in the same order.
func winoOutput(m []float32, ldm int, y []float32, w int, bias float32, flags, n int) {
	for t := 0; t < n; t++ {
		var s, d [4]float32
		for j := 0; j < 4; j++ {
			m0, m1, m2, m3 := m[j*ldm+t], m[(4+j)*ldm+t], m[(8+j)*ldm+t], m[(12+j)*ldm+t]
			s[j] = (m0 + m1) + m2
			d[j] = (m1 - m2) - m3
		}
		out := [4]float32{(s[0] + s[1]) + s[2], (s[1] - s[2]) - s[3], (d[0] + d[1]) + d[2], (d[1] - d[2]) - d[3]}
		for k := range out {
			if flags&1 != 0 {
				out[k] += bias
			}
			if flags&2 != 0 && out[k] < 0 {
				out[k] = 0 // max(0, v) as MAXPS(0, v) takes it: v unless 0 > v (a NaN and -0 stay)
			}
		}
		y[2*t], y[2*t+1] = out[0], out[1]
		y[w+2*t], y[w+2*t+1] = out[2], out[3]
	}
}

// winoTag is ",winograd" for an op that runs winoPlan where it fits and ""
// otherwise, whose ops keep their hashes.
func winoTag(on bool) string {
	if on {
		return ",winograd"
	}
	return ""
}

// winoWeights is an op's Winograd state: the plan of its geometry and the
// latest weights, transformed and packed.
type winoWeights struct {
	plan   *winoPlan
	u, upk []float32
	stride int
	du     []float32 // the weight gradient in the transformed domain
}

// run convolves the g.n images x (times [mask != 0], mask being a ReLU
// output, when mask is not nil) with w [O, C, 3, 3] into out, plus bias
// (nil for none) and through the ReLU when relu is set, one image a chunk
// on op's workers; g must fit (winoFits). Each image's result is its own,
// so the bits do not depend on the number of workers.
func (ww *winoWeights) run(op *pureOp, scratch *convWorkers, g convGeom, kern gemm.Kernel, w, x, mask, out, bias []float32, relu bool) {
	if ww.plan == nil || ww.plan.g != g {
		ww.plan = newWinoPlan(g, kern)
	}
	p := ww.plan
	ww.upk, ww.u, ww.stride = p.packWeights(ww.upk, ww.u, w)
	in, outLen := g.inImage(), g.outImage()
	workers := scratch.get(g, kern, op.numImageWorkers(g.n))
	op.forImages(g.n, func(n, worker int) {
		s := &workers[worker]
		s.xp = zeroed(s.xp, p.padLen()) // the border stays zero
		s.wv = grow(s.wv, p.vLen())
		s.wm = grow(s.wm, p.mLen())
		var mn []float32
		if mask != nil {
			mn = mask[n*in : (n+1)*in]
		}
		p.padMasked(s.xp, x[n*in:(n+1)*in], mn)
		p.forward(&s.ws, s.xp, ww.upk, ww.stride, s.wv, s.wm, out[n*outLen:(n+1)*outLen], bias, relu)
	})
}

// padMasked copies x [C, H, W] (times [mask != 0] when mask is not nil)
// into the interior of the padded planes xp, whose border must be zero.
func (p *winoPlan) padMasked(xp, x, mask []float32) {
	padPlanes(p.kernel, xp, p.hp*p.wp, p.wp, 1, x, mask, p.g.c, p.g.h, p.g.w)
}

// winoGrad is winoGradAVX in Go, for n tiles of one tile row (gy's rows 0
// and 1): the same operations in the same order.
func winoGrad(gy []float32, w int, dm []float32, ldm, n int) {
	var zero float32
	for t := 0; t < n; t++ {
		g00, g01, g10, g11 := gy[2*t], gy[2*t+1], gy[w+2*t], gy[w+2*t+1]
		h0 := [4]float32{g00, g00 + g01, g00 - g01, zero - g01}
		h1 := [4]float32{g10, g10 + g11, g10 - g11, zero - g11}
		for j := 0; j < 4; j++ {
			dm[j*ldm+t] = h0[j]
			dm[(4+j)*ldm+t] = h0[j] + h1[j]
			dm[(8+j)*ldm+t] = h0[j] - h1[j]
			dm[(12+j)*ldm+t] = zero - h1[j]
		}
	}
}

// winoFilterGrad turns dU [16, C, O] (the 16 matrices stride apart), the
// weight gradient in the transformed domain (dU_ξ = Σ V_ξ dM_ξᵀ over
// images and tiles), into dw [O, C, 3, 3] = Gᵀ dU G per (o, c),
// Gᵀ = [1 ½ ½ 0; 0 ½ -½ 0; 0 ½ ½ 1]: rows first, then columns.
func winoFilterGrad(dw, du []float32, o, c, stride int) {
	oc := o * c
	for i := 0; i < oc; i++ {
		var d [4][4]float32
		src := (i%c)*o + i/c // (c, o) of dw's (o, c) = i
		for x := 0; x < 16; x++ {
			d[x/4][x%4] = du[x*stride+src]
		}
		var r [3][4]float32
		for j := 0; j < 4; j++ {
			d0, d1, d2, d3 := d[0][j], d[1][j], d[2][j], d[3][j]
			r[0][j] = d0 + (d1+d2)*0.5
			r[1][j] = (d1 - d2) * 0.5
			r[2][j] = (d1+d2)*0.5 + d3
		}
		out := dw[i*9 : i*9+9]
		for a := 0; a < 3; a++ {
			d0, d1, d2, d3 := r[a][0], r[a][1], r[a][2], r[a][3]
			out[3*a+0] = d0 + (d1+d2)*0.5
			out[3*a+1] = (d1 - d2) * 0.5
			out[3*a+2] = (d1+d2)*0.5 + d3
		}
	}
}

// backwardFilter computes the weight gradient dw [O, C, 3, 3] of the
// convolution g (which must fit) from its inputs x and output gradient gy
// (times [y != 0] when y is not nil), in the transformed domain: per chunk
// of images, V_ξ of each image's padded input and dM_ξ of its output
// gradient (winoGrad) side by side, and one product dM_ξ V_ξᵀ per ξ over
// the chunk's tiles (V_ξ packed with Interleave, dM_ξ transposed into
// panels, one chain of multiply-adds per value: avx512 and avx2 agree);
// the chunk sums added in chunk order; then Gᵀ dU G. The bits do not
// depend on the number of workers. O must be a multiple of 16. V is
// computed again rather than kept from the forward pass: kept, it would
// be 8 MB a layer at batch 64 on 16x16 planes with 32 channels, written
// and read back through memory, against a transform from the input
// already in cache.
func (ww *winoWeights) backwardFilter(op *pureOp, scratch *convWorkers, parts *[][]float32, g convGeom, kern gemm.Kernel, x, gy, y, dw []float32) {
	if ww.plan == nil || ww.plan.g != g {
		ww.plan = newWinoPlan(g, kern)
	}
	p := ww.plan
	t, tw, nb := p.tiles, g.w/2, g.w/16
	tc := t // V and M hold one image's tiles
	vs, ms := g.c*tc+32, g.o*tc+32
	oc := g.o * g.c
	ocs := oc + 16 // dU_ξ's distance: 4 KiB multiples would share L1 sets (see vStride)
	nc := numChunks(g.n)
	*parts = growEach(*parts, nc, 16*ocs)
	in, outLen := g.inImage(), g.outImage()
	plane := p.hp * p.wp
	// V_ξ's rows in the kernel's panels: panel ip starts at row first[ip]
	// and is height[ip] high.
	var first, height []int
	for r := 0; r < g.c; {
		_, _, h := kern.PanelRow(g.c, r)
		first, height = append(first, r), append(height, h)
		r += h
	}
	mr, nr := kern.MR(), kern.NR()
	workers := scratch.get(g, kern, op.numWorkers(g.n))
	op.forChunks(g.n, func(chunk, lo, hi, worker int) {
		s := &workers[worker]
		s.xp = zeroed(s.xp, p.padLen())
		s.wv = grow(s.wv, 16*vs)
		s.wm = grow(s.wm, 16*ms)
		for n := lo; n < hi; n++ {
			const k = 0
			p.padMasked(s.xp, x[n*in:(n+1)*in], nil)
			gyn := gy[n*outLen : (n+1)*outLen]
			if y != nil {
				s.gm = grow(s.gm, outLen)
				kern.MaskCopy(s.gm, gyn, y[n*outLen:(n+1)*outLen])
				gyn = s.gm
			}
			for c := 0; c < g.c; c++ {
				if p.vec >= vecAVX2 {
					winoInputAVX(&s.xp[c*plane], p.wp, &s.wv[c*tc+k], vs, nb, g.h/2)
					continue
				}
				for ti := 0; ti < g.h/2; ti++ {
					winoInput(s.xp[c*plane+2*ti*p.wp:], p.wp, s.wv[c*tc+k+ti*tw:], vs, tw)
				}
			}
			for o := 0; o < g.o; o++ {
				if p.vec >= vecAVX2 {
					winoGradAVX(&gyn[o*g.h*g.w], g.w, &s.wm[o*tc+k], ms, nb, g.h/2)
					continue
				}
				for ti := 0; ti < g.h/2; ti++ {
					winoGrad(gyn[o*g.h*g.w+2*ti*g.w:], g.w, s.wm[o*tc+k+ti*tw:], ms, tw)
				}
			}
			// The image's products, added to the chunk's (the first
			// image's alone): each value is the chunk's images' chains
			// added in image order.
			depth := t
			s.bp = grow(s.bp, len(first)*mr*depth+mr) // Interleave may write a row past
			s.gpk = grow(s.gpk, depth*nr)
			ep := gemm.Epilogue{Add: n != lo}
			for x := 0; x < 16; x++ {
				v, dm := s.wv[x*vs:], s.wm[x*ms:]
				for ip, r := range first {
					kern.Interleave(s.bp[ip*mr*depth:], height[ip], v[r*tc:], tc, min(height[ip], g.c-r), depth)
				}
				part := (*parts)[chunk][x*ocs : x*ocs+oc] // [C, O]
				for o0 := 0; o0 < g.o; o0 += nr {
					nv := min(nr, g.o-o0)
					for q := 0; q < nv; q += 16 {
						kern.Transpose16(s.gpk[q:], nr, dm[(o0+q)*tc:], tc, nil, depth)
					}
					s.ws.MulPanel(g.c, nv, depth, s.bp, mr*depth, 0, s.gpk, ep, part[o0:], g.o)
				}
			}
		}
	})
	ww.du = grow(ww.du, 16*ocs)
	op.workers.reduceChunks(ww.du, *parts, nc)
	winoFilterGrad(dw, ww.du, g.o, g.c, ocs)
}
