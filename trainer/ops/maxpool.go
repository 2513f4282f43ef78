package ops

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"branchspec/trainer/ops/gemm"
)

// MaxPool2D returns the maximum of x [N, C, H, W] over non-overlapping
// size x size windows (window = stride = size):
//
//	y[n][c][r][s] = max_{0<=i,j<size} x[n][c][r*size+i][s*size+j]
//
// H and W must be divisible by size. The forward pass records the position
// of each maximum (the first in row-major window order on ties), and the
// backward pass routes gy to exactly that position.
func MaxPool2D(x *G.Node, size int) (*G.Node, error) { return MaxPool2DWith(x, size, "") }

// MaxPool2DWith is MaxPool2D on the vector instructions of kernel k ("" is
// gemm.Default(); one this CPU does not run is an error). Every kernel
// gives the same bits.
func MaxPool2DWith(x *G.Node, size int, k gemm.Kernel) (*G.Node, error) {
	s := x.Shape()
	if len(s) != 4 {
		return nil, fmt.Errorf("op (maxpool2d): want [N, C, H, W], got shape %v", s)
	}
	if size < 1 || s[2]%size != 0 || s[3]%size != 0 {
		return nil, fmt.Errorf("op (maxpool2d): size %d does not divide %dx%d", size, s[2], s[3])
	}
	kern, err := gemm.ParseKernel(string(k))
	if err != nil {
		return nil, fmt.Errorf("op (maxpool2d): %w", err)
	}
	return applyOp("maxpool2d", &maxPoolOp{size: size, stride: size, kernel: kern}, x)
}

// MaxPool returns the maximum of x [N, C, H, W] over size x size windows
// placed every stride pixels, without padding:
//
//	y[n][c][r][q] = max_{0<=i,j<size} x[n][c][r*stride+i][q*stride+j]
//	OH = floor((H - size) / stride) + 1,   OW likewise
//
// (PyTorch's nn.MaxPool2d(size, stride) with ceil_mode off; rows and
// columns past the last window are not read). stride < size overlaps the
// windows, as AlexNet's 3/2 pooling (Krizhevsky et al. 2012, section 3.4).
// As in MaxPool2D, the forward pass records the first maximum in row-major
// window order (strict >), and the backward pass routes each gy to it;
// where windows overlap, an input that is the maximum of several windows
// receives the sum of their gradients, added in output order.
func MaxPool(x *G.Node, size, stride int) (*G.Node, error) { return MaxPoolWith(x, size, stride, "") }

// MaxPoolWith is MaxPool on the vector instructions of kernel k ("" is
// gemm.Default(); one this CPU does not run is an error). Every kernel
// gives the same bits.
func MaxPoolWith(x *G.Node, size, stride int, k gemm.Kernel) (*G.Node, error) {
	s := x.Shape()
	if len(s) != 4 {
		return nil, fmt.Errorf("op (maxpool): want [N, C, H, W], got shape %v", s)
	}
	if size < 1 || stride < 1 || size > s[2] || size > s[3] {
		return nil, fmt.Errorf("op (maxpool): size %d, stride %d on %dx%d: want 1 <= size <= H, W and stride >= 1", size, stride, s[2], s[3])
	}
	kern, err := gemm.ParseKernel(string(k))
	if err != nil {
		return nil, fmt.Errorf("op (maxpool): %w", err)
	}
	return applyOp("maxpool", &maxPoolOp{size: size, stride: stride, kernel: kern}, x)
}

// maxPoolOp is the forward max pooling; argmax[i] is the flat index in x of
// the maximum that produced y[i] in the latest run.
type maxPoolOp struct {
	pureOp
	size   int
	stride int         // 0 is size
	kernel gemm.Kernel // whose vector instructions it runs; "" is gemm.Default()
	out    outBuf
	argmax []int32
}

// geom returns the window stride and the output size for input h x w.
func (op *maxPoolOp) geom(h, w int) (stride, oh, ow int) {
	stride = op.stride
	if stride == 0 {
		stride = op.size
	}
	return stride, (h-op.size)/stride + 1, (w-op.size)/stride + 1
}

// tiled reports whether the windows tile the input exactly (stride = size
// dividing H and W), where each input is in at most one window.
func (op *maxPoolOp) tiled(h, w int) bool {
	stride, _, _ := op.geom(h, w)
	return stride == op.size && h%op.size == 0 && w%op.size == 0
}

func (op *maxPoolOp) Arity() int    { return 1 }
func (op *maxPoolOp) Type() hm.Type { return hm.NewFnType(tensorType(4), tensorType(4)) }

func (op *maxPoolOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(in)
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	if err := wantDims("x", s[0], 4); err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	if s[0][2] < op.size || s[0][3] < op.size {
		return nil, fmt.Errorf("op (%v): window %d larger than input %v", op, op.size, s[0])
	}
	_, oh, ow := op.geom(s[0][2], s[0][3])
	return tensor.Shape{s[0][0], s[0][1], oh, ow}, nil
}

