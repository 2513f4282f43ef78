package metrics

import (
	"math"
	"testing"
)

func TestRejoinDependency(t *testing.T) {
	// blockW: out = 4, in = 4 (branches [0 0 1 1]), taps = 2; outputs 0, 1
	// read only branch 0, outputs 2, 3 only branch 1.
	blockW := []float32{
		1, -2, 0.5, 1, 0, 0, 0, 0,
		3, 0, 0, 1, 0, 0, 0, 0,
		0, 0, 0, 0, 2, 2, -1, 0,
		0, 0, 0, 0, 0, 0.1, 0, 0,
	}
	uniformW := []float32{
		1, 1, 1, 1, 1, 1, 1, 1,
		-2, 0, 2, 0, 0, 2, 0, -2,
	}
	tests := []struct {
		name                string
		w                   []float32
		out, in, taps       int
		groups              []int
		nGroups             int
		wantMax, wantEntrop float64
		wantA0              []float64
	}{
		{"one branch each", blockW, 4, 4, 2, []int{0, 0, 1, 1}, 2, 1, 0, []float64{1, 0}},
		{"uniform", uniformW, 2, 4, 2, []int{0, 0, 1, 1}, 2, 0.5, 1, []float64{0.5, 0.5}},
		{"uniform 4 branches", uniformW, 2, 4, 2, []int{0, 1, 2, 3}, 4, 0.25, 1, []float64{0.25, 0.25, 0.25, 0.25}},
		// Sums (1, 3): A = (1/4, 3/4), entropy -(1/4 ln 1/4 + 3/4 ln 3/4)/ln 2
		// = 0.8112781244591328 (computed in Python).
		{"hand", []float32{1, 0, 0, 0, 3, 0}, 1, 3, 2, []int{0, 0, 1}, 2, 0.75, 0.8112781244591328, []float64{0.25, 0.75}},
		{"zero output is uniform", []float32{0, 0, 0}, 1, 3, 1, []int{0, 1, 2}, 3, 1.0 / 3, 1, []float64{1.0 / 3, 1.0 / 3, 1.0 / 3}},
		{"single branch", []float32{1, 2}, 1, 2, 1, []int{0, 0}, 1, 1, 0, []float64{1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			A, ms, h := RejoinDependency(tc.w, tc.out, tc.in, tc.taps, tc.groups, tc.nGroups)
			if !near(ms, tc.wantMax, tolFloat32) || !near(h, tc.wantEntrop, tolFloat32) {
				t.Errorf("maxShare, entropy = %v, %v, want %v, %v", ms, h, tc.wantMax, tc.wantEntrop)
			}
			for b, want := range tc.wantA0 {
				if !near(A[0][b], want, tolFloat32) {
					t.Errorf("A[0] = %v, want %v", A[0], tc.wantA0)
					break
				}
			}
			for o, row := range A {
				var s float64
				for _, v := range row {
					s += v
				}
				if !near(s, 1, tolExact) {
					t.Errorf("row %d sums to %v", o, s)
				}
			}
		})
	}
	t.Run("flattened linear", func(t *testing.T) {
		// 2 channels (branches 0, 1) of 2x2 flattened to 8 inputs; the
		// output reads only channel 1's pixels.
		w := []float32{0, 0, 0, 0, 1, -1, 2, 0.5}
		_, ms, h := RejoinDependency(w, 1, 8, 1, ExpandGroups([]int{0, 1}, 4), 2)
		if ms != 1 || h != 0 {
			t.Errorf("maxShare, entropy = %v, %v, want 1, 0", ms, h)
		}
	})
	t.Run("no outputs", func(t *testing.T) {
		_, ms, h := RejoinDependency(nil, 0, 2, 1, []int{0, 1}, 2)
		if !math.IsNaN(ms) || !math.IsNaN(h) {
			t.Errorf("got %v, %v, want NaN", ms, h)
		}
	})
	mustPanic(t, "bad length", func() { RejoinDependency(make([]float32, 5), 1, 3, 2, []int{0, 0, 1}, 2) })
	mustPanic(t, "label out of range", func() { RejoinDependency(make([]float32, 2), 1, 2, 1, []int{0, 2}, 2) })
}

func TestExpandGroups(t *testing.T) {
	got := ExpandGroups([]int{0, 1, 1}, 2)
	want := []int{0, 0, 1, 1, 1, 1}
	if len(got) != len(want) {
		t.Fatalf("ExpandGroups = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("ExpandGroups = %v, want %v", got, want)
		}
	}
}
