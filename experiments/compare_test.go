package experiments

import (
	"bytes"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"branchspec/configs"
	"branchspec/metrics/stats"
	"branchspec/results"
)

// compareTol is the tolerance of the hand-computed values below: they are
// exact in real arithmetic, so only float64 rounding separates them.
const compareTol = 1e-9

var fixtureSteps = []int{0, 1, 2, 4, 8}

// writeRun stores a run with the given rows and final state in dir. Its
// config is the tiny preset (2 branches of 4 first-layer units,
// checkpoint.log_until = 8) named name.
func writeRun(t *testing.T, dir, name string, seed uint64, extra map[string]string, rows []results.Row, state results.State, reason string) {
	t.Helper()
	cfg, err := configs.Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.SetAll([]string{"name=" + strconv.Quote(name), "seed=" + strconv.FormatUint(seed, 10)}); err != nil {
		t.Fatal(err)
	}
	run, err := results.Create(dir, results.Info{Name: name, Seed: seed, ConfigText: cfg.Canonical(),
		ConfigHash: cfg.Hash(), Version: "test", Created: time.Unix(0, 0), Extra: extra}, nil)
	if err != nil {
		t.Fatal(err)
	}
	last := 0
	if len(rows) > 0 {
		last = rows[len(rows)-1].Step
	}
	st := results.Status{State: state, Step: last, Total: 8, Reason: reason, Updated: time.Unix(0, 0)}
	if err := run.Commit(results.Commit{Rows: rows, Status: &st}); err != nil {
		t.Fatal(err)
	}
}

// fixtureRows builds rows at fixtureSteps from per-key functions of step.
func fixtureRows(keys map[string]func(t float64) float64) []results.Row {
	var rows []results.Row
	for _, s := range fixtureSteps {
		vals := map[string]float64{}
		for k, f := range keys {
			vals[k] = f(float64(s))
		}
		rows = append(rows, results.Row{Step: s, Values: vals})
	}
	return rows
}

// fixture writes, under root/exp:
//
//	baseline  seeds 1..3, regime label in Extra; test.acc = F t/8 with
//	          F = 0.5, 0.6, 0.7; seed 2's colour branch is b1
//	cut       seeds 1..3, named "cut" (no Extra); F = 0.7, 0.8, 0.9
//	pair      seeds 1..2; F = 0.5, 0.7
//	a failed baseline run (seed 4) and an interrupted cut run (seed 4).
//
// chroma.eta2 = f + 0.01 seed e^(0.1 t) with f = 1/7 in the baseline, so its
// growth rate is 0.1 per step.
func fixture(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	floor := 1.0 / 7
	branchRows := func(final float64, seed uint64, colour int) []results.Row {
		hi, lo := 0.6, 0.1
		b := [2]float64{hi, lo}
		if colour == 1 {
			b = [2]float64{lo, hi}
		}
		return fixtureRows(map[string]func(float64) float64{
			"test.acc":        func(s float64) float64 { return final * s / 8 },
			"chroma.eta2":     func(s float64) float64 { return floor + 0.01*float64(seed)*math.Exp(0.1*s) },
			"rejoin.maxshare": func(s float64) float64 { return 0.5 + 0.01*s },
			"chroma.b0":       func(float64) float64 { return b[0] },
			"chroma.b1":       func(float64) float64 { return b[1] },
			"lesion.b0":       func(float64) float64 { return b[0] / 10 },
			"lesion.b1":       func(float64) float64 { return b[1] / 10 },
			"lesion.b1.c1":    func(float64) float64 { return b[1] / 100 },
		})
	}
	exp := filepath.Join(root, "exp")
	for i, f := range []float64{0.5, 0.6, 0.7} {
		seed := uint64(i + 1)
		colour := 0
		if seed == 2 {
			colour = 1
		}
		writeRun(t, filepath.Join(exp, "baseline", "seed-"+strconv.Itoa(i+1)), "baseline", seed,
			map[string]string{"regime": "baseline", "experiment": "exp"}, branchRows(f, seed, colour), results.Done, "")
	}
	for i, f := range []float64{0.7, 0.8, 0.9} {
		writeRun(t, filepath.Join(exp, "cut", "seed-"+strconv.Itoa(i+1)), "cut", uint64(i+1), nil,
			branchRows(f, uint64(i+1), 0), results.Done, "")
	}
	for i, f := range []float64{0.5, 0.7} {
		writeRun(t, filepath.Join(exp, "pair", "seed-"+strconv.Itoa(i+1)), "pair", uint64(i+1), nil,
			branchRows(f, uint64(i+1), 0), results.Done, "")
	}
	writeRun(t, filepath.Join(exp, "baseline", "seed-4"), "baseline", 4, map[string]string{"regime": "baseline"},
		branchRows(0.1, 4, 0)[:3], results.Failed, "loss is NaN at step 3")
	writeRun(t, filepath.Join(exp, "cut", "seed-4"), "cut", 4, nil, branchRows(0.1, 4, 0)[:2], results.Running, "")
	return root
}

