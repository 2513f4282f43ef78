//go:build !amd64

package ops

// pool2Fast reports that no vector pooling exists on this architecture.
func pool2Fast(vec vecLevel, x, y []float32, arg []int32, base int32, w int) bool { return false }

// pool3s2Fast reports that no vector pooling exists on this architecture.
func pool3s2Fast(vec vecLevel, x, y []float32, arg []int32, base int32, w, ow, r int) bool {
	return false
}

// pool2GradFast reports that no vector pooling exists on this architecture.
func pool2GradFast(vec vecLevel, gy, y []float32, arg []int32, base int32, w int, gx []float32) bool {
	return false
}
