package experiments

import (
	"maps"
	"math"
	"slices"
	"strings"
	"testing"

	"branchspec/metrics/stats"
	"branchspec/trainer"
)

// calibrationSeeds is the number of runs at step 0 the nulls are
// calibrated over (science.md: >= 100).
const calibrationSeeds = 100

// rateLevel is the coverage of the Wilson interval of a rejection rate:
// 99.9%, as about 50 rates (25 keys, 2 levels) are checked at once, so
// that a calibrated null fails by chance in about 5% of seed sets, while a
// rate like revision 1's csi.rejoin null (13 of 100 at 0.05) still fails.
const rateLevel = 0.999

// TestNullsCalibratedAtInit: at step 0 a net is an initialisation, where
// every null hypothesis holds, so the p-value of every null must be
// uniform across seeds (Kolmogorov-Smirnov against the discrete uniform
// law on the grid of a Monte Carlo p with its null's size, KS p > 0.01),
// and no null rejects more often than its level allows (the Wilson
// interval of the rejection rate at 0.01 and at 0.05 reaches the level;
// see rateLevel). That covers the
// permutation nulls of the first layer, the n-cut's shuffle null with the
// partition derived on every shuffle, and the initialisation null of the
// rejoin, later-layer and CKA metrics, computed as a run computes them
// (metrics.inits = 20 fresh draws). The family tails are hypergeometric
// p-values, discrete and conservative: only their rejection rate is
// checked. Seeds 0..99 of a cut-down tiny config: deterministic.
func TestNullsCalibratedAtInit(t *testing.T) {
	cfg := tinyConfig(t, "data.test_size=64", "metrics.probes=16", "metrics.csi_top=4",
		"metrics.cka_examples=32", "metrics.permutations=200", "metrics.shuffles=50", "metrics.inits=20",
		"model.branch[0].out=8")
	_, test, err := LoadData(cfg)
	if err != nil {
		t.Fatal(err)
	}
	model, err := trainer.NewModel(cfg, trainer.Stream(0, "init", 0))
	if err != nil {
		t.Fatal(err)
	}
	inst, err := newInstruments(cfg, model, nil, test)
	if err != nil {
		t.Fatal(err)
	}
	defer inst.close()

	// pvals[key][seed]: every p and family tail logged at step 0.
	pvals := map[string][]float64{}
	for seed := range uint64(calibrationSeeds) {
		c := cfg.Clone()
		c.Seed = seed
		draws, err := inst.drawInitNull(c)
		if err != nil {
			t.Fatal(err)
		}
		w0, err := initialWeights(c, model)
		if err != nil {
			t.Fatal(err)
		}
		if inst.origin, err = newOrigin(model, w0, draws); err != nil {
			t.Fatal(err)
		}
		m := inst.measurer(seed, 0, map[string]float64{})
		if err := m.run([]string{"kernel", "rejoin", "csi", "cka"}); err != nil {
			t.Fatal(err)
		}
		for k, v := range m.vals {
			switch {
			case strings.HasSuffix(k, ".p"):
				pvals[k] = append(pvals[k], v)
			case strings.HasSuffix(k, ".log10p"):
				pvals[k] = append(pvals[k], math.Pow(10, v))
			}
		}
	}

	// Each p key and the size N of its null: p = (r+1)/(N+1).
	nulls := map[string]int{
		"chroma.eta2.p": 200, "freq.eta2.p": 200, "csi.eta2.p": 200,
		"ncut.rejoin.p":     50,
		"csi.rejoin.eta2.p": 20, "rejoin.maxshare.p": 20, "rejoin.entropy.p": 20,
		"rejoin.fmaxshare.p": 20, "rejoin.fentropy.p": 20,
		"cka.between.p": 20, "cka.gray.b0.p": 20, "cka.gray.b1.p": 20,
	}
	for _, key := range slices.Sorted(maps.Keys(pvals)) {
		p := pvals[key]
		if len(p) != calibrationSeeds {
			t.Errorf("%s: logged at %d of %d seeds", key, len(p), calibrationSeeds)
			continue
		}
		t.Run(key, func(t *testing.T) {
			draws, isP := nulls[key]
			if !isP && !strings.HasSuffix(key, ".log10p") {
				t.Fatalf("%s: a p-value this test does not know the null of", key)
			}
			cal := stats.Calibrate(calibrationSeeds, draws, func(seed uint64) float64 { return p[seed] })
			if isP && cal.KSP <= 0.01 {
				t.Errorf("p not uniform at step 0: KS D = %.3f, p = %.4f (N = %d)", cal.D, cal.KSP, draws)
			}
			for _, alpha := range []float64{0.01, 0.05} {
				k := 0
				for _, v := range p {
					if v <= alpha {
						k++
					}
				}
				if lo, hi := stats.WilsonInterval(k, len(p), rateLevel); lo > alpha {
					t.Errorf("rejects %d of %d at level %.2f (%.1f%% CI %.3f..%.3f)", k, len(p), alpha, 100*rateLevel, lo, hi)
				}
			}
			rate, _, _ := cal.Rate(0.05)
			t.Logf("KS p %.3f, rate at 0.05 %.2f", cal.KSP, rate)
		})
	}
	for key := range nulls {
		if _, ok := pvals[key]; !ok {
			t.Errorf("%s: not logged at step 0", key)
		}
	}
}
