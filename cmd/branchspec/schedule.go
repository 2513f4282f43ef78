package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"

	"branchspec/experiments"
)

// schedOptions are the sweep flags that hand a sweep to a cluster scheduler.
type schedOptions struct {
	slurm, k8s, dryRun bool
	partition          string
	timeLimit          string
	parallel           int
	sbatchArgs         setFlags
	signalLead         int
	exe                string
	image, claim       string
	mount              string
}

func (o *schedOptions) bind(fs *flag.FlagSet) {
	fs.BoolVar(&o.slurm, "slurm", false, "submit the sweep as a Slurm job array")
	fs.BoolVar(&o.k8s, "k8s", false, "write a Kubernetes Indexed Job manifest instead of running")
	fs.BoolVar(&o.dryRun, "dry-run", false, "with --slurm or --k8s: print what would be submitted or written")
	fs.StringVar(&o.partition, "partition", "", "Slurm partition")
	fs.StringVar(&o.timeLimit, "time", "2:00:00", "Slurm time limit per task")
	fs.IntVar(&o.parallel, "parallel", 0, "at most this many array tasks or pods at once (0: no limit)")
	fs.Var(&o.sbatchArgs, "sbatch-arg", "extra sbatch option, one #SBATCH line (repeatable)")
	fs.IntVar(&o.signalLead, "signal-lead", experiments.DefaultSignalLead, "Slurm: seconds before the time limit to checkpoint and requeue")
	fs.StringVar(&o.exe, "exe", "", "branchspec as the tasks run it (default: this binary for Slurm, branchspec in the image for --k8s)")
	fs.StringVar(&o.image, "image", "", "--k8s: the container image holding branchspec")
	fs.StringVar(&o.claim, "pvc", "branchspec-results", "--k8s: the PersistentVolumeClaim holding OUT")
	fs.StringVar(&o.mount, "mount", experiments.DefaultK8sMount, "--k8s: where the claim is mounted in the container")
}

func (o *schedOptions) enabled() bool { return o.slurm || o.k8s }

// scheduleSweep hands specs to the chosen scheduler. The sweep's files go
// to OUT/EXPERIMENT/slurm or OUT/EXPERIMENT/k8s, named by a digest of the
// runs, so a sweep submitted again reuses them and a changed sweep does
// not overwrite the manifest that earlier tasks still read.
func scheduleSweep(e *env, exp *experiments.Experiment, specs []experiments.RunSpec, out string, o schedOptions) error {
	if o.slurm && o.k8s {
		return usagef("--slurm and --k8s exclude each other")
	}
	if o.parallel < 0 || o.signalLead < 0 {
		return usagef("--parallel and --signal-lead must be >= 0")
	}
	outAbs, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	// Tasks do not run in the submitter's directory: every path is absolute.
	abs := make([]experiments.RunSpec, len(specs))
	for i, s := range specs {
		abs[i] = s
		if abs[i].Dir, err = filepath.Abs(s.Dir); err != nil {
			return err
		}
	}
	m := experiments.NewManifest(exp.Name, abs)
	if o.k8s {
		return writeK8s(e, m, outAbs, o)
	}
	if o.image != "" {
		return usagef("--image is for --k8s")
	}
	return submitSlurm(e, m, outAbs, o)
}

