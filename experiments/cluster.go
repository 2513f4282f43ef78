package experiments

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// SlurmOptions say how a sweep runs as a Slurm job array (see SlurmJob).
type SlurmOptions struct {
	Partition  string
	Time       string
	Parallel   int
	SignalLead int
	Extra      []string // further #SBATCH options
	// Exe is branchspec as the tasks run it ("": this executable).
	Exe string
	// AllowKernelChange: see SlurmJob.AllowKernelChange.
	AllowKernelChange bool
}

// K8sOptions say how a sweep runs as a Kubernetes Indexed Job (see K8sJob).
type K8sOptions struct {
	Image    string
	Exe      string
	Claim    string
	Mount    string
	Parallel int
	// AllowKernelChange: see K8sJob.AllowKernelChange.
	AllowKernelChange bool
}

// ClusterPlan is a sweep handed to a cluster scheduler: the files it
// writes under OUT/EXPERIMENT/slurm or OUT/EXPERIMENT/k8s, named by a
// digest of the runs (ManifestDigest), so that a sweep submitted again
// reuses them and a changed sweep does not overwrite the manifest that
// earlier tasks still read.
type ClusterPlan struct {
	// Out is the absolute results directory the runs go under.
	Out  string
	Runs int
	// Manifest is the manifest's path here, ManifestJSON its content.
	Manifest     string
	ManifestJSON []byte
	// Job is the sbatch script's or the Job's path, JobText its content.
	Job     string
	JobText []byte
	// Logs is the Slurm tasks' log directory ("" for Kubernetes).
	Logs string
	// Submit are the sbatch command lines (nil for Kubernetes): one array
	// of the runs trained from scratch, then one per level of fork
	// regimes' runs, which waits for the array before it (its job id is
	// PreviousJob here; see SlurmJob.Stages).
	Submit [][]string
	// Stages are the first runs of the levels of fork regimes' runs, each
	// a job array or Kubernetes Job of its own (nil: none).
	Stages []int
	// PodManifest is the manifest's path in the pods ("" for Slurm).
	PodManifest string
}

// absSpecs returns specs with absolute run directories: tasks do not run
// in the submitter's directory.
func absSpecs(specs []RunSpec) ([]RunSpec, error) {
	abs := make([]RunSpec, len(specs))
	for i, s := range specs {
		abs[i] = s
		var err error
		if abs[i].Dir, err = filepath.Abs(s.Dir); err != nil {
			return nil, err
		}
	}
	return abs, nil
}

