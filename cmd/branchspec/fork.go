package main

import (
	"flag"
	"fmt"

	"branchspec/experiments"
)

var cmdFork = &command{
	Name:  "fork",
	Usage: "RUN --at STEP [--set KEY=VALUE]... [--name NAME] [--out DIR] [--stop-at STEP]",
	Short: "start a new run from a run's checkpoint with a changed config",
	Long: `Fork starts a new run from RUN's checkpoint at STEP: its weights, solver
state, data order and step count, under RUN's seed, with RUN's config changed
by --set (for example a late counter-bias: --set regime.bias.branch=1
--set regime.bias.epsilon=0.3). The fork records RUN and STEP as its parent
('branchspec show' prints them) and trains to the end like 'run'.

The bias regime acts at initialisation; a fork whose regime.bias differs
from RUN's applies it to the forked weights at STEP instead. Overrides that
change the architecture or what the checkpoint holds (model.*, regime.mixing,
seed, optim.algorithm, the data's shape, classes or training size) are
refused. With no --set the fork continues exactly as RUN did. The fork
measures what training added (drift, the dw scores) from RUN's initial
weights, which for a fork of a fork are the first run's.

The fork is named NAME (default: RUN's name + "-fork" + STEP) and goes to
OUT/NAME/seed-SEED; OUT defaults to the directory holding RUN's name
directory, so the fork sits next to RUN. SIGINT, SIGTERM and SIGHUP checkpoint it
and exit with status 130; 'branchspec resume' continues it.`,
	Flags: func(fs *flag.FlagSet) func(*env, []string) error {
		var o struct {
			at        natFlag
			stopAt    int
			name, out string
			sets      setFlags
			kernel    string
		}
		fs.Var(&o.at, "at", "the parent's checkpoint step to start from (required)")
		fs.Var(&o.sets, "set", "override a config key: KEY=VALUE (repeatable)")
		fs.StringVar(&o.name, "name", "", "the fork's run name (default: PARENT-forkSTEP)")
		fs.StringVar(&o.out, "out", "", "results directory (default: next to the parent)")
		fs.IntVar(&o.stopAt, "stop-at", 0, "checkpoint at this step and exit")
		fs.StringVar(&o.kernel, "kernel", "", "the kernel: avx512, avx2 or portable, alone or with +winograd (3x3 convolutions as Winograd F(2x2,3x3)) (default: one giving the parent's bits, else the fastest)")
		return func(e *env, args []string) error {
			if len(args) != 1 {
				return usagef("want one RUN directory")
			}
			if !o.at.set {
				return usagef("--at STEP is required")
			}
			if err := atLeast("stop-at", o.stopAt, 0); err != nil {
				return err
			}
			opts := trainOptions(e, o.stopAt)
			opts.GEMM = o.kernel
			dir, err := experiments.Fork(e.ctx, args[0],
				experiments.ForkOptions{At: o.at.or(0), Set: o.sets, Name: o.name, Out: o.out}, opts)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "fork of %s at step %d: %s\n", args[0], o.at.or(0), dir)
			fmt.Fprintf(e.stdout, "results: %s\n", dir)
			return nil
		}
	},
}
