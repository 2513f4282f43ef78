package experiments

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"branchspec/metrics/stats"
	"branchspec/trainer"
)

// DefaultPrimary returns the primary endpoints of science.md ("Statistics
// when comparing"), named before running: the split of what training added
// to the first layer (dchroma.eta2) and the functional dependency at the
// rejoin (rejoin.fmaxshare). An experiment file may name others
// (primary = [...]).
func DefaultPrimary() []string { return []string{"dchroma.eta2", "rejoin.fmaxshare"} }

// DefaultSplitEndpoint is the p-value whose final value below SplitAlpha
// says that a split formed in a run: the first layer's learned split
// against its permutation null. An experiment file may name another
// (split = "...").
const DefaultSplitEndpoint = "dchroma.eta2.p"

// SplitAlpha is the level of "a split formed": the split endpoint's final
// p below it (science.md: p < 0.01).
const SplitAlpha = 0.01

// DefaultCompareMetrics returns the metrics compared when
// CompareOptions.Metrics is empty, where any run logs them: the default
// primary endpoints, then the exploratory rest. Per-branch keys are
// aligned (see AlignBranches).
func DefaultCompareMetrics() []string {
	return append(DefaultPrimary(), "chroma.eta2", "csi.eta2", "csi.rejoin.eta2", "rejoin.maxshare", "rejoin.fentropy",
		"ncut.rejoin", "cka.between", "dchroma.a0", "dchroma.a1", "lesion.a0", "lesion.a1", KeyTestAcc)
}

// CompareOptions configure Compare. Zero values take the defaults noted.
type CompareOptions struct {
	// Metrics are the aligned metric keys to compare (default: those of
	// DefaultCompareMetrics() that some run logs).
	Metrics []string
	// Baseline is the group every other group is contrasted with (default
	// "baseline"). If no run is in it, Comparison.Contrasts is empty and a
	// note says so.
	Baseline string
	// BootSeed seeds every bootstrap and permutation stream. Each interval
	// and test draws from its own stream, derived from BootSeed and what it
	// measures, so results do not depend on which metrics are selected.
	BootSeed uint64
	// Resamples is the number of bootstrap resamples (default 2000).
	Resamples int
	// Permutations bounds the permutation test: exact enumeration when
	// the two groups have at most this many splits, else this many random
	// splits (default 10000).
	Permutations int
	// Level is the coverage of the confidence intervals (default 0.95);
	// 1 - Level is also the false discovery rate of the contrasts.
	Level float64
	// Primary are the primary endpoints (aligned keys), whose contrasts
	// are reported first and form their own false-discovery family. nil:
	// those the runs recorded from their experiment file (Extra
	// "primary") when every run agrees, else DefaultPrimary().
	Primary []string
	// SplitEndpoint is the p-value key of "a split formed" ("": the runs'
	// Extra "split" when every run agrees, else DefaultSplitEndpoint).
	SplitEndpoint string
}

func (o CompareOptions) withDefaults() CompareOptions {
	if o.Baseline == "" {
		o.Baseline = "baseline"
	}
	if o.Resamples <= 0 {
		o.Resamples = 2000
	}
	if o.Permutations <= 0 {
		o.Permutations = 10000
	}
	if o.Level <= 0 || o.Level >= 1 {
		o.Level = 0.95
	}
	return o
}

// Value is one logged metric value of one run: a row of the tidy table.
type Value struct {
	Group  string
	Seed   uint64
	Run    string
	Step   int
	Metric string
	Value  float64
}

// CurvePoint is a group's mean of a metric at one step across its seeds,
// with the percentile bootstrap interval of that mean (NaN when N < 2).
type CurvePoint struct {
	Group  string
	Metric string
	Step   int
	N      int
	Mean   float64
	Lo, Hi float64
}

// Measures of a run's curve that Compare contrasts.
const (
	MeasureFinal = "final" // the value at the run's last step that logs the metric
	MeasureAUC   = "auc"   // stats.MeanOverRange over the run's steps (a fork's from its fork step): the time-averaged value
)

// Families of contrasts: the Benjamini-Hochberg adjustment runs within
// each.
const (
	FamilyPrimary     = "primary"
	FamilyExploratory = "exploratory"
)

