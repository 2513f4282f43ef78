package metrics

import (
	"math"
	"math/rand/v2"
	"testing"

	"branchspec/metrics/stats"
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
		{"zero", make([]float32, 3*25), 3, 5, math.NaN()},
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

func TestLuminanceAxis(t *testing.T) {
	// ||(0.299, 0.587, 0.114)||^2 = 0.446966 (exact decimal arithmetic).
	n1 := math.Sqrt(0.446966)
	// scale (0.5, 2, 1): (0.598, 0.2935, 0.114), norm^2 = 0.45674225.
	n2 := math.Sqrt(0.45674225)
	tests := []struct {
		name  string
		scale [3]float64
		want  [3]float64
	}{
		{"unscaled", [3]float64{1, 1, 1}, [3]float64{0.299 / n1, 0.587 / n1, 0.114 / n1}},
		{"isotropic scale", [3]float64{4, 4, 4}, [3]float64{0.299 / n1, 0.587 / n1, 0.114 / n1}},
		{"per channel", [3]float64{0.5, 2, 1}, [3]float64{0.598 / n2, 0.2935 / n2, 0.114 / n2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := LuminanceAxis(tc.scale)
			for c := range got {
				if !near(got[c], tc.want[c], tolExact) {
					t.Fatalf("LuminanceAxis(%v) = %v, want %v", tc.scale, got, tc.want)
				}
			}
		})
	}
	// The defining property: an isoluminant image change dx (0.299 dx_R +
	// 0.587 dx_G + 0.114 dx_B = 0) fed to the net as s * dx is orthogonal
	// to l.
	t.Run("isoluminant changes are orthogonal", func(t *testing.T) {
		rng := newRNG(5)
		for range 20 {
			s := [3]float64{0.1 + rng.Float64(), 0.1 + rng.Float64(), 0.1 + rng.Float64()}
			l := LuminanceAxis(s)
			dr, db := rng.NormFloat64(), rng.NormFloat64()
			dx := [3]float64{dr, -(0.299*dr + 0.114*db) / 0.587, db}
			var dot float64
			for c := range dx {
				dot += l[c] * s[c] * dx[c]
			}
			if math.Abs(dot) > tolExact {
				t.Fatalf("scale %v: l . (s dx) = %v for an isoluminant dx", s, dot)
			}
		}
	})
	for name, s := range map[string][3]float64{"zero": {1, 0, 1}, "negative": {1, -1, 1}, "Inf": {1, math.Inf(1), 1}, "NaN": {math.NaN(), 1, 1}} {
		mustPanic(t, name, func() { LuminanceAxis(s) })
	}
}

// gains32 returns v as float32 channel gains.
func gains32(v [3]float64) [3]float32 { return [3]float32{float32(v[0]), float32(v[1]), float32(v[2])} }

func TestChromaAlong(t *testing.T) {
	// tolParallel: a kernel built along l in float32 is parallel to l up to
	// the rounding of l's components to float32 (relative 6e-8), so its
	// chroma, a squared residual, is of order 1e-15.
	const tolParallel = 1e-12
	g := []float32{0.3, -1, 2, 0.5, 0, -0.7, 1.1, 0.2, -0.4}
	lum := LuminanceAxis([3]float64{1, 1, 1})
	scaled := LuminanceAxis([3]float64{1 / 0.247, 1 / 0.243, 1 / 0.261}) // CIFAR-10 channel sds
	// A direction orthogonal to lum: lum x (1, 0, 0) = (0, l_B, -l_G).
	orth := [3]float64{0, lum[2], -lum[1]}
	tests := []struct {
		name string
		w    []float32
		k    int
		l    [3]float64
		want float64
		tol  float64
	}{
		{"along luminance", planes(g, gains32(lum)), 3, lum, 0, tolParallel},
		{"along luminance, negated", planes(g, gains32([3]float64{-lum[0], -lum[1], -lum[2]})), 3, lum, 0, tolParallel},
		{"along scaled luminance", planes(g, gains32(scaled)), 3, scaled, 0, tolParallel},
		{"orthogonal", planes(g, gains32(orth)), 3, lum, 1, tolFloat32},
		// l = (1, 0, 0): the colour energy is that of G and B. 2x2 kernel
		// with taps (R, G, B) = (1, 2, 2), (0, 0, 3), (0, 0, 0), (1, 0, 0):
		// (8 + 9 + 0 + 0) / (9 + 9 + 0 + 1).
		{"hand", []float32{1, 0, 0, 1, 2, 0, 0, 0, 2, 3, 0, 0}, 2, [3]float64{1, 0, 0}, 17.0 / 19, tolExact},
		// l need not be a unit vector.
		{"unnormalised l", []float32{1, 2, 2}, 1, [3]float64{5, 0, 0}, 8.0 / 9, tolExact},
		// The old equal-weight axis as a special case: (1, 0, 0) has 2/3.
		{"equal-weight axis", []float32{1, 0, 0}, 1, [3]float64{1, 1, 1}, 2.0 / 3, tolExact},
		{"zero kernel", make([]float32, 27), 3, lum, math.NaN(), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ChromaAlong(tc.w, tc.k, tc.l); !near(got, tc.want, tc.tol) {
				t.Errorf("ChromaAlong = %.17g, want %v", got, tc.want)
			}
		})
	}
	t.Run("equals Chroma on the equal-weight axis", func(t *testing.T) {
		rng := newRNG(8)
		for range 20 {
			w := randKernel(rng, 5)
			if a, b := ChromaAlong(w, 5, [3]float64{1, 1, 1}), Chroma(w, 5); !near(a, b, tolExact) {
				t.Fatalf("ChromaAlong = %v, Chroma = %v", a, b)
			}
		}
	})
	// Why Chroma was replaced: a luminance-only kernel scores
	// 1 - (0.299+0.587+0.114)^2 / (3 * 0.446966) = 0.2542311197421431
	// against the equal-weight axis (computed with numpy).
	t.Run("equal-weight axis misreads luminance", func(t *testing.T) {
		if got := Chroma(planes(g, gains32(lum)), 3); !near(got, 0.2542311197421431, tolFloat32) {
			t.Errorf("Chroma of a luminance kernel = %v, want 0.254", got)
		}
	})
	// A kernel of chroma 0 ignores the project's isoluminant probes: its
	// response (the dot product with the image patch) to every colour blob
	// and colour grating is 0 up to float32 rounding.
	t.Run("blind to isoluminant probes", func(t *testing.T) {
		const size = 3
		w := planes(g, gains32(lum))
		for _, kind := range []ProbeKind{ColorBlob, GratingColor} {
			img, _ := Probes(kind, 16, size)
			for i := range 16 {
				var r, e float64
				for j, v := range img[i*27 : (i+1)*27] {
					r += float64(w[j]) * float64(v)
					e += math.Abs(float64(w[j]) * float64(v))
				}
				if math.Abs(r) > 1e-6*max(e, 1) {
					t.Fatalf("%v probe %d: response %v (scale %v)", kind, i, r, e)
				}
			}
		}
	})
	t.Run("NaN", func(t *testing.T) {
		w := planes(g, [3]float32{1, 2, 3})
		w[5] = float32(math.NaN())
		if got := ChromaAlong(w, 3, lum); !math.IsNaN(got) {
			t.Errorf("ChromaAlong = %v, want NaN", got)
		}
	})
	mustPanic(t, "bad length", func() { ChromaAlong(make([]float32, 10), 3, lum) })
	mustPanic(t, "zero axis", func() { ChromaAlong(make([]float32, 3), 1, [3]float64{}) })
	mustPanic(t, "NaN axis", func() { ChromaAlong(make([]float32, 3), 1, [3]float64{math.NaN(), 1, 1}) })
}

