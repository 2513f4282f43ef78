package trainer

import (
	"math"
	"strings"
	"testing"

	"branchspec/configs"
	"branchspec/trainer/data"
	"branchspec/trainer/ops/gemm"
)

// TestGEMMKernelsTrain trains the tiny preset, on 32x32 images with 32
// channels in each branch (so that the second convolution of a branch
// runs Winograd with the "+winograd" kernels), a few steps on each kernel
// this CPU runs, from the same seed: kernels of the same bits (avx512 and
// avx2, both with Winograd or both without) must give the same weights
// bit for bit, any two within a relative tolerance, and the Winograd
// kernels other bits than their GEMM kernel alone; each trainer's model
// reports its kernel.
func TestGEMMKernelsTrain(t *testing.T) {
	cfg, err := configs.Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Data.Synthetic.Size = 32
	for i := range cfg.Model.Branch {
		cfg.Model.Branch[i].Out = 32
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
	var refK engine
	weights := map[string][]Tensor{}
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
		weights[name] = ws
		k, err := parseEngine(name)
		if err != nil {
			t.Fatal(err)
		}
		if ref == nil {
			ref, refK = ws, k
			continue
		}
		same := k.winograd == refK.winograd && k.gemm.SameBits(refK.gemm)
		for i, w := range ws {
			for j, v := range w.Data {
				r := ref[i].Data[j]
				if same && math.Float32bits(v) != math.Float32bits(r) {
					t.Fatalf("%s vs %s: %s[%d] = %g, %g", k, refK, w.Name, j, v, r)
				}
				if d := math.Abs(float64(v-r)) / (1 + math.Abs(float64(r))); !(d <= tolKernels) {
					t.Fatalf("%s vs %s: %s[%d] = %g, %g", k, refK, w.Name, j, v, r)
				}
			}
		}
	}
	for _, k := range gemm.Kernels() {
		if sameWeights(weights[string(k)], weights[string(k)+WinogradSuffix]) {
			t.Errorf("%s with and without Winograd: the same weights (did Winograd run?)", k)
		}
	}
}

// sameWeights reports whether a and b hold the same bits.
func sameWeights(a, b []Tensor) bool {
	for i := range a {
		for j, v := range a[i].Data {
			if math.Float32bits(v) != math.Float32bits(b[i].Data[j]) {
				return false
			}
		}
	}
	return true
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
	if _, err := GEMMIdentity("sse9" + WinogradSuffix); err == nil || !strings.Contains(err.Error(), `unknown kernel "sse9"`) {
		t.Errorf("GEMMIdentity(sse9+winograd): error %v", err)
	}
	if _, err := GEMMIdentity(WinogradSuffix); err == nil || !strings.Contains(err.Error(), "want a GEMM kernel before") {
		t.Errorf("GEMMIdentity(+winograd): error %v", err)
	}
	// The default is the fastest GEMM kernel with Winograd; a run recorded
	// before Winograd existed (its identity names the GEMM kernel alone)
	// resumes without it.
	if def, _ := GEMMIdentity(""); def != must1(GEMMIdentity(GEMMKernels()[0])) || !strings.Contains(def, WinogradSuffix) {
		t.Errorf("default identity %q, want the first kernel's, with Winograd", def)
	}
	old := gemm.Fastest().ID().String()
	if got, err := ResumeGEMM(old); err != nil || got != string(gemm.Fastest()) {
		t.Errorf("ResumeGEMM(%q) = %q, %v; want %q", old, got, err, gemm.Fastest())
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

func must1(s string, err error) string {
	if err != nil {
		panic(err)
	}
	return s
}
