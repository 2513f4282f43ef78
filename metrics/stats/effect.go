package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// HedgesG returns Hedges' g, the standardised difference of the means of a
// and b with the small-sample bias correction:
//
//	s_p = sqrt(((n_a - 1) var_a + (n_b - 1) var_b) / (n_a + n_b - 2))
//	d   = (mean_a - mean_b) / s_p
//	J   = Gamma(m/2) / (sqrt(m/2) Gamma((m - 1)/2)),  m = n_a + n_b - 2
//	g   = J d
//
// J is the exact correction (Hedges 1981, eq. 6e); the common
// approximation 1 - 3/(4m - 1) agrees with it to within 0.008 for m >= 2.
// var is the unbiased sample variance. g is NaN unless both samples have
// at least two values; when s_p = 0, g is NaN for equal means and ±Inf
// otherwise.
//
// Hedges, L. V., "Distribution theory for Glass's estimator of effect size
// and related estimators", Journal of Educational Statistics 6(2), 1981.
func HedgesG(a, b []float64) float64 {
	na, nb := len(a), len(b)
	if na < 2 || nb < 2 {
		return math.NaN()
	}
	m := float64(na + nb - 2)
	sp := math.Sqrt((float64(na-1)*Variance(a) + float64(nb-1)*Variance(b)) / m)
	diff := Mean(a) - Mean(b)
	if sp == 0 {
		if diff == 0 {
			return math.NaN()
		}
		return math.Inf(int(math.Copysign(1, diff)))
	}
	return hedgesJ(m) * diff / sp
}

// hedgesJ is the exact bias correction for m degrees of freedom, computed
// through log-gamma so that large m does not overflow.
func hedgesJ(m float64) float64 {
	lg1, _ := math.Lgamma(m / 2)
	lg2, _ := math.Lgamma((m - 1) / 2)
	return math.Exp(lg1-lg2) / math.Sqrt(m/2)
}

// PermutationP returns the two-sided permutation p-value for a difference
// of means between a and b. The statistic is T = |mean(a) - mean(b)| over
// a split of the pooled values into groups of sizes n_a and n_b.
//
// When the number of splits C(n_a + n_b, n_a) is at most perms, every
// split is enumerated (the observed one included) and
//
//	p = #{splits with T >= T_obs} / C(n_a + n_b, n_a)
//
// exactly, without using rng. Otherwise perms random splits are drawn
// (a Fisher-Yates shuffle of the pooled values from rng for each) and
//
//	p = (r + 1) / (perms + 1),  r = #{drawn splits with T >= T_obs}
//
// which is never 0 (Phipson and Smyth 2010). T >= T_obs is judged with a
// tolerance of 1e-9 (1 + |T_obs|) so that splits tying the observed one
// count despite rounding. Returns NaN if either sample is empty; panics if
// perms < 1, or rng is nil when it is needed.
//
// Phipson, B. and Smyth, G. K., "Permutation p-values should never be
// zero", Statistical Applications in Genetics and Molecular Biology 9(1),
// 2010.
func PermutationP(a, b []float64, perms int, rng *rand.Rand) float64 {
	if perms < 1 {
		panic(fmt.Sprintf("stats.PermutationP: perms = %d, want >= 1", perms))
	}
	na, nb := len(a), len(b)
	if na == 0 || nb == 0 {
		return math.NaN()
	}
	pooled := append(append(make([]float64, 0, na+nb), a...), b...)
	total := 0.0
	for _, v := range pooled {
		total += v
	}
	stat := func(sumA float64) float64 {
		return math.Abs(sumA/float64(na) - (total-sumA)/float64(nb))
	}
	obs := stat(sumOf(a))
	tol := 1e-9 * (1 + obs)
	if splits, ok := binomial(na+nb, na, perms); ok {
		r := 0
		eachCombination(na+nb, na, func(idx []int) {
			s := 0.0
			for _, i := range idx {
				s += pooled[i]
			}
			if stat(s) >= obs-tol {
				r++
			}
		})
		return float64(r) / float64(splits)
	}
	if rng == nil {
		panic("stats.PermutationP: nil rng for a sampled permutation test")
	}
	r := 0
	for range perms {
		rng.Shuffle(len(pooled), func(i, j int) { pooled[i], pooled[j] = pooled[j], pooled[i] })
		if stat(sumOf(pooled[:na])) >= obs-tol {
			r++
		}
	}
	return float64(r+1) / float64(perms+1)
}

// SignFlipP returns the two-sided sign-flip permutation p-value of the
// mean of paired differences d (one per seed: the same seed run under two
// regimes): under the null that the two runs of a pair are exchangeable,
// every difference is as likely to have either sign, so with
// T(s) = |sum_i s_i d_i| over sign vectors s in {-1, +1}^n,
//
//	p = #{s : T(s) >= T(1)} / 2^n
//
// by exact enumeration when 2^n <= perms, else (r + 1) / (perms + 1) over
// perms sign vectors drawn from rng, r counting those with T >= T(1)
// (Phipson and Smyth 2010). Ties count with a tolerance of
// 1e-9 (1 + T(1)), as in PermutationP. Returns NaN for no differences;
// panics if perms < 1, or rng is nil when it is needed.
//
// Good, P., "Permutation, Parametric, and Bootstrap Tests of Hypotheses",
// 3rd ed., Springer 2005, section 3.6 (matched pairs).
func SignFlipP(d []float64, perms int, rng *rand.Rand) float64 {
	if perms < 1 {
		panic(fmt.Sprintf("stats.SignFlipP: perms = %d, want >= 1", perms))
	}
	n := len(d)
	if n == 0 {
		return math.NaN()
	}
	obs := math.Abs(sumOf(d))
	tol := 1e-9 * (1 + obs)
	if n < 31 && 1<<n <= perms {
		r := 0
		for s := 0; s < 1<<n; s++ {
			t := 0.0
			for i, v := range d {
				if s&(1<<i) != 0 {
					t -= v
				} else {
					t += v
				}
			}
			if math.Abs(t) >= obs-tol {
				r++
			}
		}
		return float64(r) / float64(int(1)<<n)
	}
	if rng == nil {
		panic("stats.SignFlipP: nil rng for a sampled sign-flip test")
	}
	r := 0
	for range perms {
		t := 0.0
		for _, v := range d {
			if rng.Uint64()&1 != 0 {
				t -= v
			} else {
				t += v
			}
		}
		if math.Abs(t) >= obs-tol {
			r++
		}
	}
	return float64(r+1) / float64(perms+1)
}

func sumOf(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s
}

// binomial returns C(n, k) and true if it is at most limit, else false.
func binomial(n, k, limit int) (int, bool) {
	k = min(k, n-k)
	c := 1
	for i := 1; i <= k; i++ {
		// c*(n-k+i)/i is exact at every step: c = C(n-k+i-1, i-1).
		c = c * (n - k + i) / i
		if c > limit {
			return 0, false
		}
	}
	return c, true
}

// eachCombination calls fn with every k-subset of 0..n-1 as ascending
// indices, in lexicographic order. fn must not keep idx.
func eachCombination(n, k int, fn func(idx []int)) {
	idx := make([]int, k)
	for i := range idx {
		idx[i] = i
	}
	for {
		fn(idx)
		i := k - 1
		for i >= 0 && idx[i] == n-k+i {
			i--
		}
		if i < 0 {
			return
		}
		idx[i]++
		for j := i + 1; j < k; j++ {
			idx[j] = idx[j-1] + 1
		}
	}
}
