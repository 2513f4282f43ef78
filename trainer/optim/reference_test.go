package optim

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// twinTol bounds the gap between the float32 solver and its float64 twin,
// relative to max(|w|, 1), after twinSteps steps.
const (
	twinTol   = 2e-5
	twinSteps = 40
)

// twin is a float64 re-implementation of the update rules, written from the
// formulas in the doc comments of sgdUpdate and adamUpdate.
type twin struct {
	o     Options
	w     map[string][]float64
	s1    map[string][]float64 // velocity, or m
	s2    map[string][]float64 // v
	t     map[string]int
	decay map[string]bool
}

func newTwin(o Options, init map[string][]float32) *twin {
	tw := &twin{o: o, w: map[string][]float64{}, s1: map[string][]float64{}, s2: map[string][]float64{},
		t: map[string]int{}, decay: map[string]bool{}}
	for name, w := range init {
		tw.w[name] = make([]float64, len(w))
		for i, x := range w {
			tw.w[name][i] = float64(x)
		}
		tw.s1[name] = make([]float64, len(w))
		tw.s2[name] = make([]float64, len(w))
		tw.decay[name] = o.WeightDecay != 0 && strings.HasSuffix(name, ".w")
	}
	return tw
}

func (tw *twin) step(name string, g []float32, lr float64) {
	tw.t[name]++
	o, w, s1, s2 := tw.o, tw.w[name], tw.s1[name], tw.s2[name]
	lambda := 0.0
	if tw.decay[name] {
		lambda = o.WeightDecay
	}
	t := float64(tw.t[name])
	for i := range w {
		gi := float64(g[i])
		switch o.Algorithm {
		case SGD:
			gi += lambda * w[i]
			d := gi
			if o.Momentum != 0 {
				s1[i] = o.Momentum*s1[i] + gi
				d = s1[i]
				if o.Nesterov {
					d = gi + o.Momentum*s1[i]
				}
			}
			w[i] -= lr * d
		case Adam:
			s1[i] = o.Beta1*s1[i] + (1-o.Beta1)*gi
			s2[i] = o.Beta2*s2[i] + (1-o.Beta2)*gi*gi
			mhat := s1[i] / (1 - math.Pow(o.Beta1, t))
			vhat := s2[i] / (1 - math.Pow(o.Beta2, t))
			w[i] = w[i]*(1-lr*lambda) - lr*mhat/(math.Sqrt(vhat)+o.Eps)
		}
	}
}

// TestMatchesFloat64Twin runs every configuration for twinSteps steps with
// random gradients, a changing learning rate and a freeze window on one
// parameter, and compares each step with the float64 twin.
func TestMatchesFloat64Twin(t *testing.T) {
	for _, tc := range optionCases {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			params := []*fakeParam{
				newParam("branch.0.0.w", randVec(rng, 12)...),
				newParam("branch.0.0.b", randVec(rng, 3)...),
				newParam("out.w", randVec(rng, 6)...),
			}
			init := map[string][]float32{}
			for _, p := range params {
				init[p.name] = append([]float32(nil), p.weights()...)
			}
			tw := newTwin(tc.opts, init)
			s := mustNew(t, tc.opts)
			frozen := func(k int) func(string) bool {
				return func(name string) bool { return name == "out.w" && k >= 10 && k < 20 }
			}
			sched := LRSchedule{Kind: Cosine, Base: tc.opts.LR, Warmup: 5, Total: twinSteps}
			for k := range twinSteps {
				lr := sched.At(k)
				s.SetLR(lr)
				s.SetFrozen(frozen(k))
				for _, p := range params {
					p.setGrad(randVec(rng, len(p.weights()))...)
					if !frozen(k)(p.name) {
						tw.step(p.name, p.grads(), float64(float32(lr)))
					}
				}
				if err := s.Step(valueGrads(params...)); err != nil {
					t.Fatal(err)
				}
				for _, p := range params {
					for i, got := range p.weights() {
						want := tw.w[p.name][i]
						if d := math.Abs(float64(got) - want); d > twinTol*math.Max(math.Abs(want), 1) {
							t.Fatalf("step %d %s[%d] = %.9g, float64 twin %.9g", k, p.name, i, got, want)
						}
					}
				}
			}
			if got := s.State().ParamSteps; got["out.w"] != twinSteps-10 || got["branch.0.0.b"] != twinSteps {
				t.Errorf("ParamSteps = %v, want out.w %d and the others %d", got, twinSteps-10, twinSteps)
			}
		})
	}
}

// randVec returns n values uniform in [-1, 1).
func randVec(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(2*rng.Float64() - 1)
	}
	return v
}
