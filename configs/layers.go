package configs

import (
	"fmt"
	"strconv"
	"strings"
)

// Layer kinds of LayerInfo.
const (
	KindConv   = "conv"
	KindLinear = "linear"
)

// LayerInfo describes one parameterised layer of the model that a config
// defines, with the shapes its input and output have for one example.
type LayerInfo struct {
	// Name is the stable parameter name: stem.I, branch.B.I, trunk.I,
	// hidden.I or out (tensors are Name+".w" and Name+".b").
	Name string
	// Kind is KindConv or KindLinear.
	Kind string
	// In and Out are channels, height and width; a linear layer has
	// [features, 1, 1]. Out is after the activation, LRN and pooling.
	In, Out [3]int
	// Kernel and Pool are the conv's (0 for linear layers).
	Kernel, Pool int
	// Layer is the conv's config (zero for linear layers).
	Layer Layer
	// Branch is the branch index of a branch layer, -1 for the others.
	Branch int
	// Params counts weights plus biases:
	//
	//	conv:   Out*In*Kernel^2 (+ Out with bias)
	//	linear: Out*In          (+ Out with bias)
	Params int
}

// Layers walks the architecture from InputShape and returns every
// parameterised layer in forward order: stem, then branch 0's layers,
// branch 1's, ..., then trunk, hidden and out. The branches all read the
// stem's output (the input itself without a stem) and rejoin by channel
// concatenation; the trunk's output is flattened for the linear layers.
//
// Each conv's output size is Layer.Shape's, the one shape rule of the
// module (trainer builds its net from these layers). With
// model.global_pool the linear layers read one feature per channel of the
// trunk's output.
//
// It checks the shapes only (every pool fits its feature map, the
// branches end at equal spatial sizes, per_branch has one list per branch);
// the other ranges are Validate's. Errors are *Error naming the key.
func (c *Config) Layers() ([]LayerInfo, error) {
	m := &c.Model
	if e := intIn("model.branches", m.Branches, 1, 8); e != nil {
		return nil, e
	}
	if len(m.PerBranch) > 0 && len(m.PerBranch) != m.Branches {
		return nil, keyError("model.per_branch", fmt.Sprintf("has %d lists but model.branches is %d; give exactly one list per branch", len(m.PerBranch), m.Branches))
	}
	w := &walker{bias: m.Bias, branch: -1}
	ch, h, wd := c.InputShape()
	x := w.convs("stem", "model.stem", m.Stem, [3]int{ch, h, wd})
	ends := make([][3]int, m.Branches)
	for b := range m.Branches {
		key := "model.branch"
		if len(m.PerBranch) > 0 {
			key = fmt.Sprintf("model.per_branch[%d]", b)
		}
		w.branch = b
		ends[b] = w.convs("branch."+strconv.Itoa(b), key, m.BranchLayers(b), x)
	}
	w.branch = -1
	if w.err != nil {
		return nil, w.err
	}
	x = [3]int{0, ends[0][1], ends[0][2]}
	for b, e := range ends {
		if e[1] != x[1] || e[2] != x[2] {
			return nil, keyError("model.per_branch", fmt.Sprintf("branch %d ends at %dx%d but branch 0 at %dx%d; the concat needs equal final spatial sizes", b, e[1], e[2], x[1], x[2]))
		}
		x[0] += e[0]
	}
	x = w.convs("trunk", "model.trunk", m.Trunk, x)
	if w.err != nil {
		return nil, w.err
	}
	features := x[0] * x[1] * x[2]
	if m.GlobalPool {
		features = x[0]
	}
	for i, n := range append(append([]int(nil), m.Hidden...), c.Classes()) {
		name := "out"
		if i < len(m.Hidden) {
			name = "hidden." + strconv.Itoa(i)
		}
		w.add(LayerInfo{Name: name, Kind: KindLinear, In: [3]int{features, 1, 1}, Out: [3]int{n, 1, 1},
			Branch: -1, Params: features * n})
		features = n
	}
	return w.layers, nil
}

// walker accumulates layers and the first shape error.
type walker struct {
	bias   bool
	branch int // the branch being walked, -1 outside
	layers []LayerInfo
	err    *Error
}

func (w *walker) add(l LayerInfo) {
	if w.bias {
		l.Params += l.Out[0]
	}
	w.layers = append(w.layers, l)
}

