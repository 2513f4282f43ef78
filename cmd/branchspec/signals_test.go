package main

import (
	"bufio"
	"bytes"
	"errors"
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

// exitCode is the status a finished command exited with, or -1 when a
// signal killed it.
func exitCode(err error) int {
	var ee *exec.ExitError
	if err == nil {
		return 0
	}
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -2
}

// waitTimeout waits for c at most d and reports its error; it kills c and
// fails the test if c is still running then.
func waitTimeout(t *testing.T, c *exec.Cmd, d time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		c.Process.Kill()
		<-done
		t.Fatalf("still running %v after the signal", d)
		return nil
	}
}

// waitCheckpoint polls the run in dir until it has a checkpoint.
func waitCheckpoint(t *testing.T, dir string, stderr *bytes.Buffer) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if run, err := results.Open(dir, nil); err == nil {
			if cks, err := run.Checkpoints(); err == nil && len(cks) > 0 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoint after 60 s: %s", stderr)
		}
	}
}

// TestSignalBeforeTraining: a signal while the command is still reading
// its config or setting up ends it promptly with status 130 and creates
// no run. Before, both ignored the signal: reading a config from a FIFO
// nobody writes blocked until killed, and a slow setup ran on.
func TestSignalBeforeTraining(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real processes")
	}
	root := t.TempDir()
	fifo := filepath.Join(root, "config.toml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	tests := []struct {
		name string
		args []string
		sig  syscall.Signal
		// ready is the start of the stderr line after which the process
		// is setting up ("": it never prints one, blocked reading).
		ready string
	}{
		{"fifo config", []string{"run", fifo, "--out", filepath.Join(root, "fifo")}, syscall.SIGTERM, ""},
		// 100000 synthetic images take seconds to generate.
		{"slow setup", []string{"run", "tiny", "--out", filepath.Join(root, "slow"), "--set", "data.train_size=100000"}, syscall.SIGINT, "run tiny seed 1"},
		{"slow setup, hang-up", []string{"run", "tiny", "--out", filepath.Join(root, "hup"), "--set", "data.train_size=100000"}, syscall.SIGHUP, "run tiny seed 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := branchspecProcess(tt.args...)
			var stderr bytes.Buffer
			pipe, err := c.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			lines := bufio.NewReader(pipe)
			if tt.ready == "" {
				// Blocked opening the FIFO; give a loaded machine time
				// to get there.
				time.Sleep(1500 * time.Millisecond)
			} else if line, err := lines.ReadString('\n'); err != nil || !strings.HasPrefix(line, tt.ready) {
				t.Fatalf("first line %q, %v", line, err)
			} else {
				stderr.WriteString(line)
			}
			copied := make(chan struct{})
			go func() { stderr.ReadFrom(lines); close(copied) }()
			c.Process.Signal(tt.sig)
			t0 := time.Now()
			<-copied
			err = waitTimeout(t, c, 10*time.Second)
			if code := exitCode(err); code != 130 {
				t.Errorf("exit %d (%v), want 130; stderr: %s", code, err, stderr.String())
			}
			if el := time.Since(t0); el > 5*time.Second {
				t.Errorf("exited %v after the signal", el)
			}
			if !strings.Contains(stderr.String(), "interrupted") {
				t.Errorf("stderr does not say it was interrupted: %s", stderr.String())
			}
			if runs, _ := filepath.Glob(filepath.Join(root, "*", "*", "*", "run.db")); len(runs) != 0 {
				t.Errorf("an interrupted setup left runs: %v", runs)
			}
		})
	}
}

