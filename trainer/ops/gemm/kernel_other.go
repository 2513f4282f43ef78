//go:build !amd64

package gemm

// microKernel returns the portable 6x16 kernel and its name.
func microKernel() (kernelFunc, string) {
	return kernelGeneric, "generic"
}

// microKernel4 returns the portable 4x16 kernel.
func microKernel4() kernelFunc { return kernelGeneric4 }

// dotKernel reports that no dot-product kernel exists on this architecture.
func dotKernel() (func(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int), bool) {
	return nil, false
}

// gatherPanel is GatherPanel after its checks.
func gatherPanel(dst, src []float32, offs []int32) { gatherPanelGeneric(dst, src, offs) }

func transpose8AVX(dst *float32, ldd int, src *float32, lds int, mask *float32, n8 int) {
	panic("gemm: no AVX on this architecture")
}

func maskCopyAVX(dst, src, mask *float32, n8 int) { panic("gemm: no AVX on this architecture") }

// gatherPanel2 is Gather.Pack2 after its checks.
func gatherPanel2(dst, src0, src1 []float32, offs []int32) {
	gatherPanel2Generic(dst, src0, src1, offs)
}

// hasAVX2FMA reports that no AVX2 kernels exist on this architecture.
func hasAVX2FMA() bool { return false }

func interleaveAVX(dst *float32, h int, src *float32, lds int, rows int, n8 int) {
	panic("gemm: no AVX on this architecture")
}