// Contrast compares a group with the baseline on one measure of one
// metric: Diff = mean(group) - mean(baseline) with its percentile
// bootstrap interval [Lo, Hi] (groups resampled independently), Hedges' g
// (group minus baseline), the two-sided permutation p of the difference
// of means, and its Benjamini-Hochberg q within its family (the primary
// endpoints' contrasts, or the exploratory rest: every regime, metric and
// measure of the family at once). N and NBase count the seeds behind each
// side.
type Contrast struct {
	Group, Baseline string
	Metric          string
	Measure         string
	Family          string // FamilyPrimary or FamilyExploratory
	N, NBase        int
	Mean, MeanBase  float64
	Diff, Lo, Hi    float64
	G, P, Q         float64
	// Conclusion is "higher" or "lower" only when the interval excludes
	// 0 and q is below the false discovery rate; see the function
	// Conclusion.
	Conclusion string
}

// PairedContrast compares group Group with the baseline seed by seed, on
// the runs of the seeds both have (Seeds): a sweep's regimes of one seed
// share its initial weights and batches wherever the regime leaves them
// alone, so the per-seed difference removes what the seed decides (for a
// cut-downstream regime, the whole initial asymmetry). Diff is the mean of
// the per-seed differences (group minus baseline) with its bootstrap
// interval [Lo, Hi], R the Pearson correlation of the pairs across seeds,
// P the two-sided sign-flip permutation p (stats.SignFlipP) and Q its
// Benjamini-Hochberg q across all paired contrasts (a family of their own,
// exploratory: the primary contrasts are the unpaired ones).
type PairedContrast struct {
	Group, Baseline string
	Metric, Measure string
	N               int
	Seeds           []uint64
	Diff, Lo, Hi    float64
	R, P, Q         float64
	Conclusion      string
}

// SplitCount is how many of a group's runs formed a split: K of the N
// runs that log the split endpoint end with it below SplitAlpha, with the
// Wilson 95% interval [Lo, Hi] of K/N (NaN when N = 0).
type SplitCount struct {
	Group, Endpoint string
	K, N            int
	Lo, Hi          float64
}

// Comparison is what Compare computes from a RunSet.
type Comparison struct {
	Options   CompareOptions // with defaults applied, Primary and SplitEndpoint resolved
	Groups    []string       // baseline first, then sorted
	Metrics   []string       // the primary endpoints compared first, then the rest
	Runs      []*LoadedRun
	Skipped   []SkippedRun
	Values    []Value
	Curves    []CurvePoint
	Contrasts []Contrast
	// Paired are the seed-matched contrasts of the primary endpoints.
	Paired []PairedContrast
	// Feedback has one row per group, FeedbackSeeds one per run; see
	// Feedback.
	Feedback      []FeedbackSummary
	FeedbackSeeds []SeedFeedback
	// Splits counts per group the runs in which a split formed.
	Splits []SplitCount
	// BranchCounts count per group the runs whose colour branch is the
	// biased one, and the fork runs in which training kept the parent's
	// colour branch (see BranchReading); groups without such runs have
	// none.
	BranchCounts []BranchCount
	Notes        []string
}

