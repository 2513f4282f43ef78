package ops

import (
	"fmt"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// gradSamples is the number of elements per input checked by central
// differences.
const gradSamples = 40

func TestConv2DGradient(t *testing.T) {
	tests := []struct {
		n, c, h, w, o, k, pad int
		bias                  bool
	}{
		{2, 3, 6, 5, 4, 3, 1, true},
		{2, 3, 6, 5, 4, 3, 1, false},
		{1, 2, 5, 5, 7, 1, 0, true},  // direct 1x1 path
		{3, 5, 7, 6, 3, 5, 2, true},  // 5x5, pad 2
		{2, 4, 6, 6, 5, 3, 0, false}, // no padding
		{5, 1, 4, 4, 2, 1, 1, true},  // 1x1 with padding, more images than a chunk
		{2, 7, 8, 8, 13, 3, 2, true}, // C, O not multiples of the tiles
	}
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%d_n%dc%dh%dw%do%dk%dp%d_bias%t", i, tt.n, tt.c, tt.h, tt.w, tt.o, tt.k, tt.pad, tt.bias), func(t *testing.T) {
			rng := newRand(uint64(10 + i))
			in := []*tensor.Dense{
				randDense(rng, 1, tt.n, tt.c, tt.h, tt.w),
				randDense(rng, 0.5, tt.o, tt.c, tt.k, tt.k),
			}
			wrt := []int{0, 1}
			if tt.bias {
				in = append(in, randDense(rng, 1, tt.o))
				wrt = append(wrt, 2)
			}
			tg := newTestGraph(t, rng, in, wrt, func(n []*G.Node) (*G.Node, error) {
				var b *G.Node
				if tt.bias {
					b = n[2]
				}
				return Conv2D(n[0], n[1], b, tt.pad)
			})
			checkGradients(t, rng, tg, gradSamples)
		})
	}
}

func TestConv2DReLUGradient(t *testing.T) {
	tests := []struct {
		n, c, h, w, o, k, pad int
		bias                  bool
	}{
		{2, 3, 6, 5, 4, 3, 1, true},
		{3, 5, 7, 6, 3, 5, 2, false},  // 5x5, pad 2
		{5, 1, 4, 4, 2, 1, 1, true},   // padding wider than K-1: col2im fallback
		{2, 7, 8, 8, 13, 3, 0, true},  // no padding, C and O off the tiles
		{2, 4, 3, 40, 17, 3, 1, true}, // output rows longer than a panel
	}
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%d_n%dc%dh%dw%do%dk%dp%d_bias%t", i, tt.n, tt.c, tt.h, tt.w, tt.o, tt.k, tt.pad, tt.bias), func(t *testing.T) {
			rng := newRand(uint64(90 + i))
			in := []*tensor.Dense{
				awayFromZero(rng, 0.05, tt.n, tt.c, tt.h, tt.w),
				randDense(rng, 0.5, tt.o, tt.c, tt.k, tt.k),
			}
			wrt := []int{0, 1}
			if tt.bias {
				in = append(in, randDense(rng, 1, tt.o))
				wrt = append(wrt, 2)
			}
			build := func(n []*G.Node) (*G.Node, error) {
				var b *G.Node
				if tt.bias {
					b = n[2]
				}
				return Conv2DReLU(n[0], n[1], b, tt.pad)
			}
			tg := newTestGraph(t, rng, in, wrt, build)
			// Skip the check where a pre-activation lies within a
			// finite-difference step of the ReLU kink.
			checkGradientsAwayFromKink(t, rng, tg, gradSamples)
		})
	}
}

