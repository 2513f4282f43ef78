package metrics

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// LuminanceAxis returns the unit vector l of the network's input space
// along which a change of the three input channels is purely a change of
// luminance, for inputs fed to the net as x_net,c = s_c x_c + o_c (the
// RGB image x scaled per channel by scale = s, with any offset o):
//
//	L = (0.299, 0.587, 0.114)        Rec. 601 luma weights
//	l = (L_R/s_R, L_G/s_G, L_B/s_B) / ||(L_R/s_R, L_G/s_G, L_B/s_B)||
//
// An image change dx is isoluminant when L . dx = 0, that is (L/s) .
// dx_net = 0 in the input space, so a kernel whose 3-vector at every tap
// is parallel to l responds to luminance only and ignores every
// isoluminant (pure colour) change. scale = (1, 1, 1) (inputs only
// shifted) gives l = L/||L||. Panics unless every s_c is finite and > 0.
//
// Reference: ITU-R Recommendation BT.601 (luma weights); ../shared/docs/science.md,
// metric 1.
func LuminanceAxis(scale [3]float64) [3]float64 {
	luma := [3]float64{lumR, lumG, lumB}
	var l [3]float64
	var n2 float64
	for c, s := range scale {
		if !(s > 0) || math.IsInf(s, 0) {
			panic(fmt.Sprintf("metrics.LuminanceAxis: scale = %v, want finite values > 0", scale))
		}
		l[c] = luma[c] / s
		n2 += l[c] * l[c]
	}
	n := math.Sqrt(n2)
	for c := range l {
		l[c] /= n
	}
	return l
}

// ChromaAlong returns the colour fraction of the energy of one first-layer
// conv kernel w that reads RGB, laid out [3, k, k] (channels R, G, B;
// row-major taps), relative to the achromatic axis l (LuminanceAxis; l
// need not have unit length, it is normalised here):
//
//	w_t = (w_R(t), w_G(t), w_B(t))           the kernel's 3-vector at tap t
//	u   = l / ||l||
//	c   = sum_t ||w_t - (w_t . u) u||^2 / sum_t ||w_t||^2
//
// c is in [0, 1]: 0 exactly when w_t is parallel to l at every tap (the
// unit sees luminance only, so it ignores isoluminant changes), 1 when w_t
// is orthogonal to l at every tap (pure colour opponency: blind to
// luminance). For i.i.d. isotropic Gaussian weights c ~ Beta(T, T/2) with
// T = k*k (ChromaChance), mean 2/3.
//
// w may be any kernel-shaped array, in particular the change dw = w_t -
// w_0 since initialisation (Delta): score what training added apart from
// the random start, which dominates w_t early on (../shared/docs/science.md: a first
// layer moves ~25-30% in norm in hundreds of steps). The all-zero kernel
// (such as dw at step 0) has no direction: it returns NaN. NaN in w returns
// NaN. Panics if k < 1, len(w) != 3*k*k, or l is zero or not finite.
//
// Definition: ../shared/docs/science.md, metric 1; the colour / black-and-white
// distinction of Krizhevsky et al., "ImageNet classification with deep
// convolutional neural networks" (NIPS 2012, section 6.1) and Voss et al.,
// "Branch Specialization" (Distill 2021).
func ChromaAlong(w []float32, k int, l [3]float64) float64 {
	if k < 1 || len(w) != 3*k*k {
		panic(fmt.Sprintf("metrics.ChromaAlong: len(w) = %d, want 3*k*k with k = %d", len(w), k))
	}
	u := unitAxis("metrics.ChromaAlong", l)
	kk := k * k
	var num, den float64
	for t := range kk {
		v := [3]float64{float64(w[t]), float64(w[kk+t]), float64(w[2*kk+t])}
		a := v[0]*u[0] + v[1]*u[1] + v[2]*u[2]
		for c := range v {
			r := v[c] - a*u[c]
			num += r * r
			den += v[c] * v[c]
		}
	}
	if den == 0 {
		return math.NaN()
	}
	return min(num/den, 1)
}

// unitAxis returns l / ||l||, panicking (naming fn) if l is zero or not
// finite.
func unitAxis(fn string, l [3]float64) [3]float64 {
	n := math.Sqrt(l[0]*l[0] + l[1]*l[1] + l[2]*l[2])
	if !(n > 0) || math.IsInf(n, 0) {
		panic(fmt.Sprintf("%s: axis l = %v, want a finite non-zero vector", fn, l))
	}
	return [3]float64{l[0] / n, l[1] / n, l[2] / n}
}

