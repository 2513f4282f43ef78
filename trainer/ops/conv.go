package ops

import (
	"fmt"
	"hash"

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
	return g, nil
}

func (g convGeom) ckk() int      { return g.c * g.k * g.k }
func (g convGeom) ohw() int      { return g.oh * g.ow }
func (g convGeom) inImage() int  { return g.c * g.h * g.w }
func (g convGeom) outImage() int { return g.o * g.ohw() }

// direct reports whether the input image is its own im2col matrix (1x1
// kernel without padding).
func (g convGeom) direct() bool { return g.k == 1 && g.pad == 0 }

// im2col writes the [C*K*K, OH*OW] patch matrix of one image x [C, H, W]:
//
//	col[(c*K+i)*K+j][y*OW+x] = x[c][y+i-pad][x+j-pad], or 0 outside the image.
func (g convGeom) im2col(x, col []float32) {
	ohw := g.ohw()
	for c := 0; c < g.c; c++ {
		plane := x[c*g.h*g.w : (c+1)*g.h*g.w]
		for i := 0; i < g.k; i++ {
			for j := 0; j < g.k; j++ {
				row := col[((c*g.k+i)*g.k+j)*ohw:][:ohw]
				// Output columns x with 0 <= x+j-pad < W.
				x0, x1 := max(0, g.pad-j), min(g.ow, g.w+g.pad-j)
				for y := 0; y < g.oh; y++ {
					dst := row[y*g.ow : (y+1)*g.ow]
					iy := y + i - g.pad
					if iy < 0 || iy >= g.h || x0 >= x1 {
						clear(dst)
						continue
					}
					clear(dst[:x0])
					copy(dst[x0:x1], plane[iy*g.w+x0+j-g.pad:])
					clear(dst[x1:])
				}
			}
		}
	}
}

// col2im is the adjoint of im2col: it sets dx [C, H, W] to the sum of the
// patch-matrix gradients dcol over every position each input feeds.
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

// convScratch is per-worker scratch space: a gemm workspace and a patch
// matrix buffer for each worker.
type convScratch struct {
	ws   []gemm.Workspace
	cols [][]float32
}

func (s *convScratch) ensure(workers, colLen int) {
	if len(s.ws) < workers {
		s.ws = make([]gemm.Workspace, workers)
	}
	s.cols = growEach(s.cols, workers, colLen)
}

// patches returns the patch matrix of image x, computed into the worker's
// buffer unless the image is its own patch matrix.
func (s *convScratch) patches(g convGeom, x []float32, worker int) []float32 {
	if g.direct() {
		return x
	}
	col := s.cols[worker]
	g.im2col(x, col)
	return col
}

// Conv2D returns the stride-1 convolution (cross-correlation) of x
// [N, C, H, W] with weights w [O, C, K, K] and optional bias b [O] (nil for
// none), zero-padded by pad on each side:
//
//	y[n][o][r][s] = b[o] + sum_{c,i,j} w[o][c][i][j] * x[n][c][r+i-pad][s+j-pad]
//
// The output is [N, O, H+2*pad-K+1, W+2*pad-K+1]. Each image is lowered to
// its patch matrix (im2col) and multiplied by the weight matrix in one GEMM
// written straight into the NCHW output; images are processed in parallel.
// Gradients flow to x, w and b.
func Conv2D(x, w, b *G.Node, pad int) (*G.Node, error) {
	return conv2D(x, w, b, pad, false)
}

// Conv2DInput is Conv2D for a layer whose input is data: it computes the
// same output but passes no gradient to x, which saves the backward-data
// product of a first layer.
func Conv2DInput(x, w, b *G.Node, pad int) (*G.Node, error) {
	return conv2D(x, w, b, pad, true)
}

func conv2D(x, w, b *G.Node, pad int, noInputGrad bool) (*G.Node, error) {
	g, err := newConvGeom(x.Shape(), w.Shape(), pad)
	if err != nil {
		return nil, fmt.Errorf("op (conv2d): %w", err)
	}
	op := &convOp{pad: pad, hasBias: b != nil, noInputGrad: noInputGrad}
	args := []*G.Node{x, w}
	if b != nil {
		if bs := b.Shape(); len(bs) != 1 || bs[0] != g.o {
			return nil, fmt.Errorf("op (conv2d): bias shape %v, want [%d]", bs, g.o)
		}
		args = append(args, b)
	}
	y, err := G.ApplyOp(op, args...)
	if err != nil {
		return nil, fmt.Errorf("op (conv2d): %w", err)
	}
	return y, nil
}

