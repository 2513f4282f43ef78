package experiments

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"branchspec/results"
	"branchspec/trainer"
)

// originOf reads a run's stored origin.
func originOf(t *testing.T, dir string) results.Origin {
	t.Helper()
	run, err := results.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	o, err := run.Origin()
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// step0SHA is the SHA-256 of a run's step-0 weights as it recorded them.
func step0SHA(t *testing.T, dir string) string {
	t.Helper()
	run, err := results.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	infos, err := run.Checkpoints()
	if err != nil || len(infos) == 0 || infos[0].Step != 0 {
		t.Fatalf("checkpoints %v, %v: want step 0 first", infos, err)
	}
	return infos[0].WeightsSHA256
}

// TestOriginOfRunsAndForks: a run stores its step-0 weights as w_0 and
// its initialisation null when it is created; retention keeps step 0
// even under keep = "last"; a stopped and resumed run keeps the origin it
// was created with; a fork and a fork of the fork inherit the first run's
// w_0 and draw the same null from the same seed.
func TestOriginOfRunsAndForks(t *testing.T) {
	root := t.TempDir()
	cfg := tinyConfig(t, "checkpoint.keep=last", "checkpoint.keep_last=1")
	dir := must(Start(context.Background(), cfg, filepath.Join(root, "r"), Options{StopAt: 8}))
	o := originOf(t, dir)
	sha0 := step0SHA(t, dir)
	if results.WeightsSHA256(o.Weights) != sha0 {
		t.Errorf("origin weights are not the step-0 weights")
	}
	if len(o.Nulls["rejoin.fmaxshare"]) != cfg.Metrics.Inits || len(o.Nulls[keyCSIChance]) == 0 {
		t.Errorf("origin nulls hold %d draws of rejoin.fmaxshare and %d CSI chance values, want %d and some",
			len(o.Nulls["rejoin.fmaxshare"]), len(o.Nulls[keyCSIChance]), cfg.Metrics.Inits)
	}
	if err := Resume(context.Background(), dir, Options{}); err != nil {
		t.Fatal(err)
	}
	run, err := results.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ck, err := run.Checkpoint(0); err != nil || results.WeightsSHA256(ck.Weights) != sha0 {
		t.Errorf("keep = last pruned or changed step 0: %v", err)
	}
	if after := originOf(t, dir); results.WeightsSHA256(after.Weights) != sha0 || !sameBitsNulls(after.Nulls, o.Nulls) {
		t.Error("the resumed run's origin differs from the one it was created with")
	}

	parent := parentRun(t, filepath.Join(root, "p"))
	o, sha0 = originOf(t, parent), step0SHA(t, parent)
	fork, err := Fork(context.Background(), parent, ForkOptions{At: 10, Set: []string{"regime.bias.epsilon=0.3"}}, Options{StopAt: 20})
	if err != nil {
		t.Fatal(err)
	}
	fork2, err := Fork(context.Background(), fork, ForkOptions{At: 20, Name: "grandchild"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{fork, fork2} {
		fo := originOf(t, d)
		if results.WeightsSHA256(fo.Weights) != sha0 {
			t.Errorf("%s: w_0 is not the first run's step-0 weights", d)
		}
		if !sameBitsNulls(fo.Nulls, o.Nulls) {
			t.Errorf("%s: the null differs from its parent's (same seed and architecture)", d)
		}
		if rec := record(t, d); rec.rows[20]["dchroma.eta2"] == 0 {
			t.Errorf("%s: no dchroma logged", d)
		}
	}
}

// TestForkNullOfTheInitialisation: a fork that changes the metrics
// settings draws its null again, from its own settings but with the bias
// regime that acted at the tree's initialisation, not its own late one.
func TestForkNullOfTheInitialisation(t *testing.T) {
	parent := parentRun(t, filepath.Join(t.TempDir(), "p"), "regime.bias.epsilon=0.3", "schedule.steps=12")
	fork, err := Fork(context.Background(), parent, ForkOptions{At: 8,
		Set: []string{"metrics.cka_examples=16", "regime.bias.epsilon=0.1"}}, Options{StopAt: 9})
	if err != nil {
		t.Fatal(err)
	}
	run, err := results.Open(fork, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := RunConfig(run)
	if err != nil {
		t.Fatal(err)
	}
	_, test, err := LoadData(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Regime.Bias.Epsilon = 0.3
	want, err := drawInitNull(cfg, test, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := originOf(t, fork).Nulls; !sameBitsNulls(got, want) || sameBitsNulls(got, originOf(t, parent).Nulls) {
		t.Error("the fork's null is not the one of its settings under the initial bias")
	}
}

// TestOldRunW0: a run made before origins were stored, whose step-0
// weights retention pruned, gets its w_0 recomputed from its seed only
// when that matches the SHA-256 recorded at step 0; a fork's is never
// recomputed.
func TestOldRunW0(t *testing.T) {
	cfg := tinyConfig(t)
	model, err := trainer.NewModel(cfg, trainer.Stream(cfg.Seed, "init", 0))
	if err != nil {
		t.Fatal(err)
	}
	init, err := initialWeights(cfg, model)
	if err != nil {
		t.Fatal(err)
	}
	other := make([]trainer.Tensor, len(init))
	copy(other, init)
	other[0] = trainer.Tensor{Name: init[0].Name, Shape: init[0].Shape, Data: append([]float32{1}, init[0].Data[1:]...)}
	oldRun := func(parent string) *results.Run {
		dir := filepath.Join(t.TempDir(), "run")
		ck := func(step int) *results.Checkpoint {
			return &results.Checkpoint{Step: step, Time: time.Unix(0, 0), Weights: resultsTensors(init)}
		}
		run, err := results.CreateWith(dir, results.Info{Name: "old", Seed: cfg.Seed, Parent: parent, Created: time.Unix(0, 0)},
			results.Commit{Checkpoint: ck(0)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		drop := func(step int, all []int) bool { return false }
		if err := run.Commit(results.Commit{Checkpoint: ck(5), Retain: drop}); err != nil {
			t.Fatal(err)
		}
		if _, err := run.Checkpoint(0); !errors.Is(err, results.ErrPruned) {
			t.Fatalf("step 0 not pruned: %v", err)
		}
		return run
	}
	run := oldRun("")
	if w0, err := oldRunW0(run, init); err != nil || results.WeightsSHA256(resultsTensors(w0)) != results.WeightsSHA256(resultsTensors(init)) {
		t.Errorf("matching initialisation: %v, %v; want it taken", w0 != nil, err)
	}
	if w0, err := oldRunW0(run, other); err != nil || w0 != nil {
		t.Errorf("another initialisation: taken = %v, %v; want refused", w0 != nil, err)
	}
	if w0, err := oldRunW0(oldRun("../parent"), init); err != nil || w0 != nil {
		t.Errorf("a fork: taken = %v, %v; want nil", w0 != nil, err)
	}
}

func sameBitsNulls(a, b map[string][]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, va := range a {
		vb := b[k]
		if len(va) != len(vb) {
			return false
		}
		for i := range va {
			if va[i] != vb[i] {
				return false
			}
		}
	}
	return true
}
