//go:build !amd64

package gemm

// familyOf returns Portable's family, the only one on this architecture.
func familyOf(k Kernel) *family { return &portableFamily }

// hasAVX2FMA reports that no AVX2 kernels exist on this architecture.
func hasAVX2FMA() bool { return false }

// hasAVX512 reports that no AVX-512 kernels exist on this architecture.
func hasAVX512() bool { return false }

// gatherPanel is Gather.Pack after its checks.
func gatherPanel(level int, dst, src []float32, offs []int32, width int) {
	gatherPanelGeneric(dst, src, offs, width)
}

// gatherPanel2 is Gather.Pack2 after its checks.
func gatherPanel2(level int, dst, src0, src1 []float32, offs []int32, width int) {
	gatherPanel2Generic(dst, src0, src1, offs, width)
}

func transpose8AVX(dst *float32, ldd int, src *float32, lds int, mask *float32, n8 int) {
	panic("gemm: no AVX on this architecture")
}

func maskCopyAVX(dst, src, mask *float32, n8 int) { panic("gemm: no AVX on this architecture") }
func decimateRowsAVX(dst *float32, ldd int, src *float32, lds int, rows int, n8 int) {
	panic("gemm: no AVX on this architecture")
}

func interleaveAVX(dst *float32, h int, src *float32, lds int, rows int, n8 int) {
	panic("gemm: no AVX on this architecture")
}

// goamd64 is empty off amd64.
const goamd64 = ""

// peakLoop reports that no FMA-peak loop exists on this architecture.
func peakLoop(k Kernel) (func(n int), float64) { return nil, 0 }

func transpose16AVX512(dst *float32, ldd int, src *float32, lds int, mask *float32, n16 int) {
	panic("gemm: no AVX-512 on this architecture")
}

func interleaveAVX512(dst *float32, h int, src *float32, lds int, rows int, n16 int) {
	panic("gemm: no AVX-512 on this architecture")
}

func copyRowsAVX2(dst *float32, ldd int, src *float32, lds int, mask *float32, rows int, n8 int) {
	panic("gemm: no AVX on this architecture")
}

func copyRowsAVX512(dst *float32, ldd int, src *float32, lds int, mask *float32, rows int, n int) {
	panic("gemm: no AVX-512 on this architecture")
}

func packRunsAVX512(dst, src *float32, offs *int32, rows int, width int, runs *int32, nruns int) {
	panic("gemm: no AVX-512 on this architecture")
}
