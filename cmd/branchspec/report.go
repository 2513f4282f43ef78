package main

import (
	"flag"
	"fmt"
	"strings"

	"branchspec/experiments"
)

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
		o.bind(fs)
		fs.Var(&o.metrics, "metric", "metric glob or prefix to show (repeatable; default: the headline metrics)")
		fs.StringVar(&o.out, "o", "", "output HTML file (required)")
		fs.StringVar(&o.title, "title", "", "report title (default: the experiments' names)")
		return func(e *env, args []string) error {
			if len(args) == 0 || o.out == "" {
				return usagef("want at least one DIR and -o REPORT.html")
			}
			if err := o.check(); err != nil {
				return err
			}
			sum, err := experiments.WriteReport(experiments.ReportRequest{
				Compare: o.request(args), Path: o.out, Title: o.title,
				Command: "branchspec report " + strings.Join(args, " ") + " -o " + o.out,
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "wrote %s: %d runs in %d groups, %d left out, %d figures\n", o.out, sum.Runs, sum.Groups, sum.Skipped, sum.Figures)
			return nil
		}
	},
}
