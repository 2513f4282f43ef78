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
// The weights alone read 0.518 +- 0.002 at initialisation for 2 branches of
// 16 (../shared/docs/science.md, metric 5), not 1/B: compare with an initialisation null
// (NewNull), and see FunctionalRejoinDependency for what the net relies on.
//
// Definition: ../shared/docs/science.md, metric 5 (the downstream half of the feedback
// loop of Voss et al., "Branch Specialization", Distill 2021).
func RejoinDependency(w []float32, out, in, taps int, groups []int, nGroups int) (A [][]float64, maxShare, entropy float64) {
	checkRejoin("metrics.RejoinDependency", w, out, in, taps, groups, nGroups)
	return rejoinShares(w, out, in, taps, groups, nGroups, nil)
}

// FunctionalRejoinDependency is RejoinDependency with each input channel
// weighted by how strongly it is active: act[i] >= 0 is input i's mean
// absolute activation on held-out data (the concat's output, channel i,
// averaged over examples and positions):
//
//	S[o,b]   = sum_{i: groups[i] = b} sum_t |W[o,i,t]| act[i]
//	A[o,b]   = S[o,b] / sum_b' S[o,b']
//	maxShare = mean_o max_b A[o,b]                       in [1/B, 1]
//	entropy  = mean_o (-sum_b A[o,b] ln A[o,b]) / ln B   in [0, 1]
//
// A ReLU net can scale a branch's activations by c > 0 and its weights at
// the rejoin by 1/c without changing its function, which moves the
// weight-only shares but not these: |W[o,i]| act[i] is the typical size of
// the contribution of input i to output o, invariant under that rescaling.
// (In the audited run of revision 1 the weight shares were 0.522 vs 0.478
// while the lesion drops were 0.656 vs 0.160.) For a linear layer after a
// flatten, in = C*H*W and act and groups are per flattened input.
//
// A row with S = 0 (zero weights, or inputs that are never active) favours
// no branch and becomes uniform 1/B. With B = 1, entropy is 0 and maxShare
// 1. out = 0 returns an empty A and NaN means. NaN in w or act propagates
// to its output's row and to the means. Panics as RejoinDependency does,
// and if len(act) != in or an act[i] is negative.
//
// Definition: ../shared/docs/science.md, metric 5 (functional dependency at the rejoin;
// the rescaling symmetry of ReLU networks is that of Dinh et al., "Sharp
// minima can generalize for deep nets", ICML 2017).
func FunctionalRejoinDependency(w []float32, out, in, taps int, groups []int, nGroups int, act []float64) (A [][]float64, maxShare, entropy float64) {
	checkRejoin("metrics.FunctionalRejoinDependency", w, out, in, taps, groups, nGroups)
	if len(act) != in {
		panic(fmt.Sprintf("metrics.FunctionalRejoinDependency: len(act) = %d, want in = %d", len(act), in))
	}
	for i, a := range act {
		if a < 0 {
			panic(fmt.Sprintf("metrics.FunctionalRejoinDependency: act[%d] = %v is negative (want mean |activation|)", i, a))
		}
	}
	return rejoinShares(w, out, in, taps, groups, nGroups, act)
}

// checkRejoin panics (naming fn) unless the rejoin arguments agree.
func checkRejoin(fn string, w []float32, out, in, taps int, groups []int, nGroups int) {
	if out < 0 || in < 0 || taps < 1 || len(w) != out*in*taps || len(groups) != in || nGroups < 1 {
		panic(fmt.Sprintf("%s: len(w) = %d, len(groups) = %d, want out*in*taps with out = %d, in = %d, taps = %d and nGroups = %d >= 1",
			fn, len(w), len(groups), out, in, taps, nGroups))
	}
	checkGroups(fn, groups, nGroups)
}

// rejoinShares computes A, maxShare and entropy with input i weighted by
// act[i] (1 when act is nil).
func rejoinShares(w []float32, out, in, taps int, groups []int, nGroups int, act []float64) (A [][]float64, maxShare, entropy float64) {
	A = make([][]float64, out)
	for o := range A {
		row := make([]float64, nGroups)
		for i, g := range groups {
			var s float64
			for _, v := range w[(o*in+i)*taps : (o*in+i+1)*taps] {
				s += math.Abs(float64(v))
			}
			if act != nil {
				s *= act[i]
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
