package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"branchspec/results"
	"branchspec/results/npy"
)

var cmdExport = &command{
	Name:  "export",
	Usage: "RUN --step N --out DIR",
	Short: "write a checkpoint's weights as .npy files",
	Long: `Export writes every weight tensor of RUN's checkpoint at step N (default:
the latest) into DIR as NAME.npy (float32, C order; for example
branch.0.0.w.npy has shape [out, in, k, k]), loadable with numpy.load.`,
	Flags: func(fs *flag.FlagSet) func(*env, []string) error {
		step := fs.Int("step", -1, "checkpoint step (default: latest)")
		out := fs.String("out", "", "output directory (required)")
		return func(e *env, args []string) error {
			if len(args) != 1 || *out == "" {
				return usagef("want RUN and --out DIR")
			}
			run, err := results.Open(args[0], nil)
			if err != nil {
				return err
			}
			ck, err := checkpointAt(run, *step)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(*out, 0o755); err != nil {
				return err
			}
			for _, t := range ck.Weights {
				if err := writeNpy(filepath.Join(*out, t.Name+".npy"), t); err != nil {
					return err
				}
			}
			fmt.Fprintf(e.stdout, "wrote %d tensors of step %d to %s\n", len(ck.Weights), ck.Step, *out)
			return nil
		}
	},
}

func writeNpy(path string, t results.Tensor) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	if err := npy.Write(f, t.Shape, t.Data); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// checkpointAt returns the run's checkpoint at step, or its latest for a
// negative step.
func checkpointAt(run *results.Run, step int) (*results.Checkpoint, error) {
	if step < 0 {
		return run.Latest()
	}
	return run.Checkpoint(step)
}
