package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"branchspec/experiments"
	"branchspec/results"
)

// testExperiment writes a two-regime, two-seed experiment of the tiny
// preset and returns its path.
func testExperiment(t *testing.T, steps int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "exp.toml")
	text := `name = "sched"
base = "tiny"
seeds = 2
set = ["schedule.steps=` + strconv.Itoa(steps) + `", "checkpoint.keep=all"]
[regimes.a]
set = []
[regimes.b]
set = ["optim.lr=0.05"]
`
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeManifest expands the experiment at path under out and writes its
// manifest, as 'sweep --slurm' does.
func writeManifest(t *testing.T, path, out string) (string, []experiments.RunSpec) {
	t.Helper()
	exp, err := experiments.LoadExperiment(path)
	if err != nil {
		t.Fatal(err)
	}
	specs, err := exp.Runs(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := filepath.Join(out, "manifest.json")
	os.MkdirAll(out, 0o755)
	if err := experiments.WriteManifest(m, experiments.NewManifest(exp.Name, specs)); err != nil {
		t.Fatal(err)
	}
	return m, specs
}

func TestRunManifest(t *testing.T) {
	out := t.TempDir()
	m, specs := writeManifest(t, testExperiment(t, 12), out)

	// Entry 0: starts, then a second task with the same index skips it.
	code, stdout, stderr := cli(t, "run", "--manifest", m, "--index", "0")
	if code != 0 || !strings.Contains(stdout, "results: "+specs[0].Dir) {
		t.Fatalf("run --manifest: exit %d\n%s%s", code, stdout, stderr)
	}
	want, st := checkpointSHAs(t, specs[0].Dir)
	if st.State != results.Done {
		t.Fatalf("entry 0: %+v", st)
	}
	code, _, stderr = cli(t, "run", "--manifest", m, "--index", "0")
	if code != 0 || !strings.Contains(stderr, "already done") {
		t.Fatalf("second run of entry 0: exit %d: %s", code, stderr)
	}
	if got, _ := checkpointSHAs(t, specs[0].Dir); len(got) != len(want) {
		t.Errorf("the second task changed the done run: %d checkpoints, had %d", len(got), len(want))
	}
	run, err := results.Open(specs[0].Dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if info, _ := run.Info(); info.Extra["experiment"] != "sched" || info.Extra["regime"] != "a" {
		t.Errorf("run labels %v, want experiment sched, regime a", info.Extra)
	}

	// Entry 2 (regime b, seed 1): stopped half way, then resumed by the
	// same command, to the same weights as an uninterrupted run.
	if code, _, stderr := cli(t, "run", "--manifest", m, "--index", "2", "--stop-at", "6"); code != 0 {
		t.Fatal(stderr)
	}
	if _, st := checkpointSHAs(t, specs[2].Dir); st.State != results.Stopped || st.Step != 6 {
		t.Fatalf("after --stop-at 6: %+v", st)
	}
	if code, _, stderr := cli(t, "run", "--manifest", m, "--index", "2"); code != 0 {
		t.Fatal(stderr)
	}
	got, st := checkpointSHAs(t, specs[2].Dir)
	ref := filepath.Join(t.TempDir(), "ref")
	if code, _, stderr := cli(t, "run", "tiny", "--out", ref, "--set", "schedule.steps=12", "--set", "checkpoint.keep=all",
		"--set", "optim.lr=0.05", "--set", `name="b"`); code != 0 {
		t.Fatal(stderr)
	}
	refSHA, _ := checkpointSHAs(t, filepath.Join(ref, "b", "seed-1"))
	if st.State != results.Done || got[12] == "" || got[12] != refSHA[12] {
		t.Errorf("resumed entry 2: %+v, final sha %q, uninterrupted %q", st, got[12], refSHA[12])
	}
}

func TestRunManifestErrors(t *testing.T) {
	out := t.TempDir()
	m, _ := writeManifest(t, testExperiment(t, 4), out)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"index without manifest", []string{"run", "--index", "1"}, 2, "--manifest and --index go together"},
		{"manifest without index", []string{"run", "--manifest", m}, 2, "--manifest and --index go together"},
		{"with a config", []string{"run", "tiny", "--manifest", m, "--index", "0"}, 2, "takes no CONFIG"},
		{"with --out", []string{"run", "--out", out, "--manifest", m, "--index", "0"}, 2, "takes no CONFIG"},
		{"out of range", []string{"run", "--manifest", m, "--index", "4"}, 1, "index 4 out of range 0..3"},
		{"no such manifest", []string{"run", "--manifest", filepath.Join(out, "none.json"), "--index", "0"}, 1, "none.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := cli(t, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, want %d; stderr %q lacks %q", code, tt.code, stderr, tt.want)
			}
		})
	}
}

