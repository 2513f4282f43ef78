package experiments

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"io"
	"path/filepath"
	"time"

	"branchspec/configs"
	"branchspec/results"
	"branchspec/results/figures"
	"branchspec/results/npy"
)

// LoadConfig reads the config at path (a file, or an embedded preset's
// name; "" is the embedded default), applies the overrides sets
// ("key=value", as --set) and validates the result. A cancelled ctx ends
// the read (a FIFO nobody writes) with ErrInterrupted.
func LoadConfig(ctx context.Context, path string, sets []string) (*configs.Config, error) {
	cfg := configs.Defaults()
	if path != "" {
		var err error
		cfg, err = interruptible(ctx, "while reading "+path, func() (*configs.Config, error) { return configs.Load(path) }, nil)
		if err != nil {
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
// and the overrides sets applied to every run last. A cancelled ctx ends
// the read with ErrInterrupted.
func PlanSweep(ctx context.Context, path string, seeds int, out string, sets []string) (*Experiment, []RunSpec, error) {
	if seeds < 0 {
		return nil, nil, invalidf("seeds %d: want >= 0", seeds)
	}
	exp, err := interruptible(ctx, "while reading "+path, func() (*Experiment, error) { return LoadExperiment(path) }, nil)
	if err != nil {
		return nil, nil, err
	}
	runs, what := exp.RunCount(), fmt.Sprintf("the plan of %d runs", exp.RunCount())
	if seeds > 0 {
		runs, what = len(exp.Regimes)*seeds, fmt.Sprintf("the plan of %d regimes x %d seeds", len(exp.Regimes), seeds)
	}
	if err := checkMemory(what, EstimatePlan(exp, runs), "fewer --seeds or regimes, or a sweep in parts"); err != nil {
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
// C order), and returns how many tensors it wrote and the step. The files
// are written into a new directory that then takes out's place
// (results.WriteDir), so out never mixes tensors of two exports: an out
// holding files is replaced only when replace is true and they are all
// .npy files; otherwise, and when out is a run directory, the export is
// refused as ErrInvalid before anything is written.
func ExportWeights(dir string, step int, out string, replace bool) (n, at int, err error) {
	run, err := results.Open(dir, nil)
	if err != nil {
		return 0, 0, err
	}
	ck, err := checkpointAt(run, step)
	if err != nil {
		return 0, 0, err
	}
	err = results.WriteDir(out, replace, ".npy", func(tmp string) error {
		for _, t := range ck.Weights {
			path := filepath.Join(tmp, t.Name+".npy")
			if err := results.SyncFile(path, func(w io.Writer) error { return npy.Write(w, t.Shape, t.Data) }); err != nil {
				return fmt.Errorf("%s: %w", filepath.Join(out, t.Name+".npy"), err)
			}
		}
		return nil
	})
	if errors.Is(err, results.ErrNotEmpty) && !replace {
		err = fmt.Errorf("%w (--force replaces a previous export)", err)
	}
	if err != nil {
		return 0, 0, outputErr(err)
	}
	return len(ck.Weights), ck.Step, nil
}

// DrawKernels draws the first-layer kernels of the run's checkpoint o.Step
// (the latest when negative) as one PNG at path: one block per branch
// from top to bottom (FirstLayerKernels), each kernel scaled to its own
// range (see WriteKernelGrid and KernelGridOptions). It
// returns the number of blocks and the step drawn. The file is written
// whole or not at all, and never onto a run store (refused as
// ErrInvalid). An image too large for the available memory is refused as
// ErrMemory before it is drawn.
func DrawKernels(dir string, o KernelGridOptions, path string) (blocks, at int, err error) {
	if err := results.CheckOutput(path); err != nil {
		return 0, 0, outputErr(err)
	}
	err = writeOutput(path, 0o644, func(w io.Writer) error {
		var err error
		blocks, at, err = WriteKernelGrid(w, dir, o)
		return err
	})
	if err != nil {
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
	// Learned draws what training added, w_t - w_0 against the run's
	// stored initial weights, instead of w_t: with a large initialisation
	// w_t is mostly w_0's noise.
	Learned bool
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
// w on error. An image too large for the available memory is refused as
// ErrMemory before it is drawn.
func WriteKernelGrid(w io.Writer, dir string, o KernelGridOptions) (blocks, at int, err error) {
	ks, c, k, at, err := firstLayerKernels(dir, o.Step, o.Order, o.Learned, &results.Options{Timeout: o.Timeout})
	if err != nil {
		return 0, 0, err
	}
	opts := figures.KernelGridOptions{Scale: o.Scale}
	gw, gh, err := figures.KernelGridSize(ks, c, k, opts)
	if err != nil {
		return 0, 0, err
	}
	px := Memory(float64(gw) * float64(gh) * 4)
	if err := checkMemory(fmt.Sprintf("a %d x %d kernel grid (scale %d)", gw, gh, o.Scale),
		MemoryEstimate{{"image", px}, {"PNG encoding", px}}, "lower --scale"); err != nil {
		return 0, 0, err
	}
	img, err := figures.KernelGrid(ks, c, k, opts)
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
