//go:build amd64.v2 && !amd64.v3

package gemm

// archLevel is the GOAMD64 level this package was compiled for.
const archLevel = "v2"