// ChromaChance returns the chance distribution of ChromaAlong for a kernel
// of taps = k*k taps whose 3*taps weights are i.i.d. isotropic Gaussian
// (any variance; the usual He or Glorot initialisation of a first layer):
//
//	c ~ Beta(T, T/2),   T = taps
//	mean 2/3,   variance 2 / (9 (3T/2 + 1))      (k = 5: 0.667 +- 0.076)
//
// exactly, for any axis l: the projection of each w_t onto l is N(0, s^2)
// and onto the plane orthogonal to l a 2-d N(0, s^2 I), independent, so
// summed over taps the colour energy is s^2 chi^2_{2T}, the luminance
// energy s^2 chi^2_T, and c = X/(X+Y) with X ~ Gamma(T), Y ~ Gamma(T/2)
// (scale 2 s^2) is Beta(T, T/2). Its Quantile gives the thresholds of the
// chance tails for families (TailFamilies): colour above Quantile(0.95),
// achromatic below Quantile(0.05). It is not the chance distribution of
// the chroma of dw, whose entries are not i.i.d. Panics if taps < 1.
//
// Reference: Johnson, Kotz & Balakrishnan, "Continuous Univariate
// Distributions" vol. 2 (2nd ed., 1995), chapter 25 (a ratio of gamma
// variates is beta); ../shared/docs/science.md, metric 4.
func ChromaChance(taps int) distuv.Beta {
	if taps < 1 {
		panic(fmt.Sprintf("metrics.ChromaChance: taps = %d, want >= 1", taps))
	}
	return distuv.Beta{Alpha: float64(taps), Beta: float64(taps) / 2}
}

// Delta returns w - w0 element by element (in float32): the change of a
// weight tensor since initialisation, whose kernel scores are logged with
// the prefix "d" (dchroma, dfreq). Panics if the lengths differ.
//
// Definition: ../shared/docs/science.md, "What training added is measured apart from the
// initialisation".
func Delta(w, w0 []float32) []float32 {
	if len(w) != len(w0) {
		panic(fmt.Sprintf("metrics.Delta: len(w) = %d != len(w0) = %d", len(w), len(w0)))
	}
	d := make([]float32, len(w))
	for i := range d {
		d[i] = w[i] - w0[i]
	}
	return d
}

// Drift returns the relative distance of a weight tensor from its
// initialisation:
//
//	drift = ||w - w0||_2 / ||w0||_2
//
// accumulated in float64. A zero w0 leaves it undefined: NaN (also when w
// is zero). NaN in either returns NaN. Panics if the lengths differ.
//
// Definition: ../shared/docs/science.md, "Metrics to log at each checkpoint" (the usual:
// relative distance per layer).
func Drift(w, w0 []float32) float64 {
	if len(w) != len(w0) {
		panic(fmt.Sprintf("metrics.Drift: len(w) = %d != len(w0) = %d", len(w), len(w0)))
	}
	var num, den float64
	for i, v := range w {
		d := float64(v) - float64(w0[i])
		num += d * d
		den += float64(w0[i]) * float64(w0[i])
	}
	if den == 0 {
		return math.NaN()
	}
	return math.Sqrt(num / den)
}

