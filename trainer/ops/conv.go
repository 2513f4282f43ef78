package ops

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"branchspec/trainer/ops/gemm"
)

// convGeom is the geometry of a stride-1 square-kernel convolution.
type convGeom struct {
	n, c, h, w int // input [N, C, H, W]
	o, k, pad  int // weights [O, C, K, K], zero padding on every side
	oh, ow     int // output spatial size
}

func newConvGeom(xs, ws tensor.Shape, pad int) (convGeom, error) {
	if err := wantDims("x", xs, 4); err != nil {
		return convGeom{}, err
	}
	if err := wantDims("w", ws, 4); err != nil {
		return convGeom{}, err
	}
	g := convGeom{n: xs[0], c: xs[1], h: xs[2], w: xs[3], o: ws[0], k: ws[2], pad: pad}
	if ws[1] != g.c || ws[3] != g.k {
		return convGeom{}, fmt.Errorf("weights %v do not fit input %v (want [O, %d, K, K])", ws, xs, g.c)
	}
	if pad < 0 {
		return convGeom{}, fmt.Errorf("negative padding %d", pad)
	}
	g.oh, g.ow = g.h+2*pad-g.k+1, g.w+2*pad-g.k+1
	if g.oh < 1 || g.ow < 1 {
		return convGeom{}, fmt.Errorf("kernel %d with padding %d does not fit input %v", g.k, pad, xs)
	}
	// Offsets into one padded image (and into the padded output gradient
	// of the backward-data convolution) are int32.
	bp := max(0, g.k-1-pad)
	if int64(g.c)*int64(g.h+2*pad)*int64(g.w+2*pad) >= math.MaxInt32/2 ||
		int64(g.o)*int64(g.oh+2*bp)*int64(g.ow+2*bp) >= math.MaxInt32/2 {
		return convGeom{}, fmt.Errorf("image %v is too large", xs[1:])
	}
	return g, nil
}

func (g convGeom) ckk() int      { return g.c * g.k * g.k }
func (g convGeom) ohw() int      { return g.oh * g.ow }
func (g convGeom) inImage() int  { return g.c * g.h * g.w }
func (g convGeom) outImage() int { return g.o * g.ohw() }

// col2im is the adjoint of the patch matrix (see convPlan): it sets dx
// [C, H, W] to the sum of the patch-matrix gradients dcol
// [C*K*K, OH*OW] over every position each input feeds.
func (g convGeom) col2im(dcol, dx []float32) {
	clear(dx)
	ohw := g.ohw()
	for c := 0; c < g.c; c++ {
		plane := dx[c*g.h*g.w : (c+1)*g.h*g.w]
		for i := 0; i < g.k; i++ {
			for j := 0; j < g.k; j++ {
				row := dcol[((c*g.k+i)*g.k+j)*ohw:][:ohw]
				x0, x1 := max(0, g.pad-j), min(g.ow, g.w+g.pad-j)
				if x0 >= x1 {
					continue
				}
				for y := 0; y < g.oh; y++ {
					iy := y + i - g.pad
					if iy < 0 || iy >= g.h {
						continue
					}
					src := row[y*g.ow+x0 : y*g.ow+x1]
					dst := plane[iy*g.w+x0+j-g.pad:][:len(src)]
					for t, v := range src {
						dst[t] += v
					}
				}
			}
		}
	}
}

// convWorker is one worker's scratch space. Buffers whose padding must be
// zero are allocated zeroed for one geometry and only their interiors are
// written afterwards.
type convWorker struct {
	ws  gemm.Workspace
	xp  []float32 // padded image or gradient
	bp  []float32 // one packed patch panel
	xpk []float32 // packed input taps (weight gradient)
	gpk []float32 // packed wide output gradient (weight gradient)
	gm  []float32 // masked output gradient (fallback backward data)
	col []float32 // patch matrix (fallback backward data)
}

// convWorkers holds the per-worker scratch of one op.
type convWorkers struct {
	g convGeom // the geometry the buffers are laid out for
	w []convWorker
}

// get returns the scratch of k workers for geometry g, dropping buffers
// laid out for another geometry.
func (s *convWorkers) get(g convGeom, k int) []convWorker {
	if s.g != g {
		s.g, s.w = g, nil
	}
	for len(s.w) < k {
		s.w = append(s.w, convWorker{})
	}
	return s.w
}

// zeroed returns buf if it has n elements, else a new zeroed buffer.
func zeroed(buf []float32, n int) []float32 {
	if len(buf) == n {
		return buf
	}
	return make([]float32, n)
}