func TestLoadRunsSkipsAndAligns(t *testing.T) {
	root := fixture(t)
	set, err := LoadRuns([]string{root, filepath.Join(root, "exp", "cut")}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Runs) != 8 {
		t.Fatalf("loaded %d runs, want 8 (a run listed twice is read once)", len(set.Runs))
	}
	if got := set.Groups("baseline"); strings.Join(got, ",") != "baseline,cut,pair" {
		t.Errorf("groups %v, want baseline first then sorted", got)
	}
	reasons := map[string]string{}
	for _, s := range set.Skipped {
		reasons[s.Group+"/"+filepath.Base(s.Dir)] = s.State + ": " + s.Reason
	}
	for key, want := range map[string]string{
		"baseline/seed-4": "failed: failed: loss is NaN at step 3",
		"cut/seed-4":      "running: interrupted (resume with: branchspec resume ",
	} {
		if !strings.HasPrefix(reasons[key], want) {
			t.Errorf("skipped %s: %q, want prefix %q", key, reasons[key], want)
		}
	}
	for _, r := range set.Runs {
		if r.Group != "baseline" {
			continue
		}
		last := r.Rows[len(r.Rows)-1].Values
		if last["chroma.a0"] != 0.6 || last["chroma.a1"] != 0.1 {
			t.Errorf("seed %d: chroma.a0, a1 = %v, %v; want the colour branch (0.6) in slot 0", r.Info.Seed, last["chroma.a0"], last["chroma.a1"])
		}
		if _, ok := last["chroma.b0"]; ok {
			t.Errorf("seed %d: unaligned key chroma.b0 left", r.Info.Seed)
		}
		wantSwap := r.Info.Seed == 2
		if r.Swapped() != wantSwap || r.AlignedBy != "chroma.bB" {
			t.Errorf("seed %d: order %v by %q, want swapped = %v by chroma.bB", r.Info.Seed, r.Order, r.AlignedBy, wantSwap)
		}
		// lesion.b1.c1 is branch 1's: slot 0 when branch 1 is the colour branch.
		slotKey := "lesion.a1.c1"
		if wantSwap {
			slotKey = "lesion.a0.c1"
		}
		if last[slotKey] != 0.006 && last[slotKey] != 0.001 {
			t.Errorf("seed %d: %s = %v missing or wrong", r.Info.Seed, slotKey, last[slotKey])
		}
		if last["lesion.a0"] != 0.06 {
			t.Errorf("seed %d: lesion.a0 = %v, want the colour branch's 0.06", r.Info.Seed, last["lesion.a0"])
		}
	}
}

