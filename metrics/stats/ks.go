package stats

import (
	"fmt"
	"math"
	"slices"
)

// KSUniform returns the one-sample Kolmogorov-Smirnov statistic D of the
// sample x against Uniform(0, 1), and its two-sided p-value P(D_n >= D)
// for n = len(x) independent Uniform(0, 1) draws:
//
//	x_(1) <= ... <= x_(n),   F(x) = min(max(x, 0), 1)
//	D+ = max_i (i/n - F(x_(i))),   D- = max_i (F(x_(i)) - (i-1)/n)
//	D  = max(D+, D-)
//	p  = P(D_n >= D)
//
// The p-value is KolmogorovSF(n, D). x is not modified. Empty x gives NaN
// for both; a NaN in x gives NaN for both.
//
// Use it to check that a null's p-values are calibrated (uniform when the
// null hypothesis holds; see Calibrate, and KSDiscreteUniform for Monte
// Carlo p-values). scipy.stats.kstest(x, "uniform") computes the same D;
// its p agrees to about 5 digits (scipy's kstwo switches to the Pelz-Good
// series for n > 140, where KolmogorovSF stays exact).
//
// Kolmogorov, A. N., "Sulla determinazione empirica di una legge di
// distribuzione", Giornale dell'Istituto Italiano degli Attuari 4, 1933;
// Smirnov, N. V., "Table for estimating the goodness of fit of empirical
// distributions", Annals of Mathematical Statistics 19, 1948.
func KSUniform(x []float64) (d, p float64) {
	if len(x) == 0 || slices.ContainsFunc(x, math.IsNaN) {
		return math.NaN(), math.NaN()
	}
	s := slices.Clone(x)
	slices.Sort(s)
	n := float64(len(s))
	for i, v := range s {
		f := min(max(v, 0), 1)
		d = max(d, float64(i+1)/n-f, f-float64(i)/n)
	}
	return d, KolmogorovSF(len(s), d)
}

// KSDiscreteUniform returns the Kolmogorov-Smirnov statistic of the sample
// x against the discrete uniform distribution on {1/m, 2/m, ..., 1}, the
// distribution of a calibrated Monte Carlo p-value (r+1)/(N+1) with m =
// N+1 (Phipson & Smyth 2010), and a conservative p-value for it:
//
//	F(x) = floor(m x) / m   on [0, 1]     (0 below, 1 above)
//	D    = sup_x |F_n(x) - F(x)|          (F_n the empirical CDF of x)
//	p    = KolmogorovSF(n, D)
//
// The supremum is taken at every jump of F and F_n, from both sides.
// Comparing such p-values with the continuous uniform instead (KSUniform)
// inflates D by up to 1/m and rejects calibrated nulls once n is large
// beside m^2. For a discrete F the continuous Kolmogorov distribution
// gives a conservative p-value (Noether 1963). Empty x or a NaN in x gives
// NaN for both. Panics if m < 1.
//
// Noether, G. E., "Note on the Kolmogorov statistic in the discrete
// case", Metrika 7, 1963; Phipson & Smyth, "Permutation P-values should
// never be zero", Stat. Appl. Genet. Mol. Biol. 9(1), 2010.
func KSDiscreteUniform(x []float64, m int) (d, p float64) {
	if m < 1 {
		panic(fmt.Sprintf("stats.KSDiscreteUniform: m = %d, want >= 1", m))
	}
	if len(x) == 0 || slices.ContainsFunc(x, math.IsNaN) {
		return math.NaN(), math.NaN()
	}
	s := slices.Clone(x)
	slices.Sort(s)
	fm, n := float64(m), float64(len(s))
	// grid returns m v, snapped to the nearest integer when within
	// rounding of it (j/m * m need not be exactly j).
	grid := func(v float64) float64 {
		g := fm * v
		if r := math.Round(g); math.Abs(g-r) <= 1e-9*fm {
			return r
		}
		return g
	}
	// F at v and just below v.
	F := func(v float64) float64 { return min(max(math.Floor(grid(v)), 0), fm) / fm }
	Fleft := func(v float64) float64 { return min(max(math.Ceil(grid(v))-1, 0), fm) / fm }
	// Fn at v and just below v: the counts of sample values <= v and < v.
	Fn := func(v float64) (at, left float64) {
		le, _ := slices.BinarySearch(s, math.Nextafter(v, math.Inf(1)))
		lt, _ := slices.BinarySearch(s, v)
		return float64(le) / n, float64(lt) / n
	}
	check := func(v float64) {
		at, left := Fn(v)
		d = max(d, math.Abs(at-F(v)), math.Abs(left-Fleft(v)))
	}
	for j := 1; j <= m; j++ {
		check(float64(j) / fm)
	}
	for _, v := range s {
		check(v)
	}
	return d, KolmogorovSF(len(s), d)
}

