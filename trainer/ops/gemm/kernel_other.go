//go:build !amd64

package gemm

// microKernel returns the portable 6x16 kernel and its name.
func microKernel() (func(k int, a, b, c *float32, ldc int), string) {
	return kernelGeneric, "generic"
}

// dotKernel reports that no dot-product kernel exists on this architecture.
func dotKernel() (func(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int), bool) {
	return nil, false
}
