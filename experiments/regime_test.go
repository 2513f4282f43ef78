package experiments

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"branchspec/metrics"
	"branchspec/results"
	"branchspec/trainer"
)

// regimeCases are the regimes of science.md with stops that matter to each:
// the tiny preset checkpoints at 0, 1, 2, 4, 8, 10, 20 and 30.
var regimeCases = []struct {
	name  string
	sets  []string
	stops []int
}{
	// Stops inside the freeze window [5, 15), on and off checkpoint steps.
	{"freeze", []string{`regime.freeze=[{layer = "branch.*.1", from = 5, to = 15}]`}, []int{7, 10, 14}},
	// A stop at a redraw step (its checkpoint holds the weights before the
	// redraw) and across the next ones.
	{"rerandomize", []string{`regime.freeze=[{layer = "branch.*.1", from = 0, to = -1}]`,
		`regime.rerandomize=[{layer = "branch.*.1", every = 6}]`}, []int{6, 13}},
	{"rerandomize-trained", []string{`regime.rerandomize=[{layer = "trunk.0", every = 7}]`}, []int{7, 15}},
	{"mixing", []string{`regime.mixing={layer = "branch.*.1", p = 0.5}`}, []int{9}},
	{"bias", []string{`regime.bias={branch = 1, epsilon = 0.3}`}, []int{3}},
	{"grayscale", []string{"data.grayscale=true"}, []int{5}},
	{"gray-branch", []string{"regime.gray_branch=1"}, []int{5}},
	{"bias-luminance", []string{`regime.bias={branch = 0, epsilon = 0.3, axis = "luminance"}`}, []int{3}},
	{"unbranched", []string{"model.branches=1", "model.branch=[{out = 8, kernel = 3, pool = 2}, {out = 8, kernel = 3, pool = 2}]"}, []int{5}},
}

// TestRegimesDeterministicAndResumable: under every regime, the same config
// and seed give the same bits, and a run stopped and resumed equals one
// never interrupted.
func TestRegimesDeterministicAndResumable(t *testing.T) {
	if testing.Short() {
		t.Skip("trains 3 runs per regime")
	}
	for _, rc := range regimeCases {
		t.Run(rc.name, func(t *testing.T) {
			cfg := tinyConfig(t, rc.sets...)
			root := t.TempDir()
			want := record(t, must(Start(context.Background(), cfg, filepath.Join(root, "a"), Options{})))
			again := record(t, must(Start(context.Background(), cfg, filepath.Join(root, "b"), Options{})))
			sameRun(t, again, want)
			dir, err := Start(context.Background(), cfg, filepath.Join(root, "stopped"), Options{StopAt: rc.stops[0]})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range rc.stops[1:] {
				if err := Resume(context.Background(), dir, Options{StopAt: s}); err != nil {
					t.Fatal(err)
				}
			}
			if err := Resume(context.Background(), dir, Options{}); err != nil {
				t.Fatal(err)
			}
			got := record(t, dir)
			if got.st.State != results.Done {
				t.Fatalf("status %+v", got.st)
			}
			sameRun(t, got, want)
		})
	}
}

// TestRegimesShort is the quick version: one stop per regime.
func TestRegimesShort(t *testing.T) {
	for _, rc := range regimeCases[:4] {
		t.Run(rc.name, func(t *testing.T) {
			cfg := tinyConfig(t, append(rc.sets, "schedule.steps=16", "metrics.enabled=false")...)
			root := t.TempDir()
			want := record(t, must(Start(context.Background(), cfg, filepath.Join(root, "a"), Options{})))
			dir := must(Start(context.Background(), cfg, filepath.Join(root, "s"), Options{StopAt: rc.stops[0]}))
			if err := Resume(context.Background(), dir, Options{}); err != nil {
				t.Fatal(err)
			}
			sameRun(t, record(t, dir), want)
		})
	}
}

var layer1 = regexp.MustCompile(`^branch\.[0-9]+\.1\.`)

