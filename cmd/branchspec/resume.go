package main

import (
	"flag"
	"fmt"

	"branchspec/experiments"
)

var cmdResume = &command{
	Name:  "resume",
	Usage: "RUN [--stop-at STEP]",
	Short: "continue a stopped or interrupted run from its latest checkpoint",
	Long: `Resume continues RUN (a run directory) from its latest checkpoint. The
config, architecture and seed come from the run itself. The continued run is
bit-identical to one that was never interrupted.`,
	Flags: func(fs *flag.FlagSet) func(*env, []string) error {
		var o struct{ stopAt int }
		fs.IntVar(&o.stopAt, "stop-at", 0, "checkpoint at this step and exit")
		return func(e *env, args []string) error {
			if len(args) != 1 {
				return usagef("want one RUN directory")
			}
			if err := atLeast("stop-at", o.stopAt, 0); err != nil {
				return err
			}
			if err := experiments.Resume(e.ctx, args[0], trainOptions(e, o.stopAt)); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "results: %s\n", args[0])
			return nil
		}
	},
}
