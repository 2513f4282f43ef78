package ops

import (
	"fmt"
	"math"
	"runtime"
	"testing"
	"time"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"branchspec/trainer/ops/gemm"
)

// kernelNet is a training graph (loss and parameter gradients) built from
// this package's ops with one GEMM kernel, the way the trainer builds its
// nets (conv+ReLU fused, the first conv reading data).
type kernelNet struct {
	g      *G.ExprGraph
	params G.Nodes
	loss   *G.Node
	grads  G.Nodes
	m      G.VM
}

// netLayers adds a net's layers on x, creating its parameters with param,
// and returns the logits.
type netLayers func(x *G.Node, k netKernel, param func(name string, scale float64, shape ...int) *G.Node) (*G.Node, error)

// netKernel is how a kernelNet computes: its GEMM kernel, and whether its
// 3x3 convolutions run Winograd where they fit (ConvParams.Winograd).
type netKernel struct {
	gemm     gemm.Kernel
	winograd bool
}

// conv returns p with k's kernel and algorithm.
func (k netKernel) conv(p ConvParams) ConvParams {
	p.Kernel, p.Winograd = k.gemm, k.winograd
	return p
}

// newKernelNet builds a net for a batch of n 3x32x32 images with kernel k:
// He-normal weights (scale sqrt(2/fan in)), biases of 0.01 scale, standard
// normal images and labels i mod 10, all drawn from a stream seeded by
// seed, so that nets of the same seed start equal whatever the kernel.
func newKernelNet(k netKernel, n int, seed uint64, layers netLayers) (*kernelNet, error) {
	rng := newRand(seed)
	net := &kernelNet{g: G.NewGraph()}
	xv := randDense(rng, 1, n, 3, 32, 32)
	labels := make([]float32, n)
	for i := range labels {
		labels[i] = float32(i % 10)
	}
	x := G.NewTensor(net.g, G.Float32, 4, G.WithShape(n, 3, 32, 32), G.WithValue(xv), G.WithName("x"))
	y := G.NewTensor(net.g, G.Float32, 1, G.WithShape(n), G.WithValue(tensor.New(tensor.WithShape(n), tensor.WithBacking(labels))), G.WithName("y"))
	param := func(name string, scale float64, shape ...int) *G.Node {
		if len(shape) > 1 {
			fanIn := 1
			for _, s := range shape[1:] {
				fanIn *= s
			}
			scale = math.Sqrt(2 / float64(fanIn))
		}
		p := G.NewTensor(net.g, G.Float32, len(shape), G.WithShape(shape...), G.WithValue(randDense(rng, scale, shape...)), G.WithName(name))
		net.params = append(net.params, p)
		return p
	}
	logits, err := layers(x, k, param)
	if err != nil {
		return nil, err
	}
	if net.loss, err = SoftmaxCrossEntropy(logits, y); err != nil {
		return nil, err
	}
	if net.grads, err = G.Grad(net.loss, net.params...); err != nil {
		return nil, err
	}
	net.m = G.NewTapeMachine(net.g)
	return net, nil
}

// step runs one forward and backward pass.
func (net *kernelNet) step() error {
	net.m.Reset()
	return net.m.RunAll()
}

// snapshot copies the loss and every parameter gradient.
func (net *kernelNet) snapshot(t testing.TB) [][]float32 {
	t.Helper()
	l, err := scalarOf(net.loss.Value())
	if err != nil {
		t.Fatal(err)
	}
	out := [][]float32{{l}}
	for _, g := range net.grads {
		out = append(out, cloneF32(f32data(g.Value())))
	}
	return out
}

// refNetLayers is the reference net of cmd/refbench as the trainer builds
// it: conv 3->32 3x3 pad 1 + ReLU, max pool 2; two branches of two 32->32
// convs, each branch's last pooled 2; concat; linear 4096->10; no biases.
func refNetLayers(x *G.Node, k netKernel, param func(string, float64, ...int) *G.Node) (*G.Node, error) {
	h, err := Conv(x, param("stem.0.w", 0, 32, 3, 3, 3), nil, k.conv(ConvParams{Pad: 1, ReLU: true, InputIsData: true}))
	if err != nil {
		return nil, err
	}
	if h, err = MaxPool2DWith(h, 2, k.gemm); err != nil {
		return nil, err
	}
	var branches []*G.Node
	for br := 0; br < 2; br++ {
		z := h
		for l := 0; l < 2; l++ {
			if z, err = Conv(z, param(fmt.Sprintf("branch.%d.%d.w", br, l), 0, 32, 32, 3, 3), nil, k.conv(ConvParams{Pad: 1, ReLU: true})); err != nil {
				return nil, err
			}
		}
		if z, err = MaxPool2DWith(z, 2, k.gemm); err != nil {
			return nil, err
		}
		branches = append(branches, z)
	}
	if h, err = Concat(branches...); err != nil {
		return nil, err
	}
	return LinearWith(h, param("out.w", 0, 10, 4096), nil, LinearParams{Kernel: k.gemm})
}

