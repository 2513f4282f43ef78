package main

import (
	"flag"
	"fmt"
	"strings"

	"branchspec/experiments"
)

var cmdAnalyze = &command{
	Name:  "analyze",
	Usage: "RUN [--metrics GROUP,...]",
	Short: "recompute specialization metrics from a run's stored checkpoints",
	Long: `Analyze recomputes metrics from every checkpoint of RUN that still has its
weights and stores them in the run under this program's version, so a metric
added later applies to old runs without retraining. Groups: ` + strings.Join(experiments.MetricGroups(), ", ") + `
(default: all). Values equal those logged in training bit for bit: they are
measured against the run's stored origin (its initial weights, for drift and
the dw scores, and its initialisation null). A run made before origins were
stored gets one first: its step-0 weights (kept by retention, or its
initialisation recomputed from its seed and checked against the SHA-256 it
recorded at step 0) and a freshly drawn null, stored in its run.db.
'branchspec show RUN --analysis VERSION' shows them.`,
	Flags: func(fs *flag.FlagSet) func(*env, []string) error {
		var o struct{ groups string }
		fs.StringVar(&o.groups, "metrics", "", "comma-separated metric groups (default: all)")
		return func(e *env, args []string) error {
			if len(args) != 1 {
				return usagef("want one RUN directory")
			}
			var gs []string
			if o.groups != "" {
				gs = strings.Split(o.groups, ",")
			}
			n, err := experiments.Analyze(args[0], gs, version, e.stderr)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "analyzed %d checkpoints of %s as version %s\n", n, args[0], version)
			return nil
		}
	},
}