// TestHangUpCheckpoints: SIGHUP (a closed terminal or ssh session) makes a
// run checkpoint and exit with status 130, as SIGTERM does; before, it
// killed the run without a checkpoint (status 129).
func TestHangUpCheckpoints(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real processes")
	}
	root := t.TempDir()
	c := branchspecProcess("run", "tiny", "--out", root, "--set", "schedule.steps=100000")
	var stderr bytes.Buffer
	c.Stderr = &stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "tiny", "seed-1")
	waitCheckpoint(t, dir, &stderr)
	c.Process.Signal(syscall.SIGHUP)
	err := waitTimeout(t, c, 30*time.Second)
	if code := exitCode(err); code != 130 {
		t.Fatalf("exit %d (%v), want 130; stderr: %s", code, err, stderr.String())
	}
	_, st := checkpointSHAs(t, dir)
	if st.State != results.Stopped || st.Reason != "interrupted" {
		t.Errorf("status after SIGHUP: %+v", st)
	}
}

// TestClosedPipeKeepsTraining: a run whose stdout and stderr readers have
// gone (a pipeline's reader exited) stops writing progress and trains to
// the end with every checkpoint. Before, the first write to the closed
// pipe killed it with SIGPIPE (status 141) without a checkpoint.
func TestClosedPipeKeepsTraining(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real processes")
	}
	root := t.TempDir()
	c := branchspecProcess("run", "tiny", "--out", root, "--set", "schedule.steps=40", "--set", "schedule.eval_every=1")
	errPipe, err := c.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	outPipe, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	// Read the first line ("run tiny seed 1 ..."), then close both ends.
	if _, err := bufio.NewReader(errPipe).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	errPipe.Close()
	outPipe.Close()
	err = c.Wait()
	if code := exitCode(err); code != 0 {
		t.Fatalf("exit %d (%v), want 0", code, err)
	}
	got, st := checkpointSHAs(t, filepath.Join(root, "tiny", "seed-1"))
	if st.State != results.Done || got[40] == "" {
		t.Errorf("status %+v, checkpoints %v", st, got)
	}
}

// TestMemoryEstimateOfRealRuns runs real processes and holds the memory
// estimate to their peak resident memory (VmHWM, see TestMain), on the
// machine the tests run on, within a wider band than the reference values
// of experiments.TestEstimateRunAgainstPeakRSS: this process is the test
// binary, and the peak varies with the garbage collector's timing.
func TestMemoryEstimateOfRealRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real processes")
	}
	for _, tt := range []struct {
		config string
		sets   []string
	}{
		{"tiny", nil},
		{"default", nil},
	} {
		t.Run(tt.config+" "+strings.Join(tt.sets, " "), func(t *testing.T) {
			sets := append([]string{"schedule.warmup=0"}, tt.sets...)
			cfg, err := experiments.LoadConfig(t.Context(), tt.config, sets)
			if err != nil {
				t.Fatal(err)
			}
			e, err := experiments.EstimateRun(cfg)
			if err != nil {
				t.Fatal(err)
			}
			args := []string{"run", tt.config, "--out", t.TempDir(), "--stop-at", "2"}
			for _, s := range sets {
				args = append(args, "--set", s)
			}
			c := branchspecProcess(args...)
			hwm := filepath.Join(t.TempDir(), "hwm")
			c.Env = append(c.Env, "BRANCHSPEC_HWM="+hwm)
			if out, err := c.CombinedOutput(); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			b, err := os.ReadFile(hwm)
			if err != nil {
				t.Skipf("no peak memory from /proc/self/status: %v", err)
			}
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(string(b), "VmHWM:"), "kB")), 64)
			if err != nil {
				t.Fatalf("%q: %v", b, err)
			}
			peak := kb * 1024
			est := float64(e.Total())
			t.Logf("estimate %s, peak %s: ratio %.2f", e.Total(), experiments.Memory(peak), est/peak)
			// Within 30% of the peak, or 16 MiB for a small run whose peak
			// is mostly the program and the garbage collector's timing.
			if d := est - peak; d > max(0.3*peak, 16<<20) || -d > max(0.3*peak, 16<<20) {
				t.Errorf("estimate %s is %.2f times the peak %s", e, est/peak, experiments.Memory(peak))
			}
		})
	}
}