// manifestDigest names a manifest's files: the first 12 hex digits of the
// SHA-256 of its runs' directories and config hashes.
func manifestDigest(m *experiments.Manifest) string {
	h := sha256.New()
	for _, r := range m.Runs {
		fmt.Fprintf(h, "%d %s %s\n", r.Index, r.Dir, r.ConfigHash)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

func manifestJSON(m *experiments.Manifest) ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	return append(b, '\n'), err
}

// submitSlurm writes the manifest and the sbatch script and submits the
// job array.
func submitSlurm(e *env, m *experiments.Manifest, out string, o schedOptions) error {
	exe := o.exe
	if exe == "" {
		self, err := os.Executable()
		if err != nil {
			return fmt.Errorf("slurm: locate branchspec: %w (give --exe)", err)
		}
		exe = self
	}
	exe, err := filepath.Abs(exe)
	if err != nil {
		return err
	}
	dir := filepath.Join(out, m.Experiment, "slurm")
	digest := manifestDigest(m)
	manifest := filepath.Join(dir, "manifest-"+digest+".json")
	scriptPath := filepath.Join(dir, "sweep-"+digest+".sbatch")
	job := experiments.SlurmJob{
		Name: m.Experiment, Exe: exe, Manifest: manifest, Tasks: len(m.Runs),
		Parallel: o.parallel, Partition: o.partition, Time: o.timeLimit,
		SignalLead: o.signalLead, Logs: filepath.Join(dir, "logs"), Extra: o.sbatchArgs,
	}
	script, err := job.Script()
	if err != nil {
		return usagef("%v", err)
	}
	mj, err := manifestJSON(m)
	if err != nil {
		return err
	}
	args := job.SbatchArgs(scriptPath)
	if o.dryRun {
		fmt.Fprintf(e.stdout, "# would write %s:\n%s\n# would write %s:\n%s\n# would run:\n%s\n",
			scriptPath, script, manifest, mj, strings.Join(args, " "))
		return nil
	}
	if err := os.MkdirAll(job.Logs, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(manifest, mj, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(scriptPath, []byte(script), 0o755); err != nil {
		return err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(e.ctx, args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return fmt.Errorf("slurm: %w: is this a Slurm login node? (%s is written; submit it with: %s)", err, scriptPath, strings.Join(args, " "))
		}
		return fmt.Errorf("slurm: %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	// --parsable prints JOBID or JOBID;CLUSTER.
	id, _, _ := strings.Cut(strings.TrimSpace(stdout.String()), ";")
	if id == "" {
		return fmt.Errorf("slurm: sbatch printed no job id: %q", stdout.String())
	}
	limit := "all at once"
	if o.parallel > 0 {
		limit = fmt.Sprintf("at most %d at once", o.parallel)
	}
	fmt.Fprintf(e.stdout, "submitted job array %s: %d tasks, %s\nmanifest: %s\nscript:   %s\nlogs:     %s\nfollow:   branchspec ls %s\n",
		id, len(m.Runs), limit, manifest, scriptPath, filepath.Join(job.Logs, id+"_INDEX.out"), filepath.Join(out, m.Experiment))
	return nil
}

// writeK8s writes the manifest, its run directories rebased onto the
// container's mount of OUT, and the Indexed Job.
func writeK8s(e *env, m *experiments.Manifest, out string, o schedOptions) error {
	if o.partition != "" || len(o.sbatchArgs) > 0 {
		return usagef("--partition and --sbatch-arg are for --slurm")
	}
	if o.image == "" {
		return usagef("--k8s needs --image: the container image holding branchspec")
	}
	pm, err := m.Rebase(out, o.mount)
	if err != nil {
		return err
	}
	digest := manifestDigest(m)
	dir := filepath.Join(out, m.Experiment, "k8s")
	manifest := filepath.Join(dir, "manifest-"+digest+".json")
	jobPath := filepath.Join(dir, "job-"+digest+".yaml")
	job := experiments.K8sJob{
		Name: experiments.JobName(m.Experiment + "-" + digest[:8]), Image: o.image, Exe: o.exe,
		Claim: o.claim, Mount: o.mount, Tasks: len(m.Runs), Parallel: o.parallel,
		Manifest: path.Join(o.mount, m.Experiment, "k8s", "manifest-"+digest+".json"),
	}
	y, err := job.YAML()
	if err != nil {
		return usagef("%v", err)
	}
	mj, err := manifestJSON(pm)
	if err != nil {
		return err
	}
	if o.dryRun {
		fmt.Fprintf(e.stdout, "# would write %s:\n%s\n# would write %s:\n%s", jobPath, y, manifest, mj)
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(manifest, mj, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(jobPath, y, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s (%d runs, %s in the pods)\nwrote %s\nWith %s on the claim %s, start it with: kubectl apply -f %s\n",
		manifest, len(m.Runs), job.Manifest, jobPath, out, o.claim, jobPath)
	return nil
}
