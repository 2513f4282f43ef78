package experiments

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
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
	draws, err := drawInitNull(cfg, test, "")
	if err != nil {
		t.Fatal(err)
	}
	if inst.origin, err = newOrigin(model, model.Weights(), draws); err != nil {
		t.Fatal(err)
	}
	return inst.measurer(seed, 0, map[string]float64{})
}

// plant adds to branch 0's first-layer kernels pure colour opponents
// (orthogonal to the input's luminance axis, so blind to luminance) and to
// branch 1's pure luminance kernels (along the axis, so blind to every
// isoluminant change), with random spatial profiles; with add false it
// sets them to those kernels.
func plant(m *measurer, rng *rand.Rand, add bool) {
	l := m.lum
	// An isoluminant direction: orthogonal to l.
	o := [3]float64{l[1], -l[0], 0}
	for b, k := range m.model.FirstKernels() {
		dir := o
		if b == 1 {
			dir = l
		}
		kk := k.Kernel * k.Kernel
		for u := 0; u < k.Out; u++ {
			for i := 0; i < kk; i++ {
				g := rng.NormFloat64() * 0.5
				for c := range 3 {
					j := (u*3+c)*kk + i
					if !add {
						k.W[j] = 0
					}
					k.W[j] += float32(g * dir[c])
				}
			}
		}
	}
}

// TestPlantedSplitScoresHigh: colour-opponent kernels in one branch and
// luminance kernels in the other give chroma eta^2 near 1 with the smallest
// possible permutation p, each branch exactly one chance-tail family, and
// colour invariance (debiased CKA with gray input) 1 for the luminance
// branch and low for the colour one.
func TestPlantedSplitScoresHigh(t *testing.T) {
	m := newMeasurer(t, 1)
	plant(m, rand.New(rand.NewPCG(3, 4)), false)
	if err := m.run(MetricGroups()); err != nil {
		t.Fatal(err)
	}
	v := m.vals
	// tolPlanted: float32 kernels along an axis given in float64.
	const tolPlanted = 1e-6
	if v["chroma.eta2"] < 1-tolPlanted || v["chroma.b0"] < 1-tolPlanted || v["chroma.b1"] > tolPlanted {
		t.Errorf("chroma eta2 %v, b0 %v, b1 %v: want 1, 1, 0", v["chroma.eta2"], v["chroma.b0"], v["chroma.b1"])
	}
	if p := v["chroma.eta2.p"]; p != 1.0/201 {
		t.Errorf("chroma eta2 p = %v, want 1/201", p)
	}
	if v["family.chroma.nmi"] < 1-1e-12 {
		t.Errorf("family NMI %v, want 1: the colour family is branch 0, the achromatic one branch 1", v["family.chroma.nmi"])
	}
	// All 8 colour units in branch 0's 8 of 16: log10 C(8,8)/C(16,8); the
	// same for the achromatic ones in branch 1.
	want := -math.Log10(12870)
	for _, k := range []string{"family.chroma.colour.b0.log10p", "family.chroma.achrom.b1.log10p"} {
		if math.Abs(v[k]-want) > 1e-9 {
			t.Errorf("%s = %v, want %v", k, v[k], want)
		}
	}
	if v["cka.gray.b1"] < 1-1e-6 || v["cka.gray.b0"] > 0.3 {
		t.Errorf("colour invariance CKA: luminance branch %v (want 1), colour branch %v (want low)", v["cka.gray.b1"], v["cka.gray.b0"])
	}
	if v["csi.b0"] <= v["csi.b1"] {
		t.Errorf("CSI: colour branch %v not above luminance branch %v", v["csi.b0"], v["csi.b1"])
	}
	if _, ok := v["dchroma.eta2"]; !ok {
		t.Error("no dchroma.eta2 with the initial weights known")
	}
}

