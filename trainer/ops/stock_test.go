package ops

import (
	"fmt"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// compareWithStock runs ours and stock on the same inputs with the same
// loss weights and checks outputs and all input gradients to tolStock.
func compareWithStock(t *testing.T, in []*tensor.Dense, wrt []int, ours, stock buildFunc) {
	t.Helper()
	a := newTestGraph(t, newRand(99), in, wrt, ours)
	b := newTestGraph(t, newRand(99), in, wrt, stock)
	ga, gb := a.analytic(t), b.analytic(t)
	if !a.y.Shape().Eq(b.y.Shape()) {
		t.Fatalf("output shape %v, stock %v", a.y.Shape(), b.y.Shape())
	}
	if err := closeTo(f32data(a.y.Value()), f32data(b.y.Value()), tolStock); err != nil {
		t.Errorf("forward: %v", err)
	}
	for i := range ga {
		if err := closeTo(ga[i], gb[i], tolStock); err != nil {
			t.Errorf("gradient of input %d: %v", wrt[i], err)
		}
	}
}

func TestConv2DMatchesStock(t *testing.T) {
	tests := []struct{ n, c, h, w, o, k, pad int }{
		{2, 3, 8, 8, 4, 3, 1},
		{3, 5, 7, 9, 6, 5, 2},
		{2, 4, 6, 6, 7, 3, 0},
		{4, 32, 16, 16, 32, 3, 1}, // a branch layer of the reference net
	}
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%d_n%dc%dh%dw%do%dk%dp%d", i, tt.n, tt.c, tt.h, tt.w, tt.o, tt.k, tt.pad), func(t *testing.T) {
			rng := newRand(uint64(100 + i))
			in := []*tensor.Dense{randDense(rng, 1, tt.n, tt.c, tt.h, tt.w), randDense(rng, 0.3, tt.o, tt.c, tt.k, tt.k)}
			compareWithStock(t, in, []int{0, 1},
				func(n []*G.Node) (*G.Node, error) { return Conv2D(n[0], n[1], nil, tt.pad) },
				func(n []*G.Node) (*G.Node, error) {
					return G.Conv2d(n[0], n[1], tensor.Shape{tt.k, tt.k}, []int{tt.pad, tt.pad}, []int{1, 1}, []int{1, 1})
				})
		})
	}
}

func TestMaxPool2DMatchesStock(t *testing.T) {
	for i, tt := range []struct{ n, c, h, w, size int }{{2, 3, 8, 8, 2}, {3, 2, 9, 6, 3}, {4, 32, 16, 16, 2}} {
		t.Run(fmt.Sprintf("%dx%dx%dx%d_size%d", tt.n, tt.c, tt.h, tt.w, tt.size), func(t *testing.T) {
			rng := newRand(uint64(110 + i))
			in := []*tensor.Dense{distinctDense(rng, 0.01, tt.n, tt.c, tt.h, tt.w)}
			compareWithStock(t, in, []int{0},
				func(n []*G.Node) (*G.Node, error) { return MaxPool2D(n[0], tt.size) },
				func(n []*G.Node) (*G.Node, error) {
					return G.MaxPool2D(n[0], tensor.Shape{tt.size, tt.size}, []int{0, 0}, []int{tt.size, tt.size})
				})
		})
	}
}

func TestConcatMatchesStock(t *testing.T) {
	rng := newRand(120)
	in := []*tensor.Dense{randDense(rng, 1, 3, 4, 5, 6), randDense(rng, 1, 3, 2, 5, 6)}
	compareWithStock(t, in, []int{0, 1},
		func(n []*G.Node) (*G.Node, error) { return Concat(n...) },
		func(n []*G.Node) (*G.Node, error) { return G.Concat(1, n...) })
}

func TestReLUMatchesStock(t *testing.T) {
	rng := newRand(130)
	in := []*tensor.Dense{awayFromZero(rng, 1e-3, 4, 3, 5, 5)}
	compareWithStock(t, in, []int{0},
		func(n []*G.Node) (*G.Node, error) { return ReLU(n[0]) },
		func(n []*G.Node) (*G.Node, error) { return G.Rectify(n[0]) })
}

