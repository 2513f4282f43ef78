package experiments

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"branchspec/results/figures"
)

// CompareRequest is what CompareDirs compares.
type CompareRequest struct {
	// Dirs are searched for runs (LoadRuns).
	Dirs []string
	// By groups the runs (GroupByRegime, GroupByName, GroupByExperiment;
	// "" is GroupByRegime).
	By string
	// Metrics are glob or prefix patterns (MatchKeys) of the aligned keys
	// to compare; none means Defaults where runs log them, or with no
	// Defaults either, DefaultCompareMetrics.
	Metrics  []string
	Defaults []string
	Options  CompareOptions
}

// CompareDirs loads the runs below the request's directories and
// compares them. An unknown grouping, a pattern that matches no metric and
// bootstrap or permutation counts below 1 are ErrInvalid; a directory that
// cannot be read is a failure.
func CompareDirs(req CompareRequest) (*Comparison, error) {
	if req.Options.Resamples < 1 || req.Options.Permutations < 1 {
		return nil, invalidf("resamples and permutations must be >= 1, got %d and %d", req.Options.Resamples, req.Options.Permutations)
	}
	if by := req.By; by != "" && by != GroupByRegime && by != GroupByName && by != GroupByExperiment {
		return nil, invalidf("unknown grouping %q (want %s, %s or %s)", by, GroupByRegime, GroupByName, GroupByExperiment)
	}
	if err := checkMemory(fmt.Sprintf("a comparison with %d resamples", req.Options.Resamples),
		EstimateBootstrap(req.Options.Resamples), "lower --resamples"); err != nil {
		return nil, err
	}
	set, err := LoadRuns(req.Dirs, req.By)
	if err != nil {
		return nil, err
	}
	opts := req.Options
	keys := set.Keys()
	switch {
	case len(req.Metrics) > 0:
		opts.Metrics = MatchKeys(keys, req.Metrics)
		if len(opts.Metrics) == 0 {
			return nil, invalidf("no metric matches %s", strings.Join(req.Metrics, ", "))
		}
	case req.Defaults != nil:
		for _, k := range req.Defaults {
			if slices.Contains(keys, k) {
				opts.Metrics = append(opts.Metrics, k)
			}
		}
	}
	return Compare(set, opts)
}

// CompareTables are the tables WriteCSV writes.
func CompareTables() []string {
	return []string{"values", "curves", "contrasts", "paired", "splits", "branches", "feedback", "seeds", "skipped"}
}

// curvesOf returns one figures.Curve per group for metric m.
func (c *Comparison) curvesOf(m string) []figures.Curve {
	var out []figures.Curve
	for _, g := range c.Groups {
		cv := figures.Curve{Label: g}
		for _, p := range c.Curves {
			if p.Group == g && p.Metric == m {
				cv.X = append(cv.X, float64(p.Step))
				cv.Mean = append(cv.Mean, p.Mean)
				cv.Lo = append(cv.Lo, p.Lo)
				cv.Hi = append(cv.Hi, p.Hi)
			}
		}
		if len(cv.X) > 0 {
			cv.Label = fmt.Sprintf("%s (n=%d)", g, len(c.runsOf(g)))
			out = append(out, cv)
		}
	}
	return out
}

// WritePlots writes METRIC.png and METRIC.svg into dir for every compared
// metric: the groups' mean curves with their bands, x on a log(1 + step)
// scale when logx. Each file is written whole or not at all.
func (c *Comparison) WritePlots(dir string, logx bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, m := range c.Metrics {
		for _, format := range []string{figures.PNG, figures.SVG} {
			file := filepath.Join(dir, m+"."+format)
			err := writeOutput(file, 0o644, func(w io.Writer) error {
				return figures.Curves(w, format, c.curvesOf(m), figures.CurvesOptions{
					Title: m, XLabel: "step", YLabel: m + " (mean, 95% CI)", LogX: logx})
			})
			if err != nil {
				return fmt.Errorf("plot %s: %w", file, err)
			}
		}
	}
	return nil
}

