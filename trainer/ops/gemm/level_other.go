//go:build !amd64

package gemm

// archLevel is empty: the level of other architectures (GOARM64, ...) is
// not recorded.
const archLevel = ""
