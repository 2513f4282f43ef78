package trainer

import (
	"fmt"
	"math"
	"math/rand/v2"

	"branchspec/configs"
	"branchspec/trainer/ops/gemm"

	"gorgonia.org/tensor"
)

// Param is one trainable tensor of the model.
type Param struct {
	Name   string // layer name + ".w" or ".b"
	Layer  string
	Branch int // branch index, -1 outside the branches
	Shape  []int
	FanIn  int
	FanOut int
	// Mask is the fixed 0/1 connection mask of a mixed layer's weights
	// (same shape as the weights), applied in the graph; nil for every
	// other parameter. Weights where the mask is 0 are kept at 0.
	Mask []float32
	// InitStd, when > 0, is the standard deviation of the weights' normal
	// initialisation, replacing the model's rule (a layer's init_std);
	// BiasInit is the constant a bias starts at (a layer's bias_init).
	InitStd  float64
	BiasInit float32

	value *tensor.Dense
}

// Data returns the parameter's float32 backing slice: writes change the
// model.
func (p *Param) Data() []float32 { return p.value.Data().([]float32) }

// Model is a branched CNN's architecture and parameters. The parameters'
// tensors are shared by every graph built from the model, so an update by
// the solver is seen by all of them.
type Model struct {
	arch    *Arch
	params  []*Param
	bias    bool
	init    string
	initStd float64 // of init "normal"
	byName  map[string]*Param
	gemm    gemm.Kernel // the GEMM kernel of the nets it builds; "" is gemm.Default()
	direct  bool        // no Winograd convolutions (ops.ConvParams.Winograd); see GEMMKernels
	threads int         // goroutines each net's ops run on; 0 is GOMAXPROCS
}

// NewModel builds the model of cfg with weights drawn from rng: He normal
// (std sqrt(2/fan_in)), Glorot normal (std sqrt(2/(fan_in+fan_out))) or
// normal (std model.init_std) weights, or a layer's own init_std, and
// biases at the layer's bias_init (0 by default), drawn in parameter
// order (see InitParam). Under the mixing
// regime the mixed layers' connection masks are drawn first, from the
// run's "mixing" stream (see DrawMask), and their weights use each output
// unit's effective fan-in (see InitParam). NewModel does not apply the bias
// regime; New does.
func NewModel(cfg *configs.Config, rng *rand.Rand) (*Model, error) {
	arch, err := NewArch(cfg)
	if err != nil {
		return nil, err
	}
	m := &Model{arch: arch, bias: cfg.Model.Bias, init: cfg.Model.Init, initStd: cfg.Model.InitStd, byName: map[string]*Param{}}
	for _, cv := range arch.Convs() {
		m.add(cv.Name, cv.Branch, []int{cv.Out, cv.In, cv.Kernel, cv.Kernel}, cv.In*cv.Kernel*cv.Kernel, cv.Out*cv.Kernel*cv.Kernel)
		for _, p := range m.params[len(m.params)-m.perLayer():] {
			p.InitStd, p.BiasInit = cv.InitStd, float32(cv.BiasInit)
		}
	}
	for _, d := range append(append([]Dense(nil), arch.Hidden...), arch.Out) {
		m.add(d.Name, -1, []int{d.Out, d.In}, d.In, d.Out)
	}
	if arch.MixLayer >= 0 {
		m.drawMasks(Stream(cfg.Seed, "mixing", 0))
	}
	for _, p := range m.params {
		m.InitParam(p, rng)
	}
	return m, nil
}

// LoadModel builds the model of cfg holding the weights ws (a checkpoint's,
// in parameter order; names and shapes must match), to measure or draw a
// stored checkpoint.
func LoadModel(cfg *configs.Config, ws []Tensor) (*Model, error) {
	m, err := NewModel(cfg, Stream(cfg.Seed, "init", 0))
	if err != nil {
		return nil, err
	}
	if err := m.SetWeights(ws); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Model) add(layer string, branch int, wShape []int, fanIn, fanOut int) {
	n := 1
	for _, s := range wShape {
		n *= s
	}
	w := &Param{Name: layer + ".w", Layer: layer, Branch: branch, Shape: wShape, FanIn: fanIn, FanOut: fanOut,
		value: tensor.New(tensor.WithShape(wShape...), tensor.WithBacking(make([]float32, n)))}
	m.params = append(m.params, w)
	m.byName[w.Name] = w
	if m.bias {
		b := &Param{Name: layer + ".b", Layer: layer, Branch: branch, Shape: []int{wShape[0]}, FanIn: fanIn, FanOut: fanOut,
			value: tensor.New(tensor.WithShape(wShape[0]), tensor.WithBacking(make([]float32, wShape[0])))}
		m.params = append(m.params, b)
		m.byName[b.Name] = b
	}
}

// perLayer is the number of parameters of one layer: weights, and a bias
// when the model has biases.
func (m *Model) perLayer() int {
	if m.bias {
		return 2
	}
	return 1
}

