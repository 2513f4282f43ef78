package metrics

import (
	"math"
	"testing"
)

// planes builds a [3, k, k] kernel from a spatial pattern g and per-channel
// gains.
func planes(g []float32, gains [3]float32) []float32 {
	out := make([]float32, 0, 3*len(g))
	for _, a := range gains {
		for _, v := range g {
			out = append(out, a*v)
		}
	}
	return out
}

func TestChroma(t *testing.T) {
	g := []float32{0.3, -1, 2, 0.5, 0, -0.7, 1.1, 0.2, -0.4}
	tests := []struct {
		name string
		w    []float32
		k    int
		want float64
	}{
		{"colour-blind", planes(g, [3]float32{1, 1, 1}), 3, 0},
		{"colour-blind scaled", planes(g, [3]float32{-2.5, -2.5, -2.5}), 3, 0},
		{"opponent R-G", planes(g, [3]float32{1, -1, 0}), 3, 1},
		{"opponent B-Y", planes(g, [3]float32{-0.5, -0.5, 1}), 3, 1},
		// (1,0,0): m = 1/3, residual (2/3)^2 + 2 (1/3)^2 = 2/3, energy 1.
		{"red only", []float32{1, 0, 0}, 1, 2.0 / 3},
		// (2,0,1): m = 1, residual 1 + 1 + 0 = 2, energy 5.
		{"mixed", []float32{2, 0, 1}, 1, 0.4},
		// 2x2 kernel, taps (R,G,B) = (1,1,1), (1,-1,0), (0,0,0), (0,0,0):
		// residual 0 + 2, energy 3 + 2.
		{"mixed taps", []float32{1, 1, 0, 0, 1, -1, 0, 0, 1, 0, 0, 0}, 2, 0.4},
		{"zero", make([]float32, 27), 3, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Chroma(tc.w, tc.k); !near(got, tc.want, tolFloat32) {
				t.Errorf("Chroma = %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("NaN", func(t *testing.T) {
		w := planes(g, [3]float32{1, 1, 1})
		w[4] = float32(math.NaN())
		if got := Chroma(w, 3); !math.IsNaN(got) {
			t.Errorf("Chroma = %v, want NaN", got)
		}
	})
	mustPanic(t, "bad length", func() { Chroma(make([]float32, 10), 3) })
}

// grating returns a c x k x k kernel cos(2 pi (my y + mx x)/k) on every
// channel, channel ch scaled by ch+1.
func grating(c, k, my, mx int) []float32 {
	w := make([]float32, 0, c*k*k)
	for ch := range c {
		for y := range k {
			for x := range k {
				w = append(w, float32(float64(ch+1)*math.Cos(2*math.Pi*float64(my*y+mx*x)/float64(k))))
			}
		}
	}
	return w
}

func TestFrequencyCentroid(t *testing.T) {
	tests := []struct {
		name string
		w    []float32
		c, k int
		want float64
	}{
		{"constant", []float32{2, 2, 2, 2, 2, 2, 2, 2, 2}, 1, 3, 0},
		{"zero", make([]float32, 3*25), 3, 5, 0},
		{"horizontal 1/8", grating(3, 8, 0, 1), 3, 8, 1.0 / 8},
		{"vertical 2/8", grating(3, 8, 2, 0), 3, 8, 2.0 / 8},
		{"horizontal 3/8", grating(1, 8, 0, 3), 1, 8, 3.0 / 8},
		{"Nyquist 4/8", grating(3, 8, 0, 4), 3, 8, 0.5},
		{"diagonal 1/5", grating(3, 5, 1, 1), 3, 5, math.Sqrt2 / 5},
		{"wrapped 4/5 = -1/5", grating(2, 5, 0, 4), 2, 5, 1.0 / 5},
		// DC included: 1 + cos(2 pi x/4) on a 4x4 kernel has power 256 at
		// DC and 64 at each of (0, +-1/4): centroid 128/4 / 384 = 1/12.
		{"with DC", func() []float32 {
			w := grating(1, 4, 0, 1)
			for i := range w {
				w[i]++
			}
			return w
		}(), 1, 4, 1.0 / 12},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := FrequencyCentroid(tc.w, tc.c, tc.k); !near(got, tc.want, tolFloat32) {
				t.Errorf("FrequencyCentroid = %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("monotone", func(t *testing.T) {
		prev := -1.0
		for m := range 5 {
			f := FrequencyCentroid(grating(3, 9, m, m), 3, 9)
			if f <= prev {
				t.Errorf("m = %d: centroid %v <= previous %v", m, f, prev)
			}
			prev = f
		}
	})
	t.Run("NaN", func(t *testing.T) {
		w := grating(1, 3, 0, 1)
		w[0] = float32(math.NaN())
		if got := FrequencyCentroid(w, 1, 3); !math.IsNaN(got) {
			t.Errorf("FrequencyCentroid = %v, want NaN", got)
		}
	})
	mustPanic(t, "bad length", func() { FrequencyCentroid(make([]float32, 26), 3, 3) })
}
