package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"branchspec/trainer/ops/gemm"
)

// TestPool2TieRule checks pool2 (the vector paths for rows of 16k, the
// scalar path otherwise, at every vector level this CPU runs) against the
// rule spelled out directly: the first maximum in row-major window order
// under strict >, on data full of ties, signed zeros and NaNs.
func TestPool2TieRule(t *testing.T) {
	for _, vec := range vecLevels() {
		testPool2TieRule(t, vec)
	}
}

func testPool2TieRule(t *testing.T, vec vecLevel) {
	rng := newRand(170)
	vals := []float32{0, float32(math.Copysign(0, -1)), 1, 1, -1, 2, float32(math.NaN())}
	for _, w := range []int{32, 16, 6, 48} {
		h := 4
		x := make([]float32, h*w)
		for i := range x {
			x[i] = vals[rng.IntN(len(vals))]
		}
		y := make([]float32, h*w/4)
		arg := make([]int32, len(y))
		const base = 1000
		pool2(vec, x, y, arg, base, w)
		for o := range y {
			r, q := o/(w/2), o%(w/2)
			best := 2*r*w + 2*q
			for _, i := range []int{best + 1, best + w, best + w + 1} {
				if x[i] > x[best] {
					best = i
				}
			}
			if arg[o] != base+int32(best) || math.Float32bits(y[o]) != math.Float32bits(x[best]) {
				t.Fatalf("level %d, w=%d output %d: (%g at %d), want (%g at %d)", vec, w, o, y[o], arg[o]-base, x[best], best)
			}
		}
	}
}

// TestPool2Grad checks pool2Grad (the vector path for rows of 16k, the
// scalar path otherwise, at every vector level this CPU runs; a row pair a
// call and three at once) against the
// rule spelled out directly: every input of the row pair written, gy's
// bits at the recorded maximum (+0 there too where masked by a pooled ±0)
// and +0 elsewhere, over a gx full of garbage, for gradients that include
// signed zeros, NaN and infinities and pooled values that include both
// zeros and NaN.
func TestPool2Grad(t *testing.T) {
	rng := newRand(171)
	vals := []float32{0, float32(math.Copysign(0, -1)), 1, 1, -1, 2, float32(math.NaN())}
	grads := []float32{float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(-1)), 0.5, -3}
	for _, vec := range vecLevels() {
		for _, w := range []int{32, 16, 6, 48, 64} {
			h := 6
			x := make([]float32, h*w)
			for i := range x {
				x[i] = vals[rng.IntN(len(vals))]
			}
			y := make([]float32, h*w/4)
			arg := make([]int32, len(y))
			const base = 4000
			pool2(vec, x, y, arg, base, w)
			gy := make([]float32, len(y))
			for i := range gy {
				gy[i] = grads[rng.IntN(len(grads))]
				if rng.IntN(3) == 0 {
					gy[i] = rng.Float32() - 0.5
				}
			}
			for _, c := range []struct{ relu, whole bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
				relu := c.relu
				gx := make([]float32, len(x))
				for i := range gx {
					gx[i] = float32(math.NaN())
				}
				ow := w / 2
				step := 1 // row pairs a call: one, or all at once
				if c.whole {
					step = h / 2
				}
				for r := 0; r < h/2; r += step {
					i0 := 2 * r * w
					var yr []float32
					if relu {
						yr = y[r*ow : (r+step)*ow]
					}
					pool2Grad(vec, gy[r*ow:(r+step)*ow], yr, arg[r*ow:(r+step)*ow], base+int32(i0), w, gx[i0:i0+2*step*w])
				}
				want := make([]float32, len(x))
				for o, a := range arg {
					want[a-base] = gy[o]
					if relu && y[o] == 0 { // ±0; NaN passes
						want[a-base] = 0 // +0, whatever gy's sign
					}
				}
				for i := range want {
					if math.Float32bits(gx[i]) != math.Float32bits(want[i]) {
						t.Fatalf("level %d, w=%d, %+v, input %d: %g (%#x), want %g (%#x)", vec, w, c, i, gx[i], math.Float32bits(gx[i]), want[i], math.Float32bits(want[i]))
					}
				}
			}
		}
	}
}

// poolCases are strided max pools: AlexNet's overlapping 3/2 (scalar and
// vector rows), sizes whose
// last rows no window reads, a stride larger than the window (gaps), and a
// window of the whole plane.
var poolCases = []struct{ n, c, h, w, size, stride int }{
	{2, 3, 7, 9, 3, 2},
	{2, 2, 7, 21, 3, 2}, // 10 outputs a row: the vector path, its last block shifted
	{5, 2, 8, 8, 3, 2},  // 8 = 2*3 + 2: the last row and column are not read
	{2, 2, 9, 7, 2, 1},
	{2, 3, 10, 11, 2, 3},
	{1, 2, 5, 4, 4, 4},
	{3, 1, 6, 6, 6, 1},
}

