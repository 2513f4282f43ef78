package ops

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Concat joins NCHW tensors along the channel axis:
//
//	y[n] = [xs[0][n]; xs[1][n]; ...]   (channels of xs[0] first)
//
// All inputs must agree in N, H and W. The gradient of each input is its
// channel slice of the output gradient.
func Concat(xs ...*G.Node) (*G.Node, error) {
	if len(xs) == 0 {
		return nil, fmt.Errorf("op (concat): no inputs")
	}
	s0 := xs[0].Shape()
	for i, x := range xs {
		s := x.Shape()
		if len(s) != 4 || s[0] != s0[0] || s[2] != s0[2] || s[3] != s0[3] {
			return nil, fmt.Errorf("op (concat): input %d shape %v does not match %v on N, H, W", i, s, s0)
		}
	}
	return applyOp("concat", &concatOp{n: len(xs)}, xs...)
}

// concatOp joins n NCHW inputs on the channel axis.
type concatOp struct {
	pureOp
	n   int
	out outBuf
}

func (op *concatOp) Arity() int { return op.n }
func (op *concatOp) Type() hm.Type {
	ts := make([]hm.Type, op.n+1)
	for i := range ts {
		ts[i] = tensorType(4)
	}
	return hm.NewFnType(ts...)
}

func (op *concatOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(in)
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	out := s[0].Clone()
	for _, si := range s[1:] {
		out[1] += si[1]
	}
	return out, nil
}

func (op *concatOp) Do(in ...G.Value) (G.Value, error) {
	data := make([][]float32, len(in))
	var n, c, hw int
	for i, v := range in {
		var s tensor.Shape
		var err error
		if data[i], s, err = float32s(v); err != nil {
			return nil, fmt.Errorf("op (%v) input %d: %w", op, i, err)
		}
		n, hw = s[0], s[2]*s[3]
		c += s[1]
	}
	s0 := in[0].Shape()
	t, y := op.out.get(n, c, s0[2], s0[3])
	off := 0
	for _, x := range data {
		per := len(x) / n // channels*hw of this input per image
		for i := 0; i < n; i++ {
			copy(y[i*c*hw+off:], x[i*per:(i+1)*per])
		}
		off += per
	}
	return t, nil
}

func (op *concatOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op *concatOp) Hashcode() uint32      { return hashOf(op) }
func (op *concatOp) String() string        { return fmt.Sprintf("bs.concat(%d)", op.n) }

func (op *concatOp) DiffWRT(inputs int) []bool {
	return allInputs(inputs)
}

func (op *concatOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	grads := make(G.Nodes, len(inputs))
	off := 0
	for i, x := range inputs {
		var err error
		if grads[i], err = G.ApplyOp(&channelSliceOp{off: off}, x, grad); err != nil {
			return nil, fmt.Errorf("op (%v) input %d: %w", op, i, err)
		}
		off += x.Shape()[1]
	}
	return grads, nil
}

// channelSliceOp returns the channels [off, off+C) of gy [N, Ctotal, H, W],
// where C is the channel count of its first input x (used for the shape
// only).
type channelSliceOp struct {
	pureOp
	off int
	out outBuf
}

func (op *channelSliceOp) Arity() int { return 2 }
func (op *channelSliceOp) Type() hm.Type {
	return hm.NewFnType(tensorType(4), tensorType(4), tensorType(4))
}

func (op *channelSliceOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(in)
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	return s[0].Clone(), nil
}

func (op *channelSliceOp) Do(in ...G.Value) (G.Value, error) {
	xs := in[0].Shape()
	gy, gs, err := float32s(in[1])
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	if len(gs) != 4 || len(xs) != 4 || op.off+xs[1] > gs[1] {
		return nil, fmt.Errorf("op (%v): slice of %v from %v out of range", op, xs, gs)
	}
	t, gx := op.out.get(xs...)
	n, hw := xs[0], xs[2]*xs[3]
	per := xs[1] * hw
	for i := 0; i < n; i++ {
		copy(gx[i*per:(i+1)*per], gy[i*gs[1]*hw+op.off*hw:])
	}
	return t, nil
}

func (op *channelSliceOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op *channelSliceOp) Hashcode() uint32      { return hashOf(op) }
func (op *channelSliceOp) String() string        { return fmt.Sprintf("bs.channel_slice(%d)", op.off) }
func (op *channelSliceOp) DiffWRT(inputs int) []bool {
	return make([]bool, inputs)
}
func (op *channelSliceOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	return nil, errSecondDerivative(op)
}