// Conv2D returns the stride-1 convolution (cross-correlation) of x
// [N, C, H, W] with weights w [O, C, K, K] and optional bias b [O] (nil for
// none), zero-padded by pad on each side:
//
//	y[n][o][r][s] = b[o] + sum_{c,i,j} w[o][c][i][j] * x[n][c][r+i-pad][s+j-pad]
//
// The output is [N, O, H+2*pad-K+1, W+2*pad-K+1]. Each image's patch
// matrix is built one gemm.NR-wide panel at a time, straight in the packed
// layout the micro-kernel reads, and multiplied at once by the packed
// weights into the NCHW output (see convPlan); images are processed in
// parallel. Gradients flow to x, w and b.
func Conv2D(x, w, b *G.Node, pad int) (*G.Node, error) {
	return conv2D(x, w, b, pad, false, false)
}

// Conv2DInput is Conv2D for a layer whose input is data: it computes the
// same output but passes no gradient to x, which saves the backward-data
// product of a first layer.
func Conv2DInput(x, w, b *G.Node, pad int) (*G.Node, error) {
	return conv2D(x, w, b, pad, true, false)
}

// Conv2DReLU returns ReLU(Conv2D(x, w, b, pad)) computed by one op:
//
//	y = max(conv(x, w) + b, 0)
//
// The bias and the ReLU are applied to each output panel while it is in
// cache, and the backward ops mask the output gradient with [y > 0] (0 at
// y == 0, as ReLU does) as they read it, so no pre-activation tensor and no
// separate ReLU pass exist.
func Conv2DReLU(x, w, b *G.Node, pad int) (*G.Node, error) {
	return conv2D(x, w, b, pad, false, true)
}

// Conv2DReLUInput is Conv2DReLU for a layer whose input is data: no
// gradient flows to x.
func Conv2DReLUInput(x, w, b *G.Node, pad int) (*G.Node, error) {
	return conv2D(x, w, b, pad, true, true)
}

func conv2D(x, w, b *G.Node, pad int, noInputGrad, relu bool) (*G.Node, error) {
	g, err := newConvGeom(x.Shape(), w.Shape(), pad)
	if err != nil {
		return nil, fmt.Errorf("op (conv2d): %w", err)
	}
	args, err := withBias("conv2d", []*G.Node{x, w}, b, g.o)
	if err != nil {
		return nil, err
	}
	return applyOp("conv2d", &convOp{pad: pad, hasBias: b != nil, noInputGrad: noInputGrad, relu: relu}, args...)
}

// convOp is the forward convolution; see Conv2D and Conv2DReLU.
type convOp struct {
	pureOp
	pad         int
	hasBias     bool
	noInputGrad bool
	relu        bool
	out         outBuf
	plan        *convPlan
	wpk         []float32 // packed weights
	scratch     convWorkers
}

func (op *convOp) Arity() int {
	if op.hasBias {
		return 3
	}
	return 2
}

func (op *convOp) Type() hm.Type {
	if op.hasBias {
		return hm.NewFnType(tensorType(4), tensorType(4), tensorType(1), tensorType(4))
	}
	return hm.NewFnType(tensorType(4), tensorType(4), tensorType(4))
}

func (op *convOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(in)
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	g, err := newConvGeom(s[0], s[1], op.pad)
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	return tensor.Shape{g.n, g.o, g.oh, g.ow}, nil
}

func (op *convOp) Do(in ...G.Value) (G.Value, error) {
	data, shapes, err := operands(op, in, "x", "w", "b")
	if err != nil {
		return nil, err
	}
	x, w := data[0], data[1]
	var b []float32
	if op.hasBias {
		b = data[2]
	}
	g, err := newConvGeom(shapes[0], shapes[1], op.pad)
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	t, y := op.out.get(g.n, g.o, g.oh, g.ow)
	if op.plan == nil || op.plan.g != g {
		op.plan = newConvPlan(g)
	}
	plan, ckk := op.plan, g.ckk()
	op.wpk = gemm.PackA(op.wpk, w, ckk, g.o, ckk)
	workers := op.scratch.get(g, numWorkers(g.n))
	forChunks(g.n, func(_, lo, hi, worker int) {
		s := &workers[worker]
		s.xp = zeroed(s.xp, plan.padLen())
		s.bp = grow(s.bp, ckk*gemm.NR)
		for n := lo; n < hi; n++ {
			plan.pad(s.xp, x[n*g.inImage():(n+1)*g.inImage()])
			plan.forward(&s.ws, op.wpk, s.xp, s.bp, y[n*g.outImage():(n+1)*g.outImage()], b, op.relu)
		}
	})
	return t, nil
}

