package metrics

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// Tail says which values of a statistic count as extreme under its null:
// the direction of the one-sided test.
type Tail int

const (
	// Upper: large values are extreme. For split and concentration
	// statistics (eta^2, rejoin max share), where specialization raises
	// the value.
	Upper Tail = iota
	// Lower: small values are extreme. For statistics that fall with
	// specialization (n-cut, rejoin entropy, CKA between branches).
	Lower
)

// String returns "upper" or "lower".
func (t Tail) String() string {
	switch t {
	case Upper:
		return "upper"
	case Lower:
		return "lower"
	}
	return fmt.Sprintf("Tail(%d)", int(t))
}

// Null is the distribution of a statistic under a null hypothesis, kept as
// the sample of its values: over branch-label permutations, weight
// shuffles, or fresh initialisations of the same architecture (the
// initialisation null, ../shared/docs/science.md: >= 20 initialisations, computed once
// per run and reused at every checkpoint). It gives the null's mean and
// standard deviation and the one-sided p-value of an observed value, in
// the direction of its Tail.
//
// A Null is immutable: build it with NewNull; the zero Null has no values
// (N = 0, P = 1). To store one, keep Values() and Tail() and rebuild it
// with NewNull.
type Null struct {
	values []float64 // ascending, no NaN
	tail   Tail
}

// NewNull returns the null with the given sample of values (copied, NaN
// values dropped) and tail. Panics if tail is neither Upper nor Lower.
func NewNull(values []float64, tail Tail) Null {
	if tail != Upper && tail != Lower {
		panic(fmt.Sprintf("metrics.NewNull: tail = %v, want Upper or Lower", tail))
	}
	v := make([]float64, 0, len(values))
	for _, x := range values {
		if !math.IsNaN(x) {
			v = append(v, x)
		}
	}
	slices.Sort(v)
	return Null{values: v, tail: tail}
}

// N returns the number of (non-NaN) values in the null.
func (n Null) N() int { return len(n.values) }

// Tail returns the direction of the test.
func (n Null) Tail() Tail { return n.tail }

// Values returns a copy of the null's values, ascending.
func (n Null) Values() []float64 { return slices.Clone(n.values) }

// Mean returns the mean of the null's values, NaN when it has none.
func (n Null) Mean() float64 {
	if len(n.values) == 0 {
		return math.NaN()
	}
	var s float64
	for _, v := range n.values {
		s += v
	}
	return s / float64(len(n.values))
}

// SD returns the sample standard deviation (n-1 divisor) of the null's
// values, NaN when it has fewer than two.
func (n Null) SD() float64 {
	if len(n.values) < 2 {
		return math.NaN()
	}
	m := n.Mean()
	var ss float64
	for _, v := range n.values {
		ss += (v - m) * (v - m)
	}
	return math.Sqrt(ss / float64(len(n.values)-1))
}

// P returns the one-sided p-value of the observed value obs against the
// null, in the direction of its tail:
//
//	r = #{ v_j >= obs - tol }     (Upper)
//	r = #{ v_j <= obs + tol }     (Lower)
//	p = (r + 1) / (N + 1),        tol = 1e-12 max(1, |obs|)
//
// The observed value counts as one draw of the null, so p >= 1/(N+1)
// and, when obs comes from the null itself, P(p <= alpha) <= alpha
// exactly: the p-value is valid with any N. The tolerance counts a null
// value equal to obs up to rounding (a relabelling that only renumbers
// the branches) as at least as extreme, which keeps p conservative. N = 0
// gives p = 1; NaN obs gives NaN. Costs O(log N).
//
// Report p, not a z-score: a statistic bounded at 0 such as eta^2 has a
// skewed null, so (obs - mean)/sd is no Gaussian score (../shared/docs/science.md,
// "Chance level is measured, not assumed").
//
// Reference: Phipson & Smyth, "Permutation P-values should never be zero:
// calculating exact P-values when permutations are randomly drawn", Stat.
// Appl. Genet. Mol. Biol. 9(1), article 39 (2010), p = (b+1)/(m+1).
func (n Null) P(obs float64) float64 {
	if math.IsNaN(obs) {
		return math.NaN()
	}
	tol := 1e-12 * max(1, math.Abs(obs))
	var r int
	if n.tail == Upper {
		r = len(n.values) - sort.SearchFloat64s(n.values, obs-tol)
	} else {
		r = sort.Search(len(n.values), func(i int) bool { return n.values[i] > obs+tol })
	}
	return float64(r+1) / float64(len(n.values)+1)
}
