package experiments

import (
	"bytes"
	"errors"
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"time"

	"branchspec/configs"
	"branchspec/results"
	"branchspec/results/figures"
	"branchspec/results/npy"
)

// LoadConfig reads the config at path (a file, or an embedded preset's
// name; "" is the embedded default), applies the overrides sets
// ("key=value", as --set) and validates the result.
func LoadConfig(path string, sets []string) (*configs.Config, error) {
	cfg := configs.Defaults()
	if path != "" {
		var err error
		if cfg, err = configs.Load(path); err != nil {
			return nil, err
		}
	}
	if err := cfg.SetAll(sets); err != nil {
		return nil, err
	}
	return cfg, cfg.Validate()
}

// DataPathSet returns the override ("key=value", as LoadConfig and
// PlanSweep take them) that sets data.path to path, whatever characters it
// holds: the command line's --data.
func DataPathSet(path string) string { return configs.SetString("data.path", path) }

// PlanSweep loads the experiment file at path and expands it into its
// runs under out, with seeds 1..seeds instead of the file's when seeds > 0
// and the overrides sets applied to every run last.
func PlanSweep(path string, seeds int, out string, sets []string) (*Experiment, []RunSpec, error) {
	if seeds < 0 {
		return nil, nil, invalidf("seeds %d: want >= 0", seeds)
	}
	exp, err := LoadExperiment(path)
	if err != nil {
		return nil, nil, err
	}
	if seeds > 0 {
		exp = exp.WithSeeds(seeds)
	}
	specs, err := exp.Runs(out, sets)
	return exp, specs, err
}

// ExportWeights writes every weight tensor of the run's checkpoint at step
// (the latest when step < 0) into the directory out as NAME.npy (float32,
// C order), and returns how many tensors it wrote and the step.
func ExportWeights(dir string, step int, out string) (n, at int, err error) {
	run, err := results.Open(dir, nil)
	if err != nil {
		return 0, 0, err
	}
	ck, err := checkpointAt(run, step)
	if err != nil {
		return 0, 0, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return 0, 0, err
	}
	for _, t := range ck.Weights {
		if err := writeNpy(filepath.Join(out, t.Name+".npy"), t); err != nil {
			return 0, 0, err
		}
	}
	return len(ck.Weights), ck.Step, nil
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

// DrawKernels draws the first-layer kernels of the run's checkpoint at
// step (the latest when step < 0) as one PNG at path: one block per branch
// from top to bottom (FirstLayerKernels in branch order), each kernel
// scaled to its own range, scale pixels per tap (see WriteKernelGrid). It
// returns the number of blocks and the step drawn.
func DrawKernels(dir string, step int, path string, scale int) (blocks, at int, err error) {
	var buf bytes.Buffer
	blocks, at, err = WriteKernelGrid(&buf, dir, KernelGridOptions{Step: step, Scale: scale})
	if err != nil {
		return 0, 0, err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return 0, 0, err
	}
	return blocks, at, nil
}

// KernelGridOptions select the checkpoint and layout WriteKernelGrid draws.
type KernelGridOptions struct {
	// Step is the checkpoint drawn; negative means the latest.
	Step int
	// Scale is the number of pixels per kernel tap (figures.KernelGrid;
	// 0 means its default).
	Scale int
	// Order lists the branch in each aligned slot, top to bottom
	// (LoadedRun.Order); nil keeps the branch order.
	Order []int
	// Timeout bounds the wait for the store's file lock (results.Options;
	// 0 means results.DefaultTimeout). A reader that must not wait on a
	// training run's commit sets it short and gets results.ErrTimeout.
	Timeout time.Duration
}

// WriteKernelGrid writes the first-layer kernels of the run in dir at a
// checkpoint as one PNG to w: one block per branch from top to bottom
// (FirstLayerKernels), each kernel scaled to its own range. It is the one
// way the command line, the report and the server draw kernels. It
// returns the number of blocks and the step drawn; nothing is written to
// w on error.
func WriteKernelGrid(w io.Writer, dir string, o KernelGridOptions) (blocks, at int, err error) {
	ks, c, k, at, err := firstLayerKernels(dir, o.Step, o.Order, &results.Options{Timeout: o.Timeout})
	if err != nil {
		return 0, 0, err
	}
	img, err := figures.KernelGrid(ks, c, k, figures.KernelGridOptions{Scale: o.Scale})
	if err != nil {
		return 0, 0, fmt.Errorf("kernels of %s at step %d: %w", dir, at, err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return 0, 0, fmt.Errorf("kernels of %s at step %d: %w", dir, at, err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return 0, 0, err
	}
	return len(ks), at, nil
}
