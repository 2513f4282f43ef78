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

func TestFunctionalRejoinDependency(t *testing.T) {
	tests := []struct {
		name              string
		w                 []float32
		out, in, taps     int
		groups            []int
		nGroups           int
		act               []float64
		wantMax, wantEntr float64
		wantA0            []float64
	}{
		// S = (1*1 + 1*1, 1*3 + 1*1) = (2, 4): A = (1/3, 2/3), entropy
		// -(1/3 ln 1/3 + 2/3 ln 2/3)/ln 2 = 0.9182958340544894 (Python).
		{"hand", []float32{1, 1, 1, 1}, 1, 4, 1, []int{0, 0, 1, 1}, 2, []float64{1, 1, 3, 1}, 2.0 / 3, 0.9182958340544894, []float64{1.0 / 3, 2.0 / 3}},
		// Equal weights and activations: 1/B and entropy 1.
		{"uniform 2", []float32{1, -1, 1, -1, 2, 2, 2, 2}, 2, 4, 1, []int{0, 0, 1, 1}, 2, []float64{0.5, 0.5, 0.5, 0.5}, 0.5, 1, []float64{0.5, 0.5}},
		{"uniform 4", []float32{1, 1, 1, 1}, 1, 4, 1, []int{0, 1, 2, 3}, 4, []float64{2, 2, 2, 2}, 0.25, 1, []float64{0.25, 0.25, 0.25, 0.25}},
		// Equal weights, but branch 1 is never active: the output relies
		// on branch 0 only.
		{"silent branch", []float32{1, 1, 1, 1}, 1, 4, 1, []int{0, 0, 1, 1}, 2, []float64{0.7, 0.2, 0, 0}, 1, 0, []float64{1, 0}},
		{"nothing active", []float32{1, 1, 1}, 1, 3, 1, []int{0, 1, 2}, 3, []float64{0, 0, 0}, 1.0 / 3, 1, []float64{1.0 / 3, 1.0 / 3, 1.0 / 3}},
		// Taps: |W| summed over taps first: (3 + 1) * 1 against (2) * 2.
		{"taps", []float32{1, -2, 1, 0, 0, 2}, 1, 3, 2, []int{0, 0, 1}, 2, []float64{1, 1, 2}, 0.5, 1, []float64{0.5, 0.5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			A, ms, h := FunctionalRejoinDependency(tc.w, tc.out, tc.in, tc.taps, tc.groups, tc.nGroups, tc.act)
			if !near(ms, tc.wantMax, tolExact) || !near(h, tc.wantEntr, tolExact) {
				t.Errorf("maxShare, entropy = %v, %v, want %v, %v", ms, h, tc.wantMax, tc.wantEntr)
			}
			for b, want := range tc.wantA0 {
				if !near(A[0][b], want, tolExact) {
					t.Errorf("A[0] = %v, want %v", A[0], tc.wantA0)
					break
				}
			}
		})
	}
	t.Run("ones equal the weight-only version", func(t *testing.T) {
		rng := newRNG(3)
		w := randomLayer(rng, 8, 6, 9)
		groups := []int{0, 0, 1, 1, 2, 2}
		ones := []float64{1, 1, 1, 1, 1, 1}
		_, m1, h1 := FunctionalRejoinDependency(w, 8, 6, 9, groups, 3, ones)
		_, m2, h2 := RejoinDependency(w, 8, 6, 9, groups, 3)
		if m1 != m2 || h1 != h2 {
			t.Errorf("functional with act = 1: (%v, %v), weight-only (%v, %v)", m1, h1, m2, h2)
		}
	})
	t.Run("NaN activation", func(t *testing.T) {
		_, ms, h := FunctionalRejoinDependency([]float32{1, 1}, 1, 2, 1, []int{0, 1}, 2, []float64{math.NaN(), 1})
		if !math.IsNaN(ms) || !math.IsNaN(h) {
			t.Errorf("got %v, %v, want NaN", ms, h)
		}
	})
	mustPanic(t, "act length", func() { FunctionalRejoinDependency([]float32{1, 1}, 1, 2, 1, []int{0, 1}, 2, []float64{1}) })
	mustPanic(t, "negative act", func() { FunctionalRejoinDependency([]float32{1, 1}, 1, 2, 1, []int{0, 1}, 2, []float64{1, -1}) })
	mustPanic(t, "bad length", func() { FunctionalRejoinDependency(make([]float32, 3), 1, 2, 1, []int{0, 1}, 2, []float64{1, 1}) })
}

// TestFunctionalRejoinRescaling: a ReLU net computes the same function
// when a branch's activations are scaled by c and its weights at the
// rejoin by 1/c. The functional dependency does not move; the weight-only
// one does.
func TestFunctionalRejoinRescaling(t *testing.T) {
	// tolRescale: w/c rounds to float32 (exact for c a power of 2).
	const tolRescale = 1e-6
	rng := newRNG(17)
	groups := branchLabels(2, 16)
	w := randomLayer(rng, rejoinOut, rejoinIn, rejoinTaps)
	act := make([]float64, rejoinIn)
	for i := range act {
		act[i] = 0.1 + rng.Float64()
	}
	for _, c := range []float64{4, 3, 0.1} {
		w2 := append([]float32(nil), w...)
		act2 := append([]float64(nil), act...)
		for i, g := range groups {
			if g != 1 {
				continue
			}
			act2[i] *= c
			for o := range rejoinOut {
				for t := range rejoinTaps {
					w2[(o*rejoinIn+i)*rejoinTaps+t] /= float32(c)
				}
			}
		}
		_, m1, h1 := FunctionalRejoinDependency(w, rejoinOut, rejoinIn, rejoinTaps, groups, 2, act)
		_, m2, h2 := FunctionalRejoinDependency(w2, rejoinOut, rejoinIn, rejoinTaps, groups, 2, act2)
		tol := tolRescale
		if c == 4 {
			tol = tolExact
		}
		if !near(m1, m2, tol) || !near(h1, h2, tol) {
			t.Errorf("c = %v: functional (%v, %v) became (%v, %v)", c, m1, h1, m2, h2)
		}
		_, wm1, _ := RejoinDependency(w, rejoinOut, rejoinIn, rejoinTaps, groups, 2)
		_, wm2, _ := RejoinDependency(w2, rejoinOut, rejoinIn, rejoinTaps, groups, 2)
		if math.Abs(wm1-wm2) < 0.1 {
			t.Errorf("c = %v: weight-only maxShare %v -> %v, expected it to move", c, wm1, wm2)
		}
	}
}
