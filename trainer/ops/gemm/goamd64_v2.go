//go:build amd64.v2 && !amd64.v3

package gemm

// goamd64 is the GOAMD64 level this package was compiled for.
const goamd64 = "v2"
