package main

import (
	"flag"
	"fmt"

	"branchspec/experiments"
)

var cmdExport = &command{
	Name:  "export",
	Usage: "RUN [--step N] --out DIR [--force]",
	Short: "write a checkpoint's weights as .npy files",
	Long: `Export writes every weight tensor of RUN's checkpoint at step N (default:
the latest) into DIR as NAME.npy (float32, C order; for example
branch.0.0.w.npy has shape [out, in, k, k]), loadable with numpy.load.

The tensors are written into a new directory that then takes DIR's place,
so DIR never mixes two exports. A DIR that holds files is refused unless
--force is given and they are all .npy files (a previous export), which
are then replaced; a run directory is always refused.`,
	Flags: func(fs *flag.FlagSet) func(*env, []string) error {
		var o struct {
			step  natFlag
			out   string
			force bool
		}
		fs.Var(&o.step, "step", "checkpoint step (default: latest)")
		fs.StringVar(&o.out, "out", "", "output directory (required)")
		fs.BoolVar(&o.force, "force", false, "replace a previous export in DIR")
		return func(e *env, args []string) error {
			if len(args) != 1 || o.out == "" {
				return usagef("want RUN and --out DIR")
			}
			n, at, err := experiments.ExportWeights(args[0], o.step.or(-1), o.out, o.force)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "wrote %d tensors of step %d to %s\n", n, at, o.out)
			return nil
		}
	},
}