// Compare computes, from the runs of set: every selected metric value as a
// tidy table; per group and step, the mean across seeds with its
// bootstrap interval; per group other than the baseline, contrasts of
// the final and time-averaged values with false discovery rate control
// (see Contrast); per group the runs in which a split formed (see
// SplitCount); and the feedback signature of each run and group (see
// Feedback). The primary endpoints come first. Non-finite values are left
// out. It returns an error only if set holds no runs.
func Compare(set *RunSet, opts CompareOptions) (*Comparison, error) {
	if len(set.Runs) == 0 {
		return nil, fmt.Errorf("compare: no finished runs (%d skipped)", len(set.Skipped))
	}
	o := opts.withDefaults()
	c := &Comparison{Options: o, Groups: set.Groups(o.Baseline), Runs: set.Runs, Skipped: set.Skipped}
	c.endpoints()
	metrics := o.Metrics
	if len(metrics) == 0 {
		keys := set.Keys()
		for _, k := range slices.Concat(c.Options.Primary, DefaultCompareMetrics()) {
			if slices.Contains(keys, k) && !slices.Contains(metrics, k) {
				metrics = append(metrics, k)
			}
		}
	}
	for _, m := range metrics { // primary endpoints first
		if c.primary(m) {
			c.Metrics = append(c.Metrics, m)
		}
	}
	for _, m := range metrics {
		if !c.primary(m) {
			c.Metrics = append(c.Metrics, m)
		}
	}
	for _, r := range set.Runs {
		for _, row := range r.Rows {
			for _, m := range c.Metrics {
				if v, ok := row.Values[m]; ok && finite(v) {
					c.Values = append(c.Values, Value{r.Group, r.Info.Seed, r.Dir, row.Step, m, v})
				}
			}
		}
	}
	for _, g := range c.Groups {
		for _, m := range c.Metrics {
			c.Curves = append(c.Curves, c.curve(g, m)...)
		}
	}
	if slices.Contains(c.Groups, o.Baseline) {
		for _, g := range c.Groups {
			if g == o.Baseline {
				continue
			}
			for _, m := range c.Metrics {
				for _, ms := range []string{MeasureFinal, MeasureAUC} {
					c.Contrasts = append(c.Contrasts, c.contrast(g, m, ms))
				}
			}
		}
		c.adjust()
		c.pairedContrasts()
	} else {
		c.Notes = append(c.Notes, fmt.Sprintf("no finished run in baseline group %q: no contrasts (groups: %v)", o.Baseline, c.Groups))
	}
	for _, g := range c.Groups {
		c.Splits = append(c.Splits, c.splitCount(g))
	}
	c.BranchCounts = c.branchCounts()
	for _, r := range c.Runs {
		if r.Branches.Note != "" {
			c.Notes = append(c.Notes, r.Branches.Note)
		}
	}
	c.feedback()
	return c, nil
}

// endpoints resolves the primary endpoints and the split endpoint: given
// in the options, else recorded by every run (from its experiment file),
// else the defaults; runs that disagree get a note.
func (c *Comparison) endpoints() {
	o := &c.Options
	if o.Primary == nil {
		rec, ok := c.recorded("primary")
		switch {
		case ok && rec != "":
			o.Primary = strings.Split(rec, ",")
		default:
			o.Primary = DefaultPrimary()
		}
	}
	if o.SplitEndpoint == "" {
		rec, ok := c.recorded("split")
		o.SplitEndpoint = DefaultSplitEndpoint
		if ok && rec != "" {
			o.SplitEndpoint = rec
		}
	}
}

// recorded returns the value of Extra[key] that every run recorded, and
// false with a note when runs disagree.
func (c *Comparison) recorded(key string) (string, bool) {
	var vals []string
	for _, r := range c.Runs {
		if v := r.Info.Extra[key]; !slices.Contains(vals, v) {
			vals = append(vals, v)
		}
	}
	if len(vals) > 1 {
		c.Notes = append(c.Notes, fmt.Sprintf("the runs recorded different %s endpoints (%q): the defaults are used", key, vals))
		return "", false
	}
	return vals[0], true
}

// primary reports whether m is one of the primary endpoints.
func (c *Comparison) primary(m string) bool { return slices.Contains(c.Options.Primary, m) }

// adjust sets every contrast's Benjamini-Hochberg q within its family
// (primary endpoints, exploratory rest) and its conclusion.
func (c *Comparison) adjust() {
	for _, fam := range []string{FamilyPrimary, FamilyExploratory} {
		var idx []int
		var p []float64
		for i, ct := range c.Contrasts {
			if ct.Family == fam {
				idx, p = append(idx, i), append(p, ct.P)
			}
		}
		for j, q := range stats.BHAdjust(p) {
			ct := &c.Contrasts[idx[j]]
			ct.Q = q
			ct.Conclusion = Conclusion(ct.Lo, ct.Hi, q, 1-c.Options.Level, ct.N, ct.NBase)
		}
	}
}

