package metrics

import (
	"math"
	"testing"
)

func TestShares(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name string
		sq   []float64
		want []float64
	}{
		{"hand", []float64{1, 3}, []float64{0.25, 0.75}},
		{"one zero", []float64{0, 2, 2}, []float64{0, 0.5, 0.5}},
		{"all zero", []float64{0, 0}, []float64{nan, nan}},
		{"negative", []float64{-1, 2}, []float64{nan, nan}},
		{"NaN", []float64{nan, 2}, []float64{nan, nan}},
		{"infinite", []float64{math.Inf(1), 2}, []float64{nan, nan}},
		{"empty", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Shares(tc.sq)
			if len(got) != len(tc.want) {
				t.Fatalf("Shares = %v, want %v", got, tc.want)
			}
			for b := range got {
				if !near(got[b], tc.want[b], tolExact) {
					t.Fatalf("Shares = %v, want %v", got, tc.want)
				}
			}
		})
	}
	t.Run("sum to 1", func(t *testing.T) {
		rng := newRNG(5)
		for range 100 {
			sq := make([]float64, 1+rng.IntN(8))
			for i := range sq {
				sq[i] = rng.ExpFloat64() * math.Pow(10, float64(rng.IntN(20)-10))
			}
			var s float64
			for _, v := range Shares(sq) {
				s += v
			}
			if !near(s, 1, tolExact) {
				t.Fatalf("Shares(%v) sums to %v", sq, s)
			}
		}
	})
}
