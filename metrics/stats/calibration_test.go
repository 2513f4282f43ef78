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
	calibrated := Calibrate(seeds, func(seed uint64) float64 {
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
	liberal := Calibrate(seeds, func(seed uint64) float64 {
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
	again := Calibrate(seeds, func(seed uint64) float64 {
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
