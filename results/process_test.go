package results

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Environment of the helper process that other tests start by re-running
// the test binary with -test.run=TestHelperProcess.
const (
	helperEnv    = "BRANCHSPEC_RESULTS_HELPER" // "lock" or "commit"
	helperDirEnv = "BRANCHSPEC_RESULTS_DIR"
	helperSzEnv  = "BRANCHSPEC_RESULTS_FLOATS"
)

// TestHelperProcess is not a test: it is the child process of the tests
// below. In "lock" mode it takes the run's lock, prints "locked" and waits
// to be killed. In "commit" mode it resumes the run from its latest
// checkpoint and commits one checkpoint per step forever, printing
// "begin STEP" before each commit and "committed STEP" after it.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		t.Skip("child process of the lock and crash tests")
	}
	dir := os.Getenv(helperDirEnv)
	var err error
	switch mode {
	case "lock":
		err = helperLock(dir)
	case "commit":
		floats, _ := strconv.Atoi(os.Getenv(helperSzEnv))
		err = helperCommit(dir, floats)
	default:
		err = fmt.Errorf("unknown helper mode %q", mode)
	}
	fmt.Fprintln(os.Stderr, err)
	os.Exit(2)
}

func helperLock(dir string) error {
	r, err := Open(dir, nil)
	if err != nil {
		return err
	}
	release, err := r.Lock()
	if err != nil {
		return err
	}
	defer release()
	fmt.Println("locked")
	for {
		time.Sleep(time.Hour)
	}
}

func helperCommit(dir string, floats int) error {
	r, err := Open(dir, nil)
	if err != nil {
		return err
	}
	if _, err := r.Lock(); err != nil {
		return err
	}
	step := 1
	if c, err := r.Latest(); err == nil {
		step = c.Step + 1
	} else if !errors.Is(err, ErrNoCheckpoint) {
		return err
	}
	for ; ; step++ {
		fmt.Println("begin", step)
		err := r.Commit(Commit{
			Rows:       []Row{{Step: step, Values: map[string]float64{"loss": 1 / float64(step)}}},
			Checkpoint: testCheckpoint(step, floats),
			Status:     &Status{State: Running, Step: step, Total: 1 << 30},
			Retain:     keepLast(2),
		})
		if err != nil {
			return err
		}
		fmt.Println("committed", step)
	}
}

// keepLast is a retention policy that keeps the n newest checkpoints.
func keepLast(n int) func(int, []int) bool {
	return func(step int, all []int) bool { return slices.Index(all, step) >= len(all)-n }
}

// helper starts the test binary as a helper process in mode on dir and
// returns it with a reader of its standard output.
func helper(t *testing.T, mode, dir string, floats int) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, helperDirEnv+"="+dir, helperSzEnv+"="+strconv.Itoa(floats))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd, bufio.NewScanner(out)
}

// kill sends SIGKILL to cmd.
func kill(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
}

// waitKilled waits for cmd to exit and checks that SIGKILL ended it. Its
// standard output must have been read to the end first: Wait closes it.
func waitKilled(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("helper did not die of SIGKILL: %v", err)
	}
}

