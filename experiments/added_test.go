package experiments

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"branchspec/configs"
	"branchspec/results"
)

// TestAddedChroma: from the run's start, AddedChroma is the logged
// dchroma.bB bit for bit (the same dw against the stored w_0, the same
// luminance axis: here read from the stored preprocessing, tilted by
// per-channel scaling in the folder run); between two later checkpoints
// it is finite and another value.
func TestAddedChroma(t *testing.T) {
	root := t.TempDir()
	images := filepath.Join(root, "images")
	makeImageFolder(t, images, 24, 8, 16)
	tests := []struct {
		name string
		cfg  *configs.Config
	}{
		{"synthetic", tinyConfig(t, "schedule.steps=8", `checkpoint.keep="all"`)},
		{"folder, per-channel", folderConfig(t, images, `data.preprocess.kind="per-channel"`, `checkpoint.keep="all"`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := must(Start(context.Background(), tt.cfg, filepath.Join(root, tt.name), Options{}))
			run, err := results.Open(dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			last := tt.cfg.Schedule.Steps
			got, err := AddedChroma(dir, 0, last)
			if err != nil {
				t.Fatal(err)
			}
			for b, v := range got {
				steps, vals, err := run.Series(fmt.Sprintf("dchroma.b%d", b))
				if err != nil || len(steps) == 0 || steps[len(steps)-1] != last {
					t.Fatalf("dchroma.b%d: steps %v, %v", b, steps, err)
				}
				if want := vals[len(vals)-1]; v != want {
					t.Errorf("branch %d: added chroma from step 0 %v, logged dchroma %v", b, v, want)
				}
			}
			mid, err := AddedChroma(dir, 4, last)
			if err != nil {
				t.Fatal(err)
			}
			for b, v := range mid {
				if math.IsNaN(v) || v < 0 || v > 1 || v == got[b] {
					t.Errorf("branch %d: added chroma from step 4 %v (from 0: %v)", b, v, got[b])
				}
			}
		})
	}
	if _, err := AddedChroma(filepath.Join(root, "none"), 0, 1); err == nil {
		t.Error("AddedChroma of no run: no error")
	}
}

// TestBranchCounts: with branch 1 reading gray(x), training adds colour to
// branch 0 only, so by construction the colour branch is branch 0 in
// every run: a bias on branch 0 is the colour branch in n of n runs, a
// bias on branch 1 in 0 of n, and after a counter-bias fork onto branch 1
// training keeps branch 0 (the parent's colour branch) in n of n, the
// planted colour of branch 1 notwithstanding. A run without bias or fork
// is in neither count.
func TestBranchCounts(t *testing.T) {
	const text = `name = "b"
base = "tiny"
seeds = 2
set = ["regime.gray_branch=1", "optim.lr=0.02"]
[regimes.none]
[regimes.bias0]
set = ['regime.bias={branch = 0, epsilon = 0.5, axis = "luminance"}']
[regimes.bias1]
set = ['regime.bias={branch = 1, epsilon = 0.5, axis = "luminance"}']
[regimes.counter]
fork = "bias0"
at = 10
set = ["regime.bias.branch=1"]
`
	e, err := ParseExperiment("b.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	out, _ := sweepInto(t, e)
	c, err := CompareDirs(CompareRequest{Dirs: []string{out}, Options: CompareOptions{Baseline: "none", Resamples: 100, Permutations: 100}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]BranchCount{}
	for _, bc := range c.BranchCounts {
		got[bc.Group+"/"+bc.What] = bc
	}
	want := map[string][2]int{"bias0/bias": {2, 2}, "bias1/bias": {0, 2}, "counter/kept": {2, 2}}
	for key, kn := range want {
		if bc := got[key]; bc.K != kn[0] || bc.N != kn[1] {
			t.Errorf("%s: %d of %d, want %d of %d", key, bc.K, bc.N, kn[0], kn[1])
		}
	}
	if len(got) != len(want) {
		t.Errorf("counts %v, want only %v", got, want)
	}
	if len(c.Notes) != 0 {
		t.Errorf("notes: %v", c.Notes)
	}
}

// sweepInto trains every run of e, two at a time, into a new directory,
// and returns the directory and the runs.
func sweepInto(t *testing.T, e *Experiment) (string, []RunSpec) {
	t.Helper()
	out := t.TempDir()
	specs, err := e.Runs(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Sweep(context.Background(), specs, SweepOptions{Jobs: 2, Experiment: e.Name}); err != nil {
		t.Fatal(err)
	}
	return out, specs
}
