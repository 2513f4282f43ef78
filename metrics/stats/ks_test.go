package stats

import (
	"math"
	"testing"
)

// relNear reports whether got is within rel of want relative to |want|.
func relNear(got, want, rel float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(got)
	}
	return math.Abs(got-want) <= rel*math.Abs(want)
}

func TestKolmogorovSF(t *testing.T) {
	// Tolerances, relative. tolKSExact: our exact and one-sided-tail
	// methods against 40-digit values and against scipy where scipy is
	// exact (n <= 140, and the tail). tolKSPelzGood: against scipy where
	// scipy uses the Pelz-Good series (n > 140 outside the tail), which is
	// good to about 5 digits. tolKSStephens: our asymptotic form for
	// n > 1000 outside the tail (p > 0.03).
	const (
		tolKSExact    = 1e-8
		tolKSPelzGood = 2e-5
		tolKSStephens = 5e-3
	)
	ref := loadReference(t)
	for _, r := range ref.KSTwoExact {
		if got := KolmogorovSF(r.N, r.D); !relNear(got, r.SF, tolKSExact) {
			t.Errorf("KolmogorovSF(%d, %v) = %.12g, want %.12g (40 digits)", r.N, r.D, got, r.SF)
		}
	}
	for _, r := range ref.KSTwo {
		nd2 := float64(r.N) * r.D * r.D
		tail := nd2 > ksTail || (r.N > ksExactN && nd2 > ksTailLarge)
		tol := tolKSExact
		switch {
		case tail || r.N <= 140:
		case r.N <= ksExactN:
			tol = tolKSPelzGood
		default:
			tol = tolKSStephens
		}
		if got := KolmogorovSF(r.N, r.D); !relNear(got, r.SF, tol) {
			t.Errorf("KolmogorovSF(%d, %v) = %.12g, scipy %.12g (rel %.1e, tol %.0e)", r.N, r.D, got, r.SF, math.Abs(got-r.SF)/r.SF, tol)
		}
	}
	// Hand values: P(D_1 >= d) = 2(1 - d) for d >= 1/2 (D_1 = max(U, 1-U)),
	// and 1 below; at d = 1/(2n), the smallest value D_n can take, 1.
	for _, tc := range []struct {
		n       int
		d, want float64
	}{
		{1, 0.75, 0.5}, {1, 0.5, 1}, {1, 0.9, 0.2}, {7, 1.0 / 14, 1},
		{5, 0, 1}, {5, -1, 1}, {5, 1, 0}, {5, 2, 0}, {5, math.NaN(), math.NaN()},
	} {
		if got := KolmogorovSF(tc.n, tc.d); !near(got, tc.want, 1e-12) {
			t.Errorf("KolmogorovSF(%d, %v) = %v, want %v", tc.n, tc.d, got, tc.want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("KolmogorovSF(0, 0.5): no panic")
		}
	}()
	KolmogorovSF(0, 0.5)
}

func TestKSUniform(t *testing.T) {
	// tolKSD: D is a max of differences of doubles; tolKSP as
	// tolKSExact/tolKSPelzGood in TestKolmogorovSF (scipy's kstest uses
	// kstwo.sf, the Pelz-Good series for n = 200 and 1000).
	const tolKSD, tolKSP = 1e-14, 2e-5
	ref := loadReference(t)
	for _, r := range ref.KSTest {
		d, p := KSUniform(r.X)
		if !near(d, r.D, tolKSD) || !relNear(p, r.P, tolKSP) {
			t.Errorf("n = %d: KSUniform = (%.15g, %.12g), scipy (%.15g, %.12g)", len(r.X), d, p, r.D, r.P)
		}
	}
	t.Run("hand", func(t *testing.T) {
		// x = {0.1, 0.5}: D+ = max(0.5-0.1, 1-0.5) = 0.5, D- = max(0.1, 0) :
		// D = 0.5, and P(D_2 >= 1/2) = 1/2 (for n = 2 and 1/2 <= d, the
		// two one-sided tails are disjoint: 2 (1-d)^2 = 1/2).
		d, p := KSUniform([]float64{0.5, 0.1})
		if !near(d, 0.5, tol) || !near(p, 0.5, 1e-12) {
			t.Errorf("KSUniform = (%v, %v), want (0.5, 0.5)", d, p)
		}
	})
	for name, x := range map[string][]float64{"empty": nil, "NaN": {0.2, math.NaN()}} {
		if d, p := KSUniform(x); !math.IsNaN(d) || !math.IsNaN(p) {
			t.Errorf("%s: KSUniform = (%v, %v), want NaN", name, d, p)
		}
	}
}

// TestKSUniformNull checks the test's own calibration: uniform samples
// give uniform KS p-values (their rejection rate at 0.05 is about 0.05).
func TestKSUniformNull(t *testing.T) {
	reps := 400
	if testing.Short() {
		reps = 100
	}
	rej := 0
	for s := range uint64(reps) {
		rng := newRNG(7000 + s)
		x := make([]float64, 50)
		for i := range x {
			x[i] = rng.Float64()
		}
		if _, p := KSUniform(x); p <= 0.05 {
			rej++
		}
	}
	lo, hi := WilsonInterval(rej, reps, 0.999)
	if lo > 0.05 || hi < 0.05 {
		t.Errorf("rejection rate %d/%d at 0.05: 99.9%% interval [%.3f, %.3f] excludes 0.05", rej, reps, lo, hi)
	}
}

func BenchmarkKSUniform200(b *testing.B) {
	rng := newRNG(1)
	x := make([]float64, 200)
	for i := range x {
		x[i] = rng.Float64()
	}
	for b.Loop() {
		KSUniform(x)
	}
}

func TestKSDiscreteUniform(t *testing.T) {
	tests := []struct {
		name string
		x    []float64
		m    int
		d    float64
	}{
		// Every grid value equally often: F_n = F at every jump.
		{"balanced", []float64{0.25, 0.5, 0.75, 1, 1, 0.75, 0.5, 0.25}, 4, 0},
		{"balanced thirds", []float64{2.0 / 3, 1.0 / 3, 1}, 3, 0},
		// All at 1/4: F_n(1/4) = 1 against F(1/4) = 1/4.
		{"all smallest", []float64{0.25, 0.25, 0.25, 0.25}, 4, 0.75},
		// m = 2, x = {1/2, 1, 1}: F_n(1/2) = 1/3 against 1/2; just below 1,
		// 1/3 against 1/2; elsewhere equal.
		{"hand", []float64{0.5, 1, 1}, 2, 1.0 / 6},
		// An off-grid value: F_n(0.3) = 1 against F(0.3) = 0.
		{"off grid", []float64{0.3}, 2, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, p := KSDiscreteUniform(tc.x, tc.m)
			if !near(d, tc.d, tol) || !near(p, KolmogorovSF(len(tc.x), tc.d), tol) {
				t.Errorf("KSDiscreteUniform = (%v, %v), want D = %v", d, p, tc.d)
			}
		})
	}
	// Calibrated Monte Carlo p-values (r+1)/20, r uniform on 0..19: the
	// discrete test accepts them, the continuous one (D inflated by up to
	// 1/20) rejects them once n is large.
	rng := newRNG(3)
	x := make([]float64, 4000)
	for i := range x {
		x[i] = float64(rng.IntN(20)+1) / 20
	}
	_, pd := KSDiscreteUniform(x, 20)
	_, pc := KSUniform(x)
	if pd <= 0.01 || pc > 1e-6 {
		t.Errorf("grid p-values: discrete KS p = %v (want > 0.01), continuous %v (want tiny)", pd, pc)
	}
	if d, p := KSDiscreteUniform(nil, 3); !math.IsNaN(d) || !math.IsNaN(p) {
		t.Errorf("empty: (%v, %v), want NaN", d, p)
	}
	defer func() {
		if recover() == nil {
			t.Error("m = 0: no panic")
		}
	}()
	KSDiscreteUniform([]float64{0.5}, 0)
}