// TestFreezeInCheckpoints: a layer frozen for [4, 10) has the same weights at
// the checkpoints 4, 8 and 10 and different ones at 20.
func TestFreezeInCheckpoints(t *testing.T) {
	cfg := tinyConfig(t, `regime.freeze=[{layer = "branch.*.1", from = 4, to = 10}]`, "checkpoint.keep=all", "metrics.enabled=false")
	dir := must(Start(context.Background(), cfg, t.TempDir(), Options{}))
	run, _ := results.Open(dir, nil)
	layer := func(step int) string {
		ck, err := run.Checkpoint(step)
		if err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, w := range ck.Weights {
			if layer1.MatchString(w.Name) {
				parts = append(parts, fmt.Sprint(w.Data))
			}
		}
		return strings.Join(parts, "|")
	}
	if layer(4) != layer(8) || layer(8) != layer(10) {
		t.Error("branch.*.1 changed inside its freeze window [4, 10)")
	}
	if layer(2) == layer(4) || layer(10) == layer(20) {
		t.Error("branch.*.1 did not train outside its freeze window")
	}
}

// TestBiasRaisesChroma: the bias regime raises the biased branch's mean
// kernel chroma at step 0 monotonically with epsilon and leaves the other
// branch alone.
func TestBiasRaisesChroma(t *testing.T) {
	meanChroma := func(eps float64) (biased, other float64) {
		cfg := tinyConfig(t, fmt.Sprintf("regime.bias={branch = 0, epsilon = %v}", eps))
		train, test, err := LoadData(cfg)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := trainer.New(cfg, train, test)
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		var m [2]float64
		for b, k := range tr.Model().FirstKernels() {
			size := 3 * k.Kernel * k.Kernel
			for o := range k.Out {
				m[b] += metrics.Chroma(k.W[o*size:(o+1)*size], k.Kernel) / float64(k.Out)
			}
		}
		return m[0], m[1]
	}
	c0, o0 := meanChroma(0)
	prev := c0
	for _, eps := range []float64{0.05, 0.1, 0.3, 1, 3} {
		c, o := meanChroma(eps)
		if !(c > prev) {
			t.Errorf("epsilon %v: mean chroma %v, not above %v", eps, c, prev)
		}
		if o != o0 {
			t.Errorf("epsilon %v: the other branch's chroma moved from %v to %v", eps, o0, o)
		}
		prev = c
	}
	if prev < 0.85 {
		t.Errorf("epsilon 3: mean chroma %v, want near 1 ((c+9)/10 >= 0.9)", prev)
	}
}

// TestGrayBranchMeasured: the instrument sees the split the gray_branch
// regime plants. Branch 1 reads gray(x), so what training adds to its
// first layer is along (1, 1, 1) at every tap (dchroma.b1 = 0.254231 along
// the luminance axis, up to the decay of w_0's chromatic part: Adam's
// decoupled decay of 1e-4 at lr <= 0.002 over 30 steps moves it by
// < 1e-4), its units respond to x and gray(x) alike (CSI 0, up to the
// float32 rounding of gray(gray(x)) against gray(x)), and its output is
// the same on x and gray(x) (debiased CKA 1).
func TestGrayBranchMeasured(t *testing.T) {
	cfg := tinyConfig(t, "regime.gray_branch=1")
	rec := record(t, must(Start(context.Background(), cfg, t.TempDir(), Options{})))
	final := rec.rows[cfg.Schedule.Steps]
	for _, c := range []struct {
		key      string
		want     float64
		tol      float64
		describe string
	}{
		{"dchroma.b1", 0.254231, 1e-3, "chroma of a dw along (1, 1, 1)"},
		{"csi.b1", 0, 1e-3, "colour selectivity of units that read gray(x)"},
		{"cka.gray.b1", 1, 1e-3, "CKA of the gray branch's output on x and gray(x)"},
	} {
		v, ok := final[c.key]
		if !ok {
			t.Errorf("%s not logged at step %d", c.key, cfg.Schedule.Steps)
			continue
		}
		if math.Abs(v-c.want) > c.tol {
			t.Errorf("%s (%s) = %v, want %v", c.key, c.describe, v, c.want)
		}
	}
	if d0 := final["dchroma.b0"]; math.Abs(d0-0.254231) < 0.02 {
		t.Errorf("dchroma.b0 = %v: the branch that reads colour learned along (1, 1, 1) too", d0)
	}
}
