package main

import (
	"bytes"
	"errors"
	"flag"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"branchspec/results"
)

var killSeed = flag.Uint64("killseed", uint64(time.Now().UnixNano()), "seed of the SIGKILL moments")

// killed reports whether the error of Wait says SIGKILL ended the process.
func killed(err error) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL
}

// progressOf is where the run in dir stands: the step of its latest
// checkpoint, or -1 when there is no readable run (yet).
func progressOf(dir string) int {
	run, err := results.Open(dir, &results.Options{Timeout: time.Second})
	if err != nil {
		return -1
	}
	cks, err := run.Checkpoints()
	if err != nil || len(cks) == 0 {
		return -1
	}
	return cks[len(cks)-1].Step
}

// TestSIGKILLThenResume kills real training processes, checkpoint writes
// included, resumes each time, and checks that the run that finally
// completes equals one never interrupted, bit for bit. Each kill comes a
// random moment (0 to 30 ms, seeded by -killseed) after the test has seen
// a new checkpoint committed, so kills land while the process trains and
// commits whatever the machine's speed; the test fails if fewer than
// three kills landed (a process still running when SIGKILL came and ended
// by it).
func TestSIGKILLThenResume(t *testing.T) {
	if testing.Short() {
		t.Skip("kills real processes; slow")
	}
	args := []string{"tiny", "--set", "schedule.steps=120", "--set", "checkpoint.every=4", "--set", "checkpoint.keep_every=8", "--set", "schedule.eval_every=1"}
	root := t.TempDir()
	if code, _, stderr := cli(t, append([]string{"run", "--out", filepath.Join(root, "full")}, args...)...); code != 0 {
		t.Fatal(stderr)
	}
	want, _ := checkpointSHAs(t, filepath.Join(root, "full", "tiny", "seed-1"))

	rng := rand.New(rand.NewPCG(*killSeed, 0))
	t.Logf("kill moments from -killseed=%d", *killSeed)
	dir := filepath.Join(root, "killed", "tiny", "seed-1")
	kills := 0
	for attempt := 0; attempt < 200; attempt++ {
		var c *exec.Cmd
		if _, err := os.Stat(filepath.Join(dir, "run.db")); err != nil {
			c = branchspecProcess(append([]string{"run", "--out", filepath.Join(root, "killed")}, args...)...)
		} else {
			c = branchspecProcess("resume", dir)
		}
		var stderr bytes.Buffer
		c.Stderr = &stderr
		before := progressOf(dir)
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- c.Wait() }()
		var err error
		exited := false
	watch:
		for {
			select {
			case err = <-done:
				exited = true
				break watch
			case <-time.After(2 * time.Millisecond):
				if progressOf(dir) > before {
					break watch
				}
			}
		}
		if !exited {
			time.Sleep(time.Duration(rng.IntN(30)) * time.Millisecond)
			c.Process.Signal(syscall.SIGKILL)
			if err = <-done; killed(err) {
				kills++
				continue
			}
		}
		if err != nil {
			t.Fatalf("attempt %d exited: %v: %s", attempt, err, stderr.String())
		}
		got, st := checkpointSHAs(t, dir)
		if st.State != results.Done {
			t.Fatalf("final status %+v", st)
		}
		for step, sha := range want {
			if got[step] != sha {
				t.Errorf("step %d: sha %s, want %s", step, got[step], sha)
			}
		}
		t.Logf("%d kills landed before the run completed", kills)
		if kills < 3 {
			t.Fatalf("only %d kills landed: the test did not test resuming after SIGKILL", kills)
		}
		return
	}
	t.Fatal("run did not complete in 200 attempts")
}

