package trainer

import (
	"math"
	"math/rand/v2"
	"testing"

	"branchspec/configs"
)

// testConfig is a small model with every layer kind: a stem, two
// heterogeneous branches, a trunk conv and a hidden layer.
func testConfig(t *testing.T, sets ...string) *configs.Config {
	t.Helper()
	cfg, err := configs.Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	base := []string{
		"model.stem=[{out = 3, kernel = 3, pool = 0}]",
		"model.per_branch=[[{out = 2, kernel = 3, pool = 2}], [{out = 3, kernel = 1, pool = 2}, {out = 2, kernel = 5, pool = 0}]]",
		"model.trunk=[{out = 4, kernel = 3, pool = 2}]",
		"model.hidden=[5]",
		"optim.batch_size=3",
	}
	if err := cfg.SetAll(append(base, sets...)); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// refForward is an independent float64 forward pass of a model: naive
// loops written from the definitions, to check the graph against.
func refForward(m *Model, x []float64, labels []int, n int) (loss float64, logits [][]float64) {
	a := m.arch
	param := func(name string) []float64 {
		p := m.Param(name)
		if p == nil {
			return nil
		}
		out := make([]float64, len(p.Data()))
		for i, v := range p.Data() {
			out[i] = float64(v)
		}
		return out
	}
	type fmap struct {
		c, h, w int
		v       []float64
	}
	lrn := a.LRN
	conv := func(in fmap, cv Conv) fmap {
		w, b := param(cv.Name+".w"), param(cv.Name+".b")
		// PyTorch's conv output size with padding K/2 and stride s.
		p, st := cv.Kernel/2, max(cv.Stride, 1)
		oh, ow := (in.h+2*p-cv.Kernel)/st+1, (in.w+2*p-cv.Kernel)/st+1
		out := fmap{cv.Out, oh, ow, make([]float64, cv.Out*oh*ow)}
		for o := 0; o < cv.Out; o++ {
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					s := 0.0
					if b != nil {
						s = b[o]
					}
					for c := 0; c < in.c; c++ {
						for di := 0; di < cv.Kernel; di++ {
							for dj := 0; dj < cv.Kernel; dj++ {
								ii, jj := i*st+di-p, j*st+dj-p
								if ii >= 0 && ii < in.h && jj >= 0 && jj < in.w {
									s += w[((o*in.c+c)*cv.Kernel+di)*cv.Kernel+dj] * in.v[(c*in.h+ii)*in.w+jj]
								}
							}
						}
					}
					if cv.Activation != configs.ActivationLinear {
						s = math.Max(s, 0)
					}
					out.v[(o*oh+i)*ow+j] = s
				}
			}
		}
		if cv.LRN {
			// y[c] = x[c] / (k + alpha sum_{c' in [c - n/2, c + (n-1)/2]} x[c']^2)^beta
			norm := make([]float64, len(out.v))
			hw := oh * ow
			for c := 0; c < out.c; c++ {
				for i := 0; i < hw; i++ {
					sum := 0.0
					for c2 := max(0, c-lrn.Size/2); c2 <= min(out.c-1, c+(lrn.Size-1)/2); c2++ {
						sum += out.v[c2*hw+i] * out.v[c2*hw+i]
					}
					norm[c*hw+i] = out.v[c*hw+i] / math.Pow(lrn.K+lrn.Alpha*sum, lrn.Beta)
				}
			}
			out.v = norm
		}
		if cv.Pool < 2 {
			return out
		}
		q, qs := cv.Pool, cv.PoolStride
		if qs == 0 {
			qs = q
		}
		ph, pw := (out.h-q)/qs+1, (out.w-q)/qs+1
		pooled := fmap{out.c, ph, pw, make([]float64, out.c*ph*pw)}
		for c := 0; c < out.c; c++ {
			for i := 0; i < pooled.h; i++ {
				for j := 0; j < pooled.w; j++ {
					mx := math.Inf(-1)
					for di := 0; di < q; di++ {
						for dj := 0; dj < q; dj++ {
							mx = math.Max(mx, out.v[(c*out.h+i*qs+di)*out.w+j*qs+dj])
						}
					}
					pooled.v[(c*pooled.h+i)*pooled.w+j] = mx
				}
			}
		}
		return pooled
	}
	dense := func(in []float64, d Dense, relu bool) []float64 {
		w, b := param(d.Name+".w"), param(d.Name+".b")
		out := make([]float64, d.Out)
		for o := range out {
			s := 0.0
			if b != nil {
				s = b[o]
			}
			for i, v := range in {
				s += w[o*d.In+i] * v
			}
			if relu {
				s = math.Max(s, 0)
			}
			out[o] = s
		}
		return out
	}
	size := a.C * a.H * a.W
	for e := 0; e < n; e++ {
		h := fmap{a.C, a.H, a.W, x[e*size : (e+1)*size]}
		for _, cv := range a.Stem {
			h = conv(h, cv)
		}
		var cat fmap
		for b, br := range a.Branches {
			hb := h
			if b == a.GrayBranch {
				// gray(x): Rec. 601 luminance replicated over the channels.
				hw := h.h * h.w
				hb = fmap{3, h.h, h.w, make([]float64, 3*hw)}
				for i := range hw {
					y := 0.299*h.v[i] + 0.587*h.v[hw+i] + 0.114*h.v[2*hw+i]
					hb.v[i], hb.v[hw+i], hb.v[2*hw+i] = y, y, y
				}
			}
			for _, cv := range br {
				hb = conv(hb, cv)
			}
			cat = fmap{cat.c + hb.c, hb.h, hb.w, append(cat.v, hb.v...)}
		}
		h = cat
		for _, cv := range a.Trunk {
			h = conv(h, cv)
		}
		v := h.v
		if a.GlobalPool {
			v = make([]float64, h.c)
			for c := range v {
				for _, x := range h.v[c*h.h*h.w : (c+1)*h.h*h.w] {
					v[c] += x
				}
				v[c] /= float64(h.h * h.w)
			}
		}
		for _, d := range a.Hidden {
			v = dense(v, d, true)
		}
		z := dense(v, a.Out, false)
		logits = append(logits, z)
		mx := math.Inf(-1)
		for _, zi := range z {
			mx = math.Max(mx, zi)
		}
		s := 0.0
		for _, zi := range z {
			s += math.Exp(zi - mx)
		}
		loss += mx + math.Log(s) - z[labels[e]]
	}
	return loss / float64(n), logits
}