// convOp is the forward convolution; see Conv2D.
type convOp struct {
	pad         int
	hasBias     bool
	noInputGrad bool
	out         outBuf
	scratch     convScratch
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
	x, xs, err := float32s(in[0])
	if err != nil {
		return nil, fmt.Errorf("op (%v) x: %w", op, err)
	}
	w, ws, err := float32s(in[1])
	if err != nil {
		return nil, fmt.Errorf("op (%v) w: %w", op, err)
	}
	var b []float32
	if op.hasBias {
		if b, _, err = float32s(in[2]); err != nil {
			return nil, fmt.Errorf("op (%v) b: %w", op, err)
		}
	}
	g, err := newConvGeom(xs, ws, op.pad)
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	t, y := op.out.get(g.n, g.o, g.oh, g.ow)
	op.scratch.ensure(numWorkers(g.n), g.ckk()*g.ohw())
	ohw, ckk := g.ohw(), g.ckk()
	forChunks(g.n, func(_, lo, hi, worker int) {
		for n := lo; n < hi; n++ {
			col := op.scratch.patches(g, x[n*g.inImage():(n+1)*g.inImage()], worker)
			yn := y[n*g.outImage() : (n+1)*g.outImage()]
			op.scratch.ws[worker].Sgemm(false, false, g.o, ohw, ckk, 1, w, ckk, col, ohw, 0, yn, ohw)
			if b != nil {
				addBias(yn, b, ohw)
			}
		}
	})
	return t, nil
}

// addBias adds b[o] to every element of row o of y [O, hw].
func addBias(y, b []float32, hw int) {
	for o, bv := range b {
		row := y[o*hw : (o+1)*hw]
		for i := range row {
			row[i] += bv
		}
	}
}

func (op *convOp) ReturnsPtr() bool     { return false }
func (op *convOp) CallsExtern() bool    { return false }
func (op *convOp) OverwritesInput() int { return -1 }
func (op *convOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "bs.conv2d(pad=%d,bias=%t,noInputGrad=%t)", op.pad, op.hasBias, op.noInputGrad)
}
func (op *convOp) Hashcode() uint32 { return hashOf(op) }
func (op *convOp) String() string {
	return fmt.Sprintf("bs.conv2d(pad=%d,bias=%t)", op.pad, op.hasBias)
}

func (op *convOp) DiffWRT(inputs int) []bool {
	d := make([]bool, inputs)
	for i := range d {
		d[i] = true
	}
	d[0] = !op.noInputGrad
	return d
}

