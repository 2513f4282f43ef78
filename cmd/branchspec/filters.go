package main

import (
	"errors"
	"flag"
	"fmt"
	"image/png"
	"os"

	"branchspec/experiments"
	"branchspec/results"
	"branchspec/results/figures"
	"branchspec/trainer"
)

var cmdFilters = &command{
	Name:  "filters",
	Usage: "RUN [--step N] -o FILE.png",
	Short: "draw each branch's first-layer kernels as an image grid",
	Long: `Filters draws the first conv's kernels of every branch of RUN at
checkpoint N (default: latest) as one PNG, branch by branch from top to
bottom with a gap between branches, as in Krizhevsky et al. (2012),
Figure 3. Each kernel is scaled to its own range. With a shared stem the
stem's first layer is drawn as one block.`,
	Flags: func(fs *flag.FlagSet) func(*env, []string) error {
		step := fs.Int("step", -1, "checkpoint step (default: latest)")
		out := fs.String("o", "", "output PNG file (required)")
		scale := fs.Int("scale", 8, "pixels per kernel tap")
		return func(e *env, args []string) error {
			if len(args) != 1 || *out == "" {
				return usagef("want RUN and -o FILE.png")
			}
			run, err := results.Open(args[0], nil)
			if err != nil {
				return err
			}
			cfg, err := experiments.RunConfig(run)
			if err != nil {
				return err
			}
			arch, err := trainer.NewArch(cfg)
			if err != nil {
				return err
			}
			ck, err := checkpointAt(run, *step)
			if err != nil {
				return err
			}
			byName := map[string][]float32{}
			for _, t := range ck.Weights {
				byName[t.Name] = t.Data
			}
			convs := arch.FirstRGBConvs()
			blocks := make([][]float32, len(convs))
			for i, cv := range convs {
				blocks[i] = byName[cv.Name+".w"]
			}
			img, err := figures.KernelGrid(blocks, convs[0].In, convs[0].K, figures.KernelGridOptions{Scale: *scale})
			if err != nil {
				return err
			}
			f, err := os.Create(*out)
			if err != nil {
				return err
			}
			if err := errors.Join(png.Encode(f, img), f.Close()); err != nil {
				return fmt.Errorf("%s: %w", *out, err)
			}
			fmt.Fprintf(e.stdout, "wrote %s: %d branches, step %d\n", *out, len(blocks), ck.Step)
			return nil
		}
	},
}