// randKernel returns a [3, k, k] kernel of i.i.d. N(0, 1) weights.
func randKernel(rng *rand.Rand, k int) []float32 {
	w := make([]float32, 3*k*k)
	for i := range w {
		w[i] = float32(rng.NormFloat64())
	}
	return w
}

func TestChromaChance(t *testing.T) {
	// Quantiles from scipy 1.10: scipy.stats.beta(T, T/2).ppf(q).
	// tolQuantile: gonum inverts the regularised incomplete beta function
	// to about 1e-10.
	const tolQuantile = 1e-9
	for _, tc := range []struct {
		taps     int
		q05, q95 float64
	}{
		{9, 0.4488047169953191, 0.8554914352932138},
		{25, 0.5365751780510615, 0.7865173803955623},
		{49, 0.574226917532575, 0.753914397309479},
		{121, 0.6082189830511362, 0.723020276891164},
	} {
		d := ChromaChance(tc.taps)
		if !near(d.Quantile(0.05), tc.q05, tolQuantile) || !near(d.Quantile(0.95), tc.q95, tolQuantile) {
			t.Errorf("taps %d: quantiles %.15g, %.15g, scipy %.15g, %.15g", tc.taps, d.Quantile(0.05), d.Quantile(0.95), tc.q05, tc.q95)
		}
		if !near(d.Mean(), 2.0/3, tolExact) {
			t.Errorf("taps %d: mean %v, want 2/3", tc.taps, d.Mean())
		}
	}
	// Simulation: the chroma of i.i.d. Gaussian kernels (any variance, any
	// axis) follows Beta(T, T/2): its CDF values are uniform (KS p >
	// 0.01), their mean is 2/3 (within 4 standard errors), and about 5%
	// fall below the 5th and above the 95th percentile.
	kernels := 4000
	if testing.Short() {
		kernels = 1000
	}
	for _, tc := range []struct {
		k     int
		sigma float64
		l     [3]float64
	}{
		{3, 1, LuminanceAxis([3]float64{1, 1, 1})},
		{5, 0.01, LuminanceAxis([3]float64{1 / 0.247, 1 / 0.243, 1 / 0.261})},
		{7, 3, [3]float64{0.2, -1, 0.4}},
	} {
		rng := newRNG(uint64(100 + tc.k))
		d := ChromaChance(tc.k * tc.k)
		u := make([]float64, kernels)
		var sum float64
		var low, high int
		for i := range u {
			w := randKernel(rng, tc.k)
			for j := range w {
				w[j] *= float32(tc.sigma)
			}
			c := ChromaAlong(w, tc.k, tc.l)
			sum += c
			u[i] = d.CDF(c)
			if c < d.Quantile(0.05) {
				low++
			}
			if c > d.Quantile(0.95) {
				high++
			}
		}
		_, p := stats.KSUniform(u)
		mean := sum / float64(kernels)
		se := d.StdDev() / math.Sqrt(float64(kernels))
		t.Logf("k = %d: mean chroma %.4f, %d below q05, %d above q95 of %d, KS p %.3f", tc.k, mean, low, high, kernels, p)
		if p <= 0.01 {
			t.Errorf("k = %d: chroma of random kernels vs Beta(T, T/2): KS p = %.4f", tc.k, p)
		}
		if math.Abs(mean-2.0/3) > 4*se {
			t.Errorf("k = %d: mean chroma %.4f, want 2/3 +- %.4f", tc.k, mean, 4*se)
		}
		for name, n := range map[string]int{"below q05": low, "above q95": high} {
			if lo, hi := stats.WilsonInterval(n, kernels, 0.999); lo > 0.05 || hi < 0.05 {
				t.Errorf("k = %d: %s in %d of %d kernels", tc.k, name, n, kernels)
			}
		}
	}
	mustPanic(t, "taps < 1", func() { ChromaChance(0) })
}

