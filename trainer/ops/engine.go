package ops

import (
	"unsafe"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Engine is the tensor engine for a net's machine (G.WithEngine): gorgonia's
// standard engine, except that it adds two float32 tensors of one shape in
// blocks spread over the net's Workers, with SIMD. The machine adds tensors
// where gradients meet, at a node read by several ops (the stem's output,
// read by every branch: 524,288 elements a step in the reference net), and
// when it binds each parameter's gradient; the standard engine does that
// in a generic loop on the one thread that runs the machine, while the
// other cores wait.
//
// Each element is a[i] + b[i], one float32 addition, so the sums have the
// bits of the standard engine's. Other operations, and additions it does
// not cover (other types, shapes that broadcast, views, increments, a new
// result tensor), go to the standard engine.
type Engine struct {
	G.StandardEngine
	workers *Workers // nil: goroutines started per call
}

// NewEngine returns the engine that runs its additions on w (nil:
// goroutines started per call).
func NewEngine(w *Workers) Engine { return Engine{workers: w} }

// addUnit is the unit of Engine.Add's pieces (Workers.forRanges): a piece
// is 128 KiB of float32.
const addUnit = 8192

// Add returns a + b: into a with tensor.UseUnsafe, into the reuse tensor
// with tensor.WithReuse; see Engine.
func (e Engine) Add(a, b tensor.Tensor, opts ...tensor.FuncOpt) (tensor.Tensor, error) {
	if dst, ret, x, y, ok := addOperands(a, b, opts); ok {
		e.workers.forRanges(len(dst), addUnit, func(lo, hi int) {
			addInto(dst[lo:hi], x[lo:hi], y[lo:hi])
		})
		return ret, nil
	}
	return e.StandardEngine.Add(a, b, opts...)
}

// addOperands returns, for an addition Engine.Add does itself, the
// destination's data dst, the tensor to return and the data x, y to add
// (dst = x + y; dst may be x or y); ok is false for the others.
func addOperands(a, b tensor.Tensor, opts []tensor.FuncOpt) (dst []float32, ret tensor.Tensor, x, y []float32, ok bool) {
	x, okA := denseFloat32s(a)
	y, okB := denseFloat32s(b)
	if !okA || !okB || !a.Shape().Eq(b.Shape()) {
		return nil, nil, nil, nil, false
	}
	fo := tensor.ParseFuncOpts(opts...)
	reuse, incr := fo.IncrReuse()
	switch {
	case incr || fo.As().Type != nil:
		return nil, nil, nil, nil, false
	case reuse != nil:
		d, ok := denseFloat32s(reuse)
		if !ok || len(d) != len(x) || !sameOrApart(d, x) || !sameOrApart(d, y) {
			return nil, nil, nil, nil, false
		}
		return d, reuse, x, y, true
	case !fo.Safe():
		if !sameOrApart(x, y) {
			return nil, nil, nil, nil, false
		}
		return x, a, x, y, true
	}
	return nil, nil, nil, nil, false
}

// denseFloat32s returns the data of t when it is a float32 *tensor.Dense
// that owns its contiguous data.
func denseFloat32s(t tensor.Tensor) ([]float32, bool) {
	d, ok := t.(*tensor.Dense)
	if !ok || d.Dtype() != tensor.Float32 || d.IsView() || d.RequiresIterator() {
		return nil, false
	}
	s, ok := d.Data().([]float32)
	return s, ok && len(s) == d.Shape().TotalSize()
}

// sameOrApart reports whether p and q are the same slice or share no
// element (they are of equal length).
func sameOrApart(p, q []float32) bool {
	if len(p) == 0 || &p[0] == &q[0] {
		return true
	}
	ps, qs := uintptr(unsafe.Pointer(&p[0])), uintptr(unsafe.Pointer(&q[0]))
	size := uintptr(len(p)) * 4
	return ps+size <= qs || qs+size <= ps
}

// addInto sets dst[i] = x[i] + y[i]; dst is x, y or apart from both. It
// works through blocks that stay in L1.
func addInto(dst, x, y []float32) {
	switch {
	case len(dst) == 0:
	case &dst[0] == &x[0]:
		addTo(dst, y)
	case &dst[0] == &y[0]:
		addTo(dst, x) // y + x: float32 addition commutes, bit for bit
	default:
		for lo := 0; lo < len(dst); lo += reduceBlock {
			hi := min(len(dst), lo+reduceBlock)
			copy(dst[lo:hi], x[lo:hi])
			addTo(dst[lo:hi], y[lo:hi])
		}
	}
}
