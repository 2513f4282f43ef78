package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"branchspec/experiments"
	"branchspec/results/figures"
)

// compareFlags are the flags compare and report share.
type compareFlags struct {
	metrics      setFlags
	by           string
	baseline     string
	bootSeed     uint64
	resamples    int
	permutations int
}

func (f *compareFlags) bind(fs *flag.FlagSet) {
	fs.StringVar(&f.by, "by", experiments.GroupByRegime, "group runs by regime, name or experiment")
	fs.StringVar(&f.baseline, "baseline", "baseline", "the group every other group is contrasted with")
	fs.Uint64Var(&f.bootSeed, "boot-seed", 1, "seed of the bootstrap and permutation streams")
	fs.IntVar(&f.resamples, "resamples", 2000, "bootstrap resamples (>= 2000 for reported intervals)")
	fs.IntVar(&f.permutations, "permutations", 10000, "permutation test: exact when there are at most this many splits, else this many random ones")
}

// compare loads the runs under dirs and compares them, with the metrics
// matching the --metric patterns (or defaults when there are none).
func (f *compareFlags) compare(dirs []string, defaults []string) (*experiments.Comparison, error) {
	if f.resamples < 1 || f.permutations < 1 {
		return nil, usagef("--resamples and --permutations must be >= 1")
	}
	set, err := experiments.LoadRuns(dirs, f.by)
	if err != nil {
		return nil, usagef("%v", err)
	}
	opts := experiments.CompareOptions{Baseline: f.baseline, BootSeed: f.bootSeed, Resamples: f.resamples, Permutations: f.permutations}
	keys := set.Keys()
	switch {
	case len(f.metrics) > 0:
		opts.Metrics = matchKeys(keys, f.metrics)
		if len(opts.Metrics) == 0 {
			return nil, fmt.Errorf("no metric matches %s", strings.Join(f.metrics, ", "))
		}
	case defaults != nil:
		for _, k := range defaults {
			if slices.Contains(keys, k) {
				opts.Metrics = append(opts.Metrics, k)
			}
		}
	}
	return experiments.Compare(set, opts)
}

// matchKeys returns the keys matching any pattern (glob or prefix), sorted.
func matchKeys(keys, patterns []string) []string {
	var out []string
	for _, k := range keys {
		for _, p := range patterns {
			if ok, _ := path.Match(p, k); ok || strings.HasPrefix(k, p) {
				out = append(out, k)
				break
			}
		}
	}
	return out
}

var cmdCompare = &command{
	Name:  "compare",
	Usage: "DIR... [--metric M]... [--by regime] [--baseline NAME] [--csv [--table T] | --json] [--plots DIR]",
	Short: "compare runs across seeds and regimes with bootstrap intervals",
	Long: `Compare reads every run below the DIRs, groups the finished ones by
regime (Extra "regime" of a sweep, else the config name; --by name or
experiment), and lists runs that failed, stopped or are unfinished.

Branch alignment: which branch becomes the colour branch is a coin flip
per seed, so each run's branches are ordered by their kernel chroma
(chroma.bB, else csi.bB) at the run's last checkpoint, descending, and
every per-branch key is relabelled to its slot: chroma.a0 is the most
chromatic branch's, lesion.a0.c3 that branch's lesion drop on class 3.

Per group and step: the mean across seeds with its 95% percentile
bootstrap interval (--resamples, default 2000, streams seeded by
--boot-seed). Each group is contrasted with the baseline on the final
value and on the time-averaged value (trapezoid area over the logged
steps / their range): difference of means with bootstrap interval,
Hedges' g, two-sided permutation p (exact when there are at most
--permutations splits) and the seeds behind each. The conclusion says
"higher" or "lower" only when the interval excludes 0 and the permutation
p is below 0.05; when only the interval does, "inconclusive" (with 3 vs 3
seeds no p is below 0.1).

The feedback signature per seed: the correlation, over consecutive
checkpoints, between the change of the upstream split (chroma.eta2, else
csi.eta2) and the downstream dependency (rejoin.maxshare) at the start of
the interval ("forward"), and the reverse; and the early growth rate of
the split, the least squares slope of ln(split - (B-1)/(N-1)) against
step over the log-spaced checkpoints. Per group: mean and bootstrap
interval across seeds.

--metric selects aligned keys by glob or prefix (repeatable). --json
prints everything; --csv prints one table (--table values, curves,
contrasts, feedback, seeds or skipped; values is tidy: one row per
regime, seed, step, metric). --plots DIR writes METRIC.png and METRIC.svg
per metric: mean curves with bands, x on a log(1 + step) scale unless
--logx=false.`,
	Flags: func(fs *flag.FlagSet) func(*env, []string) error {
		var o struct {
			compareFlags
			json, csv bool
			table     string
			plots     string
			logx      bool
		}
		o.compareFlags.bind(fs)
		fs.Var(&o.metrics, "metric", "metric glob or prefix to compare (repeatable; default: the headline metrics)")
		fs.BoolVar(&o.json, "json", false, "print JSON")
		fs.BoolVar(&o.csv, "csv", false, "print one table as CSV (see --table)")
		fs.StringVar(&o.table, "table", "values", "table printed by --csv: values, curves, contrasts, feedback, seeds or skipped")
		fs.StringVar(&o.plots, "plots", "", "write curve plots (PNG and SVG) into this directory")
		fs.BoolVar(&o.logx, "logx", true, "plots: x on a log(1 + step) scale")
		return func(e *env, args []string) error {
			if len(args) == 0 {
				return usagef("want at least one DIR")
			}
			if o.json && o.csv {
				return usagef("--json and --csv exclude each other")
			}
			c, err := o.compare(args, nil)
			if err != nil {
				return err
			}
			if o.plots != "" {
				if err := writeCurvePlots(o.plots, c, o.logx); err != nil {
					return err
				}
				fmt.Fprintf(e.stderr, "wrote %d plots to %s\n", len(c.Metrics), o.plots)
			}
			switch {
			case o.json:
				return compareJSON(e.stdout, c)
			case o.csv:
				return compareCSV(e.stdout, c, o.table)
			}
			compareText(e.stdout, c)
			return nil
		}
	},
}

