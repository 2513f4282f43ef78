package ops

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// tolTorch bounds |ours - PyTorch| / (1 + |PyTorch|) for outputs and
// gradients: both are float32, summing in different orders (PyTorch's LRN
// goes through an average pool and pow) on values of order 1 with at most
// a few hundred terms. The worst case seen is 4.6e-7 (the 11x11/4
// convolution); max and average pooling agree exactly.
const tolTorch = 2e-6

// torchCase is one case of testdata/torch_ops.json, written by
// testdata/torch_ops.py (Debian's python3-torch 1.13.1, torch.__version__
// "1.13.0a0", CPU float32).
type torchCase struct {
	Name   string
	Op     string
	Params struct {
		Pad, Stride, Size int
		ReLU              bool `json:"relu"`
		K, Alpha, Beta    float64
	}
	Inputs []struct {
		Shape []int
		Seed  int
		Exp   int
	}
	YShape []int `json:"y_shape"`
	Y      []string
	Grads  [][]string
}

// torchGen is gen of torch_ops.py: element i is
// ((i*40503 + seed*9973 + 17) mod 65521 - 32760) / 32768 * 2^exp, exact in
// float32.
func torchGen(shape []int, seed, exp int) *tensor.Dense {
	n := 1
	for _, s := range shape {
		n *= s
	}
	data := make([]float32, n)
	for i := range data {
		k := (i*40503+seed*9973+17)%65521 - 32760
		data[i] = float32(math.Ldexp(float64(k)/32768, exp))
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
}

func parseFloats(t *testing.T, s []string) []float32 {
	t.Helper()
	out := make([]float32, len(s))
	for i, v := range s {
		f, err := strconv.ParseFloat(v, 32)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = float32(f)
	}
	return out
}

// build returns the op of a case applied to its input nodes.
func (c *torchCase) build(n []*G.Node) (*G.Node, error) {
	p := c.Params
	switch c.Op {
	case "conv":
		return Conv(n[0], n[1], n[2], ConvParams{Pad: p.Pad, Stride: p.Stride, ReLU: p.ReLU})
	case "lrn":
		return LRN(n[0], LRNParams{Size: p.Size, K: p.K, Alpha: p.Alpha, Beta: p.Beta})
	case "maxpool":
		return MaxPool(n[0], p.Size, p.Stride)
	case "gap":
		return GlobalAvgPool(n[0])
	}
	return nil, fmt.Errorf("unknown op %q", c.Op)
}

func loadTorchCases(t *testing.T) []torchCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "torch_ops.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Torch string
		Cases []torchCase
	}
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Cases) == 0 {
		t.Fatal("no cases in testdata/torch_ops.json")
	}
	return file.Cases
}

// torchGraph builds a case's graph with the loss weights r of
// torch_ops.py (seed 99).
func torchGraph(t *testing.T, c *torchCase) *testGraph {
	t.Helper()
	var in []*tensor.Dense
	var wrt []int
	for i, s := range c.Inputs {
		in = append(in, torchGen(s.Shape, s.Seed, s.Exp))
		wrt = append(wrt, i)
	}
	tg := newTestGraph(t, newRand(1), in, wrt, c.build)
	copy(tg.r, torchGen(c.YShape, 99, 0).Data().([]float32))
	return tg
}

// TestOpsMatchPyTorch checks the new ops' outputs and gradients against
// PyTorch: strided convolutions with and without ReLU, LRN (alpha as the
// paper writes it, PyTorch given n*alpha), overlapping and strided max
// pooling, global average pooling.
func TestOpsMatchPyTorch(t *testing.T) {
	for _, c := range loadTorchCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			tg := torchGraph(t, &c)
			grads := tg.analytic(t)
			if got := tg.y.Shape(); !got.Eq(tensor.Shape(c.YShape)) {
				t.Fatalf("output shape %v, PyTorch %v", got, c.YShape)
			}
			if err := closeTo(f32data(tg.y.Value()), parseFloats(t, c.Y), tolTorch); err != nil {
				t.Errorf("output: %v", err)
			}
			for i, g := range grads {
				if err := closeTo(g, parseFloats(t, c.Grads[i]), tolTorch); err != nil {
					t.Errorf("gradient of input %d: %v", i, err)
				}
			}
		})
	}
}

// TestNewOpsDeterministic runs each PyTorch case on a batch of 9 images
// (three chunks) under GOMAXPROCS 1, 2 and 3: outputs and gradients must
// agree bit for bit.
func TestNewOpsDeterministic(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, c := range loadTorchCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			c.Inputs[0].Shape[0] = 9
			c.YShape[0] = 9
			tg := torchGraph(t, &c)
			var ref [][]float32
			for _, procs := range []int{1, 2, 3, 1} {
				runtime.GOMAXPROCS(procs)
				got := append(tg.analytic(t), cloneF32(f32data(tg.y.Value())))
				if ref == nil {
					ref = got
					continue
				}
				for i := range got {
					if err := bitsEqual(got[i], ref[i]); err != nil {
						t.Fatalf("GOMAXPROCS %d, value %d: %v", procs, i, err)
					}
				}
			}
		})
	}
}
