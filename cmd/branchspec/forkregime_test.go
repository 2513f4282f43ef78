package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"branchspec/experiments"
)

// forkExperiment writes an experiment of the tiny preset (10 steps, two
// seeds): a chromatic bias regime and a counter-bias forked from it at
// step 8.
func forkExperiment(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hyst.toml")
	text := `name = "hyst"
base = "tiny"
seeds = 2
set = ["schedule.steps=10"]
[regimes.baseline]
set = ["regime.bias.epsilon=0.3"]
[regimes.counter]
fork = "baseline"
at = 8
set = ["regime.bias.branch=1"]
`
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSweepForkRegimeCommand: the dry run shows the forks; the sweep makes
// them as 'branchspec fork' does, bit for bit; compare treats the fork
// regime as any other.
func TestSweepForkRegimeCommand(t *testing.T) {
	exp, out := forkExperiment(t), t.TempDir()
	code, stdout, stderr := cli(t, "sweep", exp, "--out", out, "--dry-run")
	if code != 0 {
		t.Fatalf("dry run: exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		`(?m)^regime +seed +config +from +state +memory +dir$`,
		`(?m)^baseline +1 +[0-9a-f]{12} +- +new `,
		`(?m)^counter +2 +[0-9a-f]{12} +baseline@8 +new +.* ` + regexp.QuoteMeta(filepath.Join(out, "hyst", "counter", "seed-2")) + `$`,
	} {
		if !regexp.MustCompile(want).MatchString(stdout) {
			t.Errorf("dry run does not match %s:\n%s", want, stdout)
		}
	}
	code, stdout, stderr = cli(t, "sweep", exp, "--out", out, "--jobs", "2")
	if code != 0 || !strings.Contains(stdout, "4 runs: 4 trained") {
		t.Fatalf("sweep: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, seed := range []string{"1", "2"} {
		parent := filepath.Join(out, "hyst", "baseline", "seed-"+seed)
		ref := filepath.Join(t.TempDir(), "ref")
		if code, _, stderr := cli(t, "fork", parent, "--at", "8", "--set", "regime.bias.branch=1", "--name", "counter", "--out", ref); code != 0 {
			t.Fatal(stderr)
		}
		got, st := checkpointSHAs(t, filepath.Join(out, "hyst", "counter", "seed-"+seed))
		want, _ := checkpointSHAs(t, filepath.Join(ref, "counter", "seed-"+seed))
		if st.Step != 10 || len(got) != len(want) || got[8] != want[8] || got[10] != want[10] {
			t.Errorf("seed %s: the sweep's fork %v (%+v), 'branchspec fork' made %v", seed, got, st, want)
		}
	}
	code, stdout, stderr = cli(t, "compare", filepath.Join(out, "hyst"))
	if code != 0 {
		t.Fatalf("compare: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"runs: 4 finished in 2 groups", "contrasts with baseline", "counter"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("compare output lacks %q:\n%s", want, stdout)
		}
	}
}

// TestRunManifestFork: a fork entry's task fails while its parent has
// not reached the fork step, then forks it; --index-offset picks the
// entry as a Kubernetes Job of the forks does.
func TestRunManifestFork(t *testing.T) {
	out := t.TempDir()
	m, specs := writeManifest(t, forkExperiment(t), out)
	code, _, stderr := cli(t, "run", "--manifest", m, "--index", "2")
	if code != 1 || !strings.Contains(stderr, "the parent run has not reached the fork step yet: "+specs[0].Dir+" holds no run yet (the fork starts at its step 8); run this entry again once the parent has got there") {
		t.Fatalf("fork before its parent: exit %d: %s", code, stderr)
	}
	if code, _, stderr := cli(t, "run", "--manifest", m, "--index", "0"); code != 0 {
		t.Fatal(stderr)
	}
	code, stdout, stderr := cli(t, "run", "--manifest", m, "--index", "0", "--index-offset", "2", "--wait-parent", "1s")
	if code != 0 || !strings.Contains(stdout, "results: "+specs[2].Dir) || !strings.Contains(stderr, "a fork of entry 0 ("+specs[0].Dir+") at step 8") {
		t.Fatalf("fork entry: exit %d\n%s\n%s", code, stdout, stderr)
	}
	ref := filepath.Join(t.TempDir(), "ref")
	if code, _, stderr := cli(t, "fork", specs[0].Dir, "--at", "8", "--set", "regime.bias.branch=1", "--name", "counter", "--out", ref); code != 0 {
		t.Fatal(stderr)
	}
	got, _ := checkpointSHAs(t, specs[2].Dir)
	want, _ := checkpointSHAs(t, filepath.Join(ref, "counter", "seed-1"))
	if got[10] == "" || got[10] != want[10] {
		t.Errorf("the task's fork %v, 'branchspec fork' made %v", got, want)
	}
	for _, args := range [][]string{{"run", "tiny", "--index-offset", "2"}, {"run", "tiny", "--wait-parent", "1s"}} {
		if code, _, stderr := cli(t, args...); code != 2 || !strings.Contains(stderr, "--index-offset and --wait-parent go with --manifest") {
			t.Errorf("%v: exit %d: %s", args, code, stderr)
		}
	}
}

// TestSweepSlurmForks: the forks are a second job array, submitted to
// start after the first has ended; the dry run shows both commands.
func TestSweepSlurmForks(t *testing.T) {
	bin := t.TempDir()
	calls := filepath.Join(bin, "calls")
	if err := os.WriteFile(filepath.Join(bin, "sbatch"), []byte("#!/bin/sh\necho \"$@\" >>"+calls+"\nn=$(wc -l <"+calls+")\necho \"$((76 + n))\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	exp, out := forkExperiment(t), t.TempDir()
	code, stdout, stderr := cli(t, "sweep", exp, "--out", out, "--slurm", "--dry-run", "--exe", "/opt/branchspec")
	script := filepath.Join(out, "hyst", "slurm", "sweep-")
	if code != 0 || !regexp.MustCompile(`# would run:\nsbatch --parsable --array=0-1 `+regexp.QuoteMeta(script)+`[0-9a-f]{12}\.sbatch\n`+
		`sbatch --parsable --array=2-3 --dependency=afterany:\$PREVIOUS_JOB `+regexp.QuoteMeta(script)+`[0-9a-f]{12}\.sbatch\n`+
		`# \(\$PREVIOUS_JOB: the job id the command before printed; the arrays after the first hold the runs of fork regimes\)\n$`).MatchString(stdout) {
		t.Errorf("dry run: exit %d: %s\n%s", code, stderr, stdout)
	}
	code, stdout, stderr = cli(t, "sweep", exp, "--out", out, "--slurm", "--exe", "/opt/branchspec")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	scripts, _ := filepath.Glob(script + "*.sbatch")
	args, _ := os.ReadFile(calls)
	if len(scripts) != 1 || string(args) != "--parsable --array=0-1 "+scripts[0]+"\n--parsable --array=2-3 --dependency=afterany:77 "+scripts[0]+"\n" {
		t.Fatalf("scripts %q; sbatch called with:\n%s", scripts, args)
	}
	for _, want := range []string{
		"submitted job array 77: 2 tasks, all at once\nthen job array 78: 2 tasks (runs of fork regimes, entries 2-3), once 77 has ended\n",
		"logs:     " + filepath.Join(out, "hyst", "slurm", "logs", "77_INDEX.out") + ", 78_INDEX.out\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
}

func TestSweepK8sForks(t *testing.T) {
	exp, out := forkExperiment(t), t.TempDir()
	code, stdout, stderr := cli(t, "sweep", exp, "--out", out, "--k8s", "--image", "reg/branchspec:1")
	if code != 0 || !strings.Contains(stdout, "(2 Jobs: the runs trained from scratch, then 1 level(s) of fork regimes' runs, whose pods wait for their parents)") {
		t.Fatalf("exit %d: %s\n%s", code, stderr, stdout)
	}
	manifests, _ := filepath.Glob(filepath.Join(out, "hyst", "k8s", "manifest-*.json"))
	if len(manifests) != 1 {
		t.Fatalf("manifests %q", manifests)
	}
	r, err := experiments.ReadManifestRun(t.Context(), manifests[0], 3)
	if err != nil || r.Parent == nil || r.Parent.Dir != "/results/hyst/baseline/seed-2" || r.Parent.At != 8 || r.Parent.Index != 1 {
		t.Errorf("entry 3 as the pods see it: %+v, %v", r, err)
	}
}
