package experiments

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"branchspec/configs"
	"branchspec/results"
)

func tinyConfig(t *testing.T, sets ...string) *configs.Config {
	t.Helper()
	cfg, err := configs.Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.SetAll(sets); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// runRecord is what two runs must agree on: the weights' SHA-256 at every
// checkpoint and every logged value that is not a wall-clock measurement.
type runRecord struct {
	sha  map[int]string
	rows map[int]map[string]float64
	st   results.Status
}

func record(t *testing.T, dir string) runRecord {
	t.Helper()
	run, err := results.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	cks, err := run.Checkpoints()
	if err != nil {
		t.Fatal(err)
	}
	rec := runRecord{sha: map[int]string{}, rows: map[int]map[string]float64{}}
	for _, c := range cks {
		rec.sha[c.Step] = c.WeightsSHA256
	}
	rows, err := run.Rows()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		vals := map[string]float64{}
		for k, v := range r.Values {
			if !WallClock(k) {
				vals[k] = v
			}
		}
		rec.rows[r.Step] = vals
	}
	if rec.st, err = run.Status(); err != nil {
		t.Fatal(err)
	}
	return rec
}

// sameRun reports the first difference between two records, comparing
// checkpoints present in both and every row of want.
func sameRun(t *testing.T, got, want runRecord) {
	t.Helper()
	common := 0
	for step, sha := range want.sha {
		if g, ok := got.sha[step]; ok {
			common++
			if g != sha {
				t.Errorf("step %d: weights sha256 %s, want %s", step, g, sha)
			}
		}
	}
	if common == 0 {
		t.Errorf("no checkpoint in common")
	}
	for step, vals := range want.rows {
		g, ok := got.rows[step]
		if !ok {
			t.Errorf("step %d: row missing", step)
			continue
		}
		for k, v := range vals {
			if gv, ok := g[k]; !ok || math.Float64bits(gv) != math.Float64bits(v) {
				t.Errorf("step %d: %s = %v (present %v), want %v", step, k, gv, ok, v)
			}
		}
	}
}

