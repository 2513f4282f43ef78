package main

import (
	"flag"

	"branchspec/experiments"
)

var cmdLs = &command{
	Name:  "ls",
	Usage: "[DIR]",
	Short: "list the runs under a results directory",
	Long: `Ls lists every run below DIR (default: results) with its config, seed,
progress, last test accuracy ("-" before the first evaluation), status and
last update. A run marked "interrupted" stopped without a checkpointed exit
(for example SIGKILL) and can be resumed. Ls never waits on a training run
for long: it reads between checkpoints.`,
	Flags: func(fs *flag.FlagSet) func(*env, []string) error {
		return func(e *env, args []string) error {
			if len(args) > 1 {
				return usagef("at most one DIR")
			}
			root := "results"
			if len(args) == 1 {
				root = args[0]
			}
			return experiments.WriteRunList(e.stdout, root)
		}
	},
}
