package metrics

import (
	"fmt"
	"math"
)

// DebiasedCKA returns debiased linear CKA between two representations of
// the same n examples, x [n, p] and y [n, q], row-major (examples x
// features): DebiasedGramCKA of their Gram matrices X X^T and Y Y^T (no
// centring needed). Costs O(n^2 (p + q)). See DebiasedGramCKA for the
// formula and edge cases. Panics if len(x) != n*p or len(y) != n*q.
func DebiasedCKA(x []float64, n, p int, y []float64, q int) float64 {
	if n < 0 || p < 0 || q < 0 || len(x) != n*p || len(y) != n*q {
		panic(fmt.Sprintf("metrics.DebiasedCKA: len(x) = %d, len(y) = %d, want n*p, n*q with n = %d, p = %d, q = %d", len(x), len(y), n, p, q))
	}
	return DebiasedGramCKA(gram(x, n, p), gram(y, n, q), n)
}

// DebiasedGramCKA returns debiased linear CKA from the n x n Gram matrices
// k = X X^T and l = Y Y^T of two representations of the same n examples
// (raw or column-centred: both give the same value). With the unbiased
// estimator of the Hilbert-Schmidt independence criterion,
//
//	U(K)_ij = K_ij - r_i/(n-2) - r_j/(n-2) + s/((n-1)(n-2))   (i != j)
//	U(K)_ii = 0,     r_i = sum_{j != i} K_ij,   s = sum_i r_i
//	HSIC_1(K, L) = <U(K), U(L)>_F / (n (n-3))
//	CKA_1 = HSIC_1(K, L) / sqrt(HSIC_1(K, K) HSIC_1(L, L))
//
// HSIC_1 equals Song et al.'s (2012) estimator
//
//	HSIC_1 = [tr(K~ L~) + 1'K~1 1'L~1 / ((n-1)(n-2)) - 2/(n-2) 1'K~L~1] / (n (n-3))
//
// (K~ = K with its diagonal set to 0), through the U-centring of Szekely &
// Rizzo (2014), which Kornblith's CKA code uses for its debiased CKA.
// Unlike plain CKA (GramCKA), whose estimator is biased upwards when
// features are many beside examples (independent Gaussian features with
// p = q = 1024 and n = 256 score about p/(p+n) = 0.8), CKA_1 of
// independent representations is about 0 (with sd about sqrt(2)/n for
// isotropic features: 0.0055 at n = 256), and it can be negative. It is 1 for CKA_1(X, X) and invariant to orthogonal
// transforms and isotropic scaling of either side, and to adding a
// constant to a feature.
//
// Returns NaN for n < 4 (the estimator needs four distinct examples), 0
// when either side is constant (U(K) = 0: all features constant, or no
// features) and NaN when any entry is NaN. The result is clipped to
// [-1, 1] against rounding. Panics if len(k) or len(l) != n*n.
//
// References: Song, Smola, Gretton, Bedo & Borgwardt, "Feature selection
// via dependence maximization", JMLR 13 (2012), eq. 5 (unbiased HSIC);
// Szekely & Rizzo, "Partial distance correlation with methods for
// dissimilarities", Annals of Statistics 42(6) (2014) (U-centring);
// Nguyen, Raghu & Kornblith, "Do wide and deep networks learn the same
// things?", ICLR 2021 (debiased CKA); Kornblith et al., "Similarity of
// neural network representations revisited", ICML 2019; ../shared/docs/science.md,
// metric 7.
func DebiasedGramCKA(k, l []float64, n int) float64 {
	if n < 0 || len(k) != n*n || len(l) != n*n {
		panic(fmt.Sprintf("metrics.DebiasedGramCKA: len(k) = %d, len(l) = %d, want n*n with n = %d", len(k), len(l), n))
	}
	if n < 4 {
		return math.NaN()
	}
	ku, lu := uCenter(k, n), uCenter(l, n)
	var kl, kk, ll float64
	for i := range ku {
		kl += ku[i] * lu[i]
		kk += ku[i] * ku[i]
		ll += lu[i] * lu[i]
	}
	if math.IsNaN(kl) || math.IsNaN(kk) || math.IsNaN(ll) {
		return math.NaN()
	}
	if kk == 0 || ll == 0 {
		return 0
	}
	return min(max(kl/(math.Sqrt(kk)*math.Sqrt(ll)), -1), 1)
}

// uCenter returns the U-centred copy of the n x n symmetric matrix k
// (Szekely & Rizzo 2014): zero diagonal, and off the diagonal k_ij minus
// its row and column sums over n-2 plus the total over (n-1)(n-2), the
// sums taken with the diagonal left out. n >= 4.
func uCenter(k []float64, n int) []float64 {
	r := make([]float64, n)
	var s float64
	for i := range n {
		for j, v := range k[i*n : (i+1)*n] {
			if j != i {
				r[i] += v
			}
		}
		s += r[i]
	}
	a := 1 / float64(n-2)
	c := s / float64((n-1)*(n-2))
	u := make([]float64, n*n)
	for i := range n {
		for j := range n {
			if j != i {
				u[i*n+j] = k[i*n+j] - a*r[i] - a*r[j] + c
			}
		}
	}
	return u
}

