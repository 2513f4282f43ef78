package experiments

import (
	"errors"
	"fmt"

	"branchspec/metrics"
	"branchspec/results"
	"branchspec/trainer"
)

// errOneBranch is returned by RejoinMatrix for a run with one branch.
var errOneBranch = errors.New("1 branch, nothing to rejoin")

// WeightSteps returns the steps of the run's checkpoints that still hold
// weights, ascending.
func WeightSteps(dir string) ([]int, error) {
	run, err := results.Open(dir, nil)
	if err != nil {
		return nil, err
	}
	infos, err := run.Checkpoints()
	if err != nil {
		return nil, err
	}
	var steps []int
	for _, in := range infos {
		if in.HasWeights {
			steps = append(steps, in.Step)
		}
	}
	return steps, nil
}

// checkpointAt returns the run's checkpoint at step, or its latest for a
// negative step.
func checkpointAt(run *results.Run, step int) (*results.Checkpoint, error) {
	if step < 0 {
		return run.Latest()
	}
	return run.Checkpoint(step)
}

// checkpointModel loads the run's model holding its weights at step (the
// latest checkpoint when step < 0), and the step read.
func checkpointModel(dir string, step int, opts *results.Options) (*trainer.Model, int, error) {
	run, err := results.Open(dir, opts)
	if err != nil {
		return nil, 0, err
	}
	cfg, err := RunConfig(run)
	if err != nil {
		return nil, 0, err
	}
	ck, err := checkpointAt(run, step)
	if err != nil {
		return nil, 0, err
	}
	m, err := trainer.LoadModel(cfg, tensorsOf(ck.Weights))
	if err != nil {
		return nil, 0, fmt.Errorf("step %d: %w", ck.Step, err)
	}
	return m, ck.Step, nil
}

func tensorsOf(ts []results.Tensor) []trainer.Tensor {
	ws := make([]trainer.Tensor, len(ts))
	for i, t := range ts {
		ws[i] = trainer.Tensor{Name: t.Name, Shape: t.Shape, Data: t.Data}
	}
	return ws
}

// FirstLayerKernels returns the weights [out, c, k, k] of the first conv
// that reads the image, one block per branch in aligned slot order
// (order[s] is the branch in slot s, as LoadedRun.Order; nil keeps the
// branch order), at step (the latest checkpoint when step < 0), with the
// step read. With a shared stem there is one block: the stem's first
// layer (trainer.Model.FirstKernels). The blocks suit figures.KernelGrid.
func FirstLayerKernels(dir string, step int, order []int) (blocks [][]float32, c, k, at int, err error) {
	return firstLayerKernels(dir, step, order, false, nil)
}

// firstLayerKernels is FirstLayerKernels reading with opts; with learned,
// each block is what training added, w_t - w_0, against the run's stored
// origin (science.md, "Measuring what training adds").
func firstLayerKernels(dir string, step int, order []int, learned bool, opts *results.Options) (blocks [][]float32, c, k, at int, err error) {
	m, at, err := checkpointModel(dir, step, opts)
	if err != nil {
		return nil, 0, 0, 0, fmt.Errorf("first-layer kernels (%s): %w", dir, err)
	}
	ks := m.FirstKernels()
	if learned {
		if ks, err = learnedKernels(dir, ks, opts); err != nil {
			return nil, 0, 0, 0, fmt.Errorf("first-layer kernels (%s): %w", dir, err)
		}
	}
	if len(ks) == len(order) {
		aligned := make([]trainer.Kernels, len(ks))
		for s, b := range order {
			aligned[s] = ks[b]
		}
		ks = aligned
	}
	for _, kk := range ks {
		blocks = append(blocks, kk.W)
	}
	return blocks, ks[0].In, ks[0].Kernel, at, nil
}

// RejoinMatrix returns the dependency matrix A[o][s] of the first layer
// after the concat on the branches (metrics.RejoinDependency: each
// output's share of L1 weight reading branch s), at step (the latest
// checkpoint when step < 0), with columns in aligned slot order (order as
// in FirstLayerKernels), and the step read. The layer is the one the
// rejoin.maxshare metric reads (trainer.Model.Rejoin). A run with one
// branch is an error.
func RejoinMatrix(dir string, step int, order []int) (A [][]float64, at int, err error) {
	m, at, err := checkpointModel(dir, step, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("rejoin matrix (%s): %w", dir, err)
	}
	r := m.Rejoin()
	if r.Branches < 2 {
		return nil, at, fmt.Errorf("rejoin matrix (%s): %w", dir, errOneBranch)
	}
	A, _, _ = metrics.RejoinDependency(r.W, r.Out, r.In, r.Taps, r.Groups, r.Branches)
	if len(order) == r.Branches {
		for o, row := range A {
			aligned := make([]float64, r.Branches)
			for s, b := range order {
				aligned[s] = row[b]
			}
			A[o] = aligned
		}
	}
	return A, at, nil
}

// learnedKernels returns ks less the same kernels at the run's origin w_0
// (results.Origin) of the run in dir.
func learnedKernels(dir string, ks []trainer.Kernels, opts *results.Options) ([]trainer.Kernels, error) {
	run, err := results.Open(dir, opts)
	if err != nil {
		return nil, err
	}
	cfg, err := RunConfig(run)
	if err != nil {
		return nil, err
	}
	o, err := run.Origin()
	if err != nil {
		return nil, err
	}
	if o.Weights == nil {
		return nil, fmt.Errorf("the run stores no initial weights w_0 to subtract ('branchspec analyze %s' stores them)", dir)
	}
	m0, err := trainer.LoadModel(cfg, tensorsOf(o.Weights))
	if err != nil {
		return nil, fmt.Errorf("initial weights: %w", err)
	}
	k0 := m0.FirstKernels()
	out := make([]trainer.Kernels, len(ks))
	for b, kk := range ks {
		d := make([]float32, len(kk.W))
		for i, w := range kk.W {
			d[i] = w - k0[b].W[i]
		}
		out[b] = kk
		out[b].W = d
	}
	return out, nil
}
