package ops

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// pureOp supplies the G.Op methods every op here shares: it returns a
// tensor of its own rather than a pointer into an input, runs in Go, and
// overwrites none of its inputs. Embed it first in an op's struct. It also
// holds the Workers that run the op's chunks of images (nil: goroutines
// started per call); see UseWorkers.
type pureOp struct {
	workers *Workers
}

// setWorkers makes the op run its chunks on w (UseWorkers).
func (p *pureOp) setWorkers(w *Workers) { p.workers = w }

// forChunks is forChunks on the op's workers (Workers.forChunks).
func (p *pureOp) forChunks(n int, f func(chunk, lo, hi, worker int)) {
	p.workers.forChunks(n, f)
}

// forImages calls f(n, worker) for each of n images (or other units of
// work: batches of images, pieces of a product), each a chunk of
// p.forChunks, for work whose results do not depend on the chunks (no
// per-chunk sums): the workers then run out of work one unit apart at the
// end of the op rather than up to chunkImages.
func (p *pureOp) forImages(n int, f func(n, worker int)) {
	p.forChunks(n*chunkImages, func(image, _, _, worker int) { f(image, worker) })
}

// numImageWorkers is the number of goroutines (worker indices)
// p.forImages uses for n images.
func (p *pureOp) numImageWorkers(n int) int { return p.numWorkers(n * chunkImages) }

// numWorkers is the number of goroutines (worker indices) p.forChunks uses
// for n images.
func (p *pureOp) numWorkers(n int) int {
	if p.workers == nil {
		return numWorkers(n)
	}
	return max(1, min(p.workers.n, numChunks(n)))
}

func (pureOp) ReturnsPtr() bool     { return false }
func (pureOp) CallsExtern() bool    { return false }
func (pureOp) OverwritesInput() int { return -1 }

// applyOp applies op to args; an error names the public op (as "linear").
func applyOp(name string, op G.Op, args ...*G.Node) (*G.Node, error) {
	y, err := G.ApplyOp(op, args...)
	if err != nil {
		return nil, fmt.Errorf("op (%s): %w", name, err)
	}
	return y, nil
}

// withBias returns args with b appended, or args when b is nil; b must be
// [n]. An error names the public op.
func withBias(name string, args []*G.Node, b *G.Node, n int) ([]*G.Node, error) {
	if b == nil {
		return args, nil
	}
	if bs := b.Shape(); len(bs) != 1 || bs[0] != n {
		return nil, fmt.Errorf("op (%s): bias shape %v, want [%d]", name, bs, n)
	}
	return append(args, b), nil
}

// operands returns the float32 data and shapes of in; names[i] ("x", "w",
// ...) labels in[i] in the error of the first that is not float32 data.
// Only the first min(len(in), len(names)) values are read: names may be
// longer than in, as for an op whose last input is optional.
func operands(op fmt.Stringer, in []G.Value, names ...string) ([][]float32, []tensor.Shape, error) {
	n := min(len(in), len(names))
	data := make([][]float32, n)
	shapes := make([]tensor.Shape, n)
	for i, v := range in[:n] {
		var err error
		if data[i], shapes[i], err = float32s(v); err != nil {
			return nil, nil, fmt.Errorf("op (%v) %s: %w", op, names[i], err)
		}
	}
	return data, shapes, nil
}

// allInputs is DiffWRT for an op differentiable in each of its inputs.
func allInputs(inputs int) []bool {
	d := make([]bool, inputs)
	for i := range d {
		d[i] = true
	}
	return d
}

// errSecondDerivative is what SymDiff returns for a gradient op.
func errSecondDerivative(op fmt.Stringer) error {
	return fmt.Errorf("op (%v): second derivatives are not supported", op)
}

// gradShape is InferShape for the gradient of an op with inputs (x, w, ...)
// with respect to wrt: the shape of x (wrtInput) or of w (wrtWeights).
func gradShape(op fmt.Stringer, wrt string, in []G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(in)
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	if wrt == wrtInput {
		return s[0].Clone(), nil
	}
	return s[1].Clone(), nil
}