// LinearCKA returns the linear centred kernel alignment between two
// representations of the same n examples: x [n, p] and y [n, q], row-major
// (examples x features). With X, Y the column-centred matrices,
//
//	CKA = ||Y^T X||_F^2 / (||X^T X||_F ||Y^T Y||_F)
//	    = <K, L>_F / (||K||_F ||L||_F),   K = X X^T, L = Y Y^T
//
// CKA is in [0, 1], 1 for CKA(X, X), invariant to orthogonal transforms and
// isotropic scaling of either side, not to general invertible linear maps.
// The Gram (second) form costs O(n^2 (p+q)), the feature form O(n (p+q)^2);
// LinearCKA uses the Gram form when n < p+q and the feature form otherwise
// (the two agree to rounding). Columns that are constant are set to exactly
// zero by the centring. Returns 0 when either side is constant (all
// columns constant, including p = 0 or q = 0) and for n < 2. NaN in x or y
// returns NaN. Panics if len(x) != n*p or len(y) != n*q.
//
// Deprecated: the plain estimator is biased towards 1 when features are
// many beside examples (about 0.8 for independent features with p = 1024
// and n = 256). Use DebiasedCKA.
//
// Reference: Kornblith et al., "Similarity of neural network representations
// revisited", ICML 2019 (linear CKA: its feature-space form and its form
// through centred Gram matrices).
func LinearCKA(x []float64, n, p int, y []float64, q int) float64 {
	if n < 0 || p < 0 || q < 0 || len(x) != n*p || len(y) != n*q {
		panic(fmt.Sprintf("metrics.LinearCKA: len(x) = %d, len(y) = %d, want n*p, n*q with n = %d, p = %d, q = %d", len(x), len(y), n, p, q))
	}
	if n < 2 {
		return 0
	}
	if n < p+q {
		return ckaGram(x, n, p, y, q)
	}
	return ckaFeature(x, n, p, y, q)
}

// ckaGram is LinearCKA through the n x n Gram matrices.
func ckaGram(x []float64, n, p int, y []float64, q int) float64 {
	return GramCKA(CenteredGram(x, n, p), CenteredGram(y, n, q), n)
}

// ckaFeature is LinearCKA through the feature-space cross-covariances.
func ckaFeature(x []float64, n, p int, y []float64, q int) float64 {
	xc, yc := centerColumns(x, n, p), centerColumns(y, n, q)
	xx := crossFrob2(xc, xc, n, p, p)
	yy := crossFrob2(yc, yc, n, q, q)
	xy := crossFrob2(yc, xc, n, q, p)
	return ckaRatio(xy, math.Sqrt(xx), math.Sqrt(yy))
}

// ckaRatio returns hsic/(nx ny), 0 when a norm is 0, NaN when any is NaN.
func ckaRatio(hsic, nx, ny float64) float64 {
	if math.IsNaN(hsic) || math.IsNaN(nx) || math.IsNaN(ny) {
		return math.NaN()
	}
	if nx == 0 || ny == 0 {
		return 0
	}
	return min(max(hsic/(nx*ny), 0), 1)
}

// CenteredGram returns the n x n Gram matrix K = X X^T of x [n, p] after
// centring its columns (constant columns become exactly zero), row-major.
// Compute it once per representation to compare one representation with
// several others through DebiasedGramCKA (or GramCKA). Panics if len(x) !=
// n*p.
func CenteredGram(x []float64, n, p int) []float64 {
	if n < 0 || p < 0 || len(x) != n*p {
		panic(fmt.Sprintf("metrics.CenteredGram: len(x) = %d, want n*p with n = %d, p = %d", len(x), n, p))
	}
	return gram(centerColumns(x, n, p), n, p)
}

// GramCKA returns linear CKA from two n x n Gram matrices k and l of the
// same examples (as CenteredGram returns them; uncentred Grams are accepted,
// both are double-centred first, K <- H K H with H = I - 11^T/n):
//
//	CKA = <K, L>_F / (||K||_F ||L||_F)
//
// Returns 0 when either centred Gram is zero and for n < 2; NaN for NaN
// input. Panics if len(k) or len(l) != n*n.
//
// Deprecated: biased towards 1 when features are many beside examples. Use
// DebiasedGramCKA, which takes the same Gram matrices.
//
// Reference: Kornblith et al., "Similarity of neural network representations
// revisited", ICML 2019 (CKA as normalised HSIC of centred Gram matrices).
func GramCKA(k, l []float64, n int) float64 {
	if n < 0 || len(k) != n*n || len(l) != n*n {
		panic(fmt.Sprintf("metrics.GramCKA: len(k) = %d, len(l) = %d, want n*n with n = %d", len(k), len(l), n))
	}
	if n < 2 {
		return 0
	}
	kc, lc := doubleCenter(k, n), doubleCenter(l, n)
	var kl, kk, ll float64
	for i := range kc {
		kl += kc[i] * lc[i]
		kk += kc[i] * kc[i]
		ll += lc[i] * lc[i]
	}
	return ckaRatio(kl, math.Sqrt(kk), math.Sqrt(ll))
}

