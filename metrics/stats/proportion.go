package stats

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// WilsonInterval returns the Wilson score interval for a binomial
// proportion, k successes in n trials, at the given coverage level (0.95
// for a 95% interval):
//
//	z      = Phi^-1((1 + level) / 2)
//	p      = k / n
//	centre = (p + z^2 / (2n)) / (1 + z^2 / n)
//	half   = z / (1 + z^2 / n) sqrt(p (1 - p) / n + z^2 / (4 n^2))
//	lo, hi = centre - half, centre + half
//
// Unlike the Wald interval p +- z sqrt(p(1-p)/n) it never leaves [0, 1] and
// keeps its coverage near the nominal level for small n and for p near 0
// or 1 ("a split formed in 0 of 10 runs" gives [0, 0.278], not [0, 0]). lo
// is exactly 0 for k = 0 and hi exactly 1 for k = n. n = 0 gives NaN for
// both. Panics unless 0 <= k <= n and 0 < level < 1.
//
// Wilson, E. B., "Probable inference, the law of succession, and
// statistical inference", Journal of the American Statistical Association
// 22(158), 1927; Newcombe, R. G., "Two-sided confidence intervals for the
// single proportion: comparison of seven methods", Statistics in Medicine
// 17, 1998 (method 3). It is statsmodels' proportion_confint(method="wilson").
func WilsonInterval(k, n int, level float64) (lo, hi float64) {
	if k < 0 || k > n || !(level > 0 && level < 1) {
		panic(fmt.Sprintf("stats.WilsonInterval: k = %d, n = %d, level = %v; want 0 <= k <= n and 0 < level < 1", k, n, level))
	}
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	z := distuv.UnitNormal.Quantile((1 + level) / 2)
	fn := float64(n)
	p := float64(k) / fn
	z2n := z * z / fn
	centre := (p + z2n/2) / (1 + z2n)
	half := z / (1 + z2n) * math.Sqrt(p*(1-p)/fn+z2n/(4*fn))
	lo, hi = max(centre-half, 0), min(centre+half, 1)
	if k == 0 {
		lo = 0
	}
	if k == n {
		hi = 1
	}
	return lo, hi
}
