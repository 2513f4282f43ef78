package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// refNet is the reference branched net: input 3x32x32; conv 3->32 3x3 pad
// 1, ReLU, maxpool 2; two branches of two 32->32 3x3 pad 1 convs with ReLU;
// channel concat; maxpool 2; linear 4096->10; softmax cross-entropy.
type refNet struct {
	g      *G.ExprGraph
	x, y   *G.Node // images [N, 3, 32, 32], labels [N]
	params []*G.Node
	loss   *G.Node
	grads  G.Nodes
	m      G.VM
}

var refParamShapes = []struct {
	name  string
	shape []int
}{
	{"stem.0.w", []int{32, 3, 3, 3}}, {"stem.0.b", []int{32}},
	{"branch.0.0.w", []int{32, 32, 3, 3}}, {"branch.0.0.b", []int{32}},
	{"branch.0.1.w", []int{32, 32, 3, 3}}, {"branch.0.1.b", []int{32}},
	{"branch.1.0.w", []int{32, 32, 3, 3}}, {"branch.1.0.b", []int{32}},
	{"branch.1.1.w", []int{32, 32, 3, 3}}, {"branch.1.1.b", []int{32}},
	{"out.w", []int{10, 4096}}, {"out.b", []int{10}},
}

// refValues returns initial parameters (He-normal weights, small biases),
// images and labels for a batch of n.
func refValues(rng *rand.Rand, n int) (params []*tensor.Dense, x, y *tensor.Dense) {
	for _, p := range refParamShapes {
		fanIn := 1
		for _, s := range p.shape[1:] {
			fanIn *= s
		}
		scale := 0.01
		if len(p.shape) > 1 {
			scale = math.Sqrt(2 / float64(fanIn))
		}
		params = append(params, randDense(rng, scale, p.shape...))
	}
	x = randDense(rng, 1, n, 3, 32, 32)
	labels := make([]float32, n)
	for i := range labels {
		labels[i] = float32(rng.IntN(10))
	}
	return params, x, tensor.New(tensor.WithShape(n), tensor.WithBacking(labels))
}

// layerOps builds the layers of the net from one family of ops.
type layerOps struct {
	conv   func(x, w, b *G.Node, first bool) (*G.Node, error)
	relu   func(x *G.Node) (*G.Node, error)
	pool   func(x *G.Node) (*G.Node, error)
	concat func(xs ...*G.Node) (*G.Node, error)
	linear func(x, w, b *G.Node) (*G.Node, error)
}

// ourOps builds conv+ReLU as the fused op, as the trainer does; its relu
// is the identity.
var ourOps = layerOps{
	conv: func(x, w, b *G.Node, first bool) (*G.Node, error) {
		if first {
			return Conv2DReLUInput(x, w, b, 1)
		}
		return Conv2DReLU(x, w, b, 1)
	},
	relu:   func(x *G.Node) (*G.Node, error) { return x, nil },
	pool:   func(x *G.Node) (*G.Node, error) { return MaxPool2D(x, 2) },
	concat: Concat,
	linear: Linear,
}

var stockOps = layerOps{
	conv: func(x, w, b *G.Node, _ bool) (*G.Node, error) {
		y, err := G.Conv2d(x, w, tensor.Shape{3, 3}, []int{1, 1}, []int{1, 1}, []int{1, 1})
		if err != nil {
			return nil, err
		}
		b4, err := G.Reshape(b, tensor.Shape{1, b.Shape()[0], 1, 1})
		if err != nil {
			return nil, err
		}
		return G.BroadcastAdd(y, b4, nil, []byte{0, 2, 3})
	},
	relu: G.Rectify,
	pool: func(x *G.Node) (*G.Node, error) {
		return G.MaxPool2D(x, tensor.Shape{2, 2}, []int{0, 0}, []int{2, 2})
	},
	concat: func(xs ...*G.Node) (*G.Node, error) { return G.Concat(1, xs...) },
	linear: func(x, w, b *G.Node) (*G.Node, error) {
		x2, err := G.Reshape(x, tensor.Shape{x.Shape()[0], w.Shape()[1]})
		if err != nil {
			return nil, err
		}
		wt, err := G.Transpose(w)
		if err != nil {
			return nil, err
		}
		y, err := G.Mul(x2, wt)
		if err != nil {
			return nil, err
		}
		return G.BroadcastAdd(y, b, nil, []byte{0})
	},
}

// newRefNet builds the reference net with the given ops and a tape
// machine; the loss is our SoftmaxCrossEntropy in both families.
func newRefNet(ops layerOps, params []*tensor.Dense, x, y *tensor.Dense) (*refNet, error) {
	net := &refNet{g: G.NewGraph()}
	for i, p := range refParamShapes {
		net.params = append(net.params, G.NewTensor(net.g, G.Float32, len(p.shape), G.WithShape(p.shape...), G.WithValue(params[i]), G.WithName(p.name)))
	}
	net.x = G.NewTensor(net.g, G.Float32, 4, G.WithShape(x.Shape()...), G.WithValue(x), G.WithName("x"))
	net.y = G.NewTensor(net.g, G.Float32, 1, G.WithShape(y.Shape()...), G.WithValue(y), G.WithName("y"))
	p := net.params
	convRelu := func(in *G.Node, i int, first bool) (*G.Node, error) {
		c, err := ops.conv(in, p[2*i], p[2*i+1], first)
		if err != nil {
			return nil, fmt.Errorf("conv %s: %w", refParamShapes[2*i].name, err)
		}
		return ops.relu(c)
	}
	h, err := convRelu(net.x, 0, true)
	if err != nil {
		return nil, err
	}
	if h, err = ops.pool(h); err != nil {
		return nil, err
	}
	var branches []*G.Node
	for b := 0; b < 2; b++ {
		z := h
		for l := 0; l < 2; l++ {
			if z, err = convRelu(z, 1+2*b+l, false); err != nil {
				return nil, err
			}
		}
		branches = append(branches, z)
	}
	if h, err = ops.concat(branches...); err != nil {
		return nil, err
	}
	if h, err = ops.pool(h); err != nil {
		return nil, err
	}
	logits, err := ops.linear(h, p[10], p[11])
	if err != nil {
		return nil, err
	}
	if net.loss, err = SoftmaxCrossEntropy(logits, net.y); err != nil {
		return nil, err
	}
	if net.grads, err = G.Grad(net.loss, net.params...); err != nil {
		return nil, err
	}
	net.m = G.NewTapeMachine(net.g)
	return net, nil
}

