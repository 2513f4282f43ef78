package ops_test

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"branchspec/trainer/ops"
)

func ExampleConv2D() {
	// A 2x2 kernel of ones over a 3x3 image sums each 2x2 window; ReLU
	// then clears the negative sums.
	g := G.NewGraph()
	x := G.NewTensor(g, G.Float32, 4, G.WithShape(1, 1, 3, 3), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(1, 1, 3, 3), tensor.WithBacking([]float32{
			1, 2, 3,
			-4, -5, 6,
			7, -8, 9,
		}))))
	w := G.NewTensor(g, G.Float32, 4, G.WithShape(1, 1, 2, 2), G.WithName("w"),
		G.WithValue(tensor.New(tensor.WithShape(1, 1, 2, 2), tensor.WithBacking([]float32{1, 1, 1, 1}))))
	y, err := ops.Conv2D(x, w, nil, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := ops.ReLU(y)
	if err != nil {
		fmt.Println(err)
		return
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(y.Shape(), y.Value().Data(), r.Value().Data())
	// Output: (1, 1, 2, 2) [-6 6 -10 2] [0 6 0 2]
}

func ExampleConv2DReLU() {
	// The fused op computes what Conv2D followed by ReLU computes.
	g := G.NewGraph()
	x := G.NewTensor(g, G.Float32, 4, G.WithShape(1, 1, 3, 3), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(1, 1, 3, 3), tensor.WithBacking([]float32{
			1, 2, 3,
			-4, -5, 6,
			7, -8, 9,
		}))))
	w := G.NewTensor(g, G.Float32, 4, G.WithShape(1, 1, 2, 2), G.WithName("w"),
		G.WithValue(tensor.New(tensor.WithShape(1, 1, 2, 2), tensor.WithBacking([]float32{1, 1, 1, 1}))))
	b := G.NewTensor(g, G.Float32, 1, G.WithShape(1), G.WithName("b"),
		G.WithValue(tensor.New(tensor.WithShape(1), tensor.WithBacking([]float32{1}))))
	y, err := ops.Conv2DReLU(x, w, b, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(y.Value().Data())
	// Output: [0 7 0 3]
}
