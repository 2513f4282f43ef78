package optim

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestStepErrors(t *testing.T) {
	sgd := Options{Algorithm: SGD, LR: 0.1, Momentum: 0.5}
	f64 := &fakeParam{name: "a.w",
		w: tensor.New(tensor.WithShape(2), tensor.Of(tensor.Float64)),
		g: tensor.New(tensor.WithShape(2), tensor.Of(tensor.Float64))}
	short := newParam("a.w", 1, 2)
	short.g = tensor.New(tensor.WithShape(1), tensor.Of(tensor.Float32))
	g := G.NewGraph()
	unnamed := G.NewVector(g, G.Float32, G.WithShape(2), G.WithInit(G.Zeroes()))

	tests := []struct {
		name  string
		first []G.ValueGrad // a successful Step first, nil for none
		vgs   []G.ValueGrad
		want  string // error text prefix
	}{
		{"unnamed node", nil, []G.ValueGrad{unnamed},
			`optim: register ("`},
		{"repeated name", nil, valueGrads(newParam("a.w", 1), newParam("a.w", 2)),
			"optim: register (a.w): invalid parameters: name repeated"},
		{"float64 tensor", nil, []G.ValueGrad{f64},
			"optim: value (a.w): invalid parameters: want float32, got float64"},
		{"gradient length", nil, valueGrads(short),
			"optim: grad (a.w): invalid parameters: value has 2 elements, gradient 1"},
		{"unknown name later", valueGrads(newParam("a.w", 1)), valueGrads(newParam("a.w", 1), newParam("a.b", 1)),
			"optim: step 1 (a.b): invalid parameters: not among the solver's 1 parameters"},
		{"missing name later", valueGrads(newParam("a.w", 1), newParam("a.b", 1)), valueGrads(newParam("a.w", 1)),
			"optim: step 1 (a.b): invalid parameters: parameter missing from Step"},
		{"repeated name later", valueGrads(newParam("a.w", 1)), valueGrads(newParam("a.w", 1), newParam("a.w", 1)),
			"optim: step 1 (a.w): invalid parameters: name repeated"},
		{"resized value later", valueGrads(newParam("a.w", 1)), valueGrads(newParam("a.w", 1, 2)),
			"optim: step 1 (a.w): invalid parameters: value has 2 elements, slot velocity/a.w has 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mustNew(t, sgd)
			if tc.first != nil {
				if err := s.Step(tc.first); err != nil {
					t.Fatal(err)
				}
			}
			before := s.State()
			err := s.Step(tc.vgs)
			if !errors.Is(err, ErrParams) || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("Step = %v, want ErrParams starting %q", err, tc.want)
			}
			if tc.first != nil && !sameState(s.State(), before) {
				t.Error("a failed Step changed the state")
			}
		})
	}
}

// TestFailedStepChangesNothing: an error on the last parameter must leave the
// earlier ones untouched.
func TestFailedStepChangesNothing(t *testing.T) {
	s := mustNew(t, Options{Algorithm: SGD, LR: 0.1})
	a, b := newParam("a.w", 1, 2), newParam("b.w", 3)
	a.setGrad(1, 1)
	if err := s.Step(valueGrads(a, b)); err != nil {
		t.Fatal(err)
	}
	w := append([]float32(nil), a.weights()...)
	if err := s.Step(valueGrads(a, b, newParam("c.w", 1))); err == nil {
		t.Fatal("Step with an unknown parameter succeeded")
	}
	if !sameBits(a.weights(), w) {
		t.Errorf("a.w = %v after a failed Step, want %v", a.weights(), w)
	}
}

func TestFrozenParamsUnchanged(t *testing.T) {
	for _, tc := range optionCases {
		t.Run(tc.name, func(t *testing.T) {
			s := mustNew(t, tc.opts)
			ps := stateParams()
			stepRun(t, s, ps, 0, 5) // out.w is frozen from step 5 to 8
			w := append([]float32(nil), ps[2].weights()...)
			st := s.State()
			stepRun(t, s, ps, 5, 9)
			if !sameBits(ps[2].weights(), w) {
				t.Error("frozen out.w changed")
			}
			after := s.State()
			if after.ParamSteps["out.w"] != st.ParamSteps["out.w"] || after.ParamSteps["stem.0.w"] != 9 {
				t.Errorf("ParamSteps = %v, want out.w at %d and stem.0.w at 9", after.ParamSteps, st.ParamSteps["out.w"])
			}
			for key, slot := range st.Slots {
				frozen := strings.HasSuffix(key, "/out.w")
				if same := sameBits(after.Slots[key], slot); same != frozen {
					t.Errorf("slot %s unchanged = %v, want %v", key, same, frozen)
				}
			}
		})
	}
}