// step runs one forward and backward pass.
func (net *refNet) step() error {
	net.m.Reset()
	return net.m.RunAll()
}

// snapshot copies the loss and all parameter gradients.
func (net *refNet) snapshot(t testing.TB) [][]float32 {
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

func TestRefNetMatchesStock(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the reference net twice")
	}
	params, x, y := refValues(newRand(200), 8)
	ours, err := newRefNet(ourOps, params, x, y)
	if err != nil {
		t.Fatal(err)
	}
	defer ours.m.Close()
	stock, err := newRefNet(stockOps, params, x, y)
	if err != nil {
		t.Fatal(err)
	}
	defer stock.m.Close()
	if err := ours.step(); err != nil {
		t.Fatal(err)
	}
	if err := stock.step(); err != nil {
		t.Fatal(err)
	}
	a, b := ours.snapshot(t), stock.snapshot(t)
	for i := range a {
		name := "loss"
		if i > 0 {
			name = refParamShapes[i-1].name
		}
		if err := closeTo(a[i], b[i], tolStock); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestRefNetDeterministic(t *testing.T) {
	n := 16
	if !testing.Short() {
		n = 64
	}
	params, x, y := refValues(newRand(300), n)
	net, err := newRefNet(ourOps, params, x, y)
	if err != nil {
		t.Fatal(err)
	}
	defer net.m.Close()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var ref [][]float32
	for _, procs := range []int{1, 2, 3, 1, 2} {
		runtime.GOMAXPROCS(procs)
		for rep := 0; rep < 2; rep++ {
			if err := net.step(); err != nil {
				t.Fatal(err)
			}
			got := net.snapshot(t)
			if ref == nil {
				ref = got
				continue
			}
			for i := range got {
				if err := bitsEqual(got[i], ref[i]); err != nil {
					t.Fatalf("GOMAXPROCS=%d run %d, value %d: %v", procs, rep, i, err)
				}
			}
		}
	}
}

func TestBoundValuesAreReadInPlace(t *testing.T) {
	// A solver updates parameter tensors in place; the next run must see
	// the new values without re-binding them.
	params, x, y := refValues(newRand(400), 4)
	net, err := newRefNet(ourOps, params, x, y)
	if err != nil {
		t.Fatal(err)
	}
	defer net.m.Close()
	if err := net.step(); err != nil {
		t.Fatal(err)
	}
	before := net.snapshot(t)
	w := f32data(net.params[10].Value())
	for i := range w {
		w[i] *= 2
	}
	if err := net.step(); err != nil {
		t.Fatal(err)
	}
	if after := net.snapshot(t); after[0][0] == before[0][0] {
		t.Errorf("loss unchanged (%g) after doubling out.w in place", after[0][0])
	}
}

func TestConvAllocations(t *testing.T) {
	rng := newRand(500)
	tg := newTestGraph(t, rng, []*tensor.Dense{randDense(rng, 1, 16, 32, 16, 16), randDense(rng, 0.1, 32, 32, 3, 3), randDense(rng, 0.1, 32)}, []int{0, 1, 2},
		func(n []*G.Node) (*G.Node, error) { return Conv2D(n[0], n[1], n[2], 1) })
	tg.run(t)
	allocs := testing.AllocsPerRun(10, func() {
		tg.m.Reset()
		if err := tg.m.RunAll(); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("conv forward+backward (with gorgonia's loss ops): %.0f allocations per run", allocs)
	params, x, y := refValues(newRand(501), 16)
	net, err := newRefNet(ourOps, params, x, y)
	if err != nil {
		t.Fatal(err)
	}
	defer net.m.Close()
	if err := net.step(); err != nil {
		t.Fatal(err)
	}
	netAllocs := testing.AllocsPerRun(5, func() {
		if err := net.step(); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("reference net step: %.0f allocations per step", netAllocs)
	// The ops reuse their buffers: what is left is per-goroutine closures
	// and the machine's own bookkeeping, far below one tensor per value.
	if netAllocs > 2000 {
		t.Errorf("reference net step allocates %.0f times, want at most 2000", netAllocs)
	}
}

// BenchmarkRefNetStep measures one forward+backward step (no solver) of
// the reference net at batch 64 with our ops and with stock gorgonia ops.
func BenchmarkRefNetStep(b *testing.B) {
	params, x, y := refValues(newRand(600), 64)
	for _, fam := range []struct {
		name string
		ops  layerOps
	}{{"ours", ourOps}, {"stock", stockOps}} {
		b.Run(fam.name, func(b *testing.B) {
			net, err := newRefNet(fam.ops, params, x, y)
			if err != nil {
				b.Fatal(err)
			}
			defer net.m.Close()
			if err := net.step(); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := net.step(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(64*float64(b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
