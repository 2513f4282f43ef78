package optim

import (
	"fmt"
	"math"
	"slices"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Solver is a gorgonia solver whose state can be saved and restored exactly.
//
// Step updates every parameter's value in place (the graph keeps using the
// same tensor). Each ValueGrad must be a named node (anything with a
// Name() string method, such as *gorgonia.Node) whose value and gradient are
// float32 *tensor.Dense of equal length. Names must be made of letters,
// digits, '.', '_' and '-'; gorgonia's generated names for unnamed nodes are
// rejected. The first Step (or a SetState holding parameters) fixes the set of
// names; every later Step must pass exactly that set, in any order. Step
// checks all parameters before it changes any, so an error leaves values,
// gradients and state untouched. After a successful Step every gradient passed
// is zero, frozen parameters' included, as gorgonia's own solvers leave them:
// a TapeMachine adds into the gradients of dual values instead of overwriting
// them. Once the parameters are known, Step allocates nothing.
//
// A Solver is not safe for concurrent use.
type Solver interface {
	G.Solver
	// SetLR sets the learning rate used by the following Steps.
	SetLR(lr float64)
	// LR returns the current learning rate.
	LR() float64
	// SetFrozen installs a predicate consulted for every parameter at every
	// Step; nil (the default) freezes nothing. A frozen parameter is not
	// updated, and its slots and its step count do not advance. The
	// predicate is not part of State: it is the caller's schedule.
	SetFrozen(frozen func(name string) bool)
	// SetParallel makes the following Steps update the elements of the
	// parameters (all of them laid end to end, n in all) in pieces [lo, hi)
	// that run calls f on, possibly at once on several goroutines, each
	// element in exactly one piece; nil (the default) updates them all on
	// the calling goroutine. Every element's update reads only that
	// element, so the pieces change no bit.
	SetParallel(run func(n int, f func(lo, hi int)))
	// State returns a deep copy of the full state.
	State() State
	// SetState replaces the state with a deep copy of st. It returns an error
	// wrapping ErrState, and changes nothing, when st does not fit.
	SetState(st State) error
}

// param is the solver's record of one parameter.
type param struct {
	name  string
	decay bool
	// t counts the updates applied to this parameter (Adam's bias
	// correction exponent).
	t int
	// slots holds the algorithm's per-element state, in the order of
	// Options.slotNames.
	slots [][]float32
	// seen is the Step generation that last bound this parameter; it detects
	// repeated names without allocating.
	seen uint64
	// w and g are bound for the duration of one Step.
	w, g []float32
	// active is whether this Step updates the parameter (not frozen).
	active bool
}

// solver implements Solver for every algorithm; the update rules live in
// sgd.go and adam.go.
type solver struct {
	opts   Options
	lr     float64
	step   int
	frozen func(string) bool
	params map[string]*param
	gen    uint64
	batch  []*param
	// starts[i] is the first element of batch[i] with the parameters laid
	// end to end; starts[len(batch)] is their total.
	starts []int
	run    func(n int, f func(lo, hi int)) // SetParallel's; nil runs inline
	update func(lo, hi int)                // s.updateRange, made once
}

var _ Solver = (*solver)(nil)

// New returns a solver for o, or an error wrapping [ErrOptions].
func New(o Options) (Solver, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	s := &solver{opts: o, lr: o.LR, params: map[string]*param{}}
	s.update = s.updateRange
	return s, nil
}

func (s *solver) SetLR(lr float64)                        { s.lr = lr }
func (s *solver) LR() float64                             { return s.lr }
func (s *solver) SetFrozen(frozen func(name string) bool) { s.frozen = frozen }
func (s *solver) SetParallel(run func(n int, f func(lo, hi int))) {
	s.run = run
}

// Step applies one update to every parameter that is not frozen, then zeroes
// every gradient.
func (s *solver) Step(vgs []G.ValueGrad) error {
	if !(s.lr >= 0) || math.IsInf(s.lr, 0) {
		return fmt.Errorf("optim: step %d: %w: learning rate %v", s.step, ErrOptions, s.lr)
	}
	if len(s.params) == 0 {
		if err := s.register(vgs); err != nil {
			return err
		}
	}
	if err := s.bind(vgs); err != nil {
		return err
	}
	s.starts = s.starts[:0]
	total := 0
	for _, p := range s.batch {
		p.active = s.frozen == nil || !s.frozen(p.name)
		if p.active {
			p.t++
		}
		s.starts = append(s.starts, total)
		total += len(p.w)
	}
	s.starts = append(s.starts, total)
	if s.run == nil {
		s.update(0, total)
	} else {
		s.run(total, s.update)
	}
	for _, p := range s.batch {
		p.w, p.g = nil, nil
	}
	s.step++
	return nil
}

// updateRange updates the elements [lo, hi) of the bound parameters laid
// end to end (s.starts), the active ones by the algorithm's rule, and
// zeroes their gradients.
func (s *solver) updateRange(lo, hi int) {
	lr := float32(s.lr)
	i, _ := slices.BinarySearch(s.starts, lo)
	if i == len(s.starts) || s.starts[i] > lo {
		i--
	}
	for ; i < len(s.batch) && s.starts[i] < hi; i++ {
		p, start := s.batch[i], s.starts[i]
		a, b := max(lo, start)-start, min(hi, s.starts[i+1])-start
		if p.active {
			if s.opts.Algorithm == Adam {
				s.adamUpdate(p, lr, a, b)
			} else {
				s.sgdUpdate(p, lr, a, b)
			}
		}
		clear(p.g[a:b])
	}
}

// register creates the records of the parameters of the first Step.
func (s *solver) register(vgs []G.ValueGrad) error {
	params := make(map[string]*param, len(vgs))
	for _, vg := range vgs {
		name, err := paramName(vg)
		if err != nil {
			return err
		}
		if !validName(name) {
			return fmt.Errorf("optim: register (%q): %w: want a name of letters, digits, '.', '_' or '-' (is the node unnamed?)", name, ErrParams)
		}
		if params[name] != nil {
			return fmt.Errorf("optim: register (%s): %w: name repeated", name, ErrParams)
		}
		w, _, err := values(name, vg)
		if err != nil {
			return err
		}
		p := &param{name: name, decay: s.opts.decays(name)}
		for range s.opts.slotNames() {
			p.slots = append(p.slots, make([]float32, len(w)))
		}
		params[name] = p
	}
	s.params = params
	s.batch = make([]*param, 0, len(params))
	return nil
}

// bind checks vgs against the known parameters and binds their data.
func (s *solver) bind(vgs []G.ValueGrad) error {
	s.gen++
	s.batch = s.batch[:0]
	for _, vg := range vgs {
		name, err := paramName(vg)
		if err != nil {
			return err
		}
		p := s.params[name]
		if p == nil {
			return fmt.Errorf("optim: step %d (%s): %w: not among the solver's %d parameters", s.step, name, ErrParams, len(s.params))
		}
		if p.seen == s.gen {
			return fmt.Errorf("optim: step %d (%s): %w: name repeated", s.step, name, ErrParams)
		}
		p.seen = s.gen
		w, g, err := values(name, vg)
		if err != nil {
			return err
		}
		for i, slot := range p.slots {
			if len(slot) != len(w) {
				return fmt.Errorf("optim: step %d (%s): %w: value has %d elements, slot %s/%s has %d",
					s.step, name, ErrParams, len(w), s.opts.slotNames()[i], name, len(slot))
			}
		}
		p.w, p.g = w, g
		s.batch = append(s.batch, p)
	}
	if len(s.batch) != len(s.params) {
		return fmt.Errorf("optim: step %d (%s): %w: parameter missing from Step", s.step, s.firstUnseen(), ErrParams)
	}
	return nil
}

// firstUnseen returns the smallest name not bound in the current generation.
func (s *solver) firstUnseen() string {
	first := ""
	for name, p := range s.params {
		if p.seen != s.gen && (first == "" || name < first) {
			first = name
		}
	}
	return first
}

// paramName returns vg's name, or an error when it has none.
func paramName(vg G.ValueGrad) (string, error) {
	n, ok := vg.(G.Namer)
	if !ok {
		return "", fmt.Errorf("optim: %w: %T has no Name method", ErrParams, vg)
	}
	return n.Name(), nil
}

// validName reports whether name is a non-empty run of letters, digits, '.',
// '_' and '-'. Slot keys are "SLOT/NAME", so names cannot hold '/'.
func validName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
		if !ok {
			return false
		}
	}
	return true
}

