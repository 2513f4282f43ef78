package metrics

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// randMat returns an n x p matrix of N(0,1) entries plus column offsets, so
// that centring matters.
func randMat(rng *rand.Rand, n, p int) []float64 {
	m := make([]float64, n*p)
	for i := range m {
		m[i] = rng.NormFloat64() + float64(i%p)
	}
	return m
}

// randOrthogonal returns a random p x p orthogonal matrix (modified
// Gram-Schmidt on the columns of a Gaussian matrix).
func randOrthogonal(rng *rand.Rand, p int) []float64 {
	q := make([]float64, p*p)
	for i := range q {
		q[i] = rng.NormFloat64()
	}
	for c := range p {
		for prev := range c {
			var d float64
			for r := range p {
				d += q[r*p+c] * q[r*p+prev]
			}
			for r := range p {
				q[r*p+c] -= d * q[r*p+prev]
			}
		}
		var nrm float64
		for r := range p {
			nrm += q[r*p+c] * q[r*p+c]
		}
		nrm = math.Sqrt(nrm)
		for r := range p {
			q[r*p+c] /= nrm
		}
	}
	return q
}

// matMul returns a [n, p] times b [p, q].
func matMul(a []float64, n, p int, b []float64, q int) []float64 {
	out := make([]float64, n*q)
	for i := range n {
		for k := range p {
			for j := range q {
				out[i*q+j] += a[i*p+k] * b[k*q+j]
			}
		}
	}
	return out
}

func scaled(x []float64, s float64) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = s * v
	}
	return out
}

func TestLinearCKAHand(t *testing.T) {
	// Column-centred X = [[-.5,0],[1.5,-1],[-1.5,-2],[.5,3]], Y = [0,-1,1,0]:
	// ||Y^T X||^2 = (-3)^2 + (-1)^2 = 10, X^T X = [[5,3],[3,14]] (||.||^2 =
	// 239), Y^T Y = 2 (||.||^2 = 4): CKA = 10/sqrt(956) (checked in Python
	// with fractions.Fraction).
	x := []float64{1, 2, 3, 1, 0, 0, 2, 5}
	y := []float64{1, 0, 2, 1}
	const want = 0.32342311367657545
	for name, f := range map[string]func() float64{
		"LinearCKA": func() float64 { return LinearCKA(x, 4, 2, y, 1) },
		"gram":      func() float64 { return ckaGram(x, 4, 2, y, 1) },
		"feature":   func() float64 { return ckaFeature(x, 4, 2, y, 1) },
		"GramCKA":   func() float64 { return GramCKA(CenteredGram(x, 4, 2), CenteredGram(y, 4, 1), 4) },
		"uncentred": func() float64 { return GramCKA(gram(x, 4, 2), gram(y, 4, 1), 4) },
	} {
		if got := f(); !near(got, want, tolExact) {
			t.Errorf("%s = %.17g, want %.17g", name, got, want)
		}
	}
}

func TestLinearCKAProperties(t *testing.T) {
	rng := newRNG(21)
	const n, p, q = 20, 6, 5
	x, y := randMat(rng, n, p), randMat(rng, n, q)
	base := LinearCKA(x, n, p, y, q)
	// tolCKA: different summation orders of O(n p q) products.
	const tolCKA = 1e-10
	t.Run("self", func(t *testing.T) {
		if got := LinearCKA(x, n, p, x, p); !near(got, 1, tolCKA) {
			t.Errorf("CKA(X, X) = %v", got)
		}
	})
	t.Run("orthogonal", func(t *testing.T) {
		if got := LinearCKA(matMul(x, n, p, randOrthogonal(rng, p), p), n, p, y, q); !near(got, base, tolCKA) {
			t.Errorf("CKA(XQ, Y) = %v, want %v", got, base)
		}
		if got := LinearCKA(x, n, p, matMul(y, n, q, randOrthogonal(rng, q), q), q); !near(got, base, tolCKA) {
			t.Errorf("CKA(X, YQ) = %v, want %v", got, base)
		}
	})
	t.Run("isotropic scaling", func(t *testing.T) {
		if got := LinearCKA(scaled(x, 3.7), n, p, scaled(y, 0.01), q); !near(got, base, tolCKA) {
			t.Errorf("CKA(aX, bY) = %v, want %v", got, base)
		}
	})
	t.Run("not invariant to anisotropic scaling", func(t *testing.T) {
		d := make([]float64, p*p)
		for i := range p {
			d[i*p+i] = math.Pow(10, float64(i-2))
		}
		if got := LinearCKA(matMul(x, n, p, d, p), n, p, y, q); math.Abs(got-base) < 1e-3 {
			t.Errorf("CKA(XD, Y) = %v, unchanged from %v", got, base)
		}
	})
	t.Run("gram and feature forms agree", func(t *testing.T) {
		for _, dims := range [][3]int{{20, 6, 5}, {8, 30, 12}, {50, 3, 40}} {
			n, p, q := dims[0], dims[1], dims[2]
			x, y := randMat(rng, n, p), randMat(rng, n, q)
			g, f := ckaGram(x, n, p, y, q), ckaFeature(x, n, p, y, q)
			if !near(g, f, tolCKA) {
				t.Errorf("n, p, q = %v: gram %v, feature %v", dims, g, f)
			}
		}
	})
	t.Run("symmetric", func(t *testing.T) {
		if got := LinearCKA(y, n, q, x, p); !near(got, base, tolCKA) {
			t.Errorf("CKA(Y, X) = %v, want %v", got, base)
		}
	})
}

