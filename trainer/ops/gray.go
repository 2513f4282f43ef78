package ops

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Gray returns the weighted sum of the three channels of x [N, 3, H, W],
// replicated over the three output channels, with weights l = (l_0, l_1,
// l_2) (Rec. 601 luminance for l = (0.299, 0.587, 0.114): the gray
// version of an image):
//
//	y[n][c][i] = l_0 x[n][0][i] + l_1 x[n][1][i] + l_2 x[n][2][i]   for c = 0, 1, 2
//	gx[n][c][i] = l_c (gy[n][0][i] + gy[n][1][i] + gy[n][2][i])
//
// in float32, summed left to right, so each output equals what
// data.Gray writes for the same weights. It is a fixed linear map with no
// parameters: y = (1 l^T) x per pixel, idempotent when l sums to 1. The
// gradient flows to x; a conv that reads y with InputIsData (the first
// layer of a branch that reads gray(input)) asks for none, and then no
// backward op of Gray is built.
func Gray(x *G.Node, l [3]float32) (*G.Node, error) {
	if s := x.Shape(); len(s) != 4 || s[1] != 3 {
		return nil, fmt.Errorf("op (gray): want [N, 3, H, W], got shape %v", s)
	}
	return applyOp("gray", &grayOp{l: l}, x)
}

// grayOp is the forward gray map; with grad set it is its adjoint
// gy -> gx (which needs no forward value).
type grayOp struct {
	pureOp
	l    [3]float32
	grad bool
	out  outBuf
}

func (op *grayOp) Arity() int    { return 1 }
func (op *grayOp) Type() hm.Type { return hm.NewFnType(tensorType(4), tensorType(4)) }

func (op *grayOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(in)
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	if len(s[0]) != 4 || s[0][1] != 3 {
		return nil, fmt.Errorf("op (%v): want [N, 3, H, W], got shape %v", op, s[0])
	}
	return s[0].Clone(), nil
}

func (op *grayOp) Do(in ...G.Value) (G.Value, error) {
	x, s, err := float32s(in[0])
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	if len(s) != 4 || s[1] != 3 {
		return nil, fmt.Errorf("op (%v): want [N, 3, H, W], got shape %v", op, s)
	}
	n, p := s[0], s[2]*s[3]
	t, y := op.out.get(s...)
	l := op.l
	op.forChunks(n, func(_, lo, hi, _ int) {
		for img := lo; img < hi; img++ {
			src, dst := x[img*3*p:(img+1)*3*p], y[img*3*p:(img+1)*3*p]
			r, g, b := src[:p], src[p:2*p], src[2*p:]
			d0, d1, d2 := dst[:p], dst[p:2*p], dst[2*p:]
			for i := range p {
				if op.grad {
					v := r[i] + g[i] + b[i]
					d0[i], d1[i], d2[i] = l[0]*v, l[1]*v, l[2]*v
				} else {
					v := l[0]*r[i] + l[1]*g[i] + l[2]*b[i]
					d0[i], d1[i], d2[i] = v, v, v
				}
			}
		}
	})
	return t, nil
}

func (op *grayOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op *grayOp) Hashcode() uint32      { return hashOf(op) }
func (op *grayOp) String() string {
	if op.grad {
		return fmt.Sprintf("bs.gray_grad%v", op.l)
	}
	return fmt.Sprintf("bs.gray%v", op.l)
}

func (op *grayOp) DiffWRT(inputs int) []bool { return []bool{!op.grad} }

func (op *grayOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if op.grad {
		return nil, errSecondDerivative(op)
	}
	gx, err := G.ApplyOp(&grayOp{l: op.l, grad: true}, grad)
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	return G.Nodes{gx}, nil
}