func (op *convOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "bs.conv2d(pad=%d,bias=%t,noInputGrad=%t,relu=%t)", op.pad, op.hasBias, op.noInputGrad, op.relu)
}
func (op *convOp) Hashcode() uint32 { return hashOf(op) }
func (op *convOp) String() string {
	if op.relu {
		return fmt.Sprintf("bs.conv2d_relu(pad=%d,bias=%t)", op.pad, op.hasBias)
	}
	return fmt.Sprintf("bs.conv2d(pad=%d,bias=%t)", op.pad, op.hasBias)
}

func (op *convOp) DiffWRT(inputs int) []bool {
	d := allInputs(inputs)
	d[0] = !op.noInputGrad
	return d
}

func (op *convOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	// With a fused ReLU the backward ops also read the output y, for the
	// mask [y > 0]; as an input it also orders them after this op.
	args := G.Nodes{inputs[0], inputs[1], grad}
	if op.relu {
		args = G.Nodes{inputs[0], inputs[1], output, grad}
	}
	grads := make(G.Nodes, len(inputs))
	var err error
	if !op.noInputGrad {
		if grads[0], err = G.ApplyOp(&convGradOp{pad: op.pad, wrt: wrtInput, relu: op.relu}, args...); err != nil {
			return nil, fmt.Errorf("op (%v) dx: %w", op, err)
		}
	}
	if grads[1], err = G.ApplyOp(&convGradOp{pad: op.pad, wrt: wrtWeights, relu: op.relu}, args...); err != nil {
		return nil, fmt.Errorf("op (%v) dw: %w", op, err)
	}
	if op.hasBias {
		bargs := G.Nodes{grad}
		if op.relu {
			bargs = G.Nodes{output, grad}
		}
		if grads[2], err = G.ApplyOp(&biasGradOp{relu: op.relu}, bargs...); err != nil {
			return nil, fmt.Errorf("op (%v) db: %w", op, err)
		}
	}
	return grads, nil
}

// Which gradient a convGradOp computes.
const (
	wrtInput   = "x"
	wrtWeights = "w"
)

// convGradOp computes a gradient of the convolution from (x, w, gy), or
// (x, w, y, gy) with a fused ReLU, where gy is first masked by [y > 0]:
// with respect to x (backward data: the convolution of gy with the flipped
// kernel wf[c][o][i][j] = w[o][c][K-1-i][K-1-j], padded by K-1-pad) or to
// w (backward filter: per image, for each tap (i, j), a product of the
// padded input shifted by the tap with gy; summed per chunk of images and
// then over chunks in order). See convPlan.
type convGradOp struct {
	pureOp
	pad     int
	wrt     string
	relu    bool
	out     outBuf
	plan    *convPlan
	wf, wpk []float32   // flipped and packed weights (backward data)
	dwT     []float32   // weight gradient [C*K*K, O] before the transpose
	parts   [][]float32 // per-chunk partial weight gradients [C*K*K, O]
	scratch convWorkers
}

func (op *convGradOp) Arity() int {
	if op.relu {
		return 4
	}
	return 3
}

func (op *convGradOp) Type() hm.Type {
	if op.relu {
		return hm.NewFnType(tensorType(4), tensorType(4), tensorType(4), tensorType(4), tensorType(4))
	}
	return hm.NewFnType(tensorType(4), tensorType(4), tensorType(4), tensorType(4))
}

func (op *convGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return gradShape(op, op.wrt, in)
}

func (op *convGradOp) Do(in ...G.Value) (G.Value, error) {
	data := make([][]float32, len(in))
	shapes := make([]tensor.Shape, len(in))
	for i := range in {
		var err error
		if data[i], shapes[i], err = float32s(in[i]); err != nil {
			return nil, fmt.Errorf("op (%v) input %d: %w", op, i, err)
		}
	}
	g, err := newConvGeom(shapes[0], shapes[1], op.pad)
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	want := tensor.Shape{g.n, g.o, g.oh, g.ow}
	for _, s := range shapes[2:] {
		if !s.Eq(want) {
			return nil, fmt.Errorf("op (%v): gradient or output shape %v, want %v", op, s, want)
		}
	}
	gy := data[len(data)-1]
	var y []float32 // the ReLU output whose mask applies, or nil
	if op.relu {
		y = data[2]
	}
	if op.wrt == wrtInput {
		if bg, ok := g.backwardGeom(); ok {
			return op.backwardData(g, bg, data[1], gy, y), nil
		}
		return op.backwardDataCol(g, data[1], gy, y), nil
	}
	return op.backwardFilter(g, data[0], gy, y), nil
}

