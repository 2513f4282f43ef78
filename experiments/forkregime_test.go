package experiments

import (
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"branchspec/configs"
)

// TestForkRegimeErrors holds every error of a fork regime verbatim:
// positioned at the key it is about, naming what is allowed.
func TestForkRegimeErrors(t *testing.T) {
	// tiny: 30 steps, checkpoints at 0, 1, 2, 4, 8, 10, 20, 30, kept by
	// "schedule" (log-spaced and multiples of 10).
	const head = "name = \"x\"\nbase = \"tiny\"\n[regimes.base]\n"
	tests := []struct {
		name, text, want string
	}{
		{"unknown parent", head + "[regimes.f]\nfork = \"nope\"\nat = 10\n",
			`file.toml:5: regimes.f.fork: unknown regime "nope"; the regimes of this file: base, f`},
		{"fork without at", head + "[regimes.f]\nfork = \"base\"\n",
			`file.toml:5: regimes.f.fork: a fork regime needs at = STEP, the checkpoint step of regime base it starts from`},
		{"at without fork", head + "[regimes.f]\nat = 10\n",
			`file.toml:5: regimes.f.at: at is the step a fork regime starts from: add fork = "REGIME", the regime of this file it forks`},
		{"at not kept", head + "[regimes.f]\nfork = \"base\"\nat = 5\n",
			`file.toml:6: regimes.f.at: regime base keeps no checkpoint's weights at step 5 to its end (checkpoint.keep = "schedule"); a fork of it can start at 0, 1, 2, 4, 8, 10, 20`},
		{"at the last step", head + "[regimes.f]\nfork = \"base\"\nat = 30\n",
			`file.toml:6: regimes.f.at: step 30 is not before the fork's last step (schedule.steps = 30); a fork of regime base can start at 0, 1, 2, 4, 8, 10, 20`},
		{"at past a shorter fork", head + "[regimes.f]\nfork = \"base\"\nat = 10\nset = [\"schedule.steps=10\"]\n",
			`file.toml:6: regimes.f.at: step 10 is not before the fork's last step (schedule.steps = 10); a fork of regime base can start at 0, 1, 2, 4, 8`},
		{"at pruned by keep last", "name = \"x\"\nbase = \"tiny\"\nset = ['checkpoint.keep=\"last\"']\n[regimes.base]\n[regimes.f]\nfork = \"base\"\nat = 10\n",
			`file.toml:7: regimes.f.at: regime base keeps no checkpoint's weights at step 10 to its end (checkpoint.keep = "last"); a fork of it can start at 0, 20`},
		{"many steps", "name = \"x\"\nbase = \"tiny\"\nset = [\"checkpoint.every=1\"]\n[regimes.base]\n[regimes.f]\nfork = \"base\"\nat = 5\n",
			`file.toml:7: regimes.f.at: regime base keeps no checkpoint's weights at step 5 to its end (checkpoint.keep = "schedule"); a fork of it can start at 0, 1, 2, 4, 8, 10, 20`},
		{"fork of a fork before its start", head + "[regimes.f]\nfork = \"base\"\nat = 10\n[regimes.g]\nfork = \"f\"\nat = 8\n",
			`file.toml:9: regimes.g.at: regime f, forked at step 10, keeps no checkpoint's weights at step 8 to its end (checkpoint.keep = "schedule"); a fork of it can start at 10, 20`},
		{"negative at", head + "[regimes.f]\nfork = \"base\"\nat = -1\n",
			`file.toml:6: regimes.f.at: want a step in 0..2147483647, got -1`},
		{"float at", head + "[regimes.f]\nfork = \"base\"\nat = 1.5\n",
			`file.toml:6: regimes.f.at: want an integer step, got a float`},
		{"fork not a string", head + "[regimes.f]\nfork = 3\nat = 10\n",
			`file.toml:5: regimes.f.fork: want a string, got integer 3`},
		{"forks itself", head + "[regimes.f]\nfork = \"f\"\nat = 10\n",
			`file.toml:5: regimes.f.fork: the forks form a cycle (f forks f): the first regime of a chain of forks must be trained from scratch`},
		{"cycle", head + "[regimes.a]\nfork = \"base\"\nat = 10\n[regimes.f]\nfork = \"g\"\nat = 10\n[regimes.g]\nfork = \"f\"\nat = 10\n",
			`file.toml:8: regimes.f.fork: the forks form a cycle (f forks g, g forks f): the first regime of a chain of forks must be trained from scratch`},
		{"architecture", head + "[regimes.f]\nfork = \"base\"\nat = 10\nset = [\"optim.lr=0.01\", \"model.branches=4\"]\n",
			`file.toml:7: regimes.f.set[1]: model.branches: a fork cannot change the architecture or the state it starts from (regime base has 2, this fork 4); make it a regime trained from scratch (without fork)`},
		{"inside the architecture", head + "[regimes.f]\nfork = \"base\"\nat = 10\nset = [\"model.branch[1].out=8\"]\n",
			`file.toml:7: regimes.f.set[0]: model.branch: a fork cannot change the architecture or the state it starts from; make it a regime trained from scratch (without fork)`},
		{"mixing", head + "[regimes.f]\nfork = \"base\"\nat = 10\nset = ['regime.mixing={layer = \"branch.*.1\", p = 0.5}']\n",
			`file.toml:7: regimes.f.set[0]: regime.mixing: a fork cannot change the architecture or the state it starts from; make it a regime trained from scratch (without fork)`},
		{"bad value", head + "[regimes.f]\nfork = \"base\"\nat = 10\nset = [\"optim.lr=-1\"]\n",
			`file.toml:7: regimes.f.set[0]: optim.lr: must be > 0 and finite, got -1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseExperiment("file.toml", []byte(tt.text))
			if err == nil || err.Error() != tt.want {
				t.Errorf("error\n%v\nwant\n%s", err, tt.want)
			}
		})
	}
}

// hysteresis is a bias regime with a late counter-bias fork and a fork of
// that fork, declared before their parents, and a baseline.
const hysteresis = `name = "h"
base = "tiny"
seeds = [3, 1]
set = ["optim.lr=0.02", "metrics.enabled=false"]

[regimes.late]
fork = "counter"
at = 20
set = ["optim.lr=0.001"]

[regimes.counter]
fork = "bias"
at = 10
set = ["regime.bias.branch=1"]

[regimes.bias]
set = ["regime.bias.epsilon=0.3", "optim.lr=0.05"]

[regimes.baseline]
`

// TestForkRegimeRuns: the regimes trained from scratch come first in file
// order, then each level of forks; a fork's run names the same seed's run
// of its parent regime, and its config is the parent's with the fork's
// overrides (the experiment-wide ones do not undo the parent's).
func TestForkRegimeRuns(t *testing.T) {
	e, err := ParseExperiment("h.toml", []byte(hysteresis))
	if err != nil {
		t.Fatal(err)
	}
	specs, err := e.Runs("out", []string{"optim.batch_size=8"})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		regime string
		seed   uint64
		parent int // -1: trained from scratch
		at     int
		lr     float64
		branch int
	}
	want := []row{
		{"bias", 3, -1, 0, 0.05, 0}, {"bias", 1, -1, 0, 0.05, 0},
		{"baseline", 3, -1, 0, 0.02, 0}, {"baseline", 1, -1, 0, 0.02, 0},
		{"counter", 3, 0, 10, 0.05, 1}, {"counter", 1, 1, 10, 0.05, 1},
		{"late", 3, 4, 20, 0.001, 1}, {"late", 1, 5, 20, 0.001, 1},
	}
	if len(specs) != len(want) {
		t.Fatalf("%d runs, want %d", len(specs), len(want))
	}
	for i, s := range specs {
		w, c := want[i], s.Config
		if s.Index != i || s.Regime != w.regime || s.Seed != w.seed || c.Name != w.regime || c.Seed != w.seed ||
			c.Optim.LR != w.lr || c.Regime.Bias.Branch != w.branch || c.Optim.BatchSize != 8 || c.Regime.Bias.Epsilon != 0.3 && w.regime != "baseline" {
			t.Errorf("run %d: %s seed %d, config %s seed %d lr %v bias %+v batch %d; want %+v",
				i, s.Regime, s.Seed, c.Name, c.Seed, c.Optim.LR, c.Regime.Bias, c.Optim.BatchSize, w)
		}
		if s.Dir != filepath.Join("out", "h", w.regime, "seed-"+strconv.FormatUint(w.seed, 10)) {
			t.Errorf("run %d: dir %s", i, s.Dir)
		}
		switch p := s.Parent; {
		case w.parent < 0 && p != nil:
			t.Errorf("run %d (%s) has a parent: %+v", i, s.Regime, *p)
		case w.parent >= 0 && p == nil:
			t.Errorf("run %d (%s) has no parent", i, s.Regime)
		case w.parent >= 0:
			ps := specs[w.parent]
			if *p != (ParentRun{Index: w.parent, Regime: ps.Regime, Dir: ps.Dir, At: w.at, ConfigHash: ps.Config.Hash()}) {
				t.Errorf("run %d (%s): parent %+v, want run %d at %d", i, s.Regime, *p, w.parent, w.at)
			}
			if err := CheckFork(ps.Config, c); err != nil {
				t.Errorf("run %d: %v", i, err)
			}
		}
	}
	// Overrides for every run that a fork may not change are no error:
	// the parents take them too. So is a seed, which the file's seeds
	// replace in every run.
	for _, set := range []string{"model.branches=4", "optim.algorithm=sgd", "seed=9"} {
		specs, err := e.Runs("out", []string{set})
		if err != nil {
			t.Fatalf("--set %s: %v", set, err)
		}
		if c := specs[7].Config; c.Seed != 1 {
			t.Errorf("--set %s: fork seed %d", set, c.Seed)
		}
	}
}

// TestForkSteps: the steps a fork can start from are the checkpoint steps
// from the run's start on whose weights the keep rule leaves at the end
// (hand-listed from tiny's schedule: 0, 1, 2, 4, 8, 10, 20, 30).
func TestForkSteps(t *testing.T) {
	tiny := configs.Checkpoint{LogUntil: 8, Every: 10, Keep: configs.KeepSchedule, KeepLast: 2, KeepEvery: 10}
	last, all := tiny, tiny
	last.Keep, all.Keep = configs.KeepLast, configs.KeepAll
	tests := []struct {
		name         string
		c            configs.Checkpoint
		start, total int
		want         []int
	}{
		{"schedule", tiny, 0, 30, []int{0, 1, 2, 4, 8, 10, 20, 30}},
		{"schedule from a fork at 10", tiny, 10, 30, []int{10, 20, 30}},
		{"last 2", last, 0, 30, []int{0, 20, 30}},
		{"last 2 from a fork at 8", last, 8, 30, []int{20, 30}},
		{"all, off-schedule end", all, 0, 25, []int{0, 1, 2, 4, 8, 10, 20, 25}},
		{"no steps", tiny, 0, 0, []int{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ForkSteps(tt.c, tt.start, tt.total); !slices.Equal(got, tt.want) {
				t.Errorf("ForkSteps(%+v, %d, %d) = %v, want %v", tt.c, tt.start, tt.total, got, tt.want)
			}
		})
	}
}
