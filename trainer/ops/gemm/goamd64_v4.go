//go:build amd64.v4

package gemm

// goamd64 is the GOAMD64 level this package was compiled for.
const goamd64 = "v4"
