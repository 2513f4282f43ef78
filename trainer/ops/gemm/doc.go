// Package gemm computes single-precision general matrix products
// C = alpha*op(A)*op(B) + beta*C on row-major matrices, single-threaded,
// with cache-blocked micro-kernels in Go assembly (pure Go fallback) or
// OpenBLAS under the build tag openblas; and, for callers that build their
// operands straight in a kernel's packed layout (a convolution's patch
// matrix), the packed products MulPanel and MulGather (which reads the
// rows of B in place) with their fused epilogue (bias, ReLU) and the
// packing helpers Gather (Pack, Pack2, PackRuns), Interleave, Transpose8,
// Transpose16, CopyRows and MaskCopy, which are Go assembly under every
// build tag and run their kernel's instructions.
//
// Kernels: a Kernel names a family of micro-kernels and its packed
// layout: AVX512 (12x32 register tiles in zmm registers, B panels 32
// wide), AVX2 (6x16 tiles in ymm registers, B panels 16 wide) and
// Portable (pure Go, AVX2's layout). Kernels lists those this CPU runs,
// Fastest is the default of a new run, and the environment variable
// BRANCHSPEC_KERNEL (EnvKernel) selects one for a whole process; callers
// that must keep a kernel name it explicitly (Workspace.Kernel). Every
// kernel sums each output value as one chain of multiply-adds along k, so
// AVX512 and AVX2 (both fused) give the same bits; Portable does not fuse.
// ID (implementation, kernel, GOARCH and GOAMD64 level) is what a run
// records, and ID.Reproduce the kernel that gives its bits here.
// MeasurePeak measures one core's FMA peak with a kernel's instructions.
//
// Boundaries: gemm owns the float32 matrix products and the kernel
// identity; besides internal/cputime it must never import another
// branchspec package, nor gorgonia. Above trainer, nothing imports it:
// trainer.CenteredGram is the GEMM that measuring uses.
package gemm
