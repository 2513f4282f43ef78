package trainer

import (
	"fmt"

	"branchspec/configs"
)

// Conv is one conv layer placed in the net: the config's layer (its knobs:
// output channels, kernel, pool, and any knob configs.Layer gains) with the
// shapes it meets. Every conv is "same"-padded with stride 1, then ReLU,
// then a max pool of size Pool (0 or 1: none).
//
// A new per-layer knob (a stride, LRN, a pool stride, global average
// pooling, an init scale, a linear activation) is a field of configs.Layer
// (with its check and the shape rule of configs' Layers walker), its shape
// rule in outputSize, the one place here that turns knobs into an output
// shape, and its ops in the graph builder's conv, the one place that turns
// them into ops; an init scale goes to Model.initStd.
type Conv struct {
	configs.Layer
	Name string
	// In is the number of input channels it reads; H and W its input size,
	// OutH and OutW its output size after pooling.
	In         int
	H, W       int
	OutH, OutW int
	Branch     int // branch index, or -1 outside the branches
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
	if mx := cfg.Regime.Mixing; mx.Layer != "" {
		i, err := mixIndex(mx.Layer)
		if err != nil {
			return nil, err
		}
		a.MixLayer, a.MixP = i, mx.P
	}
	m := cfg.Model
	stem, err := convStack("stem", -1, m.Stem, shape{c, h, w})
	if err != nil {
		return nil, err
	}
	a.Stem = stem
	if err := a.addBranches(m, outShape(stem, shape{c, h, w})); err != nil {
		return nil, err
	}
	if a.Trunk, err = convStack("trunk", -1, m.Trunk, shape{a.RejoinC(), a.RejoinH, a.RejoinW}); err != nil {
		return nil, err
	}
	a.addDense(m.Hidden, outShape(a.Trunk, shape{a.RejoinC(), a.RejoinH, a.RejoinW}))
	return a, nil
}

// shape is a feature map's channels, height and width.
type shape struct{ c, h, w int }

// outputSize is the spatial size of the layer's output for an input of
// h x w: "same" padding and stride 1 keep it, a max pool of size Pool > 1
// divides it (and must divide it exactly).
func (cv Conv) outputSize(h, w int) (oh, ow int, err error) {
	if cv.Pool <= 1 {
		return h, w, nil
	}
	if h%cv.Pool != 0 || w%cv.Pool != 0 {
		return 0, 0, fmt.Errorf("trainer: layer %s: pool %d does not divide its input %dx%d", cv.Name, cv.Pool, h, w)
	}
	return h / cv.Pool, w / cv.Pool, nil
}

// placeConv places layer l, named name, on an input of shape in.
func placeConv(name string, branch int, l configs.Layer, in shape) (Conv, error) {
	cv := Conv{Layer: l, Name: name, In: in.c, H: in.h, W: in.w, Branch: branch}
	var err error
	cv.OutH, cv.OutW, err = cv.outputSize(in.h, in.w)
	return cv, err
}

// convStack places the layers ls, named prefix.I, one after the other
// from input shape in.
func convStack(prefix string, branch int, ls []configs.Layer, in shape) ([]Conv, error) {
	var cs []Conv
	for i, l := range ls {
		cv, err := placeConv(fmt.Sprintf("%s.%d", prefix, i), branch, l, in)
		if err != nil {
			return nil, err
		}
		cs = append(cs, cv)
		in = shape{cv.Out, cv.OutH, cv.OutW}
	}
	return cs, nil
}

// outShape is the output shape of the stack cs, or in when it is empty.
func outShape(cs []Conv, in shape) shape {
	if len(cs) == 0 {
		return in
	}
	l := cs[len(cs)-1]
	return shape{l.Out, l.OutH, l.OutW}
}

// addBranches places every branch on the stem's output in and records the
// rejoin's shape; the branches must end at one spatial size.
func (a *Arch) addBranches(m configs.Model, in shape) error {
	a.Branches = make([][]Conv, m.Branches)
	a.RejoinChannels = make([]int, m.Branches)
	for b := range m.Branches {
		br, err := convStack(fmt.Sprintf("branch.%d", b), b, m.BranchLayers(b), in)
		if err != nil {
			return err
		}
		if a.MixLayer >= 0 && a.MixLayer < len(br) {
			br[a.MixLayer].In, br[a.MixLayer].Mixed = br[a.MixLayer].In*m.Branches, true
		}
		end := outShape(br, in)
		if b == 0 {
			a.RejoinH, a.RejoinW = end.h, end.w
		} else if end.h != a.RejoinH || end.w != a.RejoinW {
			return fmt.Errorf("trainer: branch %d ends at %dx%d but branch 0 at %dx%d: the concat needs equal sizes", b, end.h, end.w, a.RejoinH, a.RejoinW)
		}
		a.Branches[b], a.RejoinChannels[b] = br, end.c
	}
	if a.MixLayer >= 0 {
		return a.checkMixing()
	}
	return nil
}

// addDense places the hidden layers and the output layer on the flattened
// trunk output in.
func (a *Arch) addDense(hidden []int, in shape) {
	flat := in.c * in.h * in.w
	for i, width := range hidden {
		a.Hidden = append(a.Hidden, Dense{Name: fmt.Sprintf("hidden.%d", i), In: flat, Out: width})
		flat = width
	}
	a.Out = Dense{Name: "out", In: flat, Out: a.Classes}
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

// FirstConvs returns, per branch, the first conv that reads the input
// image when the split is at the first conv (no stem); with a stem it
// returns the stem's first layer as a single group.
func (a *Arch) FirstConvs() []Conv {
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

// rejoinLayer is the first layer after the concat: the first trunk conv,
// reading K*K taps per input channel, or else the first fully connected
// layer (hidden.0, or out), reading the RejoinH*RejoinW pixels of each
// channel (a linear layer after the flatten reads channel-major inputs,
// so its weights are [out, channel, pixel]).
func (a *Arch) rejoinLayer() (name string, out, taps int) {
	if len(a.Trunk) > 0 {
		cv := a.Trunk[0]
		return cv.Name, cv.Out, cv.Kernel * cv.Kernel
	}
	if len(a.Hidden) > 0 {
		return a.Hidden[0].Name, a.Hidden[0].Out, a.RejoinH * a.RejoinW
	}
	return a.Out.Name, a.Out.Out, a.RejoinH * a.RejoinW
}
