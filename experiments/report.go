package experiments

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"branchspec/results"
	"branchspec/results/figures"
	"branchspec/results/report"
)

// ReportMetrics are the curves and contrasts a report shows when no
// metric is asked for, where runs log them.
func ReportMetrics() []string {
	return append(DefaultPrimary(), "chroma.eta2", "csi.eta2", "rejoin.maxshare", "cka.between", KeyTestAcc,
		"lesion.a0", "lesion.a1", "dchroma.a0", "dchroma.a1")
}

// ReportRequest is what WriteReport compares and where it writes.
type ReportRequest struct {
	// Compare selects and compares the runs; its Defaults are
	// ReportMetrics when nil.
	Compare CompareRequest
	// Path is the HTML file written.
	Path string
	// Title is the report's title ("": "branchspec report: EXPERIMENTS").
	Title string
	// Command is the command line recorded in the report.
	Command string
	// Now is the clock that stamps the report (nil: time.Now).
	Now func() time.Time
}

// ReportSummary counts what a report holds.
type ReportSummary struct {
	Runs, Groups, Skipped, Figures int
}

// WriteReport compares runs (CompareDirs) and writes one self-contained
// HTML report of the comparison (results/report): what was run, mean
// curves with bands, contrasts, the feedback signature, first-layer
// kernel grids at the first and last kept checkpoints of one seed per
// group (branches in aligned order), the rejoin dependency matrix of that
// seed's final weights, and the runs left out. A figure that cannot be
// drawn fails the report, which is then not written. The file is written
// whole or not at all (results.WriteFile), and a path that would replace
// a run store is refused, as ErrInvalid, before anything is read.
func WriteReport(req ReportRequest) (ReportSummary, error) {
	if err := results.CheckOutput(req.Path); err != nil {
		return ReportSummary{}, outputErr(err)
	}
	if req.Compare.Defaults == nil && len(req.Compare.Metrics) == 0 {
		req.Compare.Defaults = ReportMetrics()
	}
	c, err := CompareDirs(req.Compare)
	if err != nil {
		return ReportSummary{}, err
	}
	now := time.Now
	if req.Now != nil {
		now = req.Now
	}
	r, err := layoutReport(c, req.Compare.Dirs, req.Title, now())
	if err != nil {
		return ReportSummary{}, err
	}
	r.Command = req.Command
	if err := writeOutput(req.Path, 0o644, func(w io.Writer) error { return report.Write(w, r) }); err != nil {
		return ReportSummary{}, err
	}
	return ReportSummary{Runs: len(c.Runs), Groups: len(c.Groups), Skipped: len(c.Skipped),
		Figures: len(r.Curves) + len(r.Kernels) + len(r.Rejoin)}, nil
}

// layoutReport lays out a comparison as a report.
func layoutReport(c *Comparison, dirs []string, title string, now time.Time) (*report.Report, error) {
	exps := uniq(c.Runs, func(r *LoadedRun) string { return r.Info.Extra["experiment"] })
	if title == "" {
		title = "branchspec report"
		if len(exps) > 0 {
			title += ": " + strings.Join(exps, ", ")
		}
	}
	r := &report.Report{Title: title, Generated: now, Notes: c.Notes}
	r.Overview = []report.Field{
		{Name: "sources", Value: strings.Join(dirs, ", ")},
		{Name: "experiments", Value: orNone(strings.Join(exps, ", "))},
		{Name: "runs", Value: fmt.Sprintf("%d finished in %d groups (grouped by %s), %d left out", len(c.Runs), len(c.Groups), groupedBy(c), len(c.Skipped))},
		{Name: "program versions", Value: orNone(strings.Join(uniq(c.Runs, func(r *LoadedRun) string { return r.Info.Version }), ", "))},
		{Name: "baseline", Value: c.Options.Baseline},
		{Name: "statistics", Value: fmt.Sprintf("%.0f%% percentile bootstrap intervals across seeds, %d resamples, boot seed %d; Hedges' g with exact small-sample correction; two-sided permutation p (exact up to %d splits); Benjamini-Hochberg q across all contrasts of a family at once (the primary endpoints; separately, the exploratory rest), a difference called only when its CI excludes 0 and q < %.2g",
			100*c.Options.Level, c.Options.Resamples, c.Options.BootSeed, c.Options.Permutations, 1-c.Options.Level)},
		{Name: "primary endpoints", Value: strings.Join(c.Options.Primary, ", ") + "; every other metric is exploratory"},
		{Name: "a split formed", Value: fmt.Sprintf("%s < %g at the run's final step", c.Options.SplitEndpoint, SplitAlpha)},
		{Name: "branch alignment", Value: "per run, branches ordered by the chroma of what training added to their first layer (dchroma.bB, else chroma.bB, else csi.bB) at its last checkpoint, descending: slot a0 is the most chromatic branch"},
	}
	r.Regimes = regimeTable(c)
	r.Runs = runTable(c)
	for _, m := range c.Metrics {
		var buf bytes.Buffer
		err := figures.Curves(&buf, figures.PNG, c.curvesOf(m), figures.CurvesOptions{Title: m, XLabel: "step", YLabel: m, LogX: true})
		if err != nil {
			return nil, fmt.Errorf("report: curves of %s: %w", m, err)
		}
		r.Curves = append(r.Curves, report.Figure{Title: m, Caption: metricCaption(m), PNG: buf.Bytes()})
	}
	r.Contrasts, r.Exploratory = contrastTable(c, FamilyPrimary), contrastTable(c, FamilyExploratory)
	r.Splits = splitTable(c)
	r.Feedback, r.FeedbackSeeds = feedbackTables(c)
	for _, g := range c.Groups {
		run := firstSeed(c, g)
		figs, err := kernelFigures(run)
		if err != nil {
			return nil, err
		}
		r.Kernels = append(r.Kernels, figs...)
		f, ok, err := rejoinFigure(run)
		if err != nil {
			return nil, err
		}
		if ok {
			r.Rejoin = append(r.Rejoin, f)
		}
	}
	r.Failed = report.Table{Caption: "runs that failed, stopped or did not finish", Columns: []string{"run", "group", "state", "step", "reason"}}
	for _, s := range c.Skipped {
		r.Failed.Rows = append(r.Failed.Rows, []string{s.Dir, s.Group, s.State, fmt.Sprintf("%d/%d", s.Step, s.Total), s.Reason})
	}
	return r, nil
}