// values returns the float32 data behind vg's value and gradient.
func values(name string, vg G.ValueGrad) (w, g []float32, err error) {
	if w, err = float32s(vg.Value()); err != nil {
		return nil, nil, fmt.Errorf("optim: value (%s): %w: %v", name, ErrParams, err)
	}
	gv, err := vg.Grad()
	if err != nil {
		return nil, nil, fmt.Errorf("optim: grad (%s): %w: %v", name, ErrParams, err)
	}
	if g, err = float32s(gv); err != nil {
		return nil, nil, fmt.Errorf("optim: grad (%s): %w: %v", name, ErrParams, err)
	}
	if len(w) != len(g) {
		return nil, nil, fmt.Errorf("optim: grad (%s): %w: value has %d elements, gradient %d", name, ErrParams, len(w), len(g))
	}
	return w, g, nil
}

// float32s returns the backing slice of a float32 *tensor.Dense.
func float32s(v G.Value) ([]float32, error) {
	d, ok := v.(*tensor.Dense)
	if !ok {
		return nil, fmt.Errorf("want *tensor.Dense, got %T", v)
	}
	if d.Dtype() != tensor.Float32 {
		return nil, fmt.Errorf("want float32, got %v", d.Dtype())
	}
	if d.IsMaterializable() {
		return nil, fmt.Errorf("tensor is a view; want contiguous storage")
	}
	return d.Float32s(), nil
}
