package metrics

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// ChannelGraph returns the weighted bipartite graph between the in units
// (channels) of one layer and the out units of the next, from the weights w
// [out, in, taps] of the layer that connects them (conv: taps = K*K; linear:
// taps = 1), as a dense [out, in] matrix:
//
//	E[j,i] = sum_t |W[j,i,t]|
//
// the L1 norm of the kernel from unit i to unit j. Panics if len(w) !=
// out*in*taps or a size is out of range.
//
// Following Filan et al., "Clusterability in neural networks"
// (arXiv:2103.03386, 2021), who take the channels of a CNN as the nodes of
// its graph and a norm of the kernel between two channels as the edge weight;
// ../shared/docs/science.md, metric 6.
func ChannelGraph(w []float32, out, in, taps int) []float64 {
	if out < 0 || in < 0 || taps < 1 || len(w) != out*in*taps {
		panic(fmt.Sprintf("metrics.ChannelGraph: len(w) = %d, want out*in*taps with out = %d, in = %d, taps = %d", len(w), out, in, taps))
	}
	e := make([]float64, out*in)
	for ji := range e {
		var s float64
		for _, v := range w[ji*taps : (ji+1)*taps] {
			s += math.Abs(float64(v))
		}
		e[ji] = s
	}
	return e
}

// NCut returns the normalised cut of the bipartite graph E [out, in] (see
// ChannelGraph) under the partition that puts output unit j in part
// partOut[j] and input unit i in part partIn[i], parts in [0, nParts):
//
//	deg(v)   = sum of the weights of the edges at v
//	vol(X)   = sum_{v in X} deg(v)
//	cut(X)   = sum of the weights of edges with one end in X, one outside
//	ncut     = sum_{k: vol(X_k) > 0} cut(X_k) / vol(X_k)
//
// Lower is more modular: 0 when no edge crosses parts; for nParts = 2 an
// unstructured graph gives about 1; the maximum is nParts. A part that is empty or
// has zero volume (hence zero cut) contributes 0. The all-zero graph returns
// 0. NaN weights return NaN. Panics on a length mismatch or a part label
// outside [0, nParts).
//
// Reference: Shi & Malik, "Normalized cuts and image segmentation", IEEE
// TPAMI 22(8) (2000); Filan et al., "Clusterability in neural networks"
// (arXiv:2103.03386, 2021); ../shared/docs/science.md, metric 6.
func NCut(e []float64, out, in int, partOut, partIn []int, nParts int) float64 {
	if out < 0 || in < 0 || len(e) != out*in || len(partOut) != out || len(partIn) != in || nParts < 1 {
		panic(fmt.Sprintf("metrics.NCut: len(e) = %d, len(partOut) = %d, len(partIn) = %d, want out*in, out, in with out = %d, in = %d, nParts = %d >= 1",
			len(e), len(partOut), len(partIn), out, in, nParts))
	}
	checkGroups("metrics.NCut", partOut, nParts)
	checkGroups("metrics.NCut", partIn, nParts)
	cut := make([]float64, nParts)
	vol := make([]float64, nParts)
	for j := range out {
		pj := partOut[j]
		for i, v := range e[j*in : (j+1)*in] {
			pi := partIn[i]
			vol[pj] += v
			vol[pi] += v
			if pi != pj {
				cut[pj] += v
				cut[pi] += v
			}
		}
	}
	var nc float64
	for k := range nParts {
		if vol[k] > 0 || math.IsNaN(vol[k]) {
			nc += cut[k] / vol[k]
		}
	}
	return nc
}

// NCutShuffleTest compares the n-cut of the channel graph of w [out, in,
// taps] under the branch partition (partOut, partIn) with the n-cuts of
// shuffled graphs. obs = NCut(ChannelGraph(w, ...), ...). Each of the
// shuffles null graphs is a uniformly random permutation (Fisher-Yates with
// rng) of the out*in entries of E: whole kernels move, as a block, to random
// (output, input) positions of the same layer. This keeps the layer's
// multiset of edge weights (its weight distribution) and destroys its
// arrangement; with taps = 1 it is exactly the within-layer weight shuffle of
// Filan et al. (2021). Then
//
//	z = (obs - mean(null)) / sd(null)      (sd with n-1; z = 0 if sd = 0)
//	p = (r + 1) / (shuffles + 1),  r = #{ null <= obs }   (lower tail)
//
// z well below 0 (and small p) means more modular along the branches than
// the same weights arranged at random. shuffles <= 0 returns z = 0, p = 1.
// NaN weights give NaN obs, z and p. Deterministic for a given rng state.
// Panics as ChannelGraph and NCut do.
//
// Reference: Filan et al., "Clusterability in neural networks"
// (arXiv:2103.03386, 2021), shuffle null; ../shared/docs/science.md,
// metric 6 (>= 50 shuffles).
func NCutShuffleTest(w []float32, out, in, taps int, partOut, partIn []int, nParts, shuffles int, rng *rand.Rand) (obs, z, p float64) {
	e := ChannelGraph(w, out, in, taps)
	obs = NCut(e, out, in, partOut, partIn, nParts)
	if math.IsNaN(obs) {
		return obs, math.NaN(), math.NaN()
	}
	null := make([]float64, max(shuffles, 0))
	for s := range null {
		rng.Shuffle(len(e), func(a, b int) { e[a], e[b] = e[b], e[a] })
		null[s] = NCut(e, out, in, partOut, partIn, nParts)
	}
	z, p = nullSummary(obs, null, false)
	return obs, z, p
}