// centerColumns returns a copy of x [n, p] with each column's mean removed;
// a column whose entries are all equal becomes exactly zero.
func centerColumns(x []float64, n, p int) []float64 {
	out := make([]float64, len(x))
	mean := make([]float64, p)
	constant := make([]bool, p)
	for c := range p {
		constant[c] = true
	}
	for r := range n {
		row := x[r*p : (r+1)*p]
		for c, v := range row {
			mean[c] += v
			if v != x[c] {
				constant[c] = false
			}
		}
	}
	for c := range mean {
		mean[c] /= float64(n)
		if constant[c] {
			mean[c] = x[c]
		}
	}
	for r := range n {
		row, o := x[r*p:(r+1)*p], out[r*p:(r+1)*p]
		for c, v := range row {
			o[c] = v - mean[c]
		}
	}
	return out
}

// doubleCenter returns H K H for the n x n matrix k, H = I - 11^T/n.
func doubleCenter(k []float64, n int) []float64 {
	rm := make([]float64, n)
	cm := make([]float64, n)
	var all float64
	for i := range n {
		for j, v := range k[i*n : (i+1)*n] {
			rm[i] += v
			cm[j] += v
			all += v
		}
	}
	fn := float64(n)
	out := make([]float64, n*n)
	for i := range n {
		for j := range n {
			out[i*n+j] = k[i*n+j] - rm[i]/fn - cm[j]/fn + all/(fn*fn)
		}
	}
	return out
}

// gramChunk is the number of features gram processes at a time, so that
// the rows' slices in use (n * gramChunk * 8 bytes) stay in the L2 cache.
const gramChunk = 256

// gram returns X X^T for x [n, p]. It walks the features in chunks and the
// upper triangle in 4 x 2 register tiles, then mirrors the upper triangle;
// the summation order depends only on (n, p), so results are reproducible.
func gram(x []float64, n, p int) []float64 {
	g := make([]float64, n*n)
	for k0 := 0; k0 < p; k0 += gramChunk {
		k1 := min(k0+gramChunk, p)
		for i := 0; i < n; i += 4 {
			for j := i; j < n; j += 2 {
				if i+4 <= n && j+2 <= n {
					gramTile(x, g, n, p, i, j, k0, k1)
					continue
				}
				for a := i; a < min(i+4, n); a++ {
					for b := j; b < min(j+2, n); b++ {
						g[a*n+b] += dot(x[a*p+k0:a*p+k1], x[b*p+k0:b*p+k1])
					}
				}
			}
		}
	}
	for r := range n {
		for c := range r {
			g[r*n+c] = g[c*n+r]
		}
	}
	return g
}

// gramTile adds to g the 4 x 2 block of X X^T at rows i..i+3, columns
// j..j+1, over the features [k0, k1).
func gramTile(x, g []float64, n, p, i, j, k0, k1 int) {
	r0 := x[i*p+k0 : i*p+k1]
	r1 := x[(i+1)*p+k0 : (i+1)*p+k1][:len(r0)]
	r2 := x[(i+2)*p+k0 : (i+2)*p+k1][:len(r0)]
	r3 := x[(i+3)*p+k0 : (i+3)*p+k1][:len(r0)]
	s0 := x[j*p+k0 : j*p+k1][:len(r0)]
	s1 := x[(j+1)*p+k0 : (j+1)*p+k1][:len(r0)]
	var c00, c01, c10, c11, c20, c21, c30, c31 float64
	for k, a0 := range r0 {
		a1, a2, a3 := r1[k], r2[k], r3[k]
		b0, b1 := s0[k], s1[k]
		c00 += a0 * b0
		c01 += a0 * b1
		c10 += a1 * b0
		c11 += a1 * b1
		c20 += a2 * b0
		c21 += a2 * b1
		c30 += a3 * b0
		c31 += a3 * b1
	}
	g[i*n+j] += c00
	g[i*n+j+1] += c01
	g[(i+1)*n+j] += c10
	g[(i+1)*n+j+1] += c11
	g[(i+2)*n+j] += c20
	g[(i+2)*n+j+1] += c21
	g[(i+3)*n+j] += c30
	g[(i+3)*n+j+1] += c31
}

// dot returns sum_i a[i] b[i] with four accumulators; len(b) >= len(a).
func dot(a, b []float64) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// crossFrob2 returns ||A^T B||_F^2 for a [n, pa] and b [n, pb].
func crossFrob2(a, b []float64, n, pa, pb int) float64 {
	c := make([]float64, pa*pb)
	for r := range n {
		ar, br := a[r*pa:(r+1)*pa], b[r*pb:(r+1)*pb]
		for i, v := range ar {
			if v == 0 {
				continue
			}
			ci := c[i*pb : (i+1)*pb]
			for j, u := range br {
				ci[j] += v * u
			}
		}
	}
	var s float64
	for _, v := range c {
		s += v * v
	}
	return s
}