func TestLinearCKAEdges(t *testing.T) {
	x := []float64{1, 2, 3, 4, 5, 6}              // [3, 2]
	constant := []float64{0.1, 7, 0.1, 7, 0.1, 7} // [3, 2], constant columns
	tests := []struct {
		name string
		got  float64
		want float64
	}{
		{"constant side (gram)", ckaGram(x, 3, 2, constant, 2), 0},
		{"constant side (feature)", ckaFeature(x, 3, 2, constant, 2), 0},
		{"constant side", LinearCKA(constant, 3, 2, x, 2), 0},
		{"no features", LinearCKA(x, 3, 2, nil, 0), 0},
		{"one example", LinearCKA([]float64{1, 2}, 1, 2, []float64{3}, 1), 0},
		{"NaN", LinearCKA([]float64{1, math.NaN(), 3, 4, 5, 6}, 3, 2, x, 2), math.NaN()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !near(tc.got, tc.want, tolExact) {
				t.Errorf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
	mustPanic(t, "bad length", func() { LinearCKA(x, 3, 3, x, 2) })
}

// songHSIC is Song et al. (2012), eq. 5, evaluated directly: the unbiased
// HSIC estimator from Gram matrices k and l (n >= 4).
func songHSIC(k, l []float64, n int) float64 {
	kt, lt := append([]float64(nil), k...), append([]float64(nil), l...)
	for i := range n {
		kt[i*n+i], lt[i*n+i] = 0, 0
	}
	var tr, sk, sl, cross float64
	kl1 := make([]float64, n) // K~ L~ 1
	for i := range n {
		for j := range n {
			tr += kt[i*n+j] * lt[j*n+i]
			sk += kt[i*n+j]
			sl += lt[i*n+j]
		}
	}
	l1 := make([]float64, n)
	for j := range n {
		for m := range n {
			l1[j] += lt[j*n+m]
		}
	}
	for i := range n {
		for j := range n {
			kl1[i] += kt[i*n+j] * l1[j]
		}
		cross += kl1[i]
	}
	fn := float64(n)
	return (tr + sk*sl/((fn-1)*(fn-2)) - 2/(fn-2)*cross) / (fn * (fn - 3))
}

// ckaReference is testdata/cka_reference.json, written by
// testdata/cka_reference.py (numpy 1.24, Kornblith's center_gram and cka
// restated; see the script).
type ckaReference struct {
	Cases []struct {
		Name     string
		N, P, Q  int
		X, Y     []float64
		Debiased float64
		Plain    float64
	}
}

func TestDebiasedCKAReference(t *testing.T) {
	// tolRef: the same float64 formula with another summation order.
	const tolRef = 1e-12
	b, err := os.ReadFile(filepath.Join("testdata", "cka_reference.json"))
	if err != nil {
		t.Fatalf("read reference (regenerate with testdata/cka_reference.py): %v", err)
	}
	var ref ckaReference
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	for _, c := range ref.Cases {
		t.Run(c.Name, func(t *testing.T) {
			if got := DebiasedCKA(c.X, c.N, c.P, c.Y, c.Q); !near(got, c.Debiased, tolRef) {
				t.Errorf("DebiasedCKA = %.17g, numpy %.17g", got, c.Debiased)
			}
			k, l := CenteredGram(c.X, c.N, c.P), CenteredGram(c.Y, c.N, c.Q)
			if got := DebiasedGramCKA(k, l, c.N); !near(got, c.Debiased, tolRef) {
				t.Errorf("DebiasedGramCKA(centred Grams) = %.17g, numpy %.17g", got, c.Debiased)
			}
			if got := GramCKA(k, l, c.N); !near(got, c.Plain, tolRef) {
				t.Errorf("GramCKA = %.17g, numpy %.17g", got, c.Plain)
			}
			// Song et al.'s eq. 5, evaluated directly on the raw Grams.
			kr, lr := gram(c.X, c.N, c.P), gram(c.Y, c.N, c.Q)
			song := songHSIC(kr, lr, c.N) / math.Sqrt(songHSIC(kr, kr, c.N)*songHSIC(lr, lr, c.N))
			if !near(song, c.Debiased, tolRef) {
				t.Errorf("Song eq. 5 = %.17g, numpy %.17g", song, c.Debiased)
			}
		})
	}
}

func TestDebiasedCKAProperties(t *testing.T) {
	rng := newRNG(22)
	const n, p, q = 30, 12, 7
	x, y := randMat(rng, n, p), randMat(rng, n, q)
	// y2 depends on x, so that the invariances are tested away from 0.
	y2 := matMul(x, n, p, randMat(rng, p, q), q)
	for i := range y2 {
		y2[i] += 3 * rng.NormFloat64()
	}
	base := DebiasedCKA(x, n, p, y2, q)
	// tolCKA: different summation orders of O(n^2 p) products.
	const tolCKA = 1e-10
	t.Run("self", func(t *testing.T) {
		if got := DebiasedCKA(x, n, p, x, p); !near(got, 1, tolCKA) {
			t.Errorf("CKA(X, X) = %v", got)
		}
	})
	t.Run("orthogonal", func(t *testing.T) {
		if got := DebiasedCKA(matMul(x, n, p, randOrthogonal(rng, p), p), n, p, y2, q); !near(got, base, tolCKA) {
			t.Errorf("CKA(XQ, Y) = %v, want %v", got, base)
		}
	})
	t.Run("isotropic scaling", func(t *testing.T) {
		if got := DebiasedCKA(scaled(x, 3.7), n, p, scaled(y2, 0.01), q); !near(got, base, tolCKA) {
			t.Errorf("CKA(aX, bY) = %v, want %v", got, base)
		}
	})
	t.Run("feature offsets", func(t *testing.T) {
		shifted := append([]float64(nil), x...)
		for i := range shifted {
			shifted[i] += float64(7 * (i % p))
		}
		if got := DebiasedCKA(shifted, n, p, y2, q); !near(got, base, tolCKA) {
			t.Errorf("CKA(X + c, Y) = %v, want %v", got, base)
		}
	})
	t.Run("symmetric", func(t *testing.T) {
		if got := DebiasedCKA(y2, n, q, x, p); !near(got, base, tolCKA) {
			t.Errorf("CKA(Y, X) = %v, want %v", got, base)
		}
	})
	t.Run("independent near 0", func(t *testing.T) {
		// sd about sqrt(2)/n = 0.047 (see TestDebiasedCKAIndependent).
		if got := DebiasedCKA(x, n, p, y, q); math.Abs(got) > 0.2 {
			t.Errorf("independent: %v", got)
		}
	})
}

func TestDebiasedCKAEdges(t *testing.T) {
	x := []float64{1, 2, 3, 4, 5, 6, 7, 9, 2, 0}                  // [5, 2]
	constant := []float64{0.1, 7, 0.1, 7, 0.1, 7, 0.1, 7, 0.1, 7} // [5, 2]
	tests := []struct {
		name string
		got  float64
		want float64
	}{
		{"constant side", DebiasedCKA(x, 5, 2, constant, 2), 0},
		{"no features", DebiasedCKA(x, 5, 2, nil, 0), 0},
		{"three examples", DebiasedCKA(x[:6], 3, 2, x[:6], 2), math.NaN()},
		{"NaN", DebiasedCKA(append([]float64{math.NaN()}, x[1:]...), 5, 2, x, 2), math.NaN()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !near(tc.got, tc.want, tolExact) {
				t.Errorf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
	mustPanic(t, "bad length", func() { DebiasedCKA(x, 5, 3, x, 2) })
	mustPanic(t, "bad Gram", func() { DebiasedGramCKA(x, x, 5) })
}

// TestDebiasedCKAIndependent compares the two estimators on independent
// Gaussian features of the shapes measured here: n examples, p = q =
// 16*8*8 features. Plain CKA sits near p/(p+n) (0.8 for n = 256), the
// debiased one near 0 (its sd under independence is about sqrt(2)/n).
func TestDebiasedCKAIndependent(t *testing.T) {
	const p = 16 * 8 * 8
	sizes := []int{256, 1024}
	if testing.Short() {
		sizes = sizes[:1]
	}
	for _, n := range sizes {
		rng := newRNG(uint64(n))
		x, y := randMat(rng, n, p), randMat(rng, n, p)
		kx, ky := CenteredGram(x, n, p), CenteredGram(y, n, p)
		plain, deb := GramCKA(kx, ky, n), DebiasedGramCKA(kx, ky, n)
		t.Logf("n = %d, p = q = %d: plain CKA %.4f (p/(p+n) = %.4f), debiased %.5f", n, p, plain, float64(p)/float64(p+n), deb)
		// tolPlain: plain CKA's spread around p/(p+n) at these sizes.
		const tolPlain = 0.01
		if math.Abs(plain-float64(p)/float64(p+n)) > tolPlain {
			t.Errorf("n = %d: plain CKA %v, want about %v", n, plain, float64(p)/float64(p+n))
		}
		// Five standard deviations of the debiased estimate.
		if bound := 5 * math.Sqrt2 / float64(n); math.Abs(deb) > bound {
			t.Errorf("n = %d: debiased CKA %v, want |.| < %v", n, deb, bound)
		}
	}
}
