package experiments

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"branchspec/results"
)

// TestCreatorHoldsLockFromTheStart: a process that holds a run
// directory's lock first (a resume racing a new run, a duplicated array
// task) keeps every creator out: Start, Ensure and Fork fail with
// ErrRunning and leave no run.db that the holder could then train as its
// own. (Before the lifecycle took the lock first, the creator wrote run.db
// and only then found the lock taken.)
func TestCreatorHoldsLockFromTheStart(t *testing.T) {
	cfg := tinyConfig(t, "schedule.steps=4", "schedule.warmup=0", "checkpoint.keep=all")
	root := t.TempDir()
	parent := must(Start(context.Background(), cfg, filepath.Join(root, "parent"), Options{}))
	tests := []struct {
		name string
		dir  string
		do   func(dir string) error
	}{
		{"start", RunDir(filepath.Join(root, "start"), cfg), func(dir string) error {
			return StartIn(context.Background(), cfg, dir, Options{})
		}},
		{"ensure", RunDir(filepath.Join(root, "ensure"), cfg), func(dir string) error {
			_, err := Ensure(context.Background(), cfg, dir, Options{})
			return err
		}},
		{"fork", filepath.Join(root, "fork", "f", "seed-1"), func(string) error {
			_, err := Fork(context.Background(), parent, ForkOptions{At: 2, Name: "f", Out: filepath.Join(root, "fork")}, Options{})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.MkdirAll(tt.dir, 0o755); err != nil {
				t.Fatal(err)
			}
			release, err := results.Lock(tt.dir)
			if err != nil {
				t.Fatal(err)
			}
			defer release()
			if err := tt.do(tt.dir); !errors.Is(err, ErrRunning) {
				t.Errorf("with the lock held elsewhere: %v, want ErrRunning", err)
			}
			if _, err := os.Stat(filepath.Join(tt.dir, "run.db")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a creator that did not get the lock left run.db (stat: %v)", err)
			}
		})
	}
}

// TestDuplicateEnsureTrainsOnce: two tasks ensuring the same run at once
// (a duplicated array task) never both train it: one trains, the other
// finds it locked or done, and the run equals one trained alone.
func TestDuplicateEnsureTrainsOnce(t *testing.T) {
	cfg := tinyConfig(t, "schedule.steps=12", "schedule.warmup=0")
	root := t.TempDir()
	want := record(t, must(Start(context.Background(), cfg, filepath.Join(root, "alone"), Options{})))
	dir := RunDir(filepath.Join(root, "twice"), cfg)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	skipped := make([]bool, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			skipped[i], errs[i] = Ensure(context.Background(), cfg, dir, Options{})
		}()
	}
	wg.Wait()
	trained := 0
	for i, err := range errs {
		switch {
		case err == nil && !skipped[i]:
			trained++
		case err == nil || errors.Is(err, ErrRunning):
		default:
			t.Errorf("task %d: %v", i, err)
		}
	}
	if trained != 1 {
		t.Errorf("%d tasks trained the run (errors %v, skipped %v), want 1", trained, errs, skipped)
	}
	got := record(t, dir)
	if got.st.State != results.Done {
		t.Fatalf("status %+v", got.st)
	}
	sameRun(t, got, want)
}

// TestNegativeStopAtIsInvalid: a negative StopAt is a request no run can
// take (before, it was read as "no stop" and the run trained to its end),
// refused as ErrInvalid before anything is created.
func TestNegativeStopAtIsInvalid(t *testing.T) {
	cfg := tinyConfig(t, "schedule.steps=4", "schedule.warmup=0")
	root := t.TempDir()
	opts := Options{StopAt: -5}
	dir, err := Start(context.Background(), cfg, root, opts)
	if !errors.Is(err, ErrInvalid) || err.Error() != "stop-at -5: want >= 0 (0: train to the end)" {
		t.Errorf("Start: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "run.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("refused Start left run.db (stat: %v)", err)
	}
	if err := Resume(context.Background(), dir, opts); !errors.Is(err, ErrInvalid) {
		t.Errorf("Resume: %v", err)
	}
	if _, err := Ensure(context.Background(), cfg, dir, opts); !errors.Is(err, ErrInvalid) {
		t.Errorf("Ensure: %v", err)
	}
	if _, err := Fork(context.Background(), dir, ForkOptions{At: 0}, opts); !errors.Is(err, ErrInvalid) {
		t.Errorf("Fork: %v", err)
	}
}

// TestInterruptedForkLeavesNothing: a fork interrupted before its first
// checkpoint is committed (here before it starts) leaves no run behind,
// so nothing can later resume it from fresh weights.
func TestInterruptedForkLeavesNothing(t *testing.T) {
	root := t.TempDir()
	parent := must(Start(context.Background(), tinyConfig(t, "schedule.steps=4", "schedule.warmup=0", `checkpoint.keep="all"`), filepath.Join(root, "p"), Options{}))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir, err := Fork(ctx, parent, ForkOptions{At: 2}, Options{})
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("fork with a cancelled context: %v, want ErrInterrupted", err)
	}
	if _, err := results.Open(dir, nil); !errors.Is(err, results.ErrNotFound) {
		t.Errorf("an interrupted fork left a run: %v", err)
	}
}

// TestResumeRefusesForkWithoutCheckpoint: a fork created without its first
// checkpoint (by a program before forks were created with it) is refused
// by resume, which before trained it from fresh weights at step 0 while
// show said "forked from ... at step 2".
func TestResumeRefusesForkWithoutCheckpoint(t *testing.T) {
	cfg := tinyConfig(t, "schedule.steps=4", "schedule.warmup=0")
	dir := RunDir(t.TempDir(), cfg)
	info := results.Info{Name: cfg.Name, Seed: cfg.Seed, ConfigText: cfg.Canonical(), ConfigHash: cfg.Hash(),
		Parent: "../../p/tiny/seed-1", ParentStep: 2}
	if _, err := results.Create(dir, info, nil); err != nil {
		t.Fatal(err)
	}
	err := Resume(context.Background(), dir, Options{})
	want := "resume " + dir + ": a fork of ../../p/tiny/seed-1 at step 2 that has no checkpoint (created by a program before forks were created with their first checkpoint): it would train from fresh weights at step 0; delete " + dir + " and fork again"
	if err == nil || err.Error() != want {
		t.Fatalf("resume:\n got: %v\nwant: %s", err, want)
	}
	run, _ := results.Open(dir, nil)
	if cks, _ := run.Checkpoints(); len(cks) != 0 {
		t.Errorf("a refused resume wrote checkpoints %v", cks)
	}
}
