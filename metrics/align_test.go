package metrics

import (
	"math"
	"testing"
)

func TestAlignBranches(t *testing.T) {
	tests := []struct {
		name    string
		scores  []float64
		groups  []int
		nGroups int
		want    []int
	}{
		{"colour second", []float64{0.1, 0.2, 0.9, 0.8}, []int{0, 0, 1, 1}, 2, []int{1, 0}},
		{"already aligned", []float64{0.9, 0.1}, []int{0, 1}, 2, []int{0, 1}},
		{"tie keeps index order", []float64{0.5, 0.5}, []int{0, 1}, 2, []int{0, 1}},
		{"empty branch last", []float64{0.1, 0.3}, []int{0, 2}, 3, []int{2, 0, 1}},
		{"NaN mean last", []float64{math.NaN(), 0.1, 0.3}, []int{0, 1, 2}, 3, []int{2, 1, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := AlignBranches(tc.scores, tc.groups, tc.nGroups)
			for r := range tc.want {
				if got[r] != tc.want[r] {
					t.Fatalf("AlignBranches = %v, want %v", got, tc.want)
				}
			}
		})
	}
}
