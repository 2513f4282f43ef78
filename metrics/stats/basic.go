package stats

import (
	"fmt"
	"math"
	"slices"
)

// Mean returns the arithmetic mean of x,
//
//	mean = (1/n) sum_i x_i
//
// or NaN when x is empty.
func Mean(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// Variance returns the unbiased sample variance of x,
//
//	var = sum_i (x_i - mean)^2 / (n - 1)
//
// or NaN when x has fewer than two values.
func Variance(x []float64) float64 {
	if len(x) < 2 {
		return math.NaN()
	}
	m := Mean(x)
	s := 0.0
	for _, v := range x {
		s += (v - m) * (v - m)
	}
	return s / float64(len(x)-1)
}

// Quantile returns the q-quantile of x by linear interpolation between
// order statistics (Hyndman and Fan's type 7, the default of R and NumPy):
//
//	h = (n - 1) q,  Q(q) = x_(floor h) + (h - floor h) (x_(floor h + 1) - x_(floor h))
//
// with x_(i) the 0-based order statistics. x is not modified. Returns NaN
// for empty x; panics unless 0 <= q <= 1.
//
// Hyndman, R. J. and Fan, Y., "Sample quantiles in statistical packages",
// The American Statistician 50(4), 1996, definition 7.
func Quantile(x []float64, q float64) float64 {
	if !(q >= 0 && q <= 1) {
		panic(fmt.Sprintf("stats.Quantile: q = %v, want 0 <= q <= 1", q))
	}
	if len(x) == 0 {
		return math.NaN()
	}
	s := slices.Clone(x)
	slices.Sort(s)
	return quantileSorted(s, q)
}

// quantileSorted is Quantile on ascending s, which it does not copy.
func quantileSorted(s []float64, q float64) float64 {
	h := float64(len(s)-1) * q
	lo := int(math.Floor(h))
	if lo >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[lo] + (h-float64(lo))*(s[lo+1]-s[lo])
}

// Pearson returns the sample correlation coefficient of x and y,
//
//	r = sum_i (x_i - mx)(y_i - my) / sqrt(sum_i (x_i - mx)^2 sum_i (y_i - my)^2)
//
// in [-1, 1]. It is NaN when there are fewer than two pairs or either
// sample is constant (all its values equal: a mean computed with rounding
// error would otherwise leave tiny equal deviations and a spurious r near
// 0). Panics if len(x) != len(y).
func Pearson(x, y []float64) float64 {
	if len(x) != len(y) {
		panic(fmt.Sprintf("stats.Pearson: len(x) = %d, len(y) = %d", len(x), len(y)))
	}
	if len(x) < 2 || allEqual(x) || allEqual(y) {
		return math.NaN()
	}
	mx, my := Mean(x), Mean(y)
	var sxy, sxx, syy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return math.NaN()
	}
	return max(-1, min(1, sxy/math.Sqrt(sxx*syy)))
}

// allEqual reports whether every value of x equals x[0]. A NaN equals
// nothing, so a sample holding one is not constant.
func allEqual(x []float64) bool {
	for _, v := range x {
		if v != x[0] {
			return false
		}
	}
	return true
}

// Trapezoid returns the area under the piecewise linear curve through the
// points (x_i, y_i), x ascending,
//
//	A = sum_{i=1}^{n-1} (x_i - x_{i-1}) (y_i + y_{i-1}) / 2
//
// It is 0 for fewer than two points. Panics if len(x) != len(y) or x is
// not ascending (equal neighbours are allowed and add nothing).
func Trapezoid(x, y []float64) float64 {
	checkCurve("stats.Trapezoid", x, y)
	a := 0.0
	for i := 1; i < len(x); i++ {
		a += (x[i] - x[i-1]) * (y[i] + y[i-1]) / 2
	}
	return a
}

// MeanOverRange returns the area under the curve normalised by the range of
// x, the time-average of the piecewise linear curve:
//
//	AUC_norm = Trapezoid(x, y) / (x_{n-1} - x_0)
//
// It is y_0 for a single point or when all x are equal, and NaN for none.
// Panics like Trapezoid.
func MeanOverRange(x, y []float64) float64 {
	checkCurve("stats.MeanOverRange", x, y)
	switch {
	case len(x) == 0:
		return math.NaN()
	case x[len(x)-1] == x[0]:
		return y[0]
	}
	return Trapezoid(x, y) / (x[len(x)-1] - x[0])
}

func checkCurve(op string, x, y []float64) {
	if len(x) != len(y) {
		panic(fmt.Sprintf("%s: len(x) = %d, len(y) = %d", op, len(x), len(y)))
	}
	for i := 1; i < len(x); i++ {
		if x[i] < x[i-1] {
			panic(fmt.Sprintf("%s: x not ascending at %d (%v after %v)", op, i, x[i], x[i-1]))
		}
	}
}

// LinearFit returns the ordinary least squares line y = intercept + slope x
// through the points (x_i, y_i):
//
//	slope     = sum_i (x_i - mx)(y_i - my) / sum_i (x_i - mx)^2
//	intercept = my - slope mx
//
// Both are NaN when there are fewer than two points or x is constant.
// Panics if len(x) != len(y).
func LinearFit(x, y []float64) (slope, intercept float64) {
	if len(x) != len(y) {
		panic(fmt.Sprintf("stats.LinearFit: len(x) = %d, len(y) = %d", len(x), len(y)))
	}
	if len(x) < 2 {
		return math.NaN(), math.NaN()
	}
	mx, my := Mean(x), Mean(y)
	var sxy, sxx float64
	for i := range x {
		sxy += (x[i] - mx) * (y[i] - my)
		sxx += (x[i] - mx) * (x[i] - mx)
	}
	if sxx == 0 {
		return math.NaN(), math.NaN()
	}
	slope = sxy / sxx
	return slope, my - slope*mx
}
