package metrics

import (
	"fmt"
	"math"
	"slices"
)

// CSI returns the colour selectivity index of one unit from its mean
// activation act[i] on probe image i and actGray[i] on the grayscale version
// of the same probe:
//
//	T   = the top probes by act (the top largest act[i]; ties broken by
//	      lower index)
//	CSI = clip(1 - sum_{i in T} actGray[i] / sum_{i in T} act[i], 0, 1)
//
// 0 means the unit responds as strongly to the grayscale probes (colour
// blind), 1 that it does not respond to them at all. top <= 0 or top >
// len(act) uses every probe. If the denominator is <= 0 (a unit that never
// responds positively, such as a dead ReLU) CSI returns 0: there is no
// evidence of colour selectivity. Empty input returns 0. NaN anywhere in act
// or in actGray over T returns NaN. Panics if len(act) != len(actGray).
//
// Reference: Rafegas & Vanrell, "Color encoding in biologically-inspired
// convolutional neural networks", Vision Research 151 (2018);
// ../shared/docs/science.md, metric 2 (gray(x) is the Rec. 601 luminance
// replicated to three channels; computing it is the caller's job).
func CSI(act, actGray []float64, top int) float64 {
	if len(act) != len(actGray) {
		panic(fmt.Sprintf("metrics.CSI: len(act) = %d != len(actGray) = %d", len(act), len(actGray)))
	}
	if len(act) == 0 {
		return 0
	}
	if slices.ContainsFunc(act, math.IsNaN) {
		return math.NaN()
	}
	if top <= 0 || top > len(act) {
		top = len(act)
	}
	idx := make([]int, len(act))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case act[a] > act[b]:
			return -1
		case act[a] < act[b]:
			return 1
		}
		return 0
	})
	var sa, sg float64
	for _, i := range idx[:top] {
		sa += act[i]
		sg += actGray[i]
	}
	if math.IsNaN(sg) {
		return math.NaN()
	}
	if sa <= 0 {
		return 0
	}
	return min(max(1-sg/sa, 0), 1)
}
