package ops

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Scale returns x times the float32 scalar s, elementwise:
//
//	y = s * x
//
// The gradient flows to x only (gx = s * gy); s is treated as a constant,
// as when it zeroes a branch for a lesion.
func Scale(x, s *G.Node) (*G.Node, error) {
	if !s.IsScalar() {
		return nil, fmt.Errorf("op (scale): s must be a scalar, got shape %v", s.Shape())
	}
	return applyOp("scale", &scaleOp{dims: x.Dims()}, x, s)
}

// scaleOp multiplies a tensor by a scalar.
type scaleOp struct {
	pureOp
	dims int
	out  outBuf
}

func (op *scaleOp) Arity() int { return 2 }
func (op *scaleOp) Type() hm.Type {
	return hm.NewFnType(tensorType(op.dims), G.Float32, tensorType(op.dims))
}

func (op *scaleOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("op (%v): want tensor.Shape, got %T", op, in[0])
	}
	return s.Clone(), nil
}

func (op *scaleOp) Do(in ...G.Value) (G.Value, error) {
	x, xs, err := float32s(in[0])
	if err != nil {
		return nil, fmt.Errorf("op (%v) x: %w", op, err)
	}
	s, err := scalarOf(in[1])
	if err != nil {
		return nil, fmt.Errorf("op (%v) s: %w", op, err)
	}
	t, y := op.out.get(xs...)
	for i, v := range x {
		y[i] = s * v
	}
	return t, nil
}

func (op *scaleOp) WriteHash(h hash.Hash)     { fmt.Fprint(h, op.String()) }
func (op *scaleOp) Hashcode() uint32          { return hashOf(op) }
func (op *scaleOp) String() string            { return fmt.Sprintf("bs.scale(%dd)", op.dims) }
func (op *scaleOp) DiffWRT(inputs int) []bool { return []bool{true, false} }

func (op *scaleOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	gx, err := G.ApplyOp(&scaleOp{dims: op.dims}, grad, inputs[1])
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	return G.Nodes{gx, nil}, nil
}
