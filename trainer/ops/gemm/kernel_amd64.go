//go:build amd64

package gemm

import "golang.org/x/sys/cpu"

// avx2Family is AVX2: 6x16 and 4x16 tiles in ymm registers, one at a
// time or a column of them in one call, reading B packed or in place, and
// the 4x3 dot-product kernel.
var avx2Family = family{kernel: AVX2, level: levelAVX2, mr: 6, nr: 16,
	tile:    [maxMR + 1]kernelFunc{6: kernel6x16, 4: kernel4x16},
	column:  column16,
	gtile:   [maxMR + 1]gatherFunc{6: kernel6x16g, 4: kernel4x16g},
	gcolumn: gatherColumn16,
	dot:     dotKernel4x3}

// avx512Family is AVX512: 12x32, 8x32 and 4x32 tiles in zmm registers,
// and 12x16, 8x16 and 4x16 ones for panels of at most 16 columns. Its dot
// products run AVX2's kernel, which gives the same bits.
var avx512Family = family{kernel: AVX512, level: levelAVX512, mr: 12, nr: 32,
	tile:  [maxMR + 1]kernelFunc{12: kernel12x32, 8: kernel8x32, 4: kernel4x32},
	half:  [maxMR + 1]kernelFunc{12: kernel12x16z, 8: kernel8x16z, 4: kernel4x16z},
	gtile: [maxMR + 1]gatherFunc{12: kernel12x32g, 8: kernel8x32g, 4: kernel4x32g},
	dot:   dotKernel4x3}

// familyOf returns the family of k, a kernel this CPU runs.
func familyOf(k Kernel) *family {
	switch k {
	case AVX512:
		return &avx512Family
	case AVX2:
		return &avx2Family
	}
	return &portableFamily
}

// hasAVX2FMA reports whether the CPU and OS support AVX2 and FMA.
func hasAVX2FMA() bool { return cpu.X86.HasAVX2 && cpu.X86.HasFMA }

// hasAVX512 reports whether the CPU and OS support the AVX-512 foundation
// (with its zmm state) and AVX2 and FMA, whose kernels AVX512 also runs.
func hasAVX512() bool { return cpu.X86.HasAVX512F && hasAVX2FMA() }

// kernel6x16 is the AVX2/FMA version of kernelGeneric. It requires AVX2
// and FMA.
//
//go:noescape
func kernel6x16(k int, a, b, c *float32, ldc int, flags int, bias *float32, seg, gap int)

// kernel4x16 is kernel6x16 for 4-row panels of A (the portable version is
// kernelGeneric4). It requires AVX2 and FMA.
//
//go:noescape
func kernel4x16(k int, a, b, c *float32, ldc int, flags int, bias *float32, seg, gap int)

// kernel6x16g is kernel6x16 reading row p of B in place, its halves at
// x0[offs[p]:] and x1[offs[p]:] (see gatherFunc). It requires AVX2 and FMA.
//
//go:noescape
func kernel6x16g(k int, a *float32, x0, x1 *float32, offs *int32, c *float32, ldc int, flags int, bias *float32)

// kernel4x16g is kernel6x16g for 4-row panels of A. It requires AVX2 and
// FMA.
//
//go:noescape
func kernel4x16g(k int, a *float32, x0, x1 *float32, offs *int32, c *float32, ldc int, flags int, bias *float32)

// column16 is kernel6x16 over full 6-row panels of A, then kernel4x16
// over tails 4-row ones (see columnFunc). It requires AVX2 and FMA.
//
//go:noescape
func column16(k int, a6, a4, b, c *float32, ldc int, flags int, bias *float32, seg, gap, full, tails, stride int)

// gatherColumn16 is kernel6x16g over full 6-row panels of A, then
// kernel4x16g over tails 4-row ones (see gatherColumnFunc). It requires
// AVX2 and FMA.
//
//go:noescape
func gatherColumn16(k int, a *float32, x0, x1 *float32, offs *int32, c *float32, ldc int, flags int, bias *float32, full, tails, stride int)

// kernel12x32 is kernel6x16 for 12-row panels of A and 32-wide panels of
// B, in zmm registers. It requires AVX-512F.
//
//go:noescape
func kernel12x32(k int, a, b, c *float32, ldc int, flags int, bias *float32, seg, gap int)

// kernel8x32 is kernel12x32 for 8-row panels of A. It requires AVX-512F.
//
//go:noescape
func kernel8x32(k int, a, b, c *float32, ldc int, flags int, bias *float32, seg, gap int)

// kernel4x32 is kernel12x32 for 4-row panels of A. It requires AVX-512F.
//
//go:noescape
func kernel4x32(k int, a, b, c *float32, ldc int, flags int, bias *float32, seg, gap int)

// kernel12x16z is kernel12x32 for the first 16 columns of the panel of B
// (rows still 32 apart), storing a 12x16 tile. It requires AVX-512F.
//
//go:noescape
func kernel12x16z(k int, a, b, c *float32, ldc int, flags int, bias *float32, seg, gap int)

// kernel8x16z is kernel12x16z for 8-row panels of A. It requires AVX-512F.
//
//go:noescape
func kernel8x16z(k int, a, b, c *float32, ldc int, flags int, bias *float32, seg, gap int)

// kernel4x16z is kernel12x16z for 4-row panels of A. It requires AVX-512F.
//
//go:noescape
func kernel4x16z(k int, a, b, c *float32, ldc int, flags int, bias *float32, seg, gap int)

// kernel12x32g is kernel12x32 with row p of B read in place,
// x0[offs[p]:][:16] then x1[offs[p]:][:16]. It requires AVX-512F.
//
//go:noescape
func kernel12x32g(k int, a *float32, x0, x1 *float32, offs *int32, c *float32, ldc int, flags int, bias *float32)

