package main

import (
	"branchspec/experiments"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// errorLine is the line of a command's stderr that reports its error:
// the first that starts with "branchspec " (a run prints what it runs
// before it is refused).
func errorLine(stderr string) string {
	for _, line := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(line, "branchspec ") {
			return line
		}
	}
	return ""
}

// TestHostileArguments holds, verbatim, the line of what every hostile or
// malformed command line must print, and its exit status: 2 for a usage
// error, 3 for a resource refusal, 1 for a bad config. Each was accepted
// or misread before it was listed here (a negative --seed ran seed 1, a
// negative --stop-at trained to the end, a negative --step exported the
// latest checkpoint; the resource cases ran out of memory with a Go stack
// trace and exit 2), except the config limits, which hold since configs
// got their natural maxima. The available memory is fixed at 16 GiB
// (experiments.MemoryEnv) so that the messages do not depend on the
// machine.
func TestHostileArguments(t *testing.T) {
	t.Setenv(experiments.MemoryEnv, "16G")
	layers4000 := "model.branch=[" + strings.Repeat("{out=4,kernel=3},", 3999) + "{out=4,kernel=3}]"
	wide := "model.branch=[{out=4096,kernel=11,pool=2}]"
	wideCfg, err := experiments.LoadConfig(t.Context(), "default", []string{wide})
	if err != nil {
		t.Fatal(err)
	}
	wideEstimate, err := experiments.EstimateRun(wideCfg)
	if err != nil {
		t.Fatal(err)
	}
	// The total depends on the build (OpenBLAS keeps a buffer of its own).
	if _, parts, _ := strings.Cut(wideEstimate.String(), " GiB "); !strings.HasPrefix(parts, "(data 164.1 MiB, parameters and solver 622.7 MiB, training graph 9.6 GiB, evaluation graphs 27.3 GiB, metrics 20.4 GiB, program ") {
		t.Errorf("estimate of two 4096-wide 11x11 branches: %s", wideEstimate)
	}
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"run", "tiny", "--seed", "-5"}, 2, `branchspec run: invalid value "-5" for flag -seed: must be >= 0, got -5`},
		{[]string{"run", "tiny", "--seed", "x"}, 2, `branchspec run: invalid value "x" for flag -seed: want an integer`},
		{[]string{"run", "tiny", "--stop-at", "-5"}, 2, `branchspec run: --stop-at must be >= 0, got -5`},
		{[]string{"run", "--manifest", "m.json", "--index", "-1"}, 2, `branchspec run: invalid value "-1" for flag -index: must be >= 0, got -1`},
		{[]string{"run", "--manifest", "m.json"}, 2, `branchspec run: --manifest and --index go together`},
		{[]string{"resume", "RUN", "--stop-at", "-5"}, 2, `branchspec resume: --stop-at must be >= 0, got -5`},
		{[]string{"fork", "RUN", "--at", "-5"}, 2, `branchspec fork: invalid value "-5" for flag -at: must be >= 0, got -5`},
		{[]string{"fork", "RUN", "--at", "3", "--stop-at", "-1"}, 2, `branchspec fork: --stop-at must be >= 0, got -1`},
		{[]string{"fork", "RUN"}, 2, `branchspec fork: --at STEP is required`},
		{[]string{"export", "RUN", "--step", "-5", "--out", "w"}, 2, `branchspec export: invalid value "-5" for flag -step: must be >= 0, got -5`},
		{[]string{"filters", "RUN", "--step", "-5", "-o", "k.png"}, 2, `branchspec filters: invalid value "-5" for flag -step: must be >= 0, got -5`},
		{[]string{"filters", "RUN", "--scale", "0", "-o", "k.png"}, 2, `branchspec filters: --scale must be >= 1, got 0`},
		{[]string{"compare", "DIR", "--resamples", "-5"}, 2, `branchspec compare: --resamples must be >= 1, got -5`},
		{[]string{"compare", "DIR", "--permutations", "0"}, 2, `branchspec compare: --permutations must be >= 1, got 0`},
		{[]string{"report", "DIR", "-o", "r.html", "--resamples", "-5"}, 2, `branchspec report: --resamples must be >= 1, got -5`},
		{[]string{"sweep", "e.toml", "--seeds", "-1"}, 2, `branchspec sweep: --seeds and --stop-at must be >= 0, --jobs >= 1`},
		// Resources: refused with the estimate, before anything is made.
		// Two 4096-wide 11x11 branches (the program's part depends on the
		// GEMM build: 15 MiB, or 47 MiB with OpenBLAS's buffer).
		{[]string{"run", "default", "--set", wide}, 3, "branchspec run: not enough memory: a run of default (seed 1) needs about " + wideEstimate.String() + ", but 16.0 GiB is available (BRANCHSPEC_MEMORY): lower data.train_size or data.test_size, optim.batch_size, the layers' widths, metrics.probes or metrics.cka_examples"},
		{[]string{"sweep", "../../experiments/smoke.toml", "--seeds", "1000000000", "--slurm", "--dry-run", "--exe", "/bin/true"}, 3, "branchspec sweep: not enough memory: the plan of 3 regimes x 1000000000 seeds needs about 28.1 TiB (run specs and manifest 28.1 TiB), but 16.0 GiB is available (BRANCHSPEC_MEMORY): fewer --seeds or regimes, or a sweep in parts"},
		{[]string{"compare", "DIR", "--resamples", "2000000000"}, 3, "branchspec compare: not enough memory: a comparison with 2000000000 resamples needs about 47.7 GiB (bootstrap replicates 47.7 GiB, program 15.0 MiB), but 16.0 GiB is available (BRANCHSPEC_MEMORY): lower --resamples"},
		// Values no run could hold are config errors.
		{[]string{"run", "default", "--set", "data.train_size=1000000", "--set", "data.synthetic.size=64"}, 1, `branchspec run: --set: data.train_size: must be in 1..100000 for source "synthetic", got 1000000`},
		{[]string{"run", "tiny", "--set", "metrics.permutations=1000000000000"}, 1, "branchspec run: --set: metrics.permutations: must be in 1..100000, got 1000000000000"},
		{[]string{"run", "tiny", "--set", "metrics.shuffles=1000000000000"}, 1, "branchspec run: --set: metrics.shuffles: must be in 1..100000, got 1000000000000"},
		{[]string{"run", "tiny", "--set", "metrics.probes=100000"}, 1, "branchspec run: --set: metrics.probes: must be in 1..4096, got 100000"},
		{[]string{"run", "tiny", "--set", layers4000}, 1, "branchspec run: --set: model.branch: must have at most 32 layers, got 4000"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " ")[:min(80, len(strings.Join(tt.args, " ")))], func(t *testing.T) {
			code, _, stderr := cli(t, tt.args...)
			first := errorLine(stderr)
			if code != tt.code || first != tt.want {
				t.Errorf("exit %d, want %d\n got: %s\nwant: %s", code, tt.code, first, tt.want)
			}
		})
	}
}