func groupedBy(c *Comparison) string {
	for _, r := range c.Runs {
		if r.Info.Extra["regime"] == r.Group {
			return "regime label"
		}
	}
	return "config name"
}

// uniq returns the distinct non-empty values of f over runs, sorted.
func uniq(runs []*LoadedRun, f func(*LoadedRun) string) []string {
	var out []string
	for _, r := range runs {
		if v := f(r); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}

func firstSeed(c *Comparison, g string) *LoadedRun {
	var best *LoadedRun
	for _, r := range c.Runs {
		if r.Group == g && (best == nil || r.Info.Seed < best.Info.Seed) {
			best = r
		}
	}
	return best
}

func regimeTable(c *Comparison) report.Table {
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
				ov := ConfigOverrides(base.Info.ConfigText, firstSeed(c, g).Info.ConfigText)
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

func runTable(c *Comparison) report.Table {
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
		if v, ok := r.Measure(KeyTestAcc, MeasureFinal); ok {
			acc = FormatValue(v)
		}
		t.Rows = append(t.Rows, []string{r.Dir, r.Group, strconv.FormatUint(r.Info.Seed, 10), strconv.Itoa(r.Status.Step),
			acc, orDash(r.AlignedBy), order, r.Info.Version})
	}
	return t
}

func metricCaption(m string) string {
	switch {
	case m == "dchroma.eta2":
		return "upstream split of what training added: eta^2 between branches of the chroma of dw = w_t - w_0 in the first layer"
	case m == "rejoin.fmaxshare":
		return "downstream functional dependency: mean over rejoin outputs of the largest branch share of |W| x mean |activation|"
	case strings.HasPrefix(m, "dchroma.a"):
		return "mean chroma of what training added to aligned branch " + strings.TrimPrefix(m, "dchroma.a") + "'s first layer"
	case m == "chroma.eta2":
		return "upstream split: eta^2 of first-layer kernel chroma between branches"
	case m == "csi.eta2":
		return "upstream split: eta^2 of first-layer colour selectivity between branches"
	case m == "rejoin.maxshare":
		return "downstream dependency: mean over rejoin outputs of the largest branch share (1/B uniform, 1 one branch)"
	case m == "cka.between":
		return "debiased linear CKA between branch outputs"
	case m == KeyTestAcc:
		return "held-out accuracy"
	case strings.HasPrefix(m, "lesion.a"):
		return "accuracy drop with aligned branch " + strings.TrimPrefix(m, "lesion.a") + " zeroed (a0 = most chromatic)"
	case strings.HasPrefix(m, "chroma.a"):
		return "mean kernel chroma of aligned branch " + strings.TrimPrefix(m, "chroma.a")
	}
	return ""
}

func contrastTable(c *Comparison, family string) report.Table {
	what := "primary endpoints (" + strings.Join(c.Options.Primary, ", ") + ")"
	if family == FamilyExploratory {
		what = "exploratory metrics"
	}
	t := report.Table{Caption: fmt.Sprintf("%s, %d contrasts: each regime minus %s, final value and time average (auc = trapezoid area / step range); difference of means with %.0f%% bootstrap CI; q is the Benjamini-Hochberg adjusted permutation p across these contrasts at once; the conclusion says higher or lower only when the CI excludes 0 and q is below %.2g",
		what, c.familySize(family), c.Options.Baseline, 100*c.Options.Level, 1-c.Options.Level),
		Columns: []string{"metric", "measure", "regime", "n vs baseline", "regime mean", "baseline mean", "difference [CI]", "Hedges' g", "permutation p", "q", "conclusion"}}
	for _, ct := range c.Contrasts {
		if ct.Family != family {
			continue
		}
		t.Rows = append(t.Rows, []string{ct.Metric, ct.Measure, ct.Group, fmt.Sprintf("%d vs %d", ct.N, ct.NBase),
			FormatValue(ct.Mean), FormatValue(ct.MeanBase), formatCI(ct.Diff, ct.Lo, ct.Hi), formatG(ct.G), formatP(ct.P), formatP(ct.Q), ct.Conclusion})
	}
	return t
}

func splitTable(c *Comparison) report.Table {
	t := report.Table{Caption: fmt.Sprintf("a split formed: runs whose %s is below %g at their final step, per regime, with the Wilson 95%% interval of the fraction", c.Options.SplitEndpoint, SplitAlpha),
		Columns: []string{"regime", "k of n runs", "fraction [95% CI]"}}
	for _, sc := range c.Splits {
		t.Rows = append(t.Rows, []string{sc.Group, fmt.Sprintf("%d of %d", sc.K, sc.N), formatSplit(sc)})
	}
	return t
}

func feedbackTables(c *Comparison) (report.Table, report.Table) {
	t := report.Table{Caption: "per regime, mean [95% CI] across seeds (n seeds with a value). forward: r between the change of the upstream split (dchroma.eta2, else chroma.eta2, else csi.eta2) over consecutive checkpoints and the downstream dependency (rejoin.fmaxshare, else rejoin.maxshare) at the start; reverse: change of the dependency vs the split; growth: slope of ln(split - (B-1)/(N-1)) vs step over the log-spaced checkpoints where the split exceeds that chance level (B branches, N first-layer units; NaN with fewer than 3 such points). A feedback loop predicts forward and reverse both positive.",
		Columns: []string{"regime", "forward", "reverse", "early growth / step"}}
	for _, f := range c.Feedback {
		t.Rows = append(t.Rows, []string{f.Group, formatEstimate(f.Forward), formatEstimate(f.Reverse), formatEstimate(f.Growth)})
	}
	s := report.Table{Caption: "per seed",
		Columns: []string{"regime", "seed", "upstream", "downstream", "pairs", "forward", "reverse", "floor", "growth points", "growth"}}
	for _, sf := range c.FeedbackSeeds {
		s.Rows = append(s.Rows, []string{sf.Group, strconv.FormatUint(sf.Seed, 10), sf.Upstream, sf.Downstream, strconv.Itoa(sf.Pairs),
			FormatValue(sf.Forward), FormatValue(sf.Reverse), FormatValue(sf.Floor), strconv.Itoa(sf.GrowthPoints), FormatValue(sf.Growth)})
	}
	return t, s
}

// kernelFigures draws the run's first-layer kernels at its first and last
// checkpoints that hold weights (none when no checkpoint holds weights).
func kernelFigures(run *LoadedRun) ([]report.Figure, error) {
	steps, err := WeightSteps(run.Dir)
	if err != nil {
		return nil, fmt.Errorf("report: kernels of %s: %w", run.Dir, err)
	}
	if len(steps) == 0 {
		return nil, nil
	}
	var figs []report.Figure
	for _, step := range []int{steps[0], steps[len(steps)-1]} {
		if len(figs) == 1 && step == steps[0] {
			break
		}
		var buf bytes.Buffer
		_, at, err := WriteKernelGrid(&buf, run.Dir, KernelGridOptions{Step: step, Scale: 12, Order: run.Order})
		if err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		figs = append(figs, report.Figure{Title: fmt.Sprintf("%s, seed %d, step %d", run.Group, run.Info.Seed, at),
			Caption: fmt.Sprintf("one block per branch, top to bottom in aligned order %s; each kernel scaled to its own range", orderText(run.Order)),
			PNG:     buf.Bytes()})
	}
	return figs, nil
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
// weights, outputs sorted by their share on slot a0; ok is false for a
// run with one branch.
func rejoinFigure(run *LoadedRun) (f report.Figure, ok bool, err error) {
	A, at, err := RejoinMatrix(run.Dir, -1, run.Order)
	if errors.Is(err, errOneBranch) {
		return report.Figure{}, false, nil
	}
	if err != nil {
		return report.Figure{}, false, fmt.Errorf("report: %w", err)
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
		return report.Figure{}, false, fmt.Errorf("report: rejoin of %s: %w", run.Dir, err)
	}
	return report.Figure{Title: fmt.Sprintf("%s, seed %d, step %d", run.Group, run.Info.Seed, at),
		Caption: "A[o,b]: share of output o's L1 weight that reads branch b at the first layer after the concat; blue 0, white 1/2, red 1; rows sorted by the a0 share",
		PNG:     buf.Bytes()}, true, nil
}
