package main

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// oldRun is a run written before the package boundaries were redrawn, by
// branchspec at commit 71c75cb (status records of version 1):
//
//	branchspec run tiny --set schedule.steps=6 --set checkpoint.keep=all --stop-at 3
//
// gzipped, so the fixture stays small.
const oldRun = "testdata/run-71c75cb.db.gz"

// oldRunArgs are that run's config arguments.
var oldRunArgs = []string{"tiny", "--set", "schedule.steps=6", "--set", "checkpoint.keep=all"}

// unpackOldRun writes the fixture's run.db into a new run directory.
func unpackOldRun(t *testing.T) string {
	t.Helper()
	f, err := os.Open(oldRun)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "tiny", "seed-1")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(filepath.Join(dir, "run.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, zr); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// reproducible drops the wall-clock rows and the run column of 'show
// --csv' output, leaving what every rerun and resume reproduces.
func reproducible(csv string) string {
	var keep []string
	for _, line := range strings.Split(csv, "\n") {
		_, rest, _ := strings.Cut(line, ",")
		if strings.Contains(rest, ",wall,") || strings.Contains(rest, ",cost.") {
			continue
		}
		keep = append(keep, rest)
	}
	return strings.Join(keep, "\n")
}

// TestOldRunShowsResumesAnalyzes: a run stopped by the program before this
// version still shows and lists as it did; it resumes to the bits of a run
// trained now without a stop (the weights at every checkpoint, and every
// value logged after the resume, with the metrics of science.md revision
// 2 measured against the origin the resume stores); and its analysis
// reproduces every value a run trained now logs at every checkpoint,
// including those logged before the resume under revision 1's metrics.
func TestOldRunShowsResumesAnalyzes(t *testing.T) {
	dir := unpackOldRun(t)
	code, stdout, stderr := cli(t, "show", dir)
	for _, want := range []string{"version  0.1.0-dev", "status   stopped at step 3/6", "checkpoints (4)"} {
		if code != 0 || !strings.Contains(stdout, want) {
			t.Errorf("show (exit %d, %s) lacks %q:\n%s", code, stderr, want, stdout)
		}
	}
	code, stdout, _ = cli(t, "ls", filepath.Dir(filepath.Dir(dir)))
	if code != 0 || !strings.Contains(stdout, "3/6   0.250     stopped") {
		t.Errorf("ls (exit %d):\n%s", code, stdout)
	}

	// The fixture's products are the pure-Go GEMM's (AVX2 bits); a build
	// with other ones cannot give its bits ('make test' runs this test
	// again in the pure-Go build).
	_, v, _ := cli(t, "version")
	if !strings.Contains(v, "matrix products: pure-go/") {
		t.Skipf("the old run's bits are the pure-Go GEMM's; this build's are not (%s)", strings.TrimSpace(v))
	}
	if code, _, stderr := cli(t, "resume", dir); code != 0 {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	ref := t.TempDir()
	if code, _, stderr := cli(t, append([]string{"run", "--out", ref}, oldRunArgs...)...); code != 0 {
		t.Fatalf("reference run: exit %d: %s", code, stderr)
	}
	refDir := filepath.Join(ref, "tiny", "seed-1")
	want, _ := checkpointSHAs(t, refDir)
	got, st := checkpointSHAs(t, dir)
	if st.State != "done" || len(want) == 0 {
		t.Fatalf("resumed: %+v; reference checkpoints %v", st, want)
	}
	for step, sha := range want {
		if got[step] != sha {
			t.Errorf("step %d: resumed sha %s, uninterrupted %s", step, got[step], sha)
		}
	}
	_, gotCSV, _ := cli(t, "show", dir, "--csv")
	_, wantCSV, _ := cli(t, "show", refDir, "--csv")
	after := func(csv string) string { return linesFrom(reproducible(csv), 4) }
	if after(gotCSV) != after(wantCSV) {
		t.Errorf("resumed old run's values after the resume differ from an uninterrupted run's:\n%s\nwant\n%s", after(gotCSV), after(wantCSV))
	}

	if code, _, stderr := cli(t, "analyze", dir); code != 0 {
		t.Fatalf("analyze: exit %d: %s", code, stderr)
	}
	// The analysis overlays the logged values (it also measures the
	// off-schedule checkpoint at step 3, which logged none).
	_, analyzed, _ := cli(t, "show", dir, "--csv", "--analysis", version)
	have := map[string]bool{}
	for _, line := range strings.Split(reproducible(analyzed), "\n") {
		have[line] = true
	}
	missing := 0
	for _, line := range strings.Split(reproducible(wantCSV), "\n") {
		if !have[line] {
			missing++
			t.Errorf("the analysis of the old run lacks the value %q that a run trained now logs", line)
		}
	}
	if missing == 0 && !strings.Contains(analyzed, ",dchroma.eta2.p,") {
		t.Error("the analysis of the old run logs no dchroma.eta2.p")
	}
}

// linesFrom keeps the lines of 'show --csv' output (run column dropped:
// step first) whose step is at least from.
func linesFrom(csv string, from int) string {
	var keep []string
	for _, line := range strings.Split(csv, "\n") {
		step, _, _ := strings.Cut(line, ",")
		if n, err := strconv.Atoi(step); err == nil && n >= from {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}