// pairedContrasts sets c.Paired: every group other than the baseline
// against it, seed by seed, on the final and time-averaged value of each
// primary endpoint, with q across them all.
func (c *Comparison) pairedContrasts() {
	o := c.Options
	for _, g := range c.Groups {
		if g == o.Baseline {
			continue
		}
		for _, m := range c.Metrics {
			if !c.primary(m) {
				continue
			}
			for _, ms := range []string{MeasureFinal, MeasureAUC} {
				c.Paired = append(c.Paired, c.paired(g, m, ms))
			}
		}
	}
	p := make([]float64, len(c.Paired))
	for i, pc := range c.Paired {
		p[i] = pc.P
	}
	for i, q := range stats.BHAdjust(p) {
		pc := &c.Paired[i]
		pc.Q = q
		pc.Conclusion = Conclusion(pc.Lo, pc.Hi, q, 1-o.Level, pc.N, pc.N)
	}
}

// paired compares group g with the baseline seed by seed on measure of
// metric m (see PairedContrast; Q and Conclusion are set by
// pairedContrasts).
func (c *Comparison) paired(g, m, measure string) PairedContrast {
	o := c.Options
	base := map[uint64]float64{}
	for _, r := range c.runsOf(o.Baseline) {
		if v, ok := r.Measure(m, measure); ok {
			base[r.Info.Seed] = v
		}
	}
	pc := PairedContrast{Group: g, Baseline: o.Baseline, Metric: m, Measure: measure, Diff: math.NaN(), Lo: math.NaN(), Hi: math.NaN(),
		R: math.NaN(), P: math.NaN(), Q: math.NaN()}
	var a, b, d []float64
	for _, r := range c.runsOf(g) { // one run a seed: compare refuses repeated seeds
		v, ok := r.Measure(m, measure)
		bv, okBase := base[r.Info.Seed]
		if !ok || !okBase {
			continue
		}
		pc.Seeds = append(pc.Seeds, r.Info.Seed)
		a, b, d = append(a, v), append(b, bv), append(d, v-bv)
	}
	pc.N = len(d)
	if pc.N == 0 {
		return pc
	}
	key := g + "/" + m + "/" + measure
	pc.Diff = stats.Mean(d)
	pc.Lo, pc.Hi = stats.BootstrapMeanCI(d, o.Level, o.Resamples, c.stream("paired/"+key, 0))
	pc.R = stats.Pearson(a, b)
	pc.P = stats.SignFlipP(d, o.Permutations, c.stream("signflip/"+key, 0))
	return pc
}

