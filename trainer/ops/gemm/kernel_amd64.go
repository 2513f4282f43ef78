//go:build amd64

package gemm

import "golang.org/x/sys/cpu"

// kernel6x16 adds the product of a packed 6-row panel of A and a packed
// 16-column panel of B, both k deep, into the 6x16 tile of C at c with row
// stride ldc (in elements):
//
//	C[i][j] += sum_p a[p*6+i] * b[p*16+j]
//
// It requires AVX2 and FMA; callers check hasAVX2FMA first.
//
//go:noescape
func kernel6x16(k int, a, b, c *float32, ldc int)

// dotKernel4x3 adds the dot products of 4 rows of A with 3 rows of B, both
// contiguous along k, into the 4x3 tile of C at c:
//
//	C[i][j] += sum_{p<k} a[i*lda+p] * b[j*ldb+p]
//
// k must be a multiple of 8. It requires AVX2 and FMA.
//
//go:noescape
func dotKernel4x3(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int)

// hasAVX2FMA reports whether the CPU and OS support AVX2 and FMA.
func hasAVX2FMA() bool { return cpu.X86.HasAVX2 && cpu.X86.HasFMA }

// microKernel returns the fastest 6x16 kernel available on this CPU and its
// name.
func microKernel() (func(k int, a, b, c *float32, ldc int), string) {
	if hasAVX2FMA() {
		return kernel6x16, "avx2-fma"
	}
	return kernelGeneric, "generic"
}

// dotKernel returns the 4x3 dot-product kernel for A·Bᵀ, if this CPU has
// one.
func dotKernel() (func(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int), bool) {
	if hasAVX2FMA() {
		return dotKernel4x3, true
	}
	return nil, false
}
