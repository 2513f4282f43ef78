package trainer

import (
	"math"
	"slices"
	"testing"

	"branchspec/configs"
	"branchspec/trainer/data"
)

// TestInitNormalAndBiasConstant: init "normal" draws every weight from
// N(0, init_std^2), a layer's init_std overrides it, biases start at the
// layer's bias_init; and the draws are those of He init scaled (the same
// normals in the same order), so switching the rule does not move the
// stream.
func TestInitNormalAndBiasConstant(t *testing.T) {
	_, he := presetModel(t)
	_, m := presetModel(t, `model.init="normal"`, "model.init_std=0.02",
		"model.trunk=[{out = 8, kernel = 3, pool = 2, init_std = 0.5, bias_init = 0.25}]")
	for i, p := range m.Params() {
		h := he.Params()[i]
		if len(p.Shape) == 1 {
			want := float32(0)
			if p.Layer == "trunk.0" {
				want = 0.25
			}
			for _, v := range p.Data() {
				if v != want {
					t.Fatalf("%s starts at %v, want %v", p.Name, v, want)
				}
			}
			continue
		}
		std := 0.02
		if p.Layer == "trunk.0" {
			std = 0.5
		}
		heStd := math.Sqrt(2 / float64(h.FanIn))
		for j, v := range p.Data() {
			// The same standard normal z: v = z*std, h = z*heStd, each
			// rounded to float32 once.
			z := float64(h.Data()[j]) / heStd
			if math.Abs(float64(v)-z*std) > 1e-6*std*(1+math.Abs(z)) {
				t.Fatalf("%s[%d] = %v, want %v (the He draw rescaled to std %v)", p.Name, j, v, z*std, std)
			}
		}
	}
}

// TestArchAlexNetPreset: the shapes of the cifar10-alexnet preset,
// worked out by hand: 32 -> conv 7x7/2 -> 16 -> pool 3/2 -> 7 -> conv 5x5
// -> 7 -> pool 3/2 -> 3; trunk 3x3 keeps 3x3; the global pool leaves 64
// features for the output layer.
func TestArchAlexNetPreset(t *testing.T) {
	cfg, err := configs.Preset("cifar10-alexnet")
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewArch(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for b, br := range a.Branches {
		if len(br) != 2 || br[0].OutH != 7 || br[0].OutW != 7 || br[1].H != 7 || br[1].OutH != 3 || br[0].Stride != 2 || !br[1].LRN || br[1].PoolStride != 2 {
			t.Errorf("branch %d: %+v", b, br)
		}
	}
	if a.RejoinC() != 64 || a.RejoinH != 3 || a.Trunk[0].OutH != 3 || !a.GlobalPool || a.Out.In != 64 || a.Out.Out != 10 {
		t.Errorf("rejoin %dx%dx%d, trunk out %d, out layer %+v", a.RejoinC(), a.RejoinH, a.RejoinW, a.Trunk[0].OutH, a.Out)
	}
}

// TestStepAugments: the batch a step trains on is the gathered batch
// augmented with the draws of that step (0 for the first), with the
// augmentation seed derived from the run's seed; evaluation sets are left
// alone.
func TestStepAugments(t *testing.T) {
	tr := tinyTrainer(t, "data.augment.pad=3", "data.augment.flip=true")
	train, test := tr.Data()
	testBefore := slices.Clone(test.X)
	aug := data.Augment{Pad: 3, Flip: true, Seed: augmentSeed(tr.Config().Seed)}
	n := train.C * train.H * train.W
	for step := range 3 {
		if _, err := tr.Step(); err != nil {
			t.Fatal(err)
		}
		want := make([]float32, len(tr.idx)*n)
		train.Gather(tr.idx, want, nil)
		aug.Apply(want, train.C, train.H, train.W, uint64(step))
		got, _ := tr.net.Input()
		if !slices.Equal(got, want) {
			t.Fatalf("step %d trained on another batch than the gathered one augmented with Draw(%d, slot)", step, step)
		}
	}
	if !slices.Equal(test.X, testBefore) {
		t.Error("training changed the held-out set")
	}
}
