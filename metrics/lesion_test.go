package metrics

import (
	"math"
	"testing"
)

func TestAccuracy(t *testing.T) {
	pred := []int{0, 1, 1, 2, 0, 9}
	label := []int{0, 1, 2, 2, 2, 1}
	overall, per := Accuracy(pred, label, 4)
	// Correct: examples 0, 1, 3. Class 0: 1/1, class 1: 1/2, class 2: 1/3,
	// class 3: no examples.
	want := []float64{1, 0.5, 1.0 / 3, math.NaN()}
	if !near(overall, 0.5, tolExact) {
		t.Errorf("overall = %v, want 0.5", overall)
	}
	for c := range want {
		if !near(per[c], want[c], tolExact) {
			t.Errorf("perClass = %v, want %v", per, want)
			break
		}
	}
	if o, _ := Accuracy(nil, nil, 2); !math.IsNaN(o) {
		t.Errorf("empty overall = %v, want NaN", o)
	}
	mustPanic(t, "label out of range", func() { Accuracy([]int{0}, []int{4}, 4) })
	mustPanic(t, "length mismatch", func() { Accuracy([]int{0}, nil, 4) })
}

func TestLesionDrop(t *testing.T) {
	got := LesionDrop(0.8, []float64{0.5, 0.75, 0.9})
	want := []float64{0.3, 0.05, -0.1}
	for b := range want {
		if !near(got[b], want[b], tolExact) {
			t.Fatalf("LesionDrop = %v, want %v", got, want)
		}
	}
}
