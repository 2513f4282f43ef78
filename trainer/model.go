package trainer

import (
	"fmt"
	"math"
	"math/rand/v2"

	"branchspec/configs"

	"gorgonia.org/tensor"
)

// Conv describes one conv layer: "same" padding, stride 1, then ReLU, then
// a max pool of size Pool (0 or 1: none). In is the number of input
// channels it reads; H and W its input size.
type Conv struct {
	Name       string
	In, Out, K int
	Pool       int
	H, W       int
	Branch     int // branch index, or -1 outside the branches
	OutH, OutW int
	// Mixed marks a branch layer of the mixing regime: it reads the
	// concatenation of every branch's previous layer, so In is B times one
	// branch's channels, through a fixed connection mask (Param.Mask).
	Mixed bool
}

// Dense describes one fully connected layer (ReLU except for "out").
type Dense struct {
	Name    string
	In, Out int
}

// Arch is the resolved architecture of a config: every layer with its
// shapes, in the order the forward pass visits them.
type Arch struct {
	C, H, W  int
	Classes  int
	Stem     []Conv
	Branches [][]Conv
	Trunk    []Conv
	Hidden   []Dense
	Out      Dense
	// RejoinChannels[b] is the number of channels branch b adds to the concat.
	RejoinChannels []int
	RejoinH        int
	RejoinW        int
	// MixLayer is I of the mixing regime's "branch.*.I", or -1 when the
	// regime is off; MixP is its fraction p of cross-branch connections.
	MixLayer int
	MixP     float64
}

// NewArch resolves the architecture of cfg, checking that every shape fits.
func NewArch(cfg *configs.Config) (*Arch, error) {
	c, h, w := cfg.InputShape()
	a := &Arch{C: c, H: h, W: w, Classes: cfg.Classes(), MixLayer: -1}
	m := cfg.Model
	if mx := cfg.Regime.Mixing; mx.Layer != "" {
		i, err := mixIndex(mx.Layer)
		if err != nil {
			return nil, err
		}
		a.MixLayer, a.MixP = i, mx.P
	}
	conv := func(name string, in int, l configs.Layer, h, w, branch int) (Conv, error) {
		cv := Conv{Name: name, In: in, Out: l.Out, K: l.Kernel, Pool: l.Pool, H: h, W: w, Branch: branch, OutH: h, OutW: w}
		if l.Pool > 1 {
			if h%l.Pool != 0 || w%l.Pool != 0 {
				return cv, fmt.Errorf("trainer: layer %s: pool %d does not divide its input %dx%d", name, l.Pool, h, w)
			}
			cv.OutH, cv.OutW = h/l.Pool, w/l.Pool
		}
		return cv, nil
	}
	in := c
	for i, l := range m.Stem {
		cv, err := conv(fmt.Sprintf("stem.%d", i), in, l, h, w, -1)
		if err != nil {
			return nil, err
		}
		a.Stem = append(a.Stem, cv)
		in, h, w = cv.Out, cv.OutH, cv.OutW
	}
	a.Branches = make([][]Conv, m.Branches)
	a.RejoinChannels = make([]int, m.Branches)
	for b := 0; b < m.Branches; b++ {
		bin, bh, bw := in, h, w
		for i, l := range m.BranchLayers(b) {
			cv, err := conv(fmt.Sprintf("branch.%d.%d", b, i), bin, l, bh, bw, b)
			if err != nil {
				return nil, err
			}
			if i == a.MixLayer {
				cv.In, cv.Mixed = bin*m.Branches, true
			}
			a.Branches[b] = append(a.Branches[b], cv)
			bin, bh, bw = cv.Out, cv.OutH, cv.OutW
		}
		if b == 0 {
			a.RejoinH, a.RejoinW = bh, bw
		} else if bh != a.RejoinH || bw != a.RejoinW {
			return nil, fmt.Errorf("trainer: branch %d ends at %dx%d but branch 0 at %dx%d: the concat needs equal sizes", b, bh, bw, a.RejoinH, a.RejoinW)
		}
		a.RejoinChannels[b] = bin
	}
	if a.MixLayer >= 0 {
		if err := a.checkMixing(); err != nil {
			return nil, err
		}
	}
	in, h, w = 0, a.RejoinH, a.RejoinW
	for _, ch := range a.RejoinChannels {
		in += ch
	}
	for i, l := range m.Trunk {
		cv, err := conv(fmt.Sprintf("trunk.%d", i), in, l, h, w, -1)
		if err != nil {
			return nil, err
		}
		a.Trunk = append(a.Trunk, cv)
		in, h, w = cv.Out, cv.OutH, cv.OutW
	}
	flat := in * h * w
	for i, width := range m.Hidden {
		a.Hidden = append(a.Hidden, Dense{Name: fmt.Sprintf("hidden.%d", i), In: flat, Out: width})
		flat = width
	}
	a.Out = Dense{Name: "out", In: flat, Out: a.Classes}
	return a, nil
}

// Param is one trainable tensor of the model.
type Param struct {
	Name   string // layer name + ".w" or ".b"
	Layer  string
	Branch int // branch index, -1 outside the branches
	Shape  []int
	FanIn  int
	FanOut int
	Value  *tensor.Dense
	// Mask is the fixed 0/1 connection mask of a mixed layer's weights
	// (same shape as Value), applied in the graph; nil for every other
	// parameter. Weights where the mask is 0 are kept at 0.
	Mask []float32
}

