package trainer

import (
	"math/rand/v2"
	"slices"
	"testing"

	"branchspec/configs"
	"branchspec/trainer/data"
)

// presetModel is the tiny preset's model (two branches reading the image,
// a trunk conv) with the overrides sets.
func presetModel(t *testing.T, sets ...string) (*configs.Config, *Model) {
	t.Helper()
	cfg, err := configs.Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.SetAll(sets); err != nil {
		t.Fatal(err)
	}
	m, err := NewModel(cfg, Stream(1, "init", 0))
	if err != nil {
		t.Fatal(err)
	}
	return cfg, m
}

func TestFirstKernels(t *testing.T) {
	_, m := presetModel(t)
	ks := m.FirstKernels()
	if len(ks) != 2 {
		t.Fatalf("%d blocks, want one per branch", len(ks))
	}
	for b, k := range ks {
		w := m.Weight(k.Layer)
		if k.Branch != b || k.In != 3 || k.Kernel != 3 || len(k.W) != k.Out*k.In*k.Kernel*k.Kernel || &k.W[0] != &w.Data()[0] {
			t.Errorf("block %d: %+v does not alias %s", b, k, w.Name)
		}
	}
	stem := newTestModel(t, testConfig(t))
	if ks := stem.FirstKernels(); len(ks) != 1 || ks[0].Branch != -1 || ks[0].Layer != "stem.0" {
		t.Errorf("with a stem: %+v, want stem.0 alone", ks)
	}
}

// TestRejoin: the first layer after the concat, read per input channel,
// with each channel's branch: a trunk conv's K*K taps, or a linear
// layer's H*W pixels.
func TestRejoin(t *testing.T) {
	tests := []struct {
		name   string
		sets   []string
		layer  string
		out    int
		taps   int
		groups []int
	}{
		{"trunk conv", nil, "trunk.0", 8, 9, []int{0, 0, 0, 0, 1, 1, 1, 1}},
		{"hidden", []string{"model.trunk=[]", "model.hidden=[6]"}, "hidden.0", 6, 16, []int{0, 0, 0, 0, 1, 1, 1, 1}},
		{"out", []string{"model.trunk=[]", "model.hidden=[]", "model.branch[1].out=2"}, "out", 4, 16, []int{0, 0, 1, 1}},
		{"out after a global pool", []string{"model.trunk=[]", "model.hidden=[]", "model.global_pool=true"}, "out", 4, 1, []int{0, 0, 0, 0, 1, 1, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, m := presetModel(t, tt.sets...)
			r := m.Rejoin()
			if r.Layer != tt.layer || r.Out != tt.out || r.Taps != tt.taps || !slices.Equal(r.Groups, tt.groups) ||
				r.In != len(tt.groups) || r.Branches != 2 || len(r.W) != r.Out*r.In*r.Taps {
				t.Errorf("rejoin %s: out %d in %d taps %d groups %v len(W) %d", r.Layer, r.Out, r.In, r.Taps, r.Groups, len(r.W))
			}
		})
	}
}

func newTestModel(t *testing.T, cfg *configs.Config) *Model {
	t.Helper()
	m, err := NewModel(cfg, Stream(1, "init", 0))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestHeadLesionMatchesGatedNet: evaluating the layers after the rejoin on
// the branch outputs of one pass, with branch b's zeroed, gives the bits
// of the whole net with branch b's gate at zero.
func TestHeadLesionMatchesGatedNet(t *testing.T) {
	_, m := presetModel(t)
	rng := rand.New(rand.NewPCG(7, 8))
	const n = 20
	c, h, w := m.InputShape()
	set := &data.Set{C: c, H: h, W: w, Classes: m.Classes(), X: make([]float32, n*c*h*w), Y: make([]int32, n)}
	for i := range set.X {
		set.X[i] = float32(rng.NormFloat64())
	}
	for i := range set.Y {
		set.Y[i] = int32(rng.IntN(m.Classes()))
	}
	ev, err := m.NewEvaluator(8)
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	outs := make([][]float32, m.Branches())
	if err := ev.Batches(set, n, func(a Activations) error {
		for b := range outs {
			outs[b] = append(outs[b], a.BranchOutput(b).Data...)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	head, err := m.NewHeadEvaluator(8)
	if err != nil {
		t.Fatal(err)
	}
	defer head.Close()
	for zero := -1; zero < m.Branches(); zero++ {
		lesion := make([]bool, m.Branches())
		if zero >= 0 {
			lesion[zero] = true
		}
		want, err := ev.Evaluate(set, n, lesion)
		if err != nil {
			t.Fatal(err)
		}
		got, err := head.Lesion(outs, set.Y, n, zero)
		if err != nil {
			t.Fatal(err)
		}
		if got.Loss != want.Loss || got.Acc != want.Acc || !slices.Equal(got.Correct, want.Correct) {
			t.Errorf("branch %d zeroed: head loss %v acc %v, gated net loss %v acc %v", zero, got.Loss, got.Acc, want.Loss, want.Acc)
		}
	}
}

// TestBodyEvaluatorMatchesNet: the graph of the layers up to the rejoin
// gives the bits of the whole net's first-layer activations and branch
// outputs, with another batch size too (an example's values do not depend
// on the batch it is in), and refuses to evaluate (it has no logits).
func TestBodyEvaluatorMatchesNet(t *testing.T) {
	_, m := presetModel(t, `regime.mixing={layer = "branch.*.1", p = 0.5}`)
	rng := rand.New(rand.NewPCG(9, 10))
	const n = 19
	c, h, w := m.InputShape()
	set := &data.Set{C: c, H: h, W: w, Classes: m.Classes(), X: make([]float32, n*c*h*w), Y: make([]int32, n)}
	for i := range set.X {
		set.X[i] = float32(rng.NormFloat64())
	}
	collect := func(ev *Evaluator) []float32 {
		outs := make([][]float32, 2*m.Branches())
		if err := ev.Batches(set, n, func(a Activations) error {
			for b := range m.Branches() {
				outs[2*b] = append(outs[2*b], a.BranchOutput(b).Data...)
				outs[2*b+1] = append(outs[2*b+1], a.FirstLayer(b).Data...)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return slices.Concat(outs...)
	}
	full, err := m.NewEvaluator(8)
	if err != nil {
		t.Fatal(err)
	}
	defer full.Close()
	body, err := m.NewBodyEvaluator(5)
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	if want, got := collect(full), collect(body); len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("body evaluator's activations differ from the whole net's (%d vs %d values)", len(got), len(want))
	}
	if _, err := body.Evaluate(set, n, nil); err == nil {
		t.Error("a body evaluator evaluated: want an error, it has no logits")
	}
}