// TestPlantedDeltaSplit: adding colour opponents to branch 0's random
// initial kernels and luminance kernels to branch 1's splits what was added
// (dchroma eta^2 1, smallest p) whatever the start, and at the start
// itself dw = 0 leaves dchroma and dfreq unlogged and drift 0.
func TestPlantedDeltaSplit(t *testing.T) {
	m := newMeasurer(t, 2)
	if err := m.run([]string{"kernel", "drift"}); err != nil {
		t.Fatal(err)
	}
	for k, v := range m.vals {
		if strings.HasPrefix(k, "dchroma") || strings.HasPrefix(k, "dfreq") {
			t.Errorf("step 0: %s = %v logged, want nothing (dw = 0)", k, v)
		}
		if strings.HasPrefix(k, "drift.") && v != 0 {
			t.Errorf("step 0: %s = %v, want 0", k, v)
		}
	}
	if len(m.vals) == 0 || m.vals["drift.branch.0.0"] != 0 {
		t.Fatalf("no drift logged: %v", m.vals)
	}
	plant(m, rand.New(rand.NewPCG(5, 6)), true)
	m = m.measurer(m.seed, 1, map[string]float64{})
	if err := m.run([]string{"kernel", "drift"}); err != nil {
		t.Fatal(err)
	}
	v := m.vals
	if v["dchroma.eta2"] < 1-1e-5 || v["dchroma.b0"] < 1-1e-5 || v["dchroma.b1"] > 1e-5 {
		t.Errorf("dchroma eta2 %v, b0 %v, b1 %v: want 1, 1, 0", v["dchroma.eta2"], v["dchroma.b0"], v["dchroma.b1"])
	}
	if p := v["dchroma.eta2.p"]; p != 1.0/201 {
		t.Errorf("dchroma eta2 p = %v, want 1/201", p)
	}
	if v["drift.branch.0.0"] <= 0 || v["drift.trunk.0"] != 0 {
		t.Errorf("drift: planted layer %v (want > 0), untouched trunk %v (want 0)", v["drift.branch.0.0"], v["drift.trunk.0"])
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
		if p := m.vals["chroma.eta2.p"]; p < 0.01 {
			outside++
		}
		if p := m.vals["chroma.eta2.p"]; p <= 0 || p > 1 {
			t.Errorf("seed %d: p = %v", seed, p)
		}
	}
	if outside > 1 {
		t.Errorf("%d of %d random nets had p < 0.01 for chroma eta2", outside, seeds)
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

// TestFunctionalDependencyRescaling: scaling branch 0's last layer (weights
// and biases) by 4 and the rejoin weights that read it by 1/4 changes
// neither what the net computes nor the functional dependency (ReLU and max
// pool commute with a positive scale; a power of two keeps every float
// exact), while the weight-only dependency moves.
func TestFunctionalDependencyRescaling(t *testing.T) {
	m := newMeasurer(t, 3)
	if err := m.run([]string{"rejoin"}); err != nil {
		t.Fatal(err)
	}
	before := m.vals
	acc0, err := m.ev.Evaluate(m.test, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	last := fmt.Sprintf("branch.0.%d", len(m.model.Arch().Branches[0])-1)
	for _, name := range []string{last + ".w", last + ".b"} {
		for i := range m.model.Param(name).Data() {
			m.model.Param(name).Data()[i] *= 4
		}
	}
	r := m.model.Rejoin()
	for o := range r.Out {
		for i, g := range r.Groups {
			if g == 0 {
				for k := range r.Taps {
					r.W[(o*r.In+i)*r.Taps+k] /= 4
				}
			}
		}
	}
	m = m.measurer(m.seed, 1, map[string]float64{})
	if err := m.run([]string{"rejoin"}); err != nil {
		t.Fatal(err)
	}
	acc1, err := m.ev.Evaluate(m.test, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if acc1.Loss != acc0.Loss {
		t.Errorf("the rescaled net computes another function: loss %v, was %v", acc1.Loss, acc0.Loss)
	}
	for _, k := range []string{"rejoin.fmaxshare", "rejoin.fentropy"} {
		if m.vals[k] != before[k] {
			t.Errorf("%s = %v after rescaling, %v before", k, m.vals[k], before[k])
		}
	}
	if m.vals["rejoin.maxshare"] == before["rejoin.maxshare"] {
		t.Errorf("rejoin.maxshare = %v unchanged: the weights alone should see the rescaling", m.vals["rejoin.maxshare"])
	}
}

// TestPlantedBlockRejoin: a block-diagonal rejoin (each output reads one
// branch) gives the n-cut 0 and the smallest shuffle p, while the random
// rejoin at initialisation does not.
func TestPlantedBlockRejoin(t *testing.T) {
	m := newMeasurer(t, 4, "metrics.shuffles=50")
	if err := m.run([]string{"rejoin"}); err != nil {
		t.Fatal(err)
	}
	if p := m.vals["ncut.rejoin.p"]; p < 0.05 {
		t.Errorf("random rejoin: n-cut p = %v, want a value the null does not reject", p)
	}
	r := m.model.Rejoin()
	for o := range r.Out {
		for i, g := range r.Groups {
			if g != o%r.Branches {
				for k := range r.Taps {
					r.W[(o*r.In+i)*r.Taps+k] = 0
				}
			}
		}
	}
	m = m.measurer(m.seed, 1, map[string]float64{})
	if err := m.run([]string{"rejoin"}); err != nil {
		t.Fatal(err)
	}
	if v, p := m.vals["ncut.rejoin"], m.vals["ncut.rejoin.p"]; v != 0 || p != 1.0/51 {
		t.Errorf("block-diagonal rejoin: n-cut %v, p %v; want 0 and 1/51", v, p)
	}
	if v, p := m.vals["rejoin.maxshare"], m.vals["rejoin.maxshare.p"]; v != 1 || p != 1.0/21 {
		t.Errorf("block-diagonal rejoin: maxshare %v, p %v; want 1 and 1/21 (the init null's smallest)", v, p)
	}
}
