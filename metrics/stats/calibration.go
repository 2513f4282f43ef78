package stats

import (
	"fmt"
	"math"
)

// Calibration is the outcome of running a test where its null hypothesis
// holds, once per seed: the p-values and a Kolmogorov-Smirnov test of their
// uniformity. A calibrated test gives uniform p-values there, so that
// P(p <= alpha) = alpha at every level.
type Calibration struct {
	// P holds the p-value of seed i at index i.
	P []float64
	// D and KSP: the largest distance between the p-values' empirical CDF
	// and the uniform one (continuous, or on the grid of a Monte Carlo
	// p-value), and its Kolmogorov-Smirnov p-value.
	D, KSP float64
}

// Calibrate evaluates pvalue(seed) for seed = 0, 1, ..., seeds-1, in that
// order, and tests the p-values for uniformity. pvalue must draw
// everything it needs from an RNG seeded by its argument, so that the
// check is deterministic, and should simulate the null hypothesis (for
// example a network at initialisation). A KSP at or below 0.01 says the
// test is miscalibrated.
//
// draws is the number of null draws N behind each p-value when it is a
// Monte Carlo or permutation p-value (r+1)/(N+1), which takes only the
// values j/(N+1): the p-values are then compared with the discrete uniform
// distribution on that grid (KSDiscreteUniform), which a calibrated one
// follows exactly. draws = 0 compares them with Uniform(0, 1) (KSUniform),
// for p-values with a continuous distribution. Panics if seeds < 1,
// draws < 0 or pvalue is nil.
//
// Used to show that a null is calibrated at step 0: ../shared/docs/science.md, "Chance
// level is measured, not assumed" (>= 100 seeds, uniform p).
func Calibrate(seeds, draws int, pvalue func(seed uint64) float64) Calibration {
	if seeds < 1 || draws < 0 || pvalue == nil {
		panic(fmt.Sprintf("stats.Calibrate: seeds = %d, draws = %d, pvalue nil = %v; want seeds >= 1, draws >= 0 and a function", seeds, draws, pvalue == nil))
	}
	p := make([]float64, seeds)
	for i := range p {
		p[i] = pvalue(uint64(i))
	}
	var d, ksp float64
	if draws == 0 {
		d, ksp = KSUniform(p)
	} else {
		d, ksp = KSDiscreteUniform(p, draws+1)
	}
	return Calibration{P: p, D: d, KSP: ksp}
}

// Rate returns the fraction of the p-values that are at most alpha (the
// test's rejection rate at level alpha where its null holds) with the
// Wilson 95% interval of that fraction. A calibrated test has rate about
// alpha, a conservative one at most alpha. NaN p-values count as not
// rejected. Empty P gives NaN for all three. Panics unless 0 <= alpha <= 1.
func (c Calibration) Rate(alpha float64) (rate, lo, hi float64) {
	if !(alpha >= 0 && alpha <= 1) {
		panic(fmt.Sprintf("stats.Calibration.Rate: alpha = %v, want 0 <= alpha <= 1", alpha))
	}
	if len(c.P) == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	k := 0
	for _, p := range c.P {
		if p <= alpha {
			k++
		}
	}
	lo, hi = WilsonInterval(k, len(c.P), 0.95)
	return float64(k) / float64(len(c.P)), lo, hi
}
