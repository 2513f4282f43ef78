package metrics

import (
	"math"
	"math/rand/v2"
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
