package data

import (
	"math"
	"testing"
)

// TestNormDistribution compares the ziggurat normal's empirical CDF and
// moments with the standard normal's. Phi(x) = (1 + erf(x/sqrt 2))/2 is
// exact; the tolerance is 5 binomial standard errors of a proportion at n
// draws (or of the moment estimates).
func TestNormDistribution(t *testing.T) {
	n := 1_000_000
	if testing.Short() {
		n = 200_000
	}
	r, z := newStream(9, 0, 0), newZiggurat()
	xs := []float64{-4, -3.5, -3, -2, -1, -0.5, 0, 0.3, 1, 2, 3, 3.5, 4}
	below := make([]int, len(xs))
	var m1, m2, m4 float64
	for range n {
		v := r.norm(z)
		m1 += v
		m2 += v * v
		m4 += v * v * v * v
		for i, x := range xs {
			if v < x {
				below[i]++
			}
		}
	}
	fn := float64(n)
	for i, x := range xs {
		phi := (1 + math.Erf(x/math.Sqrt2)) / 2
		se := math.Sqrt(phi * (1 - phi) / fn)
		if got := float64(below[i]) / fn; math.Abs(got-phi) > 5*se+1/fn {
			t.Errorf("P(X < %v) = %.6f, want %.6f (se %.6f)", x, got, phi, se)
		}
	}
	// standard errors: mean 1/sqrt(n), variance sqrt(2/n), fourth moment sqrt(96/n)
	for _, c := range []struct {
		name      string
		got, want float64
		se        float64
	}{
		{"mean", m1 / fn, 0, 1 / math.Sqrt(fn)},
		{"E[X^2]", m2 / fn, 1, math.Sqrt(2 / fn)},
		{"E[X^4]", m4 / fn, 3, math.Sqrt(96 / fn)},
	} {
		if math.Abs(c.got-c.want) > 5*c.se {
			t.Errorf("%s = %.5f, want %v +- %.5f", c.name, c.got, c.want, 5*c.se)
		}
	}
}

// TestIntnUniform checks intn's range and a chi-squared statistic for
// n = 7 over 70000 draws (6 degrees of freedom; 22.46 is the 0.999
// quantile).
func TestIntnUniform(t *testing.T) {
	const n, draws, chi2Max = 7, 70000, 22.46
	r := newStream(1, 2, 3)
	var counts [n]int
	for range draws {
		v := r.intn(n)
		if v < 0 || v >= n {
			t.Fatalf("intn(%d) = %d", n, v)
		}
		counts[v]++
	}
	var chi2 float64
	for _, c := range counts {
		d := float64(c) - draws/n
		chi2 += d * d / (draws / n)
	}
	if chi2 > chi2Max {
		t.Errorf("chi-squared %.2f > %.2f: counts %v", chi2, chi2Max, counts)
	}
	if got := newStream(1, 2, 3).intn(1); got != 0 {
		t.Errorf("intn(1) = %d", got)
	}
}
