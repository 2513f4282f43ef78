package trainer

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"time"

	"branchspec/configs"
	"branchspec/trainer/data"
	"branchspec/trainer/ops"
	"branchspec/trainer/optim"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Net is a model compiled into a gorgonia graph for a fixed batch size:
// the training graph (with gradients) or an evaluation graph (forward only,
// with a scalar gate on each branch's output for lesions). Its nodes stay
// inside this package; callers fill its inputs, Run it and read values
// through its methods.
type Net struct {
	batch int

	g       *G.ExprGraph
	vm      G.VM
	workers *ops.Workers                    // run the ops' chunks of images
	ranges  func(n int, f func(lo, hi int)) // workers.Ranges, for the solver
	x, y    *G.Node
	xT, yT  *tensor.Dense

	logits *G.Node
	loss   *G.Node
	// params are the graph's parameter nodes, in Model.Params order; their
	// values are the model's tensors. grads[i] is the gradient of loss with
	// respect to params[i] (training graphs only); vg adapts them to the
	// solvers.
	params G.Nodes
	grads  G.Nodes
	vg     []G.ValueGrad
	// gates[b] multiplies branch b's output at the rejoin (evaluation
	// graphs only; 1 normally, 0 to lesion the branch).
	gates    []*G.Node
	gateVals []float32
	// branchOut[b] is branch b's output at the rejoin, before its gate.
	branchOut []*G.Node
	// firstAct[i] is the activation of the i-th layer of Arch.FirstConvs:
	// after its ReLU, before LRN and pooling.
	firstAct []*G.Node
	// gray is gray(x), what the gray branch's first conv reads (nil when
	// the regime is off).
	gray *G.Node
}

// NetOptions selects what a graph computes.
type NetOptions struct {
	Batch int
	Train bool // build gradients of the loss
	// Head builds only the layers after the rejoin: the graph's input is
	// the concatenated branch outputs [Batch, sum of RejoinChannels,
	// RejoinH, RejoinW]. Lesions reuse one pass of the branches this way.
	Head bool
	// Body builds only the layers up to the rejoin (forward only): the
	// graph computes the first layers' activations and the branches'
	// outputs, no logits and no loss.
	Body bool
}

// Build compiles the model into a graph for o.Batch examples. Under the
// mixing regime, each branch's mixed layer I reads the channel concatenation
// of every branch's layer I-1 output (branch 0's channels first) through
// weights multiplied elementwise by the layer's constant mask node
// ("branch.B.I.mask"), so masked connections neither act nor get gradient.
//
// Under the gray_branch regime (Arch.GrayBranch = B >= 0) branch B's first
// conv reads gray(x) instead of x, where x is the network's input (after
// preprocessing) and
//
//	gray(x)[c][i] = 0.299 x[0][i] + 0.587 x[1][i] + 0.114 x[2][i]   for c = 0, 1, 2
//
// (Rec. 601, ops.Gray with data's luma weights: the same float32 values
// data.Gray gives). It is a fixed linear map in the graph, with no
// parameters and no gradient (the conv reading it treats it as data), so
// the model's parameters, checkpoints and every other run are unchanged.
// gray is taken of the preprocessed input, not of the raw image as
// data.grayscale does: with one gain r on every channel (preprocessing
// "none", or "mean-image" x = (v - M) r; configs refuses per-channel)
// gray(x) = (gray(v) - gray(M)) r, while data.grayscale feeds
// (gray(v) - M) r. The two differ by the constant image (M - gray(M)) r,
// the mean image's colour, which carries nothing about the example; taking
// gray of x keeps it out, so that gray(x) is exactly replicated at every
// pixel. Then the loss gradient of a first-layer weight w[o][c][t] (tap t)
// is sum over examples and positions p of delta[o][p] gray(x)[c][p + t],
// the same for c = 0, 1, 2. SGD (with momentum) and Adam update each
// weight from its own gradient history, so without weight decay every
// update is along (1, 1, 1) at each tap, and so is dw = w_t - w_0 (up to
// float32 rounding). Weight decay (SGD's L2 term, Adam's decoupled decay)
// is linear in w, so the part P w_0 of the initial kernel off (1, 1, 1)
// shrinks by a factor f_t common to all weights, adding (f_t - 1) P w_0 to
// dw (f_t = 0.95 after 1000 SGD steps of lr 0.01, momentum 0.9, lambda
// 5e-4: small next to what training adds). The kernel chroma of such a dw along the input
// space's luminance axis u = L / ||L||, L = (0.299, 0.587, 0.114), is the
// constant
//
//	c = 1 - (u . 1)^2 / 3 = 1 - (L . 1)^2 / (3 ||L||^2) = 1 - 1/(3 * 0.446966) = 0.254231
//
// for every unit, while a branch that reads colour learns kernels of any
// chroma: a between-branch split of dchroma planted by construction (the
// unit itself is blind to colour: on x its kernel acts as
// (sum_c w[c][t]) L at tap t, of chroma 0).
//
// On error it returns a nil *Net.
func (m *Model) Build(o NetOptions) (*Net, error) {
	b, err := m.newBuilder(o)
	if err != nil {
		return nil, err
	}
	h := b.n.x
	if !o.Head {
		if h, err = b.body(o.Train); err != nil {
			return nil, err
		}
	}
	if o.Body {
		b.n.machine(m.threads)
		return b.n, nil
	}
	if err := b.head(h, o.Train); err != nil {
		return nil, err
	}
	return b.n, nil
}

