package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Gradient-check tolerances: central differences with step epsFD on a
// float64 loss of float32 outputs agree with the analytic gradient to
// rtolFD relative plus atolFD absolute error.
const (
	epsFD  = 1e-2
	rtolFD = 1e-3
	atolFD = 1e-3
	// tolStock bounds |ours-stock| / (1+|stock|) against gorgonia's own ops:
	// both are float32, summing in different orders.
	tolStock = 1e-4
)

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)) }

// randDense returns a float32 tensor of normal(0, scale) values.
func randDense(rng *rand.Rand, scale float64, shape ...int) *tensor.Dense {
	n := 1
	for _, s := range shape {
		n *= s
	}
	data := make([]float32, n)
	for i := range data {
		data[i] = float32(scale * rng.NormFloat64())
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
}

// awayFromZero returns normal values with magnitude at least margin, so
// that ReLU has no kink within a finite-difference step.
func awayFromZero(rng *rand.Rand, margin float64, shape ...int) *tensor.Dense {
	t := randDense(rng, 1, shape...)
	for i, v := range t.Data().([]float32) {
		if math.Abs(float64(v)) < margin {
			t.Data().([]float32)[i] = float32(math.Copysign(margin*(1+float64(i%7)/7), float64(v)))
		}
	}
	return t
}

// distinctDense returns a random permutation of 0, gap, 2*gap, ... so no
// two elements tie within a finite-difference step.
func distinctDense(rng *rand.Rand, gap float64, shape ...int) *tensor.Dense {
	n := 1
	for _, s := range shape {
		n *= s
	}
	data := make([]float32, n)
	for i, p := range rng.Perm(n) {
		data[i] = float32(gap * float64(p-n/2))
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
}

func f32data(v G.Value) []float32 { return v.(*tensor.Dense).Data().([]float32) }

func cloneF32(s []float32) []float32 { return append([]float32(nil), s...) }

// testGraph is a graph with inputs bound to given tensors, an output y, a
// float64-checkable loss and gradients of the loss with respect to every
// input marked in wrt.
type testGraph struct {
	g      *G.ExprGraph
	in     []*G.Node
	y      *G.Node
	r      []float32 // weights of the linear loss sum(y*r); nil when y is the loss
	loss   *G.Node
	grads  G.Nodes
	gradOf []int // input index of each gradient
	m      G.VM
}

// buildFunc builds an output from input nodes.
type buildFunc func(in []*G.Node) (*G.Node, error)

// newTestGraph builds y = build(inputs) and loss = sum(y*r) for random r
// (or loss = y when y is a scalar), with gradients for inputs in wrt.
func newTestGraph(t *testing.T, rng *rand.Rand, inputs []*tensor.Dense, wrt []int, build buildFunc) *testGraph {
	t.Helper()
	tg := &testGraph{g: G.NewGraph()}
	for i, v := range inputs {
		n := G.NewTensor(tg.g, G.Float32, v.Dims(), G.WithShape(v.Shape()...), G.WithValue(v), G.WithName(fmt.Sprintf("in%d", i)))
		tg.in = append(tg.in, n)
	}
	y, err := build(tg.in)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	tg.y = y
	if y.IsScalar() {
		tg.loss = y
	} else {
		r := randDense(rng, 1, y.Shape()...)
		tg.r = r.Data().([]float32)
		rn := G.NewTensor(tg.g, G.Float32, y.Dims(), G.WithShape(y.Shape()...), G.WithValue(r), G.WithName("r"))
		prod, err := G.HadamardProd(y, rn)
		if err != nil {
			t.Fatalf("loss: %v", err)
		}
		if tg.loss, err = G.Sum(prod); err != nil {
			t.Fatalf("loss: %v", err)
		}
	}
	var wrtNodes G.Nodes
	for _, i := range wrt {
		wrtNodes = append(wrtNodes, tg.in[i])
	}
	if tg.grads, err = G.Grad(tg.loss, wrtNodes...); err != nil {
		t.Fatalf("grad: %v", err)
	}
	tg.gradOf = wrt
	tg.m = G.NewTapeMachine(tg.g)
	t.Cleanup(func() { tg.m.Close() })
	return tg
}

// run executes the machine once (after a Reset).
func (tg *testGraph) run(t *testing.T) {
	t.Helper()
	tg.m.Reset()
	if err := tg.m.RunAll(); err != nil {
		t.Fatalf("run: %v", err)
	}
}

// loss64 recomputes the loss in float64 from the float32 output.
func (tg *testGraph) loss64(t *testing.T) float64 {
	t.Helper()
	if tg.r == nil {
		s, err := scalarOf(tg.y.Value())
		if err != nil {
			t.Fatal(err)
		}
		return float64(s)
	}
	var l float64
	for i, v := range f32data(tg.y.Value()) {
		l += float64(v) * float64(tg.r[i])
	}
	return l
}

// analytic runs the graph and returns copies of the gradients.
func (tg *testGraph) analytic(t *testing.T) [][]float32 {
	t.Helper()
	tg.run(t)
	out := make([][]float32, len(tg.grads))
	for i, g := range tg.grads {
		out[i] = cloneF32(f32data(g.Value()))
	}
	return out
}

// checkGradients compares analytic gradients with central differences on
// up to samples elements of every input in wrt. The inputs are perturbed in
// place in their bound tensors, so this also checks that the machine reads
// bound values in place on every run.
func checkGradients(t *testing.T, rng *rand.Rand, tg *testGraph, samples int) {
	t.Helper()
	ana := tg.analytic(t)
	for gi, ii := range tg.gradOf {
		data := f32data(tg.in[ii].Value())
		idx := rng.Perm(len(data))
		if len(idx) > samples {
			idx = idx[:samples]
		}
		for _, j := range idx {
			orig := data[j]
			data[j] = orig + epsFD
			tg.run(t)
			lp := tg.loss64(t)
			data[j] = orig - epsFD
			tg.run(t)
			lm := tg.loss64(t)
			data[j] = orig
			num := (lp - lm) / (2 * epsFD)
			got := float64(ana[gi][j])
			if math.Abs(num-got) > rtolFD*(math.Abs(num)+math.Abs(got))+atolFD {
				t.Errorf("input %d element %d: analytic %g, numeric %g", ii, j, got, num)
			}
		}
	}
}

// closeTo reports the first element where got and want differ by more than
// tol*(1+|want|).
func closeTo(got, want []float32, tol float64) error {
	if len(got) != len(want) {
		return fmt.Errorf("length %d, want %d", len(got), len(want))
	}
	for i := range got {
		if d := math.Abs(float64(got[i]) - float64(want[i])); !(d <= tol*(1+math.Abs(float64(want[i])))) {
			return fmt.Errorf("element %d: %g, want %g", i, got[i], want[i])
		}
	}
	return nil
}

// bitsEqual reports the first element where a and b differ in bits.
func bitsEqual(a, b []float32) error {
	if len(a) != len(b) {
		return fmt.Errorf("length %d vs %d", len(a), len(b))
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return fmt.Errorf("element %d: %g vs %g", i, a[i], b[i])
		}
	}
	return nil
}

// checkGradientsAwayFromKink is checkGradients for an output that is a
// ReLU: a sample whose perturbation moves any output across zero (the
// kink, where central differences are not the derivative) is skipped, and
// at least half of the samples of each input must be checked.
func checkGradientsAwayFromKink(t *testing.T, rng *rand.Rand, tg *testGraph, samples int) {
	t.Helper()
	ana := tg.analytic(t)
	active := func() []bool {
		y := f32data(tg.y.Value())
		m := make([]bool, len(y))
		for i, v := range y {
			m[i] = v > 0
		}
		return m
	}
	base := active()
	same := func(m []bool) bool {
		for i := range m {
			if m[i] != base[i] {
				return false
			}
		}
		return true
	}
	for gi, ii := range tg.gradOf {
		data := f32data(tg.in[ii].Value())
		idx := rng.Perm(len(data))
		if len(idx) > samples {
			idx = idx[:samples]
		}
		checked := 0
		for _, j := range idx {
			orig := data[j]
			data[j] = orig + epsFD
			tg.run(t)
			lp, mp := tg.loss64(t), active()
			data[j] = orig - epsFD
			tg.run(t)
			lm, mm := tg.loss64(t), active()
			data[j] = orig
			if !same(mp) || !same(mm) {
				continue
			}
			checked++
			num := (lp - lm) / (2 * epsFD)
			got := float64(ana[gi][j])
			if math.Abs(num-got) > rtolFD*(math.Abs(num)+math.Abs(got))+atolFD {
				t.Errorf("input %d element %d: analytic %g, numeric %g", ii, j, got, num)
			}
		}
		if 2*checked < len(idx) {
			t.Errorf("input %d: only %d of %d samples away from the ReLU kink", ii, checked, len(idx))
		}
	}
}
