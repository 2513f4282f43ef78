package experiments

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"branchspec/results"
)

// smokeSpecs expands experiments/smoke.toml under out.
func smokeSpecs(t *testing.T, out string, extra ...string) (*Experiment, []RunSpec) {
	t.Helper()
	e, err := LoadExperiment("smoke.toml")
	if err != nil {
		t.Fatal(err)
	}
	specs, err := e.Runs(out, append([]string{"metrics.enabled=false"}, extra...))
	if err != nil {
		t.Fatal(err)
	}
	return e, specs
}

func TestSweepRunsThenSkips(t *testing.T) {
	out := t.TempDir()
	e, specs := smokeSpecs(t, out)
	var log bytes.Buffer
	rep, err := Sweep(context.Background(), specs, SweepOptions{Jobs: 2, Experiment: e.Name, Progress: &log})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Count(Trained) != len(specs) {
		t.Fatalf("first sweep: %s", rep.Summary())
	}
	for _, s := range specs {
		run, err := results.Open(s.Dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		info, _ := run.Info()
		st, _ := run.Status()
		if info.Extra["experiment"] != "smoke" || info.Extra["regime"] != s.Regime || st.State != results.Done {
			t.Errorf("%s: extra %v, status %+v", s.Dir, info.Extra, st)
		}
	}
	for _, want := range []string{"start baseline/seed-1", "mixing-p50/seed-1 done at step 20", "sweep: 3 runs: 3 trained"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
	t0 := time.Now()
	log.Reset()
	rep, err = Sweep(context.Background(), specs, SweepOptions{Progress: &log})
	if err != nil || rep.Count(Skipped) != len(specs) {
		t.Fatalf("second sweep: %v, %s", err, rep.Summary())
	}
	if el := time.Since(t0); el > 2*time.Second {
		t.Errorf("second sweep took %v; it should do no work", el)
	}
	if !strings.Contains(log.String(), "skip cut-downstream/seed-1") {
		t.Errorf("log:\n%s", log.String())
	}
}

// TestSweepJobsChangeNothing: the runs of a parallel sweep equal those of a
// serial one, bit for bit.
func TestSweepJobsChangeNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the smoke sweep twice")
	}
	root := t.TempDir()
	_, serial := smokeSpecs(t, filepath.Join(root, "serial"))
	_, parallel := smokeSpecs(t, filepath.Join(root, "parallel"))
	if _, err := Sweep(context.Background(), serial, SweepOptions{Jobs: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := Sweep(context.Background(), parallel, SweepOptions{Jobs: 3}); err != nil {
		t.Fatal(err)
	}
	for i := range serial {
		sameRun(t, record(t, parallel[i].Dir), record(t, serial[i].Dir))
	}
}

func TestSweepStopAtThenFull(t *testing.T) {
	out := t.TempDir()
	_, specs := smokeSpecs(t, out)
	rep, err := Sweep(context.Background(), specs, SweepOptions{StopAt: 8})
	if err != nil || rep.Count(Trained) != len(specs) {
		t.Fatalf("stop-at sweep: %v, %s", err, rep.Summary())
	}
	for _, s := range specs {
		if st := record(t, s.Dir).st; st.State != results.Stopped || st.Step != 8 {
			t.Fatalf("%s after --stop-at 8: %+v", s.Dir, st)
		}
	}
	rep, err = Sweep(context.Background(), specs, SweepOptions{StopAt: 8})
	if err != nil || rep.Count(Skipped) != len(specs) {
		t.Fatalf("same stop-at again: %v, %s", err, rep.Summary())
	}
	rep, err = Sweep(context.Background(), specs, SweepOptions{})
	if err != nil || rep.Count(Trained) != len(specs) {
		t.Fatalf("full sweep: %v, %s", err, rep.Summary())
	}
	full := t.TempDir()
	_, ref := smokeSpecs(t, full)
	for i, s := range ref {
		sameRun(t, record(t, specs[i].Dir), record(t, must(Start(context.Background(), s.Config, full, Options{}))))
	}
}

// TestSweepCancel cancels the context during the first run: the sweep
// returns ErrInterrupted with that run checkpointed and the others not
// started, and a second sweep finishes them all, equal to uninterrupted runs.
func TestSweepCancel(t *testing.T) {
	out := t.TempDir()
	_, specs := smokeSpecs(t, out)
	ctx, cancel := context.WithCancel(context.Background())
	steps := 0
	// The clock is read at least once per step; cancel a few steps in.
	now := func() time.Time {
		steps++
		if steps == 30 {
			cancel()
		}
		return time.Unix(0, 0)
	}
	rep, err := Sweep(ctx, specs, SweepOptions{Now: now})
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("cancelled sweep: %v, want ErrInterrupted", err)
	}
	if rep.Outcomes[0] != Interrupted || rep.Count(NotStarted) != len(specs)-1 {
		t.Fatalf("outcomes %v", rep.Outcomes)
	}
	st := record(t, specs[0].Dir).st
	if st.State != results.Stopped || st.Step == 0 || st.Step >= 20 {
		t.Fatalf("interrupted run: %+v", st)
	}
	rep, err = Sweep(context.Background(), specs, SweepOptions{})
	if err != nil || rep.Count(Trained) != len(specs) {
		t.Fatalf("second sweep: %v, %s", err, rep.Summary())
	}
	full := t.TempDir()
	sameRun(t, record(t, specs[0].Dir), record(t, must(Start(context.Background(), specs[0].Config, full, Options{}))))
}

// TestSweepRefusesForeignRun: a directory holding a run of another config
// fails that run only.
func TestSweepRefusesForeignRun(t *testing.T) {
	out := t.TempDir()
	_, specs := smokeSpecs(t, out)
	other := tinyConfig(t, "schedule.steps=3", "schedule.warmup=0", "metrics.enabled=false")
	if err := StartIn(context.Background(), other, specs[1].Dir, Options{}); err != nil {
		t.Fatal(err)
	}
	rep, err := Sweep(context.Background(), specs, SweepOptions{})
	if err == nil || !strings.Contains(err.Error(), "1 run(s) failed") || rep.Outcomes[1] != Failed || rep.Count(Trained) != 2 {
		t.Fatalf("%v; %v", err, rep.Outcomes)
	}
}