// curvesOf returns one figures.Curve per group for metric m.
func curvesOf(c *experiments.Comparison, m string) []figures.Curve {
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
			cv.Label = fmt.Sprintf("%s (n=%d)", g, seedsOf(c, g))
			out = append(out, cv)
		}
	}
	return out
}

func seedsOf(c *experiments.Comparison, g string) int {
	n := 0
	for _, r := range c.Runs {
		if r.Group == g {
			n++
		}
	}
	return n
}

func writeCurvePlots(dir string, c *experiments.Comparison, logx bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, m := range c.Metrics {
		for _, format := range []string{figures.PNG, figures.SVG} {
			file := filepath.Join(dir, m+"."+format)
			f, err := os.Create(file)
			if err != nil {
				return err
			}
			err = figures.Curves(f, format, curvesOf(c, m), figures.CurvesOptions{
				Title: m, XLabel: "step", YLabel: m + " (mean, 95% CI)", LogX: logx})
			if err := errors.Join(err, f.Close()); err != nil {
				return fmt.Errorf("plot %s: %w", file, err)
			}
		}
	}
	return nil
}

// fmtCI renders a mean with its interval: "0.1234 [0.1000, 0.1500]".
func fmtCI(mean, lo, hi float64) string {
	return fmt.Sprintf("%s [%s, %s]", fmtValue(mean), fmtValue(lo), fmtValue(hi))
}

func compareText(w io.Writer, c *experiments.Comparison) {
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
			fin, auc := groupMeasure(c, g, m, experiments.MeasureFinal), groupMeasure(c, g, m, experiments.MeasureAUC)
			if fin.N == 0 {
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", m, g, fin.N, fmtCI(fin.Mean, fin.Lo, fin.Hi), fmtCI(auc.Mean, auc.Lo, auc.Hi))
		}
	}
	tw.Flush()
	if len(c.Contrasts) > 0 {
		fmt.Fprintf(w, "\ncontrasts with %s: difference of means (group - baseline) [95%% CI], Hedges' g, permutation p\n", c.Options.Baseline)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "metric\tmeasure\tgroup\tn\tdiff [95% CI]\tg\tp\tconclusion")
		for _, ct := range c.Contrasts {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d vs %d\t%s\t%s\t%s\t%s\n", ct.Metric, ct.Measure, ct.Group, ct.N, ct.NBase,
				fmtCI(ct.Diff, ct.Lo, ct.Hi), fmtG(ct.G), fmtP(ct.P), ct.Conclusion)
		}
		tw.Flush()
	}
	fmt.Fprintln(w, "\nfeedback signature: mean [95% CI] across seeds (n seeds with a value)")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "group\tforward r(d split, dependency)\treverse r(d dependency, split)\tearly growth /step")
	for _, f := range c.Feedback {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Group, fmtEstimate(f.Forward), fmtEstimate(f.Reverse), fmtEstimate(f.Growth))
	}
	tw.Flush()
}

// groupMeasure is the mean and bootstrap interval of a measure across a
// group's seeds, as in the group's curve.
func groupMeasure(c *experiments.Comparison, g, m, measure string) experiments.Estimate {
	return c.MeasureEstimate(g, m, measure)
}

