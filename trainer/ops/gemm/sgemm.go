package gemm

// Sgemm computes
//
//	C = alpha*op(A)*op(B) + beta*C
//
// for row-major float32 matrices, where op(X) is X or its transpose Xᵀ as
// transA/transB say; op(A) is m x k, op(B) is k x n and C is m x n, with
// leading dimensions (row strides) lda, ldb and ldc. beta == 0 overwrites C
// without reading it. It panics on negative sizes, too-small leading
// dimensions or too-short slices, as reference BLAS does. It runs on the
// calling goroutine only, and for given shapes its summation order is fixed,
// so results are reproducible run to run. It runs Default() and allocates
// packing buffers on each call; use a Workspace to choose the kernel and
// reuse the buffers.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	var w Workspace
	w.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
