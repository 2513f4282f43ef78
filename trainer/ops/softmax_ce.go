package ops

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// SoftmaxCrossEntropy returns the mean cross-entropy of softmax(logits)
// against integer class labels:
//
//	loss = (1/N) sum_n [ log sum_k exp(z[n][k]) - z[n][y_n] ]
//
// logits z is [N, K]; labels is [N] float32 holding class indices in
// [0, K). The log-sum-exp is taken after subtracting the row maximum, in
// float64, so large logits do not overflow. The gradient flows to the
// logits only:
//
//	dz[n][k] = g/N * (softmax(z[n])[k] - [k == y_n])
//
// Do returns an error for a label that is not an integer in [0, K).
func SoftmaxCrossEntropy(logits, labels *G.Node) (*G.Node, error) {
	ls, ys := logits.Shape(), labels.Shape()
	if len(ls) != 2 || len(ys) != 1 || ys[0] != ls[0] {
		return nil, fmt.Errorf("op (softmax_ce): logits %v and labels %v, want [N, K] and [N]", ls, ys)
	}
	return applyOp("softmax_ce", &softmaxCEOp{}, logits, labels)
}

// softmaxCEOp is the forward loss; out is the value it returns.
type softmaxCEOp struct {
	pureOp
	out G.F32
}

func (op *softmaxCEOp) Arity() int { return 2 }
func (op *softmaxCEOp) Type() hm.Type {
	return hm.NewFnType(tensorType(2), tensorType(1), G.Float32)
}

func (op *softmaxCEOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return tensor.ScalarShape(), nil
}

// ceInputs returns the logits, the labels as ints, N and K.
func ceInputs(in []G.Value) (z []float32, labels []int, n, k int, err error) {
	z, zs, err := float32s(in[0])
	if err != nil {
		return nil, nil, 0, 0, fmt.Errorf("logits: %w", err)
	}
	y, ys, err := float32s(in[1])
	if err != nil {
		return nil, nil, 0, 0, fmt.Errorf("labels: %w", err)
	}
	if len(zs) != 2 || len(ys) != 1 || ys[0] != zs[0] {
		return nil, nil, 0, 0, fmt.Errorf("logits %v and labels %v, want [N, K] and [N]", zs, ys)
	}
	n, k = zs[0], zs[1]
	labels = make([]int, n)
	for i, v := range y {
		c := int(v)
		if float32(c) != v || c < 0 || c >= k {
			return nil, nil, 0, 0, fmt.Errorf("label %d is %g, want an integer in [0, %d)", i, v, k)
		}
		labels[i] = c
	}
	return z, labels, n, k, nil
}

// logSumExp returns log sum_k exp(z[k]) computed as m + log sum exp(z-m).
func logSumExp(z []float32) float64 {
	m := z[0]
	for _, v := range z {
		m = max(m, v)
	}
	var s float64
	for _, v := range z {
		s += math.Exp(float64(v - m))
	}
	return float64(m) + math.Log(s)
}

func (op *softmaxCEOp) Do(in ...G.Value) (G.Value, error) {
	z, labels, n, k, err := ceInputs(in)
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	if n == 0 || k == 0 {
		return nil, fmt.Errorf("op (%v): empty logits [%d, %d]", op, n, k)
	}
	var total float64
	for i := 0; i < n; i++ {
		row := z[i*k : (i+1)*k]
		total += logSumExp(row) - float64(row[labels[i]])
	}
	op.out = G.F32(total / float64(n))
	return &op.out, nil
}

func (op *softmaxCEOp) WriteHash(h hash.Hash)     { fmt.Fprint(h, "bs.softmax_ce") }
func (op *softmaxCEOp) Hashcode() uint32          { return hashOf(op) }
func (op *softmaxCEOp) String() string            { return "bs.softmax_ce" }
func (op *softmaxCEOp) DiffWRT(inputs int) []bool { return []bool{true, false} }

func (op *softmaxCEOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	// The backward op recomputes the softmax from the logits, so it keeps
	// no state from the forward op.
	gz, err := G.ApplyOp(&softmaxCEGradOp{}, inputs[0], inputs[1], grad)
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	return G.Nodes{gz, nil}, nil
}

// softmaxCEGradOp computes dz from (logits, labels, g).
type softmaxCEGradOp struct {
	pureOp
	out outBuf
}

func (op *softmaxCEGradOp) Arity() int { return 3 }
func (op *softmaxCEGradOp) Type() hm.Type {
	return hm.NewFnType(tensorType(2), tensorType(1), G.Float32, tensorType(2))
}

func (op *softmaxCEGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("op (%v): want tensor.Shape, got %T", op, in[0])
	}
	return s.Clone(), nil
}

func (op *softmaxCEGradOp) Do(in ...G.Value) (G.Value, error) {
	z, labels, n, k, err := ceInputs(in)
	if err != nil {
		return nil, fmt.Errorf("op (%v): %w", op, err)
	}
	g, err := scalarOf(in[2])
	if err != nil {
		return nil, fmt.Errorf("op (%v) g: %w", op, err)
	}
	t, dz := op.out.get(n, k)
	scale := float64(g) / float64(n)
	for i := 0; i < n; i++ {
		row := z[i*k : (i+1)*k]
		lse := logSumExp(row)
		drow := dz[i*k : (i+1)*k]
		for j, v := range row {
			p := math.Exp(float64(v) - lse)
			if j == labels[i] {
				p--
			}
			drow[j] = float32(scale * p)
		}
	}
	return t, nil
}

func (op *softmaxCEGradOp) WriteHash(h hash.Hash)     { fmt.Fprint(h, "bs.softmax_ce_grad") }
func (op *softmaxCEGradOp) Hashcode() uint32          { return hashOf(op) }
func (op *softmaxCEGradOp) String() string            { return "bs.softmax_ce_grad" }
func (op *softmaxCEGradOp) DiffWRT(inputs int) []bool { return make([]bool, inputs) }
func (op *softmaxCEGradOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	return nil, errSecondDerivative(op)
}
