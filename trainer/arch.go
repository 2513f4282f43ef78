package trainer

import (
	"fmt"
	"strings"

	"branchspec/configs"
)

// Conv is one conv layer placed in the net: the config's layer (its knobs:
// output channels, kernel, stride, activation, LRN, pool and pool stride,
// init) with the shapes it meets. The conv is zero-padded by Kernel/2 on
// every side; configs.Layer.Shape is the one rule for its output size, and
// NewArch takes every shape from configs' Layers walker.
//
// A new per-layer knob is a field of configs.Layer (with its check, and its
// shape rule in Layer.Shape), and its ops in the graph builder's conv, the
// one place that turns knobs into ops; an init knob goes to
// Model.InitParam.
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
	// GlobalPool averages the trunk's output over positions before the
	// dense layers (model.global_pool).
	GlobalPool bool
	// LRN holds the constants of the convs with LRN set.
	LRN    configs.LRN
	Hidden []Dense
	Out    Dense
	// RejoinChannels[b] is the number of channels branch b adds to the concat.
	RejoinChannels []int
	RejoinH        int
	RejoinW        int
	// MixLayer is I of the mixing regime's "branch.*.I", or -1 when the
	// regime is off; MixP is its fraction p of cross-branch connections.
	MixLayer int
	MixP     float64
	// GrayBranch is the branch whose first conv reads gray(x) (the
	// gray_branch regime; see Model.Build), or -1.
	GrayBranch int
}

// NewArch resolves the architecture of cfg from configs' Layers walker,
// which checks that every shape fits.
func NewArch(cfg *configs.Config) (*Arch, error) {
	layers, err := cfg.Layers()
	if err != nil {
		return nil, fmt.Errorf("trainer: %w", err)
	}
	c, h, w := cfg.InputShape()
	m := cfg.Model
	a := &Arch{C: c, H: h, W: w, Classes: cfg.Classes(), MixLayer: -1, GrayBranch: cfg.Regime.GrayBranch, GlobalPool: m.GlobalPool, LRN: m.LRN,
		Branches: make([][]Conv, m.Branches), RejoinChannels: make([]int, m.Branches)}
	if mx := cfg.Regime.Mixing; mx.Layer != "" {
		i, err := mixIndex(mx.Layer)
		if err != nil {
			return nil, err
		}
		a.MixLayer, a.MixP = i, mx.P
	}
	for _, l := range layers {
		if l.Kind == configs.KindLinear {
			d := Dense{Name: l.Name, In: l.In[0], Out: l.Out[0]}
			if l.Name == "out" {
				a.Out = d
			} else {
				a.Hidden = append(a.Hidden, d)
			}
			continue
		}
		cv := Conv{Layer: l.Layer, Name: l.Name, In: l.In[0], H: l.In[1], W: l.In[2], OutH: l.Out[1], OutW: l.Out[2], Branch: l.Branch}
		switch {
		case l.Branch >= 0:
			a.Branches[l.Branch] = append(a.Branches[l.Branch], cv)
		case strings.HasPrefix(l.Name, "stem."):
			a.Stem = append(a.Stem, cv)
		default:
			a.Trunk = append(a.Trunk, cv)
		}
	}
	return a, a.addBranches(m.Branches)
}

// addBranches records the rejoin's shape (the walker has checked that
// every branch ends at one spatial size) and marks the mixed layers.
func (a *Arch) addBranches(branches int) error {
	for b, br := range a.Branches {
		end := br[len(br)-1]
		a.RejoinChannels[b] = end.Out
		a.RejoinH, a.RejoinW = end.OutH, end.OutW
		if a.MixLayer >= 0 && a.MixLayer < len(br) {
			br[a.MixLayer].In, br[a.MixLayer].Mixed = br[a.MixLayer].In*branches, true
		}
	}
	if g := a.GrayBranch; g >= 0 && (g >= branches || len(a.Stem) > 0 || a.C != 3) {
		return fmt.Errorf("trainer: gray_branch regime: branch %d of %d, %d stem layer(s), %d input channel(s); want a branch whose first conv reads 3 channels", g, branches, len(a.Stem), a.C)
	}
	if a.MixLayer >= 0 {
		return a.checkMixing()
	}
	return nil
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
// so its weights are [out, channel, pixel]), or one value per channel
// after a global average pool.
func (a *Arch) rejoinLayer() (name string, out, taps int) {
	if len(a.Trunk) > 0 {
		cv := a.Trunk[0]
		return cv.Name, cv.Out, cv.Kernel * cv.Kernel
	}
	taps = a.RejoinH * a.RejoinW
	if a.GlobalPool {
		taps = 1
	}
	if len(a.Hidden) > 0 {
		return a.Hidden[0].Name, a.Hidden[0].Out, taps
	}
	return a.Out.Name, a.Out.Out, taps
}
