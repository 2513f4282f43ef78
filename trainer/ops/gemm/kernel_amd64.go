//go:build amd64

package gemm

import "golang.org/x/sys/cpu"

// kernel6x16 is the AVX2/FMA version of kernelGeneric. It requires AVX2
// and FMA; callers check hasAVX2FMA first.
//
//go:noescape
func kernel6x16(k int, a, b, c *float32, ldc int, flags int, bias *float32)

// dotKernel4x3 adds the dot products of 4 rows of A with 3 rows of B, both
// contiguous along k, into the 4x3 tile of C at c:
//
//	C[i][j] += sum_{p<k} a[i*lda+p] * b[j*ldb+p]
//
// k must be a multiple of 8. It requires AVX2 and FMA.
//
//go:noescape
func dotKernel4x3(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int)

// kernel4x16 is kernel6x16 for 4-row panels of A (the portable version is
// kernelGeneric4). It requires AVX2 and FMA.
//
//go:noescape
func kernel4x16(k int, a, b, c *float32, ldc int, flags int, bias *float32)

// hasAVX2FMA reports whether the CPU and OS support AVX2 and FMA.
func hasAVX2FMA() bool { return cpu.X86.HasAVX2 && cpu.X86.HasFMA }

// microKernel returns the fastest 6x16 kernel available on this CPU and its
// name.
func microKernel() (kernelFunc, string) {
	if hasAVX2FMA() {
		return kernel6x16, "avx2-fma"
	}
	return kernelGeneric, "generic"
}

// microKernel4 returns the fastest 4x16 kernel available on this CPU.
func microKernel4() kernelFunc {
	if hasAVX2FMA() {
		return kernel4x16
	}
	return kernelGeneric4
}

// dotKernel returns the 4x3 dot-product kernel for A·Bᵀ, if this CPU has
// one.
func dotKernel() (func(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int), bool) {
	if hasAVX2FMA() {
		return dotKernel4x3, true
	}
	return nil, false
}

// gatherPanelAVX is GatherPanel without checks; it requires AVX.
//
//go:noescape
func gatherPanelAVX(dst, src *float32, offs *int32, n int)

// gatherPanel is GatherPanel after its checks.
func gatherPanel(dst, src []float32, offs []int32) {
	if hasAVX2FMA() {
		gatherPanelAVX(&dst[0], &src[0], &offs[0], len(offs))
		return
	}
	gatherPanelGeneric(dst, src, offs)
}

// transpose8AVX is Transpose8 after its checks, n8 blocks of 8 columns; it
// requires AVX.
//
//go:noescape
func transpose8AVX(dst *float32, ldd int, src *float32, lds int, mask *float32, n8 int)

// maskCopyAVX is MaskCopy of 8*n8 values; it requires AVX.
//
//go:noescape
func maskCopyAVX(dst, src, mask *float32, n8 int)

// gatherPanel2AVX is Gather.Pack2 without checks; it requires AVX.
//
//go:noescape
func gatherPanel2AVX(dst, src0, src1 *float32, offs *int32, n int)

// gatherPanel2 is Gather.Pack2 after its checks.
func gatherPanel2(dst, src0, src1 []float32, offs []int32) {
	if hasAVX2FMA() {
		gatherPanel2AVX(&dst[0], &src0[0], &src1[0], &offs[0], len(offs))
		return
	}
	gatherPanel2Generic(dst, src0, src1, offs)
}

// interleaveAVX is Interleave after its checks; it requires AVX.
//
//go:noescape
func interleaveAVX(dst *float32, h int, src *float32, lds int, rows int, n8 int)
