package ops

import (
	"math"
	"slices"

	"branchspec/trainer/ops/gemm"
)

// convPlan lays out one image's stride-1 convolution as products of packed
// panels, with no patch matrix in memory. The image is first copied into zero-padded
// planes xp [C, HP, WP] (HP = H+2*pad, WP = W+2*pad), so that every patch
// element is a plain load:
//
//	col[(c*K+i)*K+j][y*OW+x] = xp[c][(y+i)*WP + x+j]
//
// Forward (and backward data, as a convolution of the output gradient with
// the flipped kernel): the output positions are cut into NR-wide
// panels; panel q of the patch matrix is written k-major straight from xp
// (runs of consecutive positions on one output row are contiguous in xp)
// and multiplied at once, while it is in L1, by the packed weights.
//
// Small outputs (rows of fewer than NR/2 positions, as 7x7 and 3x3) are
// computed at the wide positions t = y*WP + x, x < WP, instead (the
// plan's wide mode): a panel of NR consecutive wide positions reads each
// patch row from one run of xp, in place, where the output positions'
// panels would each be packed from a run per output row, and the columns
// x >= OW are dropped when the output is copied out. Each kept value is
// the same product as before, so the bits are the same.
//
// Batched mode (small outputs, batches of at least NR/2 images): NR
// images at a time are transposed into one padded input xb [C, HP, WP, NR]
// with the image index innermost, so that a patch row at one output
// position, over NR images, is NR consecutive values of xb: each output
// position is one panel, read in place by MulGather (taps at NR times the
// plane offsets), with no wide positions to drop. The output [O, OH*OW, NR]
// is transposed back to [NR, O, OH*OW]. Each value is the same product as
// in the other modes, so the bits are the same.
//
// Weight gradient: dW[o][c][i][j] = sum_{y,x} gy[o][y][x] xp[c][(y+i)*WP + x+j]
// is, for each tap (i, j), a product over the output positions of gy and
// of xp read from i*WP + j in runs of OW, skipping the K-1 = WP-OW columns
// between one row's run and the next (gemm.Workspace.MulPanelGaps). With
// xp packed k-major over its plane, every tap reads the same packed buffer
// from its own offset, so xp is packed once per image for all K*K taps.
// With fewer channels than a panel's MR rows (a first layer's 3), the
// C*K*K rows of all taps are packed instead (each row one run of xp) and
// multiplied in one product (tapRows): the same chains, full panels.
// Where the plan keeps only some taps (newConvPlanKeep), the tap rows are
// the kept ones, and the per-tap products are grouped by the channels
// whose taps they keep (filterGroup): each group's channels are packed
// once per image and its products have as many rows. The gradients of the
// taps not kept are not computed.
type convPlan struct {
	g      convGeom
	kernel gemm.Kernel // the kernel whose packed layouts the plan writes
	mr, nr int         // its panel height of A and width of B
	hp, wp int
	// wide is the wide mode of the forward product (see above).
	wide bool
	// segs[first[q]:first[q+1]] are the runs of output panel q: positions
	// [dst, dst+n) of the panel read xp from plane offset src (tap 0, 0).
	// None of these (segs, first, runs) in wide mode.
	segs  []panelSeg
	first []int
	// runs[q] are panel q's runs for gemm.Gather.PackRuns (those of panels
	// MulGather reads in place are nil).
	runs []*gemm.Runs
	// taps gathers patch row (c, i, j) at output position (0, 0) from
	// offset c*HP*WP + i*WP + j of xp, for each tap the plan keeps (all
	// C*K*K, or those of newConvPlanKeep), in that order; depth is their
	// number, the depth of the forward product.
	taps  *gemm.Gather
	depth int
	// groups are the weight gradient's per-tap products (filter); cols[r]
	// is the column of dW [O, C*K*K] that row r of its [rows, O] parts
	// holds, for the products the plan takes (tapRows or groups).
	groups []filterGroup
	cols   []int
	// batchTaps is taps for the batched mode's xb (offsets times NR), nil
	// when the plan does not take that mode.
	batchTaps *gemm.Gather
}

