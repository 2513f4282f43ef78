package experiments

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"branchspec/results"
	"branchspec/trainer"
)

// otherKernel stands for the matrix products of another kind of machine.
const otherKernel = "openblas-skylakex/generic/amd64.v3"

// hereKernel is the identity a new run records on this machine.
func hereKernel(t *testing.T) string {
	t.Helper()
	id, err := trainer.GEMMIdentity("")
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestKernelCheckedOnResume: a run records the matrix products it was
// made with; a resume that would compute with others is refused, changes
// nothing, and goes on only when allowed, recording the change at the step
// it resumes from. Before, a run recorded no kernel, and a Slurm task
// requeued onto another kind of node resumed silently with other bits.
func TestKernelCheckedOnResume(t *testing.T) {
	cfg := tinyConfig(t, "schedule.steps=8", "schedule.warmup=0")
	dir := must(Start(context.Background(), cfg, t.TempDir(), Options{StopAt: 3}))
	run, err := results.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	here := hereKernel(t)
	if info, _ := run.Info(); info.Kernel != here {
		t.Fatalf("recorded kernel %q, want %q", info.Kernel, here)
	}
	err = Resume(context.Background(), dir, Options{Kernel: otherKernel})
	want := "resume " + dir + ": the run was made with other matrix products: it was made with " + here +
		", and this program computes with " + otherKernel + ", so it would not continue bit for bit as it would have; resume it where " +
		here + " is available, or allow the change (--allow-kernel-change), which the run records at step 3"
	if !errors.Is(err, ErrKernelChanged) || err.Error() != want {
		t.Fatalf("resume with other products:\n got: %v\nwant: %s", err, want)
	}
	if st, _ := run.Status(); st.State != results.Stopped || st.Step != 3 {
		t.Errorf("a refused resume changed the status: %+v", st)
	}
	if ks, _ := run.KernelChanges(); len(ks) != 0 {
		t.Errorf("a refused resume recorded %v", ks)
	}
	if err := Resume(context.Background(), dir, Options{Kernel: otherKernel, AllowKernelChange: true, StopAt: 5}); err != nil {
		t.Fatal(err)
	}
	ks, err := run.KernelChanges()
	if err != nil || len(ks) != 1 || ks[0].Step != 3 || ks[0].From != here || ks[0].To != otherKernel {
		t.Fatalf("kernel changes %+v, %v", ks, err)
	}
	// The run is now made with the other products: going back is a change too.
	if err := Resume(context.Background(), dir, Options{}); !errors.Is(err, ErrKernelChanged) {
		t.Errorf("resume back on the first products: %v", err)
	}
	v, err := ShowRun(dir, ShowOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	v.WriteText(&b)
	for _, line := range []string{"kernel   " + here + "\n",
		"kernel   changed at step 3: " + here + " -> " + otherKernel + " (later bits may differ from an unchanged run's)\n"} {
		if !strings.Contains(b.String(), line) {
			t.Errorf("show lacks %q:\n%s", line, b.String())
		}
	}
}

// TestKernelOfOldRunRecorded: a run made before kernels were recorded
// cannot be checked; its first resume records the kernel it goes on with.
func TestKernelOfOldRunRecorded(t *testing.T) {
	cfg := tinyConfig(t, "schedule.steps=4", "schedule.warmup=0")
	dir := RunDir(t.TempDir(), cfg)
	info := results.Info{Name: cfg.Name, Seed: cfg.Seed, ConfigText: cfg.Canonical(), ConfigHash: cfg.Hash()}
	if _, err := results.Create(dir, info, nil); err != nil {
		t.Fatal(err)
	}
	if err := Resume(context.Background(), dir, Options{}); err != nil {
		t.Fatal(err)
	}
	run, _ := results.Open(dir, nil)
	ks, err := run.KernelChanges()
	if err != nil || len(ks) != 1 || ks[0].Step != 0 || ks[0].From != "" || ks[0].To != hereKernel(t) {
		t.Errorf("kernel changes %+v, %v", ks, err)
	}
}

// TestForkRecordsKernelChange: a fork computed with other products than
// its parent's is a new run and is created, recording the change at the
// step it forks from.
func TestForkRecordsKernelChange(t *testing.T) {
	root := t.TempDir()
	parent := must(Start(context.Background(), tinyConfig(t, "schedule.steps=4", "schedule.warmup=0", "checkpoint.keep=\"all\""), filepath.Join(root, "p"), Options{}))
	dir, err := Fork(context.Background(), parent, ForkOptions{At: 2}, Options{Kernel: otherKernel})
	if err != nil {
		t.Fatal(err)
	}
	run, _ := results.Open(dir, nil)
	info, _ := run.Info()
	ks, _ := run.KernelChanges()
	if info.Kernel != otherKernel || len(ks) != 1 || ks[0].Step != 2 || ks[0].From != hereKernel(t) || ks[0].To != otherKernel {
		t.Errorf("fork kernel %q, changes %+v", info.Kernel, ks)
	}
}

// TestKernelsOfARun: a run computes with the kernel it is given and
// records it; avx512 and avx2 give the same bits, so a run made on one
// equals a run made on the other (where this CPU runs both); a run on the
// portable kernel records it and resumes on it, equal to its own
// uninterrupted twin.
func TestKernelsOfARun(t *testing.T) {
	cfg := tinyConfig(t, "schedule.steps=8", "schedule.warmup=0")
	kernels := trainer.GEMMKernels()
	train := func(gemm string, stopAt int) string {
		t.Helper()
		dir := must(Start(context.Background(), cfg, t.TempDir(), Options{GEMM: gemm, StopAt: stopAt}))
		if stopAt > 0 {
			if err := Resume(context.Background(), dir, Options{}); err != nil {
				t.Fatal(err)
			}
		}
		run, err := results.Open(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		want, err := trainer.GEMMIdentity(gemm)
		if err != nil {
			t.Fatal(err)
		}
		if info, _ := run.Info(); info.Kernel != want {
			t.Errorf("%s run recorded %q, want %q", gemm, info.Kernel, want)
		}
		if ks, _ := run.KernelChanges(); len(ks) != 0 {
			t.Errorf("%s run recorded changes %+v", gemm, ks)
		}
		return dir
	}
	var fma []string
	for _, k := range kernels {
		if k == "avx512" || k == "avx2" {
			fma = append(fma, k)
		}
	}
	if len(fma) == 2 {
		sameRun(t, record(t, train("avx512", 3)), record(t, train("avx2", 0)))
	} else {
		t.Logf("this CPU runs %v: avx512 against avx2 not compared", kernels)
	}
	sameRun(t, record(t, train("portable", 3)), record(t, train("portable", 0)))
	if _, err := Start(context.Background(), cfg, t.TempDir(), Options{GEMM: "nope"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("an unknown kernel: %v, want ErrInvalid", err)
	}
}