// WriteText writes the comparison as tables: groups and seeds, runs left
// out, notes, final and time-averaged values, contrasts with the baseline
// and the feedback signature.
func (c *Comparison) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "runs: %d finished in %d groups, %d left out; baseline %q; %d bootstrap resamples, boot seed %d\n",
		len(c.Runs), len(c.Groups), len(c.Skipped), c.Options.Baseline, c.Options.Resamples, c.Options.BootSeed)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\ngroup\tseeds\tn\tbranches swapped by alignment")
	for _, g := range c.Groups {
		var seeds []string
		swapped := 0
		for _, r := range c.Runs {
			if r.Group == g {
				seeds = append(seeds, strconv.FormatUint(r.Info.Seed, 10))
				if r.Swapped() {
					swapped++
				}
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\n", g, strings.Join(seeds, ","), len(seeds), swapped)
	}
	tw.Flush()
	if len(c.Skipped) > 0 {
		fmt.Fprintf(w, "\nleft out (%d)\n", len(c.Skipped))
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "run\tgroup\tstate\tstep\treason")
		for _, s := range c.Skipped {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d/%d\t%s\n", s.Dir, s.Group, s.State, s.Step, s.Total, s.Reason)
		}
		tw.Flush()
	}
	for _, n := range c.Notes {
		fmt.Fprintf(w, "\nnote: %s\n", n)
	}
	fmt.Fprintln(w, "\nfinal and time-averaged (auc) values: mean [95% CI] across seeds")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "metric\tgroup\tn\tfinal\tauc")
	for _, m := range c.Metrics {
		for _, g := range c.Groups {
			fin, auc := c.MeasureEstimate(g, m, MeasureFinal), c.MeasureEstimate(g, m, MeasureAUC)
			if fin.N == 0 {
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", m, g, fin.N, formatCI(fin.Mean, fin.Lo, fin.Hi), formatCI(auc.Mean, auc.Lo, auc.Hi))
		}
	}
	tw.Flush()
	if len(c.Contrasts) > 0 {
		fmt.Fprintf(w, "\ncontrasts with %s: difference of means (group - baseline) [95%% CI], Hedges' g, permutation p, and q:\n"+
			"Benjamini-Hochberg across all contrasts of a family at once (the primary endpoints; separately, the exploratory rest);\n"+
			"a difference is called only when its CI excludes 0 and q < %.2g\n", c.Options.Baseline, 1-c.Options.Level)
		for _, fam := range []string{FamilyPrimary, FamilyExploratory} {
			title := "primary endpoints (" + strings.Join(c.Options.Primary, ", ") + ")"
			if fam == FamilyExploratory {
				title = "exploratory"
			}
			fmt.Fprintf(w, "\n%s: %d contrasts\n", title, c.familySize(fam))
			tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "metric\tmeasure\tgroup\tn\tdiff [95% CI]\tg\tp\tq\tconclusion")
			for _, ct := range c.Contrasts {
				if ct.Family == fam {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%d vs %d\t%s\t%s\t%s\t%s\t%s\n", ct.Metric, ct.Measure, ct.Group, ct.N, ct.NBase,
						formatCI(ct.Diff, ct.Lo, ct.Hi), formatG(ct.G), formatP(ct.P), formatP(ct.Q), ct.Conclusion)
				}
			}
			tw.Flush()
		}
	}
	if len(c.Paired) > 0 {
		fmt.Fprintf(w, "\nseed-matched contrasts of the primary endpoints (exploratory): each group's run of a seed against the baseline's run\n"+
			"of the same seed (they share initial weights and batches wherever the regime leaves them alone): mean of the\n"+
			"per-seed differences (group - baseline) [95%% CI], Pearson r of the pairs, sign-flip p, and q: Benjamini-Hochberg\n"+
			"across these %d contrasts; seeds without a partner left out\n", len(c.Paired))
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "metric\tmeasure\tgroup\tpairs\tdiff [95% CI]\tr\tp\tq\tconclusion")
		for _, pc := range c.Paired {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", pc.Metric, pc.Measure, pc.Group, pc.N,
				formatCI(pc.Diff, pc.Lo, pc.Hi), formatG(pc.R), formatP(pc.P), formatP(pc.Q), pc.Conclusion)
		}
		tw.Flush()
	}
	fmt.Fprintf(w, "\na split formed (%s < %g at the final step): runs per group [Wilson 95%% CI]\n", c.Options.SplitEndpoint, SplitAlpha)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "group\tk of n\tfraction [95% CI]")
	for _, sc := range c.Splits {
		fmt.Fprintf(tw, "%s\t%d of %d\t%s\n", sc.Group, sc.K, sc.N, formatSplit(sc))
	}
	tw.Flush()
	if len(c.BranchCounts) > 0 {
		fmt.Fprintln(w, "\nwhich branch turned chromatic (the largest dchroma.bB at the end): \"bias\": it is the biased branch, among\n"+
			"runs that bias one; \"kept\": after a fork, training made the parent's colour branch at the fork step the more\n"+
			"chromatic again (what it added from the fork step on, a bias planted there left out) [Wilson 95% CI]")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "group\tcount\tk of n\tfraction [95% CI]")
		for _, bc := range c.BranchCounts {
			fmt.Fprintf(tw, "%s\t%s\t%d of %d\t%s\n", bc.Group, bc.What, bc.K, bc.N, formatSplit(SplitCount{K: bc.K, N: bc.N, Lo: bc.Lo, Hi: bc.Hi}))
		}
		tw.Flush()
	}
	fmt.Fprintln(w, "\nfeedback signature on the primary endpoints (upstream dchroma.eta2, downstream rejoin.fmaxshare; runs that lack\n"+
		"them use chroma.eta2 or csi.eta2, and rejoin.maxshare: --table seeds): mean [95% CI] across seeds (n seeds with a value)")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "group\tforward r(d split, dependency)\treverse r(d dependency, split)\tearly growth /step")
	for _, f := range c.Feedback {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Group, formatEstimate(f.Forward), formatEstimate(f.Reverse), formatEstimate(f.Growth))
	}
	return tw.Flush()
}