// ManifestDigest names a manifest's files: the first 12 hex digits of the
// SHA-256 of its runs' indexes, directories and config hashes, and of
// where the runs of fork regimes start.
func ManifestDigest(m *Manifest) string {
	h := sha256.New()
	for _, r := range m.Runs {
		fmt.Fprintf(h, "%d %s %s\n", r.Index, r.Dir, r.ConfigHash)
		if f := r.Fork; f != nil {
			fmt.Fprintf(h, "fork %d %s %d\n", f.Index, f.Dir, f.At)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// PlanSlurm describes the sweep of specs (experiment name) under out as a
// Slurm job array. The runs of fork regimes go into further arrays, one
// per level of forks, each submitted to start once every task of the one
// before has ended (SlurmJob.Stages): a fork's task then finds its parent
// at the fork step, or fails saying where the parent stopped. Specs not
// ordered so (Experiment.Runs orders them) and a job SlurmJob.Script
// refuses are ErrInvalid.
func PlanSlurm(name string, specs []RunSpec, out string, o SlurmOptions) (*ClusterPlan, error) {
	out, err := filepath.Abs(out)
	if err != nil {
		return nil, err
	}
	abs, err := absSpecs(specs)
	if err != nil {
		return nil, err
	}
	exe := o.Exe
	if exe == "" {
		if exe, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("slurm: locate branchspec: %w (give --exe)", err)
		}
	}
	if exe, err = filepath.Abs(exe); err != nil {
		return nil, err
	}
	stages, err := forkStages(specs)
	if err != nil {
		return nil, err
	}
	m := NewManifest(name, abs)
	dir, digest := filepath.Join(out, m.Experiment, "slurm"), ManifestDigest(m)
	p := &ClusterPlan{Out: out, Runs: len(m.Runs), Manifest: filepath.Join(dir, "manifest-"+digest+".json"),
		Job: filepath.Join(dir, "sweep-"+digest+".sbatch"), Logs: filepath.Join(dir, "logs"), Stages: stages}
	job := SlurmJob{Name: m.Experiment, Exe: exe, Manifest: p.Manifest, Tasks: p.Runs,
		Parallel: o.Parallel, Partition: o.Partition, Time: o.Time,
		SignalLead: o.SignalLead, Logs: p.Logs, Extra: o.Extra, AllowKernelChange: o.AllowKernelChange, Stages: stages}
	script, err := job.Script()
	if err != nil {
		return nil, invalidf("%v", err)
	}
	p.JobText = []byte(script)
	for k := range job.StageCount() {
		p.Submit = append(p.Submit, job.SbatchArgs(p.Job, k, PreviousJob))
	}
	if p.ManifestJSON, err = manifestJSON(m); err != nil {
		return nil, err
	}
	return p, nil
}

// PlanK8s describes the sweep of specs (experiment name) under out as a
// Kubernetes Indexed Job whose pods see out at o.Mount: the manifest's run
// directories are rebased there. The runs of fork regimes go into further
// Jobs, one per level of forks (K8sJob.First), whose pods wait for their
// parent runs to reach the fork step (K8sJob.ParentPoll); the file is then
// a List of the Jobs, applied at once. Each Job runs at most o.Parallel
// pods. Specs not ordered so (Experiment.Runs orders them) and a job
// K8sJob.YAML refuses are ErrInvalid.
func PlanK8s(name string, specs []RunSpec, out string, o K8sOptions) (*ClusterPlan, error) {
	out, err := filepath.Abs(out)
	if err != nil {
		return nil, err
	}
	abs, err := absSpecs(specs)
	if err != nil {
		return nil, err
	}
	mount := (&K8sJob{Mount: o.Mount}).mount()
	if !path.IsAbs(mount) || mount == "/" {
		return nil, invalidf("--mount %q: want an absolute directory other than / (the claim's mount point in the container)", o.Mount)
	}
	stages, err := forkStages(specs)
	if err != nil {
		return nil, err
	}
	m := NewManifest(name, abs)
	pm, err := m.Rebase(out, mount)
	if err != nil {
		return nil, err
	}
	dir, digest := filepath.Join(out, m.Experiment, "k8s"), ManifestDigest(m)
	p := &ClusterPlan{Out: out, Runs: len(m.Runs), Manifest: filepath.Join(dir, "manifest-"+digest+".json"),
		Job:         filepath.Join(dir, "job-"+digest+".yaml"),
		PodManifest: path.Join(mount, m.Experiment, "k8s", "manifest-"+digest+".json"), Stages: stages}
	bounds := slices.Concat([]int{0}, stages, []int{len(specs)})
	var jobs []K8sJob
	for k := range len(bounds) - 1 {
		job := K8sJob{Name: stageJobName(m.Experiment, digest[:8], k), Image: o.Image, Exe: o.Exe,
			Claim: o.Claim, Mount: mount, Tasks: bounds[k+1] - bounds[k], Parallel: o.Parallel, Manifest: p.PodManifest,
			AllowKernelChange: o.AllowKernelChange, First: bounds[k]}
		if k > 0 {
			job.ParentPoll = DefaultParentPoll
		}
		jobs = append(jobs, job)
	}
	if len(jobs) == 1 {
		p.JobText, err = jobs[0].YAML()
	} else {
		p.JobText, err = K8sList(jobs)
	}
	if err != nil {
		return nil, invalidf("%v", err)
	}
	if p.ManifestJSON, err = manifestJSON(pm); err != nil {
		return nil, err
	}
	return p, nil
}

// stageJobName names the Kubernetes Job of stage k of the sweep of
// experiment whose manifest digest begins with digest: EXPERIMENT-DIGEST,
// then EXPERIMENT-DIGEST-forksK for the levels of fork regimes' runs, the
// experiment's part shortened so that the whole is a DNS label.
func stageJobName(experiment, digest string, k int) string {
	suffix := "-" + digest
	if k > 0 {
		suffix += "-forks" + strconv.Itoa(k)
	}
	base := JobName(experiment)
	if len(base)+len(suffix) > 63 {
		base = strings.TrimRight(base[:63-len(suffix)], "-")
	}
	if base == "" {
		return suffix[1:]
	}
	return base + suffix
}

// Write writes the plan's manifest and job (and the Slurm log directory),
// each file whole or not at all.
func (p *ClusterPlan) Write() error {
	dir := filepath.Dir(p.Manifest)
	if p.Logs != "" {
		dir = p.Logs
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := writeOutput(p.Manifest, 0o644, writeBytes(p.ManifestJSON)); err != nil {
		return err
	}
	mode := os.FileMode(0o644)
	if p.Submit != nil {
		mode = 0o755
	}
	return writeOutput(p.Job, mode, writeBytes(p.JobText))
}

// SubmitSlurm writes a Slurm plan's files and submits its job arrays with
// sbatch, each stage's after the one before (see ClusterPlan.Submit),
// returning their job ids. When a later submission fails, the error says
// which arrays were submitted.
func (p *ClusterPlan) SubmitSlurm(ctx context.Context) ([]string, error) {
	if p.Submit == nil {
		return nil, invalidf("not a Slurm plan")
	}
	if err := p.Write(); err != nil {
		return nil, err
	}
	var ids []string
	for k, args := range p.Submit {
		if k > 0 {
			args = slices.Clone(args)
			for i, a := range args {
				args[i] = strings.ReplaceAll(a, PreviousJob, ids[k-1])
			}
		}
		id, err := sbatch(ctx, args)
		if err != nil {
			if errors.Is(err, exec.ErrNotFound) {
				return nil, fmt.Errorf("slurm: %w: is this a Slurm login node? (%s is written; submit it with: %s)", err, p.Job, strings.Join(args, " "))
			}
			if k > 0 {
				err = fmt.Errorf("%w (job arrays %s were submitted: cancel them with scancel %s, or submit the rest yourself)",
					err, strings.Join(ids, ", "), strings.Join(ids, " "))
			}
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// sbatch runs the sbatch command line args (with --parsable) and returns
// the job id it prints.
func sbatch(ctx context.Context, args []string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return "", err
		}
		return "", fmt.Errorf("slurm: %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	// --parsable prints JOBID or JOBID;CLUSTER.
	id, _, _ := strings.Cut(strings.TrimSpace(stdout.String()), ";")
	if id == "" {
		return "", fmt.Errorf("slurm: sbatch printed no job id: %q", stdout.String())
	}
	return id, nil
}

// manifestJSON is a manifest as written: indented JSON and a newline.
func manifestJSON(m *Manifest) ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
