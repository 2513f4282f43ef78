package metrics

import (
	"math"
	"math/big"
	"slices"
	"testing"
)

// exactLog10Tail returns log10 P(X >= k), X ~ Hypergeometric(N, K, n),
// computed exactly with math/big and rounded only in the final logarithm.
func exactLog10Tail(k, n, K, N int) float64 {
	num := new(big.Int)
	for x := k; x <= min(n, K); x++ {
		if n-x > N-K || x < 0 {
			continue
		}
		num.Add(num, new(big.Int).Mul(new(big.Int).Binomial(int64(K), int64(x)), new(big.Int).Binomial(int64(N-K), int64(n-x))))
	}
	den := new(big.Int).Binomial(int64(N), int64(n))
	return bigLog10(num) - bigLog10(den)
}

// bigLog10 returns log10 of a positive big.Int to float64 precision.
func bigLog10(x *big.Int) float64 {
	f := new(big.Float).SetPrec(256).SetInt(x)
	mant := new(big.Float)
	exp := f.MantExp(mant)
	m, _ := mant.Float64()
	return math.Log10(m) + float64(exp)*math.Log10(2)
}

func TestHypergeomLogTail(t *testing.T) {
	// tolTail: relative error allowed against the exact value (lgamma
	// rounding on terms of size ~ N ln N).
	const tolTail = 1e-9
	tests := []struct {
		name       string
		k, n, K, N int
		want       float64 // exact: 11/42 etc., computed with math/big
	}{
		// P(X >= 3) = (C(4,3) C(6,2) + C(4,4) C(6,1)) / C(10,5) = 66/252 = 11/42.
		{"small 11/42", 3, 5, 4, 10, math.Log10(11.0 / 42)},
		// Voss et al. mixed3a: 9 of 9 in a branch of 32 of 256 units,
		// P = C(32,9)/C(256,9) = 1131/455181883640, log10 = -8.60472236376967.
		{"mixed3a 9 of 9", 9, 32, 9, 256, -8.6047223637696678},
		// Voss et al. mixed3b: 30 of 30 in 96 of 480, P = C(96,30)/C(480,30)
		// = 97746254013/5820245202781843501338104012882281, log10 = -22.7748411588875.
		{"mixed3b 30 of 30", 30, 96, 30, 480, -22.774841158887507},
		{"partial tail", 5, 20, 12, 50, exactLog10Tail(5, 20, 12, 50)},
		{"large", 70, 2048, 100, 4096, exactLog10Tail(70, 2048, 100, 4096)},
		{"far tail", 100, 2048, 100, 4096, exactLog10Tail(100, 2048, 100, 4096)},
		{"lower support is certain", 3, 8, 7, 10, 0},
		{"k = 0", 0, 5, 4, 10, 0},
		{"impossible", 5, 5, 4, 10, math.Inf(-1)},
		{"K > N", 1, 1, 11, 10, math.NaN()},
		{"n > N", 1, 11, 1, 10, math.NaN()},
		{"negative", 1, -1, 1, 10, math.NaN()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := HypergeomLogTail(tc.k, tc.n, tc.K, tc.N); !near(got, tc.want, tolTail) {
				t.Errorf("HypergeomLogTail(%d, %d, %d, %d) = %.15g, want %.15g", tc.k, tc.n, tc.K, tc.N, got, tc.want)
			}
		})
	}
	t.Run("exact sweep", func(t *testing.T) {
		for N := 1; N <= 30; N += 7 {
			for K := 0; K <= N; K += 3 {
				for n := 0; n <= N; n += 4 {
					for k := 1; k <= min(n, K); k++ {
						want := exactLog10Tail(k, n, K, N)
						if got := HypergeomLogTail(k, n, K, N); !near(got, want, tolTail) {
							t.Errorf("HypergeomLogTail(%d, %d, %d, %d) = %.15g, want %.15g", k, n, K, N, got, want)
						}
					}
				}
			}
		}
	})
}