func TestLinearMatchesStock(t *testing.T) {
	rng := newRand(140)
	in := []*tensor.Dense{randDense(rng, 1, 8, 30), randDense(rng, 0.3, 10, 30)}
	compareWithStock(t, in, []int{0, 1},
		func(n []*G.Node) (*G.Node, error) { return Linear(n[0], n[1], nil) },
		func(n []*G.Node) (*G.Node, error) {
			wt, err := G.Transpose(n[1])
			if err != nil {
				return nil, err
			}
			return G.Mul(n[0], wt)
		})
}

func TestConv2DReLUMatchesStock(t *testing.T) {
	tests := []struct{ n, c, h, w, o, k, pad int }{
		{2, 3, 8, 8, 4, 3, 1},
		{3, 5, 7, 9, 6, 5, 2},
		{4, 32, 16, 16, 32, 3, 1}, // a branch layer of the reference net
	}
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%d_n%dc%dh%dw%do%dk%dp%d", i, tt.n, tt.c, tt.h, tt.w, tt.o, tt.k, tt.pad), func(t *testing.T) {
			rng := newRand(uint64(150 + i))
			in := []*tensor.Dense{randDense(rng, 1, tt.n, tt.c, tt.h, tt.w), randDense(rng, 0.3, tt.o, tt.c, tt.k, tt.k), randDense(rng, 0.3, tt.o)}
			compareWithStock(t, in, []int{0, 1, 2},
				func(n []*G.Node) (*G.Node, error) { return Conv2DReLU(n[0], n[1], n[2], tt.pad) },
				func(n []*G.Node) (*G.Node, error) {
					y, err := G.Conv2d(n[0], n[1], tensor.Shape{tt.k, tt.k}, []int{tt.pad, tt.pad}, []int{1, 1}, []int{1, 1})
					if err != nil {
						return nil, err
					}
					b4, err := G.Reshape(n[2], tensor.Shape{1, tt.o, 1, 1})
					if err != nil {
						return nil, err
					}
					if y, err = G.BroadcastAdd(y, b4, nil, []byte{0, 2, 3}); err != nil {
						return nil, err
					}
					return G.Rectify(y)
				})
		})
	}
}

// TestConv2DReLUMatchesUnfused checks that the fused op computes exactly
// (bit for bit) what Conv2D followed by ReLU computes: the same sums in the
// same order, with the mask applied to the same values.
func TestConv2DReLUMatchesUnfused(t *testing.T) {
	for i, tt := range []struct{ n, c, h, w, o, k, pad int }{
		{3, 5, 7, 9, 6, 5, 2}, {9, 32, 16, 16, 32, 3, 1}, {2, 3, 6, 6, 4, 1, 1},
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			rng := newRand(uint64(160 + i))
			in := []*tensor.Dense{randDense(rng, 1, tt.n, tt.c, tt.h, tt.w), randDense(rng, 0.3, tt.o, tt.c, tt.k, tt.k), randDense(rng, 0.3, tt.o)}
			a := newTestGraph(t, newRand(99), in, []int{0, 1, 2}, func(n []*G.Node) (*G.Node, error) {
				return Conv2DReLU(n[0], n[1], n[2], tt.pad)
			})
			b := newTestGraph(t, newRand(99), in, []int{0, 1, 2}, func(n []*G.Node) (*G.Node, error) {
				y, err := Conv2D(n[0], n[1], n[2], tt.pad)
				if err != nil {
					return nil, err
				}
				return ReLU(y)
			})
			ga, gb := a.analytic(t), b.analytic(t)
			if err := bitsEqual(f32data(a.y.Value()), f32data(b.y.Value())); err != nil {
				t.Errorf("forward: %v", err)
			}
			for i := range ga {
				if err := bitsEqual(ga[i], gb[i]); err != nil {
					t.Errorf("gradient of input %d: %v", i, err)
				}
			}
		})
	}
}