func TestSweepSlurmDryRun(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := cli(t, "sweep", testExperiment(t, 4), "--out", out, "--slurm", "--dry-run",
		"--parallel", "3", "--partition", "cpu", "--time", "0:30:00", "--sbatch-arg=--mem=1G", "--exe", "/opt/branchspec")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"#SBATCH --array=0-3%3\n", "#SBATCH --time=0:30:00\n", "#SBATCH --partition=cpu\n", "#SBATCH --mem=1G\n",
		"#SBATCH --signal=B:USR1@120\n", "#SBATCH --requeue\n",
		"/opt/branchspec run --manifest " + filepath.Join(out, "sched", "slurm", "manifest-"),
		`"experiment": "sched"`, `"dir": "` + filepath.Join(out, "sched", "b", "seed-2") + `"`,
		"# would run:\nsbatch --parsable --array=0-3%3 " + filepath.Join(out, "sched", "slurm", "sweep-"),
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("dry run lacks %q:\n%s", want, stdout)
		}
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Errorf("a dry run wrote %d entries into %s", len(ents), out)
	}
}

// TestSweepSlurmSubmits submits to a fake sbatch that records its
// arguments.
func TestSweepSlurmSubmits(t *testing.T) {
	bin := t.TempDir()
	calls := filepath.Join(bin, "calls")
	if err := os.WriteFile(filepath.Join(bin, "sbatch"), []byte("#!/bin/sh\necho \"$@\" >"+calls+"\necho '77;cluster'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	out := t.TempDir()
	code, stdout, stderr := cli(t, "sweep", testExperiment(t, 4), "--out", out, "--slurm", "--exe", "/opt/branchspec")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	args, _ := os.ReadFile(calls)
	scripts, _ := filepath.Glob(filepath.Join(out, "sched", "slurm", "sweep-*.sbatch"))
	manifests, _ := filepath.Glob(filepath.Join(out, "sched", "slurm", "manifest-*.json"))
	if len(scripts) != 1 || len(manifests) != 1 {
		t.Fatalf("scripts %q, manifests %q", scripts, manifests)
	}
	if string(args) != "--parsable --array=0-3 "+scripts[0]+"\n" {
		t.Errorf("sbatch called with %q", args)
	}
	if !strings.Contains(stdout, "submitted job array 77: 4 tasks") || !strings.Contains(stdout, filepath.Join("logs", "77_INDEX.out")) {
		t.Errorf("output:\n%s", stdout)
	}
	ent, cfg, err := experiments.ReadManifest(manifests[0], 3)
	if err != nil || ent.Regime != "b" || cfg.Seed != 2 || ent.Dir != filepath.Join(out, "sched", "b", "seed-2") {
		t.Errorf("manifest entry 3: %+v, %v", ent, err)
	}
	// Submitting the same sweep again reuses its files.
	if code, _, stderr := cli(t, "sweep", testExperiment(t, 4), "--out", out, "--slurm", "--exe", "/opt/branchspec"); code != 0 {
		t.Fatal(stderr)
	}
	if again, _ := filepath.Glob(filepath.Join(out, "sched", "slurm", "*")); len(again) != 3 {
		t.Errorf("after a second submission: %q, want the script, the manifest and logs", again)
	}
}

func TestSweepK8s(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := cli(t, "sweep", testExperiment(t, 4), "--out", out, "--k8s", "--image", "reg/branchspec:1", "--parallel", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	jobs, _ := filepath.Glob(filepath.Join(out, "sched", "k8s", "job-*.yaml"))
	manifests, _ := filepath.Glob(filepath.Join(out, "sched", "k8s", "manifest-*.json"))
	if len(jobs) != 1 || len(manifests) != 1 || !strings.Contains(stdout, "kubectl apply -f "+jobs[0]) {
		t.Fatalf("jobs %q, manifests %q; output:\n%s", jobs, manifests, stdout)
	}
	var job struct {
		Spec struct {
			Completions, Parallelism int
			Template                 struct {
				Spec struct {
					Containers []struct{ Command []string }
				}
			}
		}
	}
	b, _ := os.ReadFile(jobs[0])
	if err := json.Unmarshal(b, &job); err != nil {
		t.Fatal(err)
	}
	cmd := job.Spec.Template.Spec.Containers[0].Command
	wantManifest := "/results/sched/k8s/" + filepath.Base(manifests[0])
	if job.Spec.Completions != 4 || job.Spec.Parallelism != 2 || len(cmd) != 6 || cmd[3] != wantManifest || cmd[5] != "$(JOB_COMPLETION_INDEX)" {
		t.Errorf("job %+v", job)
	}
	ent, _, err := experiments.ReadManifest(manifests[0], 1)
	if err != nil || ent.Dir != "/results/sched/a/seed-2" {
		t.Errorf("manifest entry 1 as the pods see it: %+v, %v", ent, err)
	}

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no image", []string{"--k8s"}, "--k8s needs --image"},
		{"both", []string{"--k8s", "--slurm", "--image", "x"}, "exclude each other"},
		{"partition", []string{"--k8s", "--image", "x", "--partition", "p"}, "--partition and --sbatch-arg are for --slurm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"sweep", testExperiment(t, 4), "--out", out}, tt.args...)
			if code, _, stderr := cli(t, args...); code != 2 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q, want 2 and %q", code, stderr, tt.want)
			}
		})
	}
}

