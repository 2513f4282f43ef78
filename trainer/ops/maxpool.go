package ops

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// MaxPool2D returns the maximum of x [N, C, H, W] over non-overlapping
// size x size windows (window = stride = size):
//
//	y[n][c][r][s] = max_{0<=i,j<size} x[n][c][r*size+i][s*size+j]
//
// H and W must be divisible by size. The forward pass records the position
// of each maximum (the first in row-major window order on ties), and the
// backward pass routes gy to exactly that position.
func MaxPool2D(x *G.Node, size int) (*G.Node, error) {
	s := x.Shape()
	if len(s) != 4 {
		return nil, fmt.Errorf("op (maxpool2d): want [N, C, H, W], got shape %v", s)
	}
	if size < 1 || s[2]%size != 0 || s[3]%size != 0 {
		return nil, fmt.Errorf("op (maxpool2d): size %d does not divide %dx%d", size, s[2], s[3])
	}
	return applyOp("maxpool2d", &maxPoolOp{size: size}, x)
}

// maxPoolOp is the forward max pooling; argmax[i] is the flat index in x of
// the maximum that produced y[i] in the latest run.
type maxPoolOp struct {
	pureOp
	size   int
	out    outBuf
	argmax []int32
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
	return tensor.Shape{s[0][0], s[0][1], s[0][2] / op.size, s[0][3] / op.size}, nil
}

func (op *maxPoolOp) Do(in ...G.Value) (G.Value, error) {
	x, s, err := float32s(in[0])
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	if len(s) != 4 || s[2]%op.size != 0 || s[3]%op.size != 0 {
		return nil, fmt.Errorf("op (%v): bad input shape %v", op, s)
	}
	if len(x) >= 1<<31 {
		return nil, fmt.Errorf("op (%v): input of %d elements is too large", op, len(x))
	}
	k := op.size
	n, c, h, w := s[0], s[1], s[2], s[3]
	oh, ow := h/k, w/k
	t, y := op.out.get(n, c, oh, ow)
	if cap(op.argmax) < len(y) {
		op.argmax = make([]int32, len(y))
	}
	op.argmax = op.argmax[:len(y)]
	arg := op.argmax
	forChunks(n, func(_, lo, hi, _ int) {
		for p := lo * c; p < hi*c; p++ { // planes of the chunk's images
			if k == 2 {
				pool2(x[p*h*w:(p+1)*h*w], y[p*oh*ow:(p+1)*oh*ow], arg[p*oh*ow:(p+1)*oh*ow], int32(p*h*w), w)
			} else {
				poolK(x[p*h*w:(p+1)*h*w], y[p*oh*ow:(p+1)*oh*ow], arg[p*oh*ow:(p+1)*oh*ow], int32(p*h*w), w, k)
			}
		}
	})
	return t, nil
}

func (op *maxPoolOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op *maxPoolOp) Hashcode() uint32      { return hashOf(op) }
func (op *maxPoolOp) String() string        { return fmt.Sprintf("bs.maxpool2d(%d)", op.size) }

func (op *maxPoolOp) DiffWRT(inputs int) []bool { return []bool{true} }

func (op *maxPoolOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	// y is an input of the backward op so that it runs after the forward op
	// has recorded the argmax of this run.
	gx, err := G.ApplyOp(&maxPoolGradOp{fwd: op}, inputs[0], output, grad)
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	return G.Nodes{gx}, nil
}

// maxPoolGradOp computes gx from (x, y, gy): gx[argmax[i]] = gy[i], zero
// elsewhere, using the argmax its forward op recorded.
type maxPoolGradOp struct {
	pureOp
	fwd *maxPoolOp
	out outBuf
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
	t, gx := op.out.get(xs...)
	n := xs[0]
	per := len(gy) / max(1, n)
	perX := len(gx) / max(1, n)
	arg := op.fwd.argmax
	forChunks(n, func(_, lo, hi, _ int) {
		clear(gx[lo*perX : hi*perX])
		for i := lo * per; i < hi*per; i++ {
			gx[arg[i]] = gy[i]
		}
	})
	return t, nil
}

func (op *maxPoolGradOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op *maxPoolGradOp) Hashcode() uint32      { return hashOf(op) }
func (op *maxPoolGradOp) String() string        { return fmt.Sprintf("bs.maxpool2d_grad(%d)", op.fwd.size) }

func (op *maxPoolGradOp) DiffWRT(inputs int) []bool { return make([]bool, inputs) }
func (op *maxPoolGradOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	return nil, errSecondDerivative(op)
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

// pool2 is poolK for k = 2, with the same tie rule; rows whose width is a
// multiple of 16 go to the vector version.
func pool2(x, y []float32, arg []int32, base int32, w int) {
	ow := w / 2
	for r := 0; r < len(y)/ow; r++ {
		yr, ar := y[r*ow:(r+1)*ow], arg[r*ow:(r+1)*ow]
		i0 := 2 * r * w
		if pool2Fast(x[i0:i0+2*w], yr, ar, base+int32(i0), w) {
			continue
		}
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
