//go:build !amd64

package ops

// hasSum4Lanes reports whether sum4Lanes runs here: not on this
// architecture.
const hasSum4Lanes = false

func sum4Lanes(g, y []float32) [4]float32 { panic("ops: sum4Lanes without a vector path") }

// addTo adds src[i] to dst[i] for i < len(dst) (src at least as long).
func addTo(dst, src []float32) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] += src[i]
	}
}