// TestSlurmTaskUSR1Requeue runs the generated sbatch script under bash
// with the real branchspec (this test binary) and a fake scontrol, sends
// the batch shell SIGUSR1 as Slurm does before the time limit, and checks
// that the run checkpointed and the task asked to be requeued; running the
// script again, as the requeued task does, finishes the run with the
// weights of one never interrupted.
func TestSlurmTaskUSR1Requeue(t *testing.T) {
	if testing.Short() {
		t.Skip("trains real runs")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	root := t.TempDir()
	m, specs := writeManifest(t, testExperiment(t, 600), filepath.Join(root, "out"))
	bin := filepath.Join(root, "bin")
	os.Mkdir(bin, 0o755)
	calls := filepath.Join(root, "calls")
	os.WriteFile(filepath.Join(bin, "scontrol"), []byte("#!/bin/sh\necho \"scontrol $*\" >>"+calls+"\n"), 0o755)
	job := experiments.SlurmJob{Name: "sched", Exe: os.Args[0], Manifest: m, Tasks: len(specs), Logs: root}
	script, err := job.Script()
	if err != nil {
		t.Fatal(err)
	}
	task := func() *exec.Cmd {
		c := exec.Command(bash, "-c", script)
		c.Env = append(os.Environ(), "BRANCHSPEC_MAIN=1", "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
			"SLURM_ARRAY_JOB_ID=9", "SLURM_ARRAY_TASK_ID=1")
		return c
	}
	c := task()
	var log bytes.Buffer
	c.Stdout, c.Stderr = &log, &log
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	dir := specs[1].Dir
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if run, err := results.Open(dir, nil); err == nil {
			if st, err := run.Status(); err == nil && st.Step > 0 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoint after 60 s:\n%s", log.String())
		}
	}
	c.Process.Signal(syscall.SIGUSR1)
	if err := c.Wait(); err != nil {
		t.Fatalf("task: %v\n%s", err, log.String())
	}
	_, st := checkpointSHAs(t, dir)
	if st.State == results.Done {
		t.Skip("the run finished before SIGUSR1 arrived")
	}
	requeue, _ := os.ReadFile(calls)
	if st.State != results.Stopped || string(requeue) != "scontrol requeue 9_1\n" {
		t.Fatalf("after SIGUSR1: status %+v, calls %q\n%s", st, requeue, log.String())
	}
	log.Reset()
	c = task()
	c.Stdout, c.Stderr = &log, &log
	if err := c.Run(); err != nil {
		t.Fatalf("requeued task: %v\n%s", err, log.String())
	}
	got, st := checkpointSHAs(t, dir)

	if _, err := experiments.Ensure(context.Background(), specs[1].Config, filepath.Join(root, "ref"), experiments.Options{}); err != nil {
		t.Fatal(err)
	}
	want, _ := checkpointSHAs(t, filepath.Join(root, "ref"))
	if st.State != results.Done || got[600] == "" || got[600] != want[600] {
		t.Errorf("requeued run: %+v, final sha %q, uninterrupted %q", st, got[600], want[600])
	}
}
