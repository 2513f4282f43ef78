package ops

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// tolCE is the float32 tolerance on the loss and its gradient.
const tolCE = 1e-6

func TestSoftmaxCrossEntropyHandComputed(t *testing.T) {
	// logits [[1, 2, 3], [0, 0, 0]], labels [2, 1].
	// Row 0: lse = 3 + log(1 + e^-1 + e^-2) = 3.4076059644; loss 0.4076059644.
	// Row 1: lse = log 3 = 1.0986122887; loss 1.0986122887.
	// Mean 0.7531091266. Gradient (softmax - onehot)/2:
	// row 0: [e^-2, e^-1, 1]/(1+e^-1+e^-2) - [0, 0, 1], halved;
	// row 1: [1/3, 1/3 - 1, 1/3], halved.
	// Values computed in float64 with Python's math module.
	const wantLoss = 0.7531091265562452
	wantGrad := []float32{0.04501528658519022, 0.12236423552739879, -0.16737952211258916,
		0.16666666666666666, -0.33333333333333337, 0.16666666666666666}

	g := G.NewGraph()
	z := G.NewTensor(g, G.Float32, 2, G.WithShape(2, 3), G.WithName("z"),
		G.WithValue(tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float32{1, 2, 3, 0, 0, 0}))))
	y := G.NewTensor(g, G.Float32, 1, G.WithShape(2), G.WithName("y"),
		G.WithValue(tensor.New(tensor.WithShape(2), tensor.WithBacking([]float32{2, 1}))))
	loss, err := SoftmaxCrossEntropy(z, y)
	if err != nil {
		t.Fatal(err)
	}
	grads, err := G.Grad(loss, z)
	if err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	got, err := scalarOf(loss.Value())
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(float64(got)-wantLoss) > tolCE {
		t.Errorf("loss = %.9g, want %.9g", got, wantLoss)
	}
	if err := closeTo(f32data(grads[0].Value()), wantGrad, tolCE); err != nil {
		t.Errorf("gradient: %v", err)
	}
}

func TestSoftmaxCrossEntropyLargeLogits(t *testing.T) {
	// logits [1000, 0, -1000], label 1: loss = 1000 + log(1 + e^-1000 +
	// e^-2000) - 0 = 1000 in float64; a naive exp would overflow.
	g := G.NewGraph()
	z := G.NewTensor(g, G.Float32, 2, G.WithShape(1, 3), G.WithName("z"),
		G.WithValue(tensor.New(tensor.WithShape(1, 3), tensor.WithBacking([]float32{1000, 0, -1000}))))
	y := G.NewTensor(g, G.Float32, 1, G.WithShape(1), G.WithName("y"),
		G.WithValue(tensor.New(tensor.WithShape(1), tensor.WithBacking([]float32{1}))))
	loss, err := SoftmaxCrossEntropy(z, y)
	if err != nil {
		t.Fatal(err)
	}
	grads, err := G.Grad(loss, z)
	if err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	got, _ := scalarOf(loss.Value())
	if got != 1000 {
		t.Errorf("loss = %g, want 1000", got)
	}
	if err := closeTo(f32data(grads[0].Value()), []float32{1, -1, 0}, tolCE); err != nil {
		t.Errorf("gradient: %v", err)
	}
}

func TestSoftmaxCrossEntropyRejectsBadLabels(t *testing.T) {
	for _, label := range []float32{3, -1, 0.5} {
		g := G.NewGraph()
		z := G.NewTensor(g, G.Float32, 2, G.WithShape(1, 3), G.WithName("z"),
			G.WithValue(tensor.New(tensor.WithShape(1, 3), tensor.WithBacking([]float32{1, 2, 3}))))
		y := G.NewTensor(g, G.Float32, 1, G.WithShape(1), G.WithName("y"),
			G.WithValue(tensor.New(tensor.WithShape(1), tensor.WithBacking([]float32{label}))))
		if _, err := SoftmaxCrossEntropy(z, y); err != nil {
			t.Fatal(err)
		}
		m := G.NewTapeMachine(g)
		if err := m.RunAll(); err == nil {
			t.Errorf("label %g: no error", label)
		}
		m.Close()
	}
}