// familySize is the number of contrasts of family fam: the m of its
// Benjamini-Hochberg adjustment.
func (c *Comparison) familySize(fam string) int {
	n := 0
	for _, ct := range c.Contrasts {
		if ct.Family == fam && !math.IsNaN(ct.P) {
			n++
		}
	}
	return n
}

// formatSplit is k/n with its interval, or "—" with no run.
func formatSplit(sc SplitCount) string {
	if sc.N == 0 {
		return "—"
	}
	return formatCI(float64(sc.K)/float64(sc.N), sc.Lo, sc.Hi)
}

// WriteJSON writes everything as one JSON object (NaN and infinities as
// strings).
func (c *Comparison) WriteJSON(w io.Writer) error {
	type runJSON struct {
		Run       string `json:"run"`
		Group     string `json:"group"`
		Seed      uint64 `json:"seed"`
		AlignedBy string `json:"aligned_by"`
		Order     []int  `json:"order"`
	}
	out := struct {
		Groups        []string         `json:"groups"`
		Metrics       []string         `json:"metrics"`
		Primary       []string         `json:"primary"`
		SplitEndpoint string           `json:"split_endpoint"`
		SplitAlpha    float64          `json:"split_alpha"`
		Baseline      string           `json:"baseline"`
		BootSeed      uint64           `json:"boot_seed"`
		Resamples     int              `json:"resamples"`
		Permutations  int              `json:"permutations"`
		Level         float64          `json:"level"`
		Runs          []runJSON        `json:"runs"`
		Skipped       []SkippedRun     `json:"skipped"`
		Values        []map[string]any `json:"values"`
		Curves        []map[string]any `json:"curves"`
		Contrasts     []map[string]any `json:"contrasts"`
		Paired        []map[string]any `json:"paired"`
		Feedback      []map[string]any `json:"feedback"`
		FeedbackSeeds []map[string]any `json:"feedback_seeds"`
		Splits        []map[string]any `json:"splits"`
		Branches      []map[string]any `json:"branches"`
		Notes         []string         `json:"notes"`
	}{Groups: c.Groups, Metrics: c.Metrics, Primary: c.Options.Primary, SplitEndpoint: c.Options.SplitEndpoint,
		SplitAlpha: SplitAlpha, Baseline: c.Options.Baseline, BootSeed: c.Options.BootSeed,
		Resamples: c.Options.Resamples, Permutations: c.Options.Permutations, Level: c.Options.Level,
		Skipped: c.Skipped, Notes: c.Notes}
	for _, r := range c.Runs {
		out.Runs = append(out.Runs, runJSON{r.Dir, r.Group, r.Info.Seed, r.AlignedBy, r.Order})
	}
	for _, t := range []string{"values", "curves", "contrasts", "paired", "feedback", "seeds", "splits", "branches"} {
		cols, rows := c.table(t)
		var objs []map[string]any
		for _, row := range rows {
			obj := map[string]any{}
			for i, col := range cols {
				obj[col] = row[i]
			}
			objs = append(objs, obj)
		}
		switch t {
		case "values":
			out.Values = objs
		case "curves":
			out.Curves = objs
		case "contrasts":
			out.Contrasts = objs
		case "paired":
			out.Paired = objs
		case "feedback":
			out.Feedback = objs
		case "seeds":
			out.FeedbackSeeds = objs
		case "splits":
			out.Splits = objs
		case "branches":
			out.Branches = objs
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// WriteCSV writes one of CompareTables as CSV; values is tidy: one row per
// regime, seed, step and metric. An unknown table is ErrInvalid.
func (c *Comparison) WriteCSV(w io.Writer, table string) error {
	cols, rows := c.table(table)
	if cols == nil {
		return invalidf("unknown --table %q (want %s)", table, strings.Join(CompareTables(), ", "))
	}
	cw := csv.NewWriter(w)
	cw.Write(cols)
	for _, row := range rows {
		rec := make([]string, len(row))
		for i, v := range row {
			switch x := v.(type) {
			case jsonNum:
				rec[i] = strconv.FormatFloat(float64(x), 'g', -1, 64)
			default:
				rec[i] = fmt.Sprint(x)
			}
		}
		cw.Write(rec)
	}
	cw.Flush()
	return cw.Error()
}

// table returns one of the comparison's tables as columns and rows
// of values (numbers as jsonNum, so NaN survives JSON); nil columns for
// an unknown table.
func (c *Comparison) table(table string) (cols []string, rows [][]any) {
	n := func(v float64) jsonNum { return jsonNum(v) }
	switch table {
	case "values":
		cols = []string{"regime", "seed", "step", "metric", "value", "run"}
		for _, v := range c.Values {
			rows = append(rows, []any{v.Group, v.Seed, v.Step, v.Metric, n(v.Value), v.Run})
		}
	case "curves":
		cols = []string{"regime", "metric", "step", "n", "mean", "lo", "hi"}
		for _, p := range c.Curves {
			rows = append(rows, []any{p.Group, p.Metric, p.Step, p.N, n(p.Mean), n(p.Lo), n(p.Hi)})
		}
	case "contrasts":
		cols = []string{"regime", "baseline", "metric", "measure", "family", "n", "n_baseline", "mean", "mean_baseline", "diff", "lo", "hi", "hedges_g", "p", "q", "conclusion"}
		for _, ct := range c.Contrasts {
			rows = append(rows, []any{ct.Group, ct.Baseline, ct.Metric, ct.Measure, ct.Family, ct.N, ct.NBase, n(ct.Mean), n(ct.MeanBase),
				n(ct.Diff), n(ct.Lo), n(ct.Hi), n(ct.G), n(ct.P), n(ct.Q), ct.Conclusion})
		}
	case "paired":
		cols = []string{"regime", "baseline", "metric", "measure", "pairs", "seeds", "diff", "lo", "hi", "r", "p", "q", "conclusion"}
		for _, pc := range c.Paired {
			seeds := make([]string, len(pc.Seeds))
			for i, s := range pc.Seeds {
				seeds[i] = strconv.FormatUint(s, 10)
			}
			rows = append(rows, []any{pc.Group, pc.Baseline, pc.Metric, pc.Measure, pc.N, strings.Join(seeds, " "),
				n(pc.Diff), n(pc.Lo), n(pc.Hi), n(pc.R), n(pc.P), n(pc.Q), pc.Conclusion})
		}
	case "splits":
		cols = []string{"regime", "endpoint", "alpha", "k", "n", "lo", "hi"}
		for _, sc := range c.Splits {
			rows = append(rows, []any{sc.Group, sc.Endpoint, n(SplitAlpha), sc.K, sc.N, n(sc.Lo), n(sc.Hi)})
		}
	case "feedback":
		cols = []string{"regime", "quantity", "n", "mean", "lo", "hi"}
		for _, f := range c.Feedback {
			for _, q := range []struct {
				name string
				e    Estimate
			}{{"forward", f.Forward}, {"reverse", f.Reverse}, {"growth", f.Growth}} {
				rows = append(rows, []any{f.Group, q.name, q.e.N, n(q.e.Mean), n(q.e.Lo), n(q.e.Hi)})
			}
		}
	case "seeds":
		cols = []string{"regime", "seed", "upstream", "downstream", "pairs", "forward", "reverse", "floor", "growth_points", "growth", "run"}
		for _, s := range c.FeedbackSeeds {
			rows = append(rows, []any{s.Group, s.Seed, s.Upstream, s.Downstream, s.Pairs, n(s.Forward), n(s.Reverse), n(s.Floor), s.GrowthPoints, n(s.Growth), s.Run})
		}
	case "branches":
		cols = []string{"regime", "count", "k", "n", "lo", "hi"}
		for _, bc := range c.BranchCounts {
			rows = append(rows, []any{bc.Group, bc.What, bc.K, bc.N, n(bc.Lo), n(bc.Hi)})
		}
	case "skipped":
		cols = []string{"run", "group", "state", "step", "total", "reason"}
		for _, s := range c.Skipped {
			rows = append(rows, []any{s.Dir, s.Group, s.State, s.Step, s.Total, s.Reason})
		}
	}
	return cols, rows
}
