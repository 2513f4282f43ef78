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

// LRNParams are the constants of local response normalisation.
type LRNParams struct {
	Size  int     // n: channels in the window, >= 1
	K     float64 // k > 0
	Alpha float64 // alpha >= 0, as the paper writes it (not divided by n)
	Beta  float64 // beta >= 0
}

// AlexNetLRN returns the constants of Krizhevsky et al. (2012, section
// 3.3): k = 2, n = 5, alpha = 1e-4, beta = 0.75.
func AlexNetLRN() LRNParams { return LRNParams{Size: 5, K: 2, Alpha: 1e-4, Beta: 0.75} }

// LRN returns the local response normalisation of x [N, C, H, W] across
// channels (Krizhevsky, Sutskever & Hinton, "ImageNet classification with
// deep convolutional neural networks", NIPS 2012, section 3.3):
//
//	d[c] = k + alpha * sum_{c' = max(0, c - n/2)}^{min(C-1, c + (n-1)/2)} x[c']^2
//	y[c] = x[c] / d[c]^beta
//
// at every pixel, n/2 and (n-1)/2 rounded down: for odd n the paper's
// window of n channels centred on c, for even n PyTorch's (one more before
// than after). alpha is the paper's: PyTorch's nn.LocalResponseNorm(size,
// alpha_torch, beta, k) divides its alpha by n, so it computes this op with
// alpha_torch = n * alpha. The gradient is
//
//	dx[j] = gy[j] / d[j]^beta - 2 alpha beta x[j] sum_{c: j in window(c)} gy[c] y[c] / d[c]
//
// All arithmetic is float32: the window sum in channel order, and
// d^0.75 as sqrt(d) * sqrt(sqrt(d)) (other beta through math.Pow in
// float64); for beta = 0.75 an AVX path computes 8 pixels at a time with
// the same operations in the same order, so it gives the same bits as the
// portable code.
// The forward pass keeps d for the backward pass.
func LRN(x *G.Node, p LRNParams) (*G.Node, error) { return LRNWith(x, p, "") }

// LRNWith is LRN on the vector instructions of kernel k ("" is
// gemm.Default(); one this CPU does not run is an error). Every kernel
// gives the same bits.
func LRNWith(x *G.Node, p LRNParams, k gemm.Kernel) (*G.Node, error) {
	if s := x.Shape(); len(s) != 4 {
		return nil, fmt.Errorf("op (lrn): want [N, C, H, W], got shape %v", s)
	}
	if p.Size < 1 || !(p.K > 0) || !(p.Alpha >= 0) || !(p.Beta >= 0) ||
		math.IsInf(p.K, 0) || math.IsInf(p.Alpha, 0) || math.IsInf(p.Beta, 0) {
		return nil, fmt.Errorf("op (lrn): parameters %+v: want size >= 1, k > 0, alpha >= 0, beta >= 0, all finite", p)
	}
	kern, err := gemm.ParseKernel(string(k))
	if err != nil {
		return nil, fmt.Errorf("op (lrn): %w", err)
	}
	return applyOp("lrn", &lrnOp{p: p, kernel: kern}, x)
}

// lrnOp is the forward normalisation; d holds the denominators' bases
// d[c] (before the power) of its latest run.
type lrnOp struct {
	pureOp
	p      LRNParams
	kernel gemm.Kernel // whose vector instructions it runs; "" is gemm.Default()
	out    outBuf
	d      []float32
}

func (op *lrnOp) Arity() int    { return 1 }
func (op *lrnOp) Type() hm.Type { return hm.NewFnType(tensorType(4), tensorType(4)) }

func (op *lrnOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(in)
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	if err := wantDims("x", s[0], 4); err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	return s[0].Clone(), nil
}

func (op *lrnOp) Do(in ...G.Value) (G.Value, error) {
	x, s, err := float32s(in[0])
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	if err := wantDims("x", s, 4); err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	t, y := op.out.get(s...)
	op.d = grow(op.d, len(x))
	n, c, hw := s[0], s[1], s[2]*s[3]
	k := op.numerics()
	op.forChunks(n, func(_, lo, hi, _ int) {
		for i := lo; i < hi; i++ {
			im := i * c * hw
			k.forward(y[im:im+c*hw], op.d[im:im+c*hw], x[im:im+c*hw], c, hw)
		}
	})
	return t, nil
}