// Data returns the parameter's float32 backing slice.
func (p *Param) Data() []float32 { return p.Value.Data().([]float32) }

// Model is a branched CNN's architecture and parameters. The parameters'
// tensors are shared by every graph built from the model, so an update by
// the solver is seen by all of them.
type Model struct {
	Arch   *Arch
	Params []*Param
	Bias   bool
	Init   string
	byName map[string]*Param
}

// NewModel builds the model of cfg with weights drawn from rng: He normal
// (std sqrt(2/fan_in)) or Glorot normal (std sqrt(2/(fan_in+fan_out)))
// weights and zero biases, drawn in parameter order. Under the mixing
// regime the mixed layers' connection masks are drawn first, from the
// run's "mixing" stream (see DrawMask), and their weights use each output
// unit's effective fan-in (see InitParam). NewModel does not apply the bias
// regime; New does.
func NewModel(cfg *configs.Config, rng *rand.Rand) (*Model, error) {
	arch, err := NewArch(cfg)
	if err != nil {
		return nil, err
	}
	m := &Model{Arch: arch, Bias: cfg.Model.Bias, Init: cfg.Model.Init, byName: map[string]*Param{}}
	for _, cv := range arch.Convs() {
		m.add(cv.Name, cv.Branch, []int{cv.Out, cv.In, cv.K, cv.K}, cv.In*cv.K*cv.K, cv.Out*cv.K*cv.K)
	}
	for _, d := range append(append([]Dense(nil), arch.Hidden...), arch.Out) {
		m.add(d.Name, -1, []int{d.Out, d.In}, d.In, d.Out)
	}
	if arch.MixLayer >= 0 {
		m.drawMasks(Stream(cfg.Seed, "mixing", 0))
	}
	for _, p := range m.Params {
		m.InitParam(p, rng)
	}
	return m, nil
}

func (m *Model) add(layer string, branch int, wShape []int, fanIn, fanOut int) {
	n := 1
	for _, s := range wShape {
		n *= s
	}
	w := &Param{Name: layer + ".w", Layer: layer, Branch: branch, Shape: wShape, FanIn: fanIn, FanOut: fanOut,
		Value: tensor.New(tensor.WithShape(wShape...), tensor.WithBacking(make([]float32, n)))}
	m.Params = append(m.Params, w)
	m.byName[w.Name] = w
	if m.Bias {
		b := &Param{Name: layer + ".b", Layer: layer, Branch: branch, Shape: []int{wShape[0]}, FanIn: fanIn, FanOut: fanOut,
			Value: tensor.New(tensor.WithShape(wShape[0]), tensor.WithBacking(make([]float32, wShape[0])))}
		m.Params = append(m.Params, b)
		m.byName[b.Name] = b
	}
}

// InitParam redraws p from the model's initialiser: weights normal with the
// He or Glorot standard deviation, biases zero:
//
//	he:     std = sqrt(2 / fan_in)
//	glorot: std = sqrt(2 / (fan_in + fan_out))
//
// A masked weight (a mixed layer) draws only its connected entries, in
// row-major order, and sets the others to 0; fan_in is then each output
// unit's effective fan-in, K*K times the number of input channels its mask
// connects. With p = 0 this draws exactly the values, in the same order, that
// the branched layer [Out, In, K, K] draws.
func (m *Model) InitParam(p *Param, rng *rand.Rand) {
	d := p.Data()
	if len(p.Shape) == 1 {
		clear(d)
		return
	}
	std := func(fanIn int) float64 {
		if m.Init == configs.InitGlorot {
			return math.Sqrt(2 / float64(fanIn+p.FanOut))
		}
		return math.Sqrt(2 / float64(fanIn))
	}
	if p.Mask == nil {
		s := std(p.FanIn)
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
		s := std(fanIn)
		for i := range w {
			w[i] = 0
			if mk[i] != 0 {
				w[i] = float32(rng.NormFloat64() * s)
			}
		}
	}
}

// Param returns the parameter with the given name, or nil.
func (m *Model) Param(name string) *Param { return m.byName[name] }

// NumParams is the total number of scalar parameters.
func (m *Model) NumParams() int {
	n := 0
	for _, p := range m.Params {
		n += len(p.Data())
	}
	return n
}

// Convs lists every conv layer in forward order: stem, branches (branch 0's
// layers first), trunk.
func (a *Arch) Convs() []Conv {
	var cs []Conv
	cs = append(cs, a.Stem...)
	for _, br := range a.Branches {
		cs = append(cs, br...)
	}
	return append(cs, a.Trunk...)
}

// FirstRGBConvs returns, per branch, the first conv that reads the input
// image when the split is at the first conv (no stem); with a stem it
// returns the stem's first layer as a single group.
func (a *Arch) FirstRGBConvs() []Conv {
	if len(a.Stem) > 0 {
		return []Conv{a.Stem[0]}
	}
	cs := make([]Conv, len(a.Branches))
	for b, br := range a.Branches {
		cs[b] = br[0]
	}
	return cs
}

// RejoinC is the number of channels at the rejoin, summed over branches.
func (a *Arch) RejoinC() int {
	c := 0
	for _, ch := range a.RejoinChannels {
		c += ch
	}
	return c
}