// InitParam redraws p from the model's initialiser: weights normal with
// mean 0 and standard deviation
//
//	p.InitStd                          when > 0 (a layer's init_std)
//	he:     std = sqrt(2 / fan_in)
//	glorot: std = sqrt(2 / (fan_in + fan_out))
//	normal: std = model.init_std
//
// and biases at the constant p.BiasInit, which draws nothing.
//
// A masked weight (a mixed layer) draws only its connected entries, in
// row-major order, and sets the others to 0; fan_in is then each output
// unit's effective fan-in, K*K times the number of input channels its mask
// connects. With p = 0 this draws exactly the values, in the same order, that
// the branched layer [Out, In, K, K] draws.
func (m *Model) InitParam(p *Param, rng *rand.Rand) {
	d := p.Data()
	if len(p.Shape) == 1 {
		for i := range d {
			d[i] = p.BiasInit
		}
		return
	}
	if p.Mask == nil {
		s := m.std(p, p.FanIn)
		for i := range d {
			d[i] = float32(rng.NormFloat64() * s)
		}
		return
	}
	unit := len(d) / p.Shape[0]
	for o := 0; o < p.Shape[0]; o++ {
		mk, w := p.Mask[o*unit:(o+1)*unit], d[o*unit:(o+1)*unit]
		fanIn := 0
		for _, v := range mk {
			if v != 0 {
				fanIn++
			}
		}
		s := m.std(p, fanIn)
		for i := range w {
			w[i] = 0
			if mk[i] != 0 {
				w[i] = float32(rng.NormFloat64() * s)
			}
		}
	}
}

// std is the standard deviation of p's weights for fan-in fanIn.
func (m *Model) std(p *Param, fanIn int) float64 {
	switch {
	case p.InitStd > 0:
		return p.InitStd
	case m.init == configs.InitGlorot:
		return math.Sqrt(2 / float64(fanIn+p.FanOut))
	case m.init == configs.InitNormal:
		return m.initStd
	}
	return math.Sqrt(2 / float64(fanIn))
}

// Arch returns the model's architecture; it must not be modified.
func (m *Model) Arch() *Arch { return m.arch }

// Params returns the model's parameters in order: each layer's weights,
// then its bias when the model has biases, layers in forward order.
func (m *Model) Params() []*Param { return m.params }

// Param returns the parameter with the given name ("branch.0.1.w"), or nil.
func (m *Model) Param(name string) *Param { return m.byName[name] }

// Weight returns the weight tensor of layer ("branch.0.1", "trunk.0",
// "out"), or nil when the model has no such layer.
func (m *Model) Weight(layer string) *Param { return m.byName[layer+".w"] }

// NumParams is the total number of scalar parameters.
func (m *Model) NumParams() int {
	n := 0
	for _, p := range m.params {
		n += len(p.Data())
	}
	return n
}

// Kernels is the first conv that reads the input image, in one branch (or
// the shared stem), with its weights.
type Kernels struct {
	Layer  string
	Branch int // -1 for the stem's first layer
	// Out kernels of In channels, Kernel x Kernel taps each.
	Out, In, Kernel int
	// W is [Out, In, Kernel, Kernel], aliasing the model's weights.
	W []float32
}

// FirstKernels returns the first conv of every branch, branch by branch,
// when the branches read the input image; with a stem, the stem's first
// layer alone (Branch -1).
func (m *Model) FirstKernels() []Kernels {
	convs := m.arch.FirstConvs()
	ks := make([]Kernels, len(convs))
	for i, cv := range convs {
		ks[i] = Kernels{Layer: cv.Name, Branch: cv.Branch, Out: cv.Out, In: cv.In, Kernel: cv.Kernel, W: m.Weight(cv.Name).Data()}
	}
	return ks
}

// Rejoin is the first layer after the concat of the branches, whose
// weights say how much each of its output units reads each branch.
type Rejoin struct {
	Layer string
	// W is the layer's weights viewed as [Out, In, Taps], aliasing the
	// model's: a trunk conv reads Kernel*Kernel taps of each input channel,
	// a linear layer after the flatten the RejoinH*RejoinW pixels of each.
	W             []float32
	Out, In, Taps int
	// Groups[c] is the branch that input channel c comes from (In entries).
	Groups []int
	// Branches is the number of branches.
	Branches int
}

// Rejoin returns the first layer after the concat (see Rejoin).
func (m *Model) Rejoin() Rejoin {
	a := m.arch
	name, out, taps := a.rejoinLayer()
	r := Rejoin{Layer: name, Out: out, Taps: taps, Branches: len(a.Branches), W: m.Weight(name).Data()}
	for b, c := range a.RejoinChannels {
		for range c {
			r.Groups = append(r.Groups, b)
		}
	}
	r.In = len(r.Groups)
	return r
}

// Branches is the number of branches.
func (m *Model) Branches() int { return len(m.arch.Branches) }

// Classes is the number of classes the model tells apart.
func (m *Model) Classes() int { return m.arch.Classes }

// InputShape is the shape of one input example: channels, height, width.
func (m *Model) InputShape() (c, h, w int) { return m.arch.C, m.arch.H, m.arch.W }

// checkShapes reports a data set whose examples do not fit the model.
func (m *Model) checkShapes(c, h, w int) error {
	a := m.arch
	if c != a.C || h != a.H || w != a.W {
		return fmt.Errorf("trainer: data is %dx%dx%d but the config expects %dx%dx%d", c, h, w, a.C, a.H, a.W)
	}
	return nil
}