// TestKernelScoresOfDelta checks that the kernel scores read what training
// added, dw = w - w0, whatever the random start: a luminance-only change
// has dchroma 0, a grating change has dfreq equal to its frequency.
func TestKernelScoresOfDelta(t *testing.T) {
	// tolDelta: w = w0 + change is rounded to float32, so dw differs from
	// the change by about 1e-7 of |w0|.
	const tolDelta = 1e-5
	rng := newRNG(31)
	lum := LuminanceAxis([3]float64{1, 1, 1})
	g := grating(1, 8, 0, 2) // 2/8 cycles per pixel
	change := planes(g, gains32(lum))
	w0 := randKernel(rng, 8)
	w := make([]float32, len(w0))
	for i := range w {
		w[i] = w0[i] + 0.3*change[i]
	}
	dw := Delta(w, w0)
	if c := ChromaAlong(dw, 8, lum); !near(c, 0, tolDelta) {
		t.Errorf("dchroma of a luminance change = %v, want 0", c)
	}
	if f := FrequencyCentroid(dw, 3, 8); !near(f, 0.25, tolDelta) {
		t.Errorf("dfreq of a 1/4 grating = %v, want 0.25", f)
	}
	if c := ChromaAlong(w, 8, lum); c < 0.3 {
		t.Errorf("chroma of w = %v: the random start should dominate", c)
	}
	if c := ChromaAlong(Delta(w0, w0), 8, lum); !math.IsNaN(c) {
		t.Errorf("dchroma at step 0 = %v, want NaN", c)
	}
	if f := FrequencyCentroid(Delta(w0, w0), 3, 8); !math.IsNaN(f) {
		t.Errorf("dfreq at step 0 = %v, want NaN", f)
	}
	mustPanic(t, "Delta length", func() { Delta(w, w0[1:]) })
}

func TestDrift(t *testing.T) {
	tests := []struct {
		name  string
		w, w0 []float32
		want  float64
	}{
		// ||(0.3, 0.4)|| / ||(3, 4)|| = 0.5 / 5.
		{"hand", []float32{3.3, 4.4}, []float32{3, 4}, 0.1},
		{"unchanged", []float32{1, -2}, []float32{1, -2}, 0},
		{"sign flip", []float32{-1, 2}, []float32{1, -2}, 2},
		{"zero start", []float32{1, 0}, []float32{0, 0}, math.NaN()},
		{"empty", nil, nil, math.NaN()},
		{"NaN", []float32{float32(math.NaN()), 0}, []float32{1, 0}, math.NaN()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Drift(tc.w, tc.w0); !near(got, tc.want, tolFloat32) {
				t.Errorf("Drift = %v, want %v", got, tc.want)
			}
		})
	}
	mustPanic(t, "length", func() { Drift([]float32{1}, nil) })
}
