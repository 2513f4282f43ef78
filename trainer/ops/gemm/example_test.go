package gemm_test

import (
	"fmt"

	"branchspec/trainer/ops/gemm"
)

func ExampleSgemm() {
	// C = A·Bᵀ for A = [[1 2] [3 4]], B = [[5 6] [7 8]].
	a := []float32{1, 2, 3, 4}
	b := []float32{5, 6, 7, 8}
	c := make([]float32, 4)
	gemm.Sgemm(false, true, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2)
	fmt.Println(c)
	// Output: [17 23 39 53]
}

func ExampleWorkspace_MulPanel() {
	// relu(A·B + bias) for A = [[1 2] [3 4]] packed for the fastest
	// kernel, B one packed panel holding [[1 0] [0 -1]] in its first two
	// columns.
	w := gemm.Workspace{Kernel: gemm.Fastest()}
	a := []float32{1, 2, 3, 4}
	ap := w.Kernel.PackA(nil, a, 2, 2, 2)
	nr := w.Kernel.NR()
	bp := make([]float32, 2*nr)
	bp[0], bp[nr+1] = 1, -1
	c := make([]float32, 4)
	w.MulPanel(2, 2, 2, ap, w.Kernel.MR()*2, 0, bp, gemm.Epilogue{Bias: []float32{0.5, -10}, ReLU: true}, c, 2)
	fmt.Println(c)
	// Output: [1.5 0 0 0]
}

func ExampleID() {
	// A run records the identity of the kernel that made its bits; a
	// resume asks which kernel reproduces them here.
	id, err := gemm.ParseID("pure-go/portable/riscv64")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(id.Impl, id.Kernel, id.Arch)
	// Output: pure-go portable riscv64
}

func ExampleKernels() {
	// The kernels this CPU runs, fastest first; Portable always runs, and
	// comes last. Each has its own packed layout.
	ks := gemm.Kernels()
	fmt.Println(ks[len(ks)-1], gemm.Portable.MR(), gemm.Portable.NR())
	// Output: portable 6 16
}
