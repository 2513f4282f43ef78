package optim

import (
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// logisticRegression builds the mean binary cross-entropy of sigmoid(x·w) on n
// separable points in 2-D (a third, constant feature is the bias), with w
// named "out.w", and returns the loss and the weight node.
func logisticRegression(t *testing.T, g *G.ExprGraph, n int) (loss, w *G.Node) {
	t.Helper()
	rng := rand.New(rand.NewPCG(5, 6))
	xs, ys := make([]float32, 0, 3*n), make([]float32, n)
	for i := range n {
		a, b := float32(2*rng.Float64()-1), float32(2*rng.Float64()-1)
		xs = append(xs, a, b, 1)
		if 2*a-b+0.3 > 0 {
			ys[i] = 1
		}
	}
	x := G.NewMatrix(g, G.Float32, G.WithShape(n, 3), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(n, 3), tensor.WithBacking(xs))))
	y := G.NewVector(g, G.Float32, G.WithShape(n), G.WithName("y"),
		G.WithValue(tensor.New(tensor.WithShape(n), tensor.WithBacking(ys))))
	w = G.NewVector(g, G.Float32, G.WithShape(3), G.WithName("out.w"), G.WithInit(G.Zeroes()))
	// Binary cross-entropy with logits z: softplus(z) − y·z.
	z := G.Must(G.Mul(x, w))
	loss = G.Must(G.Mean(G.Must(G.Sub(G.Must(G.Softplus(z)), G.Must(G.HadamardProd(y, z))))))
	if _, err := G.Grad(loss, w); err != nil {
		t.Fatal(err)
	}
	return loss, w
}

// TestTrainsGorgoniaGraph minimises a logistic regression with a TapeMachine
// and each solver; the loss must fall well below its start, log 2.
func TestTrainsGorgoniaGraph(t *testing.T) {
	for _, tc := range optionCases {
		t.Run(tc.name, func(t *testing.T) {
			g := G.NewGraph()
			loss, w := logisticRegression(t, g, 64)
			vm := G.NewTapeMachine(g, G.BindDualValues(w))
			defer vm.Close()
			s := mustNew(t, tc.opts)
			s.SetLR(map[string]float64{SGD: 1, Adam: 0.1}[tc.opts.Algorithm])
			backing := w.Value().(*tensor.Dense).Float32s()
			var first, last float32
			for k := range 200 {
				if err := vm.RunAll(); err != nil {
					t.Fatal(err)
				}
				last = loss.Value().Data().(float32)
				if k == 0 {
					first = last
				}
				if err := s.Step(G.NodesToValueGrads(G.Nodes{w})); err != nil {
					t.Fatal(err)
				}
				vm.Reset()
			}
			if &w.Value().(*tensor.Dense).Float32s()[0] != &backing[0] {
				t.Error("the solver replaced the weight tensor instead of updating it in place")
			}
			t.Logf("loss %v -> %v", first, last)
			if !(first > 0.69 && first < 0.70 && last < 0.3) {
				t.Errorf("loss went from %v to %v, want from log 2 to below 0.3", first, last)
			}
		})
	}
}