// panelSeg is one run of consecutive output positions on one output row.
type panelSeg struct{ src, dst, n int }

func newConvPlan(g convGeom, kern gemm.Kernel) *convPlan {
	return newConvPlanMode(g, kern, g.ow < kern.NR()/2, nil)
}

// newConvPlanKeep is newConvPlan over the taps (c, i, j) for which keep
// is true only (all where keep is nil). Its forward product multiplies
// those taps' weights (packed p.depth deep), and the others' must be zero
// (a strided convolution's phase taps that do not exist): each output is
// then the chain of the kept taps' products, which is the chain of all
// taps' but for the zero products dropped. Those change a chain's value
// only where it is a zero sum, in its sign (a chain starts at +0, so only
// products that underflow to -0 give a -0 sum), and where an input value
// they multiply is infinite or NaN. Its weight gradient is computed at the
// kept taps only, each value the same chain as with all taps.
func newConvPlanKeep(g convGeom, kern gemm.Kernel, keep func(c, i, j int) bool) *convPlan {
	return newConvPlanMode(g, kern, g.ow < kern.NR()/2, keep)
}

// newConvPlanMode is newConvPlanKeep with the wide mode set by wide (tests
// compare the two modes) and keep nil for all taps; the output panels'
// runs are laid out only without the wide mode.
func newConvPlanMode(g convGeom, kern gemm.Kernel, wide bool, keep func(c, i, j int) bool) *convPlan {
	p := &convPlan{g: g, kernel: kern, mr: kern.MR(), nr: kern.NR(), hp: g.h + 2*g.pad, wp: g.w + 2*g.pad, wide: wide}
	if !wide {
		p.layOutPanels()
	}
	var taps []int32
	for c := 0; c < g.c; c++ {
		for i := 0; i < g.k; i++ {
			for j := 0; j < g.k; j++ {
				if keep == nil || keep(c, i, j) {
					taps = append(taps, int32(c*p.planeLen()+i*p.wp+j))
				}
			}
		}
	}
	p.taps, _ = kern.NewGather(taps) // offsets are non-negative
	p.depth = len(taps)
	p.layOutFilter(keep)
	if wide && g.n >= p.nr/2 {
		for i := range taps {
			taps[i] *= int32(p.nr)
		}
		p.batchTaps, _ = kern.NewGather(taps)
	}
	return p
}

// layOutPanels cuts the output positions into NR-wide panels and records
// each panel's runs (segs, first, runs).
func (p *convPlan) layOutPanels() {
	g := p.g
	ohw := g.ohw()
	for p0 := 0; p0 < ohw; p0 += p.nr {
		p.first = append(p.first, len(p.segs))
		for t := p0; t < min(ohw, p0+p.nr); {
			y, x := t/g.ow, t%g.ow
			n := min(g.ow-x, p0+p.nr-t, ohw-t)
			p.segs = append(p.segs, panelSeg{src: y*p.wp + x, dst: t - p0, n: n})
			t += n
		}
	}
	p.first = append(p.first, len(p.segs))
	for q := 0; q < p.panels(); q++ {
		var src, dst, n []int32
		for _, s := range p.segs[p.first[q]:p.first[q+1]] {
			src, dst, n = append(src, int32(s.src)), append(dst, int32(s.dst)), append(n, int32(s.n))
		}
		runs, _ := gemm.NewRuns(p.nr, src, dst, n) // segments lie within their panel
		p.runs = append(p.runs, runs)
	}
}

// filterGroup is a set of the weight gradient's per-tap products: the
// taps whose kept channels are the same, multiplied over those channels
// only.
type filterGroup struct {
	chans []int // the channels, ascending
	taps  []int // the taps i*K + j, ascending
	xpkAt int   // where the channels' packed input starts in xpk
	rowAt int   // its first row in a part: chans[ci] at taps[ti] is row rowAt + ci*len(taps) + ti
}

