package optim

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// State is the complete state of a solver: restoring it with SetState and
// feeding the same gradients reproduces the same weights bit for bit. It
// holds only plain values, so it can be encoded with any codec that preserves
// float32 bits (gob, or JSON of math.Float32bits).
//
// The hyperparameters are not part of State: they come from the run's
// configuration, which the caller checkpoints.
type State struct {
	// Algorithm is the Options.Algorithm of the solver that produced it.
	Algorithm string
	// Step is the number of Step calls that succeeded.
	Step int
	// LR is the learning rate the next Step would use.
	LR float64
	// ParamSteps is the number of updates applied to each parameter, keyed by
	// name; Step minus the steps it was frozen. Adam's bias correction uses it.
	// Its keys are the solver's parameter set.
	ParamSteps map[string]int
	// Slots is the per-element state, keyed "SLOT/NAME": "m/NAME" and
	// "v/NAME" for Adam, "velocity/NAME" for SGD with momentum, none for
	// plain SGD.
	Slots map[string][]float32
}

// Params returns the parameter names of st, sorted.
func (st State) Params() []string {
	names := make([]string, 0, len(st.ParamSteps))
	for name := range st.ParamSteps {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Clone returns a deep copy of st.
func (st State) Clone() State {
	c := st
	if st.ParamSteps != nil {
		c.ParamSteps = make(map[string]int, len(st.ParamSteps))
		for k, v := range st.ParamSteps {
			c.ParamSteps[k] = v
		}
	}
	if st.Slots != nil {
		c.Slots = make(map[string][]float32, len(st.Slots))
		for k, v := range st.Slots {
			c.Slots[k] = append([]float32(nil), v...)
		}
	}
	return c
}

// State returns a deep copy of the solver's state.
func (s *solver) State() State {
	names := s.opts.slotNames()
	st := State{
		Algorithm:  s.opts.Algorithm,
		Step:       s.step,
		LR:         s.lr,
		ParamSteps: make(map[string]int, len(s.params)),
		Slots:      make(map[string][]float32, len(s.params)*len(names)),
	}
	for name, p := range s.params {
		st.ParamSteps[name] = p.t
		for i, slot := range p.slots {
			st.Slots[names[i]+"/"+name] = append([]float32(nil), slot...)
		}
	}
	return st
}

// SetState replaces the solver's state with a deep copy of st. The parameter
// set becomes the keys of st.ParamSteps (empty: the next Step defines it);
// slot lengths are checked against the values at the next Step.
func (s *solver) SetState(st State) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("optim: SetState (%s): %w: %s", s.opts.Algorithm, ErrState, fmt.Sprintf(format, args...))
	}
	if st.Algorithm != s.opts.Algorithm {
		return bad("state is for algorithm %q", st.Algorithm)
	}
	if st.Step < 0 {
		return bad("negative step %d", st.Step)
	}
	if !(st.LR >= 0) || math.IsInf(st.LR, 0) {
		return bad("learning rate %v", st.LR)
	}
	names := s.opts.slotNames()
	params := make(map[string]*param, len(st.ParamSteps))
	for _, name := range st.Params() {
		t := st.ParamSteps[name]
		if !validName(name) {
			return bad("invalid parameter name %q", name)
		}
		if t < 0 || t > st.Step {
			return bad("parameter %s has %d updates, outside [0, %d]", name, t, st.Step)
		}
		p := &param{name: name, decay: s.opts.decays(name), t: t}
		for _, slot := range names {
			key := slot + "/" + name
			data, ok := st.Slots[key]
			if !ok {
				return bad("missing slot %s", key)
			}
			if len(p.slots) > 0 && len(data) != len(p.slots[0]) {
				return bad("slot %s has %d elements, %s/%s has %d", key, len(data), names[0], name, len(p.slots[0]))
			}
			p.slots = append(p.slots, append([]float32(nil), data...))
		}
		params[name] = p
	}
	if err := s.checkSlotKeys(st, params); err != nil {
		return err
	}
	s.params, s.step, s.lr = params, st.Step, st.LR
	s.batch = make([]*param, 0, len(params))
	return nil
}

// checkSlotKeys reports the first (sorted) slot key of st that the solver
// would not use.
func (s *solver) checkSlotKeys(st State, params map[string]*param) error {
	keys := make([]string, 0, len(st.Slots))
	for key := range st.Slots {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	names := s.opts.slotNames()
	for _, key := range keys {
		slot, name, _ := strings.Cut(key, "/")
		known := false
		for _, n := range names {
			known = known || n == slot
		}
		if !known || params[name] == nil {
			return fmt.Errorf("optim: SetState (%s): %w: unexpected slot %s (solver keeps %q per parameter)", s.opts.Algorithm, ErrState, key, names)
		}
	}
	return nil
}
