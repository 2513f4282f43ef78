package metrics

import (
	"fmt"
	"math"
)

// RejoinDependency measures how much each output of the first layer after
// the rejoin (the concat of the branches) reads from each branch. w holds
// that layer's weights [out, in, taps] (conv: taps = K*K; linear: taps = 1)
// and groups[i] in [0, nGroups) is the branch that input i comes from:
//
//	S[o,b]   = sum_{i: groups[i] = b} sum_t |W[o,i,t]|
//	A[o,b]   = S[o,b] / sum_b' S[o,b']
//	maxShare = mean_o max_b A[o,b]                    in [1/B, 1]
//	entropy  = mean_o (-sum_b A[o,b] ln A[o,b]) / ln B  in [0, 1]
//
// with B = nGroups. maxShare is 1 and entropy 0 when each output reads a
// single branch; maxShare is 1/B and entropy 1 when each output reads all
// branches equally. For a linear layer after a flatten, in = C*H*W and
// groups labels every flattened input (ExpandGroups builds it from the
// per-channel labels).
//
// An output whose weights are all zero reads nothing; its row of A is set to
// the uniform 1/B (it favours no branch). With B = 1, entropy is 0 and
// maxShare 1. out = 0 returns an empty A, maxShare NaN and entropy NaN. NaN
// weights propagate to their output's row and to the means. Panics if
// len(w) != out*in*taps, len(groups) != in, or a label is outside [0, nGroups).
//
// Definition: ../shared/docs/science.md, metric 5 (downstream half of the
// feedback loop of Voss et al., "Branch Specialization", Distill 2021).
func RejoinDependency(w []float32, out, in, taps int, groups []int, nGroups int) (A [][]float64, maxShare, entropy float64) {
	if out < 0 || in < 0 || taps < 1 || len(w) != out*in*taps || len(groups) != in || nGroups < 1 {
		panic(fmt.Sprintf("metrics.RejoinDependency: len(w) = %d, len(groups) = %d, want out*in*taps with out = %d, in = %d, taps = %d and nGroups = %d >= 1",
			len(w), len(groups), out, in, taps, nGroups))
	}
	checkGroups("metrics.RejoinDependency", groups, nGroups)
	A = make([][]float64, out)
	for o := range A {
		row := make([]float64, nGroups)
		for i, g := range groups {
			var s float64
			for _, v := range w[(o*in+i)*taps : (o*in+i+1)*taps] {
				s += math.Abs(float64(v))
			}
			row[g] += s
		}
		normalise(row)
		A[o] = row
		best, h := 0.0, 0.0
		for _, a := range row {
			best = max(best, a)
			if a > 0 {
				h -= a * math.Log(a)
			}
			if math.IsNaN(a) {
				best, h = a, a
				break
			}
		}
		maxShare += best
		if nGroups > 1 {
			entropy += h / math.Log(float64(nGroups))
		}
	}
	if out == 0 {
		return A, math.NaN(), math.NaN()
	}
	return A, maxShare / float64(out), entropy / float64(out)
}

// normalise scales row to sum 1 in place; a zero row becomes uniform.
func normalise(row []float64) {
	var s float64
	for _, v := range row {
		s += v
	}
	for j := range row {
		if s == 0 {
			row[j] = 1 / float64(len(row))
		} else {
			row[j] /= s
		}
	}
}

// ExpandGroups repeats each channel's label per times, giving the label of
// every input of a flattened [C, H, W] tensor (per = H*W) in flatten order:
// out[c*per + j] = channel[c]. Panics if per < 1.
func ExpandGroups(channel []int, per int) []int {
	if per < 1 {
		panic(fmt.Sprintf("metrics.ExpandGroups: per = %d < 1", per))
	}
	out := make([]int, 0, len(channel)*per)
	for _, g := range channel {
		for range per {
			out = append(out, g)
		}
	}
	return out
}