// layOutFilter groups the taps for the weight gradient by the channels
// that keep them (all channels without keep) and records the columns of
// dW that the rows of its parts hold (cols).
func (p *convPlan) layOutFilter(keep func(c, i, j int) bool) {
	g := p.g
	kk := g.k * g.k
	kept := func(c, t int) bool { return keep == nil || keep(c, t/g.k, t%g.k) }
	for t := 0; t < kk; t++ {
		var chans []int
		for c := 0; c < g.c; c++ {
			if kept(c, t) {
				chans = append(chans, c)
			}
		}
		if len(chans) == 0 {
			continue
		}
		i := slices.IndexFunc(p.groups, func(gr filterGroup) bool { return slices.Equal(gr.chans, chans) })
		if i < 0 {
			i = len(p.groups)
			p.groups = append(p.groups, filterGroup{chans: chans})
		}
		p.groups[i].taps = append(p.groups[i].taps, t)
	}
	xpkAt, rows := 0, 0
	for i := range p.groups {
		gr := &p.groups[i]
		gr.xpkAt, gr.rowAt = xpkAt, rows
		xpkAt += p.kernel.PanelsLen(len(gr.chans), p.planeLen())
		rows += len(gr.chans) * len(gr.taps)
		if !p.tapRows() {
			for _, c := range gr.chans {
				for _, t := range gr.taps {
					p.cols = append(p.cols, c*kk+t)
				}
			}
		}
	}
	if p.tapRows() {
		for c := 0; c < g.c; c++ {
			for t := 0; t < kk; t++ {
				if kept(c, t) {
					p.cols = append(p.cols, c*kk+t)
				}
			}
		}
	}
}

// panels is the number of NR-wide output panels.
func (p *convPlan) panels() int { return len(p.first) - 1 }

// planeLen is the length of one padded plane.
func (p *convPlan) planeLen() int { return p.hp * p.wp }

// padLen is the length of the padded image xp, and in wide mode NR more
// (zeros, read only into dropped columns).
func (p *convPlan) padLen() int {
	if p.wide {
		return p.g.c*p.planeLen() + p.nr
	}
	return p.g.c * p.planeLen()
}

// wideOut is the number of wide positions of the output in wide mode, up
// to the last output position: (OH-1)*WP + OW.
func (p *convPlan) wideOut() int { return (p.g.oh-1)*p.wp + p.g.ow }

// pad copies x [C, H, W] into the interior of xp; the border of xp must be
// zero (it is never written).
func (p *convPlan) pad(xp, x []float32) { p.padMasked(xp, x, nil) }

// padMasked is pad of gy * [y > 0] (the gradient through a ReLU whose
// output is y), or of gy when y is nil.
func (p *convPlan) padMasked(xp, gy, y []float32) {
	padPlanes(p.kernel, xp, p.planeLen(), p.wp, p.g.pad, gy, y, p.g.c, p.g.h, p.g.w)
}

// padPlanes copies the c planes [h, w] of x (times [mask != 0] where mask,
// a ReLU output, is not nil) into the interiors of planes of plane values
// in xp, rows wp apart, pad rows and columns in; the borders are not
// written.
func padPlanes(k gemm.Kernel, xp []float32, plane, wp, pad int, x, mask []float32, c, h, w int) {
	hw := h * w
	for ch := 0; ch < c; ch++ {
		var m []float32
		if mask != nil {
			m = mask[ch*hw:]
		}
		k.CopyRows(xp[ch*plane+pad*wp+pad:], wp, x[ch*hw:], w, m, h, w)
	}
}

// reluMask returns g where the ReLU output y is positive and +0 elsewhere,
// without a branch (ReLU masks are as unpredictable as coin flips). y must
// be a ReLU output: +0 or positive (or NaN, which passes g).
func reluMask(g, y float32) float32 {
	b := math.Float32bits(y) &^ (1 << 31)
	mask := uint32(int32(-b) >> 31) // all ones when b != 0
	return math.Float32frombits(math.Float32bits(g) & mask)
}

// packPanel writes output panel q of the patch matrix of xp into bp,
// k-major: bp[r*NR + t] = col[r][q*NR + t]. Positions past the output are
// left as they are; they only reach output columns that are discarded.
func (p *convPlan) packPanel(bp, xp []float32, q int) { p.taps.PackRuns(bp, xp, p.runs[q]) }

