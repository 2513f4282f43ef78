package ops

import (
	"fmt"
	"hash"
	"hash/fnv"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// float32s returns the contiguous float32 data and shape of v. A view is
// materialised into a copy first.
func float32s(v G.Value) ([]float32, tensor.Shape, error) {
	d, ok := v.(*tensor.Dense)
	if !ok {
		return nil, nil, fmt.Errorf("want *tensor.Dense, got %T", v)
	}
	if d.Dtype() != tensor.Float32 {
		return nil, nil, fmt.Errorf("want float32, got %v", d.Dtype())
	}
	if d.RequiresIterator() {
		d = d.Materialize().(*tensor.Dense)
	}
	return d.Data().([]float32), d.Shape(), nil
}

// scalarOf returns the value of a scalar or one-element float32 value.
func scalarOf(v G.Value) (float32, error) {
	switch s := v.(type) {
	case *G.F32:
		return float32(*s), nil
	case *tensor.Dense:
		data, _, err := float32s(s)
		if err != nil {
			return 0, err
		}
		if len(data) != 1 {
			return 0, fmt.Errorf("want one element, got %d", len(data))
		}
		return data[0], nil
	}
	return 0, fmt.Errorf("want a float32 scalar, got %T", v)
}

// outBuf is an op's reusable output tensor.
type outBuf struct {
	t *tensor.Dense
}

// get returns the output tensor with the given shape, allocating only when
// the size changes, and its data. The contents are stale: callers overwrite
// every element.
func (o *outBuf) get(shape ...int) (*tensor.Dense, []float32) {
	n := 1
	for _, s := range shape {
		n *= s
	}
	if o.t == nil || o.t.Shape().TotalSize() != n {
		o.t = tensor.New(tensor.WithShape(shape...), tensor.Of(tensor.Float32))
	} else if !sameShape(o.t.Shape(), shape) {
		// A downstream reshape may have changed the shape of our tensor.
		if err := o.t.Reshape(shape...); err != nil {
			o.t = tensor.New(tensor.WithShape(shape...), tensor.Of(tensor.Float32))
		}
	}
	return o.t, o.t.Data().([]float32)
}

func sameShape(s tensor.Shape, dims []int) bool {
	if len(s) != len(dims) {
		return false
	}
	for i := range dims {
		if s[i] != dims[i] {
			return false
		}
	}
	return true
}

// hashOf is the Hashcode of an op: FNV-1a of what its WriteHash writes.
func hashOf(op interface{ WriteHash(hash.Hash) }) uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

// tensorType is the gorgonia type of a float32 tensor with dims dimensions.
func tensorType(dims int) G.TensorType {
	return G.TensorType{Dims: dims, Of: G.Float32}
}

// wantDims checks that s has the given number of dimensions.
func wantDims(name string, s tensor.Shape, dims int) error {
	if len(s) != dims {
		return fmt.Errorf("%s: want %d dimensions, got shape %v", name, dims, s)
	}
	return nil
}

// shapesOf returns the DimSizers as tensor.Shapes.
func shapesOf(ds []G.DimSizer) ([]tensor.Shape, error) {
	out := make([]tensor.Shape, len(ds))
	for i, d := range ds {
		s, ok := d.(tensor.Shape)
		if !ok {
			return nil, fmt.Errorf("input %d: want tensor.Shape, got %T", i, d)
		}
		out[i] = s
	}
	return out, nil
}
