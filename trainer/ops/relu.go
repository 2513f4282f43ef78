package ops

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ReLU returns the rectified linear unit of x, elementwise:
//
//	y = max(x, 0)
//
// Its gradient, gx = gy where y > 0 and 0 elsewhere (0 at x == 0), is
// computed from the output mask.
func ReLU(x *G.Node) (*G.Node, error) {
	return applyOp("relu", &reluOp{dims: x.Dims()}, x)
}

// reluOp is the forward ReLU; with grad set it is the backward op
// (y, gy) -> gy * [y > 0].
type reluOp struct {
	pureOp
	dims int
	grad bool
	out  outBuf
}

func (op *reluOp) Arity() int {
	if op.grad {
		return 2
	}
	return 1
}

func (op *reluOp) Type() hm.Type {
	t := tensorType(op.dims)
	if op.grad {
		return hm.NewFnType(t, t, t)
	}
	return hm.NewFnType(t, t)
}

func (op *reluOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(in)
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	return s[0].Clone(), nil
}

func (op *reluOp) Do(in ...G.Value) (G.Value, error) {
	x, s, err := float32s(in[0])
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	t, y := op.out.get(s...)
	if !op.grad {
		forRange(len(x), func(lo, hi int) {
			yy := y[lo:hi]
			for i, v := range x[lo:hi] {
				yy[i] = max(v, 0)
			}
		})
		return t, nil
	}
	gy, gs, err := float32s(in[1])
	if err != nil {
		return nil, fmt.Errorf("op (%v) gy: %w", op, err)
	}
	if !gs.Eq(s) {
		return nil, fmt.Errorf("op (%v): gradient shape %v, want %v", op, gs, s)
	}
	forRange(len(x), func(lo, hi int) {
		g, yy := gy[lo:hi], y[lo:hi]
		for i, v := range x[lo:hi] {
			// Branch-free g*[v > 0]: v is a ReLU output, so v > 0 unless its
			// bits are those of +0 (or -0); mask keeps g where bits != 0.
			b := math.Float32bits(v) &^ (1 << 31)
			mask := uint32(int32(-b) >> 31)
			yy[i] = math.Float32frombits(math.Float32bits(g[i]) & mask)
		}
	})
	return t, nil
}

func (op *reluOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op *reluOp) Hashcode() uint32      { return hashOf(op) }
func (op *reluOp) String() string {
	if op.grad {
		return fmt.Sprintf("bs.relu_grad(%dd)", op.dims)
	}
	return fmt.Sprintf("bs.relu(%dd)", op.dims)
}

func (op *reluOp) DiffWRT(inputs int) []bool {
	d := make([]bool, inputs)
	d[0] = !op.grad
	return d
}

func (op *reluOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if op.grad {
		return nil, errSecondDerivative(op)
	}
	gx, err := G.ApplyOp(&reluOp{dims: op.dims, grad: true}, output, grad)
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	return G.Nodes{gx}, nil
}
