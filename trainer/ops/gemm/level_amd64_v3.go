//go:build amd64.v3 && !amd64.v4

package gemm

// archLevel is the GOAMD64 level this package was compiled for.
const archLevel = "v3"
