package optim

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// fakeParam is a named value with a gradient, the smallest G.ValueGrad.
type fakeParam struct {
	name string
	w, g *tensor.Dense
}

var (
	_ G.ValueGrad = (*fakeParam)(nil)
	_ G.Namer     = (*fakeParam)(nil)
)

func (p *fakeParam) Name() string           { return p.name }
func (p *fakeParam) Value() G.Value         { return p.w }
func (p *fakeParam) Grad() (G.Value, error) { return p.g, nil }
func (p *fakeParam) weights() []float32     { return p.w.Float32s() }
func (p *fakeParam) setGrad(g ...float32)   { copy(p.g.Float32s(), g) }
func (p *fakeParam) grads() []float32       { return p.g.Float32s() }

// newParam returns a parameter holding a copy of w and a zero gradient.
func newParam(name string, w ...float32) *fakeParam {
	wc := append([]float32(nil), w...)
	return &fakeParam{
		name: name,
		w:    tensor.New(tensor.WithShape(len(w)), tensor.WithBacking(wc)),
		g:    tensor.New(tensor.WithShape(len(w)), tensor.Of(tensor.Float32)),
	}
}

func valueGrads(ps ...*fakeParam) []G.ValueGrad {
	vgs := make([]G.ValueGrad, len(ps))
	for i, p := range ps {
		vgs[i] = p
	}
	return vgs
}

func mustNew(t testing.TB, o Options) Solver {
	t.Helper()
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sameBits reports whether a and b hold the same float32 bit patterns.
func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// sameState reports whether a and b are equal, slots compared bit for bit.
func sameState(a, b State) bool {
	if a.Algorithm != b.Algorithm || a.Step != b.Step || math.Float64bits(a.LR) != math.Float64bits(b.LR) ||
		len(a.ParamSteps) != len(b.ParamSteps) || len(a.Slots) != len(b.Slots) {
		return false
	}
	for k, v := range a.ParamSteps {
		if w, ok := b.ParamSteps[k]; !ok || w != v {
			return false
		}
	}
	for k, v := range a.Slots {
		if w, ok := b.Slots[k]; !ok || !sameBits(v, w) {
			return false
		}
	}
	return true
}

// optionCases are the solver configurations shared by several tests.
var optionCases = []struct {
	name string
	opts Options
}{
	{"sgd", Options{Algorithm: SGD, LR: 0.1}},
	{"sgd decay", Options{Algorithm: SGD, LR: 0.1, WeightDecay: 0.01}},
	{"sgd momentum", Options{Algorithm: SGD, LR: 0.1, Momentum: 0.9}},
	{"sgd nesterov decay", Options{Algorithm: SGD, LR: 0.1, Momentum: 0.9, Nesterov: true, WeightDecay: 0.01}},
	{"adam", Options{Algorithm: Adam, LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}},
	{"adamw", Options{Algorithm: Adam, LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.1}},
}
