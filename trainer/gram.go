package trainer

import "branchspec/trainer/ops/gemm"

// CenteredGram returns the doubly-centred Gram matrix of the n examples of
// x ([n, p] row-major float32): the input of linear CKA from Gram matrices
// (metrics.DebiasedGramCKA, metrics.GramCKA),
//
//	K = Xc Xc^T   (n x n),   Xc[i][j] = X[i][j] - mean_i X[i][j]
//
// (centring the columns of X centres K on both sides: H X X^T H with
// H = I - 11^T/n). Column means are taken in float64 and Xc rounded to
// float32; the product is one float32 GEMM on the trainer's kernels,
// converted to float64. It panics if len(x) is not a multiple of n.
func CenteredGram(x []float32, n int) []float64 {
	if n <= 0 || len(x)%n != 0 {
		panic("trainer: CenteredGram: len(x) is not a multiple of n")
	}
	p := len(x) / n
	mean := make([]float64, p)
	for i := 0; i < n; i++ {
		for j, v := range x[i*p : (i+1)*p] {
			mean[j] += float64(v)
		}
	}
	xc := make([]float32, len(x))
	for i := 0; i < n; i++ {
		for j, v := range x[i*p : (i+1)*p] {
			xc[i*p+j] = float32(float64(v) - mean[j]/float64(n))
		}
	}
	k := make([]float32, n*n)
	gemm.Sgemm(false, true, n, n, p, 1, xc, p, xc, p, 0, k, n)
	g := make([]float64, n*n)
	for i, v := range k {
		g[i] = float64(v)
	}
	return g
}