// kernel8x32g is kernel12x32g for 8-row panels of A.
//
//go:noescape
func kernel8x32g(k int, a *float32, x0, x1 *float32, offs *int32, c *float32, ldc int, flags int, bias *float32)

// kernel4x32g is kernel12x32g for 4-row panels of A.
//
//go:noescape
func kernel4x32g(k int, a *float32, x0, x1 *float32, offs *int32, c *float32, ldc int, flags int, bias *float32)

// dotKernel4x3 adds the dot products of 4 rows of A with 3 rows of B, both
// contiguous along k, into the 4x3 tile of C at c:
//
//	C[i][j] += sum_{p<k} a[i*lda+p] * b[j*ldb+p]
//
// k must be a multiple of 8. It requires AVX2 and FMA.
//
//go:noescape
func dotKernel4x3(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int)

// gatherPanelAVX is Gather.Pack of rows of 16 without checks; it
// requires AVX.
//
//go:noescape
func gatherPanelAVX(dst, src *float32, offs *int32, n int)

// gatherPanel32AVX512 is Gather.Pack of rows of 32 without checks; it
// requires AVX-512F.
//
//go:noescape
func gatherPanel32AVX512(dst, src *float32, offs *int32, n int)

// gatherPanel is Gather.Pack after its checks, at level.
func gatherPanel(level int, dst, src []float32, offs []int32, width int) {
	switch {
	case width == 16 && level >= levelAVX2:
		gatherPanelAVX(&dst[0], &src[0], &offs[0], len(offs))
	case width == 32 && level >= levelAVX512:
		gatherPanel32AVX512(&dst[0], &src[0], &offs[0], len(offs))
	default:
		gatherPanelGeneric(dst, src, offs, width)
	}
}

// transpose8AVX is Transpose8 after its checks, n8 blocks of 8 columns; it
// requires AVX.
//
//go:noescape
func transpose8AVX(dst *float32, ldd int, src *float32, lds int, mask *float32, n8 int)

// decimateRowsAVX is DecimateRows of the first 8*n8 values of each of
// rows rows, reading the first 16*n8 values of each source row (rows,
// n8 >= 1); it requires AVX2.
//
//go:noescape
func decimateRowsAVX(dst *float32, ldd int, src *float32, lds int, rows int, n8 int)

// maskCopyAVX is MaskCopy of 8*n8 values; it requires AVX.
//
//go:noescape
func maskCopyAVX(dst, src, mask *float32, n8 int)

// gatherPanel2AVX is Gather.Pack2 of rows of 16 without checks; it
// requires AVX.
//
//go:noescape
func gatherPanel2AVX(dst, src0, src1 *float32, offs *int32, n int)

// gatherPanel2x16AVX512 is Gather.Pack2 of rows of 32 without checks; it
// requires AVX-512F.
//
//go:noescape
func gatherPanel2x16AVX512(dst, src0, src1 *float32, offs *int32, n int)

// gatherPanel2 is Gather.Pack2 after its checks, at level.
func gatherPanel2(level int, dst, src0, src1 []float32, offs []int32, width int) {
	switch {
	case width == 16 && level >= levelAVX2:
		gatherPanel2AVX(&dst[0], &src0[0], &src1[0], &offs[0], len(offs))
	case width == 32 && level >= levelAVX512:
		gatherPanel2x16AVX512(&dst[0], &src0[0], &src1[0], &offs[0], len(offs))
	default:
		gatherPanel2Generic(dst, src0, src1, offs, width)
	}
}

// interleaveAVX is Interleave of at most 8 rows after its checks; it
// requires AVX.
//
//go:noescape
func interleaveAVX(dst *float32, h int, src *float32, lds int, rows int, n8 int)

// fmaPeakAVX512 runs n iterations of 24 independent zmm multiply-add
// chains (768 flops each); see MeasurePeak. It requires AVX-512F.
//
//go:noescape
func fmaPeakAVX512(n int)

// fmaPeakAVX2 runs n iterations of 12 independent ymm multiply-add chains
// (192 flops each); see MeasurePeak. It requires AVX2 and FMA.
//
//go:noescape
func fmaPeakAVX2(n int)

// peakLoop returns the FMA-peak loop of k and its flops per iteration, or
// nil.
func peakLoop(k Kernel) (func(n int), float64) {
	switch k {
	case AVX512:
		return fmaPeakAVX512, 24 * 16 * 2
	case AVX2:
		return fmaPeakAVX2, 12 * 8 * 2
	}
	return nil, 0
}

// transpose16AVX512 is Transpose16 after its checks, n16 blocks of 16
// columns; it requires AVX-512F.
//
//go:noescape
func transpose16AVX512(dst *float32, ldd int, src *float32, lds int, mask *float32, n16 int)

// interleaveAVX512 is Interleave of n16 blocks of 16 positions after its
// checks; it requires AVX-512F.
//
//go:noescape
func interleaveAVX512(dst *float32, h int, src *float32, lds int, rows int, n16 int)

// copyRowsAVX2 is CopyRows of the first 8*n8 values of each row after
// its checks (rows, n8 >= 1); it requires AVX.
//
//go:noescape
func copyRowsAVX2(dst *float32, ldd int, src *float32, lds int, mask *float32, rows int, n8 int)

// copyRowsAVX512 is CopyRows after its checks; it requires AVX-512F.
//
//go:noescape
func copyRowsAVX512(dst *float32, ldd int, src *float32, lds int, mask *float32, rows int, n int)

// packRunsAVX512 is Gather.PackRuns after its checks, the runs as int32
// triples (src, dst, lane mask); it requires AVX-512F.
//
//go:noescape
func packRunsAVX512(dst, src *float32, offs *int32, rows int, width int, runs *int32, nruns int)
