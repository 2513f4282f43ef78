//go:build openblas

package gemm

import "branchspec/trainer/ops/gemm/internal/cblas"

// Impl names the implementation behind Sgemm: "pure-go", or "openblas-"
// and the core OpenBLAS chose its kernels for ("openblas-Haswell").
func Impl() string { return "openblas-" + cblas.Core() }

func sgemmImpl(w *Workspace, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	cblas.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
