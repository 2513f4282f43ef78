package experiments

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestPlanStates: a sweep's dry run says what it would do with each run
// (new, resume STEP/TOTAL, done, refused for another config) and touches
// nothing.
func TestPlanStates(t *testing.T) {
	out := t.TempDir()
	cfg := tinyConfig(t, "schedule.steps=6", "checkpoint.log_until=2", "checkpoint.every=3", "checkpoint.keep_every=3")
	other := tinyConfig(t, "schedule.steps=6", "checkpoint.log_until=2", "checkpoint.every=3", "checkpoint.keep_every=3", "optim.lr=0.01")
	specs := []RunSpec{
		{Regime: "done", Seed: 1, Config: cfg, Dir: filepath.Join(out, "done")},
		{Regime: "stopped", Seed: 1, Config: cfg, Dir: filepath.Join(out, "stopped")},
		{Regime: "new", Seed: 1, Config: cfg, Dir: filepath.Join(out, "new")},
		{Regime: "other", Seed: 1, Config: other, Dir: filepath.Join(out, "done")},
	}
	ctx := context.Background()
	if err := StartIn(ctx, cfg, specs[0].Dir, Options{}); err != nil {
		t.Fatal(err)
	}
	if err := StartIn(ctx, cfg, specs[1].Dir, Options{StopAt: 4}); err != nil {
		t.Fatal(err)
	}
	plan, err := PlanStates(specs)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"done", "resume 4/6", "new", "refused: holds config " + cfg.Hash()[:12]}
	for i, p := range plan {
		if p.State != want[i] {
			t.Errorf("%s: state %q, want %q", p.Spec.Regime, p.State, want[i])
		}
		if p.Memory <= 0 {
			t.Errorf("%s: memory estimate %v", p.Spec.Regime, p.Memory)
		}
	}
	var b strings.Builder
	if err := WritePlan(&b, plan); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(b.String(), "4 runs: 1 new, 1 to resume, 1 done, 1 refused or unreadable\n") {
		t.Errorf("plan:\n%s", b.String())
	}
	if _, err := PlanStates(specs[2:3]); err != nil {
		t.Fatal(err)
	}
	if p, _ := PlanStates(specs[2:3]); p[0].State != "new" {
		t.Errorf("planning created the new run: %q", p[0].State)
	}
}
