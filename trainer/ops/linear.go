package ops

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"branchspec/trainer/ops/gemm"
)

// Linear returns the affine map of the rows of x:
//
//	y[n][o] = b[o] + sum_d x[n][d] * w[o][d]     (y = x Wᵀ + b)
//
// x is [N, D], or [N, C, H, W] read as [N, C*H*W]; w is [Out, D]; b is [Out]
// or nil. The output is [N, Out]. Gradients flow to x (in x's shape), w
// and b. Its products run gemm.Default(); see LinearWith.
func Linear(x, w, b *G.Node) (*G.Node, error) { return LinearWith(x, w, b, LinearParams{}) }

// LinearParams are the options of LinearWith. The zero value is Linear.
type LinearParams struct {
	// Kernel is the GEMM kernel of the op and its gradients: "" is
	// gemm.Default(); one this CPU does not run is an error. Results may
	// differ in bits between kernels (see gemm.Kernel).
	Kernel gemm.Kernel
}

// LinearWith is Linear with options.
func LinearWith(x, w, b *G.Node, p LinearParams) (*G.Node, error) {
	xs, ws := x.Shape(), w.Shape()
	if len(xs) < 2 || len(ws) != 2 || xs.TotalSize()/xs[0] != ws[1] {
		return nil, fmt.Errorf("op (linear): input %v does not fit weights %v (want [Out, D])", xs, ws)
	}
	args, err := withBias("linear", []*G.Node{x, w}, b, ws[0])
	if err != nil {
		return nil, err
	}
	kern, err := gemm.ParseKernel(string(p.Kernel))
	if err != nil {
		return nil, fmt.Errorf("op (linear): %w", err)
	}
	op := &linearOp{xDims: len(xs), hasBias: b != nil, gemm: splitGEMM{kernel: kern}}
	return applyOp("linear", op, args...)
}

// linearOp is the forward affine map; see Linear.
type linearOp struct {
	pureOp
	xDims   int
	hasBias bool
	out     outBuf
	gemm    splitGEMM // its kernel is the op's
}

func (op *linearOp) Arity() int {
	if op.hasBias {
		return 3
	}
	return 2
}

func (op *linearOp) Type() hm.Type {
	if op.hasBias {
		return hm.NewFnType(tensorType(op.xDims), tensorType(2), tensorType(1), tensorType(2))
	}
	return hm.NewFnType(tensorType(op.xDims), tensorType(2), tensorType(2))
}

func (op *linearOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(in)
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	return tensor.Shape{s[0][0], s[1][0]}, nil
}

func (op *linearOp) Do(in ...G.Value) (G.Value, error) {
	data, shapes, err := operands(op, in, "x", "w", "b")
	if err != nil {
		return nil, err
	}
	x, xs, w, ws := data[0], shapes[0], data[1], shapes[1]
	n, out, d := xs[0], ws[0], ws[1]
	if len(x) != n*d {
		return nil, fmt.Errorf("op (%v): input %v does not fit weights %v", op, xs, ws)
	}
	t, y := op.out.get(n, out)
	op.gemm.pieces(&op.pureOp, n, chunkImages, n*out*d, func(ws *gemm.Workspace, lo, hi int) {
		ws.Sgemm(false, true, hi-lo, out, d, 1, x[lo*d:], d, w, d, 0, y[lo*out:], out)
	})
	if op.hasBias {
		b := data[2]
		for i := 0; i < n; i++ {
			row := y[i*out : (i+1)*out]
			for o := range row {
				row[o] += b[o]
			}
		}
	}
	return t, nil
}

