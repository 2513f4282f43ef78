package metrics

import (
	"math"
	"math/big"
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
