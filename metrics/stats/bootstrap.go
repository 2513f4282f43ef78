package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Bootstrap returns resamples bootstrap replicates of stat on x: each
// replicate applies stat to n = len(x) values drawn from x uniformly with
// replacement (rng.IntN(n), n draws per replicate, replicate by replicate),
// so the result is a function of x, resamples and rng's state alone.
// Returns nil for empty x. Panics if resamples < 1 or rng is nil.
//
// Efron, B., "Bootstrap methods: another look at the jackknife", The
// Annals of Statistics 7(1), 1979.
func Bootstrap(x []float64, stat func([]float64) float64, resamples int, rng *rand.Rand) []float64 {
	checkResampling("stats.Bootstrap", resamples, rng)
	if len(x) == 0 {
		return nil
	}
	reps := make([]float64, resamples)
	buf := make([]float64, len(x))
	for r := range reps {
		for i := range buf {
			buf[i] = x[rng.IntN(len(x))]
		}
		reps[r] = stat(buf)
	}
	return reps
}

// BootstrapDiff returns resamples bootstrap replicates of mean(a) - mean(b),
// resampling a and b independently (stratified by sample): in each
// replicate len(a) draws from a, then len(b) draws from b. Returns nil if
// either sample is empty. Panics if resamples < 1 or rng is nil.
func BootstrapDiff(a, b []float64, resamples int, rng *rand.Rand) []float64 {
	checkResampling("stats.BootstrapDiff", resamples, rng)
	if len(a) == 0 || len(b) == 0 {
		return nil
	}
	reps := make([]float64, resamples)
	for r := range reps {
		sa, sb := 0.0, 0.0
		for range a {
			sa += a[rng.IntN(len(a))]
		}
		for range b {
			sb += b[rng.IntN(len(b))]
		}
		reps[r] = sa/float64(len(a)) - sb/float64(len(b))
	}
	return reps
}

// PercentileInterval returns the two-sided percentile interval of the
// bootstrap replicates reps at the given coverage level:
//
//	lo = Quantile(reps, (1 - level)/2),  hi = Quantile(reps, (1 + level)/2)
//
// (type-7 quantiles; see Quantile). NaN replicates are dropped; with none
// left both bounds are NaN. Panics unless 0 < level < 1.
//
// Efron, B. and Tibshirani, R. J., "An Introduction to the Bootstrap",
// Chapman & Hall, 1993, section 13.3 (the percentile interval).
func PercentileInterval(reps []float64, level float64) (lo, hi float64) {
	if !(level > 0 && level < 1) {
		panic(fmt.Sprintf("stats.PercentileInterval: level = %v, want 0 < level < 1", level))
	}
	s := make([]float64, 0, len(reps))
	for _, v := range reps {
		if !math.IsNaN(v) {
			s = append(s, v)
		}
	}
	if len(s) == 0 {
		return math.NaN(), math.NaN()
	}
	slices.Sort(s)
	return quantileSorted(s, (1-level)/2), quantileSorted(s, (1+level)/2)
}

// BootstrapMeanCI returns the percentile bootstrap confidence interval of
// the mean of x: PercentileInterval(Bootstrap(x, Mean, resamples, rng),
// level). With fewer than two values the spread is unknown and both bounds
// are NaN (a single value would give the empty-width interval [x0, x0]).
// Panics if resamples < 1, rng is nil or level is outside (0, 1).
//
// Example: x = {0, 1} gives replicate means 0, 1/2 and 1 with probabilities
// 1/4, 1/2, 1/4, so for any resamples large enough the 95% interval is
// [0, 1] and the 40% interval (30th..70th percentile) is [1/2, 1/2].
func BootstrapMeanCI(x []float64, level float64, resamples int, rng *rand.Rand) (lo, hi float64) {
	checkResampling("stats.BootstrapMeanCI", resamples, rng)
	if len(x) < 2 {
		PercentileInterval(nil, level) // checks level
		return math.NaN(), math.NaN()
	}
	return PercentileInterval(Bootstrap(x, Mean, resamples, rng), level)
}

// BootstrapDiffCI returns the percentile bootstrap confidence interval of
// mean(a) - mean(b): PercentileInterval(BootstrapDiff(a, b, resamples, rng),
// level). Both bounds are NaN unless each sample has at least two values.
// Panics like BootstrapMeanCI.
func BootstrapDiffCI(a, b []float64, level float64, resamples int, rng *rand.Rand) (lo, hi float64) {
	checkResampling("stats.BootstrapDiffCI", resamples, rng)
	if len(a) < 2 || len(b) < 2 {
		PercentileInterval(nil, level)
		return math.NaN(), math.NaN()
	}
	return PercentileInterval(BootstrapDiff(a, b, resamples, rng), level)
}

func checkResampling(op string, resamples int, rng *rand.Rand) {
	if resamples < 1 || rng == nil {
		panic(fmt.Sprintf("%s: resamples = %d, rng nil = %v: want resamples >= 1 and an rng", op, resamples, rng == nil))
	}
}
