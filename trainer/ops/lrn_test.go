package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// lrnCases exercise the window (odd and even n, n wider than C, n = 1),
// both power paths (beta 0.75 and others) and an alpha large enough for
// the cross-channel term to matter; AlexNet's constants last.
var lrnCases = []struct {
	name       string
	n, c, h, w int
	p          LRNParams
}{
	{"n5_beta0.75", 2, 7, 3, 4, LRNParams{Size: 5, K: 1, Alpha: 0.3, Beta: 0.75}},
	{"n4_even", 2, 6, 2, 5, LRNParams{Size: 4, K: 2, Alpha: 0.5, Beta: 0.75}},
	{"n3_beta0.5", 3, 5, 3, 3, LRNParams{Size: 3, K: 1.5, Alpha: 0.2, Beta: 0.5}},
	{"n9_wider_than_c", 1, 4, 4, 4, LRNParams{Size: 9, K: 1, Alpha: 0.1, Beta: 1.2}},
	{"n1", 2, 3, 2, 2, LRNParams{Size: 1, K: 0.5, Alpha: 1, Beta: 0.75}},
	{"alexnet", 5, 8, 5, 5, LRNParams{Size: 5, K: 2, Alpha: 1e-4, Beta: 0.75}},
}

func TestLRNGradient(t *testing.T) {
	for i, tt := range lrnCases {
		t.Run(tt.name, func(t *testing.T) {
			rng := newRand(uint64(900 + i))
			scale := 1.0
			if tt.p.Alpha < 1e-3 {
				scale = 20 // AlexNet's alpha needs large activations to matter
			}
			tg := newTestGraph(t, rng, []*tensor.Dense{randDense(rng, scale, tt.n, tt.c, tt.h, tt.w)}, []int{0}, func(n []*G.Node) (*G.Node, error) {
				return LRN(n[0], tt.p)
			})
			checkGradients(t, rng, tg, 60)
		})
	}
}

func TestLRNErrors(t *testing.T) {
	g := G.NewGraph()
	x := G.NewTensor(g, G.Float32, 4, G.WithShape(1, 2, 3, 3), G.WithName("x"))
	flat := G.NewMatrix(g, G.Float32, G.WithShape(2, 3), G.WithName("flat"))
	for _, c := range []struct {
		x *G.Node
		p LRNParams
	}{
		{flat, AlexNetLRN()},
		{x, LRNParams{Size: 0, K: 2, Alpha: 1e-4, Beta: 0.75}},
		{x, LRNParams{Size: 5, K: 0, Alpha: 1e-4, Beta: 0.75}},
		{x, LRNParams{Size: 5, K: 2, Alpha: -1, Beta: 0.75}},
		{x, LRNParams{Size: 5, K: 2, Alpha: 1e-4, Beta: -0.75}},
	} {
		if _, err := LRN(c.x, c.p); err == nil {
			t.Errorf("LRN(%v, %+v): no error", c.x.Shape(), c.p)
		}
	}
}

// TestLRNVectorMatchesPortable checks that the vector paths (AVX and
// AVX-512, beta = 0.75) and the portable code give the same bits, forward
// and backward, on planes whose size is and is not a multiple of 8 and 16
// (the last pixels then done again by an overlapping block), with zeros,
// huge values (squares that overflow) and NaNs among normal ones.
func TestLRNVectorMatchesPortable(t *testing.T) {
	rng := newRand(950)
	specials := []float32{0, float32(math.Copysign(0, -1)), 1e20, -3e19, float32(math.NaN()), 1e-30}
	for _, vec := range vecLevels() {
		for _, hw := range []int{8, 13, 40, 3, 16, 17, 49, 31, 256} {
			testLRNVectorMatchesPortable(t, rng, specials, vec, hw)
		}
	}
}

func testLRNVectorMatchesPortable(t *testing.T, rng *rand.Rand, specials []float32, vec vecLevel, hw int) {
	t.Helper()
	const c = 6
	k := (&lrnOp{p: LRNParams{Size: 5, K: 2, Alpha: 0.01, Beta: 0.75}}).numerics()
	k.vec = vec
	x, gy := make([]float32, c*hw), make([]float32, c*hw)
	for i := range x {
		x[i] = float32(3 * rng.NormFloat64())
		gy[i] = float32(rng.NormFloat64())
		if rng.IntN(5) == 0 {
			x[i] = specials[rng.IntN(len(specials))]
		}
	}
	y, d := make([]float32, c*hw), make([]float32, c*hw)
	k.forward(y, d, x, c, hw)
	y0, d0 := make([]float32, c*hw), make([]float32, c*hw)
	for ch := range c {
		lo, hi := k.window(ch, c)
		k.forwardPlane(y0[ch*hw:], d0[ch*hw:], x[ch*hw:], x[lo*hw:(hi+1)*hw], hi-lo+1, hw, hw, 0)
	}
	if err := bitsEqual(y, y0); err != nil {
		t.Errorf("vec %d hw %d forward y: %v", vec, hw, err)
	}
	if err := bitsEqual(d, d0); err != nil {
		t.Errorf("vec %d hw %d forward d: %v", vec, hw, err)
	}
	gx, q := make([]float32, c*hw), make([]float32, c*hw)
	k.backward(gx, q, x, y, gy, d, c, hw)
	gx0, q0 := make([]float32, c*hw), make([]float32, c*hw)
	for i := range q0 {
		q0[i] = float32(gy[i]*y[i]) / d[i]
	}
	for j := range c {
		lo, hi := max(0, j-2), min(c-1, j+2)
		k.backwardPlane(gx0[j*hw:], x[j*hw:], gy[j*hw:], d[j*hw:], q0[lo*hw:(hi+1)*hw], hi-lo+1, hw, hw, 0)
	}
	if err := bitsEqual(q, q0); err != nil {
		t.Errorf("vec %d hw %d backward q: %v", vec, hw, err)
	}
	if err := bitsEqual(gx, gx0); err != nil {
		t.Errorf("vec %d hw %d backward gx: %v", vec, hw, err)
	}
}