// backwardData computes dx as the convolution bg of the (masked) output
// gradient with the flipped kernel.
func (op *convGradOp) backwardData(g, bg convGeom, w, gy, y []float32) G.Value {
	t, dx := op.out.get(g.n, g.c, g.h, g.w)
	if op.plan == nil || op.plan.g != bg {
		op.plan = newConvPlan(bg)
	}
	plan, ckk := op.plan, bg.ckk()
	op.wf = grow(op.wf, len(w))
	flipWeights(op.wf, w, g)
	op.wpk = gemm.PackA(op.wpk, op.wf, ckk, bg.o, ckk)
	workers := op.scratch.get(bg, numWorkers(g.n))
	forChunks(g.n, func(_, lo, hi, worker int) {
		s := &workers[worker]
		s.xp = zeroed(s.xp, plan.padLen())
		s.bp = grow(s.bp, ckk*gemm.NR)
		for n := lo; n < hi; n++ {
			gyn := gy[n*g.outImage() : (n+1)*g.outImage()]
			if y != nil {
				plan.padMasked(s.xp, gyn, y[n*g.outImage():(n+1)*g.outImage()])
			} else {
				plan.pad(s.xp, gyn)
			}
			plan.forward(&s.ws, op.wpk, s.xp, s.bp, dx[n*g.inImage():(n+1)*g.inImage()], nil, false)
		}
	})
	return t
}

// backwardDataCol computes dx for padding wider than K-1, where the flipped
// convolution would need negative padding: dcol = Wᵀ gy per image, then
// col2im.
func (op *convGradOp) backwardDataCol(g convGeom, w, gy, y []float32) G.Value {
	t, dx := op.out.get(g.n, g.c, g.h, g.w)
	ohw, ckk := g.ohw(), g.ckk()
	workers := op.scratch.get(g, numWorkers(g.n))
	forChunks(g.n, func(_, lo, hi, worker int) {
		s := &workers[worker]
		s.col = grow(s.col, ckk*ohw)
		for n := lo; n < hi; n++ {
			gyn := gy[n*g.outImage() : (n+1)*g.outImage()]
			if y != nil {
				s.gm = grow(s.gm, len(gyn))
				gemm.MaskCopy(s.gm, gyn, y[n*g.outImage():(n+1)*g.outImage()])
				gyn = s.gm
			}
			s.ws.Sgemm(true, false, ckk, ohw, g.o, 1, w, ckk, gyn, ohw, 0, s.col, ohw)
			g.col2im(s.col, dx[n*g.inImage():(n+1)*g.inImage()])
		}
	})
	return t
}

// backwardFilter computes dW: per chunk, the sum over its images of the
// per-tap products (convPlan.filter), then the chunk sums in chunk order.
func (op *convGradOp) backwardFilter(g convGeom, x, gy, y []float32) G.Value {
	t, dw := op.out.get(g.o, g.c, g.k, g.k)
	if op.plan == nil || op.plan.g != g {
		op.plan = newConvPlan(g)
	}
	plan := op.plan
	nc := numChunks(g.n)
	op.parts = growEach(op.parts, nc, len(dw))
	workers := op.scratch.get(g, numWorkers(g.n))
	xpkLen := gemm.PanelsLen(g.c, plan.tapLen()) + gemm.MR // see packInputTaps
	gpkLen := (g.o + gemm.NR - 1) / gemm.NR * gemm.NR * plan.wideLen()
	forChunks(g.n, func(chunk, lo, hi, worker int) {
		s := &workers[worker]
		s.xpk = zeroed(s.xpk, xpkLen)
		s.gpk = zeroed(s.gpk, gpkLen)
		for n := lo; n < hi; n++ {
			plan.packInputTaps(s.xpk, x[n*g.inImage():(n+1)*g.inImage()])
			var yn []float32
			if y != nil {
				yn = y[n*g.outImage() : (n+1)*g.outImage()]
			}
			plan.packGradWide(s.gpk, gy[n*g.outImage():(n+1)*g.outImage()], yn)
			plan.filter(&s.ws, s.xpk, s.gpk, op.parts[chunk], n != lo)
		}
	})
	op.dwT = grow(op.dwT, len(dw))
	reduceChunks(op.dwT, op.parts, nc)
	// dwT is [C*K*K, O]; dw is [O, C*K*K].
	ckk := g.ckk()
	for r := 0; r < ckk; r++ {
		for o, v := range op.dwT[r*g.o : (r+1)*g.o] {
			dw[o*ckk+r] = v
		}
	}
	return t
}

