package metrics

import (
	"fmt"
	"math"
)

// Family labels returned by TailFamilies.
const (
	// FamilyLow marks a unit whose score lies below the lower chance
	// threshold (for chroma: the achromatic family).
	FamilyLow = -1
	// FamilyNone marks a unit in neither tail: in no family.
	FamilyNone = 0
	// FamilyHigh marks a unit whose score lies above the upper chance
	// threshold (for chroma: the colour family).
	FamilyHigh = 1
)

// TailFamilies assigns each unit to a family by the tails of its score's
// chance distribution (the distribution for an untrained kernel of that
// shape), lo and hi being that distribution's lower and upper quantiles,
// for example the 5th and 95th percentiles:
//
//	label_i = FamilyHigh   if s_i > hi     (chroma: colour)
//	          FamilyLow    if s_i < lo     (chroma: achromatic)
//	          FamilyNone   otherwise       (in no family)
//
// For chroma of a first layer with k x k kernels use lo, hi =
// ChromaChance(k*k).Quantile(0.05), .Quantile(0.95): about 5% of random
// kernels fall in each family, so family counts that depart from 5% per
// branch, and their concentration in one branch, are what training made.
// (A fixed threshold of 0.5 puts nearly every random kernel in the colour
// family, since random kernels sit at 2/3 +- 0.08.) NaN scores are in no
// family. Empty input returns an empty slice. Panics if lo > hi or either
// is NaN.
//
// Definition: ../shared/docs/science.md, metric 4; the families are those of Voss et al.,
// "Branch Specialization" (Distill 2021).
func TailFamilies(scores []float64, lo, hi float64) []int {
	if !(lo <= hi) {
		panic(fmt.Sprintf("metrics.TailFamilies: lo = %v, hi = %v, want lo <= hi", lo, hi))
	}
	out := make([]int, len(scores))
	for i, s := range scores {
		switch {
		case s > hi:
			out[i] = FamilyHigh
		case s < lo:
			out[i] = FamilyLow
		}
	}
	return out
}

// FamilyNMI returns the normalised mutual information between membership
// of one family (labels[i] == family) and the branch groups[i]:
//
//	member_i = 1 if labels[i] == family, else 0
//	FamilyNMI = NMI(member, groups)
//
// 1 when the family is exactly one branch (or exactly the union of some
// branches), 0 when membership is independent of the branch, and 0 when
// the family is empty or holds every unit. Panics if len(labels) !=
// len(groups).
//
// Definition: ../shared/docs/science.md, metric 4 (NMI(family; branch)); Strehl & Ghosh,
// JMLR 3 (2002) for NMI.
func FamilyNMI(labels []int, family int, groups []int) float64 {
	if len(labels) != len(groups) {
		panic(fmt.Sprintf("metrics.FamilyNMI: len(labels) = %d != len(groups) = %d", len(labels), len(groups)))
	}
	member := make([]int, len(labels))
	for i, l := range labels {
		if l == family {
			member[i] = 1
		}
	}
	return NMI(member, groups)
}

// FamilyLabels assigns each unit to a family by a threshold on its score:
// label 1 (member) if scores[i] >= threshold, else 0. NaN scores get 0 (not
// a member). Empty input returns an empty slice.
//
// Deprecated: a fixed threshold is not a chance level: at 0.5 on chroma it
// puts 30 of 32 random kernels in the colour family (random kernels sit at
// 2/3 +- 0.08), and the achromatic family is never formed. Use
// TailFamilies with the chance distribution's quantiles (ChromaChance).
func FamilyLabels(scores []float64, threshold float64) []int {
	out := make([]int, len(scores))
	for i, s := range scores {
		if s >= threshold {
			out[i] = 1
		}
	}
	return out
}

// HypergeomLogTail returns log10 P(X >= k) for X ~ Hypergeometric(N, K, n):
// n draws without replacement (the units of one branch) from a population of
// N units of which K belong to a family. Summed over the tail in log space:
//
//	log P(X = x) = lC(K, x) + lC(N-K, n-x) - lC(N, n),
//	               lC(a, b) = lgamma(a+1) - lgamma(b+1) - lgamma(a-b+1)
//	log P(X >= k) = logsumexp_{x = max(k, lo)}^{hi} log P(X = x),
//	               lo = max(0, n-(N-K)), hi = min(n, K)
//
// and divided by ln 10. k <= lo returns 0 (certain); k > hi returns -Inf
// (impossible). The result is clamped to <= 0. Invalid parameters (N < 0,
// K or n outside [0, N]) return NaN. The tests hold it to 1e-9 relative of
// exact big-integer values for N up to 4096 (the error is lgamma rounding
// on terms of size about N ln N).
//
// Example: the article's 9 of 9 black-and-white-vs-colour units in a branch
// of 32 of 256 units has P = C(32,9)/C(256,9), log10 P = -8.605.
//
// Reference: Voss et al., "Branch Specialization" (Distill 2021), the
// p-values for mixed3a and mixed3b; ../shared/docs/science.md, metric 4.
func HypergeomLogTail(k, n, K, N int) float64 {
	if N < 0 || K < 0 || K > N || n < 0 || n > N {
		return math.NaN()
	}
	lo, hi := max(0, n-(N-K)), min(n, K)
	if k <= lo {
		return 0
	}
	if k > hi {
		return math.Inf(-1)
	}
	base := lchoose(N, n)
	terms := make([]float64, 0, hi-k+1)
	for x := k; x <= hi; x++ {
		terms = append(terms, lchoose(K, x)+lchoose(N-K, n-x)-base)
	}
	return min(logSumExp(terms)/math.Ln10, 0)
}