// alexNetLayers is the cifar10-alexnet net: two towers from the pixels,
// each conv 7x7/2 pad 3 3->16, ReLU, LRN, max pool 3/2, conv 5x5 pad 2
// 16->32, ReLU, LRN, max pool 3/2; concat; conv 3x3 pad 1 64->64, ReLU;
// global average pool; linear 64->10; with biases.
func alexNetLayers(x *G.Node, k netKernel, param func(string, float64, ...int) *G.Node) (*G.Node, error) {
	var towers []*G.Node
	for t := 0; t < 2; t++ {
		h, err := Conv(x, param(fmt.Sprintf("tower.%d.0.w", t), 0, 16, 3, 7, 7), param(fmt.Sprintf("tower.%d.0.b", t), 0.01, 16),
			k.conv(ConvParams{Pad: 3, Stride: 2, ReLU: true, InputIsData: true}))
		if err != nil {
			return nil, err
		}
		if h, err = LRNWith(h, AlexNetLRN(), k.gemm); err != nil {
			return nil, err
		}
		if h, err = MaxPoolWith(h, 3, 2, k.gemm); err != nil {
			return nil, err
		}
		if h, err = Conv(h, param(fmt.Sprintf("tower.%d.1.w", t), 0, 32, 16, 5, 5), param(fmt.Sprintf("tower.%d.1.b", t), 0.01, 32),
			k.conv(ConvParams{Pad: 2, ReLU: true})); err != nil {
			return nil, err
		}
		if h, err = LRNWith(h, AlexNetLRN(), k.gemm); err != nil {
			return nil, err
		}
		if h, err = MaxPoolWith(h, 3, 2, k.gemm); err != nil {
			return nil, err
		}
		towers = append(towers, h)
	}
	h, err := Concat(towers...)
	if err != nil {
		return nil, err
	}
	if h, err = Conv(h, param("trunk.0.w", 0, 64, 64, 3, 3), param("trunk.0.b", 0.01, 64), k.conv(ConvParams{Pad: 1, ReLU: true})); err != nil {
		return nil, err
	}
	if h, err = GlobalAvgPool(h); err != nil {
		return nil, err
	}
	return LinearWith(h, param("out.w", 0, 10, 64), param("out.b", 0.01, 10), LinearParams{Kernel: k.gemm})
}

// speedStep returns a speed step of a net built by layers at batch n.
func speedStep(layers netLayers, n int) func(k netKernel) (func() error, func(), error) {
	return func(k netKernel) (func() error, func(), error) {
		net, err := newKernelNet(k, n, 1000, layers)
		if err != nil {
			return nil, nil, err
		}
		return net.step, func() { net.m.Close() }, nil
	}
}

var (
	refNetSpeedStep  = speedStep(refNetLayers, 64)
	alexNetSpeedStep = speedStep(alexNetLayers, 128)
)

// TestKernelsGiveSameBits trains a step of the reference net and of the
// cifar10-alexnet net under every kernel this CPU runs: kernels of the
// same bits (AVX512 and AVX2, see gemm.Kernel) must agree in every bit of
// the loss and every gradient, and any two kernels within tolStock.
func TestKernelsGiveSameBits(t *testing.T) {
	n := 8
	if !testing.Short() {
		n = 20
	}
	for _, net := range []struct {
		name   string
		layers netLayers
	}{{"refnet", refNetLayers}, {"alexnet", alexNetLayers}} {
		t.Run(net.name, func(t *testing.T) {
			var ref [][]float32
			var refK gemm.Kernel
			for _, k := range gemm.Kernels() {
				kn, err := newKernelNet(netKernel{gemm: k}, n, 1100, net.layers)
				if err != nil {
					t.Fatal(err)
				}
				defer kn.m.Close()
				if err := kn.step(); err != nil {
					t.Fatal(err)
				}
				got := kn.snapshot(t)
				if ref == nil {
					ref, refK = got, k
					continue
				}
				same := refK.SameBits(k)
				for i := range got {
					if same {
						if err := bitsEqual(got[i], ref[i]); err != nil {
							t.Errorf("%s vs %s, value %d: %v", k, refK, i, err)
						}
					} else if err := closeTo(got[i], ref[i], tolStock); err != nil {
						t.Errorf("%s vs %s, value %d: %v", k, refK, i, err)
					}
				}
			}
		})
	}
}

// TestAlexNetDeterministic runs the cifar10-alexnet net's step under
// GOMAXPROCS 1, 2 and 3, then on Workers of 2, 3 and 1 goroutines
// (spinning between ops, and sleeping): the loss and gradients must not
// change in any bit.
func TestAlexNetDeterministic(t *testing.T) {
	n := 12
	if !testing.Short() {
		n = 40
	}
	net, err := newKernelNet(netKernel{}, n, 1200, alexNetLayers)
	if err != nil {
		t.Fatal(err)
	}
	defer net.m.Close()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var ref [][]float32
	check := func(what string) {
		t.Helper()
		if err := net.step(); err != nil {
			t.Fatal(err)
		}
		got := net.snapshot(t)
		if ref == nil {
			ref = got
			return
		}
		for i := range got {
			if err := bitsEqual(got[i], ref[i]); err != nil {
				t.Fatalf("%s, value %d: %v", what, i, err)
			}
		}
	}
	for _, procs := range []int{1, 2, 3, 1} {
		runtime.GOMAXPROCS(procs)
		check(fmt.Sprintf("GOMAXPROCS=%d", procs))
	}
	runtime.GOMAXPROCS(3)
	for _, w := range []struct {
		n    int
		spin time.Duration
	}{{2, time.Millisecond}, {3, time.Millisecond}, {3, 0}, {1, 0}} {
		workers := NewWorkers(w.n, w.spin)
		UseWorkers(net.g, workers)
		check(fmt.Sprintf("%d workers spinning %v", w.n, w.spin))
		workers.Close()
	}
	UseWorkers(net.g, nil)
}
