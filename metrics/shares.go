package metrics

import (
	"math"
	"slices"
)

// Shares normalises non-negative amounts (for example the squared gradient
// norm reaching each branch's parameters, summed over the steps since the
// previous checkpoint) to fractions of their total:
//
//	share_b = sq_b / sum_b' sq_b'
//
// The shares sum to 1 (up to rounding). If every amount is 0 (no gradient
// reached any branch, for example at step 0 before any update) the shares
// are undefined and every entry is NaN; a caller that wants the uniform
// 1/B must choose it explicitly. A negative, infinite or NaN amount also
// makes every entry NaN. Empty input returns an empty slice.
//
// Definition: ../shared/docs/science.md, metric 9 (gradient share).
func Shares(sq []float64) []float64 {
	out := make([]float64, len(sq))
	var s float64
	for _, v := range sq {
		s += v
	}
	bad := s == 0 || math.IsInf(s, 0) || slices.ContainsFunc(sq, func(v float64) bool { return v < 0 || math.IsNaN(v) })
	for b, v := range sq {
		if bad {
			out[b] = math.NaN()
		} else {
			out[b] = v / s
		}
	}
	return out
}
