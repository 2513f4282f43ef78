package main

import (
	"bytes"
	"flag"
	"fmt"
	"image/png"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"branchspec/experiments"
	"branchspec/results/figures"
	"branchspec/results/report"
)

// reportMetrics are the curves and contrasts a report shows, where runs
// log them.
var reportMetrics = []string{"chroma.eta2", "csi.eta2", "rejoin.maxshare", "cka.between", experiments.KeyTestAcc,
	"lesion.a0", "lesion.a1", "chroma.a0", "chroma.a1"}

var cmdReport = &command{
	Name:  "report",
	Usage: "DIR... -o REPORT.html [--by regime] [--baseline NAME] [--metric M]...",
	Short: "write a self-contained HTML report comparing runs",
	Long: `Report compares the runs below the DIRs as 'compare' does and writes one
self-contained HTML file (figures inlined as PNG, no external resources)
that can be mailed: what was run (experiments, regimes with the config
overrides that set them apart from the baseline, seeds, config hashes,
program versions), the mean curves with 95% bootstrap bands, the
contrasts with the baseline and the conclusion their intervals support,
the feedback signature, first-layer kernel grids at the first and last
kept checkpoints of one seed per regime (branches in aligned order), the
rejoin dependency matrix of that seed's final weights, and the runs left
out with their reasons.`,
	Flags: func(fs *flag.FlagSet) func(*env, []string) error {
		var o struct {
			compareFlags
			out   string
			title string
		}
		o.compareFlags.bind(fs)
		fs.Var(&o.metrics, "metric", "metric glob or prefix to show (repeatable; default: the headline metrics)")
		fs.StringVar(&o.out, "o", "", "output HTML file (required)")
		fs.StringVar(&o.title, "title", "", "report title (default: the experiments' names)")
		return func(e *env, args []string) error {
			if len(args) == 0 || o.out == "" {
				return usagef("want at least one DIR and -o REPORT.html")
			}
			c, err := o.compare(args, reportMetrics)
			if err != nil {
				return err
			}
			r, err := buildReport(c, args, o.title)
			if err != nil {
				return err
			}
			r.Command = "branchspec report " + strings.Join(args, " ") + " -o " + o.out
			var buf bytes.Buffer
			if err := report.Write(&buf, r); err != nil {
				return err
			}
			if err := os.WriteFile(o.out, buf.Bytes(), 0o644); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "wrote %s: %d runs in %d groups, %d left out, %d figures\n", o.out, len(c.Runs), len(c.Groups),
				len(c.Skipped), len(r.Curves)+len(r.Kernels)+len(r.Rejoin))
			return nil
		}
	},
}

// buildReport lays out a comparison as a report.
func buildReport(c *experiments.Comparison, dirs []string, title string) (*report.Report, error) {
	exps := uniq(c.Runs, func(r *experiments.LoadedRun) string { return r.Info.Extra["experiment"] })
	if title == "" {
		title = "branchspec report"
		if len(exps) > 0 {
			title += ": " + strings.Join(exps, ", ")
		}
	}
	r := &report.Report{Title: title, Generated: time.Now(), Notes: c.Notes}
	r.Overview = []report.Field{
		{Name: "sources", Value: strings.Join(dirs, ", ")},
		{Name: "experiments", Value: orNone(strings.Join(exps, ", "))},
		{Name: "runs", Value: fmt.Sprintf("%d finished in %d groups (grouped by %s), %d left out", len(c.Runs), len(c.Groups), groupedBy(c), len(c.Skipped))},
		{Name: "program versions", Value: orNone(strings.Join(uniq(c.Runs, func(r *experiments.LoadedRun) string { return r.Info.Version }), ", "))},
		{Name: "baseline", Value: c.Options.Baseline},
		{Name: "statistics", Value: fmt.Sprintf("%.0f%% percentile bootstrap intervals across seeds, %d resamples, boot seed %d; Hedges' g with exact small-sample correction; two-sided permutation p (exact up to %d splits)",
			100*c.Options.Level, c.Options.Resamples, c.Options.BootSeed, c.Options.Permutations)},
		{Name: "branch alignment", Value: "per run, branches ordered by kernel chroma (chroma.bB, else csi.bB) at its last checkpoint, descending: slot a0 is the most chromatic branch"},
	}
	r.Regimes = regimeTable(c)
	r.Runs = runTable(c)
	for _, m := range c.Metrics {
		var buf bytes.Buffer
		err := figures.Curves(&buf, figures.PNG, curvesOf(c, m), figures.CurvesOptions{Title: m, XLabel: "step", YLabel: m, LogX: true})
		if err != nil {
			return nil, err
		}
		r.Curves = append(r.Curves, report.Figure{Title: m, Caption: metricCaption(m), PNG: buf.Bytes()})
	}
	r.Contrasts = contrastTable(c)
	r.Feedback, r.FeedbackSeeds = feedbackTables(c)
	for _, g := range c.Groups {
		run := firstSeed(c, g)
		r.Kernels = append(r.Kernels, kernelFigures(run)...)
		if f, ok := rejoinFigure(run); ok {
			r.Rejoin = append(r.Rejoin, f)
		}
	}
	r.Failed = report.Table{Caption: "runs that failed, stopped or did not finish", Columns: []string{"run", "group", "state", "step", "reason"}}
	for _, s := range c.Skipped {
		r.Failed.Rows = append(r.Failed.Rows, []string{s.Dir, s.Group, s.State, fmt.Sprintf("%d/%d", s.Step, s.Total), s.Reason})
	}
	return r, nil
}

