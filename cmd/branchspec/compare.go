package main

import (
	"flag"
	"fmt"
	"slices"
	"strings"

	"branchspec/experiments"
)

var cmdCompare = &command{
	Name:  "compare",
	Usage: "DIR... [--metric M]... [--by regime] [--baseline NAME] [--csv [--table T] | --json] [--plots DIR]",
	Short: "compare runs across seeds and regimes with bootstrap intervals",
	Long: `Compare reads every run below the DIRs, groups the finished ones by
regime (Extra "regime" of a sweep, else the config name; --by name or
experiment), and lists runs that failed, stopped or are unfinished.

Branch alignment: which branch becomes the colour branch is a coin flip
per seed, so each run's branches are ordered by the chroma of what
training added to their first layer (dchroma.bB; runs made before it:
chroma.bB, else csi.bB) at the run's last checkpoint, descending, and
every per-branch key is relabelled to its slot: dchroma.a0 is the most
chromatic branch's, lesion.a0.c3 that branch's lesion drop on class 3.

Per group and step: the mean across seeds with its 95% percentile
bootstrap interval (--resamples, default 2000, streams seeded by
--boot-seed). Each group is contrasted with the baseline on the final
value and on the time-averaged value (trapezoid area over the logged
steps / their range): difference of means with bootstrap interval,
Hedges' g, two-sided permutation p (exact when there are at most
--permutations splits), the seeds behind each, and q: the
Benjamini-Hochberg adjusted p across all contrasts of a family at once.
The primary endpoints (named by the experiment file and recorded in its
runs, else dchroma.eta2 and rejoin.fmaxshare; --primary overrides) are
one family, reported first; every other metric is exploratory, a second
family. The conclusion says "higher" or "lower" only when the interval
excludes 0 and q is below 0.05; when only the interval does,
"inconclusive".

Seed-matched contrasts (exploratory, a family of their own): on the
primary endpoints, each group's run of a seed against the baseline's run
of the same seed, which share initial weights and batches wherever the
regime leaves them alone: the mean of the per-seed differences with its
bootstrap interval, the Pearson r of the pairs, a two-sided sign-flip p
(exact up to --permutations sign vectors) and its q.

A split formed in a run when its split endpoint (dchroma.eta2.p unless the
experiment file or --split-endpoint names another) is below 0.01 at its
final step: per group, k of n runs with a Wilson 95% interval.

Which branch turned chromatic (the largest dchroma.bB at the end), against
science.md's bias predictions, per group with Wilson intervals: "bias",
the runs whose colour branch is the branch their config biases
(regime.bias); "kept", the fork runs in which what training added after
the fork (w_end - w_fork, a bias planted at the fork left out) is most
chromatic in the branch that was the parent's colour branch at the fork
step (hysteresis: a late counter-bias fails to flip the split).

The feedback signature per seed, on the primary endpoints: the
correlation, over consecutive checkpoints, between the change of the
upstream split (dchroma.eta2; older runs chroma.eta2, else csi.eta2) and
the downstream dependency (rejoin.fmaxshare; older runs rejoin.maxshare)
at the start of the interval ("forward"), and the reverse; and the early
growth rate of the split, the least squares slope of ln(split -
(B-1)/(N-1)) against step over the log-spaced checkpoints. Per group:
mean and bootstrap interval across seeds.

--metric selects aligned keys by glob or prefix (repeatable; a key
itself selects that key alone). --json prints everything; --csv prints
one table (--table values, curves, contrasts, paired, splits, branches,
feedback, seeds or skipped; values is tidy: one row per regime, seed, step, metric). --plots
DIR writes METRIC.png and METRIC.svg per metric: mean curves with bands,
x on a log(1 + step) scale unless --logx=false.`,
	Flags: func(fs *flag.FlagSet) func(*env, []string) error {
		var o struct {
			compareFlags
			json, csv bool
			table     string
			plots     string
			logx      bool
		}
		o.bind(fs)
		fs.Var(&o.metrics, "metric", "metric glob or prefix to compare (repeatable; default: the headline metrics)")
		fs.BoolVar(&o.json, "json", false, "print JSON")
		fs.BoolVar(&o.csv, "csv", false, "print one table as CSV (see --table)")
		fs.StringVar(&o.table, "table", "values", "table printed by --csv: "+strings.Join(experiments.CompareTables(), ", "))
		fs.StringVar(&o.plots, "plots", "", "write curve plots (PNG and SVG) into this directory")
		fs.BoolVar(&o.logx, "logx", true, "plots: x on a log(1 + step) scale")
		return func(e *env, args []string) error {
			if len(args) == 0 {
				return usagef("want at least one DIR")
			}
			if o.json && o.csv {
				return usagef("--json and --csv exclude each other")
			}
			if err := o.check(); err != nil {
				return err
			}
			if o.csv && !slices.Contains(experiments.CompareTables(), o.table) {
				return usagef("unknown --table %q (want %s)", o.table, strings.Join(experiments.CompareTables(), ", "))
			}
			c, err := experiments.CompareDirs(o.request(args))
			if err != nil {
				return err
			}
			if o.plots != "" {
				if err := c.WritePlots(o.plots, o.logx); err != nil {
					return err
				}
				fmt.Fprintf(e.stderr, "wrote %d plots to %s\n", len(c.Metrics), o.plots)
			}
			switch {
			case o.json:
				return c.WriteJSON(e.stdout)
			case o.csv:
				return c.WriteCSV(e.stdout, o.table)
			}
			return c.WriteText(e.stdout)
		}
	},
}

// compareFlags are the flags compare and report share.
type compareFlags struct {
	metrics      setFlags
	primary      setFlags
	split        string
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
	fs.Var(&f.primary, "primary", "a primary endpoint (repeatable; default: those the runs recorded from their experiment file, else dchroma.eta2 and rejoin.fmaxshare)")
	fs.StringVar(&f.split, "split-endpoint", "", `the p-value key of "a split formed" (default: the runs' recorded one, else dchroma.eta2.p)`)
}

// check refuses bounds the comparison cannot take.
func (f *compareFlags) check() error {
	return firstErr(atLeast("resamples", f.resamples, 1), atLeast("permutations", f.permutations, 1))
}

// request is the comparison of the runs below dirs the flags ask for.
func (f *compareFlags) request(dirs []string) experiments.CompareRequest {
	return experiments.CompareRequest{Dirs: dirs, By: f.by, Metrics: f.metrics,
		Options: experiments.CompareOptions{Baseline: f.baseline, BootSeed: f.bootSeed, Resamples: f.resamples, Permutations: f.permutations,
			Primary: f.primary, SplitEndpoint: f.split}}
}