// Accuracy and cost bounds of KolmogorovSF.
const (
	// ksTail: for n d^2 above it the two-sided tail is below about 1e-3;
	// twice the one-sided tail differs from it by about 2 exp(-8 n d^2)
	// (< 1e-10 relative), where 1 - P(D < d) would lose digits.
	ksTail = 4
	// ksTailLarge: the same bound for n > ksExactN, where the alternative
	// is an asymptotic series. Asymptotically the two-sided tail is 2
	// exp(-2x^2) - 2 exp(-8x^2) + ... with x^2 = n d^2, twice the one-sided
	// one 2 exp(-2x^2): beyond x^2 = 2 they differ by < 1e-5 relative.
	ksTailLarge = 2
	// ksExactN: the largest n for which the exact matrix method runs; its
	// matrix has order 2 ceil(n d) - 1 <= 2 sqrt(ksTail n) + 1 (127 for
	// n = 1000).
	ksExactN = 1000
)

// KolmogorovSF returns P(D_n >= d), the survival function of the
// two-sided Kolmogorov-Smirnov statistic D_n of n independent draws from a
// continuous distribution:
//
//	d <= 0              1
//	d >= 1              0
//	n d^2 > 4, or       min(1, 2 P(D+_n >= d)), the one-sided tail being
//	n d^2 > 2           exact: P(D+_n >= d) = d sum_{j=0}^{floor(n(1-d))}
//	and n > 1000        C(n,j) (1 - d - j/n)^(n-j) (d + j/n)^(j-1)
//	n <= 1000           1 - P(D_n < d) by the exact method of Marsaglia,
//	                    Tsang and Wang (an m x m matrix to the power n,
//	                    m = 2 ceil(n d) - 1)
//	otherwise           the limiting distribution 2 sum_k (-1)^(k-1)
//	                    exp(-2 k^2 x^2) at x = d (sqrt(n) + 0.12 +
//	                    0.11/sqrt(n)) (Stephens' modification)
//
// In the tail P(D >= d) = 2 P(D+ >= d) - P(D+ >= d and D- >= d); the last
// term is asymptotically 2 exp(-8 n d^2), against 2 exp(-2 n d^2) for the
// first, and exactly 0 for d >= 1/2.
// The tests hold the result within 1e-8 relative of the exact value (40
// digits) and of scipy's kstwo.sf where that is exact, for n <= 1000 and
// in the tail; for n > 1000 outside the tail (p > 0.03) within 0.5%
// relative. Panics if n < 1. NaN d returns NaN.
//
// Marsaglia, G., Tsang, W. W. and Wang, J., "Evaluating Kolmogorov's
// distribution", Journal of Statistical Software 8(18), 2003; Birnbaum, Z.
// W. and Tingey, F. H., "One-sided confidence contours for probability
// distribution functions", Annals of Mathematical Statistics 22, 1951;
// Stephens, M. A., "Use of the Kolmogorov-Smirnov, Cramer-von Mises and
// related statistics without extensive tables", JRSS B 32, 1970.
func KolmogorovSF(n int, d float64) float64 {
	if n < 1 {
		panic(fmt.Sprintf("stats.KolmogorovSF: n = %d, want >= 1", n))
	}
	switch {
	case math.IsNaN(d):
		return math.NaN()
	case d <= 0:
		return 1
	case d >= 1:
		return 0
	case float64(n)*d*d > ksTail, n > ksExactN && float64(n)*d*d > ksTailLarge:
		return min(1, 2*smirnovSF(n, d))
	case n <= ksExactN:
		return min(max(1-kolmogorovCDF(n, d), 0), 1)
	}
	sn := math.Sqrt(float64(n))
	return min(max(kolmogorovLimitSF(d*(sn+0.12+0.11/sn)), 0), 1)
}