// splitCount counts group g's runs in which a split formed.
func (c *Comparison) splitCount(g string) SplitCount {
	sc := SplitCount{Group: g, Endpoint: c.Options.SplitEndpoint}
	for _, p := range c.measures(g, sc.Endpoint, MeasureFinal) {
		sc.N++
		if p < SplitAlpha {
			sc.K++
		}
	}
	sc.Lo, sc.Hi = stats.WilsonInterval(sc.K, sc.N, 0.95)
	return sc
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// stream is the random stream of one interval or test, named by what it
// measures.
func (c *Comparison) stream(purpose string, counter int) *rand.Rand {
	return trainer.Stream(c.Options.BootSeed, "compare/"+purpose, uint64(counter))
}

// runsOf returns the loaded runs of group g.
func (c *Comparison) runsOf(g string) []*LoadedRun {
	var rs []*LoadedRun
	for _, r := range c.Runs {
		if r.Group == g {
			rs = append(rs, r)
		}
	}
	return rs
}

// curve is group g's mean curve of metric m.
func (c *Comparison) curve(g, m string) []CurvePoint {
	byStep := map[int][]float64{}
	for _, r := range c.runsOf(g) {
		steps, vals := r.series(m)
		for i, s := range steps {
			byStep[int(s)] = append(byStep[int(s)], vals[i])
		}
	}
	steps := make([]int, 0, len(byStep))
	for s := range byStep {
		steps = append(steps, s)
	}
	slices.Sort(steps)
	pts := make([]CurvePoint, len(steps))
	for i, s := range steps {
		x := byStep[s]
		lo, hi := stats.BootstrapMeanCI(x, c.Options.Level, c.Options.Resamples, c.stream("curve/"+g+"/"+m, s))
		pts[i] = CurvePoint{Group: g, Metric: m, Step: s, N: len(x), Mean: stats.Mean(x), Lo: lo, Hi: hi}
	}
	return pts
}

// series returns the steps at which the run logs a finite value of key,
// ascending, and the values.
func (r *LoadedRun) series(key string) (steps []float64, vals []float64) {
	for _, row := range r.Rows {
		if v, ok := row.Values[key]; ok && finite(v) {
			steps = append(steps, float64(row.Step))
			vals = append(vals, v)
		}
	}
	return steps, vals
}

// Measure returns a run's final value of key (MeasureFinal) or its
// time-averaged value (MeasureAUC: the trapezoid area under the curve over
// the run's logged steps divided by their range, stats.MeanOverRange), and
// false when the run logs no finite value of key.
func (r *LoadedRun) Measure(key, measure string) (float64, bool) {
	steps, vals := r.series(key)
	if len(vals) == 0 {
		return math.NaN(), false
	}
	if measure == MeasureAUC {
		return stats.MeanOverRange(steps, vals), true
	}
	return vals[len(vals)-1], true
}

// measures returns the measure of metric m for every run of group g that
// logs it.
func (c *Comparison) measures(g, m, measure string) []float64 {
	var x []float64
	for _, r := range c.runsOf(g) {
		if v, ok := r.Measure(m, measure); ok {
			x = append(x, v)
		}
	}
	return x
}

// contrast compares group g with the baseline on measure of metric m.
func (c *Comparison) contrast(g, m, measure string) Contrast {
	o := c.Options
	a, b := c.measures(g, m, measure), c.measures(o.Baseline, m, measure)
	key := g + "/" + m + "/" + measure
	ct := Contrast{Group: g, Baseline: o.Baseline, Metric: m, Measure: measure, Family: FamilyExploratory,
		N: len(a), NBase: len(b), Mean: stats.Mean(a), MeanBase: stats.Mean(b), G: stats.HedgesG(a, b), P: math.NaN(), Q: math.NaN()}
	if c.primary(m) {
		ct.Family = FamilyPrimary
	}
	ct.Diff = ct.Mean - ct.MeanBase
	ct.Lo, ct.Hi = stats.BootstrapDiffCI(a, b, o.Level, o.Resamples, c.stream("contrast/"+key, 0))
	if len(a) > 0 && len(b) > 0 {
		ct.P = stats.PermutationP(a, b, o.Permutations, c.stream("permutation/"+key, 0))
	}
	ct.Conclusion = Conclusion(ct.Lo, ct.Hi, ct.Q, 1-o.Level, ct.N, ct.NBase)
	return ct
}

// Conclusion states what a contrast supports, from the interval [lo, hi]
// of the difference (group minus baseline), the Benjamini-Hochberg q of
// its permutation p within its family, and the level alpha = 1 - coverage
// (also the false discovery rate):
//
//   - "higher" if lo > 0 and q < alpha, "lower" if hi < 0 and q < alpha;
//   - "inconclusive: the CI excludes 0 but q = Q (n=N vs NBASE)" when the
//     interval excludes 0 and q >= alpha (or is NaN). Percentile intervals
//     are too narrow with few seeds (the bootstrap variance of a mean of
//     n values is (n-1)/n times the usual estimate), with 3 vs 3 seeds no
//     permutation p is below 0.1, and many contrasts are made at once, so
//     both must agree;
//   - "no evidence of a difference (n=N vs NBASE)" when the interval
//     holds 0;
//   - "too few seeds (n=N vs NBASE)" when a side has fewer than two seeds
//     (no interval).
func Conclusion(lo, hi, q, alpha float64, n, nBase int) string {
	switch {
	case n < 2 || nBase < 2 || math.IsNaN(lo) || math.IsNaN(hi):
		return fmt.Sprintf("too few seeds (n=%d vs %d)", n, nBase)
	case (lo > 0 || hi < 0) && !(q < alpha):
		return fmt.Sprintf("inconclusive: the CI excludes 0 but q = %.3g (n=%d vs %d)", q, n, nBase)
	case lo > 0:
		return "higher"
	case hi < 0:
		return "lower"
	}
	return fmt.Sprintf("no evidence of a difference (n=%d vs %d)", n, nBase)
}

// MeasureEstimate is the mean of a measure (MeasureFinal or MeasureAUC) of
// metric m across group g's seeds, with its bootstrap interval.
func (c *Comparison) MeasureEstimate(g, m, measure string) Estimate {
	return c.estimate(c.measures(g, m, measure), "measure/"+g+"/"+m+"/"+measure)
}