func TestRunTrainsAndFinishes(t *testing.T) {
	cfg := tinyConfig(t)
	dir, err := Start(context.Background(), cfg, t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec := record(t, dir)
	if rec.st.State != results.Done || rec.st.Step != cfg.Schedule.Steps {
		t.Fatalf("status %+v, want done at %d", rec.st, cfg.Schedule.Steps)
	}
	for _, step := range cfg.Checkpoint.Steps(cfg.Schedule.Steps) {
		if _, ok := rec.sha[step]; !ok {
			t.Errorf("no checkpoint at scheduled step %d", step)
		}
	}
	first, last := rec.rows[0][KeyTestLoss], rec.rows[cfg.Schedule.Steps][KeyTestLoss]
	if !(last < first) {
		t.Errorf("test loss went from %v to %v; training should lower it", first, last)
	}
}

// TestResumeEqualsUninterrupted is the repository's central guarantee: a
// run stopped and resumed (at a checkpoint step and between checkpoints) is
// bit-identical to one never interrupted.
func TestResumeEqualsUninterrupted(t *testing.T) {
	cfg := tinyConfig(t)
	root := t.TempDir()
	full, err := Start(context.Background(), cfg, filepath.Join(root, "full"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := record(t, full)
	for _, stops := range [][]int{{4}, {7, 13}, {1, 2, 3, 25}} {
		out := filepath.Join(root, "stopped", filepath.Base(t.Name()), fmtInts(stops))
		dir, err := Start(context.Background(), cfg, out, Options{StopAt: stops[0]})
		if err != nil {
			t.Fatal(err)
		}
		if st := record(t, dir).st; st.State != results.Stopped || st.Step != stops[0] {
			t.Fatalf("after --stop-at %d: status %+v", stops[0], st)
		}
		for _, s := range stops[1:] {
			if err := Resume(context.Background(), dir, Options{StopAt: s}); err != nil {
				t.Fatal(err)
			}
		}
		if err := Resume(context.Background(), dir, Options{}); err != nil {
			t.Fatal(err)
		}
		got := record(t, dir)
		if got.st.State != results.Done {
			t.Fatalf("stops %v: status %+v", stops, got.st)
		}
		sameRun(t, got, want)
	}
}

func fmtInts(xs []int) string {
	s := ""
	for i, x := range xs {
		if i > 0 {
			s += "-"
		}
		s += string(rune('0'+x/10)) + string(rune('0'+x%10))
	}
	return s
}

// TestDeterministicAcrossGOMAXPROCS: the same config and seed give the same
// bits with one core or two.
func TestDeterministicAcrossGOMAXPROCS(t *testing.T) {
	cfg := tinyConfig(t)
	root := t.TempDir()
	var recs []runRecord
	for _, procs := range []int{1, 2} {
		old := runtime.GOMAXPROCS(procs)
		dir, err := Start(context.Background(), cfg, filepath.Join(root, string(rune('0'+procs))), Options{})
		runtime.GOMAXPROCS(old)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, record(t, dir))
	}
	sameRun(t, recs[1], recs[0])
	if len(recs[1].sha) != len(recs[0].sha) {
		t.Errorf("checkpoint counts differ: %d vs %d", len(recs[1].sha), len(recs[0].sha))
	}
}

func TestSeedChangesRun(t *testing.T) {
	root := t.TempDir()
	a, err := Start(context.Background(), tinyConfig(t, "schedule.steps=2", "schedule.warmup=0"), root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Start(context.Background(), tinyConfig(t, "schedule.steps=2", "schedule.warmup=0", "seed=99"), root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if record(t, a).sha[0] == record(t, b).sha[0] {
		t.Error("seeds 1 and 99 drew the same initial weights")
	}
}

func TestResumeRefusesFinishedRun(t *testing.T) {
	dir, err := Start(context.Background(), tinyConfig(t, "schedule.steps=3", "schedule.warmup=0"), t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := Resume(context.Background(), dir, Options{}); !errors.Is(err, ErrFinished) {
		t.Fatalf("resume of a finished run: %v, want ErrFinished", err)
	}
}

func TestStartRefusesExistingRun(t *testing.T) {
	root := t.TempDir()
	cfg := tinyConfig(t, "schedule.steps=2", "schedule.warmup=0")
	if _, err := Start(context.Background(), cfg, root, Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Start(context.Background(), cfg, root, Options{}); !errors.Is(err, results.ErrExists) {
		t.Fatalf("second start: %v, want ErrExists", err)
	}
}

func TestInterruptCheckpointsAndResumes(t *testing.T) {
	cfg := tinyConfig(t)
	root := t.TempDir()
	want := record(t, must(Start(context.Background(), cfg, filepath.Join(root, "full"), Options{})))
	ctx, cancel := context.WithCancel(context.Background())
	steps := 0
	opts := Options{Now: nil}
	opts.Progress = nil
	// Cancel after a few steps through the clock hook, which the loop
	// calls once per step.
	opts.Now = func() time.Time {
		steps++
		if steps == 40 {
			cancel()
		}
		return time.Unix(0, 0)
	}
	dir, err := Start(ctx, cfg, filepath.Join(root, "int"), opts)
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("cancelled run returned %v, want ErrInterrupted", err)
	}
	st := record(t, dir).st
	if st.State != results.Stopped || st.Step == 0 || st.Step >= cfg.Schedule.Steps {
		t.Fatalf("status after interrupt: %+v", st)
	}
	if err := Resume(context.Background(), dir, Options{}); err != nil {
		t.Fatal(err)
	}
	sameRun(t, record(t, dir), want)
}

func TestNonFiniteLossFailsRun(t *testing.T) {
	cfg := tinyConfig(t, `optim.algorithm="sgd"`, "optim.lr=1e12", "optim.momentum=0")
	dir, err := Start(context.Background(), cfg, t.TempDir(), Options{})
	if err == nil {
		t.Fatal("a diverging run returned no error")
	}
	st := record(t, dir).st
	if st.State != results.Failed || st.Step == 0 || st.Reason == "" {
		t.Fatalf("status %+v, want failed with a step and reason", st)
	}
}

func must(dir string, err error) string {
	if err != nil {
		panic(err)
	}
	return dir
}

// TestResumeBeforeFirstCheckpoint: a run killed after its store was
// created but before checkpoint 0 resumes from scratch to the same result.
func TestResumeBeforeFirstCheckpoint(t *testing.T) {
	cfg := tinyConfig(t)
	root := t.TempDir()
	want := record(t, must(Start(context.Background(), cfg, filepath.Join(root, "full"), Options{})))
	dir := RunDir(filepath.Join(root, "early"), cfg)
	if _, err := results.Create(dir, results.Info{Name: cfg.Name, Seed: cfg.Seed, ConfigText: cfg.Canonical(), ConfigHash: cfg.Hash()}, nil); err != nil {
		t.Fatal(err)
	}
	if err := Resume(context.Background(), dir, Options{}); err != nil {
		t.Fatal(err)
	}
	sameRun(t, record(t, dir), want)
}

// keptSteps are the checkpoint steps of the run in dir that hold weights.
func keptSteps(t *testing.T, dir string) []int {
	t.Helper()
	run, err := results.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	cks, err := run.Checkpoints()
	if err != nil {
		t.Fatal(err)
	}
	var kept []int
	for _, c := range cks {
		if c.HasWeights {
			kept = append(kept, c.Step)
		}
	}
	return kept
}

// TestStoppedRunKeepsWhatUninterruptedKeeps: under every retention rule a
// run stopped between scheduled checkpoints and resumed keeps the weights
// an uninterrupted run keeps. Before, with keep = "all" the stop's
// off-schedule checkpoint (step 7 here) kept its weights for good.
func TestStoppedRunKeepsWhatUninterruptedKeeps(t *testing.T) {
	for _, keep := range []string{`checkpoint.keep="all"`, `checkpoint.keep="last"`, `checkpoint.keep="schedule"`} {
		t.Run(keep, func(t *testing.T) {
			cfg := tinyConfig(t, "schedule.steps=20", "schedule.warmup=0", "checkpoint.log_until=4", "checkpoint.every=5",
				"checkpoint.keep_last=2", "checkpoint.keep_every=10", keep)
			root := t.TempDir()
			want := keptSteps(t, must(Start(context.Background(), cfg, filepath.Join(root, "full"), Options{})))
			dir := must(Start(context.Background(), cfg, filepath.Join(root, "stopped"), Options{StopAt: 7}))
			if got := keptSteps(t, dir); !slices.Contains(got, 7) {
				t.Fatalf("the stop at step 7 kept no weights: %v", got)
			}
			if err := Resume(context.Background(), dir, Options{}); err != nil {
				t.Fatal(err)
			}
			if got := keptSteps(t, dir); !slices.Equal(got, want) {
				t.Errorf("stopped and resumed run keeps weights at %v; uninterrupted at %v", got, want)
			}
		})
	}
}
