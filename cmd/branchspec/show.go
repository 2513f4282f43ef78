package main

import (
	"flag"

	"branchspec/experiments"
)

var cmdShow = &command{
	Name:  "show",
	Usage: "RUN [--metric PATTERN]... [--all-steps] [--json | --csv]",
	Short: "print a run's metric series and checkpoints",
	Long: `Show prints RUN's config hash, status and lineage, its metric series over
steps (by default the steps with an evaluation; --all-steps for every logged
step), its checkpoints with time and weights SHA-256, and the share of wall
time spent measuring specialization (the initialisation null's part named).
Values not defined at a step are left out there: dchroma and dfreq at step 0,
where dw = w_t - w_0 is zero.

--metric selects columns by glob (path.Match syntax, "chroma.*") or prefix
("csi"); a key itself selects that key alone; repeatable. --json and --csv print every selected value as tidy
rows (run, step, metric, value) instead of the table.`,
	Flags: func(fs *flag.FlagSet) func(*env, []string) error {
		var o struct {
			metrics   setFlags
			allSteps  bool
			json, csv bool
			analysis  string
		}
		fs.Var(&o.metrics, "metric", "metric glob or prefix to show (repeatable)")
		fs.BoolVar(&o.allSteps, "all-steps", false, "show every logged step, not only evaluations")
		fs.BoolVar(&o.json, "json", false, "print JSON")
		fs.BoolVar(&o.csv, "csv", false, "print CSV")
		fs.StringVar(&o.analysis, "analysis", "", "also show the metrics 'analyze' recomputed under this version")
		return func(e *env, args []string) error {
			if len(args) != 1 {
				return usagef("want one RUN directory")
			}
			if o.json && o.csv {
				return usagef("--json and --csv exclude each other")
			}
			v, err := experiments.ShowRun(args[0], experiments.ShowOptions{Metrics: o.metrics, AllSteps: o.allSteps, Analysis: o.analysis})
			if err != nil {
				return err
			}
			switch {
			case o.json:
				return v.WriteJSON(e.stdout)
			case o.csv:
				return v.WriteCSV(e.stdout)
			}
			return v.WriteText(e.stdout)
		}
	},
}