func (op *maxPoolOp) Do(in ...G.Value) (G.Value, error) {
	x, s, err := float32s(in[0])
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	if len(s) != 4 || s[2] < op.size || s[3] < op.size || (op.stride == 0 && !op.tiled(s[2], s[3])) {
		return nil, fmt.Errorf("op (%v): bad input shape %v", op, s)
	}
	if len(x) >= 1<<31 {
		return nil, fmt.Errorf("op (%v): input of %d elements is too large", op, len(x))
	}
	k := op.size
	n, c, h, w := s[0], s[1], s[2], s[3]
	stride, oh, ow := op.geom(h, w)
	tiled := op.tiled(h, w)
	t, y := op.out.get(n, c, oh, ow)
	if cap(op.argmax) < len(y) {
		op.argmax = make([]int32, len(y))
	}
	op.argmax = op.argmax[:len(y)]
	arg := op.argmax
	vec := kernelVec(op.kernel)
	op.forChunks(n, func(_, lo, hi, _ int) {
		if tiled && k == 2 { // the chunk's planes are its rows of windows
			in, out := h*w*c, oh*ow*c
			pool2(vec, x[lo*in:hi*in], y[lo*out:hi*out], arg[lo*out:hi*out], int32(lo*in), w)
			return
		}
		for p := lo * c; p < hi*c; p++ { // planes of the chunk's images
			xp, yp, ap, base := x[p*h*w:(p+1)*h*w], y[p*oh*ow:(p+1)*oh*ow], arg[p*oh*ow:(p+1)*oh*ow], int32(p*h*w)
			switch {
			case tiled:
				poolK(xp, yp, ap, base, w, k)
			default:
				// The rest of the tensor after the plane lets the vector
				// path load past the plane's last rows (see pool3s2Fast).
				poolStrided(vec, x[p*h*w:], yp, ap, base, w, ow, k, stride)
			}
		}
	})
	return t, nil
}

func (op *maxPoolOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op *maxPoolOp) Hashcode() uint32      { return hashOf(op) }
func (op *maxPoolOp) String() string {
	if op.stride == 0 || op.stride == op.size {
		return fmt.Sprintf("bs.maxpool2d(%d)", op.size)
	}
	return fmt.Sprintf("bs.maxpool2d(%d,stride=%d)", op.size, op.stride)
}

func (op *maxPoolOp) DiffWRT(inputs int) []bool { return []bool{true} }

func (op *maxPoolOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	// y is an input of the backward op so that it runs after the forward op
	// has recorded the argmax of this run.
	gx, err := G.ApplyOp(&maxPoolGradOp{fwd: op, x: inputs[0]}, inputs[0], output, grad)
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	return G.Nodes{gx}, nil
}

// maxPoolGradOp computes gx from (x, y, gy): gx[argmax[i]] = gy[i], zero
// elsewhere, using the argmax its forward op recorded. With relu set, gy[i]
// is first masked by the pooled y[i] as reluMask does: gx is then the
// gradient at the input of a ReLU fused into the op whose output x is (the
// mask [x != 0] of each routed gradient is that of its window's maximum,
// y[i]), which convOp.SymDiff asks for so that its gradient ops need not
// mask gx again.
type maxPoolGradOp struct {
	pureOp
	fwd  *maxPoolOp
	x    *G.Node // the pooled node
	relu bool
	out  outBuf
}

func (op *maxPoolGradOp) Arity() int { return 3 }
func (op *maxPoolGradOp) Type() hm.Type {
	return hm.NewFnType(tensorType(4), tensorType(4), tensorType(4), tensorType(4))
}

func (op *maxPoolGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(in)
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	return s[0].Clone(), nil
}

func (op *maxPoolGradOp) Do(in ...G.Value) (G.Value, error) {
	_, xs, err := float32s(in[0])
	if err != nil {
		return nil, fmt.Errorf("op (%v) x: %w", op, err)
	}
	gy, _, err := float32s(in[2])
	if err != nil {
		return nil, fmt.Errorf("op (%v) gy: %w", op, err)
	}
	if len(gy) != len(op.fwd.argmax) {
		return nil, fmt.Errorf("op (%v): %d gradients for %d recorded maxima", op, len(gy), len(op.fwd.argmax))
	}
	var y []float32 // the pooled outputs whose mask applies, or nil
	if op.relu {
		if y, _, err = float32s(in[1]); err != nil {
			return nil, fmt.Errorf("op (%v) y: %w", op, err)
		}
		if len(y) != len(gy) {
			return nil, fmt.Errorf("op (%v): %d outputs for %d gradients", op, len(y), len(gy))
		}
	}
	t, gx := op.out.get(xs...)
	n := xs[0]
	per := len(gy) / max(1, n)
	perX := len(gx) / max(1, n)
	arg := op.fwd.argmax
	// Windows that tile the input give each input at most one gradient;
	// overlapping ones add theirs, in output order within each image.
	h, w := xs[2], xs[3]
	stride, _, _ := op.fwd.geom(h, w)
	overlap := stride < op.fwd.size
	if op.fwd.size == 2 && op.fwd.tiled(h, w) {
		// Every input is in one window: each row pair is written whole,
		// without clearing gx first.
		vec := kernelVec(op.fwd.kernel)
		op.forChunks(n, func(_, lo, hi, _ int) {
			var yc []float32
			if y != nil {
				yc = y[lo*per : hi*per]
			}
			pool2Grad(vec, gy[lo*per:hi*per], yc, arg[lo*per:hi*per], int32(lo*perX), w, gx[lo*perX:hi*perX])
		})
		return t, nil
	}
	op.forChunks(n, func(_, lo, hi, _ int) {
		clear(gx[lo*perX : hi*perX])
		for i := lo * per; i < hi*per; i++ {
			g := gy[i]
			if y != nil {
				g = reluMask(g, y[i])
			}
			if overlap {
				gx[arg[i]] += g
			} else {
				gx[arg[i]] = g
			}
		}
	})
	return t, nil
}

