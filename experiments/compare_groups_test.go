package experiments

import (
	"errors"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"branchspec/configs"
	"branchspec/results"
)

// writeDoneRun stores a finished run of the tiny preset with sets applied,
// named name, seed seed, regime label regime, with one row.
func writeDoneRun(t *testing.T, dir, name, regime string, seed uint64, sets ...string) {
	t.Helper()
	cfg, err := configs.Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.SetAll(append(sets, "name="+strconv.Quote(name), "seed="+strconv.FormatUint(seed, 10))); err != nil {
		t.Fatal(err)
	}
	run, err := results.Create(dir, results.Info{Name: name, Seed: seed, ConfigText: cfg.Canonical(), ConfigHash: cfg.Hash(),
		Created: time.Unix(0, 0), Extra: map[string]string{"regime": regime, "experiment": filepath.Base(filepath.Dir(filepath.Dir(dir)))}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := results.Status{State: results.Done, Step: 8, Total: 8, Updated: time.Unix(0, 0)}
	if err := run.Commit(results.Commit{Rows: []results.Row{{Step: 8, Values: map[string]float64{"test.acc": 0.5}}}, Status: &st}); err != nil {
		t.Fatal(err)
	}
}

// TestLoadRunsRefusesMixedGroups: compare does not pool, under one regime
// label, runs of different configs (2- and 4-branch "baseline" runs were
// compared as n = 4), nor count one config and seed twice; before, both
// were pooled without a word. Grouping by experiment pools regimes on
// purpose and is not refused for it.
func TestLoadRunsRefusesMixedGroups(t *testing.T) {
	root := t.TempDir()
	two, four := filepath.Join(root, "two"), filepath.Join(root, "four")
	for _, seed := range []uint64{1, 2} {
		s := "seed-" + strconv.FormatUint(seed, 10)
		writeDoneRun(t, filepath.Join(two, "baseline", s), "baseline", "baseline", seed)
		writeDoneRun(t, filepath.Join(four, "baseline", s), "baseline", "baseline", seed, "model.branches=4")
	}
	_, err := LoadRuns([]string{two, four}, GroupByRegime)
	want := "group baseline pools runs of 2 configs: 2 run(s) like " + filepath.Join(two, "baseline", "seed-1") +
		"; 2 run(s) like " + filepath.Join(four, "baseline", "seed-1") +
		" differ from the first in model.branches = 4; compare them apart (a DIR each) or give their regimes different names"
	if !errors.Is(err, ErrInvalid) || err.Error() != want {
		t.Errorf("mixed configs:\n got: %v\nwant: %s", err, want)
	}
	if _, err := LoadRuns([]string{two, four}, GroupByName); !errors.Is(err, ErrInvalid) {
		t.Errorf("mixed configs by name: %v, want ErrInvalid", err)
	}
	if set, err := LoadRuns([]string{two}, GroupByRegime); err != nil || len(set.Runs) != 2 {
		t.Errorf("one config: %v", err)
	}

	// The same run twice: a copy in another directory.
	copyDir := filepath.Join(root, "copy")
	writeDoneRun(t, filepath.Join(copyDir, "baseline", "seed-1"), "baseline", "baseline", 1)
	_, err = LoadRuns([]string{two, copyDir}, GroupByRegime)
	want = "group baseline holds seed 1 twice with the same config: " + filepath.Join(two, "baseline", "seed-1") +
		" and " + filepath.Join(copyDir, "baseline", "seed-1") + " (one run copied, or found twice?); leave one out"
	if !errors.Is(err, ErrInvalid) || err.Error() != want {
		t.Errorf("repeated seed:\n got: %v\nwant: %s", err, want)
	}

	// By experiment, regimes of one experiment are pooled on purpose.
	exp := filepath.Join(root, "exp", "e")
	writeDoneRun(t, filepath.Join(exp, "a", "seed-1"), "a", "a", 1)
	writeDoneRun(t, filepath.Join(exp, "b", "seed-1"), "b", "b", 1, "data.grayscale=true")
	if _, err := LoadRuns([]string{exp}, GroupByExperiment); err != nil {
		t.Errorf("by experiment: %v", err)
	}
}
