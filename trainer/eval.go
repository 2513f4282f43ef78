package trainer

import (
	"fmt"
	"math"

	"branchspec/trainer/data"
)

// Evaluator runs the model forward on held-out data with a fixed batch
// size, padding the last batch. It shares the model's weights, so it always
// sees the current parameters.
type Evaluator struct {
	model *Model
	net   *Net
	idx   []int
}

// NewEvaluator compiles a forward-only graph for batch examples.
func (m *Model) NewEvaluator(batch int) (*Evaluator, error) {
	net, err := m.Build(NetOptions{Batch: batch})
	if err != nil {
		return nil, err
	}
	return &Evaluator{model: m, net: net, idx: make([]int, batch)}, nil
}

// NewBodyEvaluator compiles a forward-only graph of the layers up to the
// rejoin for batch examples: for Batches (first layers' activations and
// branch outputs) at the cost of the branches alone. It computes no
// logits, so Evaluate and EvaluateEach return an error.
func (m *Model) NewBodyEvaluator(batch int) (*Evaluator, error) {
	net, err := m.Build(NetOptions{Batch: batch, Body: true})
	if err != nil {
		return nil, err
	}
	return &Evaluator{model: m, net: net, idx: make([]int, batch)}, nil
}

// Close releases the graph.
func (e *Evaluator) Close() error { return e.net.Close() }

// Batch is the number of examples the evaluator runs at once.
func (e *Evaluator) Batch() int { return e.net.batch }

// Result is the outcome of an evaluation.
type Result struct {
	N        int
	Loss     float64   // mean cross-entropy
	Acc      float64   // fraction correct
	PerClass []float64 // accuracy per class (NaN for a class with no example)
	Correct  []bool    // per example: was it classified correctly
}

// Prefix is the accuracy, overall and per class, of the first n examples
// of the evaluation (labels y of the evaluated set); its Loss is NaN.
func (r Result) Prefix(n int, y []int32) Result {
	n = min(n, len(r.Correct))
	p := Result{N: n, Loss: math.NaN(), Correct: r.Correct[:n]}
	p.Acc, p.PerClass = accuracy(p.Correct, y, len(r.PerClass))
	return p
}

// accuracy is the fraction of correct[i] that hold, overall and per class
// (label y[i]); a class with no example has accuracy NaN, and so has the
// whole with no example.
func accuracy(correct []bool, y []int32, classes int) (acc float64, perClass []float64) {
	hit := make([]int, classes)
	count := make([]int, classes)
	total := 0
	for i, ok := range correct {
		count[y[i]]++
		if ok {
			hit[y[i]]++
			total++
		}
	}
	perClass = make([]float64, classes)
	for k := range hit {
		perClass[k] = math.NaN()
		if count[k] > 0 {
			perClass[k] = float64(hit[k]) / float64(count[k])
		}
	}
	if len(correct) == 0 {
		return 0, perClass
	}
	return float64(total) / float64(len(correct)), perClass
}

// argmax is the index of the largest value of row, the first on ties; it
// is the predicted class of a row of logits.
func argmax(row []float32) int {
	best := 0
	for k, v := range row {
		if v > row[best] {
			best = k
		}
	}
	return best
}

// Activations are the values of one evaluated batch: examples [Lo, Hi) of
// the set. They are valid only until the evaluator runs again.
type Activations struct {
	Lo, Hi int
	net    *Net
}

// BranchOutput is branch b's output at the rejoin for the batch's
// examples, before any lesion: [Hi-Lo, channels, positions].
func (a Activations) BranchOutput(b int) Feature {
	return a.net.feature(a.net.branchOut[b], a.Hi-a.Lo)
}

// FirstLayer is the activation (after ReLU, before LRN and pooling) of the i-th
// layer of Model.FirstKernels for the batch's examples.
func (a Activations) FirstLayer(i int) Feature {
	return a.net.feature(a.net.firstAct[i], a.Hi-a.Lo)
}

// Evaluate runs the first n examples of s (all if n <= 0 or n > s.Len())
// with branch b's output zeroed at the rejoin wherever lesion[b] is true
// (lesion may be nil).
func (e *Evaluator) Evaluate(s *data.Set, n int, lesion []bool) (Result, error) {
	return e.EvaluateEach(s, n, lesion, nil)
}

