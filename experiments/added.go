package experiments

import (
	"encoding/json"
	"fmt"
	"math"

	"branchspec/metrics"
	"branchspec/results"
	"branchspec/trainer/data"
)

// AddedChroma returns, per branch in branch order, the mean chroma of what
// training added to the first layer between the run's checkpoints at
// steps from and to (both must keep weights): for each unit the chroma of
// w_to - w_from along the run's luminance axis (metrics.ChromaAlong,
// science.md "Measuring what training adds"), averaged over the branch's
// units that moved. With from = 0 it is dchroma.bB at step to; with from a
// fork's first step it is what training added after the fork, apart from
// a bias planted there.
func AddedChroma(dir string, from, to int) ([]float64, error) {
	run, err := results.Open(dir, nil)
	if err != nil {
		return nil, err
	}
	lum, err := storedLuminanceAxis(run)
	if err != nil {
		return nil, fmt.Errorf("added chroma (%s): %w", dir, err)
	}
	m0, _, err := checkpointModel(dir, from, nil)
	if err != nil {
		return nil, fmt.Errorf("added chroma (%s) from step %d: %w", dir, from, err)
	}
	m1, _, err := checkpointModel(dir, to, nil)
	if err != nil {
		return nil, fmt.Errorf("added chroma (%s) to step %d: %w", dir, to, err)
	}
	k0, k1 := m0.FirstKernels(), m1.FirstKernels()
	if k1[0].Branch < 0 || k1[0].In != 3 {
		return nil, fmt.Errorf("added chroma (%s): the branches do not read the RGB image", dir)
	}
	out := make([]float64, len(k1))
	for b, k := range k1 {
		size := k.In * k.Kernel * k.Kernel
		sum, n := 0.0, 0
		for o := range k.Out {
			dw := metrics.Delta(k.W[o*size:(o+1)*size], k0[b].W[o*size:(o+1)*size])
			if c := metrics.ChromaAlong(dw, k.Kernel, lum); !math.IsNaN(c) {
				sum, n = sum+c, n+1
			}
		}
		out[b] = sum / float64(n) // NaN when no unit moved
	}
	return out, nil
}

// storedLuminanceAxis is the luminance axis of the run's input space
// (metrics.LuminanceAxis of InputGain) from the preprocessing stored with
// the run, without reading its data.
func storedLuminanceAxis(run *results.Run) ([3]float64, error) {
	info, err := run.Info()
	if err != nil {
		return [3]float64{}, err
	}
	set := &data.Set{}
	if blob, ok := info.Blobs[blobPreprocess]; ok {
		var p data.Preprocess
		if err := json.Unmarshal(blob, &p); err != nil {
			return [3]float64{}, fmt.Errorf("stored preprocessing: %w", err)
		}
		set.Pre = &p
	}
	return metrics.LuminanceAxis(InputGain(set)), nil
}
