package ops

import (
	"fmt"
	"math"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"branchspec/trainer/ops/gemm"
)

// strideCases are strided convolutions: AlexNet-style first layers (7x7/2
// as Zeiler & Fergus, 11x11/4), 3x3/2 and 5x5/2, kernels smaller than the
// stride (phases with no taps), odd sizes whose last rows no window reads,
// and enough images for several chunks.
var strideCases = []struct {
	n, c, h, w, o, k, pad, stride int
}{
	{2, 3, 13, 11, 4, 7, 3, 2},
	{2, 3, 9, 9, 5, 3, 1, 2},
	{3, 4, 8, 7, 6, 5, 2, 2},
	{2, 2, 10, 10, 3, 3, 0, 3},
	{1, 3, 23, 23, 4, 11, 2, 4},
	{5, 2, 6, 7, 3, 1, 0, 2},    // 1x1/2: three of four phases have no tap
	{2, 3, 7, 6, 2, 2, 1, 3},    // K < stride
	{2, 7, 12, 12, 13, 3, 1, 2}, // C, O off the tiles
	{3, 1, 11, 10, 5, 5, 2, 2},  // grayscale: 4 phase channels, fewer than a panel (tap rows)
}

func strideName(i int, tt struct{ n, c, h, w, o, k, pad, stride int }) string {
	return fmt.Sprintf("%d_n%dc%dh%dw%do%dk%dp%ds%d", i, tt.n, tt.c, tt.h, tt.w, tt.o, tt.k, tt.pad, tt.stride)
}

func TestConvStrideGradient(t *testing.T) {
	for i, tt := range strideCases {
		for _, relu := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s_relu%t", strideName(i, tt), relu), func(t *testing.T) {
				rng := newRand(uint64(800 + i))
				x := randDense(rng, 1, tt.n, tt.c, tt.h, tt.w)
				if relu {
					x = awayFromZero(rng, 0.05, tt.n, tt.c, tt.h, tt.w)
				}
				in := []*tensor.Dense{x, randDense(rng, 0.5, tt.o, tt.c, tt.k, tt.k), randDense(rng, 1, tt.o)}
				tg := newTestGraph(t, rng, in, []int{0, 1, 2}, func(n []*G.Node) (*G.Node, error) {
					return Conv(n[0], n[1], n[2], ConvParams{Pad: tt.pad, Stride: tt.stride, ReLU: relu})
				})
				if relu {
					checkGradientsAwayFromKink(t, rng, tg, gradSamples)
				} else {
					checkGradients(t, rng, tg, gradSamples)
				}
			})
		}
	}
}

func TestConvStrideMatchesStock(t *testing.T) {
	for i, tt := range strideCases {
		t.Run(strideName(i, tt), func(t *testing.T) {
			rng := newRand(uint64(850 + i))
			in := []*tensor.Dense{randDense(rng, 1, tt.n, tt.c, tt.h, tt.w), randDense(rng, 0.3, tt.o, tt.c, tt.k, tt.k)}
			compareWithStock(t, in, []int{0, 1},
				func(n []*G.Node) (*G.Node, error) {
					return Conv(n[0], n[1], nil, ConvParams{Pad: tt.pad, Stride: tt.stride})
				},
				func(n []*G.Node) (*G.Node, error) {
					return G.Conv2d(n[0], n[1], tensor.Shape{tt.k, tt.k}, []int{tt.pad, tt.pad}, []int{tt.stride, tt.stride}, []int{1, 1})
				})
		})
	}
}

