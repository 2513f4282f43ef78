package experiments

import (
	"fmt"

	"branchspec/metrics"
	"branchspec/results"
	"branchspec/trainer"
)

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

// checkpointWeights loads the run's architecture and its weights at step
// (the latest checkpoint when step < 0), by tensor name.
func checkpointWeights(dir string, step int) (*trainer.Arch, map[string][]float32, int, error) {
	run, err := results.Open(dir, nil)
	if err != nil {
		return nil, nil, 0, err
	}
	cfg, err := RunConfig(run)
	if err != nil {
		return nil, nil, 0, err
	}
	arch, err := trainer.NewArch(cfg)
	if err != nil {
		return nil, nil, 0, err
	}
	var ck *results.Checkpoint
	if step < 0 {
		ck, err = run.Latest()
	} else {
		ck, err = run.Checkpoint(step)
	}
	if err != nil {
		return nil, nil, 0, err
	}
	w := make(map[string][]float32, len(ck.Weights))
	for _, t := range ck.Weights {
		w[t.Name] = t.Data
	}
	return arch, w, ck.Step, nil
}

// FirstLayerKernels returns the weights [out, c, k, k] of the first conv
// that reads the image, one block per branch in aligned slot order
// (order[s] is the branch in slot s, as LoadedRun.Order; nil keeps the
// branch order), at step (the latest checkpoint when step < 0), with the
// step read. With a shared stem there is one block: the stem's first
// layer. The blocks suit figures.KernelGrid.
func FirstLayerKernels(dir string, step int, order []int) (blocks [][]float32, c, k, at int, err error) {
	arch, w, at, err := checkpointWeights(dir, step)
	if err != nil {
		return nil, 0, 0, 0, fmt.Errorf("first-layer kernels (%s): %w", dir, err)
	}
	convs := arch.FirstRGBConvs()
	if len(convs) == len(order) {
		aligned := make([]trainer.Conv, len(convs))
		for s, b := range order {
			aligned[s] = convs[b]
		}
		convs = aligned
	}
	for _, cv := range convs {
		d, ok := w[cv.Name+".w"]
		if !ok {
			return nil, 0, 0, 0, fmt.Errorf("first-layer kernels (%s): step %d lacks %s.w", dir, at, cv.Name)
		}
		blocks = append(blocks, d)
	}
	return blocks, convs[0].In, convs[0].K, at, nil
}

// RejoinMatrix returns the dependency matrix A[o][s] of the first layer
// after the concat on the branches (metrics.RejoinDependency: each
// output's share of L1 weight reading branch s), at step (the latest
// checkpoint when step < 0), with columns in aligned slot order (order as
// in FirstLayerKernels), and the step read. The layer is the first trunk
// conv, or else the first fully connected layer (hidden.0, or out), as in
// the rejoin.maxshare metric. A run with one branch is an error.
func RejoinMatrix(dir string, step int, order []int) (A [][]float64, at int, err error) {
	arch, w, at, err := checkpointWeights(dir, step)
	if err != nil {
		return nil, 0, fmt.Errorf("rejoin matrix (%s): %w", dir, err)
	}
	nb := len(arch.Branches)
	if nb < 2 {
		return nil, at, fmt.Errorf("rejoin matrix (%s): %d branch, nothing to rejoin", dir, nb)
	}
	name, out, taps := rejoinLayerOf(arch)
	var groups []int
	for b, ch := range arch.RejoinChannels {
		for range ch {
			groups = append(groups, b)
		}
	}
	wt, ok := w[name+".w"]
	if !ok || len(wt) != out*len(groups)*taps {
		return nil, at, fmt.Errorf("rejoin matrix (%s): step %d: no %s.w of %dx%dx%d", dir, at, name, out, len(groups), taps)
	}
	A, _, _ = metrics.RejoinDependency(wt, out, len(groups), taps, groups, nb)
	if len(order) == nb {
		for o, row := range A {
			aligned := make([]float64, nb)
			for s, b := range order {
				aligned[s] = row[b]
			}
			A[o] = aligned
		}
	}
	return A, at, nil
}

// rejoinLayerOf names the first layer after the concat, its outputs and
// taps per input channel: a trunk conv reads K*K taps per channel, a
// linear layer after the flatten reads the channel's H*W pixels.
func rejoinLayerOf(a *trainer.Arch) (name string, out, taps int) {
	if len(a.Trunk) > 0 {
		cv := a.Trunk[0]
		return cv.Name, cv.Out, cv.K * cv.K
	}
	if len(a.Hidden) > 0 {
		return a.Hidden[0].Name, a.Hidden[0].Out, a.RejoinH * a.RejoinW
	}
	return a.Out.Name, a.Out.Out, a.RejoinH * a.RejoinW
}