func TestLockLive(t *testing.T) {
	r := newTestRun(t)
	if live, err := r.Live(); err != nil || live {
		t.Fatalf("Live on a new run = %v, %v; want false", live, err)
	}
	cmd, out := helper(t, "lock", r.Dir(), 0)
	if !out.Scan() || out.Text() != "locked" {
		t.Fatalf("helper said %q, %v", out.Text(), out.Err())
	}
	if live, err := r.Live(); err != nil || !live {
		t.Errorf("Live while the helper holds the lock = %v, %v; want true", live, err)
	}
	if _, err := r.Lock(); !errors.Is(err, ErrLocked) {
		t.Errorf("Lock while the helper holds it: err = %v, want ErrLocked", err)
	}
	kill(t, cmd)
	for out.Scan() {
	}
	waitKilled(t, cmd)
	if live, err := r.Live(); err != nil || live {
		t.Errorf("Live after SIGKILL = %v, %v; want false", live, err)
	}
	release, err := r.Lock()
	if err != nil {
		t.Fatalf("Lock after SIGKILL: %v", err)
	}
	if live, err := r.Live(); err != nil || !live {
		t.Errorf("Live while this process holds the lock = %v, %v; want true", live, err)
	}
	if _, err := r.Lock(); !errors.Is(err, ErrLocked) {
		t.Errorf("second Lock in the same process: err = %v, want ErrLocked", err)
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	if err := release(); err != nil {
		t.Errorf("second release: %v", err)
	}
	if live, err := r.Live(); err != nil || live {
		t.Errorf("Live after release = %v, %v; want false", live, err)
	}
}

func TestKillDuringCommit(t *testing.T) {
	t.Run("short", func(t *testing.T) { testKillDuringCommit(t, 3, 1<<18) })
	t.Run("heavy", func(t *testing.T) {
		if testing.Short() {
			t.Skip("slow: many kills with 4 MB checkpoints")
		}
		testKillDuringCommit(t, 12, 1<<20)
	})
}

// testKillDuringCommit runs a helper that commits checkpoints of floats
// values in a loop, kills it with SIGKILL at a random moment, and checks
// that the run holds exactly the commits that completed; kills times over
// on the same run, each helper resuming where the last one died.
func testKillDuringCommit(t *testing.T, kills, floats int) {
	rng := rand.New(rand.NewPCG(testSeed(t), 0xdead))
	r := newTestRun(t)
	midCommit, latest := 0, 0
	for i := range kills {
		cmd, out := helper(t, "commit", r.Dir(), floats)
		lines := make(chan string)
		go func() {
			defer close(lines)
			for out.Scan() {
				lines <- out.Text()
			}
		}()
		if _, ok := <-lines; !ok {
			t.Fatalf("kill %d: helper exited at once", i)
		}
		time.Sleep(time.Duration(rng.IntN(150)) * time.Millisecond)
		kill(t, cmd)
		last, inCommit := lastCommitted(t, lines, latest)
		waitKilled(t, cmd)
		if inCommit {
			midCommit++
		}
		latest = checkAfterKill(t, r, last)
	}
	t.Logf("%d of %d kills landed inside Commit", midCommit, kills)
}

// lastCommitted reads the helper's output to the end and returns the last
// step it reported committed (prev if none), and whether it had begun the
// next commit.
func lastCommitted(t *testing.T, lines <-chan string, prev int) (step int, inCommit bool) {
	step = prev
	t.Helper()
	for l := range lines {
		verb, arg, _ := strings.Cut(l, " ")
		n, err := strconv.Atoi(arg)
		switch {
		case err != nil:
			t.Fatalf("helper said %q", l)
		case verb == "begin":
			inCommit = true
		case verb == "committed":
			step, inCommit = n, false
		}
	}
	return step, inCommit
}

// checkAfterKill checks the run after its writer was killed having
// reported step as committed: the commit after it may have completed
// unreported, nothing else. It returns the latest checkpoint's step.
func checkAfterKill(t *testing.T, r *Run, step int) int {
	t.Helper()
	if live, err := r.Live(); err != nil || live {
		t.Fatalf("Live after kill = %v, %v", live, err)
	}
	if _, err := Open(r.Dir(), nil); err != nil {
		t.Fatalf("Open after kill: %v", err)
	}
	c, err := r.Latest()
	if step == 0 && errors.Is(err, ErrNoCheckpoint) {
		if rows, err := r.Rows(); err != nil || len(rows) != 0 {
			t.Fatalf("rows without a checkpoint: %v, %v", rows, err)
		}
		return 0 // killed during the first commit
	}
	if err != nil {
		t.Fatalf("Latest after kill: %v", err)
	}
	if c.Step != step && c.Step != step+1 {
		t.Fatalf("Latest is step %d; the helper reported %d", c.Step, step)
	}
	infos, err := r.Checkpoints()
	if err != nil {
		t.Fatal(err)
	}
	newest := infos[len(infos)-1]
	if want := WeightsSHA256(testWeights(c.Step, len(c.Weights[0].Data)*len(c.Weights))); WeightsSHA256(c.Weights) != want || newest.WeightsSHA256 != want {
		t.Fatalf("checkpoint %d: weights SHA-256 %s, info %s, want %s", c.Step, WeightsSHA256(c.Weights), newest.WeightsSHA256, want)
	}
	rows, err := r.Rows()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != c.Step || rows[len(rows)-1].Step != c.Step {
		t.Fatalf("%d rows ending at step %d, want rows 1..%d", len(rows), rows[len(rows)-1].Step, c.Step)
	}
	if st, err := r.Status(); err != nil || st.Step != c.Step || st.State != Running {
		t.Fatalf("Status after kill = %+v, %v; want Running at step %d", st, err, c.Step)
	}
	if err := r.Verify(); err != nil {
		t.Fatal(err)
	}
	return c.Step
}

// TestLockHoldsWhenRunLockIsDeleted: deleting run.lock while a process
// holds the lock does not let a second one in, and the run stays live
// (before, the second Lock created a new run.lock, locked it, and a second
// trainer started on the live run).
func TestLockHoldsWhenRunLockIsDeleted(t *testing.T) {
	r := newTestRun(t)
	cmd, out := helper(t, "lock", r.Dir(), 0)
	if !out.Scan() || out.Text() != "locked" {
		t.Fatalf("helper said %q, %v", out.Text(), out.Err())
	}
	if err := os.Remove(filepath.Join(r.Dir(), "run.lock")); err != nil {
		t.Fatal(err)
	}
	if live, err := r.Live(); err != nil || !live {
		t.Errorf("Live with run.lock deleted = %v, %v; want true", live, err)
	}
	if release, err := r.Lock(); !errors.Is(err, ErrLocked) {
		if err == nil {
			release()
		}
		t.Errorf("Lock with run.lock deleted under a holder: err = %v, want ErrLocked", err)
	}
	kill(t, cmd)
	for out.Scan() {
	}
	waitKilled(t, cmd)
	release, err := r.Lock()
	if err != nil {
		t.Fatalf("Lock after the holder died: %v", err)
	}
	release()
}

// TestLockRefusesSymlink: a run.lock that is a symbolic link, dangling or
// not, is refused with an error that says so, and its target is not
// created (before, a dangling link made Lock create the target).
func TestLockRefusesSymlink(t *testing.T) {
	r := newTestRun(t)
	target := filepath.Join(t.TempDir(), "elsewhere")
	if err := os.Symlink(target, filepath.Join(r.Dir(), "run.lock")); err != nil {
		t.Fatal(err)
	}
	_, err := r.Lock()
	want := "results: lock " + filepath.Join(r.Dir(), "run.lock") + ": is a symbolic link; a run's lock file is a plain file (remove the link)"
	if err == nil || err.Error() != want {
		t.Errorf("Lock through a dangling link: %v\nwant %s", err, want)
	}
	if _, err := os.Lstat(target); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Lock created the link's target (lstat: %v)", err)
	}
	if live, err := r.Live(); err != nil || live {
		t.Errorf("Live with a link for run.lock = %v, %v; want false", live, err)
	}
}
