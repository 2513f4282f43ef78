package main

import (
	"flag"
	"fmt"

	"branchspec/experiments"
)

var cmdFilters = &command{
	Name:  "filters",
	Usage: "RUN [--step N] [--learned] -o FILE.png",
	Short: "draw each branch's first-layer kernels as an image grid",
	Long: `Filters draws the first conv's kernels of every branch of RUN at
checkpoint N (default: latest) as one PNG, branch by branch from top to
bottom with a gap between branches, as in Krizhevsky et al. (2012),
Figure 3. Each kernel is scaled to its own range. With a shared stem the
stem's first layer is drawn as one block. --learned draws what training
added, w - w0 against the run's stored initial weights: from a large
initialisation w is mostly the initial noise.`,
	Flags: func(fs *flag.FlagSet) func(*env, []string) error {
		var o struct {
			step    natFlag
			scale   int
			out     string
			learned bool
		}
		fs.Var(&o.step, "step", "checkpoint step (default: latest)")
		fs.StringVar(&o.out, "o", "", "output PNG file (required)")
		fs.IntVar(&o.scale, "scale", 8, "pixels per kernel tap")
		fs.BoolVar(&o.learned, "learned", false, "draw what training added, w - w0, against the run's initial weights")
		return func(e *env, args []string) error {
			if len(args) != 1 || o.out == "" {
				return usagef("want RUN and -o FILE.png")
			}
			if err := atLeast("scale", o.scale, 1); err != nil {
				return err
			}
			blocks, at, err := experiments.DrawKernels(args[0],
				experiments.KernelGridOptions{Step: o.step.or(-1), Scale: o.scale, Learned: o.learned}, o.out)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "wrote %s: %d branches, step %d\n", o.out, blocks, at)
			return nil
		}
	},
}
