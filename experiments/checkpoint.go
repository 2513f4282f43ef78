package experiments

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"branchspec/results"
	"branchspec/trainer"
	"branchspec/trainer/optim"
)

// checkpointFormat versions the blobs below; a checkpoint of another format
// is refused rather than misread.
const checkpointFormat = "1"

// solverMeta is the solver state that is not a per-element slot.
type solverMeta struct {
	Algorithm  string
	Step       int
	LR         float64
	ParamSteps map[string]int
}

type gradMeta struct {
	Sq []float64
	N  int
}

// encodeState turns a trainer state into a checkpoint: weights and solver
// slots as tensors, the rest as JSON blobs (Go's JSON writes float64 in the
// shortest form that reads back to the same bits).
func encodeState(s *trainer.State, now time.Time) (*results.Checkpoint, error) {
	ck := &results.Checkpoint{Step: s.Step, Time: now, Blobs: map[string][]byte{"format": []byte(checkpointFormat)}}
	for _, w := range s.Weights {
		ck.Weights = append(ck.Weights, results.Tensor{Name: w.Name, Shape: w.Shape, Data: w.Data})
	}
	keys := make([]string, 0, len(s.Solver.Slots))
	for k := range s.Solver.Slots {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		d := s.Solver.Slots[k]
		ck.Solver = append(ck.Solver, results.Tensor{Name: k, Shape: []int{len(d)}, Data: d})
	}
	blobs := map[string]any{
		"solver": solverMeta{s.Solver.Algorithm, s.Solver.Step, s.Solver.LR, s.Solver.ParamSteps},
		"order":  s.Order,
		"window": s.Window,
		"grad":   gradMeta{s.GradSq, s.GradN},
	}
	for name, v := range blobs {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("encode checkpoint %s: %w", name, err)
		}
		ck.Blobs[name] = b
	}
	return ck, nil
}

// decodeState is the inverse of encodeState.
func decodeState(ck *results.Checkpoint) (*trainer.State, error) {
	if f := string(ck.Blobs["format"]); f != checkpointFormat {
		return nil, fmt.Errorf("checkpoint format %q, this program reads %q", f, checkpointFormat)
	}
	s := &trainer.State{Step: ck.Step}
	for _, w := range ck.Weights {
		s.Weights = append(s.Weights, trainer.Tensor{Name: w.Name, Shape: w.Shape, Data: w.Data})
	}
	var sm solverMeta
	var gm gradMeta
	for name, dst := range map[string]any{"solver": &sm, "order": &s.Order, "window": &s.Window, "grad": &gm} {
		b, ok := ck.Blobs[name]
		if !ok {
			return nil, fmt.Errorf("checkpoint lacks %q", name)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			return nil, fmt.Errorf("checkpoint %s: %w", name, err)
		}
	}
	s.Solver = optim.State{Algorithm: sm.Algorithm, Step: sm.Step, LR: sm.LR, ParamSteps: sm.ParamSteps,
		Slots: make(map[string][]float32, len(ck.Solver))}
	for _, t := range ck.Solver {
		s.Solver.Slots[t.Name] = t.Data
	}
	s.GradSq, s.GradN = gm.Sq, gm.N
	return s, nil
}