// builder holds what building one graph needs: the net being built and
// the model's parameter nodes by name, raw and as the convs read them.
type builder struct {
	m      *Model
	n      *Net
	nodes  map[string]*G.Node // parameter name -> its node
	weight map[string]*G.Node // parameter name -> the weights as read (masked for a mixed layer)
}

// newBuilder creates the graph's input, label and parameter nodes.
func (m *Model) newBuilder(o NetOptions) (*builder, error) {
	a := m.arch
	g := G.NewGraph()
	n := &Net{batch: o.Batch, g: g}
	in := []int{o.Batch, a.C, a.H, a.W}
	if o.Head {
		in = []int{o.Batch, a.RejoinC(), a.RejoinH, a.RejoinW}
	}
	n.xT = tensor.New(tensor.WithShape(in...), tensor.Of(tensor.Float32))
	n.yT = tensor.New(tensor.WithShape(o.Batch), tensor.Of(tensor.Float32))
	n.x = G.NewTensor(g, G.Float32, 4, G.WithShape(in...), G.WithName("x"), G.WithValue(n.xT))
	n.y = G.NewVector(g, G.Float32, G.WithShape(o.Batch), G.WithName("y"), G.WithValue(n.yT))
	b := &builder{m: m, n: n, nodes: map[string]*G.Node{}, weight: map[string]*G.Node{}}
	for _, p := range m.params {
		node := G.NewTensor(g, G.Float32, len(p.Shape), G.WithShape(p.Shape...), G.WithName(p.Name), G.WithValue(p.value))
		b.nodes[p.Name] = node
		n.params = append(n.params, node)
	}
	for _, p := range m.params {
		w, err := b.masked(p)
		if err != nil {
			return nil, err
		}
		b.weight[p.Name] = w
	}
	return b, nil
}

// masked is p's node as a conv reads it: through its fixed mask for a
// mixed layer, so that the masked entries neither act nor get gradient.
func (b *builder) masked(p *Param) (*G.Node, error) {
	w := b.nodes[p.Name]
	if p.Mask == nil {
		return w, nil
	}
	mask := tensor.New(tensor.WithShape(p.Shape...), tensor.WithBacking(p.Mask))
	mn := G.NewTensor(b.n.g, G.Float32, len(p.Shape), G.WithShape(p.Shape...), G.WithName(p.Layer+".mask"), G.WithValue(mask))
	w, err := G.HadamardProd(w, mn)
	if err != nil {
		return nil, fmt.Errorf("trainer: %s: mask: %w", p.Layer, err)
	}
	return w, nil
}

// conv adds one conv layer on h: conv, bias and activation as one op (the
// layers reading the input need no gradient to it), then LRN, then its
// pool. act is the conv's activation (before LRN and the pool), out the
// layer's output.
func (b *builder) conv(h *G.Node, cv Conv) (act, out *G.Node, err error) {
	isData := h == b.n.x || h == b.n.gray
	p := ops.ConvParams{Pad: cv.Kernel / 2, Stride: cv.Stride, ReLU: cv.Activation != configs.ActivationLinear, InputIsData: isData, Kernel: b.m.gemm, Winograd: !b.m.direct}
	if act, err = ops.Conv(h, b.weight[cv.Name+".w"], b.nodes[cv.Name+".b"], p); err != nil {
		return nil, nil, fmt.Errorf("trainer: %s: %w", cv.Name, err)
	}
	out = act
	if cv.LRN {
		l := b.m.arch.LRN
		if out, err = ops.LRNWith(out, ops.LRNParams{Size: l.Size, K: l.K, Alpha: l.Alpha, Beta: l.Beta}, b.m.gemm); err != nil {
			return nil, nil, fmt.Errorf("trainer: %s lrn: %w", cv.Name, err)
		}
	}
	switch {
	case cv.Pool > 1 && cv.PoolStride == 0:
		out, err = ops.MaxPool2DWith(out, cv.Pool, b.m.gemm)
	case cv.Pool > 1:
		out, err = ops.MaxPoolWith(out, cv.Pool, cv.PoolStride, b.m.gemm)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("trainer: %s pool: %w", cv.Name, err)
	}
	return act, out, nil
}