// forward computes one image's output y [O, OH*OW] = wpk * col(xp) from
// the worker's padded image s.xp, with weights packed by the plan's kernel
// (O rows, p.depth deep: C*K*K, or the kept taps), plus the bias (nil for
// none) and through the ReLU when relu is set, both applied by the
// micro-kernel before it stores a tile. A panel whose positions are one run of NR on an output row, or two
// runs of NR/2 on two, is gathered from xp as the product reads it
// (gemm.Workspace.MulGather); any other is packed into s.bp, scratch of
// C*K*K*NR elements, first. In wide mode, see forwardWide.
func (p *convPlan) forward(s *convWorker, wpk, y, bias []float32, relu bool) {
	ws, xp, bp := &s.ws, s.xp, s.bp
	g := p.g
	ohw, ckk := g.ohw(), p.depth
	ep := gemm.Epilogue{Bias: bias, ReLU: relu}
	if p.wide {
		p.forwardWide(s, wpk, y, ep)
		return
	}
	for q := 0; q < p.panels(); q++ {
		p0 := q * p.nr
		nv := min(p.nr, ohw-p0)
		switch segs := p.segs[p.first[q]:p.first[q+1]]; {
		case len(segs) == 1 && segs[0].n == p.nr:
			ws.MulGather(g.o, nv, wpk, p.mr*ckk, p.taps, xp[segs[0].src:], nil, ep, y[p0:], ohw)
		case len(segs) == 2 && segs[0].n == p.nr/2 && segs[1].n == p.nr/2:
			ws.MulGather(g.o, nv, wpk, p.mr*ckk, p.taps, xp[segs[0].src:], xp[segs[1].src:], ep, y[p0:], ohw)
		default:
			p.packPanel(bp, xp, q)
			ws.MulPanel(g.o, nv, ckk, wpk, p.mr*ckk, 0, bp, ep, y[p0:], ohw)
		}
	}
}

// forwardWide is forward in wide mode: panels of NR wide positions read
// in place from xp (gemm.Workspace.MulGather), the last one, when it holds
// at most NR/2, packed (one run a row) for MulPanel's half-width tiles,
// into s.yw [O, wideOut]; then the positions x < OW of each row are copied
// to y.
func (p *convPlan) forwardWide(s *convWorker, wpk, y []float32, ep gemm.Epilogue) {
	g := p.g
	ckk, wo := p.depth, p.wideOut()
	s.yw = grow(s.yw, g.o*wo)
	for p0 := 0; p0 < wo; p0 += p.nr {
		nv := min(p.nr, wo-p0)
		if nv > p.nr/2 {
			s.ws.MulGather(g.o, nv, wpk, p.mr*ckk, p.taps, s.xp[p0:], nil, ep, s.yw[p0:], wo)
			continue
		}
		p.taps.Pack(s.bp, s.xp[p0:])
		s.ws.MulPanel(g.o, nv, ckk, wpk, p.mr*ckk, 0, s.bp, ep, s.yw[p0:], wo)
	}
	ohw := g.ohw()
	for o := 0; o < g.o; o++ {
		for r := 0; r < g.oh; r++ {
			copy(y[o*ohw+r*g.ow:o*ohw+(r+1)*g.ow], s.yw[o*wo+r*p.wp:])
		}
	}
}

// batched reports whether the plan takes the batched mode: a small
// output (wide mode) and at least NR/2 images.
func (p *convPlan) batched() bool { return p.batchTaps != nil }

// batchLen is the length of the batched mode's padded input xb.
func (p *convPlan) batchLen() int { return p.g.c * p.planeLen() * p.nr }

