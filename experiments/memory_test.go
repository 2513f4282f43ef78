package experiments

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"branchspec/configs"
)

// estimateTol bounds EstimateRun / measured peak: the estimate may be at
// most 15% under and 25% over what the run really needed. Over is the safe
// side (a run refused that would have fitted by a little); under lets a
// run start that the machine kills.
const (
	estimateTolLow  = 0.85
	estimateTolHigh = 1.25
)

// TestEstimateRunAgainstPeakRSS holds EstimateRun to the peak resident
// memory of real runs. Each peak was measured on linux/amd64 (Go 1.26,
// pure-Go GEMM, 2 cores) with
//
//	/usr/bin/time -f %M branchspec run CONFIG --stop-at 2 --set schedule.warmup=0 --set ...
//
// which trains two steps and takes the checkpoints at steps 0, 1 and 2
// with their metric passes. On these the estimate came within -11% (tiny,
// where the program's own size dominates) and +16% (tiny at batch 512):
// ratios 0.89 to 1.16. cmd/branchspec TestMemoryEstimateOfRealRuns
// measures real processes again on the machine the tests run on.
func TestEstimateRunAgainstPeakRSS(t *testing.T) {
	tests := []struct {
		config  string
		sets    []string
		peakKiB float64
	}{
		{"tiny", nil, 25880},
		{"tiny", []string{"optim.batch_size=512"}, 42588},
		{"default", nil, 385496},
		// A wide net: two branches of 128 channels.
		{"default", []string{"model.branch=[{out=128,kernel=5,pool=2},{out=128,kernel=3,pool=2}]"}, 1370340},
		// Wider: 512 channels of 11x11, the evaluation graphs dominate.
		{"default", []string{"model.branch=[{out=512,kernel=11,pool=2}]", "optim.batch_size=32"}, 5941332},
		{"default", []string{"model.branches=4", "metrics.cka_examples=1000"}, 965828},
		{"default", []string{"metrics.cka_examples=2000"}, 854264},
		{"default", []string{"metrics.lesion_examples=2000"}, 450676},
		{"default", []string{"metrics.cka_examples=2000", "metrics.lesion_examples=2000"}, 910568},
		{"default", []string{"metrics.probes=1024"}, 727672},
		{"default", []string{"data.train_size=50000", "data.grayscale=true"}, 1477640},
	}
	for _, tt := range tests {
		name := tt.config + " " + strings.Join(tt.sets, " ")
		t.Run(name, func(t *testing.T) {
			cfg, err := LoadConfig(context.Background(), tt.config, tt.sets)
			if err != nil {
				t.Fatal(err)
			}
			e, err := EstimateRun(cfg)
			if err != nil {
				t.Fatal(err)
			}
			// The peaks were measured with the pure-Go GEMM.
			r := float64(e.Total()-programBytes()+baseBytes) / (tt.peakKiB * 1024)
			if r < estimateTolLow || r > estimateTolHigh {
				t.Errorf("estimate %s is %.2f times the measured peak %s", e, r, Memory(tt.peakKiB*1024))
			}
		})
	}
}

// TestAvailableMemoryOverride: MemoryEnv overrides what the machine
// reports, in bytes or with a binary suffix; a bad value is ErrInvalid.
func TestAvailableMemoryOverride(t *testing.T) {
	for v, want := range map[string]Memory{"12345": 12345, "512M": 512 << 20, "2G": 2 << 30, "1.5GiB": 1.5 * (1 << 30), "1T": 1 << 40} {
		t.Setenv(MemoryEnv, v)
		a, ok, err := AvailableMemory()
		if err != nil || !ok || a.Bytes != want || a.Source != MemoryEnv {
			t.Errorf("%s=%s: %+v, %v, %v; want %v", MemoryEnv, v, a, ok, err, want)
		}
	}
	t.Setenv(MemoryEnv, "lots")
	if _, _, err := AvailableMemory(); !errors.Is(err, ErrInvalid) {
		t.Errorf("a bad value: %v, want ErrInvalid", err)
	}
	t.Setenv(MemoryEnv, "")
	if a, ok, err := AvailableMemory(); err != nil || ok && a.Bytes <= 0 {
		t.Errorf("from the machine: %+v, %v, %v", a, ok, err)
	}
}