// numerics returns the op's constants in float32 and its vector level.
func (op *lrnOp) numerics() lrnKernel {
	return lrnKernel{n: op.p.Size, k: float32(op.p.K), alpha: float32(op.p.Alpha), beta: op.p.Beta,
		c2: float32(2 * op.p.Alpha * op.p.Beta), vec: kernelVec(op.kernel)}
}

func (op *lrnOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op *lrnOp) Hashcode() uint32      { return hashOf(op) }
func (op *lrnOp) String() string {
	return fmt.Sprintf("bs.lrn(n=%d,k=%g,alpha=%g,beta=%g)", op.p.Size, op.p.K, op.p.Alpha, op.p.Beta)
}

func (op *lrnOp) DiffWRT(inputs int) []bool { return []bool{true} }

func (op *lrnOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	// y is an input of the backward op: it reads y, and it must run after
	// the forward op has recorded d.
	gx, err := G.ApplyOp(&lrnGradOp{fwd: op}, inputs[0], output, grad)
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	return G.Nodes{gx}, nil
}

// lrnGradOp computes gx from (x, y, gy) and its forward op's d.
type lrnGradOp struct {
	pureOp
	fwd *lrnOp
	out outBuf
	q   [][]float32 // per worker: gy y / d of one image
}

func (op *lrnGradOp) Arity() int { return 3 }
func (op *lrnGradOp) Type() hm.Type {
	return hm.NewFnType(tensorType(4), tensorType(4), tensorType(4), tensorType(4))
}

func (op *lrnGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(in)
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	return s[0].Clone(), nil
}

func (op *lrnGradOp) Do(in ...G.Value) (G.Value, error) {
	data, shapes, err := operands(op, in, "x", "y", "gy")
	if err != nil {
		return nil, err
	}
	x, y, gy := data[0], data[1], data[2]
	s := shapes[0]
	if err := wantDims("x", s, 4); err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	if !shapes[1].Eq(s) || !shapes[2].Eq(s) || len(op.fwd.d) != len(x) {
		return nil, fmt.Errorf("op (%v): shapes x %v, y %v, gy %v, %d recorded denominators", op, s, shapes[1], shapes[2], len(op.fwd.d))
	}
	t, gx := op.out.get(s...)
	n, c, hw := s[0], s[1], s[2]*s[3]
	k := op.fwd.numerics()
	op.q = growEach(op.q, op.numWorkers(n), c*hw)
	op.forChunks(n, func(_, lo, hi, worker int) {
		for i := lo; i < hi; i++ {
			im := i * c * hw
			r := im + c*hw
			k.backward(gx[im:r], op.q[worker], x[im:r], y[im:r], gy[im:r], op.fwd.d[im:r], c, hw)
		}
	})
	return t, nil
}

func (op *lrnGradOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op *lrnGradOp) Hashcode() uint32      { return hashOf(op) }
func (op *lrnGradOp) String() string {
	p := op.fwd.p
	return fmt.Sprintf("bs.lrn_grad(n=%d,k=%g,alpha=%g,beta=%g)", p.Size, p.K, p.Alpha, p.Beta)
}

func (op *lrnGradOp) DiffWRT(inputs int) []bool { return make([]bool, inputs) }
func (op *lrnGradOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	return nil, errSecondDerivative(op)
}

// lrnKernel computes one image [C, H*W] of the normalisation in float32.
type lrnKernel struct {
	n            int
	k, alpha, c2 float32 // c2 = 2 alpha beta
	beta         float64
	vec          vecLevel // the vector paths' level (AVX2 and up: AVX)
}

// window returns the channels [lo, hi] summed for channel c of C.
func (k lrnKernel) window(c, channels int) (lo, hi int) {
	return max(0, c-k.n/2), min(channels-1, c+(k.n-1)/2)
}