func TestConv2DInputPassesNoInputGradient(t *testing.T) {
	rng := newRand(20)
	in := []*tensor.Dense{randDense(rng, 1, 2, 3, 5, 5), randDense(rng, 0.5, 4, 3, 3, 3)}
	tg := newTestGraph(t, rng, in, []int{1}, func(n []*G.Node) (*G.Node, error) {
		return Conv2DInput(n[0], n[1], nil, 1)
	})
	checkGradients(t, rng, tg, gradSamples)
	g := G.NewGraph()
	x := G.NewTensor(g, G.Float32, 4, G.WithShape(2, 3, 5, 5), G.WithValue(in[0]))
	w := G.NewTensor(g, G.Float32, 4, G.WithShape(4, 3, 3, 3), G.WithValue(in[1]))
	y, err := Conv2DInput(x, w, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	s, err := G.Sum(y)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := G.Grad(s, x); err == nil {
		t.Errorf("Grad with respect to the input of Conv2DInput succeeded; want an error")
	}
}

func TestReLUGradient(t *testing.T) {
	for _, shape := range [][]int{{3, 4, 5, 2}, {6, 7}} {
		t.Run(fmt.Sprint(shape), func(t *testing.T) {
			rng := newRand(30)
			tg := newTestGraph(t, rng, []*tensor.Dense{awayFromZero(rng, 0.05, shape...)}, []int{0}, func(n []*G.Node) (*G.Node, error) {
				return ReLU(n[0])
			})
			checkGradients(t, rng, tg, 40)
		})
	}
}

func TestMaxPool2DGradient(t *testing.T) {
	for _, tt := range []struct{ n, c, h, w, size int }{{2, 3, 6, 4, 2}, {5, 2, 6, 9, 3}, {1, 1, 4, 4, 1}} {
		t.Run(fmt.Sprintf("%dx%dx%dx%d_size%d", tt.n, tt.c, tt.h, tt.w, tt.size), func(t *testing.T) {
			rng := newRand(40)
			x := distinctDense(rng, 0.05, tt.n, tt.c, tt.h, tt.w)
			tg := newTestGraph(t, rng, []*tensor.Dense{x}, []int{0}, func(n []*G.Node) (*G.Node, error) {
				return MaxPool2D(n[0], tt.size)
			})
			checkGradients(t, rng, tg, 60)
		})
	}
}

func TestLinearGradient(t *testing.T) {
	tests := []struct {
		name string
		x    []int
		out  int
		bias bool
	}{
		{"2d_bias", []int{5, 7}, 3, true},
		{"2d_nobias", []int{4, 17}, 10, false},
		{"4d_bias", []int{6, 2, 3, 4}, 5, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := newRand(uint64(50 + i))
			d := 1
			for _, s := range tt.x[1:] {
				d *= s
			}
			in := []*tensor.Dense{randDense(rng, 1, tt.x...), randDense(rng, 0.5, tt.out, d)}
			wrt := []int{0, 1}
			if tt.bias {
				in = append(in, randDense(rng, 1, tt.out))
				wrt = append(wrt, 2)
			}
			tg := newTestGraph(t, rng, in, wrt, func(n []*G.Node) (*G.Node, error) {
				var b *G.Node
				if tt.bias {
					b = n[2]
				}
				return Linear(n[0], n[1], b)
			})
			checkGradients(t, rng, tg, gradSamples)
		})
	}
}

func TestConcatGradient(t *testing.T) {
	rng := newRand(60)
	in := []*tensor.Dense{randDense(rng, 1, 3, 2, 4, 5), randDense(rng, 1, 3, 5, 4, 5), randDense(rng, 1, 3, 1, 4, 5)}
	tg := newTestGraph(t, rng, in, []int{0, 1, 2}, func(n []*G.Node) (*G.Node, error) {
		return Concat(n...)
	})
	checkGradients(t, rng, tg, gradSamples)
}

func TestScaleGradient(t *testing.T) {
	for _, s := range []float32{0, 0.7, -2} {
		t.Run(fmt.Sprint(s), func(t *testing.T) {
			rng := newRand(70)
			g := G.NewGraph()
			x := G.NewTensor(g, G.Float32, 4, G.WithShape(2, 3, 4, 4), G.WithValue(randDense(rng, 1, 2, 3, 4, 4)), G.WithName("x"))
			sc := G.NewScalar(g, G.Float32, G.WithValue(s), G.WithName("s"))
			y, err := Scale(x, sc)
			if err != nil {
				t.Fatal(err)
			}
			r := randDense(rng, 1, 2, 3, 4, 4)
			rn := G.NewTensor(g, G.Float32, 4, G.WithShape(2, 3, 4, 4), G.WithValue(r), G.WithName("r"))
			loss := G.Must(G.Sum(G.Must(G.HadamardProd(y, rn))))
			grads, err := G.Grad(loss, x)
			if err != nil {
				t.Fatal(err)
			}
			m := G.NewTapeMachine(g)
			defer m.Close()
			if err := m.RunAll(); err != nil {
				t.Fatal(err)
			}
			// d/dx sum(s*x*r) = s*r exactly (one float32 product).
			want := make([]float32, len(r.Data().([]float32)))
			for i, v := range r.Data().([]float32) {
				want[i] = s * v
			}
			if err := bitsEqual(f32data(grads[0].Value()), want); err != nil {
				t.Errorf("gradient: %v", err)
			}
			xs := f32data(x.Value())
			for i, v := range f32data(y.Value()) {
				if v != s*xs[i] {
					t.Fatalf("y[%d] = %g, want %g", i, v, s*xs[i])
				}
			}
		})
	}
}

func TestSoftmaxCrossEntropyGradient(t *testing.T) {
	rng := newRand(80)
	logits := randDense(rng, 3, 6, 5)
	labels := tensor.New(tensor.WithShape(6), tensor.WithBacking([]float32{0, 4, 2, 2, 1, 3}))
	tg := newTestGraph(t, rng, []*tensor.Dense{logits, labels}, []int{0}, func(n []*G.Node) (*G.Node, error) {
		return SoftmaxCrossEntropy(n[0], n[1])
	})
	checkGradients(t, rng, tg, 30)
}