// forwardBatch is forward for the nimg (<= NR) images of src, image n at
// src[n*inImage:] (times [mask > 0] where mask is not nil: the gradient
// through a ReLU), into out, image n at out[n*outImage:], in batched mode
// (see above), with the worker's scratch: s.xb [C, HP, WP, NR] (its
// border zero), s.yw and s.bp. Columns of xb past nimg hold whatever an
// earlier batch left there; they only reach output columns that are
// dropped.
func (p *convPlan) forwardBatch(s *convWorker, wpk, src, mask []float32, nimg int, out, bias []float32, relu bool) {
	g, nr := p.g, p.nr
	chw, hw, ohw, ckk := g.c*g.h*g.w, g.h*g.w, g.ohw(), p.depth
	// The images, transposed to [C*H*W, NR], then each input row moved to
	// its padded place.
	s.bp = grow(s.bp, chw*nr)
	transposeBlock(p.kernel, s.bp, nr, src, chw, mask, nimg, chw)
	for c := 0; c < g.c; c++ {
		for y := 0; y < g.h; y++ {
			at := ((c*p.hp+y+g.pad)*p.wp + g.pad) * nr
			copy(s.xb[at:at+g.w*nr], s.bp[(c*hw+y*g.w)*nr:])
		}
	}
	// One panel per output position, into yw [O, OH*OW, NR].
	s.yw = grow(s.yw, g.o*ohw*nr)
	ep := gemm.Epilogue{Bias: bias, ReLU: relu}
	for t := 0; t < ohw; t++ {
		y, x := t/g.ow, t%g.ow
		s.ws.MulGather(g.o, nimg, wpk, p.mr*ckk, p.batchTaps, s.xb[(y*p.wp+x)*nr:], nil, ep, s.yw[t*nr:], ohw*nr)
	}
	// out[n][o][t] = yw[o][t][n].
	for o := 0; o < g.o; o++ {
		transposeBlock(p.kernel, out[o*ohw:], g.o*ohw, s.yw[o*ohw*nr:], nr, nil, ohw, nimg)
	}
}

// transposeBlock writes dst[p*ldd + i] = src[i*lds + p] (times [mask > 0]
// where mask is not nil, read as src is) for i < rows, p < n: 16 or 8
// rows at a time with the kernel's transposes over the columns up to the
// last multiple of 16 or 8, the rest one value at a time.
func transposeBlock(k gemm.Kernel, dst []float32, ldd int, src []float32, lds int, mask []float32, rows, n int) {
	for i := 0; i < rows; {
		step, transpose := 1, (func(dst []float32, ldd int, src []float32, lds int, mask []float32, n int))(nil)
		switch {
		case rows-i >= 16 && n >= 16:
			step, transpose = 16, k.Transpose16
		case rows-i >= 8 && n >= 8:
			step, transpose = 8, k.Transpose8
		}
		var m []float32
		if mask != nil {
			m = mask[i*lds:]
		}
		done := 0
		if transpose != nil {
			done = n / step * step
			transpose(dst[i:], ldd, src[i*lds:], lds, m, done)
		}
		for r := 0; r < step; r++ {
			for q := done; q < n; q++ {
				v := src[(i+r)*lds+q]
				if m != nil {
					v = reluMask(v, m[r*lds+q])
				}
				dst[q*ldd+i+r] = v
			}
		}
		i += step
	}
}

// packInputTaps packs the padded image x [nc, H, W] (nc channels of the
// plan's geometry) as an nc-row matrix, one row per channel, k-major over
// the padded plane in the plan's kernel's layout (see
// gemm.Kernel.PanelRow): xpk[ip*MR*HP*WP + u*h + i] = xp[c][u] for channel
// c in row i of panel ip. Padding and rows past nc must be zero in xpk
// (they are only ever written with zeros), and xpk must extend MR elements
// past its last panel (see gemm.Kernel.Interleave).
func (p *convPlan) packInputTaps(xpk, x []float32, nc int) {
	g := p.g
	pl, hw := p.planeLen(), g.h*g.w
	for c := 0; c < nc; {
		ip, _, h := p.kernel.PanelRow(nc, c)
		rows := min(h, nc-c)
		pan := xpk[ip*p.mr*pl:]
		if g.pad == 0 {
			// Unpadded (a strided convolution's phase images): the
			// plane's rows lie end to end on both sides, one run.
			p.kernel.Interleave(pan, h, x[c*hw:], hw, rows, hw)
		} else {
			for y := 0; y < g.h; y++ {
				base := ((y+g.pad)*p.wp + g.pad) * h
				p.kernel.Interleave(pan[base:], h, x[c*hw+y*g.w:], hw, rows, g.w)
			}
		}
		c += rows
	}
}

