package main

import (
	"flag"
	"fmt"

	"branchspec/experiments"
)

var cmdResume = &command{
	Name:  "resume",
	Usage: "RUN [--stop-at STEP] [--allow-kernel-change]",
	Short: "continue a stopped or interrupted run from its latest checkpoint",
	Long: `Resume continues RUN (a run directory) from its latest checkpoint. The
config, architecture and seed come from the run itself. The continued run is
bit-identical to one that was never interrupted.

A run records the matrix products it was made with (implementation,
micro-kernel, architecture level: 'branchspec show' prints it); on another
kind of machine they round differently, and resume refuses. With
--allow-kernel-change it goes on and the run records the change at the
step it resumes from.`,
	Flags: func(fs *flag.FlagSet) func(*env, []string) error {
		var o struct {
			stopAt      int
			allowKernel bool
		}
		fs.IntVar(&o.stopAt, "stop-at", 0, "checkpoint at this step and exit")
		fs.BoolVar(&o.allowKernel, "allow-kernel-change", false, "resume with other matrix products than the run was made with (recorded)")
		return func(e *env, args []string) error {
			if len(args) != 1 {
				return usagef("want one RUN directory")
			}
			if err := atLeast("stop-at", o.stopAt, 0); err != nil {
				return err
			}
			opts := trainOptions(e, o.stopAt)
			opts.AllowKernelChange = o.allowKernel
			if err := experiments.Resume(e.ctx, args[0], opts); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "results: %s\n", args[0])
			return nil
		}
	},
}
