package ops

import (
	"math"
	"testing"
	"time"
)

// sum4Reference is sum4 before its vector path: the Go loop's partial
// sums (partialSums4), added pairwise, then the rest in order.
func sum4Reference(g, y []float32) float32 {
	n := len(g) &^ 3
	s0, s1, s2, s3 := partialSums4(g[:n], y)
	s := (s0 + s1) + (s2 + s3)
	for i := n; i < len(g); i++ {
		if y == nil {
			s += g[i]
		} else {
			s += reluMask(g[i], y[i])
		}
	}
	return s
}

func isNaN32(v float32) bool { return v != v }

// TestSum4 checks sum4 (SSE partial sums on amd64 from 32 values on)
// against sum4Reference bit for bit, with and without a ReLU mask, on data
// with signed zeros, NaNs, infinities and values that round differently in
// another order, and against a hand-computed case.
func TestSum4(t *testing.T) {
	rng := newRand(41)
	finite := []float32{0, float32(math.Copysign(0, -1)), 1e30, -1e30, 1e-40, 3}
	special := append([]float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}, finite...)
	for _, pool := range [][]float32{finite, special} {
		finiteOnly := len(pool) == len(finite)
		for _, n := range []int{0, 1, 3, 4, 5, 8, 31, 32, 33, 63, 64, 256, 1001} {
			g, y := make([]float32, n), make([]float32, n)
			for i := range g {
				g[i] = float32(rng.NormFloat64()) * float32(math.Pow(10, float64(rng.IntN(12)-6)))
				y[i] = float32(max(0, rng.NormFloat64()))
				if rng.IntN(30) == 0 {
					g[i] = pool[rng.IntN(len(pool))]
				}
				if rng.IntN(30) == 0 {
					y[i] = pool[rng.IntN(len(pool))]
				}
			}
			for _, mask := range [][]float32{nil, y} {
				got, want := sum4(g, mask), sum4Reference(g, mask)
				// A NaN's sign and payload depend on which operand of an
				// addition the compiler puts first, even in Go alone: any
				// NaN matches any NaN where the data hold NaNs or infinities.
				same := math.Float32bits(got) == math.Float32bits(want) || !finiteOnly && isNaN32(got) && isNaN32(want)
				if !same || finiteOnly && isNaN32(got) {
					t.Fatalf("n %d masked %t finite %t: sum4 = %g (%#x), reference %g (%#x)", n, mask != nil, finiteOnly, got, math.Float32bits(got), want, math.Float32bits(want))
				}
			}
		}
	}
	// By hand: lanes 1+5, 2+6, 3+7, 4+8, added pairwise, then 9 and 10;
	// masked, the values whose y is ±0 drop out.
	g := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	y := []float32{1, 0, 1, float32(math.Copysign(0, -1)), 1, 1, 0, 1, 0, 1}
	if got := sum4(g, nil); got != 55 {
		t.Errorf("sum4 = %g, want 55", got)
	}
	if got := sum4(g, y); got != 1+3+5+6+8+10 {
		t.Errorf("sum4 masked = %g, want %d", got, 1+3+5+6+8+10)
	}
}

// TestReduceChunks checks reduceChunks, and Workers.reduceChunks, bit for
// bit against its definition, the parts added one element at a time in
// chunk order, for lengths around the vector width and the block (tails of
// each), one part and many.
func TestReduceChunks(t *testing.T) {
	rng := newRand(31)
	workers := NewWorkers(2, time.Millisecond)
	defer workers.Close()
	for _, n := range []int{1, 15, 16, 17, 100, reduceBlock - 1, reduceBlock, reduceBlock + 17, 3*reduceBlock + 5} {
		for _, k := range []int{1, 2, 7} {
			parts := make([][]float32, k)
			for c := range parts {
				parts[c] = randDense(rng, 1e3, n+3).Data().([]float32) // parts may be longer than dst
			}
			want := make([]float32, n)
			for i := range want {
				v := parts[0][i]
				for c := 1; c < k; c++ {
					v += parts[c][i]
				}
				want[i] = v
			}
			got := make([]float32, n)
			reduceChunks(got, parts, k)
			if err := bitsEqual(got, want); err != nil {
				t.Errorf("n=%d k=%d: %v", n, k, err)
			}
			got = make([]float32, n)
			workers.reduceChunks(got, parts, k)
			if err := bitsEqual(got, want); err != nil {
				t.Errorf("n=%d k=%d on Workers: %v", n, k, err)
			}
		}
	}
}