func TestMaxPoolGradient(t *testing.T) {
	for i, tt := range poolCases {
		t.Run(fmt.Sprintf("%dx%dx%dx%d_size%d_stride%d", tt.n, tt.c, tt.h, tt.w, tt.size, tt.stride), func(t *testing.T) {
			rng := newRand(uint64(1000 + i))
			x := distinctDense(rng, 0.05, tt.n, tt.c, tt.h, tt.w)
			tg := newTestGraph(t, rng, []*tensor.Dense{x}, []int{0}, func(n []*G.Node) (*G.Node, error) {
				return MaxPool(n[0], tt.size, tt.stride)
			})
			if s := tg.y.Shape(); s[2] != (tt.h-tt.size)/tt.stride+1 || s[3] != (tt.w-tt.size)/tt.stride+1 {
				t.Fatalf("output %v", s)
			}
			checkGradients(t, rng, tg, 60)
		})
	}
}

// TestMaxPoolTieRule checks strided pooling (the 3x3/2 vector paths: on
// AVX2 blocks of 8 outputs, the last shifted back when a row of 8 or more
// is not a multiple of 8, and one block with lanes dropped for shorter
// rows; on AVX-512 blocks of 16 under lane masks; and the scalar path)
// against the rule
// spelled out directly, on data full of ties, signed zeros and NaNs, and
// that an input
// that is the maximum of overlapping windows gets the sum of their
// gradients.
func TestMaxPoolTieRule(t *testing.T) {
	rng := newRand(1010)
	vals := []float32{0, float32(math.Copysign(0, -1)), 1, 1, -1, 2, float32(math.NaN())}
	for _, c := range []struct{ h, w, k, s int }{
		{7, 9, 3, 2}, {5, 17, 3, 2}, {7, 18, 3, 2}, {9, 32, 3, 2}, {3, 41, 3, 2}, {6, 35, 3, 2}, {8, 9, 2, 3},
		// Small widths (one masked AVX-512 block), and 16 and 17 outputs a
		// row, around the block size.
		{3, 3, 3, 2}, {5, 5, 3, 2}, {7, 7, 3, 2}, {4, 16, 3, 2}, {16, 16, 3, 2}, {15, 15, 3, 2}, {3, 34, 3, 2}, {3, 35, 3, 2}, {3, 36, 3, 2},
	} {
		for _, vec := range vecLevels() {
			// Alone, and followed by more of the tensor (which the
			// vector paths may load but must not use).
			for _, tail := range []int{0, 40} {
				testPoolStridedTieRule(t, rng, vals, c.h, c.w, c.k, c.s, tail, vec)
			}
		}
	}
	// A 3x5 plane pooled 3/2: the 9 at the centre is the maximum of both
	// windows.
	g := G.NewGraph()
	plane := []float32{1, 2, 0, 3, 4, 0, 5, 9, 6, 0, 1, 2, 0, 3, 4}
	xn := G.NewTensor(g, G.Float32, 4, G.WithShape(1, 1, 3, 5), G.WithValue(tensor.New(tensor.WithShape(1, 1, 3, 5), tensor.WithBacking(plane))))
	yn, err := MaxPool(xn, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	wts := G.NewTensor(g, G.Float32, 4, G.WithShape(1, 1, 1, 2), G.WithValue(tensor.New(tensor.WithShape(1, 1, 1, 2), tensor.WithBacking([]float32{0.25, 0.5}))))
	grads, err := G.Grad(G.Must(G.Sum(G.Must(G.HadamardProd(yn, wts)))), xn)
	if err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	want := make([]float32, 15)
	want[7] = 0.75
	if got := f32data(grads[0].Value()); !slices.Equal(got, want) {
		t.Errorf("gradient %v, want %v", got, want)
	}
}

func TestMaxPoolErrors(t *testing.T) {
	g := G.NewGraph()
	x := G.NewTensor(g, G.Float32, 4, G.WithShape(1, 2, 5, 6), G.WithName("x"))
	for _, c := range [][2]int{{0, 1}, {3, 0}, {6, 1}, {-1, 2}} {
		if _, err := MaxPool(x, c[0], c[1]); err == nil {
			t.Errorf("MaxPool(size %d, stride %d) on 5x6: no error", c[0], c[1])
		}
	}
}

func TestGlobalAvgPoolGradient(t *testing.T) {
	for i, shape := range [][]int{{2, 3, 4, 5}, {5, 7, 1, 1}, {3, 2, 3, 3}} {
		t.Run(fmt.Sprint(shape), func(t *testing.T) {
			rng := newRand(uint64(1020 + i))
			tg := newTestGraph(t, rng, []*tensor.Dense{randDense(rng, 1, shape...)}, []int{0}, func(n []*G.Node) (*G.Node, error) {
				return GlobalAvgPool(n[0])
			})
			if s := tg.y.Shape(); len(s) != 2 || s[0] != shape[0] || s[1] != shape[1] {
				t.Fatalf("output %v", s)
			}
			checkGradients(t, rng, tg, 40)
		})
	}
}

// testPoolStridedTieRule checks poolStrided at level vec on one random
// h x w plane, followed by tail more values of the tensor, against the tie
// rule spelled out directly.
func testPoolStridedTieRule(t *testing.T, rng *rand.Rand, vals []float32, h, w, k, s, tail int, vec vecLevel) {
	t.Helper()
	c := struct{ h, w, k, s int }{h, w, k, s}
	oh, ow := (c.h-c.k)/c.s+1, (c.w-c.k)/c.s+1
	x := make([]float32, c.h*c.w+tail)
	for i := range x {
		x[i] = vals[rng.IntN(len(vals))]
	}
	y, arg := make([]float32, oh*ow), make([]int32, oh*ow)
	poolStrided(vec, x, y, arg, 100, c.w, ow, c.k, c.s)
	for o := range y {
		r, q := o/ow, o%ow
		best := r*c.s*c.w + q*c.s
		for i := range c.k {
			for j := range c.k {
				if p := (r*c.s+i)*c.w + q*c.s + j; x[p] > x[best] {
					best = p
				}
			}
		}
		if arg[o] != 100+int32(best) || math.Float32bits(y[o]) != math.Float32bits(x[best]) {
			t.Fatalf("level %d, %dx%d, window %d/%d, output %d: (%g at %d), want (%g at %d)", vec, c.h, c.w, c.k, c.s, o, y[o], arg[o]-100, x[best], best)
		}
	}
}

// TestConvPoolMaskedGrad checks the gradients of a ReLU convolution
// followed by max pooling, where the pooling's backward masks by the ReLU
// (maskInPoolGrad), against the same net with a scaling by 1 between the
// two, where the convolution's gradient ops mask as usual: the same bits
// for x, w and b, on 2x2 pools (rows of 16k on the vector path, and
// others), an overlapping 3/2 pool and a strided convolution, at every
// kernel this CPU runs; and that the masking moved only where it should.
func TestConvPoolMaskedGrad(t *testing.T) {
	cases := []struct {
		name                    string
		n, c, h, o, k, pad, str int
		size, stride            int
	}{
		{"2x2_rows16", 3, 3, 16, 8, 3, 1, 1, 2, 2},
		{"2x2_rows32", 2, 4, 32, 4, 3, 1, 1, 2, 2},
		{"2x2_scalar", 3, 2, 6, 5, 3, 1, 1, 2, 2},
		{"3s2", 3, 3, 9, 6, 3, 1, 1, 3, 2},
		{"7x7s2_3s2", 2, 3, 20, 4, 7, 3, 2, 3, 2},
	}
	for i, tc := range cases {
		for _, kern := range gemm.Kernels() {
			t.Run(tc.name+"/"+string(kern), func(t *testing.T) {
				grads := make([][][]float32, 2)
				for variant := range grads {
					rng := newRand(uint64(1300 + i))
					x := randDense(rng, 1, tc.n, tc.c, tc.h, tc.h)
					w := randDense(rng, 0.5, tc.o, tc.c, tc.k, tc.k)
					b := randDense(rng, 0.5, tc.o) // about half the outputs clipped to 0
					tg := newTestGraph(t, rng, []*tensor.Dense{x, w, b}, []int{0, 1, 2}, func(in []*G.Node) (*G.Node, error) {
						y, err := Conv(in[0], in[1], in[2], ConvParams{Pad: tc.pad, Stride: tc.str, ReLU: true, Kernel: kern})
						if err != nil {
							return nil, err
						}
						if variant == 1 {
							one := G.NewScalar(y.Graph(), G.Float32, G.WithValue(float32(1)), G.WithName("one"))
							if y, err = Scale(y, one); err != nil {
								return nil, err
							}
						}
						return MaxPoolWith(y, tc.size, tc.stride, kern)
					})
					masked := 0
					for _, nd := range tg.g.AllNodes() {
						if pg, ok := nd.Op().(*maxPoolGradOp); ok && pg.relu {
							masked++
						}
					}
					if want := 1 - variant; masked != want {
						t.Fatalf("variant %d: %d pooling backwards mask, want %d", variant, masked, want)
					}
					tg.run(t)
					grads[variant] = tg.analytic(t)
				}
				zeros := 0
				for j, name := range []string{"x", "w", "b"} {
					if err := bitsEqual(grads[0][j], grads[1][j]); err != nil {
						t.Errorf("d%s: %v", name, err)
					}
					for _, v := range grads[0][j] {
						if v == 0 {
							zeros++
						}
					}
				}
				if zeros == len(grads[0][0])+len(grads[0][1])+len(grads[0][2]) {
					t.Fatal("all gradients zero: the case checks nothing")
				}
			})
		}
	}
}
