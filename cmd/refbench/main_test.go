package main

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
	}
	for _, tt := range tests {
		if got := median(tt.in); got != tt.want {
			t.Errorf("median(%v) = %g, want %g", tt.in, got, tt.want)
		}
	}
}

func TestCheckLosses(t *testing.T) {
	tests := []struct {
		name        string
		ours, torch []float64
		n           int
		ok          bool
	}{
		{"equal", []float64{2, 1.5}, []float64{2, 1.5}, 2, true},
		{"within tolerance", []float64{2, 1.5005}, []float64{2, 1.5}, 2, true},
		{"outside tolerance", []float64{2, 1.51}, []float64{2, 1.5}, 2, false},
		{"outside but not compared", []float64{2, 1.51}, []float64{2, 1.5}, 1, true},
		{"NaN", []float64{math.NaN()}, []float64{2}, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if got := checkLosses(&out, tt.ours, tt.torch, tt.n); got != tt.ok {
				t.Errorf("checkLosses = %t, want %t; output:\n%s", got, tt.ok, out.String())
			}
		})
	}
}

// TestRunGoTrains checks the Go side on its own: each net built from its
// config takes the weights in the files, and its solver lowers the loss on
// a batch it sees again.
func TestRunGoTrains(t *testing.T) {
	for _, net := range refNets {
		t.Run(net.name, func(t *testing.T) { runGoTrains(t, net) })
	}
}

func runGoTrains(t *testing.T, net refNet) {
	dir := t.TempDir()
	if err := writeInputs(dir, net, rand.New(rand.NewPCG(1, 2))); err != nil {
		t.Fatal(err)
	}
	steps := 12
	if testing.Short() {
		steps = 5
	}
	res, err := runGo(dir, 0, steps)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Losses) != steps || !(res.ImagesPerS > 0) {
		t.Fatalf("got %d losses and %g images/s", len(res.Losses), res.ImagesPerS)
	}
	for i, l := range res.Losses {
		if math.IsNaN(l) || math.IsInf(l, 0) {
			t.Fatalf("loss %d is %g", i, l)
		}
	}
	// Batch 0 comes back every nBatches steps; its loss must fall (the
	// batches' random labels make losses of different batches
	// incomparable, and cifar10-alexnet starts slowly from N(0, 0.01^2)).
	last := (steps - 1) / nBatches * nBatches
	if !(res.Losses[last] < res.Losses[0]) {
		t.Errorf("loss on batch 0 went from %g (step 0) to %g (step %d)", res.Losses[0], res.Losses[last], last)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"-runs", "0"}, {"-threads", "0"}, {"-nope"}, {"-child", "rust"}, {"-nets", "reference,vgg"}, {"-pytorch-malloc", "jemalloc"}, {"-pytorch-bind", "numa"}} {
		var out, errOut bytes.Buffer
		if code := run(args, fakeEnv(nil), &out, &errOut); code != 2 {
			t.Errorf("run(%q) = %d, want 2 (stderr %q)", args, code, strings.TrimSpace(errOut.String()))
		}
	}
}

func TestPytorchEnv(t *testing.T) {
	keep := []string{"MALLOC_MMAP_THRESHOLD_=33554432", "MALLOC_TRIM_THRESHOLD_=1073741824"}
	bind := []string{"OMP_PROC_BIND=close", "OMP_PLACES=cores"}
	for _, tt := range []struct {
		malloc, bind string
		want         []string
	}{
		{"keep", "cores", append(slices.Clone(keep), bind...)},
		{"keep", "none", keep},
		{"system", "cores", bind},
		{"system", "none", nil},
	} {
		got, err := pytorchEnv(tt.malloc, tt.bind)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("pytorchEnv(%q, %q) = %q, %v; want %q", tt.malloc, tt.bind, got, err, tt.want)
		}
	}
	if _, err := pytorchEnv("tcmalloc", "cores"); err == nil || !strings.Contains(err.Error(), "want keep or system") {
		t.Errorf("pytorchEnv(tcmalloc, cores): error %v, want one naming the choices", err)
	}
	if _, err := pytorchEnv("keep", "numa"); err == nil || !strings.Contains(err.Error(), "-pytorch-bind \"numa\": want cores or none") {
		t.Errorf("pytorchEnv(keep, numa): error %v, want one naming the choices", err)
	}
}

// TestStepAllocations reports the allocations of one full training step
// (forward, backward, Adam) once the buffers exist: what is left is
// gorgonia's tape machine bookkeeping and the ops' per-call closures.
func TestStepAllocations(t *testing.T) {
	dir := t.TempDir()
	if err := writeInputs(dir, refNets[0], rand.New(rand.NewPCG(1, 2))); err != nil {
		t.Fatal(err)
	}
	s, err := newGoSide(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	i := 0
	step := func() {
		if _, err := s.step(i); err != nil {
			t.Fatal(err)
		}
		i++
	}
	step()
	allocs := testing.AllocsPerRun(3, step)
	t.Logf("reference net training step: %.0f allocations", allocs)
	if allocs > 2000 {
		t.Errorf("a training step allocates %.0f times, want at most 2000", allocs)
	}
}
