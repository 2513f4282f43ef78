//go:build amd64

package ops

import "golang.org/x/sys/cpu"

// pool2RowAVX max-pools 8*n8 windows of a row pair; see pool_amd64.s. It
// requires AVX2.
//
//go:noescape
func pool2RowAVX(x *float32, w int, y *float32, arg *int32, base int32, n8 int)

// pool2Fast pools the row pair starting at x[0] (rows of w) into y and arg
// with AVX2 when the CPU has it and w is a multiple of 16, and reports
// whether it did.
func pool2Fast(x, y []float32, arg []int32, base int32, w int) bool {
	if !cpu.X86.HasAVX2 || w%16 != 0 || len(x) < 2*w || len(y) < w/2 || len(arg) < w/2 {
		return false
	}
	pool2RowAVX(&x[0], w, &y[0], &arg[0], base, w/16)
	return true
}