// EvaluateEach is Evaluate that also calls after (if not nil) after each
// batch with its values.
func (e *Evaluator) EvaluateEach(s *data.Set, n int, lesion []bool, after func(Activations) error) (Result, error) {
	if e.net.logits == nil {
		return Result{}, fmt.Errorf("trainer: evaluate: a body evaluator computes no logits (use Batches)")
	}
	if n <= 0 || n > s.Len() {
		n = s.Len()
	}
	classes := e.model.arch.Classes
	var lossSum float64
	correct := make([]bool, n)
	err := e.run(s, n, lesion, func(a Activations) error {
		logits := e.net.LogitsValue()
		for i := 0; i < a.Hi-a.Lo; i++ {
			row := logits[i*classes : (i+1)*classes]
			y := int(s.Y[a.Lo+i])
			lossSum += logSumExp(row) - float64(row[y])
			correct[a.Lo+i] = argmax(row) == y
		}
		if after != nil {
			return after(a)
		}
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	r := Result{N: n, Loss: lossSum / float64(n), Correct: correct}
	r.Acc, r.PerClass = accuracy(correct, s.Y[:n], classes)
	return r, nil
}

// Batches runs the graph over examples [0, n) of s in batches, with no
// branch lesioned, and calls fn after each run with its values.
func (e *Evaluator) Batches(s *data.Set, n int, fn func(Activations) error) error {
	return e.run(s, n, nil, fn)
}

// run sets the gates from lesion and runs examples [0, n) of s in
// batches, calling fn after each; rows past Hi-Lo in the graph's outputs
// are padding.
func (e *Evaluator) run(s *data.Set, n int, lesion []bool, fn func(Activations) error) error {
	for b := range e.net.gates {
		g := float32(1)
		if b < len(lesion) && lesion[b] {
			g = 0
		}
		e.net.setGate(b, g)
	}
	x, y := e.net.Input()
	for lo := 0; lo < n; lo += e.net.batch {
		hi := min(lo+e.net.batch, n)
		for i := range e.idx {
			e.idx[i] = min(lo+i, hi-1) // pad with the last example
		}
		s.Gather(e.idx, x, y)
		if err := e.net.Run(); err != nil {
			return err
		}
		if err := fn(Activations{Lo: lo, Hi: hi, net: e.net}); err != nil {
			return err
		}
	}
	return nil
}

func logSumExp(row []float32) float64 {
	m := math.Inf(-1)
	for _, v := range row {
		m = math.Max(m, float64(v))
	}
	s := 0.0
	for _, v := range row {
		s += math.Exp(float64(v) - m)
	}
	return m + math.Log(s)
}

// HeadEvaluator runs the layers after the rejoin on stored branch outputs,
// so that lesions rerun only those layers, once per lesioned branch.
type HeadEvaluator struct {
	ev  *Evaluator
	set data.Set // the rejoin inputs being evaluated, reused
}

// NewHeadEvaluator compiles a forward-only graph of the layers after the
// rejoin for batch examples.
func (m *Model) NewHeadEvaluator(batch int) (*HeadEvaluator, error) {
	net, err := m.Build(NetOptions{Batch: batch, Head: true})
	if err != nil {
		return nil, err
	}
	a := m.arch
	return &HeadEvaluator{ev: &Evaluator{model: m, net: net, idx: make([]int, batch)},
		set: data.Set{C: a.RejoinC(), H: a.RejoinH, W: a.RejoinW, Classes: a.Classes}}, nil
}

// Close releases the graph.
func (h *HeadEvaluator) Close() error { return h.ev.Close() }

// Lesion evaluates n examples with labels y from their branch outputs
// (outs[b] is branch b's output, [n, features], as Activations.BranchOutput
// gives it) with branch zero's output replaced by zeros; zero < 0 lesions
// nothing.
func (h *HeadEvaluator) Lesion(outs [][]float32, y []int32, n, zero int) (Result, error) {
	a := h.ev.model.arch
	if len(outs) != len(a.Branches) || len(y) < n {
		return Result{}, fmt.Errorf("trainer: head lesion: %d branch outputs and %d labels for %d branches and %d examples", len(outs), len(y), len(a.Branches), n)
	}
	hw := a.RejoinH * a.RejoinW
	width := a.RejoinC() * hw
	if cap(h.set.X) < n*width {
		h.set.X = make([]float32, n*width)
	}
	h.set.X, h.set.Y = h.set.X[:n*width], y[:n]
	clear(h.set.X)
	// Example e's rejoin input: every branch's channels in order, branch
	// zero's left at zero.
	off := 0
	for b, f := range outs {
		p := a.RejoinChannels[b] * hw
		if b != zero {
			for e := 0; e < n; e++ {
				copy(h.set.X[e*width+off:], f[e*p:(e+1)*p])
			}
		}
		off += p
	}
	return h.ev.Evaluate(&h.set, n, nil)
}