func orNone(s string) string {
	if s == "" {
		return "(not recorded)"
	}
	return s
}

func groupedBy(c *experiments.Comparison) string {
	for _, r := range c.Runs {
		if r.Info.Extra["regime"] == r.Group {
			return "regime label"
		}
	}
	return "config name"
}

// uniq returns the distinct non-empty values of f over runs, sorted.
func uniq(runs []*experiments.LoadedRun, f func(*experiments.LoadedRun) string) []string {
	var out []string
	for _, r := range runs {
		if v := f(r); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}

func firstSeed(c *experiments.Comparison, g string) *experiments.LoadedRun {
	var best *experiments.LoadedRun
	for _, r := range c.Runs {
		if r.Group == g && (best == nil || r.Info.Seed < best.Info.Seed) {
			best = r
		}
	}
	return best
}

func regimeTable(c *experiments.Comparison) report.Table {
	t := report.Table{Caption: "regimes: overrides are the config keys that differ from the baseline's config (name and seed aside)",
		Columns: []string{"regime", "seeds", "n", "overrides vs baseline", "config sha256", "forked from"}}
	base := firstSeed(c, c.Options.Baseline)
	for _, g := range c.Groups {
		var seeds, hashes, parents []string
		for _, r := range c.Runs {
			if r.Group != g {
				continue
			}
			seeds = append(seeds, strconv.FormatUint(r.Info.Seed, 10))
			if h := short(r.Info.ConfigHash); !slices.Contains(hashes, h) {
				hashes = append(hashes, h)
			}
			if r.Info.Parent != "" {
				if p := fmt.Sprintf("%s @ %d", r.Info.Parent, r.Info.ParentStep); !slices.Contains(parents, p) {
					parents = append(parents, p)
				}
			}
		}
		over := "(baseline)"
		if g != c.Options.Baseline {
			over = "(no baseline to compare with)"
			if base != nil {
				ov := experiments.ConfigOverrides(base.Info.ConfigText, firstSeed(c, g).Info.ConfigText)
				over = orNone(strings.Join(ov, "; "))
				if len(ov) == 0 {
					over = "none: same config as the baseline"
				}
			}
		}
		t.Rows = append(t.Rows, []string{g, strings.Join(seeds, ", "), strconv.Itoa(len(seeds)), over,
			strings.Join(hashes, ", "), orDash(strings.Join(parents, "; "))})
	}
	return t
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

func runTable(c *experiments.Comparison) report.Table {
	t := report.Table{Caption: "runs compared; order lists the original branch in each aligned slot",
		Columns: []string{"run", "group", "seed", "steps", "final test.acc", "aligned by", "order", "version"}}
	for _, r := range c.Runs {
		order := "—"
		if r.Order != nil {
			order = fmt.Sprint(r.Order)
			if r.Swapped() {
				order += " (swapped)"
			}
		}
		acc := "—"
		if v, ok := r.Measure(experiments.KeyTestAcc, experiments.MeasureFinal); ok {
			acc = fmtValue(v)
		}
		t.Rows = append(t.Rows, []string{r.Dir, r.Group, strconv.FormatUint(r.Info.Seed, 10), strconv.Itoa(r.Status.Step),
			acc, orDash(r.AlignedBy), order, r.Info.Version})
	}
	return t
}

func metricCaption(m string) string {
	switch {
	case m == "chroma.eta2":
		return "upstream split: eta^2 of first-layer kernel chroma between branches"
	case m == "csi.eta2":
		return "upstream split: eta^2 of first-layer colour selectivity between branches"
	case m == "rejoin.maxshare":
		return "downstream dependency: mean over rejoin outputs of the largest branch share (1/B uniform, 1 one branch)"
	case m == "cka.between":
		return "linear CKA between branch outputs"
	case m == experiments.KeyTestAcc:
		return "held-out accuracy"
	case strings.HasPrefix(m, "lesion.a"):
		return "accuracy drop with aligned branch " + strings.TrimPrefix(m, "lesion.a") + " zeroed (a0 = most chromatic)"
	case strings.HasPrefix(m, "chroma.a"):
		return "mean kernel chroma of aligned branch " + strings.TrimPrefix(m, "chroma.a")
	}
	return ""
}

func contrastTable(c *experiments.Comparison) report.Table {
	t := report.Table{Caption: fmt.Sprintf("each regime minus %s: final value and time average (auc = trapezoid area / step range); difference of means with %.0f%% bootstrap CI; the conclusion says higher or lower only when the CI excludes 0 and the permutation p is below %.2g",
		c.Options.Baseline, 100*c.Options.Level, 1-c.Options.Level),
		Columns: []string{"metric", "measure", "regime", "n vs baseline", "regime mean", "baseline mean", "difference [CI]", "Hedges' g", "permutation p", "conclusion"}}
	for _, ct := range c.Contrasts {
		t.Rows = append(t.Rows, []string{ct.Metric, ct.Measure, ct.Group, fmt.Sprintf("%d vs %d", ct.N, ct.NBase),
			fmtValue(ct.Mean), fmtValue(ct.MeanBase), fmtCI(ct.Diff, ct.Lo, ct.Hi), fmtG(ct.G), fmtP(ct.P), ct.Conclusion})
	}
	return t
}

func feedbackTables(c *experiments.Comparison) (report.Table, report.Table) {
	t := report.Table{Caption: "per regime, mean [95% CI] across seeds (n seeds with a value). forward: r between the change of the upstream split (chroma.eta2, else csi.eta2) over consecutive checkpoints and rejoin.maxshare at the start; reverse: change of rejoin.maxshare vs the split; growth: slope of ln(split - (B-1)/(N-1)) vs step over the log-spaced checkpoints where the split exceeds that chance level (B branches, N first-layer units; NaN with fewer than 3 such points). A feedback loop predicts forward and reverse both positive.",
		Columns: []string{"regime", "forward", "reverse", "early growth / step"}}
	for _, f := range c.Feedback {
		t.Rows = append(t.Rows, []string{f.Group, fmtEstimate(f.Forward), fmtEstimate(f.Reverse), fmtEstimate(f.Growth)})
	}
	s := report.Table{Caption: "per seed",
		Columns: []string{"regime", "seed", "upstream", "pairs", "forward", "reverse", "floor", "growth points", "growth"}}
	for _, sf := range c.FeedbackSeeds {
		s.Rows = append(s.Rows, []string{sf.Group, strconv.FormatUint(sf.Seed, 10), sf.Upstream, strconv.Itoa(sf.Pairs),
			fmtValue(sf.Forward), fmtValue(sf.Reverse), fmtValue(sf.Floor), strconv.Itoa(sf.GrowthPoints), fmtValue(sf.Growth)})
	}
	return t, s
}

// kernelFigures draws the run's first-layer kernels at its first and last
// checkpoints that hold weights.
func kernelFigures(run *experiments.LoadedRun) []report.Figure {
	steps, err := experiments.WeightSteps(run.Dir)
	if err != nil || len(steps) == 0 {
		return nil
	}
	var figs []report.Figure
	for _, step := range []int{steps[0], steps[len(steps)-1]} {
		if len(figs) == 1 && step == steps[0] {
			break
		}
		blocks, ch, k, at, err := experiments.FirstLayerKernels(run.Dir, step, run.Order)
		if err != nil {
			continue
		}
		img, err := figures.KernelGrid(blocks, ch, k, figures.KernelGridOptions{Scale: 12})
		if err != nil {
			continue
		}
		var buf bytes.Buffer
		if png.Encode(&buf, img) != nil {
			continue
		}
		figs = append(figs, report.Figure{Title: fmt.Sprintf("%s, seed %d, step %d", run.Group, run.Info.Seed, at),
			Caption: fmt.Sprintf("one block per branch, top to bottom in aligned order %s; each kernel scaled to its own range", orderText(run.Order)),
			PNG:     buf.Bytes()})
	}
	return figs
}

func orderText(order []int) string {
	if order == nil {
		return "(original order)"
	}
	parts := make([]string, len(order))
	for s, b := range order {
		parts[s] = fmt.Sprintf("a%d = branch %d", s, b)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// rejoinFigure draws the rejoin dependency matrix of the run's final
// weights, outputs sorted by their share on slot a0.
func rejoinFigure(run *experiments.LoadedRun) (report.Figure, bool) {
	A, at, err := experiments.RejoinMatrix(run.Dir, -1, run.Order)
	if err != nil || len(A) == 0 {
		return report.Figure{}, false
	}
	slices.SortStableFunc(A, func(a, b []float64) int {
		switch {
		case a[0] > b[0]:
			return -1
		case a[0] < b[0]:
			return 1
		}
		return 0
	})
	cols := make([]string, len(A[0]))
	for s := range cols {
		cols[s] = "a" + strconv.Itoa(s)
	}
	var buf bytes.Buffer
	err = figures.Heatmap(&buf, figures.PNG, A, figures.HeatmapOptions{Title: run.Group, XLabel: "aligned branch", YLabel: "output unit (sorted)",
		Columns: cols, Min: 0, Max: 1, Width: 220, Height: 300})
	if err != nil {
		return report.Figure{}, false
	}
	return report.Figure{Title: fmt.Sprintf("%s, seed %d, step %d", run.Group, run.Info.Seed, at),
		Caption: "A[o,b]: share of output o's L1 weight that reads branch b at the first layer after the concat; blue 0, white 1/2, red 1; rows sorted by the a0 share",
		PNG:     buf.Bytes()}, true
}
