package ops

import (
	"fmt"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
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