// pow returns d^beta in float32; see LRN.
func (k lrnKernel) pow(d float32) float32 {
	if k.beta == 0.75 {
		t := sqrt32(d)
		return t * sqrt32(t)
	}
	return float32(math.Pow(float64(d), k.beta))
}

// sqrt32 is the correctly rounded float32 square root (the float64 root
// rounded to float32 is correctly rounded; VSQRTPS computes the same).
func sqrt32(v float32) float32 { return float32(math.Sqrt(float64(v))) }

// forward writes y and d for one image x [C, hw].
func (k lrnKernel) forward(y, d, x []float32, channels, hw int) {
	for c := 0; c < channels; {
		lo, hi := k.window(c, channels)
		run := k.sameWindows(c, channels, lo, hi, k.window)
		n := run * hw
		yc, dc, xc, win := y[c*hw:c*hw+n], d[c*hw:c*hw+n], x[c*hw:c*hw+n], x[lo*hw:(hi+run)*hw]
		done := k.lrnForwardFast(yc, dc, xc, win, hi-lo+1, hw, n)
		k.forwardPlane(yc, dc, xc, win, hi-lo+1, hw, n, done)
		c += run
	}
}

// sameWindows returns how many channels from c on have windows
// (window(c', channels)) as wide as [lo, hi] and starting one plane later
// each: the interior channels, whose pixels then run as one row of
// run*hw values, the window of each starting (n/2)*hw values earlier (so
// a small plane, 7x7, is not a call of its own).
func (k lrnKernel) sameWindows(c, channels, lo, hi int, window func(c, channels int) (int, int)) int {
	run := 1
	for ; c+run < channels; run++ {
		if l, h := window(c+run, channels); l != lo+run || h != hi+run {
			break
		}
	}
	return run
}

// forwardPlane computes pixels [from, n) of the row xc with the window of
// m rows win[t*stride:]. Explicit float32 conversions keep the compiler
// from fusing a multiply and an add, so the results equal the vector
// path's, which does not fuse either.
func (k lrnKernel) forwardPlane(y, d, xc, win []float32, m, stride, n, from int) {
	for i := from; i < n; i++ {
		var s float32
		for t := 0; t < m; t++ {
			v := win[t*stride+i]
			s += float32(v * v)
		}
		di := k.k + float32(k.alpha*s)
		d[i] = di
		y[i] = xc[i] / k.pow(di)
	}
}

// backward writes gx for one image; q is scratch of C*hw values.
func (k lrnKernel) backward(gx, q, x, y, gy, d []float32, channels, hw int) {
	for i := k.lrnQuotientFast(q, gy, y, d); i < len(q); i++ {
		q[i] = float32(gy[i]*y[i]) / d[i]
	}
	// The channels c whose window holds j.
	holders := func(j, channels int) (int, int) { return max(0, j-(k.n-1)/2), min(channels-1, j+k.n/2) }
	for j := 0; j < channels; {
		lo, hi := holders(j, channels)
		run := k.sameWindows(j, channels, lo, hi, holders)
		n := run * hw
		gxj, xj, gyj, dj, win := gx[j*hw:j*hw+n], x[j*hw:j*hw+n], gy[j*hw:j*hw+n], d[j*hw:j*hw+n], q[lo*hw:(hi+run)*hw]
		done := k.lrnBackwardFast(gxj, xj, gyj, dj, win, hi-lo+1, hw, n)
		k.backwardPlane(gxj, xj, gyj, dj, win, hi-lo+1, hw, n, done)
		j += run
	}
}

// backwardPlane computes pixels [from, n) of one row's gradient:
// gx = gy / d^beta - (c2 x) * sum of the m rows win[t*stride:] of q.
func (k lrnKernel) backwardPlane(gx, x, gy, d, q []float32, m, stride, n, from int) {
	for i := from; i < n; i++ {
		var s float32
		for t := 0; t < m; t++ {
			s += q[t*stride+i]
		}
		gx[i] = gy[i]/k.pow(d[i]) - float32(float32(k.c2*x[i])*s)
	}
}
