// Package gemm computes single-precision general matrix products
// C = alpha*op(A)*op(B) + beta*C on row-major matrices, single-threaded,
// with a cache-blocked AVX2/FMA kernel (pure Go fallback) or OpenBLAS
// under the build tag openblas; and, for callers that build their operands
// straight in the kernel's packed layout (a convolution's patch matrix),
// the packed product MulPanel with its fused epilogue (bias, ReLU) and the
// AVX2 packing helpers Gather, Transpose8, Interleave and MaskCopy, which
// are pure Go asm under every build tag.
//
// Boundaries: gemm owns the float32 matrix products; it must never import
// gorgonia or another branchspec package. Above trainer, nothing imports
// it: trainer.CenteredGram is the GEMM that measuring uses.
package gemm