// TestPhaseTapsSameBits checks that skipping the phase taps that do not
// exist (newConvPlanKeep) changes no bit: for every kernel and stride
// case, with a bias and ReLU, the strided conv's output and weight
// gradient must equal those of the stride-1 conv of its phase images with
// all K2*K2 phase taps (zero weights included), which is how they were
// computed before.
func TestPhaseTapsSameBits(t *testing.T) {
	for _, kern := range gemm.Kernels() {
		for i, tt := range strideCases {
			t.Run(fmt.Sprintf("%s/%s", kern, strideName(i, tt)), func(t *testing.T) {
				rng := newRand(uint64(870 + i))
				x := randDense(rng, 1, tt.n, tt.c, tt.h, tt.w)
				w := randDense(rng, 0.3, tt.o, tt.c, tt.k, tt.k)
				b := randDense(rng, 0.1, tt.o)
				g, err := newConvGeom(x.Shape(), w.Shape(), tt.pad, tt.stride)
				if err != nil {
					t.Fatal(err)
				}
				pg := g.phaseGeom()
				// The phase images (the stride-2 decimation reads one value
				// past each image: give the last one room) and all phase weights.
				xs := append(x.Data().([]float32), make([]float32, tt.w)...)
				ph := make([]float32, pg.n*pg.inImage())
				for n := 0; n < g.n; n++ {
					g.phaseImage(ph[n*pg.inImage():], xs[n*g.inImage():], kern)
				}
				w2 := make([]float32, pg.o*pg.ckk())
				g.phaseWeights(w2, w.Data().([]float32), true)
				phT := tensor.New(tensor.WithShape(pg.n, pg.c, pg.h, pg.w), tensor.WithBacking(ph))
				w2T := tensor.New(tensor.WithShape(pg.o, pg.c, pg.k, pg.k), tensor.WithBacking(w2))

				y := doOp(t, &convOp{pad: tt.pad, stride: tt.stride, hasBias: true, relu: true, kernel: kern}, x, w, b)
				want := doOp(t, &convOp{hasBias: true, relu: true, kernel: kern}, phT, w2T, b)
				sameBits(t, "output", y, want)

				gy := randDense(rng, 1, y.Shape()...)
				dw := doOp(t, &convGradOp{pad: tt.pad, stride: tt.stride, wrt: wrtWeights, relu: true, kernel: kern}, x, w, y, gy)
				dw2 := doOp(t, &convGradOp{wrt: wrtWeights, relu: true, kernel: kern}, phT, w2T, want, gy)
				wantDW := make([]float32, len(w.Data().([]float32)))
				g.unphaseWeights(wantDW, dw2.Data().([]float32))
				sameBits(t, "weight gradient", dw, tensor.New(tensor.WithShape(w.Shape()...), tensor.WithBacking(wantDW)))
			})
		}
	}
}

// doOp runs op on in and returns a copy of its output.
func doOp(t *testing.T, op G.Op, in ...G.Value) *tensor.Dense {
	t.Helper()
	v, err := op.Do(in...)
	if err != nil {
		t.Fatalf("%v: %v", op, err)
	}
	return v.(*tensor.Dense).Clone().(*tensor.Dense)
}

// sameBits fails unless got and want hold the same values bit for bit.
func sameBits(t *testing.T, what string, got, want *tensor.Dense) {
	t.Helper()
	g, w := got.Data().([]float32), want.Data().([]float32)
	if len(g) != len(w) {
		t.Fatalf("%s: %d values, want %d", what, len(g), len(w))
	}
	for i := range g {
		if math.Float32bits(g[i]) != math.Float32bits(w[i]) {
			t.Fatalf("%s[%d] = %g (%#08x), want %g (%#08x)", what, i, g[i], math.Float32bits(g[i]), w[i], math.Float32bits(w[i]))
		}
	}
}

func TestConvErrors(t *testing.T) {
	g := G.NewGraph()
	x := G.NewTensor(g, G.Float32, 4, G.WithShape(1, 3, 5, 5), G.WithName("x"))
	w := G.NewTensor(g, G.Float32, 4, G.WithShape(2, 3, 7, 7), G.WithName("w"))
	for _, c := range []struct {
		p    ConvParams
		text string
	}{
		{ConvParams{Stride: -1, Pad: 1}, "stride -1, want >= 1"},
		{ConvParams{Stride: 2, Pad: 0}, "kernel 7 with padding 0 does not fit input (1, 3, 5, 5)"},
		{ConvParams{Stride: 2, Pad: -1}, "negative padding -1"},
	} {
		if _, err := Conv(x, w, nil, c.p); err == nil || !strings.Contains(err.Error(), c.text) {
			t.Errorf("%+v: %v, want an error saying %q", c.p, err, c.text)
		}
	}
	y, err := Conv(x, w, nil, ConvParams{Stride: 2, Pad: 1}) // floor((5+2-7)/2)+1 = 1
	if err != nil || !y.Shape().Eq(tensor.Shape{1, 2, 1, 1}) {
		t.Errorf("7x7/2 pad 1 on 5x5: %v, %v; want (1, 2, 1, 1)", y, err)
	}
}