// lchoose returns ln C(a, b) for 0 <= b <= a.
func lchoose(a, b int) float64 {
	la, _ := math.Lgamma(float64(a + 1))
	lb, _ := math.Lgamma(float64(b + 1))
	lab, _ := math.Lgamma(float64(a - b + 1))
	return la - lb - lab
}

// logSumExp returns ln sum_i exp(x_i) without overflow; -Inf for no terms.
func logSumExp(x []float64) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = max(m, v)
	}
	if math.IsInf(m, -1) {
		return m
	}
	var s float64
	for _, v := range x {
		s += math.Exp(v - m)
	}
	return m + math.Log(s)
}

// FamilyLogTails returns, for each branch b in [0, nGroups), log10 P(X >= k_b)
// (HypergeomLogTail) where k_b is the number of units with labels[i] ==
// family in branch b, n_b the branch's size, K the family's size and N =
// len(labels). A family with no members gives 0 for every branch. Panics if
// len(labels) != len(groups) or a group label is outside [0, nGroups).
//
// Definition: ../shared/docs/science.md, metric 4; Voss et al., "Branch Specialization"
// (Distill 2021).
func FamilyLogTails(labels []int, family int, groups []int, nGroups int) []float64 {
	if len(labels) != len(groups) {
		panic(fmt.Sprintf("metrics.FamilyLogTails: len(labels) = %d != len(groups) = %d", len(labels), len(groups)))
	}
	checkGroups("metrics.FamilyLogTails", groups, nGroups)
	k := make([]int, nGroups)
	n := make([]int, nGroups)
	K := 0
	for i, l := range labels {
		n[groups[i]]++
		if l == family {
			k[groups[i]]++
			K++
		}
	}
	out := make([]float64, nGroups)
	for b := range out {
		out[b] = HypergeomLogTail(k[b], n[b], K, len(labels))
	}
	return out
}

// checkGroups panics (naming fn) unless every label is in [0, nGroups).
func checkGroups(fn string, groups []int, nGroups int) {
	for i, g := range groups {
		if g < 0 || g >= nGroups {
			panic(fmt.Sprintf("%s: groups[%d] = %d outside [0, %d)", fn, i, g, nGroups))
		}
	}
}

// NMI returns the normalised mutual information between two labellings of
// the same units (for example family and branch), with the geometric-mean
// normalisation:
//
//	I(a;b) = sum_{x,y} p(x,y) ln(p(x,y) / (p(x) p(y)))
//	NMI    = I(a;b) / sqrt(H(a) H(b))
//
// NMI is in [0, 1], symmetric, invariant to renaming the labels of either
// side: 1 when each labelling determines the other, 0 when they are
// independent. Returns 0 when either entropy is 0 (a constant labelling
// carries no information) and for empty input. Labels may be any ints.
// Panics if len(a) != len(b).
//
// Reference: Strehl & Ghosh, "Cluster ensembles: a knowledge reuse framework
// for combining multiple partitions", JMLR 3 (2002), where the sqrt(H(a) H(b))
// normalisation is introduced; ../shared/docs/science.md, metric 4.
func NMI(a, b []int) float64 {
	if len(a) != len(b) {
		panic(fmt.Sprintf("metrics.NMI: len(a) = %d != len(b) = %d", len(a), len(b)))
	}
	if len(a) == 0 {
		return 0
	}
	da, na := denseLabels(a)
	db, nb := denseLabels(b)
	ca, cb, cab := make([]float64, na), make([]float64, nb), make([]float64, na*nb)
	for i := range da {
		ca[da[i]]++
		cb[db[i]]++
		cab[da[i]*nb+db[i]]++
	}
	n := float64(len(a))
	ha, hb := entropyCounts(ca, n), entropyCounts(cb, n)
	if ha == 0 || hb == 0 {
		return 0
	}
	var mi float64
	for x := range na {
		for y := range nb {
			if c := cab[x*nb+y]; c > 0 {
				mi += c / n * math.Log(c*n/(ca[x]*cb[y]))
			}
		}
	}
	return min(max(mi/math.Sqrt(ha*hb), 0), 1)
}

// denseLabels renumbers labels 0, 1, ... in order of first appearance, so
// that sums run in an order fixed by the data.
func denseLabels(l []int) (dense []int, n int) {
	ids := map[int]int{}
	dense = make([]int, len(l))
	for i, v := range l {
		id, ok := ids[v]
		if !ok {
			id = len(ids)
			ids[v] = id
		}
		dense[i] = id
	}
	return dense, len(ids)
}

// entropyCounts returns the Shannon entropy (nats) of counts that sum to n.
func entropyCounts(c []float64, n float64) float64 {
	var h float64
	for _, v := range c {
		if v > 0 {
			h -= v / n * math.Log(v/n)
		}
	}
	return h
}