// body adds the stem, the branches, their gates (evaluation graphs) and
// the concat, and returns the rejoin.
func (b *builder) body(train bool) (*G.Node, error) {
	a := b.m.arch
	h := b.n.x
	for i, cv := range a.Stem {
		act, out, err := b.conv(h, cv)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			b.n.firstAct = append(b.n.firstAct, act)
		}
		h = out
	}
	hs, err := b.branches(h)
	if err != nil {
		return nil, err
	}
	outs, err := b.gate(hs, train)
	if err != nil {
		return nil, err
	}
	if len(outs) == 1 {
		return outs[0], nil
	}
	rejoin, err := ops.Concat(outs...)
	if err != nil {
		return nil, fmt.Errorf("trainer: rejoin: %w", err)
	}
	return rejoin, nil
}

// branches adds every branch's layers on the stem's output h and returns
// each branch's output. Without mixing each branch is built in one pass.
// With mixing at layer I the branches' layers before I are built first,
// then every branch's layers from I on, the mixed layer I reading the
// concatenation of all branches' layer I-1 outputs. The gray branch (if
// any) reads gray(h), h being the input (see Build).
func (b *builder) branches(h *G.Node) ([]*G.Node, error) {
	a := b.m.arch
	hs := make([]*G.Node, len(a.Branches))
	for i := range hs {
		hs[i] = h
	}
	if a.GrayBranch >= 0 {
		g, err := ops.Gray(h, [3]float32{data.LumaR, data.LumaG, data.LumaB})
		if err != nil {
			return nil, fmt.Errorf("trainer: gray input of branch %d: %w", a.GrayBranch, err)
		}
		b.n.gray, hs[a.GrayBranch] = g, g
	}
	if a.MixLayer < 0 {
		return b.branchLayers(hs, 0, math.MaxInt, nil)
	}
	hs, err := b.branchLayers(hs, 0, a.MixLayer, nil)
	if err != nil {
		return nil, err
	}
	mixIn, err := ops.Concat(hs...)
	if err != nil {
		return nil, fmt.Errorf("trainer: mixing input of layer branch.*.%d: %w", a.MixLayer, err)
	}
	return b.branchLayers(hs, a.MixLayer, math.MaxInt, mixIn)
}

// branchLayers adds layers [lo, hi) of every branch b on hs[b] (a mixed
// layer reads mixIn instead) and returns the branches' new outputs; hs is
// not modified (a concat node keeps it as its children).
func (b *builder) branchLayers(hs []*G.Node, lo, hi int, mixIn *G.Node) ([]*G.Node, error) {
	a := b.m.arch
	out := slices.Clone(hs)
	for br, layers := range a.Branches {
		for i := lo; i < min(hi, len(layers)); i++ {
			in := out[br]
			if layers[i].Mixed {
				in = mixIn
			}
			act, o, err := b.conv(in, layers[i])
			if err != nil {
				return nil, err
			}
			if i == 0 && len(a.Stem) == 0 {
				b.n.firstAct = append(b.n.firstAct, act)
			}
			out[br] = o
		}
	}
	return out, nil
}

// gate records the branches' outputs hs and, in an evaluation graph,
// multiplies each by its gate; it returns what the concat reads.
func (b *builder) gate(hs []*G.Node, train bool) ([]*G.Node, error) {
	n := b.n
	outs := make([]*G.Node, len(hs))
	for i, h := range hs {
		n.branchOut = append(n.branchOut, h)
		outs[i] = h
		if train {
			continue
		}
		gate := G.NewScalar(n.g, G.Float32, G.WithName(fmt.Sprintf("gate.%d", i)), G.WithValue(G.NewF32(1)))
		var err error
		if outs[i], err = ops.Scale(h, gate); err != nil {
			return nil, fmt.Errorf("trainer: gate %d: %w", i, err)
		}
		n.gates = append(n.gates, gate)
		n.gateVals = append(n.gateVals, 1)
	}
	return outs, nil
}

