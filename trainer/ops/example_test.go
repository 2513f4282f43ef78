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

// One tower of an AlexNet-style net on a 32x32 RGB batch: a 7x7/2
// convolution with ReLU reading the pixels, LRN with the paper's
// constants, overlapping 3/2 max pooling, then global average pooling.
func ExampleConv() {
	g := G.NewGraph()
	x := G.NewTensor(g, G.Float32, 4, G.WithShape(8, 3, 32, 32), G.WithName("x"), G.WithInit(G.Zeroes()))
	w := G.NewTensor(g, G.Float32, 4, G.WithShape(48, 3, 7, 7), G.WithName("w"), G.WithInit(G.Zeroes()))
	b := G.NewTensor(g, G.Float32, 1, G.WithShape(48), G.WithName("b"), G.WithInit(G.Ones()))
	c, err := ops.Conv(x, w, b, ops.ConvParams{Pad: 3, Stride: 2, ReLU: true, InputIsData: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	n, err := ops.LRN(c, ops.AlexNetLRN())
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := ops.MaxPool(n, 3, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	f, err := ops.GlobalAvgPool(p)
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
	// conv: floor((32 + 6 - 7)/2) + 1 = 16; pool: floor((16 - 3)/2) + 1 = 7.
	// Every conv output is ReLU(0 + 1) = 1, so LRN gives
	// 1 / (2 + 1e-4 * 3)^0.75 at the edge channels, 1/(2 + 1e-4 * 5)^0.75
	// inside; pooling and averaging keep it.
	fmt.Println(c.Shape(), p.Shape(), f.Shape())
	fmt.Printf("%.6f %.6f\n", f.Value().Data().([]float32)[0], f.Value().Data().([]float32)[5])
	// Output:
	// (8, 48, 16, 16) (8, 48, 7, 7) (8, 48)
	// 0.594537 0.594492
}
