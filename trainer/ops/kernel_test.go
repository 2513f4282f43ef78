package ops

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"

	"branchspec/trainer/ops/gemm"
)

// TestUnderEachKernel runs this package's tests again, in a child process,
// under each other kernel this CPU runs (selected by gemm.EnvKernel): ops
// built without a kernel run gemm.Default(), and the element-wise ops'
// vector paths follow it, so every op test (finite differences, stock and
// PyTorch references, bit identity across GOMAXPROCS) holds under every
// kernel, the portable one included.
func TestUnderEachKernel(t *testing.T) {
	if v := os.Getenv(gemm.EnvKernel); v != "" {
		t.Skipf("this process is the run under %s=%s", gemm.EnvKernel, v)
	}
	def, err := gemm.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range gemm.Kernels() {
		if k == def {
			continue // this process
		}
		t.Run(string(k), func(t *testing.T) {
			args := []string{"-test.run", "^Test", "-test.count", "1"}
			if testing.Short() {
				args = append(args, "-test.short")
			}
			cmd := exec.Command(os.Args[0], args...)
			cmd.Env = append(os.Environ(), gemm.EnvKernel+"="+string(k))
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Errorf("the tests under %s=%s: %v\n%s", gemm.EnvKernel, k, err, out)
			}
		})
	}
}

// TestOpsRejectUnknownKernels checks the constructors' error for a kernel
// name gemm does not know: it names the op, the kernel and the known ones.
func TestOpsRejectUnknownKernels(t *testing.T) {
	g := G.NewGraph()
	x := G.NewTensor(g, G.Float32, 4, G.WithShape(1, 2, 4, 4), G.WithName("x"), G.WithInit(G.Zeroes()))
	w := G.NewTensor(g, G.Float32, 4, G.WithShape(3, 2, 3, 3), G.WithName("w"), G.WithInit(G.Zeroes()))
	lw := G.NewTensor(g, G.Float32, 2, G.WithShape(3, 32), G.WithName("lw"), G.WithInit(G.Zeroes()))
	const want = `gemm: unknown kernel "sse9" (known: avx512, avx2, portable; this CPU runs `
	if _, err := Conv(x, w, nil, ConvParams{Kernel: "sse9"}); err == nil || !strings.HasPrefix(err.Error(), "op (conv2d): "+want) {
		t.Errorf("Conv with kernel sse9: error %v, want one starting %q", err, "op (conv2d): "+want)
	}
	if _, err := LinearWith(x, lw, nil, LinearParams{Kernel: "sse9"}); err == nil || !strings.HasPrefix(err.Error(), "op (linear): "+want) {
		t.Errorf("LinearWith with kernel sse9: error %v, want one starting %q", err, "op (linear): "+want)
	}
	if _, err := MaxPoolWith(x, 3, 1, "sse9"); err == nil || !strings.HasPrefix(err.Error(), "op (maxpool): "+want) {
		t.Errorf("MaxPoolWith with kernel sse9: error %v, want one starting %q", err, "op (maxpool): "+want)
	}
	if _, err := LRNWith(x, AlexNetLRN(), "sse9"); err == nil || !strings.HasPrefix(err.Error(), "op (lrn): "+want) {
		t.Errorf("LRNWith with kernel sse9: error %v, want one starting %q", err, "op (lrn): "+want)
	}
}
