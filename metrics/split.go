package metrics

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// EtaSquared returns the fraction of the variance of the unit scores that lies
// between the groups (branches) given by groups[i] in [0, max label]:
//
//	mean    = sum_i s_i / n,   mean_g = mean of s_i over units with label g
//	SS_tot  = sum_i (s_i - mean)^2
//	SS_betw = sum_g n_g (mean_g - mean)^2
//	eta^2   = SS_betw / SS_tot
//
// eta^2 is in [0, 1]: 0 when every group has the same mean, 1 when the
// scores are constant within each group and differ between groups. Empty
// input and constant scores (SS_tot = 0) return 0. NaN in scores returns
// NaN. Panics if len(scores) != len(groups) or a label is negative.
//
// Reference: the correlation ratio of K. Pearson; Cohen, "Statistical Power
// Analysis for the Behavioral Sciences" (2nd ed., 1988), chapter 8;
// ../shared/docs/science.md, metric 3.
func EtaSquared(scores []float64, groups []int) float64 {
	if len(scores) != len(groups) {
		panic(fmt.Sprintf("metrics.EtaSquared: len(scores) = %d != len(groups) = %d", len(scores), len(groups)))
	}
	if len(scores) == 0 {
		return 0
	}
	nG := numGroups("metrics.EtaSquared", groups)
	sum := make([]float64, nG)
	cnt := make([]int, nG)
	var total float64
	for i, s := range scores {
		sum[groups[i]] += s
		cnt[groups[i]]++
		total += s
	}
	mean := total / float64(len(scores))
	var ssTot float64
	for _, s := range scores {
		ssTot += (s - mean) * (s - mean)
	}
	var ssB float64
	for g := range nG {
		if cnt[g] > 0 {
			d := sum[g]/float64(cnt[g]) - mean
			ssB += float64(cnt[g]) * d * d
		}
	}
	if math.IsNaN(ssTot) {
		return math.NaN()
	}
	if ssTot == 0 {
		return 0
	}
	return min(ssB/ssTot, 1)
}

// numGroups returns 1 + the largest label, panicking (with the caller's name)
// on a negative label.
func numGroups(fn string, groups []int) int {
	n := 0
	for i, g := range groups {
		if g < 0 {
			panic(fmt.Sprintf("%s: groups[%d] = %d is negative", fn, i, g))
		}
		n = max(n, g+1)
	}
	return n
}

// PermutationTest compares a statistic of a labelling with its distribution
// under random relabelling. It computes obs = stat(groups), then n times
// shuffles a copy of groups with rng (Fisher-Yates, each shuffle applied to
// the previous permutation, so each is uniform) and evaluates stat on it:
//
//	z = (obs - mean(null)) / sd(null)        (sd with n-1; z = 0 if sd = 0)
//	r = #{ null_j >= obs - tol },  tol = 1e-12 max(1, |obs|)
//	p = (r + 1) / (n + 1)                     (one-sided, upper tail)
//
// The tolerance counts a null value equal to obs up to rounding (a
// relabelling that only renumbers the groups) as an exceedance, which keeps p
// conservative. p >= 1/(n+1) always. n <= 0 returns z = 0 and p = 1. If obs
// is NaN, z and p are NaN. The slice passed to stat is reused between calls:
// stat must neither modify nor retain it. Results are deterministic for a
// given rng state.
//
// Reference: Phipson & Smyth, "Permutation P-values should never be zero",
// Stat. Appl. Genet. Mol. Biol. 9(1), article 39 (2010): p = (b+1)/(m+1);
// ../shared/docs/science.md, metric 3.
func PermutationTest(stat func(groups []int) float64, groups []int, n int, rng *rand.Rand) (obs, z, p float64) {
	obs = stat(groups)
	if math.IsNaN(obs) {
		return obs, math.NaN(), math.NaN()
	}
	perm := append([]int(nil), groups...)
	null := make([]float64, max(n, 0))
	for j := range null {
		rng.Shuffle(len(perm), func(a, b int) { perm[a], perm[b] = perm[b], perm[a] })
		null[j] = stat(perm)
	}
	z, p = nullSummary(obs, null, true)
	return obs, z, p
}

// nullSummary returns the z-score of obs against null and its one-sided
// permutation p-value, (r+1)/(len(null)+1), where r counts null values at
// least as extreme as obs: >= obs when upper, <= obs otherwise, with the
// rounding tolerance documented on PermutationTest.
func nullSummary(obs float64, null []float64, upper bool) (z, p float64) {
	if len(null) == 0 {
		return 0, 1
	}
	mean, sd := meanSD(null)
	if sd > 0 {
		z = (obs - mean) / sd
	}
	tol := 1e-12 * max(1, math.Abs(obs))
	r := 0
	for _, v := range null {
		if (upper && v >= obs-tol) || (!upper && v <= obs+tol) {
			r++
		}
	}
	return z, float64(r+1) / float64(len(null)+1)
}

// meanSD returns the mean and the sample standard deviation (n-1 divisor;
// 0 for fewer than two values) of x.
func meanSD(x []float64) (mean, sd float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	if len(x) < 2 {
		return mean, 0
	}
	var ss float64
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(ss / float64(len(x)-1))
}
