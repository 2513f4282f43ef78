package main

import (
	"flag"
	"fmt"
	"path/filepath"
	"strings"

	"branchspec/experiments"
)

var cmdSweep = &command{
	Name:  "sweep",
	Usage: "EXPERIMENT.toml [--seeds N] [--jobs N] [--out DIR] [--data PATH] [--stop-at STEP] [--set KEY=VALUE]... [--slurm | --k8s ...]",
	Short: "train every (regime, seed) run of an experiment file",
	Long: `Sweep trains every run of an experiment file (each regime times its seeds:
the file's, or the regime's own) into OUT/EXPERIMENT/REGIME/seed-SEED,
--jobs runs at a time.

Finished runs are skipped and stopped or interrupted ones resumed, so running
a sweep again does only the work that is left. --seeds N replaces the seeds
of every regime by 1..N; --set overrides a key in every run (after the file's own
overrides); --data PATH sets data.path in every run (before --set);
--stop-at STEP stops every run at STEP, resumable later.
SIGINT, SIGTERM and SIGHUP checkpoint every running run and exit with status 130.
The runs of a fork regime (fork = REGIME, at = STEP in the file) fork the
same seed's run of REGIME at STEP; each starts once its parent has ended.
With --slurm or --k8s the runs are handed to a cluster scheduler instead
(the forks as further job arrays or Jobs, after their parents).
--dry-run prints what would be done (each run new, to resume or done, with
its config hash, where it starts from and its memory estimate; with --slurm
or --k8s what would be submitted or written) and exits.`,
	Flags: func(fs *flag.FlagSet) func(*env, []string) error {
		o := &sweepOptions{}
		fs.IntVar(&o.seeds, "seeds", 0, "use seeds 1..N for every regime instead of the file's")
		fs.IntVar(&o.jobs, "jobs", 1, "runs trained at once")
		fs.StringVar(&o.out, "out", "results", "results directory")
		fs.IntVar(&o.stopAt, "stop-at", 0, "stop every run at this step (checkpointed)")
		fs.Var(&o.sets, "set", "override a config key in every run: KEY=VALUE (repeatable)")
		fs.StringVar(&o.data, "data", "", "the dataset's directory: sets data.path in every run")
		fs.BoolVar(&o.slurm, "slurm", false, "submit the sweep as a Slurm job array")
		fs.BoolVar(&o.k8s, "k8s", false, "write a Kubernetes Indexed Job manifest instead of running")
		fs.BoolVar(&o.dryRun, "dry-run", false, "print what would be done (each run: new, resume, done; with --slurm or --k8s what would be submitted or written) and exit")
		fs.StringVar(&o.partition, "partition", "", "Slurm partition")
		fs.StringVar(&o.timeLimit, "time", "2:00:00", "Slurm time limit per task")
		fs.IntVar(&o.parallel, "parallel", 0, "at most this many array tasks or pods at once (0: no limit)")
		fs.Var(&o.sbatchArgs, "sbatch-arg", "extra sbatch option, one #SBATCH line (repeatable)")
		fs.IntVar(&o.signalLead, "signal-lead", experiments.DefaultSignalLead, "Slurm: seconds before the time limit to checkpoint and requeue")
		fs.StringVar(&o.exe, "exe", "", "branchspec as the tasks run it (default: this binary for Slurm, branchspec in the image for --k8s)")
		fs.StringVar(&o.image, "image", "", "--k8s: the container image holding branchspec")
		fs.StringVar(&o.claim, "pvc", "branchspec-results", "--k8s: the PersistentVolumeClaim holding OUT")
		fs.StringVar(&o.mount, "mount", experiments.DefaultK8sMount, "--k8s: where the claim is mounted in the container")
		fs.StringVar(&o.kernel, "kernel", "", "the kernel of new runs: avx512, avx2 or portable, alone or with +winograd (3x3 convolutions as Winograd F(2x2,3x3)) (default: the fastest this machine runs, with Winograd; not with --slurm or --k8s)")
		fs.BoolVar(&o.allowKernel, "allow-kernel-change", false, "resume runs with other matrix products than they were made with (recorded; also for --slurm and --k8s tasks)")
		return o.run
	},
}

type sweepOptions struct {
	seeds, jobs, stopAt int
	out                 string
	sets                setFlags
	data                string
	// Handing the sweep to a cluster scheduler.
	slurm, k8s, dryRun bool
	partition          string
	timeLimit          string
	parallel           int
	sbatchArgs         setFlags
	signalLead         int
	exe                string
	image, claim       string
	mount              string
	allowKernel        bool
	kernel             string
}

