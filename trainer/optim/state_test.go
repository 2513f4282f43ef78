package optim

import (
	"errors"
	"math/rand/v2"
	"testing"
)

// stepRun drives s over steps k in [from, to) with gradients drawn from a
// PCG stream keyed by k, a cosine learning rate and a freeze window on
// "out.w" for k in [5, 9), so a resume at 7 falls inside the window.
func stepRun(t *testing.T, s Solver, params []*fakeParam, from, to int) {
	t.Helper()
	sched := LRSchedule{Kind: Cosine, Base: 0.05, Warmup: 3, Total: 12, MinFrac: 0.1}
	for k := from; k < to; k++ {
		rng := rand.New(rand.NewPCG(7, uint64(k)))
		for _, p := range params {
			p.setGrad(randVec(rng, len(p.weights()))...)
		}
		s.SetLR(sched.At(k))
		s.SetFrozen(func(name string) bool { return name == "out.w" && k >= 5 && k < 9 })
		if err := s.Step(valueGrads(params...)); err != nil {
			t.Fatalf("step %d: %v", k, err)
		}
	}
}

func stateParams() []*fakeParam {
	rng := rand.New(rand.NewPCG(3, 4))
	return []*fakeParam{
		newParam("stem.0.w", randVec(rng, 27)...),
		newParam("stem.0.b", randVec(rng, 3)...),
		newParam("out.w", randVec(rng, 10)...),
	}
}

func cloneParams(ps []*fakeParam) []*fakeParam {
	c := make([]*fakeParam, len(ps))
	for i, p := range ps {
		c[i] = newParam(p.name, p.weights()...)
	}
	return c
}

// TestResumeIsBitIdentical: 7 steps, save, 5 more; a fresh solver restored
// from the saved State (and weights) doing the same 5 steps must end with the
// same weights and State, bit for bit.
func TestResumeIsBitIdentical(t *testing.T) {
	for _, tc := range optionCases {
		t.Run(tc.name, func(t *testing.T) {
			a := mustNew(t, tc.opts)
			pa := stateParams()
			stepRun(t, a, pa, 0, 7)
			saved := a.State()
			savedCopy := saved.Clone()
			pb := cloneParams(pa)
			stepRun(t, a, pa, 7, 12)
			if !sameState(saved, savedCopy) {
				t.Fatal("State changed after the solver stepped: not a deep copy")
			}

			b := mustNew(t, tc.opts)
			if err := b.SetState(saved); err != nil {
				t.Fatal(err)
			}
			stepRun(t, b, pb, 7, 12)
			for i := range pa {
				if !sameBits(pa[i].weights(), pb[i].weights()) {
					t.Errorf("%s: resumed weights differ\n got %v\nwant %v", pa[i].name, pb[i].weights(), pa[i].weights())
				}
			}
			if !sameState(a.State(), b.State()) {
				t.Errorf("resumed State differs\n got %+v\nwant %+v", b.State(), a.State())
			}
			if !sameState(saved, savedCopy) {
				t.Error("SetState kept a reference to the State it was given")
			}
		})
	}
}

func TestStateIsDeepCopy(t *testing.T) {
	s := mustNew(t, Options{Algorithm: Adam, LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8})
	ps := stateParams()
	stepRun(t, s, ps, 0, 2)
	st := s.State()
	before := s.State()
	st.Slots["m/stem.0.b"][0] = 42
	st.ParamSteps["stem.0.b"] = 99
	if !sameState(s.State(), before) {
		t.Error("mutating a returned State changed the solver")
	}
	if st.Step != 2 || st.ParamSteps["stem.0.w"] != 2 || len(st.Slots) != 6 {
		t.Errorf("State = %+v, want step 2 and 6 slots", st)
	}
}

