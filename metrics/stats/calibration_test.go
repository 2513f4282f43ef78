package stats

import (
	"math"
	"testing"
)

func TestCalibrate(t *testing.T) {
	seeds := 400
	if testing.Short() {
		seeds = 100
	}
	// A calibrated test: the p-value of a one-sample z-test of the mean of
	// 10 standard normal values, which is exactly Uniform(0, 1).
	calibrated := Calibrate(seeds, 0, func(seed uint64) float64 {
		rng := newRNG(seed)
		var s float64
		for range 10 {
			s += rng.NormFloat64()
		}
		return math.Erfc(math.Abs(s/math.Sqrt(10)) / math.Sqrt2)
	})
	if len(calibrated.P) != seeds {
		t.Fatalf("%d p-values, want %d", len(calibrated.P), seeds)
	}
	if calibrated.KSP <= 0.01 {
		t.Errorf("calibrated test: KS p = %.4f (D %.3f), want > 0.01", calibrated.KSP, calibrated.D)
	}
	if rate, lo, hi := calibrated.Rate(0.05); lo > 0.05 || hi < 0.05 {
		t.Errorf("calibrated test: rate %.3f [%.3f, %.3f] at 0.05", rate, lo, hi)
	}
	// A miscalibrated one: the same statistic, but its sd taken as 2.5
	// instead of sqrt(10) = 3.16, so p is too small.
	liberal := Calibrate(seeds, 0, func(seed uint64) float64 {
		rng := newRNG(seed)
		var s float64
		for range 10 {
			s += rng.NormFloat64()
		}
		return math.Erfc(math.Abs(s/2.5) / math.Sqrt2)
	})
	if liberal.KSP > 0.01 {
		t.Errorf("miscalibrated test: KS p = %.4f, want <= 0.01", liberal.KSP)
	}
	if rate, lo, _ := liberal.Rate(0.05); lo <= 0.05 {
		t.Errorf("miscalibrated test: rate %.3f (lower bound %.3f), want above 0.05", rate, lo)
	}
	// Deterministic: the same seeds give the same p-values.
	again := Calibrate(seeds, 0, func(seed uint64) float64 {
		rng := newRNG(seed)
		var s float64
		for range 10 {
			s += rng.NormFloat64()
		}
		return math.Erfc(math.Abs(s/math.Sqrt(10)) / math.Sqrt2)
	})
	if again.D != calibrated.D || again.KSP != calibrated.KSP {
		t.Errorf("two runs: D %v and %v", calibrated.D, again.D)
	}
	if r, _, _ := (Calibration{}).Rate(0.05); !math.IsNaN(r) {
		t.Errorf("empty Rate = %v, want NaN", r)
	}
}

// TestCalibrateGrid: permutation-style p-values (r+1)/(N+1) of an
// exchangeable null are calibrated on their grid, with N = 19 and more
// seeds than the continuous comparison tolerates.
func TestCalibrateGrid(t *testing.T) {
	const draws = 19
	pvalue := func(seed uint64) float64 {
		rng := newRNG(seed)
		obs := rng.NormFloat64()
		r := 0
		for range draws {
			if rng.NormFloat64() >= obs {
				r++
			}
		}
		return float64(r+1) / (draws + 1)
	}
	grid := Calibrate(2000, draws, pvalue)
	cont := Calibrate(2000, 0, pvalue)
	t.Logf("grid: D %.4f, KS p %.3f; continuous: D %.4f, KS p %.2g", grid.D, grid.KSP, cont.D, cont.KSP)
	if grid.KSP <= 0.01 {
		t.Errorf("grid comparison: KS p = %.4f, want > 0.01", grid.KSP)
	}
	if cont.D < 1.0/(draws+1)-0.02 {
		t.Errorf("continuous comparison: D = %.4f, want near 1/%d", cont.D, draws+1)
	}
}