func (o *sweepOptions) run(e *env, args []string) error {
	if len(args) != 1 {
		return usagef("want one EXPERIMENT file")
	}
	if o.seeds < 0 || o.jobs < 1 || o.stopAt < 0 {
		return usagef("--seeds and --stop-at must be >= 0, --jobs >= 1")
	}
	if err := o.checkCluster(); err != nil {
		return err
	}
	sets := []string(o.sets)
	if o.data != "" {
		sets = append([]string{experiments.DataPathSet(o.data)}, sets...)
	}
	exp, specs, err := experiments.PlanSweep(e.ctx, args[0], o.seeds, o.out, sets)
	if err != nil {
		return err
	}
	switch {
	case o.slurm:
		return o.submitSlurm(e, exp.Name, specs)
	case o.k8s:
		return o.writeK8s(e, exp.Name, specs)
	case o.dryRun:
		plan, err := experiments.PlanStates(specs)
		if err != nil {
			return err
		}
		return experiments.WritePlan(e.stdout, plan)
	}
	fmt.Fprintf(e.stderr, "sweep %s: %d regimes, %d runs, %d at a time\n",
		exp.Name, len(exp.Regimes), len(specs), o.jobs)
	rep, err := experiments.Sweep(e.ctx, specs, experiments.SweepOptions{
		Jobs: o.jobs, StopAt: o.stopAt, Experiment: exp.Name,
		Progress: e.stderr, Terminal: e.terminal, Version: version, AllowKernelChange: o.allowKernel, GEMM: o.kernel,
	})
	if rep != nil {
		fmt.Fprintf(e.stdout, "%s\nresults: %s\n", rep.Summary(), filepath.Join(o.out, exp.Name))
	}
	return err
}

// checkCluster checks that the scheduler flags fit together.
func (o *sweepOptions) checkCluster() error {
	switch {
	case o.slurm && o.k8s:
		return usagef("--slurm and --k8s exclude each other")
	case (o.slurm || o.k8s) && o.kernel != "":
		return usagef("--kernel is for local sweeps: a cluster task computes with its node's fastest kernel, and a requeued one with a kernel giving its run's bits")
	case o.parallel < 0 || o.signalLead < 0:
		return usagef("--parallel and --signal-lead must be >= 0")
	case o.slurm && o.image != "":
		return usagef("--image is for --k8s")
	case o.k8s && (o.partition != "" || len(o.sbatchArgs) > 0):
		return usagef("--partition and --sbatch-arg are for --slurm")
	case o.k8s && o.image == "":
		return usagef("--k8s needs --image: the container image holding branchspec")
	}
	return nil
}

func (o *sweepOptions) submitSlurm(e *env, name string, specs []experiments.RunSpec) error {
	p, err := experiments.PlanSlurm(name, specs, o.out, experiments.SlurmOptions{
		Partition: o.partition, Time: o.timeLimit, Parallel: o.parallel,
		SignalLead: o.signalLead, Extra: o.sbatchArgs, Exe: o.exe, AllowKernelChange: o.allowKernel})
	if err != nil {
		return err
	}
	if o.dryRun {
		var cmds []string
		for _, c := range p.Submit {
			cmds = append(cmds, strings.Join(c, " "))
		}
		fmt.Fprintf(e.stdout, "# would write %s:\n%s\n# would write %s:\n%s\n# would run:\n%s\n",
			p.Job, p.JobText, p.Manifest, p.ManifestJSON, strings.Join(cmds, "\n"))
		if len(cmds) > 1 {
			fmt.Fprintf(e.stdout, "# (%s: the job id the command before printed; the arrays after the first hold the runs of fork regimes)\n",
				experiments.PreviousJob)
		}
		return nil
	}
	ids, err := p.SubmitSlurm(e.ctx)
	if err != nil {
		return err
	}
	limit := "all at once"
	if o.parallel > 0 {
		limit = fmt.Sprintf("at most %d at once", o.parallel)
	}
	bounds := append(append([]int{0}, p.Stages...), p.Runs)
	fmt.Fprintf(e.stdout, "submitted job array %s: %d tasks, %s\n", ids[0], bounds[1], limit)
	logs := []string{filepath.Join(p.Logs, ids[0]+"_INDEX.out")}
	for k, id := range ids[1:] {
		fmt.Fprintf(e.stdout, "then job array %s: %d tasks (runs of fork regimes, entries %d-%d), once %s has ended\n",
			id, bounds[k+2]-bounds[k+1], bounds[k+1], bounds[k+2]-1, ids[k])
		logs = append(logs, id+"_INDEX.out")
	}
	fmt.Fprintf(e.stdout, "manifest: %s\nscript:   %s\nlogs:     %s\nfollow:   branchspec ls %s\n",
		p.Manifest, p.Job, strings.Join(logs, ", "), filepath.Join(p.Out, name))
	return nil
}

func (o *sweepOptions) writeK8s(e *env, name string, specs []experiments.RunSpec) error {
	p, err := experiments.PlanK8s(name, specs, o.out, experiments.K8sOptions{
		Image: o.image, Exe: o.exe, Claim: o.claim, Mount: o.mount, Parallel: o.parallel, AllowKernelChange: o.allowKernel})
	if err != nil {
		return err
	}
	if o.dryRun {
		fmt.Fprintf(e.stdout, "# would write %s:\n%s\n# would write %s:\n%s", p.Job, p.JobText, p.Manifest, p.ManifestJSON)
		return nil
	}
	if err := p.Write(); err != nil {
		return err
	}
	jobs := ""
	if n := len(p.Stages); n > 0 {
		jobs = fmt.Sprintf(" (%d Jobs: the runs trained from scratch, then %d level(s) of fork regimes' runs, whose pods wait for their parents)", n+1, n)
	}
	fmt.Fprintf(e.stdout, "wrote %s (%d runs, %s in the pods)\nwrote %s%s\nWith %s on the claim %s, start it with: kubectl apply -f %s\n",
		p.Manifest, p.Runs, p.PodManifest, p.Job, jobs, p.Out, o.claim, p.Job)
	return nil
}