// packGrad packs the output gradient gy [O, OH*OW] (times [y > 0] when y
// is not nil) into NR-channel panels, k-major over the output positions:
// gpk[(o/NR)*NR*OHW + t*NR + o%NR] = gy[o][t]. Channels past O must be zero
// in gpk (never written).
func (p *convPlan) packGrad(gpk, gy, y []float32) {
	g, nr := p.g, p.nr
	ohw := g.ohw()
	for o := 0; o < g.o; o += nr {
		var mask []float32
		if y != nil {
			mask = y[o*ohw:]
		}
		transposeBlock(p.kernel, gpk[o*ohw:], nr, gy[o*ohw:], ohw, mask, min(nr, g.o-o), ohw)
	}
}

// filter adds (or, without add, stores) one image's weight gradient into
// part [rows, O] (rows of dW's transpose, see cols) from the packed taps
// xpk (packGroups) and the packed gradient gpk: for each group and each of
// its taps (i, j), the product over the output positions of the group's
// channels in xpk read from i*WP + j, in runs of OW positions with the K-1
// padding columns of each padded row skipped (gemm.Workspace.MulPanelGaps).
func (p *convPlan) filter(ws *gemm.Workspace, xpk, gpk, part []float32, add bool) {
	g, nr := p.g, p.nr
	ohw, pl := g.ohw(), p.planeLen()
	for _, gr := range p.groups {
		nt := len(gr.taps)
		for ti, t := range gr.taps {
			off := t/g.k*p.wp + t%g.k
			for o0 := 0; o0 < g.o; o0 += nr {
				nv := min(nr, g.o-o0)
				ws.MulPanelGaps(len(gr.chans), nv, ohw, xpk[gr.xpkAt:], p.mr*pl, off, g.ow, p.wp-g.ow, gpk[(o0/nr)*nr*ohw:], gemm.Epilogue{Add: add}, part[(gr.rowAt+ti)*g.o+o0:], nt*g.o)
			}
		}
	}
}

// packGroups packs the image x [C, H, W] for filter: each group's
// channels (packInputTaps), copied into sub first where they are not all
// of x's.
func (p *convPlan) packGroups(xpk, x []float32, sub *[]float32) {
	g := p.g
	hw := g.h * g.w
	for _, gr := range p.groups {
		src := x
		if len(gr.chans) < g.c {
			*sub = grow(*sub, len(gr.chans)*hw)
			for i, c := range gr.chans {
				copy((*sub)[i*hw:(i+1)*hw], x[c*hw:])
			}
			src = *sub
		}
		p.packInputTaps(xpk[gr.xpkAt:], src, len(gr.chans))
	}
}

// tapRows reports whether the weight gradient is taken as one product over
// the C*K*K tap rows of the image's patch matrix (packTapRows, filterRows)
// rather than K*K products over its C channel rows (packInputTaps,
// filter): with fewer channels than a panel's MR rows (a first layer's 3),
// each per-tap product would fill C of MR rows of its panel and read the
// output gradient once per tap.
func (p *convPlan) tapRows() bool { return p.g.c < p.mr }

// tapSpan is the depth of the packed tap rows: the wide positions
// y*WP + x (x < WP) up to the last output position, (OH-1)*WP + OW.
func (p *convPlan) tapSpan() int { return (p.g.oh-1)*p.wp + p.g.ow }

// filterInputLen is the length of one image's input packed for the
// weight gradient (packFilterInput), MR past the last panel (see
// gemm.Kernel.Interleave).
func (p *convPlan) filterInputLen() int {
	if p.tapRows() {
		return p.kernel.PanelsLen(p.depth, p.tapSpan()) + p.mr
	}
	n := 0
	for _, gr := range p.groups {
		n += p.kernel.PanelsLen(len(gr.chans), p.planeLen())
	}
	return n + p.mr
}

