package trainer

import (
	"math"
	"strings"
	"testing"

	"branchspec/configs"
	"branchspec/trainer/data"
	"branchspec/trainer/ops/gemm"
)

// TestGEMMKernelsTrain trains the tiny preset a few steps on each kernel
// this CPU runs, from the same seed: kernels of the same bits (avx512 and
// avx2) must give the same weights bit for bit, any two within a relative
// tolerance; each trainer's model reports its kernel.
func TestGEMMKernelsTrain(t *testing.T) {
	cfg, err := configs.Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Data.Synthetic
	train, test, err := data.Synthetic(data.SyntheticOptions{Forms: s.Forms, Hues: s.Hues, Size: s.Size, Noise: s.Noise,
		Train: cfg.Data.TrainSize, Test: cfg.Data.TestSize}, s.Seed)
	if err != nil {
		t.Fatal(err)
	}
	// tolKernels bounds |a-b| / (1+|b|) between kernels of different bits
	// after a few steps: float32 sums in other orders.
	const steps, tolKernels = 3, 1e-3
	var ref []Tensor
	var refK gemm.Kernel
	for _, name := range GEMMKernels() {
		tr, err := NewWith(cfg, train, test, Options{GEMM: name})
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		if got := tr.Model().GEMM(); got != name {
			t.Errorf("model on kernel %q reports %q", name, got)
		}
		for i := 0; i < steps; i++ {
			if _, err := tr.Step(); err != nil {
				t.Fatal(err)
			}
		}
		ws := tr.Model().Weights()
		k := gemm.Kernel(name)
		if ref == nil {
			ref, refK = ws, k
			continue
		}
		for i, w := range ws {
			for j, v := range w.Data {
				r := ref[i].Data[j]
				if k.SameBits(refK) && math.Float32bits(v) != math.Float32bits(r) {
					t.Fatalf("%s vs %s: %s[%d] = %g, %g", k, refK, w.Name, j, v, r)
				}
				if d := math.Abs(float64(v-r)) / (1 + math.Abs(float64(r))); !(d <= tolKernels) {
					t.Fatalf("%s vs %s: %s[%d] = %g, %g", k, refK, w.Name, j, v, r)
				}
			}
		}
	}
}

func TestGEMMIdentity(t *testing.T) {
	for _, name := range GEMMKernels() {
		id, err := GEMMIdentity(name)
		if err != nil {
			t.Fatal(err)
		}
		if f := strings.Split(id, "/"); len(f) != 3 || f[0] != gemm.Impl() || f[1] != name {
			t.Errorf("GEMMIdentity(%q) = %q, want %s/%s/ARCH", name, id, gemm.Impl(), name)
		}
		got, err := ResumeGEMM(id)
		if err != nil || got != name {
			t.Errorf("ResumeGEMM(%q) = %q, %v; want %q", id, got, err, name)
		}
	}
	if _, err := GEMMIdentity("sse9"); err == nil || !strings.Contains(err.Error(), `unknown kernel "sse9"`) {
		t.Errorf("GEMMIdentity(sse9): error %v", err)
	}
	id, _ := GEMMIdentity(GEMMKernels()[0])
	other := strings.Join(append(strings.Split(id, "/")[:2], "riscv64"), "/")
	if _, err := ResumeGEMM(other); err == nil || !strings.Contains(err.Error(), "this build is for") {
		t.Errorf("ResumeGEMM(%q) on another architecture: error %v", other, err)
	}
	if _, err := ResumeGEMM("avx2"); err == nil || !strings.Contains(err.Error(), "want IMPL/KERNEL/ARCH") {
		t.Errorf("ResumeGEMM(avx2): error %v", err)
	}
	cfg, err := configs.Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewModel(cfg, Stream(1, "init", 0))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.UseGEMM("sse9"); err == nil {
		t.Errorf("UseGEMM(sse9): no error")
	}
}