// TestHostileArgumentsOnARun is TestHostileArguments for arguments that
// need a run to reach: each printed an empty table with exit 0, or a
// success line before its failure, before it was listed here.
func TestHostileArgumentsOnARun(t *testing.T) {
	t.Setenv(experiments.MemoryEnv, "16G")
	out := t.TempDir()
	if code, _, e := cli(t, "run", "tiny", "--out", out, "--set", "schedule.steps=2", "--set", "schedule.warmup=0"); code != 0 {
		t.Fatal(e)
	}
	run := filepath.Join(out, "tiny", "seed-1")
	db := filepath.Join(run, "run.db")
	before, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	used := filepath.Join(t.TempDir(), "w")
	if code, _, e := cli(t, "export", run, "--out", used); code != 0 {
		t.Fatal(e)
	}
	tests := []struct {
		args []string
		code int
		want string
	}{
		// Outputs onto a run store: before, both overwrote run.db.
		{[]string{"report", out, "-o", db}, 2, "branchspec report: " + db + ": refusing to write over a run store: run.db is a name run directories reserve"},
		{[]string{"filters", run, "--scale", "2000000000", "-o", "k.png"}, 3, "branchspec filters: not enough memory: a 24000000010 x 12000000018 kernel grid (scale 2000000000) needs about 1998.4 EiB (image 999.2 EiB, PNG encoding 999.2 EiB), but 16.0 GiB is available (BRANCHSPEC_MEMORY): lower --scale"},
		{[]string{"filters", run, "-o", db}, 2, "branchspec filters: " + db + ": refusing to write over a run store: run.db is a name run directories reserve"},
		{[]string{"run", "tiny", "--cpuprofile", db}, 2, "branchspec run: " + db + ": refusing to write over a run store: run.db is a name run directories reserve"},
		{[]string{"export", run, "--out", run, "--force"}, 2, "branchspec export: " + run + ": refusing to write over a run store: it holds run.db"},
		// Before, an export into a used directory left the previous
		// export's tensors beside the new ones.
		{[]string{"export", run, "--out", used}, 2, "branchspec export: " + used + ": directory is not empty (--force replaces a previous export)"},
		{[]string{"show", run, "--metric", "["}, 2, `branchspec show: metric pattern "[": syntax error in pattern (globs are path.Match patterns: *, ?, [a-z], \ escapes)`},
		{[]string{"show", run, "--metric", "nosuch"}, 2, "branchspec show: no metric of " + run + " matches nosuch; it logs chroma.b0, chroma.b1, chroma.eta2, chroma.eta2.null.mean, chroma.eta2.null.sd, chroma.eta2.p, cka.between, cka.between.null.mean, cka.between.null.sd, cka.between.p, cka.gray.b0, cka.gray.b0.null.mean and 111 more"},
		{[]string{"ls", filepath.Join(run, "run.db")}, 1, "branchspec ls: " + filepath.Join(run, "run.db") + " is not a directory: ls lists the runs below a results or run directory"},
		// A fork onto an existing run: Fork returns the directory with its
		// error, and the success line was printed before it.
		{[]string{"fork", run, "--at", "1", "--name", "tiny", "--out", out}, 1, "branchspec fork: " + run + ": run already exists (choose another --name, or resume it with: branchspec resume " + run + ")"},
		{[]string{"fork", run, "--at", "999"}, 1, "branchspec fork: fork " + run + " at step 999: results: checkpoint " + filepath.Join(run, "run.db") + ": no such checkpoint (checkpoints with weights: 0, 1, 2)"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args[:2], " "), func(t *testing.T) {
			code, stdout, stderr := cli(t, tt.args...)
			first := errorLine(stderr)
			if code != tt.code || first != tt.want {
				t.Errorf("exit %d, want %d\n got: %s\nwant: %s", code, tt.code, first, tt.want)
			}
			if stdout != "" {
				t.Errorf("a refused command printed %q", stdout)
			}
		})
	}
	if after, _ := os.ReadFile(db); !bytes.Equal(before, after) {
		t.Error("a refused output changed run.db")
	}
	stale := filepath.Join(used, "stale.npy")
	if err := os.WriteFile(stale, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, e := cli(t, "export", run, "--out", used, "--force"); code != 0 {
		t.Fatal(e)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("export --force left a stale tensor (stat: %v)", err)
	}
}
