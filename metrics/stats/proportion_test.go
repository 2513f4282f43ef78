package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestWilsonInterval(t *testing.T) {
	// tolWilson: the formula evaluated twice in double precision.
	const tolWilson = 1e-12
	ref := loadReference(t)
	for _, r := range ref.Wilson {
		lo, hi := WilsonInterval(r.K, r.N, r.Level)
		if !near(lo, r.CI[0], tolWilson) || !near(hi, r.CI[1], tolWilson) {
			t.Errorf("WilsonInterval(%d, %d, %v) = [%.15g, %.15g], want %v", r.K, r.N, r.Level, lo, hi, r.CI)
		}
	}
	// Newcombe (1998), Table II, method 3 (score interval without
	// continuity correction), printed to 4 decimals: an independent check
	// of the formula.
	const tolTable = 5e-5
	for _, tc := range []struct {
		k, n   int
		lo, hi float64
	}{
		{81, 263, 0.2553, 0.3662},
		{15, 148, 0.0624, 0.1605},
		{0, 20, 0, 0.1611},
		{1, 29, 0.0061, 0.1718},
	} {
		lo, hi := WilsonInterval(tc.k, tc.n, 0.95)
		if !near(lo, tc.lo, tolTable) || !near(hi, tc.hi, tolTable) {
			t.Errorf("WilsonInterval(%d, %d) = [%.4f, %.4f], Newcombe [%.4f, %.4f]", tc.k, tc.n, lo, hi, tc.lo, tc.hi)
		}
	}
	t.Run("bounds", func(t *testing.T) {
		if lo, _ := WilsonInterval(0, 10, 0.99); lo != 0 {
			t.Errorf("k = 0: lo = %v, want exactly 0", lo)
		}
		if _, hi := WilsonInterval(10, 10, 0.95); hi != 1 {
			t.Errorf("k = n: hi = %v, want exactly 1", hi)
		}
		if lo, hi := WilsonInterval(0, 0, 0.95); !math.IsNaN(lo) || !math.IsNaN(hi) {
			t.Errorf("n = 0: [%v, %v], want NaN", lo, hi)
		}
	})
	for name, f := range map[string]func(){
		"k > n":     func() { WilsonInterval(3, 2, 0.95) },
		"k < 0":     func() { WilsonInterval(-1, 2, 0.95) },
		"level = 1": func() { WilsonInterval(1, 2, 1) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		})
	}
}

func TestPairedDiffInterval(t *testing.T) {
	// Fagerland, Lydersen & Laake (2014), airway reactivity before and
	// after stem cell transplantation, (a, b, c, d) = (1, 1, 7, 12): the
	// Newcombe square-and-add interval, printed to 3 decimals.
	const tolTable = 5e-4
	lo, hi := PairedDiffInterval(1, 1, 7, 12, 0.95)
	if !near(lo, -0.507, tolTable) || !near(hi, -0.026, tolTable) {
		t.Errorf("PairedDiffInterval(1, 1, 7, 12) = [%.4f, %.4f], published [-0.507, -0.026]", lo, hi)
	}
	t.Run("swap negates", func(t *testing.T) {
		lo1, hi1 := PairedDiffInterval(30, 9, 3, 8, 0.95)
		lo2, hi2 := PairedDiffInterval(30, 3, 9, 8, 0.95)
		if !near(lo1, -hi2, 1e-15) || !near(hi1, -lo2, 1e-15) {
			t.Errorf("[%v, %v] vs swapped [%v, %v]", lo1, hi1, lo2, hi2)
		}
	})
	t.Run("edges", func(t *testing.T) {
		if lo, hi := PairedDiffInterval(0, 0, 0, 0, 0.95); !math.IsNaN(lo) || !math.IsNaN(hi) {
			t.Errorf("n = 0: [%v, %v], want NaN", lo, hi)
		}
		// No discordant item: the difference is 0 and the interval holds it.
		if lo, hi := PairedDiffInterval(40, 0, 0, 10, 0.95); !(lo < 0 && hi > 0) {
			t.Errorf("no discordant pair: [%v, %v] does not hold 0", lo, hi)
		}
		if lo, hi := PairedDiffInterval(0, 20, 0, 0, 0.95); hi != 1 || !(lo > 0.5) {
			t.Errorf("all items succeed under 1 only: [%v, %v], want hi = 1", lo, hi)
		}
	})
	// Coverage: paired Bernoulli items with P(a, b, c, d) = (0.6, 0.15,
	// 0.05, 0.2), theta = 0.1, n = 60 (the size of a class of the default
	// held-out split): the 95% interval covers theta in about 95% of
	// 4000 tables; the Wilson interval of that rate, 0.95 +- 0.007.
	rng := rand.New(rand.NewPCG(10, 1998))
	cover := 0
	const tables = 4000
	for range tables {
		var k [4]int
		for range 60 {
			u := rng.Float64()
			switch {
			case u < 0.6:
				k[0]++
			case u < 0.75:
				k[1]++
			case u < 0.8:
				k[2]++
			default:
				k[3]++
			}
		}
		if lo, hi := PairedDiffInterval(k[0], k[1], k[2], k[3], 0.95); lo <= 0.1 && 0.1 <= hi {
			cover++
		}
	}
	if rate := float64(cover) / tables; rate < 0.93 || rate > 0.975 {
		t.Errorf("coverage %v of %d tables, want about 0.95", rate, tables)
	}
	for name, f := range map[string]func(){
		"negative":  func() { PairedDiffInterval(-1, 2, 3, 4, 0.95) },
		"level = 0": func() { PairedDiffInterval(1, 2, 3, 4, 0) },
	} {
		t.Run("panics/"+name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		})
	}
}
