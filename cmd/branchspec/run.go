package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"

	"branchspec/configs"
	"branchspec/experiments"
)

var cmdRun = &command{
	Name:  "run",
	Usage: "[CONFIG] [--seed N] [--out DIR] [--set KEY=VALUE]... [--stop-at STEP] | --manifest FILE --index I",
	Short: "train a run from a config (default: the embedded default)",
	Long: `Run trains the model a config describes and stores it in OUT/NAME/seed-SEED/run.db.

CONFIG is a TOML file, or the name of an embedded preset (` + "`branchspec run tiny`" + `);
without it the embedded default runs. --set overrides any key with the same
checks as the file (repeatable): --set optim.lr=0.01 --set model.branches=4.
--stop-at STEP checkpoints at STEP and exits; 'branchspec resume' continues.
SIGINT, SIGTERM and SIGUSR1 checkpoint the current step and exit with
status 130.

--manifest FILE --index I trains entry I of a sweep's manifest (written by
'branchspec sweep --slurm' or '--k8s'; one scheduler task per entry) in the
entry's directory: it starts the run, resumes it from its latest checkpoint,
or does nothing if it is done, so a requeued or repeated task is safe.`,
	Flags: func(fs *flag.FlagSet) func(*env, []string) error {
		var o struct {
			seed   int64
			out    string
			sets   setFlags
			stopAt int
			prof   string
			// manifest and index select a sweep's run instead of CONFIG.
			manifest string
			index    int
		}
		fs.Int64Var(&o.seed, "seed", -1, "override the config's seed")
		fs.StringVar(&o.out, "out", "results", "results directory")
		fs.Var(&o.sets, "set", "override a config key: KEY=VALUE (repeatable)")
		fs.IntVar(&o.stopAt, "stop-at", 0, "checkpoint at this step and exit")
		fs.StringVar(&o.prof, "cpuprofile", "", "write a CPU profile (pprof) to this file")
		fs.StringVar(&o.manifest, "manifest", "", "train an entry of this sweep manifest (with --index)")
		fs.IntVar(&o.index, "index", -1, "the manifest entry to train (a scheduler's task index)")
		return func(e *env, args []string) error {
			stop, err := startProfile(o.prof)
			if err != nil {
				return err
			}
			defer stop()
			if o.manifest != "" || o.index >= 0 {
				if len(args) > 0 || o.seed >= 0 || len(o.sets) > 0 || o.out != "results" {
					return usagef("--manifest takes no CONFIG, --seed, --set or --out: the entry holds its config and directory")
				}
				return runManifest(e, o.manifest, o.index, o.stopAt)
			}
			if len(args) > 1 {
				return usagef("at most one CONFIG, got %d", len(args))
			}
			cfg, err := loadConfig(args, o.seed, o.sets)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "run %s seed %d (config %s)\n", cfg.Name, cfg.Seed, cfg.Hash()[:12])
			dir, err := experiments.Start(e.ctx, cfg, o.out, runOptions(e, o.stopAt))
			if err == nil {
				fmt.Fprintf(e.stdout, "results: %s\n", dir)
			}
			return err
		}
	},
}

// runManifest brings entry index of a sweep manifest to its end.
func runManifest(e *env, manifest string, index, stopAt int) error {
	if manifest == "" || index < 0 {
		return usagef("--manifest and --index go together")
	}
	ent, cfg, err := experiments.ReadManifest(manifest, index)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "run %s seed %d (config %s), manifest entry %d: %s\n", cfg.Name, cfg.Seed, cfg.Hash()[:12], index, ent.Dir)
	// The experiment's name labels the run as a local sweep's runs are.
	var m struct {
		Experiment string `json:"experiment"`
	}
	if b, err := os.ReadFile(manifest); err == nil {
		json.Unmarshal(b, &m)
	}
	opts := runOptions(e, stopAt)
	opts.Extra = map[string]string{"experiment": m.Experiment, "regime": ent.Regime}
	skipped, err := experiments.Ensure(e.ctx, cfg, ent.Dir, opts)
	if err != nil {
		return err
	}
	if skipped {
		fmt.Fprintf(e.stderr, "%s is already done\n", ent.Dir)
	}
	fmt.Fprintf(e.stdout, "results: %s\n", ent.Dir)
	return nil
}

// loadConfig reads args[0] (or the embedded default), applies --seed and
// --set, and validates the result.
func loadConfig(args []string, seed int64, sets []string) (*configs.Config, error) {
	var cfg *configs.Config
	var err error
	if len(args) == 0 {
		cfg = configs.Defaults()
	} else if cfg, err = configs.Load(args[0]); err != nil {
		return nil, err
	}
	if seed >= 0 {
		cfg.Seed = uint64(seed)
	}
	if err := cfg.SetAll(sets); err != nil {
		return nil, err
	}
	return cfg, cfg.Validate()
}

func runOptions(e *env, stopAt int) experiments.Options {
	return experiments.Options{StopAt: stopAt, Progress: e.stderr, Terminal: e.terminal, Version: version}
}

// startProfile starts a CPU profile into path ("" for none) and returns
// the function that ends it.
func startProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
