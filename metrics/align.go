package metrics

import (
	"fmt"
	"math"
	"slices"
)

// AlignBranches returns the order of the branches by decreasing mean unit
// score, so that branch order[0] is the one with the highest mean (for
// example the most colour-tuned branch by mean chroma). Use it per seed to
// give branches comparable names across seeds, since which branch becomes
// the colour one is a coin flip:
//
//	mean_b  = mean of scores[i] over units with groups[i] = b
//	order   = branches sorted by mean_b, descending
//
// order is a permutation of [0, nGroups): aligned rank r is original branch
// order[r]. Ties keep the lower branch index first; branches with no units
// or a NaN mean go last, in index order. Panics if len(scores) !=
// len(groups) or a label is outside [0, nGroups).
//
// Definition: ../shared/docs/science.md, "Metrics to log" (branch order
// aligned afterwards).
func AlignBranches(scores []float64, groups []int, nGroups int) []int {
	if len(scores) != len(groups) || nGroups < 0 {
		panic(fmt.Sprintf("metrics.AlignBranches: len(scores) = %d != len(groups) = %d or nGroups = %d < 0", len(scores), len(groups), nGroups))
	}
	checkGroups("metrics.AlignBranches", groups, nGroups)
	sum := make([]float64, nGroups)
	cnt := make([]int, nGroups)
	for i, s := range scores {
		sum[groups[i]] += s
		cnt[groups[i]]++
	}
	mean := make([]float64, nGroups)
	order := make([]int, nGroups)
	for b := range mean {
		mean[b] = sum[b] / float64(cnt[b]) // 0/0 = NaN for an empty branch
		order[b] = b
	}
	slices.SortStableFunc(order, func(a, b int) int {
		na, nb := math.IsNaN(mean[a]), math.IsNaN(mean[b])
		switch {
		case na || nb:
			return boolCmp(na, nb)
		case mean[a] > mean[b]:
			return -1
		case mean[a] < mean[b]:
			return 1
		}
		return 0
	})
	return order
}

// boolCmp orders false before true.
func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