// convs appends the conv layers ls named prefix.I (defined at key[I]) to
// input shape x and returns the output shape.
func (w *walker) convs(prefix, key string, ls []Layer, x [3]int) [3]int {
	for i, l := range ls {
		if w.err != nil {
			return x
		}
		name := prefix + "." + strconv.Itoa(i)
		oh, ow, err := l.Shape(x[1], x[2])
		if err != nil {
			w.err = keyError(fmt.Sprintf("%s[%d].%s", key, i, err.Key), err.Msg+" of layer "+name)
			return x
		}
		y := [3]int{l.Out, oh, ow}
		w.add(LayerInfo{Name: name, Kind: KindConv, In: x, Out: y, Kernel: l.Kernel, Pool: l.Pool,
			Layer: l, Branch: w.branch, Params: l.Out * x[0] * l.Kernel * l.Kernel})
		x = y
	}
	return x
}

// Shape returns the layer's output size for an h x w input: the conv's
// (zero padding Kernel/2 on every side, stride s = max(Stride, 1)), then
// the pool's (size P = Pool when >= 2):
//
//	conv:                 n' = floor((n + 2*(K/2) - K) / s) + 1 = floor((n - 1) / s) + 1
//	pool, pool_stride 0:  n'' = n' / P           (P must divide n')
//	pool, pool_stride S:  n'' = floor((n' - P) / S) + 1   (P <= n')
//
// the sizes of PyTorch's Conv2d(padding=K//2, stride=s) and
// MaxPool2d(P, stride) for odd K. A pool that does not fit gives an *Error
// whose Key is the field at fault ("pool") and whose message names the
// feature map.
func (l Layer) Shape(h, w int) (oh, ow int, err *Error) {
	s := max(l.Stride, 1)
	oh, ow = (h-1)/s+1, (w-1)/s+1
	if l.Pool < 2 {
		return oh, ow, nil
	}
	if l.PoolStride == 0 {
		if oh%l.Pool != 0 || ow%l.Pool != 0 {
			return 0, 0, &Error{Key: "pool", Msg: fmt.Sprintf("max pool %d does not divide the %dx%d feature map", l.Pool, oh, ow)}
		}
		return oh / l.Pool, ow / l.Pool, nil
	}
	if l.Pool > oh || l.Pool > ow {
		return 0, 0, &Error{Key: "pool", Msg: fmt.Sprintf("max pool %d (stride %d) does not fit in the %dx%d feature map", l.Pool, l.PoolStride, oh, ow)}
	}
	return (oh-l.Pool)/l.PoolStride + 1, (ow-l.Pool)/l.PoolStride + 1, nil
}

// Expand resolves a regime layer name to the parameter layer names it
// covers: "branch.*.I" gives branch.0.I .. branch.(B-1).I (every branch must
// have layer I); stem.I, branch.B.I, trunk.I, hidden.I and out give
// themselves. Indexes are decimal without leading zeros. An error (an
// *Error without Key) says why the name is malformed or missing.
func (c *Config) Expand(name string) ([]string, error) {
	bad := func(format string, args ...any) ([]string, error) {
		return nil, &Error{Msg: fmt.Sprintf(format, args...)}
	}
	m := &c.Model
	parts := strings.Split(name, ".")
	index := func(s string) int {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || strconv.Itoa(n) != s {
			return -1
		}
		return n
	}
	counts := map[string]int{"stem": len(m.Stem), "trunk": len(m.Trunk), "hidden": len(m.Hidden)}
	switch {
	case name == "out":
		return []string{name}, nil
	case len(parts) == 2 && index(parts[1]) >= 0:
		n, ok := counts[parts[0]]
		if !ok {
			break
		}
		if index(parts[1]) >= n {
			return bad("no layer %q: the model has %d %s layer(s)", clip(name), n, parts[0])
		}
		return []string{name}, nil
	case len(parts) == 3 && parts[0] == "branch" && index(parts[2]) >= 0:
		i := index(parts[2])
		bs := []int{index(parts[1])}
		if parts[1] == "*" {
			bs = bs[:0]
			for b := range m.Branches {
				bs = append(bs, b)
			}
		} else if bs[0] < 0 {
			break
		}
		var names []string
		for _, b := range bs {
			if b >= m.Branches {
				return bad("no layer %q: the model has %d branch(es)", clip(name), m.Branches)
			}
			if len(m.PerBranch) > 0 && len(m.PerBranch) != m.Branches {
				return bad("no layer %q: model.per_branch does not match model.branches", clip(name))
			}
			if n := len(m.BranchLayers(b)); i >= n {
				return bad("no layer %q: branch %d has %d layer(s)", clip(name), b, n)
			}
			names = append(names, fmt.Sprintf("branch.%d.%d", b, i))
		}
		return names, nil
	}
	return bad("bad layer name %q; want stem.I, branch.B.I, branch.*.I, trunk.I, hidden.I or out", clip(name))
}
