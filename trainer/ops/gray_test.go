package ops

import (
	"fmt"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// rec601 returns the Rec. 601 luma weights as float32 (ITU-R BT.601).
func rec601() [3]float32 { return [3]float32{0.299, 0.587, 0.114} }

// TestGrayHandComputed checks Gray on a 1x3x1x2 image against values
// worked by hand: pixel 0 is (1, 0, 0) -> 0.299, pixel 1 is (0.5, 1, -2)
// -> 0.1495 + 0.587 - 0.228 = 0.5085, each replicated over the three
// channels.
func TestGrayHandComputed(t *testing.T) {
	g := G.NewGraph()
	xt := tensor.New(tensor.WithShape(1, 3, 1, 2), tensor.WithBacking([]float32{1, 0.5, 0, 1, 0, -2}))
	x := G.NewTensor(g, G.Float32, 4, G.WithShape(1, 3, 1, 2), G.WithName("x"), G.WithValue(xt))
	y, err := Gray(x, rec601())
	if err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	want := []float32{0.299, 0.5085, 0.299, 0.5085, 0.299, 0.5085}
	// Tolerance: float32 rounding of three products and two sums.
	if err := closeTo(f32data(y.Value()), want, 1e-6); err != nil {
		t.Error(err)
	}
}

// TestGrayIdempotent: with weights summing to 1, Gray(Gray(x)) = Gray(x)
// up to float32 rounding (l . (v, v, v) = v).
func TestGrayIdempotent(t *testing.T) {
	rng := newRand(1101)
	g := G.NewGraph()
	xt := randDense(rng, 1, 5, 3, 4, 3)
	x := G.NewTensor(g, G.Float32, 4, G.WithShape(5, 3, 4, 3), G.WithName("x"), G.WithValue(xt))
	y, err := Gray(x, rec601())
	if err != nil {
		t.Fatal(err)
	}
	yy, err := Gray(y, rec601())
	if err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	if err := closeTo(f32data(yy.Value()), f32data(y.Value()), 1e-6); err != nil {
		t.Error(err)
	}
}

func TestGrayGradient(t *testing.T) {
	for i, shape := range [][]int{{2, 3, 4, 5}, {5, 3, 1, 1}, {9, 3, 3, 2}} {
		t.Run(fmt.Sprint(shape), func(t *testing.T) {
			rng := newRand(uint64(1110 + i))
			tg := newTestGraph(t, rng, []*tensor.Dense{randDense(rng, 1, shape...)}, []int{0}, func(n []*G.Node) (*G.Node, error) {
				return Gray(n[0], [3]float32{0.299, -0.587, 1.5})
			})
			checkGradients(t, rng, tg, 40)
		})
	}
}

func TestGrayRejectsShapes(t *testing.T) {
	g := G.NewGraph()
	for _, s := range [][]int{{2, 1, 4, 4}, {2, 4, 4, 4}} {
		x := G.NewTensor(g, G.Float32, 4, G.WithShape(s...), G.WithName(fmt.Sprint("x", s)))
		if _, err := Gray(x, rec601()); err == nil {
			t.Errorf("Gray on %v: no error", s)
		}
	}
}