// head adds the layers after the rejoin, reading h, then the loss, the
// gradients of a training graph, and the machine.
func (b *builder) head(h *G.Node, train bool) error {
	a, n := b.m.arch, b.n
	var err error
	for _, cv := range a.Trunk {
		if _, h, err = b.conv(h, cv); err != nil {
			return err
		}
	}
	if a.GlobalPool {
		if h, err = ops.GlobalAvgPool(h); err != nil {
			return fmt.Errorf("trainer: global pool: %w", err)
		}
	}
	for _, d := range a.Hidden {
		if h, err = ops.LinearWith(h, b.nodes[d.Name+".w"], b.nodes[d.Name+".b"], ops.LinearParams{Kernel: b.m.gemm}); err != nil {
			return fmt.Errorf("trainer: %s: %w", d.Name, err)
		}
		if h, err = ops.ReLU(h); err != nil {
			return fmt.Errorf("trainer: %s: %w", d.Name, err)
		}
	}
	if n.logits, err = ops.LinearWith(h, b.nodes["out.w"], b.nodes["out.b"], ops.LinearParams{Kernel: b.m.gemm}); err != nil {
		return fmt.Errorf("trainer: out: %w", err)
	}
	if n.loss, err = ops.SoftmaxCrossEntropy(n.logits, n.y); err != nil {
		return fmt.Errorf("trainer: loss: %w", err)
	}
	if train {
		if n.grads, err = G.Grad(n.loss, n.params...); err != nil {
			return fmt.Errorf("trainer: gradients: %w", err)
		}
		n.vg = make([]G.ValueGrad, len(n.params))
		for i, p := range n.params {
			n.vg[i] = p
		}
	}
	n.machine(b.m.threads)
	return nil
}

// workerSpin is how long the net's helper goroutines watch for the next
// op before they sleep (ops.NewWorkers): longer than the gaps between the
// ops of a step and between steps (a solver update, the next batch), so
// that each op starts on every core at once. On a 2-vCPU Zen 5 guest a
// step of the cifar10-alexnet net at GOMAXPROCS 2 took 21-22 ms with no
// spin, 20.5 with 50 us, 18.1-18.9 with 0.5 ms and 18.6 with 5 ms.
const workerSpin = 2 * time.Millisecond

// machine starts the workers of the finished graph's ops, threads of them
// (GOMAXPROCS for 0), and creates its machine, whose tensor additions
// (where gradients meet) also run on them.
func (n *Net) machine(threads int) {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	n.workers = ops.NewWorkers(threads, workerSpin)
	ops.UseWorkers(n.g, n.workers)
	n.ranges = n.workers.Ranges
	n.vm = G.NewTapeMachine(n.g, G.WithEngine(ops.NewEngine(n.workers)))
}

// Batch is the number of examples the graph runs at once.
func (n *Net) Batch() int { return n.batch }

// Input returns the batch's input and label buffers: fill them, then Run.
// Labels are class indices stored as float32.
func (n *Net) Input() (x, y []float32) {
	return n.xT.Data().([]float32), n.yT.Data().([]float32)
}

// setGate sets branch b's gate (evaluation graphs only).
func (n *Net) setGate(b int, v float32) { n.gateVals[b] = v }

// Run executes the graph once on the current inputs. Values read through
// the methods stay valid until the next Run.
func (n *Net) Run() error {
	n.vm.Reset()
	if err := G.Let(n.x, n.xT); err != nil {
		return err
	}
	if err := G.Let(n.y, n.yT); err != nil {
		return err
	}
	for i, v := range n.gateVals {
		if err := G.Let(n.gates[i], G.NewF32(v)); err != nil {
			return err
		}
	}
	if err := n.vm.RunAll(); err != nil {
		return fmt.Errorf("trainer: run: %w", err)
	}
	return nil
}

// Update applies one step of solver to the model's parameters with the
// gradients of the last Run (training graphs only), its element updates
// spread over the net's workers (optim.Solver.SetParallel).
func (n *Net) Update(solver optim.Solver) error {
	if n.vg == nil {
		return fmt.Errorf("trainer: update: the graph has no gradients (build it with Train)")
	}
	solver.SetParallel(n.ranges)
	return solver.Step(n.vg)
}

// LossValue is the mean loss of the last Run.
func (n *Net) LossValue() float64 { return scalar(n.loss) }

// LogitsValue is the [Batch, Classes] logits of the last Run.
func (n *Net) LogitsValue() []float32 { return n.logits.Value().Data().([]float32) }

// Close releases the graph's machine and stops its workers.
func (n *Net) Close() error {
	n.workers.Close()
	return n.vm.Close()
}

func scalar(node *G.Node) float64 {
	switch v := node.Value().Data().(type) {
	case float32:
		return float64(v)
	case []float32:
		return float64(v[0])
	case float64:
		return v
	}
	panic(fmt.Sprintf("trainer: %s holds %T, want a float scalar", node.Name(), node.Value().Data()))
}

// Feature is an activation of some examples, [N, C, HW] row-major: C
// channels (units) of HW positions each.
type Feature struct {
	Data     []float32
	N, C, HW int
}

// feature returns the first rows examples of node's [Batch, C, H, W] value.
func (n *Net) feature(node *G.Node, rows int) Feature {
	sh := node.Shape()
	c, hw := sh[1], sh[2]*sh[3]
	return Feature{Data: node.Value().Data().([]float32)[:rows*c*hw], N: rows, C: c, HW: hw}
}