func (op *convOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	x, w := inputs[0], inputs[1]
	grads := make(G.Nodes, len(inputs))
	var err error
	if !op.noInputGrad {
		if grads[0], err = G.ApplyOp(&convGradOp{pad: op.pad, wrt: wrtInput}, x, w, grad); err != nil {
			return nil, fmt.Errorf("op (%v) dx: %w", op, err)
		}
	}
	if grads[1], err = G.ApplyOp(&convGradOp{pad: op.pad, wrt: wrtWeights}, x, w, grad); err != nil {
		return nil, fmt.Errorf("op (%v) dw: %w", op, err)
	}
	if op.hasBias {
		if grads[2], err = G.ApplyOp(&biasGradOp{}, grad); err != nil {
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

// convGradOp computes a gradient of the convolution from (x, w, gy): with
// respect to x (backward data: dcol = Wᵀ gy per image, then col2im) or to
// w (backward filter: dW = sum_n gy_n col_nᵀ, summed per chunk of images
// and then over chunks in order).
type convGradOp struct {
	pad     int
	wrt     string
	out     outBuf
	scratch convScratch
	parts   [][]float32 // per-chunk partial weight gradients
}

func (op *convGradOp) Arity() int { return 3 }
func (op *convGradOp) Type() hm.Type {
	return hm.NewFnType(tensorType(4), tensorType(4), tensorType(4), tensorType(4))
}

func (op *convGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(in)
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	if op.wrt == wrtInput {
		return s[0].Clone(), nil
	}
	return s[1].Clone(), nil
}

func (op *convGradOp) Do(in ...G.Value) (G.Value, error) {
	var data [3][]float32
	var shapes [3]tensor.Shape
	for i := range data {
		var err error
		if data[i], shapes[i], err = float32s(in[i]); err != nil {
			return nil, fmt.Errorf("op (%v) input %d: %w", op, i, err)
		}
	}
	g, err := newConvGeom(shapes[0], shapes[1], op.pad)
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	if want := (tensor.Shape{g.n, g.o, g.oh, g.ow}); !shapes[2].Eq(want) {
		return nil, fmt.Errorf("op (%v): gradient shape %v, want %v", op, shapes[2], want)
	}
	if op.wrt == wrtInput {
		return op.backwardData(g, data[1], data[2]), nil
	}
	return op.backwardFilter(g, data[0], data[2]), nil
}

func (op *convGradOp) backwardData(g convGeom, w, gy []float32) G.Value {
	t, dx := op.out.get(g.n, g.c, g.h, g.w)
	ohw, ckk := g.ohw(), g.ckk()
	op.scratch.ensure(numWorkers(g.n), ckk*ohw)
	forChunks(g.n, func(_, lo, hi, worker int) {
		for n := lo; n < hi; n++ {
			gyn := gy[n*g.outImage() : (n+1)*g.outImage()]
			dxn := dx[n*g.inImage() : (n+1)*g.inImage()]
			if g.direct() {
				op.scratch.ws[worker].Sgemm(true, false, ckk, ohw, g.o, 1, w, ckk, gyn, ohw, 0, dxn, ohw)
				continue
			}
			dcol := op.scratch.cols[worker]
			op.scratch.ws[worker].Sgemm(true, false, ckk, ohw, g.o, 1, w, ckk, gyn, ohw, 0, dcol, ohw)
			g.col2im(dcol, dxn)
		}
	})
	return t
}

func (op *convGradOp) backwardFilter(g convGeom, x, gy []float32) G.Value {
	t, dw := op.out.get(g.o, g.c, g.k, g.k)
	ohw, ckk := g.ohw(), g.ckk()
	op.scratch.ensure(numWorkers(g.n), ckk*ohw)
	nc := numChunks(g.n)
	op.parts = growEach(op.parts, nc, len(dw))
	forChunks(g.n, func(chunk, lo, hi, worker int) {
		part := op.parts[chunk]
		for n := lo; n < hi; n++ {
			col := op.scratch.patches(g, x[n*g.inImage():(n+1)*g.inImage()], worker)
			gyn := gy[n*g.outImage() : (n+1)*g.outImage()]
			beta := float32(1)
			if n == lo {
				beta = 0
			}
			op.scratch.ws[worker].Sgemm(false, true, g.o, ckk, ohw, 1, gyn, ohw, col, ohw, beta, part, ckk)
		}
	})
	reduceChunks(dw, op.parts, nc)
	return t
}

func (op *convGradOp) ReturnsPtr() bool     { return false }
func (op *convGradOp) CallsExtern() bool    { return false }
func (op *convGradOp) OverwritesInput() int { return -1 }
func (op *convGradOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "bs.conv2d_grad_%s(pad=%d)", op.wrt, op.pad)
}
func (op *convGradOp) Hashcode() uint32 { return hashOf(op) }
func (op *convGradOp) String() string {
	return fmt.Sprintf("bs.conv2d_grad_%s(pad=%d)", op.wrt, op.pad)
}

func (op *convGradOp) DiffWRT(inputs int) []bool { return make([]bool, inputs) }
func (op *convGradOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("op (%v): second derivatives are not supported", op)
}

// biasGradOp sums gy [N, O, H, W] over N, H and W into [O]: the gradient of
// a per-channel bias. Per-chunk sums are added in chunk order.
type biasGradOp struct {
	out   outBuf
	parts [][]float32
}

func (op *biasGradOp) Arity() int                { return 1 }
func (op *biasGradOp) Type() hm.Type             { return hm.NewFnType(tensorType(4), tensorType(1)) }
func (op *biasGradOp) ReturnsPtr() bool          { return false }
func (op *biasGradOp) CallsExtern() bool         { return false }
func (op *biasGradOp) OverwritesInput() int      { return -1 }
func (op *biasGradOp) WriteHash(h hash.Hash)     { fmt.Fprint(h, "bs.bias_grad") }
func (op *biasGradOp) Hashcode() uint32          { return hashOf(op) }
func (op *biasGradOp) String() string            { return "bs.bias_grad" }
func (op *biasGradOp) DiffWRT(inputs int) []bool { return make([]bool, inputs) }
func (op *biasGradOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("op (%v): second derivatives are not supported", op)
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
	gy, s, err := float32s(in[0])
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	if err := wantDims("gy", s, 4); err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
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
				var s float32
				for _, v := range gy[(i*o+c)*hw : (i*o+c+1)*hw] {
					s += v
				}
				part[c] += s
			}
		}
	})
	reduceChunks(db, op.parts, nc)
	return t, nil
}
