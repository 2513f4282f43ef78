package experiments

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"branchspec/results"
)

// parentRun trains a tiny run that keeps every checkpoint.
func parentRun(t *testing.T, root string, sets ...string) string {
	t.Helper()
	cfg := tinyConfig(t, append([]string{"checkpoint.keep=all"}, sets...)...)
	return must(Start(context.Background(), cfg, root, Options{Extra: map[string]string{"experiment": "e", "regime": cfg.Name}}))
}

// TestForkWithoutOverridesContinuesAsParent: a fork that changes nothing
// has the parent's weights at every later checkpoint and logs the same
// values after the fork step.
func TestForkWithoutOverridesContinuesAsParent(t *testing.T) {
	root := t.TempDir()
	parent := parentRun(t, filepath.Join(root, "p"))
	want := record(t, parent)
	for _, at := range []int{8, 10} {
		dir, err := Fork(context.Background(), parent, ForkOptions{At: at}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		got := record(t, dir)
		if got.st.State != results.Done || got.st.Step != 30 {
			t.Fatalf("fork status %+v", got.st)
		}
		for step, sha := range want.sha {
			if g, ok := got.sha[step]; step >= at && (!ok || g != sha) {
				t.Errorf("fork at %d: step %d sha %s, want %s", at, step, g, sha)
			}
			if _, ok := got.sha[step]; step < at && ok {
				t.Errorf("fork at %d has a checkpoint at %d, before it started", at, step)
			}
		}
		for step, vals := range want.rows {
			if step <= at {
				continue
			}
			for k, v := range vals {
				if g := got.rows[step][k]; g != v {
					t.Errorf("fork at %d: step %d %s = %v, want %v", at, step, k, g, v)
				}
			}
		}
	}
}

func TestForkLineage(t *testing.T) {
	root := t.TempDir()
	parent := parentRun(t, filepath.Join(root, "res"))
	dir, err := Fork(context.Background(), parent, ForkOptions{At: 10, Set: []string{"optim.lr=0.001"}}, Options{StopAt: 12})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "res", "tiny-fork10", "seed-1"); dir != want {
		t.Errorf("fork dir %s, want %s (next to the parent)", dir, want)
	}
	run, _ := results.Open(dir, nil)
	info, _ := run.Info()
	if info.ParentStep != 10 || filepath.Clean(filepath.Join(dir, info.Parent)) != filepath.Clean(parent) {
		t.Errorf("lineage: parent %q step %d, want %s at 10", info.Parent, info.ParentStep, parent)
	}
	if info.Extra["experiment"] != "e" || info.Extra["regime"] != "tiny-fork10" {
		t.Errorf("extra %v", info.Extra)
	}
	cfg, _ := RunConfig(run)
	if cfg.Optim.LR != 0.001 || cfg.Name != "tiny-fork10" {
		t.Errorf("fork config lr %v name %s", cfg.Optim.LR, cfg.Name)
	}
	if st, _ := run.Status(); st.State != results.Stopped || st.Step != 12 {
		t.Errorf("fork with --stop-at 12: %+v", st)
	}
	// The fork resumes like any run.
	if err := Resume(context.Background(), dir, Options{}); err != nil {
		t.Fatal(err)
	}
	named, err := Fork(context.Background(), parent, ForkOptions{At: 4, Name: "late", Out: filepath.Join(root, "elsewhere")}, Options{StopAt: 5})
	if err != nil || named != filepath.Join(root, "elsewhere", "late", "seed-1") {
		t.Errorf("named fork: %s, %v", named, err)
	}
	if _, err := Fork(context.Background(), parent, ForkOptions{At: 10, Set: []string{"optim.lr=0.001"}}, Options{}); !errors.Is(err, results.ErrExists) {
		t.Errorf("second fork of the same name: %v, want ErrExists", err)
	}
}

func TestForkRefuses(t *testing.T) {
	root := t.TempDir()
	parent := parentRun(t, filepath.Join(root, "res"), "schedule.steps=12", "metrics.enabled=false")
	tests := []struct {
		name string
		fo   ForkOptions
		want string
		arch bool
	}{
		{"branches", ForkOptions{At: 4, Set: []string{"model.branches=4"}}, "model.branches", true},
		{"width", ForkOptions{At: 4, Set: []string{"model.branch[1].out=8"}}, "model.branch", true},
		{"mixing", ForkOptions{At: 4, Set: []string{`regime.mixing={layer = "branch.*.1", p = 0.5}`}}, "regime.mixing", true},
		{"seed", ForkOptions{At: 4, Set: []string{"seed=2"}}, "seed", true},
		{"algorithm", ForkOptions{At: 4, Set: []string{"optim.algorithm=sgd"}}, "optim.algorithm", true},
		{"classes", ForkOptions{At: 4, Set: []string{"data.synthetic.hues=3"}}, "data.synthetic.hues", true},
		{"bad value", ForkOptions{At: 4, Set: []string{"optim.lr=-1"}}, "optim.lr", false},
		{"no checkpoint", ForkOptions{At: 5}, "checkpoints with weights: 0, 1, 2, 4, 8, 10, 12", false},
		{"at the end", ForkOptions{At: 12}, "want 0 <= step < schedule.steps", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, err := Fork(context.Background(), parent, tt.fo, Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) || errors.Is(err, ErrForkArchitecture) != tt.arch {
				t.Fatalf("error %v, want one naming %q (architecture: %v)", err, tt.want, tt.arch)
			}
			if dir != "" {
				t.Errorf("a refused fork created %s", dir)
			}
		})
	}
}

// TestForkAppliesLateBias: a fork that changes regime.bias applies it to
// the forked weights at the fork step, and only to the named branch.
func TestForkAppliesLateBias(t *testing.T) {
	root := t.TempDir()
	parent := parentRun(t, filepath.Join(root, "res"), "schedule.steps=12")
	dir, err := Fork(context.Background(), parent, ForkOptions{At: 8, Set: []string{"regime.bias.branch=1", "regime.bias.epsilon=1"}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	prow, frow := record(t, parent).rows[8], record(t, dir).rows[8]
	if frow["chroma.b0"] != prow["chroma.b0"] {
		t.Errorf("branch 0 chroma moved: %v -> %v", prow["chroma.b0"], frow["chroma.b0"])
	}
	if !(frow["chroma.b1"] > prow["chroma.b1"]) {
		t.Errorf("branch 1 chroma %v -> %v, want a rise", prow["chroma.b1"], frow["chroma.b1"])
	}
}
