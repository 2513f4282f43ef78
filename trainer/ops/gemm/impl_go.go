//go:build !openblas

package gemm

// Impl names the implementation behind Sgemm: "pure-go", or "openblas-"
// and the core OpenBLAS chose its kernels for ("openblas-Haswell").
func Impl() string { return "pure-go" }

func sgemmImpl(w *Workspace, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemmGo(w, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
