package ops

import (
	"math"
	"testing"
)

// TestPool2TieRule checks pool2 (the vector path for rows of 16k, the
// scalar path otherwise) against the rule spelled out directly: the first
// maximum in row-major window order under strict >, on data full of ties,
// signed zeros and NaNs.
func TestPool2TieRule(t *testing.T) {
	rng := newRand(170)
	vals := []float32{0, float32(math.Copysign(0, -1)), 1, 1, -1, 2, float32(math.NaN())}
	for _, w := range []int{32, 16, 6, 48} {
		h := 4
		x := make([]float32, h*w)
		for i := range x {
			x[i] = vals[rng.IntN(len(vals))]
		}
		y := make([]float32, h*w/4)
		arg := make([]int32, len(y))
		const base = 1000
		pool2(x, y, arg, base, w)
		for o := range y {
			r, q := o/(w/2), o%(w/2)
			best := 2*r*w + 2*q
			for _, i := range []int{best + 1, best + w, best + w + 1} {
				if x[i] > x[best] {
					best = i
				}
			}
			if arg[o] != base+int32(best) || math.Float32bits(y[o]) != math.Float32bits(x[best]) {
				t.Fatalf("w=%d output %d: (%g at %d), want (%g at %d)", w, o, y[o], arg[o]-base, x[best], best)
			}
		}
	}
}