func TestFamilyLogTails(t *testing.T) {
	// 256 units in 8 branches of 32; the 9 family members all in branch 2.
	groups := branchLabels(8, 32)
	labels := make([]int, len(groups))
	for i := range 9 {
		labels[2*32+3*i] = 1
	}
	got := FamilyLogTails(labels, 1, groups, 8)
	for b, v := range got {
		want := 0.0
		if b == 2 {
			want = -8.6047223637696678 // C(32,9)/C(256,9), see TestHypergeomLogTail
		}
		if !near(v, want, 1e-9) {
			t.Errorf("branch %d: %v, want %v", b, v, want)
		}
	}
	empty := FamilyLogTails(make([]int, 4), 1, []int{0, 0, 1, 1}, 2)
	if empty[0] != 0 || empty[1] != 0 {
		t.Errorf("family without members: %v, want zeros", empty)
	}
	mustPanic(t, "label out of range", func() { FamilyLogTails([]int{1}, 1, []int{2}, 2) })
}

func TestFamilyLabels(t *testing.T) {
	got := FamilyLabels([]float64{0.1, 0.5, 0.9, math.NaN(), 0.49}, 0.5)
	want := []int{0, 1, 1, 0, 0}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("FamilyLabels = %v, want %v", got, want)
		}
	}
}

func TestNMI(t *testing.T) {
	tests := []struct {
		name string
		a, b []int
		want float64
	}{
		{"identical", []int{0, 0, 1, 1, 2}, []int{0, 0, 1, 1, 2}, 1},
		{"renamed", []int{0, 0, 1, 1, 2}, []int{7, 7, -3, -3, 4}, 1},
		{"product design", []int{0, 0, 1, 1}, []int{0, 1, 0, 1}, 0},
		{"product design 3x2", []int{0, 0, 1, 1, 2, 2}, []int{5, 6, 5, 6, 5, 6}, 0},
		// Computed in Python (math): I = 1/2 ln(4/3) + 1/4 ln(2/3) + 1/4 ln 2,
		// H(a) = ln 2, H(b) = -(3/4 ln 3/4 + 1/4 ln 1/4).
		{"hand", []int{0, 0, 1, 1}, []int{0, 0, 0, 1}, 0.3455920299442113},
		{"constant side", []int{1, 1, 1}, []int{0, 1, 2}, 0},
		{"empty", nil, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := NMI(tc.a, tc.b); !near(got, tc.want, tolExact) {
				t.Errorf("NMI = %v, want %v", got, tc.want)
			}
			if got := NMI(tc.b, tc.a); !near(got, tc.want, tolExact) {
				t.Errorf("NMI reversed = %v, want %v", got, tc.want)
			}
		})
	}
	mustPanic(t, "length mismatch", func() { NMI([]int{1}, nil) })
}

func TestTailFamilies(t *testing.T) {
	got := TailFamilies([]float64{0.1, 0.2, 0.5, 0.8, 0.9, math.NaN(), math.Inf(1)}, 0.2, 0.8)
	want := []int{FamilyLow, FamilyNone, FamilyNone, FamilyNone, FamilyHigh, FamilyNone, FamilyHigh}
	if !slices.Equal(got, want) {
		t.Errorf("TailFamilies = %v, want %v", got, want)
	}
	if got := TailFamilies(nil, 0, 1); len(got) != 0 {
		t.Errorf("empty: %v", got)
	}
	mustPanic(t, "lo > hi", func() { TailFamilies(nil, 0.9, 0.1) })
	mustPanic(t, "NaN threshold", func() { TailFamilies(nil, math.NaN(), 0.1) })
}

func TestFamilyNMI(t *testing.T) {
	groups := []int{0, 0, 0, 1, 1, 1}
	tests := []struct {
		name   string
		labels []int
		family int
		want   float64
	}{
		{"family is a branch", []int{1, 1, 1, 0, -1, 0}, FamilyHigh, 1},
		// Reference values: NMI of the membership vector against the
		// branches, I / sqrt(H(member) H(branch)) computed with Python's
		// math module from the contingency table.
		{"one member", []int{1, 1, 1, 0, -1, 0}, FamilyLow, 0.23674660197196537},
		{"two of three against one of three", []int{1, 0, 1, 0, 1, 0}, FamilyHigh, 0.0817041659455104},
		{"independent", []int{1, 0, 0, 1, 0, 0}, FamilyHigh, 0},
		{"empty family", []int{0, 0, 0, 0, 0, 0}, FamilyHigh, 0},
		{"every unit", []int{1, 1, 1, 1, 1, 1}, FamilyHigh, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := FamilyNMI(tc.labels, tc.family, groups); !near(got, tc.want, tolExact) {
				t.Errorf("FamilyNMI = %.16g, want %.16g", got, tc.want)
			}
		})
	}
	mustPanic(t, "length", func() { FamilyNMI([]int{1}, 1, nil) })
}