// TestStepZeroesGradients: gorgonia accumulates into dual values' gradients,
// so Step must leave every gradient zero, frozen ones included.
func TestStepZeroesGradients(t *testing.T) {
	for _, tc := range optionCases {
		t.Run(tc.name, func(t *testing.T) {
			s := mustNew(t, tc.opts)
			a, b := newParam("a.w", 1, 2), newParam("a.b", 3)
			a.setGrad(0.5, -0.5)
			b.setGrad(2)
			s.SetFrozen(func(name string) bool { return name == "a.b" })
			if err := s.Step(valueGrads(a, b)); err != nil {
				t.Fatal(err)
			}
			for _, p := range []*fakeParam{a, b} {
				for i, g := range p.grads() {
					if g != 0 {
						t.Errorf("%s grad[%d] = %v after Step, want 0", p.name, i, g)
					}
				}
			}
		})
	}
}

// TestAdamBiasCorrectionIsPerParam: a parameter frozen for the first steps
// takes, on its first update, the same step as a fresh solver's first update.
func TestAdamBiasCorrectionIsPerParam(t *testing.T) {
	o := Options{Algorithm: Adam, LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
	late := mustNew(t, o)
	a, b := newParam("a.w", 0.5, -0.5), newParam("b.w", 0.25)
	for k := range 4 {
		a.setGrad(0.3, -0.7)
		b.setGrad(1)
		late.SetFrozen(func(name string) bool { return name == "a.w" && k < 3 })
		if err := late.Step(valueGrads(a, b)); err != nil {
			t.Fatal(err)
		}
	}
	fresh := mustNew(t, o)
	a2 := newParam("a.w", 0.5, -0.5)
	a2.setGrad(0.3, -0.7)
	if err := fresh.Step(valueGrads(a2)); err != nil {
		t.Fatal(err)
	}
	if !sameBits(a.weights(), a2.weights()) {
		t.Errorf("first update after a freeze = %v, fresh first update = %v", a.weights(), a2.weights())
	}
}

func TestStepAllocatesNothing(t *testing.T) {
	for _, tc := range optionCases {
		t.Run(tc.name, func(t *testing.T) {
			s := mustNew(t, tc.opts)
			ps := stateParams()
			for _, p := range ps {
				p.setGrad(0.5)
			}
			vgs := valueGrads(ps...)
			s.SetFrozen(func(name string) bool { return name == "stem.0.b" })
			if err := s.Step(vgs); err != nil {
				t.Fatal(err)
			}
			allocs := testing.AllocsPerRun(50, func() {
				if err := s.Step(vgs); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("Step allocates %v times per call, want 0", allocs)
			}
		})
	}
}

func TestOptionsValidate(t *testing.T) {
	adam := Options{Algorithm: Adam, LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
	with := func(f func(*Options)) Options { o := adam; f(&o); return o }
	tests := []struct {
		name string
		opts Options
		want string // "" for valid
	}{
		{"adam", adam, ""},
		{"adam beta1 zero", with(func(o *Options) { o.Beta1 = 0 }), ""},
		{"sgd nesterov", Options{Algorithm: SGD, LR: 0.1, Momentum: 0.9, Nesterov: true}, ""},
		{"unknown", Options{Algorithm: "rmsprop"}, `optim: options (rmsprop): invalid options: unknown algorithm "rmsprop" (want "sgd" or "adam")`},
		{"empty", Options{}, `optim: options (): invalid options: unknown algorithm "" (want "sgd" or "adam")`},
		{"negative lr", with(func(o *Options) { o.LR = -1 }), "optim: options (adam): invalid options: LR must be finite and >= 0, got -1"},
		{"beta2 zero", with(func(o *Options) { o.Beta2 = 0 }), "optim: options (adam): invalid options: Beta2 must be in (0, 1), got 0"},
		{"beta1 one", with(func(o *Options) { o.Beta1 = 1 }), "optim: options (adam): invalid options: Beta1 must be in [0, 1), got 1"},
		{"eps zero", with(func(o *Options) { o.Eps = 0 }), "optim: options (adam): invalid options: Eps must be finite and > 0, got 0"},
		{"adam momentum", with(func(o *Options) { o.Momentum = 0.9 }), "optim: options (adam): invalid options: Momentum and Nesterov are SGD options; use Beta1"},
		{"negative decay", with(func(o *Options) { o.WeightDecay = -0.1 }), "optim: options (adam): invalid options: WeightDecay must be finite and >= 0, got -0.1"},
		{"momentum one", Options{Algorithm: SGD, LR: 0.1, Momentum: 1}, "optim: options (sgd): invalid options: Momentum must be in [0, 1), got 1"},
		{"nesterov without momentum", Options{Algorithm: SGD, LR: 0.1, Nesterov: true}, "optim: options (sgd): invalid options: Nesterov requires Momentum > 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.opts)
			if tc.want == "" {
				if err != nil {
					t.Errorf("New = %v, want no error", err)
				}
				return
			}
			if !errors.Is(err, ErrOptions) || err.Error() != tc.want {
				t.Errorf("New = %v\nwant %s", err, tc.want)
			}
		})
	}
}

func TestDecayFilter(t *testing.T) {
	o := Options{Algorithm: SGD, LR: 1, WeightDecay: 0.5}
	tests := []struct {
		name   string
		filter func(string) bool
		want   [2]float32 // a.w, a.b after one step from 1 with zero gradient
	}{
		{"default decays .w", nil, [2]float32{0.5, 1}},
		{"custom decays all", func(string) bool { return true }, [2]float32{0.5, 0.5}},
		{"custom decays none", func(string) bool { return false }, [2]float32{1, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o.DecayFilter = tc.filter
			s := mustNew(t, o)
			w, b := newParam("a.w", 1), newParam("a.b", 1)
			if err := s.Step(valueGrads(w, b)); err != nil {
				t.Fatal(err)
			}
			if got := [2]float32{w.weights()[0], b.weights()[0]}; got != tc.want {
				t.Errorf("weights = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestStepRejectsBadLR(t *testing.T) {
	for _, lr := range []float64{-0.1, math.NaN(), math.Inf(1)} {
		s := mustNew(t, Options{Algorithm: SGD, LR: 0.1})
		p := newParam("a.w", 1)
		p.setGrad(1)
		s.SetLR(lr)
		if err := s.Step(valueGrads(p)); !errors.Is(err, ErrOptions) {
			t.Errorf("Step with learning rate %v = %v, want ErrOptions", lr, err)
		}
		if p.weights()[0] != 1 || p.grads()[0] != 1 {
			t.Errorf("Step with learning rate %v changed the parameter", lr)
		}
	}
}

// TestParallelStepSameBits: Steps whose element updates run in pieces
// (SetParallel) that cut across parameters, run out of order and on
// goroutines at once, give the weights, state and zeroed gradients of
// Steps on one goroutine, for every algorithm, with a parameter frozen for
// some steps; and every element is updated exactly once.
func TestParallelStepSameBits(t *testing.T) {
	for _, piece := range []int{1, 4, 11, 40, 1000} {
		for _, tc := range optionCases {
			t.Run(fmt.Sprintf("%s/piece%d", tc.name, piece), func(t *testing.T) {
				serial := mustNew(t, tc.opts)
				ps := stateParams()
				stepRun(t, serial, ps, 0, 12)

				parallel := mustNew(t, tc.opts)
				pp := cloneParams(stateParams())
				var covered []int
				parallel.SetParallel(func(n int, f func(lo, hi int)) {
					covered = make([]int, n)
					var wg sync.WaitGroup
					for lo := (n - 1) / piece * piece; lo >= 0; lo -= piece {
						hi := min(n, lo+piece)
						for i := lo; i < hi; i++ {
							covered[i]++
						}
						wg.Add(1)
						go func() {
							defer wg.Done()
							f(lo, hi)
						}()
					}
					wg.Wait()
				})
				stepRun(t, parallel, pp, 0, 12)
				if want := 27 + 3 + 10; len(covered) != want || slices.ContainsFunc(covered, func(c int) bool { return c != 1 }) {
					t.Fatalf("pieces covered %v, want each of %d elements once", covered, want)
				}
				for i := range ps {
					if !sameBits(pp[i].weights(), ps[i].weights()) {
						t.Errorf("%s: weights %v, want %v", ps[i].name, pp[i].weights(), ps[i].weights())
					}
					if slices.ContainsFunc(pp[i].grads(), func(g float32) bool { return g != 0 }) {
						t.Errorf("%s: gradient %v not zeroed", ps[i].name, pp[i].grads())
					}
				}
				if !sameState(parallel.State(), serial.State()) {
					t.Error("state differs")
				}
			})
		}
	}
}
