//go:build !amd64

package ops

// On this architecture lrnKernel has no vector paths: each reports that it
// did nothing.
func (k lrnKernel) lrnForwardFast(y, d, xc, win []float32, m, stride, n int) int    { return 0 }
func (k lrnKernel) lrnQuotientFast(q, gy, y, d []float32) int                       { return 0 }
func (k lrnKernel) lrnBackwardFast(gx, x, gy, d, q []float32, m, stride, n int) int { return 0 }
