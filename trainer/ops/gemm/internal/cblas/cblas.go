//go:build openblas

package cblas

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>

// One OpenBLAS thread per call: the caller parallelises over the batch, and
// a fixed thread count keeps results independent of the machine.
static void bs_sgemm(int ta, int tb, int m, int n, int k, float alpha,
		const float *a, int lda, const float *b, int ldb, float beta,
		float *c, int ldc) {
	if (openblas_get_num_threads() != 1) {
		openblas_set_num_threads(1);
	}
	cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
		tb ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb,
		beta, c, ldc);
}
*/
import "C"

// Core names the CPU core whose kernels OpenBLAS chose ("Haswell",
// "SkylakeX", ...): a library built for several cores (DYNAMIC_ARCH) picks
// one at start, and kernels of different cores round differently.
func Core() string { return C.GoString(C.openblas_get_corename()) }

// Sgemm computes C = alpha*op(A)*op(B) + beta*C with cblas_sgemm in
// row-major order, on one OpenBLAS thread. m, n and k must be positive;
// the caller checks dimensions and slice lengths.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	C.bs_sgemm(cbool(transA), cbool(transB), C.int(m), C.int(n), C.int(k), C.float(alpha),
		(*C.float)(&a[0]), C.int(lda), (*C.float)(&b[0]), C.int(ldb), C.float(beta),
		(*C.float)(&c[0]), C.int(ldc))
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}