// TestMemoryRefusedBeforeAnything: a run, a fork, a sweep's plan, a sweep
// run jobs at a time, a kernel grid and a comparison that would not fit
// are refused with ErrMemory, and nothing is created. Before, such configs
// and flag values were accepted and ran out of memory (after the run was
// created, for a wide net), with a Go stack trace.
func TestMemoryRefusedBeforeAnything(t *testing.T) {
	root := t.TempDir()
	cfg := tinyConfig(t, "schedule.steps=2", "schedule.warmup=0", `checkpoint.keep="all"`)
	parent := must(Start(context.Background(), cfg, filepath.Join(root, "p"), Options{}))
	stopped := must(Start(context.Background(), tinyConfig(t, "schedule.steps=4", "schedule.warmup=0", "metrics.probes=4096", "metrics.csi_top=8"), filepath.Join(root, "stopped"), Options{StopAt: 1}))
	e, err := EstimateRun(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Room for one tiny run, not for two.
	t.Setenv(MemoryEnv, strconv.FormatFloat(1.5*float64(e.Total()), 'f', 0, 64))

	wide := tinyConfig(t, "model.branch=[{out=1024,kernel=11,pool=2}]")
	dir, err := Start(context.Background(), wide, filepath.Join(root, "wide"), Options{})
	if !errors.Is(err, ErrMemory) || !strings.HasPrefix(err.Error(), "not enough memory: a run of tiny (seed 1) needs about ") ||
		!strings.Contains(err.Error(), "(BRANCHSPEC_MEMORY): lower data.train_size") {
		t.Errorf("a wide run: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused run created %s (stat: %v)", dir, err)
	}
	fork, err := Fork(context.Background(), parent, ForkOptions{At: 1, Set: []string{"metrics.probes=4096"}}, Options{})
	if !errors.Is(err, ErrMemory) || !strings.HasPrefix(err.Error(), "not enough memory: a run of tiny-fork1 (seed 1) needs about ") {
		t.Errorf("a fork measuring 4096 probes: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "p", "tiny-fork1")); fork != "" || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused fork created %q (stat: %v)", fork, err)
	}

	// A run that no longer fits (made where memory was ample) is refused on
	// resume before it is touched, rather than killed again mid-step.
	if err := Resume(context.Background(), stopped, Options{}); !errors.Is(err, ErrMemory) {
		t.Errorf("resume of a run that does not fit: %v", err)
	}
	if st := record(t, stopped).st; st.State != "stopped" || st.Step != 1 {
		t.Errorf("a refused resume changed the run: %+v", st)
	}

	specs := []RunSpec{{Index: 0, Regime: "a", Seed: 1, Config: cfg, Dir: filepath.Join(root, "s", "a", "seed-1")},
		{Index: 1, Regime: "a", Seed: 2, Config: cfg, Dir: filepath.Join(root, "s", "a", "seed-2")}}
	if _, err := Sweep(context.Background(), specs, SweepOptions{Jobs: 2}); !errors.Is(err, ErrMemory) ||
		!strings.Contains(err.Error(), "2 runs of tiny at once") || !strings.Contains(err.Error(), "or --jobs") {
		t.Errorf("two runs at once: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "s")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused sweep created runs (stat: %v)", err)
	}

	exp := filepath.Join(root, "e.toml")
	os.WriteFile(exp, []byte("name = \"e\"\nbase = \"tiny\"\n[regimes.a]\n[regimes.b]\n"), 0o644)
	_, _, err = PlanSweep(context.Background(), exp, 1_000_000_000, root, nil)
	if !errors.Is(err, ErrMemory) || !strings.HasPrefix(err.Error(), "not enough memory: the plan of 2 regimes x 1000000000 seeds needs about ") {
		t.Errorf("a plan of 2e9 runs: %v", err)
	}
	if _, _, err := DrawKernels(parent, KernelGridOptions{Step: -1, Scale: 2_000_000_000}, filepath.Join(root, "k.png")); !errors.Is(err, ErrMemory) ||
		!strings.HasPrefix(err.Error(), "not enough memory: a ") || !strings.Contains(err.Error(), "lower --scale") {
		t.Errorf("a kernel grid at scale 2e9: %v", err)
	}
	_, err = CompareDirs(CompareRequest{Dirs: []string{root}, Options: CompareOptions{Resamples: 2_000_000_000, Permutations: 10}})
	if !errors.Is(err, ErrMemory) || !strings.HasPrefix(err.Error(), "not enough memory: a comparison with 2000000000 resamples needs about 47.7 GiB (bootstrap replicates 47.7 GiB, program 15.0 MiB)") {
		t.Errorf("2e9 resamples: %v", err)
	}
}

// TestEstimateCountsFolderImages: a folder source's data is its image
// files as bytes (counted, not read), so the estimate grows by about
// (C*H*W + 4) bytes per file, and a prefix adds its copy.
func TestEstimateCountsFolderImages(t *testing.T) {
	small, large := t.TempDir(), t.TempDir()
	makeImageFolder(t, small, 4, 2, 16)
	makeImageFolder(t, large, 40, 20, 16)
	dataPart := func(cfg *configs.Config) float64 {
		e, err := EstimateRun(cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range e {
			if p.What == "data" {
				return float64(p.Bytes)
			}
		}
		t.Fatal("no data part in the estimate")
		return 0
	}
	per := float64(3*16*16 + 4)
	if got := dataPart(folderConfig(t, small)); got != 12*per {
		t.Errorf("12 files: data %g bytes, want %g", got, 12*per)
	}
	if got := dataPart(folderConfig(t, large)); got != 120*per {
		t.Errorf("120 files: data %g bytes, want %g", got, 120*per)
	}
	if got := dataPart(folderConfig(t, large, "data.train_size=10", "data.test_size=4", "optim.batch_size=8")); got != (120+14)*per {
		t.Errorf("a prefix of 14 of 120 files: data %g bytes, want %g", got, (120+14)*per)
	}
}