// TestSIGKILLDuringCreation kills real processes at random moments while
// they create a run or a fork (loading data, building the graphs,
// measuring and writing the first checkpoint) and checks after each kill
// that the run is whole or absent: no run.db, or one holding its first
// checkpoint (step 0, or the fork's step with the parent recorded), never
// a run that lists as 0/0 or a fork that would restart from fresh weights.
// Then it completes every run (resume, or start again) and checks that it
// equals one never killed. Before creation and the first checkpoint were
// one transaction, 2 of 24 random kills of forks left a fork that resumed
// from step 0 with fresh weights.
func TestSIGKILLDuringCreation(t *testing.T) {
	if testing.Short() {
		t.Skip("kills real processes; slow")
	}
	root := t.TempDir()
	common := []string{"--set", "schedule.steps=6", "--set", "schedule.warmup=0", "--set", "checkpoint.keep=\"all\""}
	if code, _, e := cli(t, append([]string{"run", "tiny", "--out", filepath.Join(root, "ref")}, common...)...); code != 0 {
		t.Fatal(e)
	}
	parent := filepath.Join(root, "ref", "tiny", "seed-1")
	wantRun, _ := checkpointSHAs(t, parent)
	if code, _, e := cli(t, "fork", parent, "--at", "2", "--name", "ref-fork", "--out", filepath.Join(root, "ref")); code != 0 {
		t.Fatal(e)
	}
	wantFork, _ := checkpointSHAs(t, filepath.Join(root, "ref", "ref-fork", "seed-1"))

	// How long creating takes here: kill moments are spread over it.
	t0 := time.Now()
	if code, _, e := cli(t, append([]string{"run", "tiny", "--out", filepath.Join(root, "timing"), "--stop-at", "0"}, common...)...); code != 0 {
		t.Fatal(e)
	}
	span := time.Since(t0) * 3 / 2
	rng := rand.New(rand.NewPCG(*killSeed, 1))
	t.Logf("kill moments in [0, %v] from -killseed=%d", span, *killSeed)

	landed, whole, absent := 0, 0, 0
	for i := 0; i < 16; i++ {
		fork := i%2 == 1
		out := filepath.Join(root, "k", strings.Repeat("x", 1+i/2))
		args := append([]string{"run", "tiny", "--out", out}, common...)
		dir := filepath.Join(out, "tiny", "seed-1")
		if fork {
			args = []string{"fork", parent, "--at", "2", "--name", "f", "--out", out}
			dir = filepath.Join(out, "f", "seed-1")
		}
		c := branchspecProcess(args...)
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.Int64N(int64(span))))
		c.Process.Signal(syscall.SIGKILL)
		if killed(c.Wait()) {
			landed++
		}
		// Whole or absent.
		run, err := results.Open(dir, nil)
		switch {
		case errors.Is(err, results.ErrNotFound):
			absent++
		case err != nil:
			t.Fatalf("kill %d: %v", i, err)
		default:
			whole++
			ck, err := run.Latest()
			info, _ := run.Info()
			first := 0
			if fork {
				first = 2
			}
			if err != nil || ck.Step < first || fork && (info.Parent == "" || info.ParentStep != 2) {
				t.Errorf("kill %d: a run without its first checkpoint: latest %v (%v), parent %q at %d", i, ck, err, info.Parent, info.ParentStep)
			}
		}
		code, stdout, _ := cli(t, "ls", out)
		if strings.Contains(stdout, " 0/0 ") {
			t.Errorf("kill %d: ls shows a run at 0/0:\n%s", i, stdout)
		}
		// Complete it: resume what exists, start again what does not (a
		// process that finished before its kill needs neither).
		code = 0
		if errors.Is(err, results.ErrNotFound) {
			code, _, stdout = cli(t, args...)
		} else if _, st := checkpointSHAs(t, dir); st.State != results.Done {
			code, _, stdout = cli(t, "resume", dir)
		}
		if code != 0 {
			t.Fatalf("kill %d: completing the run: exit %d: %s", i, code, stdout)
		}
		got, st := checkpointSHAs(t, dir)
		want := wantRun
		if fork {
			want = wantFork
		}
		if st.State != results.Done {
			t.Errorf("kill %d: final status %+v", i, st)
		}
		for step, sha := range want {
			if got[step] != sha {
				t.Errorf("kill %d (fork %v): step %d: sha %s, want %s", i, fork, step, got[step], sha)
			}
		}
	}
	t.Logf("%d of 16 kills landed: %d runs absent, %d whole", landed, absent, whole)
	if landed == 0 {
		t.Fatal("no kill landed: the test did not test creation under SIGKILL")
	}
}
