package trainer

import (
	"fmt"
	"math"
	"slices"

	"branchspec/trainer/ops"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Net is a model compiled into a gorgonia graph for a fixed batch size:
// the training graph (with gradients) or an evaluation graph (forward only,
// with a scalar gate on each branch's output for lesions).
type Net struct {
	Batch int

	g      *G.ExprGraph
	vm     G.VM
	x, y   *G.Node
	xT, yT *tensor.Dense

	Logits *G.Node
	Loss   *G.Node
	// Params are the graph's parameter nodes, in Model.Params order; their
	// values are the model's tensors.
	Params G.Nodes
	// Grads[i] is the gradient of Loss with respect to Params[i] (training
	// graphs only).
	Grads G.Nodes
	// Gates[b] multiplies branch b's output at the rejoin (evaluation
	// graphs only; 1 normally, 0 to lesion the branch).
	Gates    []*G.Node
	gateVals []float32
	// BranchOut[b] is branch b's output at the rejoin, before its gate.
	BranchOut []*G.Node
	// FirstAct[i] is the post-ReLU, pre-pool activation of the i-th layer
	// of Arch.FirstRGBConvs.
	FirstAct []*G.Node
}

// NetOptions selects what a graph computes.
type NetOptions struct {
	Batch int
	Train bool // build gradients of the loss
	// Head builds only the layers after the rejoin: the graph's input is
	// the concatenated branch outputs [Batch, sum of RejoinChannels,
	// RejoinH, RejoinW]. Lesions reuse one pass of the branches this way.
	Head bool
}

// Build compiles the model into a graph for o.Batch examples. Under the
// mixing regime, each branch's mixed layer I reads the channel concatenation
// of every branch's layer I-1 output (branch 0's channels first) through
// weights multiplied elementwise by the layer's constant mask node
// ("branch.B.I.mask"), so masked connections neither act nor get gradient.
func (m *Model) Build(o NetOptions) (*Net, error) {
	a := m.Arch
	g := G.NewGraph()
	n := &Net{Batch: o.Batch, g: g}
	in := []int{o.Batch, a.C, a.H, a.W}
	if o.Head {
		in = []int{o.Batch, a.RejoinC(), a.RejoinH, a.RejoinW}
	}
	n.xT = tensor.New(tensor.WithShape(in...), tensor.Of(tensor.Float32))
	n.yT = tensor.New(tensor.WithShape(o.Batch), tensor.Of(tensor.Float32))
	n.x = G.NewTensor(g, G.Float32, 4, G.WithShape(in...), G.WithName("x"), G.WithValue(n.xT))
	n.y = G.NewVector(g, G.Float32, G.WithShape(o.Batch), G.WithName("y"), G.WithValue(n.yT))

	nodes := map[string]*G.Node{}
	for _, p := range m.Params {
		node := G.NewTensor(g, G.Float32, len(p.Shape), G.WithShape(p.Shape...), G.WithName(p.Name), G.WithValue(p.Value))
		nodes[p.Name] = node
		n.Params = append(n.Params, node)
	}
	// A mixed layer's conv reads its weights through its fixed mask, so
	// that the masked entries neither act nor receive gradient.
	weight := map[string]*G.Node{}
	for _, p := range m.Params {
		w := nodes[p.Name]
		if p.Mask != nil {
			mask := tensor.New(tensor.WithShape(p.Shape...), tensor.WithBacking(p.Mask))
			mn := G.NewTensor(g, G.Float32, len(p.Shape), G.WithShape(p.Shape...), G.WithName(p.Layer+".mask"), G.WithValue(mask))
			var err error
			if w, err = G.HadamardProd(w, mn); err != nil {
				return nil, fmt.Errorf("trainer: %s: mask: %w", p.Layer, err)
			}
		}
		weight[p.Name] = w
	}
	conv := func(h *G.Node, cv Conv) (act, out *G.Node, err error) {
		// Conv, bias and ReLU are one op; the layers reading the input
		// need no gradient to it.
		convOp := ops.Conv2DReLU
		if h == n.x {
			convOp = ops.Conv2DReLUInput
		}
		if act, err = convOp(h, weight[cv.Name+".w"], nodes[cv.Name+".b"], cv.K/2); err != nil {
			return nil, nil, fmt.Errorf("trainer: %s: %w", cv.Name, err)
		}
		out = act
		if cv.Pool > 1 {
			if out, err = ops.MaxPool2D(act, cv.Pool); err != nil {
				return nil, nil, fmt.Errorf("trainer: %s pool: %w", cv.Name, err)
			}
		}
		return act, out, nil
	}

	if o.Head {
		return n, m.buildHead(n, o, n.x, nodes, conv)
	}
	h := n.x
	var err error
	for i, cv := range a.Stem {
		var act *G.Node
		if act, h, err = conv(h, cv); err != nil {
			return nil, err
		}
		if i == 0 {
			n.FirstAct = append(n.FirstAct, act)
		}
	}
	// Without mixing each branch is built in one pass. With mixing at layer
	// I the branches' layers before I are built first, then every branch's
	// layers from I on, the mixed layer I reading the concatenation of all
	// branches' layer I-1 outputs through its masked weights.
	hs := make([]*G.Node, len(a.Branches))
	for b := range hs {
		hs[b] = h
	}
	var mixIn *G.Node
	branchLayers := func(lo, hi int) error {
		for b, br := range a.Branches {
			for i := lo; i < min(hi, len(br)); i++ {
				in := hs[b]
				if br[i].Mixed {
					in = mixIn
				}
				var act *G.Node
				if act, hs[b], err = conv(in, br[i]); err != nil {
					return err
				}
				if i == 0 && len(a.Stem) == 0 {
					n.FirstAct = append(n.FirstAct, act)
				}
			}
		}
		return nil
	}
	if a.MixLayer < 0 {
		err = branchLayers(0, math.MaxInt)
	} else if err = branchLayers(0, a.MixLayer); err == nil {
		// A copy: the node keeps the slice it is given as its children.
		if mixIn, err = ops.Concat(slices.Clone(hs)...); err != nil {
			return nil, fmt.Errorf("trainer: mixing input of layer branch.*.%d: %w", a.MixLayer, err)
		}
		err = branchLayers(a.MixLayer, math.MaxInt)
	}
	if err != nil {
		return nil, err
	}
	outs := make([]*G.Node, len(a.Branches))
	for b, hb := range hs {
		n.BranchOut = append(n.BranchOut, hb)
		outs[b] = hb
		if !o.Train {
			gate := G.NewScalar(g, G.Float32, G.WithName(fmt.Sprintf("gate.%d", b)), G.WithValue(G.NewF32(1)))
			if outs[b], err = ops.Scale(hb, gate); err != nil {
				return nil, fmt.Errorf("trainer: gate %d: %w", b, err)
			}
			n.Gates = append(n.Gates, gate)
			n.gateVals = append(n.gateVals, 1)
		}
	}
	h = outs[0]
	if len(outs) > 1 {
		if h, err = ops.Concat(outs...); err != nil {
			return nil, fmt.Errorf("trainer: rejoin: %w", err)
		}
	}
	return n, m.buildHead(n, o, h, nodes, conv)
}

// buildHead adds the layers after the rejoin, reading h, then the loss, the
// gradients of a training graph, and the machine.
func (m *Model) buildHead(n *Net, o NetOptions, h *G.Node, nodes map[string]*G.Node,
	conv func(*G.Node, Conv) (*G.Node, *G.Node, error)) error {
	a := m.Arch
	var err error
	for _, cv := range a.Trunk {
		if _, h, err = conv(h, cv); err != nil {
			return err
		}
	}
	for _, d := range a.Hidden {
		if h, err = ops.Linear(h, nodes[d.Name+".w"], nodes[d.Name+".b"]); err != nil {
			return fmt.Errorf("trainer: %s: %w", d.Name, err)
		}
		if h, err = ops.ReLU(h); err != nil {
			return fmt.Errorf("trainer: %s: %w", d.Name, err)
		}
	}
	if n.Logits, err = ops.Linear(h, nodes["out.w"], nodes["out.b"]); err != nil {
		return fmt.Errorf("trainer: out: %w", err)
	}
	if n.Loss, err = ops.SoftmaxCrossEntropy(n.Logits, n.y); err != nil {
		return fmt.Errorf("trainer: loss: %w", err)
	}
	if o.Train {
		if n.Grads, err = G.Grad(n.Loss, n.Params...); err != nil {
			return fmt.Errorf("trainer: gradients: %w", err)
		}
	}
	n.vm = G.NewTapeMachine(n.g)
	return nil
}

// Input returns the batch's input and label buffers: fill them, then Run.
// Labels are class indices stored as float32.
func (n *Net) Input() (x, y []float32) {
	return n.xT.Data().([]float32), n.yT.Data().([]float32)
}

// SetGate sets branch b's gate (evaluation graphs only).
func (n *Net) SetGate(b int, v float32) { n.gateVals[b] = v }

// Run executes the graph once on the current inputs. Node values stay
// readable until the next Run.
func (n *Net) Run() error {
	n.vm.Reset()
	if err := G.Let(n.x, n.xT); err != nil {
		return err
	}
	if err := G.Let(n.y, n.yT); err != nil {
		return err
	}
	for i, v := range n.gateVals {
		if err := G.Let(n.Gates[i], G.NewF32(v)); err != nil {
			return err
		}
	}
	if err := n.vm.RunAll(); err != nil {
		return fmt.Errorf("trainer: run: %w", err)
	}
	return nil
}

// LossValue is the mean loss of the last Run.
func (n *Net) LossValue() float64 { return scalar(n.Loss) }

// LogitsValue is the [Batch, Classes] logits of the last Run.
func (n *Net) LogitsValue() []float32 { return n.Logits.Value().Data().([]float32) }

// Close releases the graph's machine.
func (n *Net) Close() error { return n.vm.Close() }

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