func (op *maxPoolGradOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op *maxPoolGradOp) Hashcode() uint32      { return hashOf(op) }
func (op *maxPoolGradOp) String() string {
	s := "bs.maxpool2d_grad" + op.fwd.String()[len("bs.maxpool2d"):]
	if op.relu {
		s += "_relu"
	}
	return s
}

func (op *maxPoolGradOp) DiffWRT(inputs int) []bool { return make([]bool, inputs) }
func (op *maxPoolGradOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	return nil, errSecondDerivative(op)
}

// pool2Grad writes gx, rows of w in len(gy)/(w/2) row pairs (the flat
// index of gx[0] is base), from its 2x2 windows' gradients gy and recorded
// maxima arg: gy[q] at input arg[q], masked by the pooled output y[q]
// (reluMask) when y is not nil, and +0 at the other three inputs of
// window q.
func pool2Grad(vec vecLevel, gy, y []float32, arg []int32, base int32, w int, gx []float32) {
	if pool2GradFast(vec, gy, y, arg, base, w, gx) {
		return
	}
	clear(gx[:4*len(gy)])
	for q, g := range gy {
		if y != nil {
			g = reluMask(g, y[q])
		}
		gx[arg[q]-base] = g
	}
}

// poolK max-pools one plane x [H, W] into y [H/k, W/k], recording in arg
// the flat index (offset by base) of each maximum, the first in row-major
// window order on ties.
func poolK(x, y []float32, arg []int32, base int32, w, k int) {
	ow := w / k
	for o := range y {
		r, q := o/ow, o%ow
		best := r*k*w + q*k
		bv := x[best]
		for i := 0; i < k; i++ {
			row := (r*k+i)*w + q*k
			for j, v := range x[row : row+k] {
				if v > bv {
					bv, best = v, row+j
				}
			}
		}
		y[o] = bv
		arg[o] = base + int32(best)
	}
}

// poolStrided max-pools one plane x [H, W] into y [OH, ow] with k x k
// windows every stride pixels, recording in arg the flat index (offset by
// base) of each maximum, the first in row-major window order on ties.
// Rows of 3x3/2 windows go to the vector version of level vec (see
// pool3s2Fast). x may run on past the plane; what follows it is loaded by
// lanes that are dropped, never used.
func poolStrided(vec vecLevel, x, y []float32, arg []int32, base int32, w, ow, k, stride int) {
	oh := len(y) / ow
	for r := 0; r < oh; r++ {
		if k == 3 && stride == 2 && pool3s2Fast(vec, x, y, arg, base, w, ow, r) {
			continue
		}
		yr, ar := y[r*ow:(r+1)*ow], arg[r*ow:(r+1)*ow]
		top := r * stride * w
		for q := range yr {
			best := top + q*stride
			bv := x[best]
			for i := 0; i < k; i++ {
				row := top + i*w + q*stride
				for j, v := range x[row : row+k] {
					if v > bv {
						bv, best = v, row+j
					}
				}
			}
			yr[q], ar[q] = bv, base+int32(best)
		}
	}
}

// pool2 is poolK for k = 2 on len(y)/(w/2) row pairs of x (a plane or
// planes one after another), with the same tie rule; rows whose width is
// a multiple of 16 go to the vector version of level vec.
func pool2(vec vecLevel, x, y []float32, arg []int32, base int32, w int) {
	if pool2Fast(vec, x, y, arg, base, w) {
		return
	}
	ow := w / 2
	for r := 0; r < len(y)/ow; r++ {
		yr, ar := y[r*ow:(r+1)*ow], arg[r*ow:(r+1)*ow]
		i0 := 2 * r * w
		top := x[i0 : i0+w]
		bot := x[i0+w : i0+2*w]
		for q := range yr {
			i := i0 + 2*q
			best, bv := i, top[2*q]
			if v := top[2*q+1]; v > bv {
				best, bv = i+1, v
			}
			if v := bot[2*q]; v > bv {
				best, bv = i+w, v
			}
			if v := bot[2*q+1]; v > bv {
				best, bv = i+w+1, v
			}
			yr[q], ar[q] = bv, base+int32(best)
		}
	}
}
