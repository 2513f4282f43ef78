package main

import (
	"errors"
	"flag"
	"fmt"
	"runtime/pprof"
	"time"

	"branchspec/experiments"
)

var cmdRun = &command{
	Name:  "run",
	Usage: "[CONFIG] [--seed N] [--out DIR] [--data PATH] [--set KEY=VALUE]... [--stop-at STEP] | --manifest FILE --index I",
	Short: "train a run from a config (default: the embedded default)",
	Long: `Run trains the model a config describes and stores it in OUT/NAME/seed-SEED/run.db.

CONFIG is the name of an embedded preset (` + "`branchspec run tiny`" + `) or a
TOML file; without it the embedded default runs. A bare word that names a
preset is the preset (a directory of that name does not matter; a file of
that name is an error: write ./NAME for the file); anything with a path
separator or a .toml suffix, or any other word, is a file.

--set overrides any key with the same checks as the file (repeatable):
--set optim.lr=0.01 --set model.branches=4.
--data PATH sets data.path, the dataset's directory (for a folder source the
root above train/ and test/): branchspec run cifar10-alexnet --data DIR; it
applies before the --set overrides.
--stop-at STEP checkpoints at STEP and exits; 'branchspec resume' continues.
SIGINT, SIGTERM, SIGUSR1 and SIGHUP checkpoint the current step and exit with
status 130.

--manifest FILE --index I trains entry I of a sweep's manifest (written by
'branchspec sweep --slurm' or '--k8s'; one scheduler task per entry) in the
entry's directory: it starts the run, resumes it from its latest checkpoint,
or does nothing if it is done, so a requeued or repeated task is safe. A
resume on another kind of machine is refused as 'branchspec resume' refuses
it, unless --allow-kernel-change. --index-offset N trains entry N+I instead.
The entry of a fork regime's run forks its parent's run (another entry) at
the fork step; if the parent has not got there, the command fails, or with
--wait-parent DURATION waits for it, checking every DURATION.`,
	Flags: func(fs *flag.FlagSet) func(*env, []string) error {
		o := &runOptions{}
		fs.Var(&o.seed, "seed", "override the config's seed (>= 0)")
		fs.StringVar(&o.out, "out", "results", "results directory")
		fs.Var(&o.sets, "set", "override a config key: KEY=VALUE (repeatable)")
		fs.StringVar(&o.data, "data", "", "the dataset's directory: sets data.path")
		fs.StringVar(&o.kernel, "kernel", "", "the kernel of a new run: avx512, avx2 or portable, alone or with +winograd (3x3 convolutions as Winograd F(2x2,3x3)) (default: the fastest this machine runs, with Winograd)")
		fs.IntVar(&o.stopAt, "stop-at", 0, "checkpoint at this step and exit")
		fs.StringVar(&o.prof, "cpuprofile", "", "write a CPU profile (pprof) to this file")
		fs.StringVar(&o.manifest, "manifest", "", "train an entry of this sweep manifest (with --index)")
		fs.Var(&o.index, "index", "the manifest entry to train (a scheduler's task index)")
		fs.IntVar(&o.offset, "index-offset", 0, "with --manifest: train entry --index plus this")
		fs.DurationVar(&o.waitParent, "wait-parent", 0, "with --manifest: a fork entry waits for its parent run to reach the fork step, checking this often (0: fails at once)")
		fs.BoolVar(&o.allowKernel, "allow-kernel-change", false, "with --manifest: resume with other matrix products than the run was made with (recorded)")
		return o.run
	},
}

type runOptions struct {
	seed   natFlag
	out    string
	sets   setFlags
	data   string
	stopAt int
	prof   string
	// manifest and index select a sweep's run instead of CONFIG.
	manifest    string
	index       natFlag
	offset      int
	waitParent  time.Duration
	allowKernel bool
	kernel      string
}

func (o *runOptions) run(e *env, args []string) error {
	stop, err := startProfile(o.prof)
	if err != nil {
		return err
	}
	defer stop()
	if err := atLeast("stop-at", o.stopAt, 0); err != nil {
		return err
	}
	if o.manifest == "" && (o.offset != 0 || o.waitParent != 0) {
		return usagef("--index-offset and --wait-parent go with --manifest")
	}
	if o.manifest != "" || o.index.set {
		if len(args) > 0 || o.seed.set || len(o.sets) > 0 || o.data != "" || o.out != "results" || o.kernel != "" {
			return usagef("--manifest takes no CONFIG, --seed, --set, --data, --out or --kernel: the entry holds its config and directory, and a task computes with its node's fastest kernel")
		}
		return o.runManifest(e)
	}
	if len(args) > 1 {
		return usagef("at most one CONFIG, got %d", len(args))
	}
	path, sets := "", []string(o.sets)
	if len(args) == 1 {
		path = args[0]
	}
	if o.data != "" {
		sets = append([]string{experiments.DataPathSet(o.data)}, sets...)
	}
	if o.seed.set {
		sets = append([]string{"seed=" + o.seed.String()}, sets...)
	}
	cfg, err := experiments.LoadConfig(e.ctx, path, sets)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "run %s seed %d (config %s)\n", cfg.Name, cfg.Seed, cfg.Hash()[:12])
	opts := trainOptions(e, o.stopAt)
	opts.GEMM = o.kernel
	dir, err := experiments.Start(e.ctx, cfg, o.out, opts)
	if err == nil {
		fmt.Fprintf(e.stdout, "results: %s\n", dir)
	}
	return err
}

// runManifest brings entry o.index of the sweep manifest to its end.
func (o *runOptions) runManifest(e *env) error {
	if o.manifest == "" || !o.index.set {
		return usagef("--manifest and --index go together")
	}
	if o.offset < 0 || o.waitParent < 0 {
		return usagef("--index-offset and --wait-parent must be >= 0")
	}
	index := o.index.or(0) + o.offset
	r, err := experiments.ReadManifestRun(e.ctx, o.manifest, index)
	if err != nil {
		return err
	}
	cfg, dir := r.Config, r.Entry.Dir
	fmt.Fprintf(e.stderr, "run %s seed %d (config %s), manifest entry %d: %s\n", cfg.Name, cfg.Seed, cfg.Hash()[:12], index, dir)
	if p := r.Parent; p != nil {
		fmt.Fprintf(e.stderr, "a fork of entry %d (%s) at step %d\n", p.Index, p.Dir, p.At)
	}
	opts := trainOptions(e, o.stopAt)
	opts.AllowKernelChange = o.allowKernel
	skipped, err := r.Ensure(e.ctx, opts, o.waitParent)
	if errors.Is(err, experiments.ErrParentNotReady) {
		return fmt.Errorf("%w; run this entry again once the parent has got there (a sweep submitted again resumes the parent first), or give --wait-parent", err)
	}
	if err != nil {
		return err
	}
	if skipped {
		fmt.Fprintf(e.stderr, "%s is already done\n", dir)
	}
	fmt.Fprintf(e.stdout, "results: %s\n", dir)
	return nil
}

// trainOptions are the options of a run this command trains.
func trainOptions(e *env, stopAt int) experiments.Options {
	return experiments.Options{StopAt: stopAt, Progress: e.stderr, Terminal: e.terminal, Version: version}
}

// startProfile starts a CPU profile into path ("" for none) and returns
// the function that ends it; the file appears at path when it ends.
func startProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := experiments.CreateOutput(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Abort()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Commit() }, nil
}
