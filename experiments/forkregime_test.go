package experiments

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"branchspec/configs"
	"branchspec/results"
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
			`file.toml:5: regimes.f.fork: a fork regime needs at = STEP, the checkpoint step of regime "base" it starts from`},
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
		{"fork without at, a name with a line break", head + "[regimes.f]\nfork = \"a\\nb\"\n",
			`file.toml:5: regimes.f.fork: a fork regime needs at = STEP, the checkpoint step of regime "a\nb" it starts from`},
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
		{"fork seeds not among the parent's", "name = \"x\"\nbase = \"tiny\"\nseeds = 2\n[regimes.base]\n[regimes.f]\nfork = \"base\"\nat = 10\nseeds = [2, 3]\n",
			`file.toml:8: regimes.f.seeds: seed 3 has no run of regime "base" to fork (its seeds: 1, 2); a fork regime's seeds must be among its parent's`},
		{"fork of a parent with fewer seeds", "name = \"x\"\nbase = \"tiny\"\nseeds = 5\n[regimes.base]\nseeds = [1, 2]\n[regimes.f]\nfork = \"base\"\nat = 10\n",
			`file.toml:7: regimes.f.fork: seed 3 has no run of regime "base" to fork (its seeds: 1, 2); a fork regime's seeds must be among its parent's`},
		{"bad regime seeds", head + "[regimes.f]\nseeds = 0\n",
			`file.toml:5: regimes.f.seeds: a count must be in 1..10000, got 0`},
		{"repeated regime seed", head + "[regimes.f]\nseeds = [4, 4]\n",
			`file.toml:5: regimes.f.seeds: seed 4 repeats`},
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

