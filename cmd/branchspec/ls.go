package main

import (
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"branchspec/results"
)

var cmdLs = &command{
	Name:  "ls",
	Usage: "[DIR]",
	Short: "list the runs under a results directory",
	Long: `Ls lists every run below DIR (default: results) with its config, seed,
progress, last test accuracy, status and last update. A run marked
"interrupted" stopped without a checkpointed exit (for example SIGKILL) and
can be resumed. Ls never waits on a training run for long: it reads between
checkpoints.`,
	Flags: func(fs *flag.FlagSet) func(*env, []string) error {
		return func(e *env, args []string) error {
			root := "results"
			if len(args) == 1 {
				root = args[0]
			} else if len(args) > 1 {
				return usagef("at most one DIR")
			}
			sums, err := results.List(root)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "RUN\tCONFIG\tSEED\tSTEP\tTEST ACC\tSTATUS\tUPDATED")
			for _, s := range sums {
				if s.Err != nil {
					fmt.Fprintf(tw, "%s\t-\t-\t-\t-\terror: %v\t-\n", s.Dir, s.Err)
					continue
				}
				hash := s.Info.ConfigHash
				if len(hash) > 8 {
					hash = hash[:8]
				}
				fmt.Fprintf(tw, "%s\t%s@%s\t%d\t%d/%d\t%s\t%s\t%s\n", s.Dir, s.Info.Name, hash, s.Info.Seed,
					s.Status.Step, s.Status.Total, fmtAcc(s.Status.TestAcc), statusWord(s), fmtTime(s.Status.Updated))
			}
			return tw.Flush()
		}
	},
}

// statusWord is a run's state as a researcher would say it.
func statusWord(s results.Summary) string {
	switch {
	case s.Status.State == results.Running && !s.Live:
		return "interrupted"
	case s.Status.State == results.Failed && s.Status.Reason != "":
		return "failed: " + s.Status.Reason
	}
	return string(s.Status.State)
}

func fmtAcc(a float64) string {
	if a == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f", a)
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}
