package ops

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// GlobalAvgPool returns the mean of each channel of x [N, C, H, W] over its
// H*W pixels, as [N, C] (Lin, Chen & Yan, "Network in network", ICLR 2014,
// section 3.2):
//
//	y[n][c] = (sum_{i<H*W} x[n][c][i]) / (H*W)
//	gx[n][c][i] = gy[n][c] / (H*W)
//
// in float32, the sum in a fixed order (four interleaved partial sums, see
// sum4) and one division, so results do not depend on GOMAXPROCS.
func GlobalAvgPool(x *G.Node) (*G.Node, error) {
	if s := x.Shape(); len(s) != 4 {
		return nil, fmt.Errorf("op (globalavgpool): want [N, C, H, W], got shape %v", s)
	}
	return applyOp("globalavgpool", &gapOp{}, x)
}

// gapOp is the forward global average pooling; with grad set it is the
// backward op (x, gy) -> gx.
type gapOp struct {
	pureOp
	grad bool
	out  outBuf
}

func (op *gapOp) Arity() int {
	if op.grad {
		return 2
	}
	return 1
}

func (op *gapOp) Type() hm.Type {
	if op.grad {
		return hm.NewFnType(tensorType(4), tensorType(2), tensorType(4))
	}
	return hm.NewFnType(tensorType(4), tensorType(2))
}

func (op *gapOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(in)
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	if err := wantDims("x", s[0], 4); err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	if op.grad {
		return s[0].Clone(), nil
	}
	return tensor.Shape{s[0][0], s[0][1]}, nil
}

func (op *gapOp) Do(in ...G.Value) (G.Value, error) {
	x, s, err := float32s(in[0])
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	if err := wantDims("x", s, 4); err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	n, c, hw := s[0], s[1], s[2]*s[3]
	area := float32(hw)
	if !op.grad {
		t, y := op.out.get(n, c)
		op.forChunks(n, func(_, lo, hi, _ int) {
			for p := lo * c; p < hi*c; p++ {
				y[p] = sum4(x[p*hw:(p+1)*hw], nil) / area
			}
		})
		return t, nil
	}
	gy, gs, err := float32s(in[1])
	if err != nil {
		return nil, fmt.Errorf("op (%v) gy: %w", op, err)
	}
	if !gs.Eq(tensor.Shape{n, c}) {
		return nil, fmt.Errorf("op (%v): gradient shape %v, want [%d %d]", op, gs, n, c)
	}
	t, gx := op.out.get(s...)
	op.forChunks(n, func(_, lo, hi, _ int) {
		for p := lo * c; p < hi*c; p++ {
			v := gy[p] / area
			plane := gx[p*hw : (p+1)*hw]
			for i := range plane {
				plane[i] = v
			}
		}
	})
	return t, nil
}

func (op *gapOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op *gapOp) Hashcode() uint32      { return hashOf(op) }
func (op *gapOp) String() string {
	if op.grad {
		return "bs.globalavgpool_grad"
	}
	return "bs.globalavgpool"
}

func (op *gapOp) DiffWRT(inputs int) []bool {
	d := make([]bool, inputs)
	d[0] = !op.grad
	return d
}

func (op *gapOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if op.grad {
		return nil, errSecondDerivative(op)
	}
	gx, err := G.ApplyOp(&gapOp{grad: true}, inputs[0], grad)
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	return G.Nodes{gx}, nil
}
