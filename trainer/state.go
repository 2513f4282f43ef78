package trainer

import (
	"fmt"
	"slices"

	"branchspec/trainer/data"
	"branchspec/trainer/optim"
)

// Tensor is a named float32 tensor, as saved in a checkpoint or exported.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

// State is everything a bit-identical resume needs. Every RNG stream of a
// run is a pure function of the seed and a counter held here (the step and
// the data order's epoch and position), so no generator state is stored.
type State struct {
	Step    int
	Weights []Tensor
	Solver  optim.State
	Order   data.OrderState
	Window  Window
	GradSq  []float64
	GradN   int
}

// State returns a deep copy of the trainer's state.
func (t *Trainer) State() *State {
	s := &State{
		Step:   t.step,
		Solver: t.solver.State(),
		Order:  t.order.State(),
		Window: t.window,
		GradSq: slices.Clone(t.gradSq),
		GradN:  t.gradN,
	}
	s.Weights = t.model.Weights()
	return s
}

// Weights returns a copy of every parameter, in parameter order.
func (m *Model) Weights() []Tensor {
	ws := make([]Tensor, len(m.params))
	for i, p := range m.params {
		ws[i] = Tensor{Name: p.Name, Shape: slices.Clone(p.Shape), Data: slices.Clone(p.Data())}
	}
	return ws
}

// SetWeights copies ws into the model's parameters; names and shapes must
// match exactly.
func (m *Model) SetWeights(ws []Tensor) error {
	if len(ws) != len(m.params) {
		return fmt.Errorf("trainer: checkpoint has %d tensors, model has %d", len(ws), len(m.params))
	}
	for i, w := range ws {
		p := m.params[i]
		if w.Name != p.Name || !slices.Equal(w.Shape, p.Shape) {
			return fmt.Errorf("trainer: checkpoint tensor %d is %s%v, model expects %s%v", i, w.Name, w.Shape, p.Name, p.Shape)
		}
		copy(p.Data(), w.Data)
	}
	return nil
}

// Restore sets the trainer to s.
func (t *Trainer) Restore(s *State) error {
	if err := t.model.SetWeights(s.Weights); err != nil {
		return err
	}
	if err := t.solver.SetState(s.Solver); err != nil {
		return fmt.Errorf("trainer: restore solver: %w", err)
	}
	if err := t.order.SetState(s.Order); err != nil {
		return fmt.Errorf("trainer: restore data order: %w", err)
	}
	if len(s.GradSq) != len(t.gradSq) {
		return fmt.Errorf("trainer: checkpoint has gradient sums for %d branches, model has %d", len(s.GradSq), len(t.gradSq))
	}
	t.step, t.window, t.gradN = s.Step, s.Window, s.GradN
	copy(t.gradSq, s.GradSq)
	return nil
}
