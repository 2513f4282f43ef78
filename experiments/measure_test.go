package experiments

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"branchspec/trainer"
)

// newMeasurer builds a measurer over a fresh model of the tiny config with
// 8 first-layer units per branch.
func newMeasurer(t *testing.T, seed uint64, sets ...string) *measurer {
	t.Helper()
	cfg := tinyConfig(t, append([]string{"model.branch[0].out=8", "metrics.permutations=200", "metrics.cka_examples=64"}, sets...)...)
	_, test, err := LoadData(cfg)
	if err != nil {
		t.Fatal(err)
	}
	model, err := trainer.NewModel(cfg, trainer.Stream(seed, "init", 0))
	if err != nil {
		t.Fatal(err)
	}
	ev, err := model.NewEvaluator(evalBatch(test.Len()))
	if err != nil {
		t.Fatal(err)
	}
	inst, err := newInstruments(cfg, model, ev, test)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.close(); ev.Close() })
	return inst.measurer(seed, 0, map[string]float64{})
}

// plant sets branch 0's first-layer kernels to pure red-green opponents and
// branch 1's to pure luminance (equal weights on R, G, B), with random
// spatial profiles.
func plant(m *measurer, rng *rand.Rand) {
	for b, k := range m.model.FirstKernels() {
		w := k.W
		kk := k.Kernel * k.Kernel
		for o := 0; o < k.Out; o++ {
			for i := 0; i < kk; i++ {
				g := float32(rng.NormFloat64() * 0.5)
				r, gr, bl := g, -g, float32(0)
				if b == 1 {
					r, gr, bl = g, g, g
				}
				w[(o*3+0)*kk+i], w[(o*3+1)*kk+i], w[(o*3+2)*kk+i] = r, gr, bl
			}
		}
	}
}

// TestPlantedSplitScoresHigh: colour-opponent kernels in one branch and
// luminance kernels in the other give chroma eta^2 near 1 with the smallest
// possible permutation p, and colour invariance (CKA with gray input) high
// for the luminance branch and low for the colour one.
func TestPlantedSplitScoresHigh(t *testing.T) {
	m := newMeasurer(t, 1)
	plant(m, rand.New(rand.NewPCG(3, 4)))
	if err := m.run(MetricGroups()); err != nil {
		t.Fatal(err)
	}
	v := m.vals
	if v["chroma.eta2"] < 0.99 || v["chroma.b0"] < 0.99 || v["chroma.b1"] > 1e-6 {
		t.Errorf("chroma eta2 %v, b0 %v, b1 %v: want ~1, 1, 0", v["chroma.eta2"], v["chroma.b0"], v["chroma.b1"])
	}
	if p := v["chroma.eta2.p"]; p != 1.0/201 {
		t.Errorf("chroma eta2 p = %v, want 1/201", p)
	}
	if v["family.chroma.nmi"] < 0.99 {
		t.Errorf("family NMI %v, want 1: the colour family is exactly branch 0", v["family.chroma.nmi"])
	}
	// All 8 colour units in branch 0's 8 of 16: log10 C(8,8)/C(16,8).
	if want := -math.Log10(12870); math.Abs(v["family.chroma.b0.log10p"]-want) > 1e-9 {
		t.Errorf("family log10 p %v, want %v", v["family.chroma.b0.log10p"], want)
	}
	if v["cka.gray.b1"] < 0.7 || v["cka.gray.b0"] > 0.3 {
		t.Errorf("colour invariance CKA: luminance branch %v (want high), colour branch %v (want low)", v["cka.gray.b1"], v["cka.gray.b0"])
	}
	if v["csi.b0"] <= v["csi.b1"] {
		t.Errorf("CSI: colour branch %v not above luminance branch %v", v["csi.b0"], v["csi.b1"])
	}
}

// TestRandomKernelsWithinNull: i.i.d. random kernels (the initialisation)
// put the chroma split within its permutation null for most seeds.
func TestRandomKernelsWithinNull(t *testing.T) {
	outside := 0
	const seeds = 10
	for seed := uint64(1); seed <= seeds; seed++ {
		m := newMeasurer(t, seed)
		m.kernels()
		if z := m.vals["chroma.eta2.z"]; math.Abs(z) >= 3 {
			outside++
		}
		if p := m.vals["chroma.eta2.p"]; p <= 0 || p > 1 {
			t.Errorf("seed %d: p = %v", seed, p)
		}
	}
	if outside > 1 {
		t.Errorf("%d of %d random nets had |z| >= 3 for chroma eta2", outside, seeds)
	}
}

// TestLesionsKnownCases: lesioning no branch costs nothing and lesioning
// every branch leaves the net at chance on balanced classes.
func TestLesionsKnownCases(t *testing.T) {
	m := newMeasurer(t, 2)
	n := 128
	base, err := m.ev.Evaluate(m.test, n, nil)
	if err != nil {
		t.Fatal(err)
	}
	none, _ := m.ev.Evaluate(m.test, n, []bool{false, false})
	if none.Acc != base.Acc {
		t.Errorf("no lesion: %v, plain %v", none.Acc, base.Acc)
	}
	all, _ := m.ev.Evaluate(m.test, n, []bool{true, true})
	// With every branch zeroed the logits no longer depend on the input, so
	// one class is predicted for all: accuracy = its share = 1/classes.
	if want := 1 / float64(m.model.Classes()); math.Abs(all.Acc-want) > 1e-12 {
		t.Errorf("all lesioned: %v, want chance %v", all.Acc, want)
	}
}

// TestGradShareSumsToOne: the logged gradient shares of a training run sum
// to one at every checkpoint after step 0.
func TestGradShareSumsToOne(t *testing.T) {
	rec := record(t, must(Start(t.Context(), tinyConfig(t), t.TempDir(), Options{})))
	checked := 0
	for step, vals := range rec.rows {
		s0, ok0 := vals["grad.share.b0"]
		s1, ok1 := vals["grad.share.b1"]
		if !ok0 || !ok1 {
			continue
		}
		checked++
		if math.Abs(s0+s1-1) > 1e-12 || s0 < 0 || s1 < 0 {
			t.Errorf("step %d: shares %v + %v", step, s0, s1)
		}
	}
	if checked == 0 {
		t.Fatal("no gradient shares logged")
	}
}

// TestLesionsFromRejoinMatchFullNet: lesions computed by rerunning only the
// layers after the rejoin on stored branch outputs equal lesions of the
// whole net with the branch's gate at zero.
func TestLesionsFromRejoinMatchFullNet(t *testing.T) {
	m := newMeasurer(t, 5, "metrics.lesion_examples=100")
	if err := m.run([]string{"lesion"}); err != nil {
		t.Fatal(err)
	}
	base, err := m.ev.Evaluate(m.test, 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.vals["lesion.base"] != base.Acc {
		t.Errorf("lesion.base %v, full net %v", m.vals["lesion.base"], base.Acc)
	}
	for b := 0; b < 2; b++ {
		mask := []bool{b == 0, b == 1}
		r, err := m.ev.Evaluate(m.test, 100, mask)
		if err != nil {
			t.Fatal(err)
		}
		key := fmt.Sprintf("lesion.b%d", b)
		if got, want := m.vals[key], base.Acc-r.Acc; got != want {
			t.Errorf("%s = %v, gated full net %v", key, got, want)
		}
	}
}