func TestAlignKey(t *testing.T) {
	swap := func(b int) int { return 1 - b }
	for in, want := range map[string]string{
		"chroma.b0":               "chroma.a1",
		"lesion.b1.c3":            "lesion.a0.c3",
		"family.chroma.b0.log10p": "family.chroma.a1.log10p",
		"csi.rejoin.b1":           "csi.rejoin.a0",
		"cka.between":             "cka.between",
		"lesion.base":             "lesion.base",
		"chroma.eta2":             "chroma.eta2",
	} {
		if got := AlignKey(in, swap); got != want {
			t.Errorf("AlignKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAlignBranchesFallsBackToCSI(t *testing.T) {
	rows := []results.Row{{Step: 0, Values: map[string]float64{"csi.b0": 0.1, "csi.b1": 0.9, "csi.b2": math.NaN(), "cka.gray.b2": 1}}}
	aligned, order, by := AlignBranches(rows)
	if by != "csi.bB" || len(order) != 3 || order[0] != 1 || order[1] != 0 || order[2] != 2 {
		t.Fatalf("order %v by %q, want [1 0 2] (NaN last) by csi.bB", order, by)
	}
	if v := aligned[0].Values["csi.a0"]; v != 0.9 {
		t.Errorf("csi.a0 = %v, want 0.9", v)
	}
	if rows[0].Values["csi.b0"] != 0.1 {
		t.Error("AlignBranches changed its input")
	}
	_, order, by = AlignBranches([]results.Row{{Step: 0, Values: map[string]float64{"lesion.b0": 1}}})
	if order != nil || by != "" {
		t.Errorf("without chroma or CSI: order %v by %q, want nil, \"\"", order, by)
	}
}

func compareFixture(t *testing.T, opts CompareOptions) *Comparison {
	t.Helper()
	set, err := LoadRuns([]string{fixture(t)}, GroupByRegime)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Metrics == nil {
		opts.Metrics = []string{"test.acc", "chroma.eta2", "chroma.a0"}
	}
	c, err := Compare(set, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func findContrast(t *testing.T, c *Comparison, group, metric, measure string) Contrast {
	t.Helper()
	for _, ct := range c.Contrasts {
		if ct.Group == group && ct.Metric == metric && ct.Measure == measure {
			return ct
		}
	}
	t.Fatalf("no contrast %s %s %s", group, metric, measure)
	return Contrast{}
}

func TestCompareCurves(t *testing.T) {
	c := compareFixture(t, CompareOptions{BootSeed: 1})
	got := map[string]CurvePoint{}
	for _, p := range c.Curves {
		got[p.Group+"/"+p.Metric+"/"+strconv.Itoa(p.Step)] = p
	}
	// baseline test.acc at step 8: 0.5, 0.6, 0.7.
	p := got["baseline/test.acc/8"]
	if p.N != 3 || math.Abs(p.Mean-0.6) > compareTol || !(p.Lo >= 0.5 && p.Lo < 0.6 && p.Hi > 0.6 && p.Hi <= 0.7) {
		t.Errorf("baseline test.acc at 8: %+v, want n 3, mean 0.6, CI inside [0.5, 0.7] around it", p)
	}
	// pair at step 8: {0.5, 0.7}: replicate means 0.5, 0.6, 0.7 with
	// probabilities 1/4, 1/2, 1/4, so the 95% percentile interval is [0.5, 0.7].
	p = got["pair/test.acc/8"]
	if p.N != 2 || math.Abs(p.Mean-0.6) > compareTol || p.Lo != 0.5 || p.Hi != 0.7 {
		t.Errorf("pair test.acc at 8: %+v, want n 2, mean 0.6, CI [0.5, 0.7]", p)
	}
	// At step 0 every seed logs 0: a zero-width interval.
	p = got["cut/test.acc/0"]
	if p.N != 3 || p.Mean != 0 || p.Lo != 0 || p.Hi != 0 {
		t.Errorf("cut test.acc at 0: %+v, want 0 [0, 0]", p)
	}
	// Aligned chroma.a0 is the colour branch's 0.6 in every seed.
	if p := got["baseline/chroma.a0/8"]; p.Mean != 0.6 || p.Lo != 0.6 || p.Hi != 0.6 {
		t.Errorf("baseline chroma.a0 at 8: %+v, want 0.6 [0.6, 0.6] after alignment", p)
	}
	// Determinism: the same boot seed gives the same bits. (With three
	// seeds the bootstrap distribution is a lattice, so another seed may
	// well give the same percentiles.)
	again := compareFixture(t, CompareOptions{BootSeed: 1})
	for i := range c.Curves {
		if c.Curves[i] != again.Curves[i] {
			t.Fatalf("curve point %d differs between identical calls: %+v, %+v", i, c.Curves[i], again.Curves[i])
		}
	}
	for i := range c.Contrasts {
		a, b := c.Contrasts[i], again.Contrasts[i]
		if a.Lo != b.Lo || a.Hi != b.Hi || a.P != b.P {
			t.Fatalf("contrast %d differs between identical calls: %+v, %+v", i, a, b)
		}
	}
}

func TestCompareContrasts(t *testing.T) {
	c := compareFixture(t, CompareOptions{BootSeed: 1})
	sqrt2pi := math.Sqrt(2 / math.Pi)
	// cut vs baseline, final test.acc: {0.7, 0.8, 0.9} vs {0.5, 0.6, 0.7}.
	// Difference 0.2; both variances 0.01, s_p = 0.1, d = 2, m = 4,
	// J = sqrt(2/pi), g = 2 sqrt(2/pi). Permutation: of the C(6,3) = 20
	// splits of {0.5, 0.6, 0.7, 0.7, 0.8, 0.9}, |difference| >= 0.2 for 4
	// (each side {0.5, 0.6, 0.7} or {0.7, 0.8, 0.9}, the 0.7 either of
	// two): p = 0.2.
	ct := findContrast(t, c, "cut", "test.acc", MeasureFinal)
	if ct.N != 3 || ct.NBase != 3 || math.Abs(ct.Diff-0.2) > compareTol ||
		math.Abs(ct.G-2*sqrt2pi) > compareTol || math.Abs(ct.P-0.2) > compareTol {
		t.Errorf("final: %+v, want n 3 vs 3, diff 0.2, g %v, p 0.2", ct, 2*sqrt2pi)
	}
	// The interval lies within the range of possible differences, [0, 0.4],
	// around 0.2, and excludes 0 (P(diff* <= 0) = (1/27)^2).
	// With 3 vs 3 seeds p >= 0.1, so the conclusion may not say higher.
	if !(ct.Lo > 0 && ct.Lo < 0.2 && ct.Hi > 0.2 && ct.Hi <= 0.4) || !strings.HasPrefix(ct.Conclusion, "inconclusive: the CI excludes 0") {
		t.Errorf("final: CI [%v, %v], conclusion %q; want inside (0, 0.4] around 0.2, inconclusive", ct.Lo, ct.Hi, ct.Conclusion)
	}
	// AUC: test.acc = F t/8 is linear, so its time average over [0, 8] is
	// F/2: difference 0.1, g unchanged (scale-free), p unchanged.
	ct = findContrast(t, c, "cut", "test.acc", MeasureAUC)
	if math.Abs(ct.Mean-0.4) > compareTol || math.Abs(ct.MeanBase-0.3) > compareTol ||
		math.Abs(ct.G-2*sqrt2pi) > compareTol || math.Abs(ct.P-0.2) > compareTol {
		t.Errorf("auc: %+v, want means 0.4 vs 0.3, g %v, p 0.2", ct, 2*sqrt2pi)
	}
	// pair vs baseline: {0.5, 0.7} vs {0.5, 0.6, 0.7}: same mean; the
	// interval straddles 0 and the conclusion claims nothing.
	ct = findContrast(t, c, "pair", "test.acc", MeasureFinal)
	if math.Abs(ct.Diff) > compareTol || !(ct.Lo < 0 && ct.Hi > 0) || ct.Conclusion != "no evidence of a difference (n=2 vs 3)" {
		t.Errorf("pair: %+v, want diff 0 and no evidence of a difference (n=2 vs 3)", ct)
	}
	// Aligned chroma.a0 is 0.6 everywhere: no spread, no difference.
	ct = findContrast(t, c, "cut", "chroma.a0", MeasureFinal)
	if ct.Diff != 0 || ct.Lo != 0 || ct.Hi != 0 || !math.IsNaN(ct.G) || ct.P != 1 {
		t.Errorf("chroma.a0: %+v, want diff 0 [0, 0], g NaN, p 1", ct)
	}
}

// TestPairedContrasts checks the seed-matched contrasts of the primary
// endpoints on the fixture, whose final test.acc is, by seed 1, 2, 3,
// 0.5, 0.6, 0.7 in the baseline, 0.7, 0.8, 0.9 in cut and 0.5, 0.7 in
// pair (seeds 1 and 2).
func TestPairedContrasts(t *testing.T) {
	c := compareFixture(t, CompareOptions{BootSeed: 1, Primary: []string{"test.acc"}})
	find := func(group, measure string) PairedContrast {
		t.Helper()
		for _, pc := range c.Paired {
			if pc.Group == group && pc.Metric == "test.acc" && pc.Measure == measure {
				return pc
			}
		}
		t.Fatalf("no paired contrast %s test.acc %s in %+v", group, measure, c.Paired)
		return PairedContrast{}
	}
	if len(c.Paired) != 4 { // cut and pair, final and auc: primary endpoints only
		t.Errorf("%d paired contrasts, want 4: %+v", len(c.Paired), c.Paired)
	}
	// cut: every seed 0.2 above its baseline run. The bootstrap of three
	// equal differences is that difference; r = 1; of the 8 sign vectors
	// only all + and all - reach |sum| = 0.6: p = 2/8. The unpaired
	// contrast of the same values has an interval of width about 0.3.
	pc := find("cut", MeasureFinal)
	if pc.N != 3 || !slices.Equal(pc.Seeds, []uint64{1, 2, 3}) || math.Abs(pc.Diff-0.2) > compareTol ||
		math.Abs(pc.Lo-0.2) > compareTol || math.Abs(pc.Hi-0.2) > compareTol || math.Abs(pc.R-1) > compareTol ||
		math.Abs(pc.P-0.25) > compareTol || !strings.HasPrefix(pc.Conclusion, "inconclusive: the CI excludes 0") {
		t.Errorf("cut final: %+v, want 3 pairs (seeds 1 2 3), diff 0.2 [0.2, 0.2], r 1, p 0.25, inconclusive", pc)
	}
	// pair: seeds 1 and 2 only, differences 0 and 0.1: mean 0.05, every
	// sign vector reaches |sum| = 0.1, p = 1.
	pc = find("pair", MeasureFinal)
	if pc.N != 2 || !slices.Equal(pc.Seeds, []uint64{1, 2}) || math.Abs(pc.Diff-0.05) > compareTol || pc.P != 1 ||
		!(pc.Lo <= 0 && pc.Hi >= 0.1-compareTol) || pc.Conclusion != "no evidence of a difference (n=2 vs 2)" {
		t.Errorf("pair final: %+v, want 2 pairs (seeds 1 2), diff 0.05, CI [0, 0.1], p 1, no evidence", pc)
	}
	// q: Benjamini-Hochberg across the 4 paired contrasts.
	var p []float64
	for _, pc := range c.Paired {
		p = append(p, pc.P)
	}
	for i, q := range stats.BHAdjust(p) {
		if c.Paired[i].Q != q {
			t.Errorf("paired contrast %d: q %v, want %v", i, c.Paired[i].Q, q)
		}
	}
	// The CSV table carries them.
	var buf bytes.Buffer
	if err := c.WriteCSV(&buf, "paired"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "cut,baseline,test.acc,final,3,1 2 3,") {
		t.Errorf("paired CSV:\n%s", buf.String())
	}
}

func TestCompareNoBaseline(t *testing.T) {
	c := compareFixture(t, CompareOptions{Baseline: "control"})
	if len(c.Contrasts) != 0 || len(c.Notes) == 0 || !strings.Contains(c.Notes[0], `"control"`) {
		t.Errorf("contrasts %d, notes %q: want none and a note naming the missing baseline", len(c.Contrasts), c.Notes)
	}
}

func TestConclusion(t *testing.T) {
	for _, tc := range []struct {
		lo, hi, p float64
		n, nb     int
		want      string
	}{
		{0.1, 0.3, 0.01, 4, 4, "higher"},
		{-0.3, -0.1, 0.004, 5, 4, "lower"},
		{-0.3, -0.1, 0.1, 3, 3, "inconclusive: the CI excludes 0 but q = 0.1 (n=3 vs 3)"},
		{0.1, 0.3, math.NaN(), 3, 3, "inconclusive: the CI excludes 0 but q = NaN (n=3 vs 3)"},
		{-0.1, 0.3, 0.5, 3, 3, "no evidence of a difference (n=3 vs 3)"},
		{0, 0.3, 0.01, 3, 3, "no evidence of a difference (n=3 vs 3)"},
		{math.NaN(), math.NaN(), 1, 1, 3, "too few seeds (n=1 vs 3)"},
	} {
		if got := Conclusion(tc.lo, tc.hi, tc.p, 0.05, tc.n, tc.nb); got != tc.want {
			t.Errorf("Conclusion(%v, %v, q %v, %d, %d) = %q, want %q", tc.lo, tc.hi, tc.p, tc.n, tc.nb, got, tc.want)
		}
	}
}

func TestFeedbackGrowth(t *testing.T) {
	c := compareFixture(t, CompareOptions{BootSeed: 1})
	for _, sf := range c.FeedbackSeeds {
		if sf.Group != "baseline" {
			continue
		}
		// chroma.eta2 - 1/7 = 0.01 seed e^(0.1 t): ln of it is linear in t with slope 0.1.
		if math.Abs(sf.Floor-1.0/7) > compareTol || sf.GrowthPoints != 5 || math.Abs(sf.Growth-0.1) > compareTol {
			t.Errorf("seed %d: floor %v, %d points, growth %v; want 1/7, 5, 0.1", sf.Seed, sf.Floor, sf.GrowthPoints, sf.Growth)
		}
	}
	var base FeedbackSummary
	for _, f := range c.Feedback {
		if f.Group == "baseline" {
			base = f
		}
	}
	if base.Growth.N != 3 || math.Abs(base.Growth.Mean-0.1) > compareTol ||
		math.Abs(base.Growth.Lo-0.1) > compareTol || math.Abs(base.Growth.Hi-0.1) > compareTol {
		t.Errorf("baseline growth %+v, want 0.1 [0.1, 0.1] over 3 seeds", base.Growth)
	}
}

func TestSeedSignature(t *testing.T) {
	// u = chroma.eta2, d = rejoin.maxshare at steps 0, 1, 2, 4, 8, then a
	// step beyond log_until = 8 that the growth fit must ignore.
	u := []float64{0.2, 0.3, 0.5, 0.6, 1.0}
	d := []float64{0.5, 0.6, 0.5, 0.8, 0.9}
	var rows []results.Row
	for i, s := range fixtureSteps {
		rows = append(rows, results.Row{Step: s, Values: map[string]float64{"chroma.eta2": u[i], "rejoin.maxshare": d[i]}})
	}
	dir := filepath.Join(t.TempDir(), "run")
	writeRun(t, dir, "baseline", 1, nil, rows, results.Done, "")
	set, err := LoadRuns([]string{dir}, "")
	if err != nil || len(set.Runs) != 1 {
		t.Fatalf("load: %v, %d runs", err, len(set.Runs))
	}
	sf := SeedSignature(set.Runs[0])
	// Forward: changes of u (0.1, 0.2, 0.1, 0.4) against d (0.5, 0.6, 0.5,
	// 0.8): d = 0.4 + change, r = 1.
	// Reverse: changes of d (0.1, -0.1, 0.3, 0.1) against u (0.2, 0.3, 0.5,
	// 0.6): centred (0, -0.2, 0.2, 0) and (-0.2, -0.1, 0.1, 0.2),
	// r = 0.04 / sqrt(0.08 * 0.1) = 1/sqrt(5).
	if sf.Pairs != 4 || math.Abs(sf.Forward-1) > compareTol || math.Abs(sf.Reverse-1/math.Sqrt(5)) > compareTol {
		t.Errorf("signature %+v, want 4 pairs, forward 1, reverse 1/sqrt(5)", sf)
	}
	if sf.Upstream != "chroma.eta2" {
		t.Errorf("upstream %q, want chroma.eta2", sf.Upstream)
	}
}

func TestConfigOverrides(t *testing.T) {
	base, err := configs.Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	other := base.Clone()
	if err := other.SetAll([]string{`name="gray"`, "seed=7", "data.grayscale=true", "optim.lr=0.05"}); err != nil {
		t.Fatal(err)
	}
	got := ConfigOverrides(base.Canonical(), other.Canonical())
	want := []string{"data.grayscale = true", "optim.lr = 0.05"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("overrides %q, want %q (name and seed ignored)", got, want)
	}
	if got := ConfigOverrides(base.Canonical(), base.Canonical()); len(got) != 0 {
		t.Errorf("a config against itself: %q, want none", got)
	}
}

// TestContrastFamilies: the primary endpoints' contrasts come first and
// are adjusted as one Benjamini-Hochberg family, the exploratory rest as
// another, and a conclusion needs q (not p) below the level.
func TestContrastFamilies(t *testing.T) {
	c := compareFixture(t, CompareOptions{BootSeed: 1, Primary: []string{"test.acc"}})
	if c.Metrics[0] != "test.acc" {
		t.Errorf("metrics %v: want the primary endpoint first", c.Metrics)
	}
	for _, fam := range []string{FamilyPrimary, FamilyExploratory} {
		var p, q []float64
		for _, ct := range c.Contrasts {
			if ct.Family != fam {
				continue
			}
			if (fam == FamilyPrimary) != (ct.Metric == "test.acc") {
				t.Errorf("%s %s in family %s", ct.Metric, ct.Measure, fam)
			}
			p, q = append(p, ct.P), append(q, ct.Q)
			if want := Conclusion(ct.Lo, ct.Hi, ct.Q, 0.05, ct.N, ct.NBase); ct.Conclusion != want {
				t.Errorf("%s %s %s: conclusion %q, want %q", ct.Metric, ct.Measure, ct.Group, ct.Conclusion, want)
			}
		}
		if len(p) == 0 || c.familySize(fam) != len(p) {
			t.Fatalf("family %s: %d contrasts, familySize %d", fam, len(p), c.familySize(fam))
		}
		for i, want := range stats.BHAdjust(p) {
			if q[i] != want {
				t.Errorf("family %s contrast %d: q = %v, want BH %v", fam, i, q[i], want)
			}
		}
	}
}

// TestSplitCounts: "a split formed" counts a group's runs whose final
// split endpoint is below 0.01, with the Wilson interval of the fraction;
// the endpoints come from the runs when they recorded them.
func TestSplitCounts(t *testing.T) {
	root := t.TempDir()
	ps := map[string][]float64{"baseline": {0.005, 0.2, 0.001}, "cut": {0.5, 0.3, 0.009}}
	for g, finals := range ps {
		for i, p := range finals {
			rows := fixtureRows(map[string]func(float64) float64{
				"x.p":      func(s float64) float64 { return p + (8-s)/10 }, // final (step 8) value p
				"test.acc": func(s float64) float64 { return s / 8 },
			})
			extra := map[string]string{"regime": g, "primary": "test.acc", "split": "x.p"}
			writeRun(t, filepath.Join(root, g, "seed-"+strconv.Itoa(i+1)), g, uint64(i+1), extra, rows, results.Done, "")
		}
	}
	set, err := LoadRuns([]string{root}, "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compare(set, CompareOptions{BootSeed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if c.Options.SplitEndpoint != "x.p" || strings.Join(c.Options.Primary, ",") != "test.acc" {
		t.Errorf("endpoints %v, %q: want those the runs recorded", c.Options.Primary, c.Options.SplitEndpoint)
	}
	want := map[string][2]int{"baseline": {2, 3}, "cut": {1, 3}}
	for _, sc := range c.Splits {
		kn := want[sc.Group]
		lo, hi := stats.WilsonInterval(kn[0], kn[1], 0.95)
		if sc.K != kn[0] || sc.N != kn[1] || sc.Lo != lo || sc.Hi != hi || sc.Endpoint != "x.p" {
			t.Errorf("%s: %+v, want %d of %d in [%v, %v]", sc.Group, sc, kn[0], kn[1], lo, hi)
		}
	}
	if len(c.Splits) != 2 {
		t.Errorf("%d split counts, want 2", len(c.Splits))
	}

	// A run that recorded other endpoints: the defaults, with a note.
	writeRun(t, filepath.Join(root, "cut", "seed-9"), "cut", 9, map[string]string{"regime": "cut", "split": "y.p"},
		fixtureRows(map[string]func(float64) float64{"test.acc": func(s float64) float64 { return s }}), results.Done, "")
	set, err = LoadRuns([]string{root}, "")
	if err != nil {
		t.Fatal(err)
	}
	c, err = Compare(set, CompareOptions{BootSeed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if c.Options.SplitEndpoint != DefaultSplitEndpoint || len(c.Notes) == 0 {
		t.Errorf("split endpoint %q, notes %q: want the default and a note", c.Options.SplitEndpoint, c.Notes)
	}
}

// TestMatchKeys: a pattern that is a key selects it alone; others match
// as globs or prefixes.
func TestMatchKeys(t *testing.T) {
	keys := []string{"csi.b0", "csi.rejoin.eta2", "rejoin.maxshare", "rejoin.maxshare.p", "rejoin.maxshare.null.sd"}
	for _, tc := range []struct {
		patterns []string
		want     string
	}{
		{[]string{"rejoin.maxshare"}, "rejoin.maxshare"},
		{[]string{"rejoin.maxshare.*"}, "rejoin.maxshare.p,rejoin.maxshare.null.sd"},
		{[]string{"rejoin"}, "rejoin.maxshare,rejoin.maxshare.p,rejoin.maxshare.null.sd"},
		{[]string{"csi", "rejoin.maxshare.p"}, "csi.b0,csi.rejoin.eta2,rejoin.maxshare.p"},
	} {
		if got := strings.Join(MatchKeys(keys, tc.patterns), ","); got != tc.want {
			t.Errorf("MatchKeys(%v) = %s, want %s", tc.patterns, got, tc.want)
		}
	}
}