func TestSetStateErrors(t *testing.T) {
	adam := Options{Algorithm: Adam, LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
	good := func() State {
		return State{Algorithm: Adam, Step: 3, LR: 0.01,
			ParamSteps: map[string]int{"a.w": 3, "a.b": 2},
			Slots: map[string][]float32{
				"m/a.w": {1, 2}, "v/a.w": {1, 2}, "m/a.b": {1}, "v/a.b": {1},
			}}
	}
	tests := []struct {
		name   string
		opts   Options
		modify func(*State)
		want   string
	}{
		{"wrong algorithm", Options{Algorithm: SGD, LR: 0.1, Momentum: 0.9}, func(*State) {},
			`optim: SetState (sgd): state does not match solver: state is for algorithm "adam"`},
		{"missing slot", adam, func(st *State) { delete(st.Slots, "v/a.b") },
			"optim: SetState (adam): state does not match solver: missing slot v/a.b"},
		{"wrong length", adam, func(st *State) { st.Slots["v/a.w"] = []float32{1, 2, 3} },
			"optim: SetState (adam): state does not match solver: slot v/a.w has 3 elements, m/a.w has 2"},
		{"unexpected slot", adam, func(st *State) { st.Slots["velocity/a.w"] = []float32{0, 0} },
			`optim: SetState (adam): state does not match solver: unexpected slot velocity/a.w (solver keeps ["m" "v"] per parameter)`},
		{"slot of unknown param", adam, func(st *State) { st.Slots["m/c.w"] = []float32{0} },
			`optim: SetState (adam): state does not match solver: unexpected slot m/c.w (solver keeps ["m" "v"] per parameter)`},
		{"param steps beyond step", adam, func(st *State) { st.ParamSteps["a.b"] = 4 },
			"optim: SetState (adam): state does not match solver: parameter a.b has 4 updates, outside [0, 3]"},
		{"negative step", adam, func(st *State) { st.Step = -1 },
			"optim: SetState (adam): state does not match solver: negative step -1"},
		{"bad name", adam, func(st *State) { st.ParamSteps["x/y"] = 0 },
			`optim: SetState (adam): state does not match solver: invalid parameter name "x/y"`},
		{"momentum slots for plain sgd", Options{Algorithm: SGD, LR: 0.1}, func(st *State) {
			st.Algorithm = SGD
			st.Slots = map[string][]float32{"velocity/a.w": {0, 0}}
		}, `optim: SetState (sgd): state does not match solver: unexpected slot velocity/a.w (solver keeps [] per parameter)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mustNew(t, tc.opts)
			before := s.State()
			st := good()
			tc.modify(&st)
			err := s.SetState(st)
			if !errors.Is(err, ErrState) {
				t.Fatalf("SetState = %v, want ErrState", err)
			}
			if err.Error() != tc.want {
				t.Errorf("error text\n got %s\nwant %s", err, tc.want)
			}
			if !sameState(s.State(), before) {
				t.Error("a failed SetState changed the solver")
			}
		})
	}
	t.Run("good state restores", func(t *testing.T) {
		s := mustNew(t, adam)
		if err := s.SetState(good()); err != nil {
			t.Fatal(err)
		}
		if !sameState(s.State(), good()) {
			t.Errorf("State() = %+v, want %+v", s.State(), good())
		}
	})
}

// TestRestoredSlotLengthCheckedAtStep: SetState cannot know the parameter
// shapes, so a slot that does not fit the value is reported by Step.
func TestRestoredSlotLengthCheckedAtStep(t *testing.T) {
	s := mustNew(t, Options{Algorithm: SGD, LR: 0.1, Momentum: 0.9})
	err := s.SetState(State{Algorithm: SGD, Step: 1, ParamSteps: map[string]int{"a.w": 1},
		Slots: map[string][]float32{"velocity/a.w": {1, 2}}})
	if err != nil {
		t.Fatal(err)
	}
	p := newParam("a.w", 1, 2, 3)
	err = s.Step(valueGrads(p))
	want := "optim: step 1 (a.w): invalid parameters: value has 3 elements, slot velocity/a.w has 2"
	if !errors.Is(err, ErrParams) || err.Error() != want {
		t.Errorf("Step = %v, want %s", err, want)
	}
}