func fmtEstimate(e experiments.Estimate) string {
	if e.N == 0 {
		return "-"
	}
	return fmt.Sprintf("%s (n=%d)", fmtCI(e.Mean, e.Lo, e.Hi), e.N)
}

func fmtG(g float64) string { return strconv.FormatFloat(g, 'f', 2, 64) }

func fmtP(p float64) string {
	if p < 1e-3 {
		return strconv.FormatFloat(p, 'e', 1, 64)
	}
	return strconv.FormatFloat(p, 'f', 3, 64)
}

func compareJSON(w io.Writer, c *experiments.Comparison) error {
	type runJSON struct {
		Run       string `json:"run"`
		Group     string `json:"group"`
		Seed      uint64 `json:"seed"`
		AlignedBy string `json:"aligned_by"`
		Order     []int  `json:"order"`
	}
	out := struct {
		Groups        []string                 `json:"groups"`
		Metrics       []string                 `json:"metrics"`
		Baseline      string                   `json:"baseline"`
		BootSeed      uint64                   `json:"boot_seed"`
		Resamples     int                      `json:"resamples"`
		Permutations  int                      `json:"permutations"`
		Level         float64                  `json:"level"`
		Runs          []runJSON                `json:"runs"`
		Skipped       []experiments.SkippedRun `json:"skipped"`
		Values        []map[string]any         `json:"values"`
		Curves        []map[string]any         `json:"curves"`
		Contrasts     []map[string]any         `json:"contrasts"`
		Feedback      []map[string]any         `json:"feedback"`
		FeedbackSeeds []map[string]any         `json:"feedback_seeds"`
		Notes         []string                 `json:"notes"`
	}{Groups: c.Groups, Metrics: c.Metrics, Baseline: c.Options.Baseline, BootSeed: c.Options.BootSeed,
		Resamples: c.Options.Resamples, Permutations: c.Options.Permutations, Level: c.Options.Level,
		Skipped: c.Skipped, Notes: c.Notes}
	for _, r := range c.Runs {
		out.Runs = append(out.Runs, runJSON{r.Dir, r.Group, r.Info.Seed, r.AlignedBy, r.Order})
	}
	for _, t := range []string{"values", "curves", "contrasts", "feedback", "seeds"} {
		cols, rows := compareTable(c, t)
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
		case "feedback":
			out.Feedback = objs
		case "seeds":
			out.FeedbackSeeds = objs
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func compareCSV(w io.Writer, c *experiments.Comparison, table string) error {
	cols, rows := compareTable(c, table)
	if cols == nil {
		return usagef("unknown --table %q (want values, curves, contrasts, feedback, seeds or skipped)", table)
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

// compareTable returns one of the comparison's tables as columns and rows
// of values (numbers as jsonNum, so NaN survives JSON); nil columns for
// an unknown table.
func compareTable(c *experiments.Comparison, table string) (cols []string, rows [][]any) {
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
		cols = []string{"regime", "baseline", "metric", "measure", "n", "n_baseline", "mean", "mean_baseline", "diff", "lo", "hi", "hedges_g", "p", "conclusion"}
		for _, ct := range c.Contrasts {
			rows = append(rows, []any{ct.Group, ct.Baseline, ct.Metric, ct.Measure, ct.N, ct.NBase, n(ct.Mean), n(ct.MeanBase),
				n(ct.Diff), n(ct.Lo), n(ct.Hi), n(ct.G), n(ct.P), ct.Conclusion})
		}
	case "feedback":
		cols = []string{"regime", "quantity", "n", "mean", "lo", "hi"}
		for _, f := range c.Feedback {
			for _, q := range []struct {
				name string
				e    experiments.Estimate
			}{{"forward", f.Forward}, {"reverse", f.Reverse}, {"growth", f.Growth}} {
				rows = append(rows, []any{f.Group, q.name, q.e.N, n(q.e.Mean), n(q.e.Lo), n(q.e.Hi)})
			}
		}
	case "seeds":
		cols = []string{"regime", "seed", "upstream", "pairs", "forward", "reverse", "floor", "growth_points", "growth", "run"}
		for _, s := range c.FeedbackSeeds {
			rows = append(rows, []any{s.Group, s.Seed, s.Upstream, s.Pairs, n(s.Forward), n(s.Reverse), n(s.Floor), s.GrowthPoints, n(s.Growth), s.Run})
		}
	case "skipped":
		cols = []string{"run", "group", "state", "step", "total", "reason"}
		for _, s := range c.Skipped {
			rows = append(rows, []any{s.Dir, s.Group, s.State, s.Step, s.Total, s.Reason})
		}
	}
	return cols, rows
}
