package main

import (
	"flag"
	"fmt"
	"path/filepath"

	"branchspec/experiments"
)

var cmdSweep = &command{
	Name:  "sweep",
	Usage: "EXPERIMENT.toml [--seeds N] [--jobs N] [--out DIR] [--stop-at STEP] [--set KEY=VALUE]...",
	Short: "train every (regime, seed) run of an experiment file",
	Long: `Sweep trains every run of an experiment file (its regimes times its seeds)
into OUT/EXPERIMENT/REGIME/seed-SEED, --jobs runs at a time.

Finished runs are skipped and stopped or interrupted ones resumed, so running
a sweep again does only the work that is left. --seeds N replaces the file's
seeds by 1..N; --set overrides a key in every run (after the file's own
overrides); --stop-at STEP stops every run at STEP, resumable later.
SIGINT and SIGTERM checkpoint every running run and exit with status 130.
With --slurm or --k8s the runs are handed to a cluster scheduler instead.`,
	Flags: func(fs *flag.FlagSet) func(*env, []string) error {
		var o struct {
			seeds, jobs, stopAt int
			out                 string
			sets                setFlags
		}
		fs.IntVar(&o.seeds, "seeds", 0, "use seeds 1..N instead of the file's")
		fs.IntVar(&o.jobs, "jobs", 1, "runs trained at once")
		fs.StringVar(&o.out, "out", "results", "results directory")
		fs.IntVar(&o.stopAt, "stop-at", 0, "stop every run at this step (checkpointed)")
		fs.Var(&o.sets, "set", "override a config key in every run: KEY=VALUE (repeatable)")
		var sched schedOptions
		sched.bind(fs)
		return func(e *env, args []string) error {
			if len(args) != 1 {
				return usagef("want one EXPERIMENT file")
			}
			if o.seeds < 0 || o.jobs < 1 || o.stopAt < 0 {
				return usagef("--seeds and --stop-at must be >= 0, --jobs >= 1")
			}
			exp, err := experiments.LoadExperiment(args[0])
			if err != nil {
				return err
			}
			if o.seeds > 0 {
				exp = exp.WithSeeds(o.seeds)
			}
			specs, err := exp.Runs(o.out, o.sets)
			if err != nil {
				return err
			}
			if sched.enabled() {
				return scheduleSweep(e, exp, specs, o.out, sched)
			}
			fmt.Fprintf(e.stderr, "sweep %s: %d regimes x %d seeds = %d runs, %d at a time\n",
				exp.Name, len(exp.Regimes), len(exp.Seeds), len(specs), o.jobs)
			rep, err := experiments.Sweep(e.ctx, specs, experiments.SweepOptions{
				Jobs: o.jobs, StopAt: o.stopAt, Experiment: exp.Name,
				Progress: e.stderr, Terminal: e.terminal, Version: version,
			})
			if rep != nil {
				fmt.Fprintf(e.stdout, "%s\nresults: %s\n", rep.Summary(), filepath.Join(o.out, exp.Name))
			}
			return err
		}
	},
}
