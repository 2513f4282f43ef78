package metrics

import (
	"fmt"
	"math"
)

// Chroma returns the colour fraction of the energy of one first-layer conv
// kernel w that reads RGB, laid out [3, k, k] (channel R, G, B; row-major
// taps):
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
// Definition: ../shared/docs/science.md, metric 1; the split of a kernel
// into an achromatic mean and a chromatic residual follows the colour /
// black-and-white distinction of Krizhevsky et al. (2012, section 6.1) and
// Voss et al. ("Branch Specialization", Distill 2021).
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
// result lies in [0, sqrt(1/2)]. The all-zero kernel returns 0. NaN in w
// returns NaN. Panics if c < 1, k < 1 or len(w) != c*k*k.
//
// The DFT is computed directly in O(c k^4), which for first-layer kernels
// (k <= 11) costs microseconds.
//
// Definition: ../shared/docs/science.md, metric 1 (low- versus
// high-frequency families, Voss et al., "Branch Specialization", Distill 2021).
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
		return 0
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
