package trainer

import (
	"math"

	"branchspec/trainer/data"
)

// Evaluator runs the model forward on held-out data with a fixed batch
// size, padding the last batch. It shares the model's weights, so it always
// sees the current parameters.
type Evaluator struct {
	Model *Model
	Net   *Net
	idx   []int
}

// NewEvaluator compiles a forward-only graph for batch examples.
func (m *Model) NewEvaluator(batch int) (*Evaluator, error) {
	net, err := m.Build(NetOptions{Batch: batch})
	if err != nil {
		return nil, err
	}
	return &Evaluator{Model: m, Net: net, idx: make([]int, batch)}, nil
}

// NewHeadEvaluator compiles a forward-only graph of the layers after the
// rejoin for batch examples: it evaluates sets of rejoin activations
// ([sum of RejoinChannels, RejoinH, RejoinW] per example).
func (m *Model) NewHeadEvaluator(batch int) (*Evaluator, error) {
	net, err := m.Build(NetOptions{Batch: batch, Head: true})
	if err != nil {
		return nil, err
	}
	return &Evaluator{Model: m, Net: net, idx: make([]int, batch)}, nil
}

// Close releases the graph.
func (e *Evaluator) Close() error { return e.Net.Close() }

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
	p := Result{N: n, Loss: math.NaN(), PerClass: make([]float64, len(r.PerClass)), Correct: r.Correct[:n]}
	hit := make([]int, len(r.PerClass))
	count := make([]int, len(r.PerClass))
	total := 0
	for i, ok := range p.Correct {
		count[y[i]]++
		if ok {
			hit[y[i]]++
			total++
		}
	}
	for k := range hit {
		p.PerClass[k] = math.NaN()
		if count[k] > 0 {
			p.PerClass[k] = float64(hit[k]) / float64(count[k])
		}
	}
	if n > 0 {
		p.Acc = float64(total) / float64(n)
	}
	return p
}

// Evaluate runs the first n examples of s (all if n <= 0 or n > s.Len())
// with branch b's output zeroed at the rejoin wherever lesion[b] is true
// (lesion may be nil).
func (e *Evaluator) Evaluate(s *data.Set, n int, lesion []bool) (Result, error) {
	return e.EvaluateEach(s, n, lesion, nil)
}

// EvaluateEach is Evaluate that also calls after (if not nil) after each
// batch with the range of examples it covered, while the graph's node
// values (branch outputs, activations) hold that batch.
func (e *Evaluator) EvaluateEach(s *data.Set, n int, lesion []bool, after func(lo, hi int) error) (Result, error) {
	if n <= 0 || n > s.Len() {
		n = s.Len()
	}
	for b := range e.Net.Gates {
		g := float32(1)
		if b < len(lesion) && lesion[b] {
			g = 0
		}
		e.Net.SetGate(b, g)
	}
	classes := e.Model.Arch.Classes
	hit := make([]int, classes)
	count := make([]int, classes)
	var lossSum float64
	correct := make([]bool, n)
	err := e.Batches(s, n, func(lo, hi int) error {
		logits := e.Net.LogitsValue()
		for i := 0; i < hi-lo; i++ {
			row := logits[i*classes : (i+1)*classes]
			y := int(s.Y[lo+i])
			best, max := 0, row[0]
			for k, v := range row {
				if v > max {
					best, max = k, v
				}
			}
			lossSum += logSumExp(row) - float64(row[y])
			count[y]++
			if best == y {
				hit[y]++
				correct[lo+i] = true
			}
		}
		if after != nil {
			return after(lo, hi)
		}
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	r := Result{N: n, Loss: lossSum / float64(n), PerClass: make([]float64, classes), Correct: correct}
	total := 0
	for k := range hit {
		total += hit[k]
		r.PerClass[k] = math.NaN()
		if count[k] > 0 {
			r.PerClass[k] = float64(hit[k]) / float64(count[k])
		}
	}
	r.Acc = float64(total) / float64(n)
	return r, nil
}

// Batches runs the graph over examples [0, n) of s in batches and calls fn
// after each run with the range of examples it covered; rows past hi-lo in
// the graph's outputs are padding.
func (e *Evaluator) Batches(s *data.Set, n int, fn func(lo, hi int) error) error {
	x, y := e.Net.Input()
	for lo := 0; lo < n; lo += e.Net.Batch {
		hi := min(lo+e.Net.Batch, n)
		for i := range e.idx {
			e.idx[i] = min(lo+i, hi-1) // pad with the last example
		}
		s.Gather(e.idx, x, y)
		if err := e.Net.Run(); err != nil {
			return err
		}
		if err := fn(lo, hi); err != nil {
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