// packFilterInput packs the image x [C, H, W] into s.xpk for
// filterImage: its tap rows (packTapRows, through s.xp and s.col) where
// the plan takes them, else its groups' channel rows (packGroups, through
// s.sub).
func (p *convPlan) packFilterInput(s *convWorker, x []float32) {
	if !p.tapRows() {
		p.packGroups(s.xpk, x, &s.sub)
		return
	}
	s.xp = zeroed(s.xp, p.padLen())
	p.pad(s.xp, x)
	s.col = grow(s.col, p.depth*p.tapSpan())
	p.packTapRows(s.xpk, s.col, s.xp)
}

// filterImage is filterRows or filter, for the input packFilterInput
// packed.
func (p *convPlan) filterImage(ws *gemm.Workspace, xpk, gpk, part []float32, add bool) {
	if p.tapRows() {
		p.filterRows(ws, xpk, gpk, part, add)
	} else {
		p.filter(ws, xpk, gpk, part, add)
	}
}

// packTapRows packs the patch matrix of the padded image xp [C, HP, WP] at
// the wide positions,
//
//	col[(c*K+i)*K+j][t] = xp[c][i*WP + j + t]  for t < tapSpan(),
//
// (its rows of the kept taps, p.depth of them) into rpk k-major in the
// plan's kernel's layout (gemm.Kernel.PanelRow), writing col
// (p.depth*tapSpan() long) on the way: each row is one run of xp. rpk must
// be filterInputLen() long (see gemm.Kernel.Interleave).
func (p *convPlan) packTapRows(rpk, col, xp []float32) {
	ckk, span := p.depth, p.tapSpan()
	for r := 0; r < ckk; r++ {
		copy(col[r*span:(r+1)*span], xp[p.taps.Offset(r):])
	}
	for r := 0; r < ckk; {
		ip, _, h := p.kernel.PanelRow(ckk, r)
		rows := min(h, ckk-r)
		p.kernel.Interleave(rpk[ip*p.mr*span:], h, col[r*span:], span, rows, span)
		r += rows
	}
}

// filterRows adds (or, without add, stores) one image's weight gradient
// into part [p.depth, O] from the packed tap rows rpk (packTapRows) and the
// packed gradient gpk: one product over the output positions per NR output
// channels, reading rpk in runs of OW wide positions with the K-1 columns
// past each output row skipped (gemm.Workspace.MulPanelGaps). Each value
// is the chain of filter's, term for term, so the bits are the same.
func (p *convPlan) filterRows(ws *gemm.Workspace, rpk, gpk, part []float32, add bool) {
	g, nr := p.g, p.nr
	ohw := g.ohw()
	for o0 := 0; o0 < g.o; o0 += nr {
		ws.MulPanelGaps(p.depth, min(nr, g.o-o0), ohw, rpk, p.mr*p.tapSpan(), 0, g.ow, p.wp-g.ow, gpk[(o0/nr)*nr*ohw:], gemm.Epilogue{Add: add}, part[o0:], g.o)
	}
}

// flipWeights writes the weights of the backward-data convolution:
// wf[c][o][i][j] = w[o][c][K-1-i][K-1-j].
func flipWeights(wf, w []float32, g convGeom) {
	kk := g.k * g.k
	for o := 0; o < g.o; o++ {
		for c := 0; c < g.c; c++ {
			src := w[(o*g.c+c)*kk : (o*g.c+c+1)*kk]
			dst := wf[(c*g.o+o)*kk : (c*g.o+o+1)*kk]
			for t, v := range src {
				dst[kk-1-t] = v
			}
		}
	}
}

// backwardGeom is the geometry of the backward-data convolution of a
// stride-1 convolution: the output gradient [N, O, OH, OW] convolved with
// the flipped kernel, padded by K-1-pad, gives [N, C, H, W]. ok is false
// when pad > K-1.
func (g convGeom) backwardGeom() (convGeom, bool) {
	b := convGeom{n: g.n, c: g.o, h: g.oh, w: g.ow, o: g.c, k: g.k, pad: g.k - 1 - g.pad, stride: 1, oh: g.h, ow: g.w}
	return b, b.pad >= 0
}
