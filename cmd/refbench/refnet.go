package main

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"branchspec/configs"
	"branchspec/results/npy"
)

// Shape of the benchmark: batch size, classes and the number of distinct
// batches the steps cycle through.
const (
	batchSize = 64
	classes   = 10
	nBatches  = 4
)

// Adam's settings on both sides (torch.optim.Adam's defaults, lr 1e-3).
const (
	adamLR    = 1e-3
	adamBeta1 = 0.9
	adamBeta2 = 0.999
	adamEps   = 1e-8
)

// refConfig returns the reference net as a branchspec config: a 3x3x32
// stem with pool 2, two branches of two 3x3x32 convs (the second pooled),
// no trunk, no hidden layer, no biases, 10 synthetic classes (2 forms x 5
// hues), batch 64, Adam without weight decay.
func refConfig() *configs.Config {
	cfg := configs.Defaults()
	cfg.Name = "refbench"
	cfg.Data.Synthetic.Forms, cfg.Data.Synthetic.Hues, cfg.Data.Synthetic.Size = 2, 5, 32
	m := &cfg.Model
	m.Branches = 2
	m.Stem = []configs.Layer{{Out: 32, Kernel: 3, Pool: 2}}
	m.Branch = []configs.Layer{{Out: 32, Kernel: 3}, {Out: 32, Kernel: 3, Pool: 2}}
	m.PerBranch = nil
	m.Trunk = nil
	m.Hidden = nil
	m.Bias = false
	o := &cfg.Optim
	o.Algorithm, o.LR, o.Beta1, o.Beta2, o.Eps, o.WeightDecay = "adam", adamLR, adamBeta1, adamBeta2, adamEps, 0
	o.BatchSize = batchSize
	return cfg
}

// refParams lists the reference net's weights in the order both sides use.
var refParams = []struct {
	name  string
	shape []int
}{
	{"stem.0.w", []int{32, 3, 3, 3}},
	{"branch.0.0.w", []int{32, 32, 3, 3}},
	{"branch.0.1.w", []int{32, 32, 3, 3}},
	{"branch.1.0.w", []int{32, 32, 3, 3}},
	{"branch.1.1.w", []int{32, 32, 3, 3}},
	{"out.w", []int{10, 4096}},
}

// meta is the benchmark's description that torch_ref.py reads.
type meta struct {
	Params  []string `json:"params"`
	Batches int      `json:"batches"`
	LR      float64  `json:"lr"`
	Beta1   float64  `json:"beta1"`
	Beta2   float64  `json:"beta2"`
	Eps     float64  `json:"eps"`
}

// writeInputs writes into dir the initial weights (He normal: std
// sqrt(2/fan_in)), nBatches batches of standard normal images x.I.npy and
// uniform labels y.I.npy (class indices as float32), and meta.json, all
// drawn from rng.
func writeInputs(dir string, rng *rand.Rand) error {
	m := meta{Batches: nBatches, LR: adamLR, Beta1: adamBeta1, Beta2: adamBeta2, Eps: adamEps}
	for _, p := range refParams {
		fanIn := 1
		for _, s := range p.shape[1:] {
			fanIn *= s
		}
		std := math.Sqrt(2 / float64(fanIn))
		if err := writeNpy(dir, p.name, p.shape, normal(rng, size(p.shape), std)); err != nil {
			return err
		}
		m.Params = append(m.Params, p.name)
	}
	for b := 0; b < nBatches; b++ {
		xs := []int{batchSize, 3, 32, 32}
		if err := writeNpy(dir, fmt.Sprintf("x.%d", b), xs, normal(rng, size(xs), 1)); err != nil {
			return err
		}
		y := make([]float32, batchSize)
		for i := range y {
			y[i] = float32(rng.IntN(classes))
		}
		if err := writeNpy(dir, fmt.Sprintf("y.%d", b), []int{batchSize}, y); err != nil {
			return err
		}
	}
	text, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "meta.json"), text, 0o644)
}

func size(shape []int) int {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return n
}

func normal(rng *rand.Rand, n int, std float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(std * rng.NormFloat64())
	}
	return v
}

func writeNpy(dir, name string, shape []int, data []float32) error {
	f, err := os.Create(filepath.Join(dir, name+".npy"))
	if err != nil {
		return err
	}
	if err := npy.Write(f, shape, data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	return f.Close()
}

func readNpy(dir, name string) ([]int, []float32, error) {
	f, err := os.Open(filepath.Join(dir, name+".npy"))
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	shape, data, err := npy.Read(f)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", name, err)
	}
	return shape, data, nil
}
