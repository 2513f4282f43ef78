package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"branchspec/results"
)

// TestMain lets the test binary act as the branchspec command when
// BRANCHSPEC_MAIN is set, so tests can run and kill real processes
// without building the binary separately.
//
// With BRANCHSPEC_HWM set to a file name, the process writes its peak
// resident memory (VmHWM of /proc/self/status) there before it exits:
// getrusage's ru_maxrss of a child also counts the parent's peak, which
// the child shares until it execs.
func TestMain(m *testing.M) {
	if os.Getenv("BRANCHSPEC_MAIN") == "1" {
		code := runMain()
		if f := os.Getenv("BRANCHSPEC_HWM"); f != "" {
			status, _ := os.ReadFile("/proc/self/status")
			for _, line := range strings.Split(string(status), "\n") {
				if strings.HasPrefix(line, "VmHWM:") {
					os.WriteFile(f, []byte(line), 0o644)
				}
			}
		}
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// cli runs a command in-process and returns its exit status and output.
func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = dispatch(&env{ctx: context.Background(), stdout: &o, stderr: &e}, args)
	return code, o.String(), e.String()
}

// branchspecProcess returns an exec.Cmd running the test binary as branchspec.
func branchspecProcess(args ...string) *exec.Cmd {
	c := exec.Command(os.Args[0], args...)
	c.Env = append(os.Environ(), "BRANCHSPEC_MAIN=1")
	return c
}

func TestRunShowLsExport(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := cli(t, "run", "tiny", "--out", out, "--set", "schedule.steps=12", "--seed", "4")
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	dir := filepath.Join(out, "tiny", "seed-4")
	if !strings.Contains(stdout, "results: "+dir) {
		t.Errorf("run does not say where the results are: %q", stdout)
	}

	code, stdout, _ = cli(t, "show", dir)
	for _, want := range []string{"status   done at step 12/12", "test.acc", "checkpoints (", "weights sha256"} {
		if code != 0 || !strings.Contains(stdout, want) {
			t.Errorf("show (exit %d) lacks %q:\n%s", code, want, stdout)
		}
	}

	code, stdout, _ = cli(t, "show", dir, "--json", "--metric", "test.*")
	var js struct {
		State string `json:"state"`
		Rows  []struct {
			Step   int
			Metric string
		} `json:"rows"`
		Checkpoints []struct{ Step int } `json:"checkpoints"`
	}
	if err := json.Unmarshal([]byte(stdout), &js); code != 0 || err != nil {
		t.Fatalf("show --json: exit %d, %v:\n%s", code, err, stdout)
	}
	if js.State != "done" || len(js.Rows) == 0 || len(js.Checkpoints) == 0 {
		t.Errorf("show --json: %+v", js)
	}
	for _, r := range js.Rows {
		if !strings.HasPrefix(r.Metric, "test.") {
			t.Errorf("--metric test.* let through %q", r.Metric)
		}
	}

	code, stdout, _ = cli(t, "show", dir, "--csv")
	recs, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	if code != 0 || err != nil || len(recs) < 2 || strings.Join(recs[0], ",") != "run,step,metric,value" {
		t.Errorf("show --csv: exit %d, %v, %d records", code, err, len(recs))
	}

	code, stdout, _ = cli(t, "ls", out)
	if code != 0 || !strings.Contains(stdout, dir) || !strings.Contains(stdout, "12/12") || !strings.Contains(stdout, "done") {
		t.Errorf("ls: exit %d:\n%s", code, stdout)
	}

	w := filepath.Join(t.TempDir(), "w")
	code, stdout, stderr = cli(t, "export", dir, "--step", "10", "--out", w)
	if code != 0 {
		t.Fatalf("export: exit %d: %s", code, stderr)
	}
	files, _ := filepath.Glob(filepath.Join(w, "*.npy"))
	if len(files) == 0 || !strings.Contains(stdout, fmt.Sprintf("wrote %d tensors of step 10", len(files))) {
		t.Errorf("export wrote %d files: %s", len(files), stdout)
	}
	if _, err := os.Stat(filepath.Join(w, "branch.0.0.w.npy")); err != nil {
		t.Error(err)
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("name = \"x\"\n[optim]\nlr = -1\n"), 0o644)
	typo := filepath.Join(dir, "typo.toml")
	os.WriteFile(typo, []byte("[optim]\nLR = 0.1\n"), 0o644)
	notRun := filepath.Join(dir, "notrun")
	os.MkdirAll(notRun, 0o755)
	os.WriteFile(filepath.Join(notRun, "run.db"), []byte("not a database at all, but long enough to look like one? no."), 0o644)
	// A dataset directory whose image file has the wrong magic number.
	idx := filepath.Join(dir, "idx")
	os.MkdirAll(idx, 0o755)
	os.WriteFile(filepath.Join(idx, "train-images-idx3-ubyte"), []byte{0, 0, 8, 1, 0, 0, 0, 0}, 0o644)
	idxSets := []string{"--set", `data.source="idx"`, "--set", `data.path="` + idx + `"`, "--set", "model.branch=[{out = 2, kernel = 3, pool = 2}]", "--set", "model.trunk=[]", "--set", "data.grayscale=false"}
	tests := []struct {
		args []string
		code int
		want string
	}{
		{append([]string{"run", "tiny", "--out", dir}, idxSets...), 1, filepath.Join(idx, "train-images-idx3-ubyte")},
		{[]string{"run", "tiny", "--out", dir, "--set", `data.source="cifar10"`, "--set", `data.path="` + filepath.Join(dir, "none") + `"`, "--set", "data.synthetic.size=32", "--set", "data.train_size=100", "--set", "data.test_size=100"}, 1, "data_batch_1.bin"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"run", "--seed"}, 2, "flag needs an argument"},
		{[]string{"run", "a.toml", "b.toml"}, 2, "at most one CONFIG"},
		{[]string{"run", bad, "--out", dir}, 1, bad + ":3: optim.lr: must be > 0"},
		{[]string{"run", typo, "--out", dir}, 1, `optim.LR`},
		{[]string{"run", "tiny", "--set", "optim.nope=1", "--out", dir}, 1, "optim.nope"},
		{[]string{"run", filepath.Join(dir, "missing.toml")}, 1, "missing.toml"},
		{[]string{"show", filepath.Join(dir, "nothing")}, 1, "not found"},
		{[]string{"show", notRun}, 1, "run.db"},
		{[]string{"resume", notRun}, 1, "run.db"},
		{[]string{"compare", filepath.Join(dir, "nothing")}, 1, "no such file or directory"},
		{[]string{"compare", dir, "--by", "colour"}, 2, `unknown grouping "colour"`},
		{[]string{"run", "tiny", "--data", filepath.Join(dir, `odd "dir"`), "--out", dir}, 1, `data.path: must be empty for source "synthetic"`},
		{[]string{"run", "cifar10-alexnet", "--data", filepath.Join(dir, "none"), "--out", dir}, 1, "give its location with --data PATH"},
		{[]string{"run", "cifar10", "--out", dir, "--data", filepath.Join(dir, "none")}, 1, "branchspec data get cifar10"},
		{[]string{"run", "--manifest", "m", "--index", "0", "--data", dir}, 2, "--manifest takes no"},
		{[]string{"sweep", "x.toml", "--data"}, 2, "flag needs an argument"},
		{[]string{"data"}, 2, "want: get cifar10"},
		{[]string{"data", "get", "imagenet"}, 2, `unknown dataset "imagenet"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, stderr := cli(t, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, want %d; stderr %q lacks %q", code, tt.code, stderr, tt.want)
			}
		})
	}
	// A dataset error leaves no run behind.
	if runs, _ := filepath.Glob(filepath.Join(dir, "tiny", "*", "run.db")); len(runs) != 0 {
		t.Errorf("failed data loads left runs: %v", runs)
	}
}

// TestResumeRefusesLiveAndFinishedRuns: a run another process trains, or a
// finished one, cannot be resumed, and nothing stored changes.
func TestResumeRefusesLiveAndFinishedRuns(t *testing.T) {
	out := t.TempDir()
	if code, _, e := cli(t, "run", "tiny", "--out", out, "--set", "schedule.steps=4", "--set", "schedule.warmup=0"); code != 0 {
		t.Fatal(e)
	}
	dir := filepath.Join(out, "tiny", "seed-1")
	before, _ := os.ReadFile(filepath.Join(dir, "run.db"))
	if code, _, e := cli(t, "resume", dir); code != 1 || !strings.Contains(e, "already finished") {
		t.Errorf("resume of a finished run: exit %d, %q", code, e)
	}
	run, err := results.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	release, err := run.Lock()
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if code, _, e := cli(t, "resume", dir); code != 1 || !strings.Contains(e, "being trained by another process") {
		t.Errorf("resume of a live run: exit %d, %q", code, e)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "run.db"))
	if !bytes.Equal(before, after) {
		t.Error("refused resumes changed run.db")
	}
}

// checkpointSHAs maps each checkpoint step of a run to its weights' SHA-256.
func checkpointSHAs(t *testing.T, dir string) (map[int]string, results.Status) {
	t.Helper()
	run, err := results.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	cks, err := run.Checkpoints()
	if err != nil {
		t.Fatal(err)
	}
	m := map[int]string{}
	for _, c := range cks {
		m[c.Step] = c.WeightsSHA256
	}
	st, err := run.Status()
	if err != nil {
		t.Fatal(err)
	}
	return m, st
}

// TestSIGTERMCheckpointsAndExits: SIGTERM makes a run checkpoint its
// current step, exit with status 130, and resume to the same result.
func TestSIGTERMCheckpointsAndExits(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real processes")
	}
	args := []string{"tiny", "--set", "schedule.steps=200", "--set", "checkpoint.every=100", "--set", "checkpoint.keep=all"}
	root := t.TempDir()
	c := branchspecProcess(append([]string{"run", "--out", root}, args...)...)
	var stderr bytes.Buffer
	c.Stderr = &stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "tiny", "seed-1")
	// Wait for the first checkpoint, then signal mid-run.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if run, err := results.Open(dir, nil); err == nil {
			if cks, err := run.Checkpoints(); err == nil && len(cks) > 0 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoint after 30 s: %s", stderr.String())
		}
	}
	c.Process.Signal(syscall.SIGTERM)
	err := c.Wait()
	_, st := checkpointSHAs(t, dir)
	if st.State == results.Done {
		t.Skip("run finished before SIGTERM arrived")
	}
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Fatalf("exit: %v, want status 130; stderr: %s", err, stderr.String())
	}
	if st.State != results.Stopped || !strings.Contains(stderr.String(), "resume with") {
		t.Fatalf("status %+v; stderr %s", st, stderr.String())
	}
	if code, _, e := cli(t, "resume", dir); code != 0 {
		t.Fatal(e)
	}
	got, st := checkpointSHAs(t, dir)
	if code, _, e := cli(t, append([]string{"run", "--out", filepath.Join(root, "full")}, args...)...); code != 0 {
		t.Fatal(e)
	}
	want, _ := checkpointSHAs(t, filepath.Join(root, "full", "tiny", "seed-1"))
	if st.State != results.Done || got[200] != want[200] {
		t.Errorf("resumed after SIGTERM: %+v, final sha %s, want %s", st, got[200], want[200])
	}
}

// TestPresetBesideItsDirectory: `run tiny --out .` creates ./tiny, and a
// second `run tiny` must still mean the preset (before, it failed with
// "read tiny: is a directory").
func TestPresetBesideItsDirectory(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, seed := range []string{"1", "2"} {
		if code, _, e := cli(t, "run", "tiny", "--out", ".", "--seed", seed, "--set", "schedule.steps=2", "--set", "schedule.warmup=0"); code != 0 {
			t.Fatalf("seed %s: exit %d: %s", seed, code, e)
		}
	}
	if _, err := os.Stat(filepath.Join("tiny", "seed-2", "run.db")); err != nil {
		t.Error(err)
	}
}