func (op *convGradOp) WriteHash(h hash.Hash) {
	fmt.Fprint(h, op.String())
}
func (op *convGradOp) Hashcode() uint32 { return hashOf(op) }
func (op *convGradOp) String() string {
	if op.relu {
		return fmt.Sprintf("bs.conv2d_relu_grad_%s(pad=%d)", op.wrt, op.pad)
	}
	return fmt.Sprintf("bs.conv2d_grad_%s(pad=%d)", op.wrt, op.pad)
}

func (op *convGradOp) DiffWRT(inputs int) []bool { return make([]bool, inputs) }
func (op *convGradOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	return nil, errSecondDerivative(op)
}

// biasGradOp sums gy [N, O, H, W] over N, H and W into [O]: the gradient of
// a per-channel bias. With relu set its inputs are (y, gy) and it sums
// gy * [y > 0]. Per-chunk sums are added in chunk order.
type biasGradOp struct {
	pureOp
	relu  bool
	out   outBuf
	parts [][]float32
}

func (op *biasGradOp) Arity() int {
	if op.relu {
		return 2
	}
	return 1
}

func (op *biasGradOp) Type() hm.Type {
	if op.relu {
		return hm.NewFnType(tensorType(4), tensorType(4), tensorType(1))
	}
	return hm.NewFnType(tensorType(4), tensorType(1))
}

func (op *biasGradOp) WriteHash(h hash.Hash)     { fmt.Fprint(h, op.String()) }
func (op *biasGradOp) Hashcode() uint32          { return hashOf(op) }
func (op *biasGradOp) DiffWRT(inputs int) []bool { return make([]bool, inputs) }
func (op *biasGradOp) String() string {
	if op.relu {
		return "bs.bias_relu_grad"
	}
	return "bs.bias_grad"
}

func (op *biasGradOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	return nil, errSecondDerivative(op)
}

func (op *biasGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(in)
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	if err := wantDims("gy", s[0], 4); err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	return tensor.Shape{s[0][1]}, nil
}

func (op *biasGradOp) Do(in ...G.Value) (G.Value, error) {
	gy, s, err := float32s(in[len(in)-1])
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	if err := wantDims("gy", s, 4); err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	var y []float32
	if op.relu {
		var ys tensor.Shape
		if y, ys, err = float32s(in[0]); err != nil {
			return nil, fmt.Errorf("op (%v) y: %w", op, err)
		}
		if !ys.Eq(s) {
			return nil, fmt.Errorf("op (%v): output shape %v, gradient %v", op, ys, s)
		}
	}
	n, o, hw := s[0], s[1], s[2]*s[3]
	t, db := op.out.get(o)
	nc := numChunks(n)
	op.parts = growEach(op.parts, nc, o)
	forChunks(n, func(chunk, lo, hi, _ int) {
		part := op.parts[chunk]
		clear(part)
		for i := lo; i < hi; i++ {
			for c := 0; c < o; c++ {
				var yc []float32
				if y != nil {
					yc = y[(i*o+c)*hw : (i*o+c+1)*hw]
				}
				part[c] += sum4(gy[(i*o+c)*hw:(i*o+c+1)*hw], yc)
			}
		}
	})
	reduceChunks(db, op.parts, nc)
	return t, nil
}

// sum4 returns the sum of g (of g * [y != 0] when y is not nil, y being a
// ReLU output) in a fixed order: four interleaved partial sums, added
// pairwise at the end, then the remaining values in order.
func sum4(g, y []float32) float32 {
	var s0, s1, s2, s3 float32
	n := len(g) &^ 3
	if y == nil {
		for i := 0; i < n; i += 4 {
			s0 += g[i]
			s1 += g[i+1]
			s2 += g[i+2]
			s3 += g[i+3]
		}
	} else {
		y = y[:len(g)]
		for i := 0; i < n; i += 4 {
			s0 += reluMask(g[i], y[i])
			s1 += reluMask(g[i+1], y[i+1])
			s2 += reluMask(g[i+2], y[i+2])
			s3 += reluMask(g[i+3], y[i+3])
		}
	}
	s := (s0 + s1) + (s2 + s3)
	for i := n; i < len(g); i++ {
		if y == nil {
			s += g[i]
		} else {
			s += reluMask(g[i], y[i])
		}
	}
	return s
}