// TestRegimeSeeds: a regime's own seeds replace the file's for it alone
// (a baseline with more seeds), a fork regime takes its own or the file's
// seeds and finds each one's parent run, and --seeds (WithSeeds) gives
// every regime 1..n.
func TestRegimeSeeds(t *testing.T) {
	const text = `name = "s"
base = "tiny"
seeds = 2
[regimes.baseline]
seeds = 4
[regimes.bias]
set = ["regime.bias.epsilon=0.3"]
[regimes.counter]
fork = "baseline"
at = 10
seeds = [4, 2]
`
	e, err := ParseExperiment("s.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if n := e.RunCount(); n != 8 {
		t.Errorf("RunCount = %d, want 8", n)
	}
	specs, err := e.Runs("out", nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range specs {
		r := fmt.Sprintf("%s/%d", s.Regime, s.Seed)
		if s.Parent != nil {
			r += fmt.Sprintf("<-%d", s.Parent.Index)
			if p := specs[s.Parent.Index]; p.Seed != s.Seed || p.Regime != "baseline" {
				t.Errorf("%s forks %s/%d", r, p.Regime, p.Seed)
			}
		}
		if s.Config.Seed != s.Seed {
			t.Errorf("%s: config seed %d", r, s.Config.Seed)
		}
		got = append(got, r)
	}
	want := "baseline/1 baseline/2 baseline/3 baseline/4 bias/1 bias/2 counter/4<-3 counter/2<-1"
	if strings.Join(got, " ") != want {
		t.Errorf("runs %s\nwant %s", strings.Join(got, " "), want)
	}
	all := e.WithSeeds(3)
	if n := all.RunCount(); n != 9 {
		t.Errorf("WithSeeds(3).RunCount = %d, want 9", n)
	}
	if e.Regimes[0].Seeds == nil {
		t.Error("WithSeeds changed the experiment it was called on")
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

// counterBias is a chromatic bias on branch 0 and, forked from it at step
// 10, a late counter-bias on branch 1 (issue 12's hysteresis regime).
const counterBias = `name = "h"
base = "tiny"
seeds = 2
set = ["schedule.steps=20", "metrics.enabled=false"]

[regimes.counter]
fork = "bias"
at = 10
set = ["regime.bias.branch=1"]

[regimes.bias]
set = ["regime.bias.epsilon=0.3"]
`

// forkSweep expands counterBias under out: bias seeds 1, 2, then counter
// seeds 1, 2.
func forkSweep(t *testing.T, out string) (*Experiment, []RunSpec) {
	t.Helper()
	return expandExperiment(t, counterBias, out)
}

// expandExperiment parses the experiment file text and expands its runs
// under out.
func expandExperiment(t *testing.T, text, out string) (*Experiment, []RunSpec) {
	t.Helper()
	e, err := ParseExperiment("h.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	specs, err := e.Runs(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e, specs
}

// sameFork checks that the sweep's fork run in got equals, bit for bit,
// the run want made by Fork from the same parent: config, lineage, labels,
// the weights' SHA-256 at every checkpoint and every logged value.
func sameFork(t *testing.T, got, want string) {
	t.Helper()
	info := func(dir string) results.Info {
		run, err := results.Open(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		i, err := run.Info()
		if err != nil {
			t.Fatal(err)
		}
		return i
	}
	gi, wi := info(got), info(want)
	abs := func(dir, p string) string { return filepath.Clean(filepath.Join(dir, p)) }
	if gi.ConfigHash != wi.ConfigHash || gi.ParentStep != wi.ParentStep || abs(got, gi.Parent) != abs(want, wi.Parent) ||
		!maps.Equal(gi.Extra, wi.Extra) {
		t.Errorf("%s: config %.12s, parent %s at %d, extra %v;\nFork made config %.12s, parent %s at %d, extra %v",
			got, gi.ConfigHash, abs(got, gi.Parent), gi.ParentStep, gi.Extra, wi.ConfigHash, abs(want, wi.Parent), wi.ParentStep, wi.Extra)
	}
	g, w := record(t, got), record(t, want)
	for step := range w.sha {
		if _, ok := g.sha[step]; !ok {
			t.Errorf("%s: no checkpoint at %d; Fork made %v", got, step, w.sha)
		}
	}
	sameRun(t, g, w)
	if g.st.State != results.Done || g.st.Step != w.st.Step {
		t.Errorf("%s: status %+v, Fork's %+v", got, g.st, w.st)
	}
}

// manualForks makes, with Fork, the runs of the fork specs from their
// parents' runs under ref, labelled as the sweep labels them.
func manualForks(t *testing.T, e *Experiment, specs []RunSpec, ref string) map[int]string {
	t.Helper()
	dirs := map[int]string{}
	for _, s := range specs {
		if s.Parent == nil {
			continue
		}
		r, _ := e.regime(s.Regime)
		dir, err := Fork(context.Background(), s.Parent.Dir, ForkOptions{At: s.Parent.At, Set: r.Set, Name: s.Regime,
			Out: filepath.Join(ref, strconv.FormatUint(s.Seed, 10))}, Options{Extra: s.extra(e.Name)})
		if err != nil {
			t.Fatal(err)
		}
		dirs[s.Index] = dir
	}
	return dirs
}

// TestSweepForkRegime: a sweep trains the parents, then forks each at step
// 10 into a run equal bit for bit to one made by Fork; the fork applied
// the counter-bias (its weights at 10 differ from its parent's); a second
// sweep does no work.
func TestSweepForkRegime(t *testing.T) {
	out := t.TempDir()
	e, specs := forkSweep(t, out)
	var log bytes.Buffer
	rep, err := Sweep(context.Background(), specs, SweepOptions{Jobs: 2, Experiment: e.Name, Progress: &log})
	if err != nil || rep.Count(Trained) != 4 {
		t.Fatalf("sweep: %v; %s\n%s", err, rep.Summary(), log.String())
	}
	// With two jobs each fork waits for its parent to end.
	lines := strings.Split(log.String(), "\n")
	at := func(part string) int {
		return slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, part) })
	}
	for _, seed := range []string{"seed-1", "seed-2"} {
		if done, start := at("bias/"+seed+" done"), at("start counter/"+seed); done < 0 || start < done {
			t.Errorf("counter/%s started at line %d, its parent ended at line %d:\n%s", seed, start, done, log.String())
		}
	}
	refs := manualForks(t, e, specs, t.TempDir())
	for _, s := range specs[2:] {
		sameFork(t, s.Dir, refs[s.Index])
		if pa, fo := record(t, s.Parent.Dir).sha[10], record(t, s.Dir).sha[10]; pa == "" || pa == fo {
			t.Errorf("%s: weights at the fork step %s, parent's %s: the counter-bias was not applied", s.Dir, fo, pa)
		}
	}
	rep, err = Sweep(context.Background(), specs, SweepOptions{Jobs: 2, Experiment: e.Name})
	if err != nil || rep.Count(Skipped) != 4 {
		t.Fatalf("second sweep: %v; %s", err, rep.Summary())
	}
}

// TestSweepForkRegimeResume interrupts a sweep twice: during a parent
// (its fork does not start) and during a fork (the fork is checkpointed).
// Each next sweep goes on where the last stopped, resuming the fork it
// made, never forking again, to runs equal bit for bit to Fork's.
func TestSweepForkRegimeResume(t *testing.T) {
	out := t.TempDir()
	e, specs := forkSweep(t, out)
	// cancelAfter cancels once dir's run exists and the clock, read at
	// least once per step, has been read n more times.
	cancelAfter := func(dir string, n int) (context.Context, func() time.Time) {
		ctx, cancel := context.WithCancel(context.Background())
		return ctx, func() time.Time {
			if _, err := os.Stat(filepath.Join(dir, "run.db")); err == nil {
				if n--; n == 0 {
					cancel()
				}
			}
			return time.Unix(0, 0)
		}
	}
	ctx, now := cancelAfter(specs[0].Dir, 20)
	rep, err := Sweep(ctx, specs, SweepOptions{Experiment: e.Name, Now: now})
	if !errors.Is(err, ErrInterrupted) || !slices.Equal(rep.Outcomes, []RunOutcome{Interrupted, NotStarted, NotStarted, NotStarted}) {
		t.Fatalf("cancelled in the first parent: %v; %v", err, rep.Outcomes)
	}
	ctx, now = cancelAfter(specs[3].Dir, 20)
	rep, err = Sweep(ctx, specs, SweepOptions{Experiment: e.Name, Now: now})
	if !errors.Is(err, ErrInterrupted) || !slices.Equal(rep.Outcomes, []RunOutcome{Trained, Trained, Trained, Interrupted}) {
		t.Fatalf("cancelled in the second fork: %v; %v", err, rep.Outcomes)
	}
	st := record(t, specs[3].Dir).st
	if st.State != results.Stopped || st.Step <= 10 || st.Step >= 20 {
		t.Fatalf("interrupted fork: %+v", st)
	}
	var log bytes.Buffer
	rep, err = Sweep(context.Background(), specs, SweepOptions{Experiment: e.Name, Progress: &log})
	if err != nil || !slices.Equal(rep.Outcomes, []RunOutcome{Skipped, Skipped, Skipped, Trained}) {
		t.Fatalf("third sweep: %v; %v", err, rep.Outcomes)
	}
	if !strings.Contains(log.String(), fmt.Sprintf("start counter/seed-2 from step %d\n", st.Step)) {
		t.Errorf("the fork did not resume:\n%s", log.String())
	}
	refs := manualForks(t, e, specs, t.TempDir())
	for _, s := range specs[2:] {
		sameFork(t, s.Dir, refs[s.Index])
	}
}

// TestSweepForkRegimeStopAt: a fork waits while its parent stops before
// the fork step; once the parent is stopped at or past it, the fork is
// made and stopped there too; the full sweep then ends both as Fork would.
func TestSweepForkRegimeStopAt(t *testing.T) {
	out := t.TempDir()
	e, specs := forkSweep(t, out)
	var log bytes.Buffer
	rep, err := Sweep(context.Background(), specs, SweepOptions{StopAt: 8, Experiment: e.Name, Progress: &log})
	if err != nil || !slices.Equal(rep.Outcomes, []RunOutcome{Trained, Trained, Waiting, Waiting}) {
		t.Fatalf("--stop-at 8: %v; %v", err, rep.Outcomes)
	}
	for _, want := range []string{
		"counter/seed-1 waiting: the parent run has not reached the fork step yet: " + specs[0].Dir + " is stopped at step 8 of 20, the fork starts at 10",
		"sweep: 4 runs: 2 trained, 2 waiting",
	} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
	if _, err := os.Stat(specs[2].Dir); !os.IsNotExist(err) {
		t.Errorf("a waiting fork made %s: %v", specs[2].Dir, err)
	}
	for _, stop := range []int{10, 15} {
		rep, err = Sweep(context.Background(), specs, SweepOptions{StopAt: stop, Experiment: e.Name})
		if err != nil || rep.Count(Trained) != 4 {
			t.Fatalf("--stop-at %d: %v; %v", stop, err, rep.Outcomes)
		}
		for _, s := range specs {
			if st := record(t, s.Dir).st; st.State != results.Stopped || st.Step != stop {
				t.Errorf("--stop-at %d: %s %+v", stop, s.Dir, st)
			}
		}
	}
	if rep, err = Sweep(context.Background(), specs, SweepOptions{Experiment: e.Name}); err != nil || rep.Count(Trained) != 4 {
		t.Fatalf("full sweep: %v; %v", err, rep.Outcomes)
	}
	refs := manualForks(t, e, specs, t.TempDir())
	for _, s := range specs[2:] {
		sameFork(t, s.Dir, refs[s.Index])
	}
}

// TestSweepForkRegimeFailures: a parent that fails fails its fork, naming
// the parent and why; the other seed's pair is trained. A directory that
// holds a run other than the fork is never forked over.
func TestSweepForkRegimeFailures(t *testing.T) {
	out := t.TempDir()
	e, specs := forkSweep(t, out)
	// Seed 1's parent directory holds a run of another config.
	other := tinyConfig(t, "schedule.steps=3", "schedule.warmup=0", "metrics.enabled=false")
	if err := StartIn(context.Background(), other, specs[0].Dir, Options{}); err != nil {
		t.Fatal(err)
	}
	// Seed 2's fork directory holds the fork's config trained from scratch.
	if err := StartIn(context.Background(), specs[3].Config, specs[3].Dir, Options{StopAt: 2}); err != nil {
		t.Fatal(err)
	}
	rep, err := Sweep(context.Background(), specs, SweepOptions{Jobs: 2, Experiment: e.Name})
	if err == nil || !slices.Equal(rep.Outcomes, []RunOutcome{Failed, Trained, Failed, Failed}) {
		t.Fatalf("%v; %v", err, rep.Outcomes)
	}
	perr := specs[0].Dir + " holds a run of config " + other.Hash()[:12] + ", not " + specs[0].Config.Hash()[:12] + ": move it away or choose another --out"
	want := []string{
		perr,
		"",
		"not forked: its parent bias/seed-1 failed: " + perr,
		specs[3].Dir + " holds a run trained from scratch, not a fork of " + specs[1].Dir + " at step 10: move it away or choose another --out",
	}
	for i, w := range want {
		if got := fmt.Sprint(rep.Errs[i]); w != "" && got != w {
			t.Errorf("run %d: error\n%s\nwant\n%s", i, got, w)
		}
	}
	if _, err := os.Stat(specs[2].Dir); !os.IsNotExist(err) {
		t.Errorf("the fork of a failed parent made %s: %v", specs[2].Dir, err)
	}
	if st := record(t, specs[3].Dir).st; st.State != results.Stopped || st.Step != 2 {
		t.Errorf("the run in the fork's directory was changed: %+v", st)
	}
}

// TestPlanForkRegime: a dry run shows where each run starts from (REGIME@STEP
// for a fork) and what the sweep would do with it, refusing a directory
// that holds a run other than the fork.
func TestPlanForkRegime(t *testing.T) {
	out := t.TempDir()
	e, specs := forkSweep(t, out)
	if _, err := Sweep(context.Background(), specs[:1], SweepOptions{StopAt: 8, Experiment: e.Name}); err != nil {
		t.Fatal(err)
	}
	if _, err := Sweep(context.Background(), specs[1:2], SweepOptions{Experiment: e.Name}); err != nil {
		t.Fatal(err)
	}
	if err := StartIn(context.Background(), specs[3].Config, specs[3].Dir, Options{StopAt: 2}); err != nil {
		t.Fatal(err)
	}
	plan, err := PlanStates(specs)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := WritePlan(&b, plan); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	want := []string{
		`^regime +seed +config +from +state +memory +dir$`,
		`^bias +1 +` + specs[0].Config.Hash()[:12] + ` +- +resume 8/20 +\S+ \S+ +` + regexp.QuoteMeta(specs[0].Dir) + `$`,
		`^bias +2 +` + specs[1].Config.Hash()[:12] + ` +- +done +`,
		`^counter +1 +` + specs[2].Config.Hash()[:12] + ` +bias@10 +new +`,
		`^counter +2 +` + specs[3].Config.Hash()[:12] + ` +bias@10 +refused: holds a run trained from scratch +`,
		`^4 runs: 1 new, 1 to resume, 1 done, 1 refused or unreadable$`,
	}
	if len(lines) != len(want) {
		t.Fatalf("plan:\n%s", b.String())
	}
	for i, w := range want {
		if !regexp.MustCompile(w).MatchString(lines[i]) {
			t.Errorf("line %d:\n%s\ndoes not match %s", i, lines[i], w)
		}
	}
}
