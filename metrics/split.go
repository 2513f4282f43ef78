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

// PermutationNull returns the statistic of a labelling, obs =
// stat(groups), and its null distribution over n random relabellings: n
// times it shuffles a copy of groups with rng (Fisher-Yates; each shuffle
// applied to the previous permutation, so the permutations are
// independent and uniform) and evaluates stat on it. The null's P(obs) is
// the permutation p-value (r+1)/(n+1) in the direction of tail (Upper for
// a split statistic such as eta^2).
//
// This null is calibrated only when the units are exchangeable under the
// null hypothesis: the units of the first conv that reads the input, at
// initialisation. Units of a later layer that share a branch share their
// inputs, so their scores are correlated within a branch and the
// permutation null is too narrow (../shared/docs/science.md, metric 3: 13% of p < 0.05
// at initialisation); use an initialisation null (NewNull) there.
//
// n <= 0 gives an empty null (P = 1). If obs is NaN the relabellings are
// skipped and the null is empty, so P(obs) is NaN. The slice passed to
// stat is reused between calls: stat must neither modify nor retain it.
// groups is not modified. Deterministic for a given rng state.
//
// Reference: Phipson & Smyth, "Permutation P-values should never be zero",
// Stat. Appl. Genet. Mol. Biol. 9(1), article 39 (2010).
func PermutationNull(stat func(groups []int) float64, groups []int, n int, tail Tail, rng *rand.Rand) (obs float64, null Null) {
	obs = stat(groups)
	if math.IsNaN(obs) {
		return obs, NewNull(nil, tail)
	}
	perm := append([]int(nil), groups...)
	vals := make([]float64, max(n, 0))
	for j := range vals {
		rng.Shuffle(len(perm), func(a, b int) { perm[a], perm[b] = perm[b], perm[a] })
		vals[j] = stat(perm)
	}
	return obs, NewNull(vals, tail)
}

// SplitTest returns the between-branch split eta^2 of the unit scores
// (EtaSquared) and its permutation null over perms relabellings of the
// units' branches (PermutationNull, Upper tail): the value, the null's
// mean and sd, and p = null.P(eta2) are what ../shared/docs/science.md (metric 3) logs for
// chroma, dchroma, frequency and CSI of the first layer. Use >= 200
// permutations for reported results. NaN in scores gives eta2 NaN, an
// empty null and p NaN; drop units whose score is undefined (a kernel dw =
// 0, for example) first if the rest should be tested. Panics as EtaSquared
// does.
//
// Reference: Cohen, "Statistical Power Analysis for the Behavioral
// Sciences" (2nd ed., 1988), chapter 8 (eta^2); Phipson & Smyth (2010)
// (the p-value).
func SplitTest(scores []float64, groups []int, perms int, rng *rand.Rand) (eta2 float64, null Null) {
	if len(scores) != len(groups) {
		panic(fmt.Sprintf("metrics.SplitTest: len(scores) = %d != len(groups) = %d", len(scores), len(groups)))
	}
	numGroups("metrics.SplitTest", groups)
	return PermutationNull(func(g []int) float64 { return EtaSquared(scores, g) }, groups, perms, Upper, rng)
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
// Deprecated: z is no Gaussian score for a bounded statistic such as eta^2
// (under the null its median is about -0.35 and it cannot go below about
// -0.7), and the null's mean and sd are not returned. Use PermutationNull
// (or SplitTest for eta^2), which returns the null itself: its Mean, SD
// and P(obs). For the same rng state, p and obs are the same as here.
//
// Reference: Phipson & Smyth, "Permutation P-values should never be zero",
// Stat. Appl. Genet. Mol. Biol. 9(1), article 39 (2010): p = (b+1)/(m+1).
func PermutationTest(stat func(groups []int) float64, groups []int, n int, rng *rand.Rand) (obs, z, p float64) {
	obs, null := PermutationNull(stat, groups, n, Upper, rng)
	if math.IsNaN(obs) {
		return obs, math.NaN(), math.NaN()
	}
	if sd := null.SD(); sd > 0 {
		z = (obs - null.Mean()) / sd
	}
	return obs, z, null.P(obs)
}
