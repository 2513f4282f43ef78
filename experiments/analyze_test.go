package experiments

import (
	"context"
	"math"
	"strings"
	"testing"

	"branchspec/results"
)

// TestAnalyzeReproducesLoggedMetrics: recomputing the metrics from stored
// checkpoints gives the values logged during training, bit for bit, also
// for a subset of the metric groups.
func TestAnalyzeReproducesLoggedMetrics(t *testing.T) {
	cfg := tinyConfig(t, "checkpoint.keep=all")
	dir, err := Start(context.Background(), cfg, t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, groups := range [][]string{nil, {"lesion", "kernel"}} {
		version := "test-" + strings.Join(groups, "+")
		n, err := Analyze(dir, groups, version, nil)
		if err != nil {
			t.Fatal(err)
		}
		run, _ := results.Open(dir, nil)
		cks, _ := run.Checkpoints()
		if n != len(cks) {
			t.Errorf("analyzed %d checkpoints, run has %d", n, len(cks))
		}
		logged := map[int]map[string]float64{}
		rows, _ := run.Rows()
		for _, r := range rows {
			logged[r.Step] = r.Values
		}
		got, err := run.Analysis(version)
		if err != nil {
			t.Fatal(err)
		}
		compared := 0
		for _, r := range got {
			for k, v := range r.Values {
				want, ok := logged[r.Step][k]
				if !ok {
					t.Errorf("step %d: %s recomputed but never logged", r.Step, k)
					continue
				}
				compared++
				if math.Float64bits(v) != math.Float64bits(want) {
					t.Errorf("step %d: %s = %v, logged %v", r.Step, k, v, want)
				}
			}
		}
		if compared < 10*len(cks) {
			t.Errorf("groups %v: only %d values compared", groups, compared)
		}
	}
}

// TestAnalyzeRunWithoutMetrics: a run trained with metrics off can still
// be analysed: the metrics come from its checkpoints and the origin it
// stored (its initial weights; an empty null).
func TestAnalyzeRunWithoutMetrics(t *testing.T) {
	cfg := tinyConfig(t, "checkpoint.keep=all", "metrics.enabled=false", "schedule.steps=4")
	dir, err := Start(context.Background(), cfg, t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Analyze(dir, nil, "test", nil); err != nil {
		t.Fatal(err)
	}
	run, _ := results.Open(dir, nil)
	got, err := run.Analysis("test")
	if err != nil || len(got) == 0 || got[len(got)-1].Values["chroma.eta2"] == 0 || got[len(got)-1].Values["drift.branch.0.0"] == 0 {
		t.Errorf("analysis of a run without metrics: %v, %v", got, err)
	}
}
