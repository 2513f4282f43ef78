package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"branchspec/results/report"
)

// compareRuns trains two regimes of two short tiny runs each and one run
// stopped early, and returns the directory above them.
func compareRuns(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "exp")
	for _, seed := range []string{"1", "2"} {
		for _, sets := range [][]string{{"name=baseline"}, {"name=gray", "data.grayscale=true"}} {
			args := []string{"run", "tiny", "--out", out, "--seed", seed, "--set", "schedule.steps=10"}
			for _, s := range sets {
				args = append(args, "--set", s)
			}
			if code, _, stderr := cli(t, args...); code != 0 {
				t.Fatalf("run %v: exit %d: %s", args, code, stderr)
			}
		}
	}
	code, _, stderr := cli(t, "run", "tiny", "--out", out, "--seed", "3", "--set", "schedule.steps=10", "--set", "name=gray", "--stop-at", "2")
	if code != 0 {
		t.Fatalf("stopped run: exit %d: %s", code, stderr)
	}
	return out
}

func TestCompareAndReport(t *testing.T) {
	out := compareRuns(t)
	code, stdout, stderr := cli(t, "compare", out)
	if code != 0 {
		t.Fatalf("compare: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"runs: 4 finished in 2 groups, 1 left out", "stopped: stop-at 2",
		"contrasts with baseline", "chroma.eta2", "feedback signature", "no evidence of a difference (n=2 vs 2)"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("compare output lacks %q:\n%s", want, stdout)
		}
	}

	code, stdout, stderr = cli(t, "compare", out, "--json", "--metric", "test.acc")
	var js struct {
		Groups    []string         `json:"groups"`
		Metrics   []string         `json:"metrics"`
		Values    []map[string]any `json:"values"`
		Contrasts []map[string]any `json:"contrasts"`
		Skipped   []struct{ Reason string }
	}
	if err := json.Unmarshal([]byte(stdout), &js); code != 0 || err != nil {
		t.Fatalf("compare --json: exit %d, %v: %s%s", code, err, stderr, stdout)
	}
	if strings.Join(js.Groups, ",") != "baseline,gray" || strings.Join(js.Metrics, ",") != "test.acc" ||
		len(js.Values) == 0 || len(js.Contrasts) != 2 || len(js.Skipped) != 1 {
		t.Errorf("compare --json: groups %v, metrics %v, %d values, %d contrasts, %d skipped",
			js.Groups, js.Metrics, len(js.Values), len(js.Contrasts), len(js.Skipped))
	}

	plots := filepath.Join(t.TempDir(), "plots")
	code, stdout, stderr = cli(t, "compare", out, "--csv", "--table", "contrasts", "--metric", "rejoin.maxshare", "--plots", plots)
	if code != 0 || !strings.HasPrefix(stdout, "regime,baseline,metric,measure,family,n,n_baseline,") || strings.Count(stdout, "\n") != 3 {
		t.Errorf("compare --csv --table contrasts: exit %d: %s%s", code, stderr, stdout)
	}
	for _, f := range []string{"rejoin.maxshare.png", "rejoin.maxshare.svg"} {
		if st, err := os.Stat(filepath.Join(plots, f)); err != nil || st.Size() == 0 {
			t.Errorf("plot %s: %v", f, err)
		}
	}
	if code, _, _ := cli(t, "compare", out, "--csv", "--table", "nope"); code != 2 {
		t.Errorf("unknown --table: exit %d, want 2", code)
	}

	html := filepath.Join(t.TempDir(), "report.html")
	code, stdout, stderr = cli(t, "report", out, "-o", html)
	if code != 0 {
		t.Fatalf("report: exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(html)
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for _, id := range report.Sections {
		if !strings.Contains(page, `<section id="`+id+`">`) {
			t.Errorf("report lacks section %q", id)
		}
	}
	for _, want := range []string{"data.grayscale = true", "stop-at 2", "baseline, seed 1, step 0", "baseline, seed 1, step 10", "A[o,b]"} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}