// smirnovSF returns P(D+_n >= d) for 0 < d < 1 by the Birnbaum-Tingey sum,
// accumulated in log space.
func smirnovSF(n int, d float64) float64 {
	fn := float64(n)
	lgn, _ := math.Lgamma(fn + 1)
	terms := make([]float64, 0, n+1)
	for j := 0; j <= int(math.Floor(fn*(1-d))); j++ {
		fj := float64(j)
		a := 1 - d - fj/fn
		if a <= 0 {
			continue // the term is 0 (j = n(1-d) exactly, j < n)
		}
		lj, _ := math.Lgamma(fj + 1)
		lnj, _ := math.Lgamma(fn - fj + 1)
		terms = append(terms, lgn-lj-lnj+(fn-fj)*math.Log(a)+(fj-1)*math.Log(d+fj/fn))
	}
	if len(terms) == 0 {
		return 0
	}
	m := slices.Max(terms)
	var s float64
	for _, v := range terms {
		s += math.Exp(v - m)
	}
	return d * math.Exp(m+math.Log(s))
}

// kolmogorovLimitSF returns 2 sum_{k>=1} (-1)^(k-1) exp(-2 k^2 x^2), the
// limiting survival function of sqrt(n) D_n (1 for x <= 0).
func kolmogorovLimitSF(x float64) float64 {
	if x <= 0 {
		return 1
	}
	var s float64
	for k := 1; k <= 100; k++ {
		t := math.Exp(-2 * float64(k*k) * x * x)
		if k%2 == 0 {
			t = -t
		}
		s += t
		if math.Abs(t) < 1e-17 {
			break
		}
	}
	return 2 * s
}

// kolmogorovCDF returns P(D_n < d) by Marsaglia, Tsang and Wang (2003),
// their function K(n, d) without its right-tail shortcut: with k =
// floor(n d) + 1, m = 2k - 1 and h = k - n d, P = n!/n^n (H^n)_{k,k} for
// the m x m matrix H of their section 2. Matrix powers carry a decimal
// exponent so that nothing overflows.
func kolmogorovCDF(n int, d float64) float64 {
	k := int(float64(n)*d) + 1
	m := 2*k - 1
	h := float64(k) - float64(n)*d
	H := make([]float64, m*m)
	for i := range m {
		for j := range m {
			if i-j+1 >= 0 {
				H[i*m+j] = 1
			}
		}
	}
	for i := range m {
		H[i*m] -= math.Pow(h, float64(i+1))
		H[(m-1)*m+i] -= math.Pow(h, float64(m-i))
	}
	if 2*h-1 > 0 {
		H[(m-1)*m] += math.Pow(2*h-1, float64(m))
	}
	for i := range m {
		for j := range m {
			for g := 1; g <= i-j+1; g++ {
				H[i*m+j] /= float64(g)
			}
		}
	}
	Q, eQ := matPow(H, 0, m, n)
	s := Q[(k-1)*m+k-1]
	for i := 1; i <= n; i++ {
		s = s * float64(i) / float64(n)
		if s < 1e-140 {
			s *= 1e140
			eQ -= 140
		}
	}
	return s * math.Pow(10, float64(eQ))
}

// matPow returns (A 10^eA)^n as V 10^eV for the m x m matrix A, by
// repeated squaring, rescaling by 1e-140 whenever the centre entry exceeds
// 1e140 (the mPower of Marsaglia, Tsang and Wang).
func matPow(A []float64, eA, m, n int) (V []float64, eV int) {
	if n == 1 {
		return slices.Clone(A), eA
	}
	V, eV = matPow(A, eA, m, n/2)
	B := matMul(V, V, m)
	eB := 2 * eV
	if n%2 == 0 {
		V, eV = B, eB
	} else {
		V, eV = matMul(A, B, m), eA+eB
	}
	if V[(m/2)*m+m/2] > 1e140 {
		for i := range V {
			V[i] *= 1e-140
		}
		eV += 140
	}
	return V, eV
}

// matMul returns the product of the m x m matrices a and b.
func matMul(a, b []float64, m int) []float64 {
	c := make([]float64, m*m)
	for i := range m {
		ci := c[i*m : (i+1)*m]
		for k, aik := range a[i*m : (i+1)*m] {
			if aik == 0 {
				continue
			}
			for j, bkj := range b[k*m : (k+1)*m] {
				ci[j] += aik * bkj
			}
		}
	}
	return c
}
