package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"branchspec/results"
)

// smokeFile writes a two-regime experiment of the tiny preset.
func smokeFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "smoke.toml")
	text := `name = "smoke"
base = "tiny"
set = ["schedule.steps=8", "metrics.enabled=false"]
[regimes.baseline]
[regimes.frozen]
set = ['regime.freeze=[{layer = "branch.*.1", from = 0, to = -1}]']
`
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSweepCommand(t *testing.T) {
	exp, out := smokeFile(t), t.TempDir()
	code, stdout, stderr := cli(t, "sweep", exp, "--out", out, "--seeds", "2", "--jobs", "2")
	if code != 0 || !strings.Contains(stdout, "4 runs: 4 trained") {
		t.Fatalf("sweep: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, _ = cli(t, "sweep", exp, "--out", out, "--seeds", "2")
	if code != 0 || !strings.Contains(stdout, "4 runs: 4 skipped") {
		t.Errorf("second sweep: exit %d: %s", code, stdout)
	}
	code, stdout, _ = cli(t, "ls", out)
	for _, run := range []string{"smoke/baseline/seed-1", "smoke/frozen/seed-2"} {
		if code != 0 || !strings.Contains(stdout, filepath.FromSlash(run)) {
			t.Errorf("ls lacks %s:\n%s", run, stdout)
		}
	}
	code, _, stderr = cli(t, "sweep", exp, "--out", out, "--set", "optim.nope=1")
	if code != 1 || !strings.Contains(stderr, "optim.nope") {
		t.Errorf("bad --set: exit %d: %s", code, stderr)
	}
	code, _, stderr = cli(t, "sweep")
	if code != 2 || !strings.Contains(stderr, "want one EXPERIMENT") {
		t.Errorf("no file: exit %d: %s", code, stderr)
	}
}

// TestSweepCommandInterrupted: a cancelled context (SIGINT) exits 130 with
// the runs resumable; the next sweep finishes them.
func TestSweepCommandInterrupted(t *testing.T) {
	exp, out := smokeFile(t), t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var o, e bytes.Buffer
	if code := dispatch(&env{ctx: ctx, stdout: &o, stderr: &e}, []string{"sweep", exp, "--out", out}); code != 130 {
		t.Fatalf("exit %d, want 130: %s", code, e.String())
	}
	if code, stdout, stderr := cli(t, "sweep", exp, "--out", out); code != 0 || !strings.Contains(stdout, "2 trained") {
		t.Fatalf("sweep after interrupt: exit %d: %s %s", code, stdout, stderr)
	}
}

func TestForkCommand(t *testing.T) {
	out := t.TempDir()
	if code, _, stderr := cli(t, "run", "tiny", "--out", out, "--set", "schedule.steps=12", "--set", "checkpoint.keep=all"); code != 0 {
		t.Fatal(stderr)
	}
	parent := filepath.Join(out, "tiny", "seed-1")
	code, stdout, stderr := cli(t, "fork", parent, "--at", "8", "--set", "regime.bias.epsilon=0.5", "--set", "regime.bias.branch=1")
	fork := filepath.Join(out, "tiny-fork8", "seed-1")
	if code != 0 || !strings.Contains(stdout, "results: "+fork) {
		t.Fatalf("fork: exit %d: %s %s", code, stdout, stderr)
	}
	code, stdout, _ = cli(t, "show", fork)
	if code != 0 || !strings.Contains(stdout, "forked   from ../../tiny/seed-1 at step 8") || !strings.Contains(stdout, "done at step 12/12") {
		t.Errorf("show of the fork:\n%s", stdout)
	}
	code, stdout, _ = cli(t, "ls", out)
	if code != 0 || !strings.Contains(stdout, fork) || !strings.Contains(stdout, parent) {
		t.Errorf("ls:\n%s", stdout)
	}
	for _, line := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(line, fork) && !strings.Contains(line, "12/12  0.") {
			t.Errorf("ls shows no test accuracy for the finished fork: %q", line)
		}
	}
	run, _ := results.Open(fork, nil)
	if info, _ := run.Info(); info.ParentStep != 8 {
		t.Errorf("parent step %d", info.ParentStep)
	}
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"fork", parent, "--at", "8", "--set", "model.branches=4", "--name", "x"}, 1, "model.branches: a fork cannot change the architecture"},
		{[]string{"fork", parent}, 2, "--at STEP is required"},
		{[]string{"fork", "--at", "3"}, 2, "want one RUN"},
		{[]string{"fork", parent, "--at", "3", "--name", "y"}, 1, "checkpoints with weights: 0, 1, 2, 4, 8, 10, 12"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args[1:], " "), func(t *testing.T) {
			code, _, stderr := cli(t, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, want %d; stderr %q lacks %q", code, tt.code, stderr, tt.want)
			}
		})
	}
}