// Chroma returns the colour fraction of the energy of one first-layer conv
// kernel w that reads RGB, laid out [3, k, k] (channel R, G, B; row-major
// taps), against the equal-weight axis (1, 1, 1)/sqrt(3):
//
//	m(t)  = (w_R(t) + w_G(t) + w_B(t)) / 3            at each tap t
//	c     = sum_{ch,t} (w_ch(t) - m(t))^2 / sum_{ch,t} w_ch(t)^2
//
// c is in [0, 1]: 0 for a colour-blind kernel (equal weights on the three
// channels at every tap, so it sees only luminance-like sums), 1 for a
// kernel whose three channel weights sum to zero at every tap (pure colour
// opponency). The all-zero kernel (0/0) returns 0. NaN in w returns NaN.
// Panics if k < 1 or len(w) != 3*k*k.
//
// Deprecated: the data, gray() and the probes use Rec. 601 luminance, not
// the channel mean, so a kernel exactly blind to the data's isoluminant
// changes scores 0.254 here and a kernel scoring 0 still responds to
// isoluminant red-green and blue-yellow changes. Use ChromaAlong(w, k,
// LuminanceAxis(scale)). Chroma(w, k) equals ChromaAlong(w, k, [3]float64{1,
// 1, 1}) except for the all-zero kernel (0 here, NaN there).
//
// Reference: Krizhevsky et al., "ImageNet classification with deep
// convolutional neural networks" (NIPS 2012, section 6.1); Voss et al.,
// "Branch Specialization" (Distill 2021).
func Chroma(w []float32, k int) float64 {
	if k < 1 || len(w) != 3*k*k {
		panic(fmt.Sprintf("metrics.Chroma: len(w) = %d, want 3*k*k with k = %d", len(w), k))
	}
	kk := k * k
	var num, den float64
	for t := range kk {
		r, g, b := float64(w[t]), float64(w[kk+t]), float64(w[2*kk+t])
		m := (r + g + b) / 3
		num += (r-m)*(r-m) + (g-m)*(g-m) + (b-m)*(b-m)
		den += r*r + g*g + b*b
	}
	if den == 0 {
		return 0
	}
	return num / den
}

// FrequencyCentroid returns the power-weighted mean radial spatial frequency
// of one conv kernel w laid out [c, k, k], in cycles per pixel:
//
//	F_ch(u,v) = sum_{y,x} w_ch(y,x) exp(-2 pi i (u y + v x) / k)
//	P(u,v)    = sum_ch |F_ch(u,v)|^2
//	f_y(u)    = u/k wrapped to [-1/2, 1/2)  (u/k - 1 when u/k >= 1/2)
//	f(u,v)    = sqrt(f_y(u)^2 + f_x(v)^2)
//	centroid  = sum_{u,v} P(u,v) f(u,v) / sum_{u,v} P(u,v)
//
// The DC term (u = v = 0, f = 0) is included, so a kernel's mean pulls its
// centroid towards 0: a constant kernel has centroid 0 and a zero-mean cosine
// grating lying on the DFT grid at frequency f has centroid exactly f. The
// result lies in [0, sqrt(1/2)]. Nothing is assumed of the kernel: it
// applies as well to the change dw = w_t - w_0 since initialisation
// (Delta), logged as dfreq. The all-zero kernel (such as dw at step 0) has
// no spectrum: it returns NaN. NaN in w returns NaN. Panics if c < 1,
// k < 1 or len(w) != c*k*k.
//
// The DFT is computed directly in O(c k^4), which for first-layer kernels
// (k <= 11) costs microseconds.
//
// Definition: ../shared/docs/science.md, metric 1 (low- versus high-frequency families of
// Voss et al., "Branch Specialization", Distill 2021).
func FrequencyCentroid(w []float32, c, k int) float64 {
	if c < 1 || k < 1 || len(w) != c*k*k {
		panic(fmt.Sprintf("metrics.FrequencyCentroid: len(w) = %d, want c*k*k with c = %d, k = %d", len(w), c, k))
	}
	cosT, sinT := make([]float64, k), make([]float64, k)
	freq := make([]float64, k)
	for j := range k {
		a := 2 * math.Pi * float64(j) / float64(k)
		cosT[j], sinT[j] = math.Cos(a), math.Sin(a)
		f := float64(j) / float64(k)
		if f >= 0.5 {
			f--
		}
		freq[j] = f
	}
	var num, den float64
	for u := range k {
		for v := range k {
			var p float64
			for ch := range c {
				re, im := dftAt(w[ch*k*k:(ch+1)*k*k], k, u, v, cosT, sinT)
				p += re*re + im*im
			}
			num += p * math.Hypot(freq[u], freq[v])
			den += p
		}
	}
	if den == 0 {
		return math.NaN()
	}
	return num / den
}

// dftAt returns the (u, v) coefficient of the 2-D DFT of the k x k plane x,
// using cosT[j] = cos(2 pi j/k) and sinT[j] = sin(2 pi j/k).
func dftAt(x []float32, k, u, v int, cosT, sinT []float64) (re, im float64) {
	for y := range k {
		for xx := range k {
			j := (u*y + v*xx) % k
			val := float64(x[y*k+xx])
			re += val * cosT[j]
			im -= val * sinT[j]
		}
	}
	return re, im
}
