package stats

import (
	"fmt"
	"math"
	"slices"
)

// BHAdjust returns the Benjamini-Hochberg adjusted p-values (q-values) of a
// family of m tests, in the order of p:
//
//	p_(1) <= ... <= p_(m)           the p-values sorted ascending
//	q_(i) = min_{j >= i} min(1, m p_(j) / j)
//
// Test i is a discovery at false discovery rate alpha exactly when
// q_i <= alpha (see BHDiscoveries). q_i >= p_i, and q is monotone in p.
// NaN p-values are not part of the family: m counts the others, and their
// q is NaN. Empty input returns an empty slice. Panics if a p-value lies
// outside [0, 1].
//
// Benjamini, Y. and Hochberg, Y., "Controlling the false discovery rate: a
// practical and powerful approach to multiple testing", Journal of the
// Royal Statistical Society B 57(1), 1995; the adjusted form is Yekutieli,
// D. and Benjamini, Y., Journal of Statistical Planning and Inference 82,
// 1999 (statsmodels' multipletests(method="fdr_bh"), R's p.adjust "BH").
func BHAdjust(p []float64) []float64 {
	idx := familyOrder("stats.BHAdjust", p)
	q := make([]float64, len(p))
	for i := range q {
		q[i] = math.NaN()
	}
	m := float64(len(idx))
	prev := 1.0
	for r := len(idx) - 1; r >= 0; r-- {
		i := idx[r]
		prev = min(prev, m*p[i]/float64(r+1))
		q[i] = prev
	}
	return q
}

// BHDiscoveries reports which of the m tests with p-values p are
// discoveries of the Benjamini-Hochberg step-up procedure at false
// discovery rate alpha:
//
//	i* = max { i : p_(i) <= i alpha / m }
//	discoveries = the tests with p_(1), ..., p_(i*)     (none if no such i)
//
// which controls the expected fraction of false discoveries among the
// discoveries at alpha m0/m <= alpha for independent (or positively
// dependent) tests. It agrees with BHAdjust(p)[i] <= alpha. NaN p-values
// are not part of the family and are never discoveries. Panics if a
// p-value lies outside [0, 1] or alpha outside [0, 1].
//
// Benjamini, Y. and Hochberg, Y., "Controlling the false discovery rate",
// Journal of the Royal Statistical Society B 57(1), 1995, section 3.
func BHDiscoveries(p []float64, alpha float64) []bool {
	if !(alpha >= 0 && alpha <= 1) {
		panic(fmt.Sprintf("stats.BHDiscoveries: alpha = %v, want 0 <= alpha <= 1", alpha))
	}
	idx := familyOrder("stats.BHDiscoveries", p)
	m := float64(len(idx))
	last := -1
	for r, i := range idx {
		if p[i] <= float64(r+1)*alpha/m {
			last = r
		}
	}
	out := make([]bool, len(p))
	for _, i := range idx[:last+1] {
		out[i] = true
	}
	return out
}

// familyOrder returns the indices of the non-NaN p-values, sorted by
// p-value ascending (ties by index), panicking (naming fn) on a p-value
// outside [0, 1].
func familyOrder(fn string, p []float64) []int {
	idx := make([]int, 0, len(p))
	for i, v := range p {
		if math.IsNaN(v) {
			continue
		}
		if v < 0 || v > 1 {
			panic(fmt.Sprintf("%s: p[%d] = %v outside [0, 1]", fn, i, v))
		}
		idx = append(idx, i)
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case p[a] < p[b]:
			return -1
		case p[a] > p[b]:
			return 1
		}
		return 0
	})
	return idx
}