func randomBatch(net *Net, classes int, rng *rand.Rand) (x []float64, labels []int) {
	xs, ys := net.Input()
	for i := range xs {
		xs[i] = float32(rng.Float64()*2 - 1)
		x = append(x, float64(xs[i]))
	}
	for i := range ys {
		labels = append(labels, rng.IntN(classes))
		ys[i] = float32(labels[i])
	}
	return x, labels
}

// natural are the overrides of testConfig that use every knob of the
// AlexNet conditions: on the 16x16 input each branch is conv 5x5/2 (8x8),
// LRN (constants strong enough to matter), pool 3/2 (3x3), then a linear
// 3x3 conv with LRN; the trunk's 3x3 output is averaged per channel.
var natural = []string{
	"model.stem=[]", "model.per_branch=[]",
	`model.branch=[{out = 3, kernel = 5, stride = 2, lrn = true, pool = 3, pool_stride = 2}, {out = 3, kernel = 3, lrn = true, activation = "linear"}]`,
	"model.trunk=[{out = 4, kernel = 3}]", "model.global_pool=true", "model.lrn={size = 3, k = 1.5, alpha = 0.5, beta = 0.75}",
}

// TestForwardMatchesReference checks the whole graph (stem, heterogeneous
// branches, concat, trunk, hidden, loss; and the natural-image knobs)
// against the float64 reference.
func TestForwardMatchesReference(t *testing.T) {
	for _, sets := range [][]string{nil, natural, append(natural, "regime.gray_branch=1")} {
		forwardMatchesReference(t, testConfig(t, sets...))
	}
}

func forwardMatchesReference(t *testing.T, cfg *configs.Config) {
	m, err := NewModel(cfg, Stream(3, "init", 0))
	if err != nil {
		t.Fatal(err)
	}
	// Nonzero biases, so that they are checked too.
	rng := rand.New(rand.NewPCG(1, 2))
	for _, p := range m.params {
		if len(p.Shape) == 1 {
			for i := range p.Data() {
				p.Data()[i] = float32(rng.NormFloat64() * 0.1)
			}
		}
	}
	for _, train := range []bool{true, false} {
		net, err := m.Build(NetOptions{Batch: 3, Train: train})
		if err != nil {
			t.Fatal(err)
		}
		x, labels := randomBatch(net, m.arch.Classes, rng)
		if err := net.Run(); err != nil {
			t.Fatal(err)
		}
		wantLoss, wantLogits := refForward(m, x, labels, 3)
		const tol = 1e-4 // float32 accumulation over a few hundred terms
		if got := net.LossValue(); math.Abs(got-wantLoss) > tol*math.Max(1, wantLoss) {
			t.Errorf("train=%v: loss %v, reference %v", train, got, wantLoss)
		}
		got := net.LogitsValue()
		for e, row := range wantLogits {
			for k, v := range row {
				if g := float64(got[e*m.arch.Classes+k]); math.Abs(g-v) > tol*math.Max(1, math.Abs(v)) {
					t.Errorf("train=%v: logit[%d][%d] = %v, reference %v", train, e, k, g, v)
				}
			}
		}
		net.Close()
	}
}

// TestLossHandComputed: with all weights zero the logits are zero and the
// loss is exactly log(classes) whatever the input (a closed form).
func TestLossHandComputed(t *testing.T) {
	cfg := testConfig(t)
	m, err := NewModel(cfg, Stream(1, "init", 0))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range m.params {
		clear(p.Data())
	}
	net, err := m.Build(NetOptions{Batch: 3, Train: true})
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()
	randomBatch(net, m.arch.Classes, rand.New(rand.NewPCG(5, 6)))
	if err := net.Run(); err != nil {
		t.Fatal(err)
	}
	want := math.Log(float64(m.arch.Classes))
	if got := net.LossValue(); math.Abs(got-want) > 1e-6 {
		t.Errorf("loss %v, want log(%d) = %v", got, m.arch.Classes, want)
	}
}

