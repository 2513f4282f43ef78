// Package gemm computes single-precision general matrix products
// C = alpha*op(A)*op(B) + beta*C on row-major matrices, single-threaded,
// with a cache-blocked AVX2/FMA kernel (pure Go fallback) or OpenBLAS
// under the build tag openblas.
package gemm
