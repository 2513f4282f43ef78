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

// convGeom is the geometry of a square-kernel convolution.
type convGeom struct {
	n, c, h, w int // input [N, C, H, W]
	o, k, pad  int // weights [O, C, K, K], zero padding on every side
	stride     int // >= 1, on both axes
	oh, ow     int // output spatial size
}

func newConvGeom(xs, ws tensor.Shape, pad, stride int) (convGeom, error) {
	if err := wantDims("x", xs, 4); err != nil {
		return convGeom{}, err
	}
	if err := wantDims("w", ws, 4); err != nil {
		return convGeom{}, err
	}
	g := convGeom{n: xs[0], c: xs[1], h: xs[2], w: xs[3], o: ws[0], k: ws[2], pad: pad, stride: stride}
	if ws[1] != g.c || ws[3] != g.k {
		return convGeom{}, fmt.Errorf("weights %v do not fit input %v (want [O, %d, K, K])", ws, xs, g.c)
	}
	if pad < 0 {
		return convGeom{}, fmt.Errorf("negative padding %d", pad)
	}
	if stride < 1 {
		return convGeom{}, fmt.Errorf("stride %d, want >= 1", stride)
	}
	if g.h+2*pad < g.k || g.w+2*pad < g.k {
		return convGeom{}, fmt.Errorf("kernel %d with padding %d does not fit input %v", g.k, pad, xs)
	}
	g.oh, g.ow = (g.h+2*pad-g.k)/stride+1, (g.w+2*pad-g.k)/stride+1
	if stride > 1 {
		// The phase images the strided convolution runs on (conv_stride.go).
		p := g.phaseGeom()
		if int64(p.c)*int64(p.h)*int64(p.w) >= math.MaxInt32/2 ||
			int64(p.o)*int64(p.oh+2*p.k-2)*int64(p.ow+2*p.k-2) >= math.MaxInt32/2 {
			return convGeom{}, fmt.Errorf("image %v is too large", xs[1:])
		}
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
	gpk []float32 // packed output gradient (weight gradient)
	gm  []float32 // masked output gradient (fallback backward data)
	col []float32 // patch matrix (fallback backward data)
	ph  []float32 // phase image or its gradient (stride > 1)
	sub []float32 // some channels of an image (convPlan.packGroups)
	yw  []float32 // output at the wide positions (convPlan's wide mode), or of a batch (batched mode)
	xb  []float32 // padded input of a batch of images, image index innermost (batched mode)
	wv  []float32 // Winograd transformed input V
	wm  []float32 // Winograd products M
}

// convWorkers holds the per-worker scratch of one op.
type convWorkers struct {
	g convGeom // the geometry the buffers are laid out for
	w []convWorker
}

// get returns the scratch of k workers for geometry g whose products run
// kernel kern, dropping buffers laid out for another geometry.
func (s *convWorkers) get(g convGeom, kern gemm.Kernel, k int) []convWorker {
	if s.g != g {
		s.g, s.w = g, nil
	}
	for len(s.w) < k {
		s.w = append(s.w, convWorker{ws: gemm.Workspace{Kernel: kern}})
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

// ConvParams are the options of Conv. The zero value is a stride-1
// convolution without padding or activation that passes gradients to its
// input.
type ConvParams struct {
	Pad    int  // zero padding on every side, >= 0
	Stride int  // on both axes; 0 and 1 both mean 1
	ReLU   bool // fuse y = max(conv + b, 0); false leaves the output linear
	// InputIsData passes no gradient to x, which saves the backward-data
	// product of a first layer.
	InputIsData bool
	// Kernel is the GEMM kernel of the op and its gradients: "" is
	// gemm.Default(); one this CPU does not run is an error. Results may
	// differ in bits between kernels (see gemm.Kernel).
	Kernel gemm.Kernel
	// Winograd runs the forward and backward-data passes and the weight
	// gradient (for O a multiple of 16) as Winograd F(2x2, 3x3)
	// (winoPlan) where the geometry allows it (winoFits: 3x3, padding 1,
	// stride 1, W a multiple of 16, at least 32 input channels, ...):
	// 2.25x fewer multiplies, results that differ from the direct
	// convolution's by rounding. Elsewhere it changes nothing.
	Winograd bool
}

// Conv returns the convolution (cross-correlation) of x [N, C, H, W] with
// weights w [O, C, K, K] and optional bias b [O] (nil for none), zero-padded
// by p.Pad on each side, with stride s = p.Stride:
//
//	y[n][o][r][q] = b[o] + sum_{c,i,j} w[o][c][i][j] * x[n][c][r*s+i-pad][q*s+j-pad]
//
// and y = max(y, 0) when p.ReLU. The output is [N, O, OH, OW] with
//
//	OH = floor((H + 2*pad - K) / s) + 1,   OW likewise
//
// (PyTorch's nn.Conv2d convention; input rows and columns past the last
// window are not read). Gradients flow to w, b and, unless p.InputIsData, x.
//
// Stride 1: each image's patch matrix is built one NR-wide panel at a
// time, straight in the packed layout the micro-kernel reads, and
// multiplied at once by the packed weights into the NCHW output (see
// convPlan); images are processed in parallel. Stride s > 1 runs the same
// stride-1 machinery on the s*s phase images of the padded input (see
// conv_stride.go). With ReLU, the bias and the ReLU are applied to each
// output panel while it is in cache, and the backward ops mask the output
// gradient with [y > 0] (0 at y == 0, as ReLU does) as they read it, so no
// pre-activation tensor and no separate ReLU pass exist.
func Conv(x, w, b *G.Node, p ConvParams) (*G.Node, error) {
	stride := p.Stride
	if stride == 0 {
		stride = 1
	}
	g, err := newConvGeom(x.Shape(), w.Shape(), p.Pad, stride)
	if err != nil {
		return nil, fmt.Errorf("op (conv2d): %w", err)
	}
	args, err := withBias("conv2d", []*G.Node{x, w}, b, g.o)
	if err != nil {
		return nil, err
	}
	kern, err := gemm.ParseKernel(string(p.Kernel))
	if err != nil {
		return nil, fmt.Errorf("op (conv2d): %w", err)
	}
	return applyOp("conv2d", &convOp{pad: p.Pad, stride: stride, hasBias: b != nil, noInputGrad: p.InputIsData, relu: p.ReLU, kernel: kern, winograd: p.Winograd}, args...)
}

// Conv2D is Conv with stride 1 and no activation:
// Conv(x, w, b, ConvParams{Pad: pad}).
func Conv2D(x, w, b *G.Node, pad int) (*G.Node, error) {
	return Conv(x, w, b, ConvParams{Pad: pad})
}

// Conv2DInput is Conv2D for a layer whose input is data: no gradient flows
// to x.
func Conv2DInput(x, w, b *G.Node, pad int) (*G.Node, error) {
	return Conv(x, w, b, ConvParams{Pad: pad, InputIsData: true})
}

// Conv2DReLU is ReLU(Conv2D(x, w, b, pad)) computed by one op:
// Conv(x, w, b, ConvParams{Pad: pad, ReLU: true}).
func Conv2DReLU(x, w, b *G.Node, pad int) (*G.Node, error) {
	return Conv(x, w, b, ConvParams{Pad: pad, ReLU: true})
}

// Conv2DReLUInput is Conv2DReLU for a layer whose input is data: no
// gradient flows to x.
func Conv2DReLUInput(x, w, b *G.Node, pad int) (*G.Node, error) {
	return Conv(x, w, b, ConvParams{Pad: pad, ReLU: true, InputIsData: true})
}

// convOp is the forward convolution; see Conv.
type convOp struct {
	pureOp
	pad, stride int // stride 0 is 1
	hasBias     bool
	noInputGrad bool
	relu        bool
	kernel      gemm.Kernel // a kernel this CPU runs
	winograd    bool        // where winoFits
	out         outBuf
	plan        *convPlan
	wino        winoWeights
	w2          []float32 // phase weights (stride > 1)
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
	g, err := newConvGeom(s[0], s[1], op.pad, max(op.stride, 1))
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
	g, err := newConvGeom(shapes[0], shapes[1], op.pad, max(op.stride, 1))
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	t, y := op.out.get(g.n, g.o, g.oh, g.ow)
	if op.winograd && winoFits(g) {
		op.wino.run(&op.pureOp, &op.scratch, g, op.kernel, w, x, nil, y, b, op.relu)
		return t, nil
	}
	// The stride-1 convolution the plan runs (pg with weights pw), and how
	// an image becomes its padded input planes.
	// A strided conv's product skips the phase taps that do not exist
	// (newConvPlanKeep): its weights are those of the taps that do.
	pg, pw := g, w
	if g.stride > 1 {
		pg = g.phaseGeom()
		op.w2 = grow(op.w2, pg.o*pg.ckk())
		g.phaseWeights(op.w2, w, false)
		pw = op.w2
	}
	if op.plan == nil || op.plan.g != pg {
		if g.stride > 1 {
			op.plan = newConvPlanKeep(pg, op.kernel, g.phaseTapExists)
		} else {
			op.plan = newConvPlan(pg, op.kernel)
		}
	}
	plan, ckk := op.plan, op.plan.depth
	fill := plan.pad // the border of xp stays zero
	if g.stride > 1 {
		fill = func(xp, x []float32) { g.phaseImage(xp, x, op.kernel) } // writes all of xp
	}
	op.wpk = op.kernel.PackA(op.wpk, pw, ckk, pg.o, ckk)
	if plan.batched() && g.stride == 1 { // a strided conv's plan reads phase images
		forwardBatches(&op.pureOp, plan, &op.scratch, op.wpk, x, nil, y, b, op.relu)
		return t, nil
	}
	workers := op.scratch.get(pg, op.kernel, op.numImageWorkers(g.n))
	op.forImages(g.n, func(n, worker int) {
		s := &workers[worker]
		s.xp = zeroed(s.xp, plan.padLen())
		s.bp = grow(s.bp, ckk*plan.nr)
		fill(s.xp, x[n*g.inImage():]) // x(n) and the rest of the batch: see phaseImage
		plan.forward(s, op.wpk, y[n*g.outImage():(n+1)*g.outImage()], b, op.relu)
	})
	return t, nil
}

func (op *convOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "bs.conv2d(pad=%d,bias=%t,noInputGrad=%t,relu=%t%s,kernel=%s%s)", op.pad, op.hasBias, op.noInputGrad, op.relu, strideTag(op.stride), op.kernel, winoTag(op.winograd))
}
func (op *convOp) Hashcode() uint32 { return hashOf(op) }
func (op *convOp) String() string {
	if op.relu {
		return fmt.Sprintf("bs.conv2d_relu(pad=%d,bias=%t%s)", op.pad, op.hasBias, strideTag(op.stride))
	}
	return fmt.Sprintf("bs.conv2d(pad=%d,bias=%t%s)", op.pad, op.hasBias, strideTag(op.stride))
}

// strideTag is ",stride=S" for S > 1 and "" for stride 1, whose ops keep
// their names.
func strideTag(s int) string {
	if s > 1 {
		return fmt.Sprintf(",stride=%d", s)
	}
	return ""
}

func (op *convOp) DiffWRT(inputs int) []bool {
	d := allInputs(inputs)
	d[0] = !op.noInputGrad
	return d
}

func (op *convOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	// With a fused ReLU the backward ops also read the output y, for the
	// mask [y > 0]; as an input it also orders them after this op. Where
	// the gradient comes straight from max pooling of y, the pooling's
	// backward masks it instead, at a quarter of the reads (a 2x2 pool),
	// and the ops below take it as it is: the same bits.
	relu := op.relu
	if relu && maskInPoolGrad(output, grad) {
		relu = false
	}
	args := G.Nodes{inputs[0], inputs[1], grad}
	if relu {
		args = G.Nodes{inputs[0], inputs[1], output, grad}
	}
	grads := make(G.Nodes, len(inputs))
	var err error
	if !op.noInputGrad {
		if grads[0], err = G.ApplyOp(&convGradOp{pad: op.pad, stride: op.stride, wrt: wrtInput, relu: relu, kernel: op.kernel, winograd: op.winograd}, args...); err != nil {
			return nil, fmt.Errorf("op (%v) dx: %w", op, err)
		}
	}
	if grads[1], err = G.ApplyOp(&convGradOp{pad: op.pad, stride: op.stride, wrt: wrtWeights, relu: relu, kernel: op.kernel, winograd: op.winograd}, args...); err != nil {
		return nil, fmt.Errorf("op (%v) dw: %w", op, err)
	}
	if op.hasBias {
		bargs := G.Nodes{grad}
		if relu {
			bargs = G.Nodes{output, grad}
		}
		if grads[2], err = G.ApplyOp(&biasGradOp{relu: relu}, bargs...); err != nil {
			return nil, fmt.Errorf("op (%v) db: %w", op, err)
		}
	}
	return grads, nil
}

// maskInPoolGrad reports whether grad, the gradient of a ReLU output y,
// is the backward of a max pooling of y, and if so sets that backward to
// mask what it routes by [y != 0] (maxPoolGradOp.relu), making grad the
// gradient at the ReLU's input. The pooled maximum is the y it came from,
// so each routed gradient gets the mask of its own position, and the
// positions it does not reach get +0 either way.
func maskInPoolGrad(y, grad *G.Node) bool {
	pg, ok := grad.Op().(*maxPoolGradOp)
	if !ok || pg.relu || pg.x != y {
		return false
	}
	pg.relu = true
	return true
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
// then over chunks in order). See convPlan; a strided convolution does
// both on its phase images (conv_stride.go).
type convGradOp struct {
	pureOp
	pad, stride int // stride 0 is 1
	wrt         string
	relu        bool
	kernel      gemm.Kernel // "" is gemm.Default()
	winograd    bool        // Winograd where winoFits
	out         outBuf
	plan        *convPlan
	wino        winoWeights
	w2          []float32   // phase weights, then their gradient (stride > 1)
	wf, wpk     []float32   // flipped and packed weights (backward data)
	dwT         []float32   // weight gradient [C*K*K, O] before the transpose
	parts       [][]float32 // per-chunk partial weight gradients [C*K*K, O]
	scratch     convWorkers
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
	g, err := newConvGeom(shapes[0], shapes[1], op.pad, max(op.stride, 1))
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
		if g.stride > 1 {
			return op.backwardDataStrided(g, data[1], gy, y), nil
		}
		if bg, ok := g.backwardGeom(); ok {
			t, dx := op.out.get(g.n, g.c, g.h, g.w)
			if op.winograd && winoFits(bg) {
				op.wf = grow(op.wf, len(data[1]))
				flipWeights(op.wf, data[1], g)
				op.wino.run(&op.pureOp, &op.scratch, bg, op.kernel, op.wf, gy, y, dx, nil, false)
				return t, nil
			}
			op.backwardData(g, bg, data[1], gy, y, dx, nil, nil)
			return t, nil
		}
		return op.backwardDataCol(g, data[1], gy, y), nil
	}
	if g.stride > 1 {
		return op.backwardFilterStrided(g, data[0], gy, y), nil
	}
	t, dw := op.out.get(g.o, g.c, g.k, g.k)
	if op.winograd && winoFits(g) && g.o%16 == 0 {
		op.wino.backwardFilter(&op.pureOp, &op.scratch, &op.parts, g, op.kernel, data[0], gy, y, dw)
		return t, nil
	}
	op.backwardFilter(g, nil, func(_ *convWorker, n int) []float32 {
		return data[0][n*g.inImage() : (n+1)*g.inImage()]
	}, gy, y, dw)
	return t, nil
}

// backwardData computes, for each image n, the convolution bg of its
// (masked) output gradient with the flipped kernel of w into dx (all
// images), or, when dx is nil, into dst(n), then calls done(n) when not
// nil. dst and done get the worker's scratch.
func (op *convGradOp) backwardData(g, bg convGeom, w, gy, y, dx []float32, dst func(s *convWorker, n int) []float32, done func(s *convWorker, n int)) {
	if op.plan == nil || op.plan.g != bg {
		op.plan = newConvPlan(bg, op.kernel)
	}
	plan, ckk := op.plan, bg.ckk()
	op.wf = grow(op.wf, len(w))
	flipWeights(op.wf, w, g)
	op.wpk = op.kernel.PackA(op.wpk, op.wf, ckk, bg.o, ckk)
	if dx != nil {
		if plan.batched() {
			forwardBatches(&op.pureOp, plan, &op.scratch, op.wpk, gy, y, dx, nil, false)
			return
		}
		dst = func(_ *convWorker, n int) []float32 { return dx[n*g.inImage() : (n+1)*g.inImage()] }
	}
	workers := op.scratch.get(bg, op.kernel, op.numImageWorkers(g.n))
	op.forImages(g.n, func(n, worker int) {
		s := &workers[worker]
		s.xp = zeroed(s.xp, plan.padLen())
		s.bp = grow(s.bp, ckk*plan.nr)
		gyn := gy[n*g.outImage() : (n+1)*g.outImage()]
		if y != nil {
			plan.padMasked(s.xp, gyn, y[n*g.outImage():(n+1)*g.outImage()])
		} else {
			plan.pad(s.xp, gyn)
		}
		plan.forward(s, op.wpk, dst(s, n), nil, false)
		if done != nil {
			done(s, n)
		}
	})
}

// forwardBatches runs plan's convolution, in batched mode, of the
// plan's g.n images src (times [mask > 0] where mask is not nil) with the
// packed weights wpk into out, with bias (nil for none) and through the
// ReLU when relu is set: NR images at a time (convPlan.forwardBatch), the
// last batch as small as NR/2; the images left after it one at a time.
func forwardBatches(op *pureOp, plan *convPlan, scratch *convWorkers, wpk, src, mask, out, bias []float32, relu bool) {
	g, nr := plan.g, plan.nr
	in, outLen := g.inImage(), g.outImage()
	batches := g.n / nr
	if g.n%nr >= nr/2 {
		batches++
	}
	rest := max(0, g.n-batches*nr) // images after the last batch
	units := batches + rest
	// One chunk per unit: a batch or an image.
	workers := scratch.get(g, plan.kernel, op.numImageWorkers(units))
	// maskOf is mask from image n on, or nil.
	maskOf := func(n int) []float32 {
		if mask == nil {
			return nil
		}
		return mask[n*in:]
	}
	op.forImages(units, func(u, worker int) {
		s := &workers[worker]
		s.bp = grow(s.bp, g.ckk()*nr)
		if u < batches {
			s.xb = zeroed(s.xb, plan.batchLen())
			n0 := u * nr
			plan.forwardBatch(s, wpk, src[n0*in:], maskOf(n0), min(nr, g.n-n0), out[n0*outLen:], bias, relu)
			return
		}
		n := batches*nr + u - batches
		s.xp = zeroed(s.xp, plan.padLen())
		plan.padMasked(s.xp, src[n*in:(n+1)*in], maskOf(n)) // gy itself when mask is nil
		plan.forward(s, wpk, out[n*outLen:(n+1)*outLen], bias, relu)
	})
}

// backwardDataCol computes dx for padding wider than K-1, where the flipped
// convolution would need negative padding: dcol = Wᵀ gy per image, then
// col2im.
func (op *convGradOp) backwardDataCol(g convGeom, w, gy, y []float32) G.Value {
	t, dx := op.out.get(g.n, g.c, g.h, g.w)
	ohw, ckk := g.ohw(), g.ckk()
	workers := op.scratch.get(g, op.kernel, op.numWorkers(g.n))
	op.forChunks(g.n, func(_, lo, hi, worker int) {
		s := &workers[worker]
		s.col = grow(s.col, ckk*ohw)
		for n := lo; n < hi; n++ {
			gyn := gy[n*g.outImage() : (n+1)*g.outImage()]
			if y != nil {
				s.gm = grow(s.gm, len(gyn))
				op.kernel.MaskCopy(s.gm, gyn, y[n*g.outImage():(n+1)*g.outImage()])
				gyn = s.gm
			}
			s.ws.Sgemm(true, false, ckk, ohw, g.o, 1, w, ckk, gyn, ohw, 0, s.col, ohw)
			g.col2im(s.col, dx[n*g.inImage():(n+1)*g.inImage()])
		}
	})
	return t
}

// maskFirstPositions is the plane size from which the weight gradient
// masks an image's output gradient in one row-wise pass before packing it,
// rather than in packGrad's transposes, which read 16 rows of the gradient
// and 16 of the mask at once: on the reference net's first layer (32x32
// planes, 256 KB per image from memory) that is 10% faster, on its 16x16
// layers 4% slower.
const maskFirstPositions = 1024

// backwardFilter computes dw [O, C, K, K] of the stride-1 convolution g
// whose input image n is x(n): per chunk, the sum over its images of the
// products of convPlan.filterImage, then the chunk sums in chunk order.
// With keep not nil, only the taps it keeps (newConvPlanKeep) are
// computed, and the others are 0 in dw.
func (op *convGradOp) backwardFilter(g convGeom, keep func(c, i, j int) bool, x func(s *convWorker, n int) []float32, gy, y, dw []float32) {
	if op.plan == nil || op.plan.g != g {
		op.plan = newConvPlanKeep(g, op.kernel, keep)
	}
	plan := op.plan
	nc := numChunks(g.n)
	op.parts = growEach(op.parts, nc, len(plan.cols)*g.o)
	workers := op.scratch.get(g, op.kernel, op.numWorkers(g.n))
	xpkLen := plan.filterInputLen()
	gpkLen := (g.o + plan.nr - 1) / plan.nr * plan.nr * g.ohw()
	op.forChunks(g.n, func(chunk, lo, hi, worker int) {
		s := &workers[worker]
		s.xpk = zeroed(s.xpk, xpkLen)
		s.gpk = zeroed(s.gpk, gpkLen)
		for n := lo; n < hi; n++ {
			plan.packFilterInput(s, x(s, n))
			gyn, yn := gy[n*g.outImage():(n+1)*g.outImage()], []float32(nil)
			if y != nil {
				yn = y[n*g.outImage() : (n+1)*g.outImage()]
			}
			if yn != nil && g.ohw() >= maskFirstPositions {
				s.gm = grow(s.gm, len(gyn))
				op.kernel.MaskCopy(s.gm, gyn, yn)
				gyn, yn = s.gm, nil
			}
			plan.packGrad(s.gpk, gyn, yn)
			plan.filterImage(&s.ws, s.xpk, s.gpk, op.parts[chunk], n != lo)
		}
	})
	op.dwT = grow(op.dwT, len(plan.cols)*g.o)
	op.workers.reduceChunks(op.dwT, op.parts, nc)
	// Row r of dwT [rows, O] is column plan.cols[r] of dw [O, C*K*K].
	ckk := g.ckk()
	if len(plan.cols) < ckk {
		clear(dw)
	}
	for r, col := range plan.cols {
		for o, v := range op.dwT[r*g.o : (r+1)*g.o] {
			dw[o*ckk+col] = v
		}
	}
}

func (op *convGradOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "%s,kernel=%s%s", op, op.kernel, winoTag(op.winograd))
}
func (op *convGradOp) Hashcode() uint32 { return hashOf(op) }
func (op *convGradOp) String() string {
	if op.relu {
		return fmt.Sprintf("bs.conv2d_relu_grad_%s(pad=%d%s)", op.wrt, op.pad, strideTag(op.stride))
	}
	return fmt.Sprintf("bs.conv2d_grad_%s(pad=%d%s)", op.wrt, op.pad, strideTag(op.stride))
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
	op.forChunks(n, func(chunk, lo, hi, _ int) {
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
// ReLU output) in a fixed order: four interleaved partial sums
// (partialSums4), added pairwise at the end, then the remaining values in
// order. The partial sums of planes of 32 or more run in vector lanes where
// there are any (sum4Lanes; below 32 the call costs more than it saves),
// with the same bits.
func sum4(g, y []float32) float32 {
	n := len(g) &^ 3
	if y != nil {
		y = y[:len(g)]
	}
	var s0, s1, s2, s3 float32
	if hasSum4Lanes && n >= 32 {
		p := sum4Lanes(g[:n], y)
		s0, s1, s2, s3 = p[0], p[1], p[2], p[3]
	} else {
		s0, s1, s2, s3 = partialSums4(g[:n], y)
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

// partialSums4 returns s_l, the sum of g[4i+l] (times [y[4i+l] != 0] when
// y is not nil) in order of i, for l < 4; len(g) is a multiple of 4 and y,
// when not nil, at least as long.
func partialSums4(g, y []float32) (s0, s1, s2, s3 float32) {
	if y == nil {
		for i := 0; i+3 < len(g); i += 4 {
			s0 += g[i]
			s1 += g[i+1]
			s2 += g[i+2]
			s3 += g[i+3]
		}
		return
	}
	y = y[:len(g)]
	for i := 0; i+3 < len(g); i += 4 {
		s0 += reluMask(g[i], y[i])
		s1 += reluMask(g[i+1], y[i+1])
		s2 += reluMask(g[i+2], y[i+2])
		s3 += reluMask(g[i+3], y[i+3])
	}
	return
}
