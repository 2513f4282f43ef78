package metrics

import (
	"fmt"
	"math"
)

// Accuracy returns the fraction of examples with pred[i] == label[i] and the
// same fraction within each true class c in [0, classes):
//
//	overall     = #{i: pred_i = label_i} / n
//	perClass[c] = #{i: label_i = c, pred_i = c} / #{i: label_i = c}
//
// A class with no examples gets NaN (undefined, not 0); empty input gives
// overall NaN. Predictions outside [0, classes) count as wrong. Panics if
// len(pred) != len(label), classes < 1 or a label is outside [0, classes).
//
// Definition: ../shared/docs/science.md, metric 8 (test accuracy overall
// and per class, with and without a branch lesioned at the rejoin).
func Accuracy(pred, label []int, classes int) (overall float64, perClass []float64) {
	if len(pred) != len(label) || classes < 1 {
		panic(fmt.Sprintf("metrics.Accuracy: len(pred) = %d, len(label) = %d, classes = %d", len(pred), len(label), classes))
	}
	checkGroups("metrics.Accuracy", label, classes)
	correct := make([]int, classes)
	count := make([]int, classes)
	total := 0
	for i, l := range label {
		count[l]++
		if pred[i] == l {
			correct[l]++
			total++
		}
	}
	perClass = make([]float64, classes)
	for c := range perClass {
		perClass[c] = ratio(correct[c], count[c])
	}
	return ratio(total, len(label)), perClass
}

// ratio returns a/b, NaN for b = 0.
func ratio(a, b int) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

// LesionDrop returns base - lesioned[b] for each lesion b: the accuracy (or
// any score) lost when branch b is zeroed at the rejoin. Positive means the
// lesion hurts. NaN propagates. Apply it per class to the perClass slices
// of Accuracy for the per-class drop.
//
// Definition: ../shared/docs/science.md, metric 8.
func LesionDrop(base float64, lesioned []float64) []float64 {
	out := make([]float64, len(lesioned))
	for b, v := range lesioned {
		out[b] = base - v
	}
	return out
}
