//go:build amd64

package ops

// sum4SSE writes to s the four partial sums of sum4 over v[:4*n4]; see
// sum_amd64.s.
//
//go:noescape
func sum4SSE(s *[4]float32, v *float32, n4 int)

// sum4MaskSSE is sum4SSE of v[i] * [y[i] != 0] (reluMask).
//
//go:noescape
func sum4MaskSSE(s *[4]float32, v, y *float32, n4 int)

// hasSum4Lanes reports whether sum4Lanes runs here.
const hasSum4Lanes = true

// sum4Lanes returns sum4's four partial sums over g, whose length is a
// multiple of 4 (masked by y, at least as long, when y is not nil),
// computed in the lanes of an SSE register.
func sum4Lanes(g, y []float32) (s [4]float32) {
	n4 := len(g) / 4
	if n4 == 0 {
		return s
	}
	if y == nil {
		sum4SSE(&s, &g[0], n4)
	} else {
		_ = y[len(g)-1]
		sum4MaskSSE(&s, &g[0], &y[0], n4)
	}
	return s
}

// addToSSE adds src[i] to dst[i] for i < 16*n16; see sum_amd64.s.
//
//go:noescape
func addToSSE(dst, src *float32, n16 int)

// addTo adds src[i] to dst[i] for i < len(dst) (src at least as long):
// one float32 addition an element, so the same bits as a Go loop.
func addTo(dst, src []float32) {
	n16 := len(dst) / 16
	if n16 > 0 {
		_ = src[len(dst)-1]
		addToSSE(&dst[0], &src[0], n16)
	}
	for i := n16 * 16; i < len(dst); i++ {
		dst[i] += src[i]
	}
}
