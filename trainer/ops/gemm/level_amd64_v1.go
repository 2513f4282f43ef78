//go:build amd64 && !amd64.v2

package gemm

// archLevel is the GOAMD64 level this package was compiled for.
const archLevel = "v1"
