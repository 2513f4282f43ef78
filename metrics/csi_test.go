package metrics

import (
	"math"
	"testing"
)

func TestCSI(t *testing.T) {
	tests := []struct {
		name         string
		act, actGray []float64
		top          int
		want         float64
	}{
		{"colour blind", []float64{1, 2, 3}, []float64{1, 2, 3}, 2, 0},
		{"no gray response", []float64{1, 2, 3}, []float64{0, 0, 0}, 2, 1},
		{"gray stronger clips to 0", []float64{1, 2}, []float64{5, 5}, 0, 0},
		{"negative gray clips to 1", []float64{1, 2}, []float64{-1, -1}, 0, 1},
		// Top 2 by act are probes 3 (act 4) and 1 (act 3):
		// 1 - (1 + 2) / (4 + 3) = 4/7.
		{"hand", []float64{0.5, 3, 1, 4}, []float64{9, 2, 9, 1}, 2, 4.0 / 7},
		// All probes: 1 - (9+2+9+1)/(0.5+3+1+4) clips to 0.
		{"top 0 uses all", []float64{0.5, 3, 1, 4}, []float64{9, 2, 9, 1}, 0, 0},
		// Ties: act 2 at probes 0 and 1, top 1 takes probe 0.
		{"tie lower index", []float64{2, 2}, []float64{1, 0}, 1, 0.5},
		{"dead unit", []float64{0, 0}, []float64{0, 0}, 1, 0},
		{"empty", nil, nil, 3, 0},
		{"NaN", []float64{math.NaN(), 1}, []float64{0, 0}, 1, math.NaN()},
		{"NaN gray in top", []float64{2, 1}, []float64{math.NaN(), 0}, 1, math.NaN()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := CSI(tc.act, tc.actGray, tc.top); !near(got, tc.want, tolExact) {
				t.Errorf("CSI = %v, want %v", got, tc.want)
			}
		})
	}
	mustPanic(t, "length mismatch", func() { CSI([]float64{1}, nil, 1) })
}
