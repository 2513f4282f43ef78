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

// PairedDiffInterval returns a confidence interval, at the given coverage
// level, for the difference theta = p1 - p2 of two proportions measured on
// the same n items (paired data: each item is a success or failure under
// both conditions), from the 2x2 table of the items
//
//	a: success under both       b: success under condition 1 only
//	c: success under 2 only     d: failure under both
//
// by Newcombe's method 10, the Wilson score intervals of the two marginal
// proportions combined with the correlation of the pairs:
//
//	n = a + b + c + d,   p1 = (a + b)/n,   p2 = (a + c)/n,   theta = p1 - p2
//	[l1, u1], [l2, u2]   Wilson intervals of p1 and p2 (WilsonInterval)
//	e   = a d - b c,  replaced by max(e - n/2, 0) when e > 0
//	phi = e / sqrt((a+b)(c+d)(a+c)(b+d))              (0 when a margin is 0)
//	lo  = theta - sqrt((p1-l1)^2 - 2 phi (p1-l1)(u2-p2) + (u2-p2)^2)
//	hi  = theta + sqrt((u1-p1)^2 - 2 phi (u1-p1)(p2-l2) + (p2-l2)^2)
//
// clipped to [-1, 1]. The correction of a positive correlation (Newcombe's
// corrected phi) keeps the interval from being too narrow when the
// conditions agree on most items. It never leaves that range and keeps its coverage
// near the nominal level for small n and proportions near 0 or 1, where
// the Wald interval does neither. Swapping b and c negates the interval.
// n = 0 gives NaN for both. Panics if a count is negative or the level is
// outside (0, 1).
//
// Used for the accuracy drop of a lesion: condition 1 the intact net,
// condition 2 the net with a branch zeroed, on the same held-out examples.
//
// Newcombe, R. G., "Improved confidence intervals for the difference
// between binomial proportions based on paired data", Statistics in
// Medicine 17, 1998, 2635-2650 (method 10); Fagerland, M. W., Lydersen,
// S. and Laake, P., "Recommended tests and confidence intervals for paired
// binomial proportions", Statistics in Medicine 33, 2014, 2850-2875 (the
// Newcombe square-and-add interval).
func PairedDiffInterval(a, b, c, d int, level float64) (lo, hi float64) {
	if a < 0 || b < 0 || c < 0 || d < 0 || !(level > 0 && level < 1) {
		panic(fmt.Sprintf("stats.PairedDiffInterval: a, b, c, d = %d, %d, %d, %d, level = %v; want counts >= 0 and 0 < level < 1", a, b, c, d, level))
	}
	n := a + b + c + d
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	fn := float64(n)
	p1, p2 := float64(a+b)/fn, float64(a+c)/fn
	l1, u1 := WilsonInterval(a+b, n, level)
	l2, u2 := WilsonInterval(a+c, n, level)
	var phi float64
	if den := float64(a+b) * float64(c+d) * float64(a+c) * float64(b+d); den > 0 {
		e := float64(a)*float64(d) - float64(b)*float64(c)
		if e > 0 {
			e = max(e-fn/2, 0)
		}
		phi = e / math.Sqrt(den)
	}
	theta := p1 - p2
	dl1, du1, dl2, du2 := p1-l1, u1-p1, p2-l2, u2-p2
	lo = theta - math.Sqrt(max(dl1*dl1-2*phi*dl1*du2+du2*du2, 0))
	hi = theta + math.Sqrt(max(du1*du1-2*phi*du1*dl2+dl2*dl2, 0))
	return max(lo, -1), min(hi, 1)
}
