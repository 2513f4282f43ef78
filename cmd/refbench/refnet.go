package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"branchspec/configs"
	"branchspec/results/npy"
	"branchspec/trainer"
	"branchspec/trainer/optim"
)

// The benchmark's batches: classes and the number of distinct batches the
// steps cycle through.
const (
	classes  = 10
	nBatches = 4
)

// Adam's settings of the reference net (torch.optim.Adam's defaults, lr
// 1e-3).
const (
	adamLR    = 1e-3
	adamBeta1 = 0.9
	adamBeta2 = 0.999
	adamEps   = 1e-8
)

// refNet is one net refbench trains on both sides: its branchspec config,
// its batch size, the scale of its random input batches and its solver.
type refNet struct {
	// name is how torch_ref.py knows the net.
	name string
	// title describes it in refbench's output.
	title string
	batch int
	// inputStd is the standard deviation of the batches' normal inputs:
	// 1 for the reference net; 64 for cifar10-alexnet, whose input is the
	// mean-subtracted image in pixel levels (CIFAR-10's pixel standard
	// deviation is about 64).
	inputStd float64
	opt      optim.Options
	config   func() (*configs.Config, error)
}

// refNets are the nets refbench times, the harder one last.
var refNets = []refNet{
	{
		name:     "reference",
		title:    "reference net (conv 3->32 pool 2, two branches of two 32->32 convs, pool 2, linear), batch 64, Adam",
		batch:    64,
		inputStd: 1,
		opt:      optim.Options{Algorithm: optim.Adam, LR: adamLR, Beta1: adamBeta1, Beta2: adamBeta2, Eps: adamEps},
		config:   func() (*configs.Config, error) { return refConfig(), nil },
	},
	{
		name: "cifar10-alexnet",
		title: "cifar10-alexnet (two towers: conv 7x7/2 16, LRN, pool 3/2, conv 5x5 32, LRN, pool 3/2; " +
			"conv 3x3 64; global average pool; linear), batch 128, SGD momentum 0.9, weight decay 5e-4",
		batch:    128,
		inputStd: 64,
		opt:      optim.Options{Algorithm: optim.SGD, LR: 0.01, Momentum: 0.9, WeightDecay: 5e-4},
		config:   func() (*configs.Config, error) { return configs.Preset("cifar10-alexnet") },
	},
}

// netNamed returns the refNet called name.
func netNamed(name string) (refNet, error) {
	for _, n := range refNets {
		if n.name == name {
			return n, nil
		}
	}
	return refNet{}, fmt.Errorf("refbench: no net %q", name)
}

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
	o.BatchSize = 64
	return cfg
}

// meta is the benchmark's description that torch_ref.py reads.
type meta struct {
	Net         string   `json:"net"`
	Params      []string `json:"params"`
	Batches     int      `json:"batches"`
	Batch       int      `json:"batch"`
	Algorithm   string   `json:"algorithm"`
	LR          float64  `json:"lr"`
	Momentum    float64  `json:"momentum"`
	WeightDecay float64  `json:"weight_decay"`
	Beta1       float64  `json:"beta1"`
	Beta2       float64  `json:"beta2"`
	Eps         float64  `json:"eps"`
}

// writeInputs writes into dir the initial weights of net, as branchspec
// draws them from rng for its config (the reference net: He normal, std
// sqrt(2/fan_in); cifar10-alexnet: N(0, 0.01^2) weights, zero biases), in
// parameter order; nBatches batches of normal images x.I.npy (std
// net.inputStd) and uniform labels y.I.npy (class indices as float32); and
// meta.json.
func writeInputs(dir string, net refNet, rng *rand.Rand) error {
	cfg, err := net.config()
	if err != nil {
		return err
	}
	model, err := trainer.NewModel(cfg, rng)
	if err != nil {
		return err
	}
	o := net.opt
	m := meta{Net: net.name, Batches: nBatches, Batch: net.batch, Algorithm: o.Algorithm, LR: o.LR,
		Momentum: o.Momentum, WeightDecay: o.WeightDecay, Beta1: o.Beta1, Beta2: o.Beta2, Eps: o.Eps}
	for _, p := range model.Params() {
		if err := writeNpy(dir, p.Name, p.Shape, p.Data()); err != nil {
			return err
		}
		m.Params = append(m.Params, p.Name)
	}
	c, h, w := model.InputShape()
	for b := 0; b < nBatches; b++ {
		xs := []int{net.batch, c, h, w}
		if err := writeNpy(dir, fmt.Sprintf("x.%d", b), xs, normal(rng, size(xs), net.inputStd)); err != nil {
			return err
		}
		y := make([]float32, net.batch)
		for i := range y {
			y[i] = float32(rng.IntN(classes))
		}
		if err := writeNpy(dir, fmt.Sprintf("y.%d", b), []int{net.batch}, y); err != nil {
			return err
		}
	}
	text, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "meta.json"), text, 0o644)
}

// readMeta reads dir's meta.json.
func readMeta(dir string) (meta, error) {
	var m meta
	b, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("refbench: %s: %w", filepath.Join(dir, "meta.json"), err)
	}
	return m, nil
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