func (op *linearOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%s,kernel=%s", op, op.gemm.kernel) }
func (op *linearOp) Hashcode() uint32      { return hashOf(op) }
func (op *linearOp) String() string {
	return fmt.Sprintf("bs.linear(%dd,bias=%t)", op.xDims, op.hasBias)
}

func (op *linearOp) DiffWRT(inputs int) []bool {
	return allInputs(inputs)
}

func (op *linearOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	x, w := inputs[0], inputs[1]
	grads := make(G.Nodes, len(inputs))
	var err error
	kern := splitGEMM{kernel: op.gemm.kernel}
	if grads[0], err = G.ApplyOp(&linearGradOp{xDims: op.xDims, wrt: wrtInput, gemm: kern}, x, w, grad); err != nil {
		return nil, fmt.Errorf("op (%v) dx: %w", op, err)
	}
	if grads[1], err = G.ApplyOp(&linearGradOp{xDims: op.xDims, wrt: wrtWeights, gemm: kern}, x, w, grad); err != nil {
		return nil, fmt.Errorf("op (%v) dw: %w", op, err)
	}
	if op.hasBias {
		if grads[2], err = G.ApplyOp(&colSumOp{}, grad); err != nil {
			return nil, fmt.Errorf("op (%v) db: %w", op, err)
		}
	}
	return grads, nil
}

// linearGradOp computes a gradient of Linear from (x, w, gy):
// dx = gy W (shaped like x) or dW = gyᵀ x.
type linearGradOp struct {
	pureOp
	xDims int
	wrt   string
	out   outBuf
	gemm  splitGEMM // its kernel is the forward op's
}

func (op *linearGradOp) Arity() int { return 3 }
func (op *linearGradOp) Type() hm.Type {
	if op.wrt == wrtInput {
		return hm.NewFnType(tensorType(op.xDims), tensorType(2), tensorType(2), tensorType(op.xDims))
	}
	return hm.NewFnType(tensorType(op.xDims), tensorType(2), tensorType(2), tensorType(2))
}

func (op *linearGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return gradShape(op, op.wrt, in)
}

func (op *linearGradOp) Do(in ...G.Value) (G.Value, error) {
	data, shapes, err := operands(op, in, "x", "w", "gy")
	if err != nil {
		return nil, err
	}
	x, w, gy := data[0], data[1], data[2]
	xs, ws, gs := shapes[0], shapes[1], shapes[2]
	n, out, d := xs[0], ws[0], ws[1]
	if !gs.Eq(tensor.Shape{n, out}) || len(x) != n*d {
		return nil, fmt.Errorf("op (%v): shapes x %v, w %v, gy %v do not fit", op, xs, ws, gs)
	}
	if op.wrt == wrtInput {
		t, dx := op.out.get(xs...)
		op.gemm.pieces(&op.pureOp, n, chunkImages, n*out*d, func(ws *gemm.Workspace, lo, hi int) {
			ws.Sgemm(false, false, hi-lo, d, out, 1, gy[lo*out:], out, w, d, 0, dx[lo*d:], d)
		})
		return t, nil
	}
	t, dw := op.out.get(out, d)
	op.gemm.pieces(&op.pureOp, d, linearColumns, n*out*d, func(ws *gemm.Workspace, lo, hi int) {
		ws.Sgemm(true, false, out, hi-lo, n, 1, gy, out, x[lo:], d, 0, dw[lo:], d)
	})
	return t, nil
}

func (op *linearGradOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%s,kernel=%s", op, op.gemm.kernel) }
func (op *linearGradOp) Hashcode() uint32      { return hashOf(op) }
func (op *linearGradOp) String() string {
	return fmt.Sprintf("bs.linear_grad_%s(%dd)", op.wrt, op.xDims)
}
func (op *linearGradOp) DiffWRT(inputs int) []bool { return make([]bool, inputs) }
func (op *linearGradOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	return nil, errSecondDerivative(op)
}

// colSumOp sums the rows of gy [N, Out] into [Out], in row order: the
// gradient of a bias added to every row.
type colSumOp struct {
	pureOp
	out outBuf
}

func (op *colSumOp) Arity() int                { return 1 }
func (op *colSumOp) Type() hm.Type             { return hm.NewFnType(tensorType(2), tensorType(1)) }
func (op *colSumOp) WriteHash(h hash.Hash)     { fmt.Fprint(h, "bs.col_sum") }
func (op *colSumOp) Hashcode() uint32          { return hashOf(op) }
func (op *colSumOp) String() string            { return "bs.col_sum" }
func (op *colSumOp) DiffWRT(inputs int) []bool { return make([]bool, inputs) }
func (op *colSumOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	return nil, errSecondDerivative(op)
}

func (op *colSumOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(in)
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	return tensor.Shape{s[0][1]}, nil
}

func (op *colSumOp) Do(in ...G.Value) (G.Value, error) {
	gy, s, err := float32s(in[0])
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	if err := wantDims("gy", s, 2); err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	n, k := s[0], s[1]
	t, db := op.out.get(k)
	clear(db)
	for i := 0; i < n; i++ {
		for j, v := range gy[i*k : (i+1)*k] {
			db[j] += v
		}
	}
	return t, nil
}

// splitGEMM runs an op's product on its workers, one contiguous piece of
// the result's rows or columns each, with a workspace per piece. On the
// pure-Go path every element of a product is one chain of terms summed in
// k order whatever the rows and columns around it, so long as each piece
// has whole groups of four rows (the dot-product path sums a group of
// fewer with other instructions): the pieces, and so the number of
// workers, leave the bits as one unsplit product's
// (TestSplitGEMMSameBits). With another implementation behind gemm.Sgemm
// (OpenBLAS), whose kernels may sum an element differently in a smaller
// product, products run unsplit, as before.
type splitGEMM struct {
	kernel gemm.Kernel
	ws     []gemm.Workspace
}

// linearColumns is the alignment of splitGEMM's pieces of columns: a
// panel of the widest kernel.
const linearColumns = 32

// minSplitWork is the fewest multiply-adds of a product that splitGEMM
// splits: below it the job's dispatch costs about what a second worker
// saves.
const minSplitWork = 1 << 20

// pieces calls f(ws, lo, hi) on contiguous pieces [lo, hi) covering
// [0, n), one for each of p's workers (at most n/align), their bounds
// multiples of align, for a product of work multiply-adds; one piece
// [0, n) when n is not a multiple of align or work is below minSplitWork.
func (s *splitGEMM) pieces(p *pureOp, n, align, work int, f func(ws *gemm.Workspace, lo, hi int)) {
	k := 1
	if gemm.Impl() == "pure-go" && n%align == 0 && n > 0 && work >= minSplitWork {
		k = p.numImageWorkers(n / align)
	}
	for len(s.ws) < k {
		s.ws = append(s.ws, gemm.Workspace{Kernel: s.kernel})
	}
	if k == 1 {
		f(&s.ws[0], 0, n)
		return
	}
	units := n / align
	p.forImages(k, func(piece, _ int) {
		f(&s.ws[piece], piece*units/k*align, (piece+1)*units/k*align)
	})
}
