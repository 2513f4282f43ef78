//go:build amd64 && !amd64.v2

package gemm

// goamd64 is the GOAMD64 level this package was compiled for.
const goamd64 = "v1"