// TestFamilyConcentrationInceptionV1 reproduces the article's p-values
// with families formed from chance tails: the 9 black-and-white-vs-colour
// detectors of mixed3a all in its 5x5 branch (32 of 256 units), the 30
// curve detectors of mixed3b all in its 5x5 branch (96 of 480 units).
func TestFamilyConcentrationInceptionV1(t *testing.T) {
	tests := []struct {
		name     string
		branches []int // InceptionV1 branch widths: 1x1, 3x3, 5x5, pool
		members  int
		maxLog10 float64 // the article's bound
		exact    float64 // C(n,k)/C(N,k), see TestHypergeomLogTail
	}{
		{"mixed3a", []int{64, 128, 32, 32}, 9, -8, -8.6047223637696678},
		{"mixed3b", []int{128, 192, 96, 64}, 30, -20, -22.774841158887507},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var groups []int
			for b, w := range tc.branches {
				for range w {
					groups = append(groups, b)
				}
			}
			// Scores: chance-like 0.5 for every unit, 0.99 for the
			// family, placed in the 5x5 branch (index 2).
			scores := make([]float64, len(groups))
			start := tc.branches[0] + tc.branches[1]
			for i := range scores {
				scores[i] = 0.5
				if i >= start && i < start+tc.members {
					scores[i] = 0.99
				}
			}
			labels := TailFamilies(scores, 0.1, 0.9)
			tails := FamilyLogTails(labels, FamilyHigh, groups, len(tc.branches))
			if tails[2] >= tc.maxLog10 || !near(tails[2], tc.exact, 1e-9) {
				t.Errorf("5x5 branch: log10 p = %.6f, want %.6f (< %v)", tails[2], tc.exact, tc.maxLog10)
			}
			for _, b := range []int{0, 1, 3} {
				if tails[b] != 0 {
					t.Errorf("branch %d: log10 p = %v, want 0 (k = 0)", b, tails[b])
				}
			}
			if low := FamilyLogTails(labels, FamilyLow, groups, len(tc.branches)); slices.ContainsFunc(low, func(v float64) bool { return v != 0 }) {
				t.Errorf("empty achromatic family: %v", low)
			}
		})
	}
}

// TestFamiliesPlanted builds a first layer of 2 branches of 16 kernels
// 3x5x5: branch 0 colour-opponent (chroma 1), branch 1 luminance-only
// (chroma 0). With the chance thresholds of Beta(25, 12.5) the colour
// family is exactly branch 0 and the achromatic family exactly branch 1.
func TestFamiliesPlanted(t *testing.T) {
	const k = 5
	groups := branchLabels(2, 16)
	lum := LuminanceAxis([3]float64{1, 1, 1})
	orth := [3]float64{0, lum[2], -lum[1]}
	rng := newRNG(41)
	scores := make([]float64, len(groups))
	for i, g := range groups {
		plane := make([]float32, k*k)
		for j := range plane {
			plane[j] = float32(rng.NormFloat64())
		}
		gains := orth
		if g == 1 {
			gains = lum
		}
		scores[i] = ChromaAlong(planes(plane, gains32(gains)), k, lum)
	}
	d := ChromaChance(k * k)
	labels := TailFamilies(scores, d.Quantile(0.05), d.Quantile(0.95))
	// log10 1/C(32,16) = -log10(601080390) = -8.778932... (exact integer).
	want := -math.Log10(601080390)
	for _, tc := range []struct {
		family, branch int
	}{{FamilyHigh, 0}, {FamilyLow, 1}} {
		tails := FamilyLogTails(labels, tc.family, groups, 2)
		if !near(tails[tc.branch], want, 1e-9) || tails[1-tc.branch] != 0 {
			t.Errorf("family %d: log10 p = %v, want %v in branch %d and 0 in the other", tc.family, tails, want, tc.branch)
		}
		if nmi := FamilyNMI(labels, tc.family, groups); !near(nmi, 1, tolExact) {
			t.Errorf("family %d: NMI = %v, want 1", tc.family, nmi)
		}
	}
}