// TestModelGradientFiniteDifference checks every parameter's gradient of
// the whole model's loss against a central difference of the float64
// reference loss along a random direction d: d/de L(w + e*d) at e = 0.
// Biases are nonzero so that no ReLU sits exactly at its kink, and e is
// small enough (1e-5) that no ReLU or max pool changes its choice.
func TestModelGradientFiniteDifference(t *testing.T) {
	for _, tc := range []struct {
		name string
		sets []string
	}{
		{"stem and heterogeneous branches", nil},
		{"split at the first conv", []string{"model.stem=[]"}},
		{"homogeneous branches", []string{"model.per_branch=[]", "model.branch=[{out = 2, kernel = 3, pool = 2}]"}},
		{"unpooled branches, pool 4 trunk", []string{"model.per_branch=[]", "model.branch=[{out = 2, kernel = 3, pool = 0}]", "model.trunk=[{out = 4, kernel = 3, pool = 4}]"}},
		{"no trunk, no hidden", []string{"model.stem=[]", "model.trunk=[]", "model.hidden=[]"}},
		{"strided conv, LRN, overlapping pool, linear conv, global pool", natural},
		{"global pool without a trunk", append(natural, "model.trunk=[]", "model.hidden=[]")},
		{"gray branch 0", []string{"model.stem=[]", "regime.gray_branch=0"}},
		{"gray branch 1, natural knobs", append(natural, "regime.gray_branch=1")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := NewModel(testConfig(t, tc.sets...), Stream(7, "init", 0))
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(8, 9))
			for _, p := range m.params {
				if len(p.Shape) == 1 {
					for i := range p.Data() {
						p.Data()[i] = float32(rng.NormFloat64() * 0.1)
					}
				}
			}
			net, err := m.Build(NetOptions{Batch: 3, Train: true})
			if err != nil {
				t.Fatal(err)
			}
			defer net.Close()
			x, labels := randomBatch(net, m.arch.Classes, rng)
			if err := net.Run(); err != nil {
				t.Fatal(err)
			}
			const eps, tol = 1e-5, 2e-2
			for i, p := range m.params {
				g := net.grads[i].Value().Data().([]float32)
				d := make([]float64, len(p.Data()))
				analytic := 0.0
				for j := range d {
					d[j] = rng.NormFloat64()
					analytic += d[j] * float64(g[j])
				}
				orig := append([]float32(nil), p.Data()...)
				shift := func(e float64) float64 {
					for j := range d {
						p.Data()[j] = float32(float64(orig[j]) + e*d[j])
					}
					l, _ := refForward(m, x, labels, 3)
					return l
				}
				numeric := (shift(eps) - shift(-eps)) / (2 * eps)
				copy(p.Data(), orig)
				if math.Abs(numeric-analytic) > tol*math.Max(math.Abs(numeric), 1e-2) {
					t.Errorf("%s: directional derivative %v, finite difference %v", p.Name, analytic, numeric)
				}
			}
		})
	}
}

func TestArchShapes(t *testing.T) {
	a, err := NewArch(testConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	// 16x16 input; branch 0 pools to 8x8 with 2 channels, branch 1 ends at
	// 8x8 with 2 channels; the trunk pools to 4x4 with 4 channels.
	if a.RejoinH != 8 || a.RejoinW != 8 || a.RejoinChannels[0] != 2 || a.RejoinChannels[1] != 2 {
		t.Errorf("rejoin %dx%d channels %v", a.RejoinH, a.RejoinW, a.RejoinChannels)
	}
	if a.Hidden[0].In != 4*4*4 || a.Out.In != 5 {
		t.Errorf("dense inputs %d, %d", a.Hidden[0].In, a.Out.In)
	}
	if got := len(a.FirstConvs()); got != 1 {
		t.Errorf("with a stem, %d first RGB convs, want 1", got)
	}
}

// TestInitDeterministic: the same stream gives the same weights, another
// stream other weights, and He init has the right scale.
func TestInitDeterministic(t *testing.T) {
	cfg := testConfig(t)
	a, _ := NewModel(cfg, Stream(1, "init", 0))
	b, _ := NewModel(cfg, Stream(1, "init", 0))
	c, _ := NewModel(cfg, Stream(2, "init", 0))
	same, differ := true, false
	for i, p := range a.params {
		for j, v := range p.Data() {
			same = same && v == b.params[i].Data()[j]
			differ = differ || v != c.params[i].Data()[j]
		}
	}
	if !same || !differ {
		t.Errorf("same seed equal: %v; other seed differs: %v", same, differ)
	}
	w := a.Param("trunk.0.w")
	ss := 0.0
	for _, v := range w.Data() {
		ss += float64(v) * float64(v)
	}
	std, want := math.Sqrt(ss/float64(len(w.Data()))), math.Sqrt(2/float64(w.FanIn))
	if math.Abs(std-want) > 0.25*want {
		t.Errorf("trunk.0.w std %v, He std %v", std, want)
	}
}
