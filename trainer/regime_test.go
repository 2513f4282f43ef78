package trainer

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"branchspec/configs"
	"branchspec/trainer/data"
	"branchspec/trainer/ops"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// tinyTrainer builds a trainer of the tiny preset with overrides.
func tinyTrainer(t *testing.T, sets ...string) *Trainer {
	t.Helper()
	cfg, err := configs.Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.SetAll(sets); err != nil {
		t.Fatal(err)
	}
	s := cfg.Data.Synthetic
	train, test, err := data.Synthetic(data.SyntheticOptions{Forms: s.Forms, Hues: s.Hues, Size: s.Size, Noise: s.Noise,
		Train: cfg.Data.TrainSize, Test: cfg.Data.TestSize}, s.Seed)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := New(cfg, train, test)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

// trace steps tr n times and returns the weights at every step count
// 0..n, indexed by step count then parameter name.
func trace(t *testing.T, tr *Trainer, n int) []map[string][]float32 {
	t.Helper()
	snap := func() map[string][]float32 {
		m := map[string][]float32{}
		for _, w := range tr.model.Weights() {
			m[w.Name] = w.Data
		}
		return m
	}
	out := []map[string][]float32{snap()}
	for range n {
		if _, err := tr.Step(); err != nil {
			t.Fatal(err)
		}
		out = append(out, snap())
	}
	return out
}

func TestFreezeKeepsWeightsInWindow(t *testing.T) {
	const from, to, n = 3, 7, 10
	tr := tinyTrainer(t, fmt.Sprintf("regime.freeze=[{layer = %q, from = %d, to = %d}]", "branch.*.1", from, to))
	ws := trace(t, tr, n)
	for _, name := range []string{"branch.0.1.w", "branch.1.1.w", "branch.0.1.b", "branch.1.1.b", "branch.0.0.w", "trunk.0.w"} {
		frozenLayer := name[len(name)-4:len(name)-2] == ".1" && name[:6] == "branch"
		for s := 0; s < n; s++ {
			same := slices.Equal(ws[s][name], ws[s+1][name])
			want := frozenLayer && s >= from && s < to
			if same != want {
				t.Errorf("%s: step %d -> %d unchanged = %v, want %v", name, s, s+1, same, want)
			}
		}
	}
}

func TestFreezeToTheEnd(t *testing.T) {
	tr := tinyTrainer(t, `regime.freeze=[{layer = "branch.0.0", from = 0, to = -1}]`)
	ws := trace(t, tr, 6)
	for s := 1; s <= 6; s++ {
		if !slices.Equal(ws[0]["branch.0.0.w"], ws[s]["branch.0.0.w"]) {
			t.Errorf("branch.0.0.w changed by step %d", s)
		}
		if slices.Equal(ws[s-1]["branch.1.0.w"], ws[s]["branch.1.0.w"]) {
			t.Errorf("branch.1.0.w did not train at step %d", s-1)
		}
	}
	if st := tr.solver.State(); st.ParamSteps["branch.0.0.w"] != 0 || st.ParamSteps["branch.1.0.w"] != 6 {
		t.Errorf("update counts %d and %d, want 0 (frozen) and 6", st.ParamSteps["branch.0.0.w"], st.ParamSteps["branch.1.0.w"])
	}
}

// TestRerandomizeAtMultiples freezes the layer as well, so that the only
// changes are the redraws: at the start of each step s > 0 with s % K == 0.
func TestRerandomizeAtMultiples(t *testing.T) {
	const every, n = 4, 13
	tr := tinyTrainer(t, `regime.freeze=[{layer = "branch.*.1", from = 0, to = -1}]`,
		fmt.Sprintf(`regime.rerandomize=[{layer = "branch.*.1", every = %d}]`, every))
	ws := trace(t, tr, n)
	for _, b := range []int{0, 1} {
		name := fmt.Sprintf("branch.%d.1.w", b)
		for s := 0; s < n; s++ {
			changed := !slices.Equal(ws[s][name], ws[s+1][name])
			want := s > 0 && s%every == 0
			if changed != want {
				t.Errorf("%s: step %d -> %d changed = %v, want %v", name, s, s+1, changed, want)
			}
		}
	}
}

// TestRerandomizeDrawsFromInitialiser checks the redrawn values and the
// reset of the layer's solver state.
func TestRerandomizeDrawsFromInitialiser(t *testing.T) {
	const every = 3
	tr := tinyTrainer(t, `regime.freeze=[{layer = "branch.1.1", from = 0, to = -1}]`,
		fmt.Sprintf(`regime.rerandomize=[{layer = "branch.1.1", every = %d}, {layer = "trunk.0", every = %d}]`, every, every))
	ws := trace(t, tr, every+1)
	ref := tinyTrainer(t)
	for _, layer := range []string{"branch.1.1", "trunk.0"} {
		rng := Stream(tr.cfg.Seed, "rerandomize/"+layer, every)
		w := ref.model.Param(layer + ".w")
		ref.model.InitParam(w, rng)
		if layer == "branch.1.1" {
			// Frozen: the weights after step `every` are the redrawn ones.
			if !slices.Equal(ws[every+1][layer+".w"], w.Data()) {
				t.Errorf("%s after the redraw differs from InitParam on stream rerandomize/%s/%d", layer, layer, every)
			}
		}
	}
	st := tr.solver.State()
	if got := st.ParamSteps["trunk.0.w"]; got != 1 {
		t.Errorf("trunk.0.w has %d updates after its reset and one step, want 1", got)
	}
	if got := st.ParamSteps["branch.0.0.w"]; got != every+1 {
		t.Errorf("branch.0.0.w has %d updates, want %d", got, every+1)
	}
}

func TestDrawMask(t *testing.T) {
	const branches, out, in, k = 3, 20, 10, 3
	frac := func(mask []float32, b int) (within, cross float64) {
		var nw, nc, on int
		for o := range out {
			for j := range branches * in {
				v := mask[(o*branches*in+j)*k*k]
				for tap := 1; tap < k*k; tap++ {
					if mask[(o*branches*in+j)*k*k+tap] != v {
						t.Fatalf("mask differs across taps at (%d, %d)", o, j)
					}
				}
				if j/in == b {
					within += float64(v)
					nw++
				} else {
					cross += float64(v)
					nc++
					on += int(v)
				}
			}
		}
		return within / float64(nw), cross / float64(nc)
	}
	// Tolerance: 4 standard deviations of a binomial fraction over
	// out*(branches-1)*in = 400 pairs at p = 0.5.
	const tol = 4 * 0.025
	var prev []float32
	for _, p := range []float64{0, 0.1, 0.5, 0.9, 1} {
		t.Run(fmt.Sprint(p), func(t *testing.T) {
			mask := DrawMask(1, branches, out, in, k, p, Stream(7, "mixing", 0))
			within, cross := frac(mask, 1)
			if within != 1 {
				t.Errorf("within-branch fraction %v, want 1", within)
			}
			switch {
			case p == 0 && cross != 0, p == 1 && cross != 1, math.Abs(cross-p) > tol:
				t.Errorf("cross-branch fraction %v, want %v", cross, p)
			}
			for i := range prev {
				if prev[i] > mask[i] {
					t.Fatalf("mask of p = %v does not contain the mask of a smaller p at %d", p, i)
				}
			}
			prev = mask
		})
	}
}

// TestMixingZeroIsBranched: with p = 0 the mixed layer's within-branch
// weights are the branched layer's, every other parameter is equal, and the
// network computes the same function.
func TestMixingZeroIsBranched(t *testing.T) {
	mixed := tinyTrainer(t, `regime.mixing={layer = "branch.*.1", p = 0.0}`)
	plain := tinyTrainer(t)
	for _, p := range plain.model.params {
		q := mixed.model.Param(p.Name)
		if q.Mask == nil {
			if !slices.Equal(p.Data(), q.Data()) {
				t.Errorf("%s differs", p.Name)
			}
			continue
		}
		// Extract the own-branch block of [Out, B*In, K, K].
		out, in, kk, b := p.Shape[0], p.Shape[1], p.Shape[2]*p.Shape[3], p.Branch
		var block []float32
		for o := range out {
			row := q.Data()[o*2*in*kk : (o+1)*2*in*kk]
			block = append(block, row[b*in*kk:(b+1)*in*kk]...)
			for j, v := range row {
				if j/(in*kk) != b && v != 0 {
					t.Fatalf("%s: cross-branch weight (%d, %d) = %v, want 0", q.Name, o, j/kk, v)
				}
			}
		}
		if !slices.Equal(block, p.Data()) {
			t.Errorf("%s: own-branch weights differ from the branched layer's", p.Name)
		}
	}
	lm, lp := logits(t, mixed), logits(t, plain)
	// Tolerance: float32 sums of the same products in another order.
	const tol = 1e-4
	for i := range lp {
		if math.Abs(float64(lm[i]-lp[i])) > tol*(1+math.Abs(float64(lp[i]))) {
			t.Fatalf("logit %d: mixed p=0 %v, branched %v", i, lm[i], lp[i])
		}
	}
}

func logits(t *testing.T, tr *Trainer) []float32 {
	t.Helper()
	ev, err := tr.model.NewEvaluator(16)
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	var out []float32
	if err := ev.Batches(tr.test, 16, func(Activations) error {
		out = append(out, ev.net.LogitsValue()...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMixingMaskHoldsInTraining: masked weights get no gradient, so they
// stay 0 through Adam with weight decay, and the connected cross-branch
// weights train.
func TestMixingMaskHoldsInTraining(t *testing.T) {
	for _, p := range []float64{0, 0.5, 1} {
		t.Run(fmt.Sprint(p), func(t *testing.T) {
			tr := tinyTrainer(t, fmt.Sprintf(`regime.mixing={layer = "branch.*.1", p = %v}`, p))
			ws := trace(t, tr, 5)
			for _, b := range []int{0, 1} {
				w := tr.model.Param(fmt.Sprintf("branch.%d.1.w", b))
				if w.Shape[1] != 2*4 {
					t.Fatalf("%s shape %v, want [4 8 3 3]", w.Name, w.Shape)
				}
				on, moved := 0, 0
				for i, m := range w.Mask {
					if m == 0 && w.Data()[i] != 0 {
						t.Fatalf("%s: masked weight %d = %v", w.Name, i, w.Data()[i])
					}
					if m != 0 {
						on++
						if ws[0][w.Name][i] != ws[5][w.Name][i] {
							moved++
						}
					}
				}
				if moved == 0 {
					t.Errorf("%s: no connected weight trained", w.Name)
				}
				if want := len(w.Mask) / 2; p == 0 && on != want || p == 1 && on != len(w.Mask) {
					t.Errorf("%s: %d of %d weights connected at p = %v", w.Name, on, len(w.Mask), p)
				}
			}
		})
	}
}

// chroma is science.md's kernel chroma of a [3, kk] kernel.
func chroma(w []float32, kk int) float64 {
	var num, den float64
	for tap := range kk {
		r, g, b := float64(w[tap]), float64(w[kk+tap]), float64(w[2*kk+tap])
		m := (r + g + b) / 3
		num += (r-m)*(r-m) + (g-m)*(g-m) + (b-m)*(b-m)
		den += r*r + g*g + b*b
	}
	return num / den
}

// TestBiasSetsChroma checks ApplyBias's formula c' = (c + eps^2)/(1 + eps^2)
// unit by unit, with chroma taken along the bias's own axis (the
// equal-weight axis, and Rec. 601 luminance), the norm growth
// sqrt(1 + eps^2), and that only the named branch's first layer changes.
func TestBiasSetsChroma(t *testing.T) {
	plain := tinyTrainer(t)
	for _, axis := range []struct {
		name   string
		chroma func([]float32, int) float64
	}{{configs.BiasAxisRGB, chroma}, {configs.BiasAxisLuminance, lumaChroma}} {
		for _, eps := range []float64{0.1, 0.5, 2} {
			t.Run(fmt.Sprint(axis.name, eps), func(t *testing.T) {
				tr := tinyTrainer(t, fmt.Sprintf("regime.bias={branch = 1, epsilon = %v, axis = %q}", eps, axis.name))
				for _, p := range plain.model.params {
					if p.Name != "branch.1.0.w" && !slices.Equal(p.Data(), tr.model.Param(p.Name).Data()) {
						t.Errorf("%s changed", p.Name)
					}
				}
				cv := tr.model.arch.Branches[1][0]
				kk := cv.Kernel * cv.Kernel
				w0, w1 := plain.model.Param(cv.Name+".w").Data(), tr.model.Param(cv.Name+".w").Data()
				// Tolerance: float32 rounding of the biased kernel.
				const tol = 1e-5
				for o := range cv.Out {
					k0, k1 := w0[o*3*kk:(o+1)*3*kk], w1[o*3*kk:(o+1)*3*kk]
					c0, c1 := axis.chroma(k0, kk), axis.chroma(k1, kk)
					if want := (c0 + eps*eps) / (1 + eps*eps); math.Abs(c1-want) > tol {
						t.Errorf("unit %d: chroma %v -> %v, want %v", o, c0, c1, want)
					}
					n0, n1 := norm(k0), norm(k1)
					if want := n0 * math.Sqrt(1+eps*eps); math.Abs(n1-want) > tol*want {
						t.Errorf("unit %d: norm %v -> %v, want %v", o, n0, n1, want)
					}
				}
			})
		}
	}
}

// TestBiasAxesDiffer: the equal-weight bias is not orthogonal to the
// luminance axis, so along L it moves chroma less than (c + eps^2)/(1 +
// eps^2) promises for some unit (which is why the luminance axis exists).
func TestBiasAxesDiffer(t *testing.T) {
	const eps = 0.5
	plain, tr := tinyTrainer(t), tinyTrainer(t, fmt.Sprintf("regime.bias={branch = 0, epsilon = %v}", eps))
	cv := tr.model.arch.Branches[0][0]
	kk := cv.Kernel * cv.Kernel
	w0, w1 := plain.model.Param(cv.Name+".w").Data(), tr.model.Param(cv.Name+".w").Data()
	worst := 0.0
	for o := range cv.Out {
		c0, c1 := lumaChroma(w0[o*3*kk:(o+1)*3*kk], kk), lumaChroma(w1[o*3*kk:(o+1)*3*kk], kk)
		worst = math.Max(worst, math.Abs(c1-(c0+eps*eps)/(1+eps*eps)))
	}
	if worst < 1e-3 {
		t.Errorf("the equal-weight bias sets chroma along L to the formula within %v", worst)
	}
}

func norm(x []float32) float64 {
	s := 0.0
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s)
}

// grayDwChroma is the kernel chroma, along the Rec. 601 luminance axis u,
// of a kernel along (1, 1, 1) at every tap: 1 - (u . 1)^2 / 3 with
// u = L/||L||, L = (0.299, 0.587, 0.114), that is 1 - 1/(3 * 0.446966)
// (||L||^2 = 0.089401 + 0.344569 + 0.012996).
const grayDwChroma = 0.2542308

// lumaChroma is science.md's kernel chroma of a [3, kk] kernel along the
// Rec. 601 luminance axis (metrics.ChromaAlong with gains 1, written out).
func lumaChroma(w []float32, kk int) float64 {
	l := [3]float64{0.299, 0.587, 0.114}
	n := math.Sqrt(l[0]*l[0] + l[1]*l[1] + l[2]*l[2])
	var num, den float64
	for tap := range kk {
		v := [3]float64{float64(w[tap]), float64(w[kk+tap]), float64(w[2*kk+tap])}
		a := (v[0]*l[0] + v[1]*l[1] + v[2]*l[2]) / n
		for c := range v {
			r := v[c] - a*l[c]/n
			num += r * r
			den += v[c] * v[c]
		}
	}
	return num / den
}

// offOnes returns P x, x's part off (1, 1, 1) at every tap of a [.., 3, kk]
// kernel array.
func offOnes(x []float64, kk int) []float64 {
	p := make([]float64, len(x))
	for k := 0; k < len(x); k += 3 * kk {
		copy(p[k:k+3*kk], chromatic(x[k:k+3*kk], kk, nil))
	}
	return p
}

// TestGrayBranchDwAlongOnes trains the gray_branch regime and checks what
// Build's doc comment derives: without weight decay the gray branch's
// first-layer dw is along (1, 1, 1) at every tap, so every unit's dw
// chroma along the luminance axis is 0.254231; with weight decay the part
// of dw off (1, 1, 1) is (f - 1) P w_0 for one factor f common to all
// weights. The branch that reads colour is checked to be unlike it (the
// test can fail).
func TestGrayBranchDwAlongOnes(t *testing.T) {
	const steps = 25
	// Tolerances: float32 rounding of w over the steps, relative to ||dw||
	// (steps * 2^-24 * ||w|| / ||dw|| is about 1e-5 here).
	const tolChroma, tolResidual = 1e-4, 1e-4
	for _, tc := range []struct {
		name  string
		decay float64
	}{{"no weight decay", 0}, {"weight decay", 0.05}} {
		t.Run(tc.name, func(t *testing.T) {
			tr := tinyTrainer(t, "regime.gray_branch=1", fmt.Sprintf("optim.weight_decay=%v", tc.decay))
			cv := tr.model.arch.Branches[1][0]
			kk := cv.Kernel * cv.Kernel
			w0 := slices.Clone(tr.model.Param("branch.1.0.w").Data())
			c0 := slices.Clone(tr.model.Param("branch.0.0.w").Data())
			trace(t, tr, steps)
			w := tr.model.Param("branch.1.0.w").Data()
			dw, pw0 := make([]float64, len(w)), make([]float64, len(w))
			for i := range w {
				dw[i], pw0[i] = float64(w[i])-float64(w0[i]), float64(w0[i])
			}
			pdw, pw0 := offOnes(dw, kk), offOnes(pw0, kk)
			f1 := dotF(pdw, pw0) / dotF(pw0, pw0) // f - 1
			// Adam's decoupled decay: f = prod over steps of (1 - lr_s * lambda).
			f := 1.0
			for step := range steps {
				f *= 1 - tr.lr.At(step)*tc.decay
			}
			if math.Abs(f1-(f-1)) > tolResidual {
				t.Errorf("f - 1 = %v, want %v", f1, f-1)
			}
			var res float64
			for i := range pdw {
				res += (pdw[i] - f1*pw0[i]) * (pdw[i] - f1*pw0[i])
			}
			if r := math.Sqrt(res / dotF(dw, dw)); r > tolResidual {
				t.Errorf("||P dw - (f-1) P w0|| / ||dw|| = %v, want <= %v", r, tolResidual)
			}
			for o := range cv.Out {
				d := make([]float32, 3*kk)
				for i := range d {
					d[i] = float32(dw[o*3*kk+i] - f1*pw0[o*3*kk+i])
				}
				if c := lumaChroma(d, kk); math.Abs(c-grayDwChroma) > tolChroma {
					t.Errorf("unit %d: chroma of dw - (f-1) P w0 = %v, want %v", o, c, grayDwChroma)
				}
			}
			colour := tr.model.Param("branch.0.0.w").Data()
			far := 0
			for o := range cv.Out {
				d := make([]float32, 3*kk)
				for i := range d {
					d[i] = colour[o*3*kk+i] - c0[o*3*kk+i]
				}
				if math.Abs(lumaChroma(d, kk)-grayDwChroma) > 0.01 {
					far++
				}
			}
			if far == 0 {
				t.Error("the branch that reads colour learned dw along (1, 1, 1) too")
			}
		})
	}
}

func dotF(x, y []float64) float64 {
	s := 0.0
	for i := range x {
		s += x[i] * y[i]
	}
	return s
}

// TestGrayBranchAddsNoState: the gray_branch regime adds no parameter and
// draws nothing, so a run's initial weights (names, shapes, bits) and
// checkpointed state are those of the same run without it.
func TestGrayBranchAddsNoState(t *testing.T) {
	plain, gray := tinyTrainer(t), tinyTrainer(t, "regime.gray_branch=0")
	a, b := plain.model.Weights(), gray.model.Weights()
	if len(a) != len(b) {
		t.Fatalf("%d tensors with the regime, %d without", len(b), len(a))
	}
	for i := range a {
		if a[i].Name != b[i].Name || !slices.Equal(a[i].Shape, b[i].Shape) || !slices.Equal(a[i].Data, b[i].Data) {
			t.Errorf("tensor %d: %s %v differs from %s %v", i, b[i].Name, b[i].Shape, a[i].Name, a[i].Shape)
		}
	}
	sa, sb := plain.State(), gray.State()
	sb.Weights, sa.Weights = nil, nil
	if !reflect.DeepEqual(sa, sb) {
		t.Errorf("state at step 0 differs:\n%+v\n%+v", sa, sb)
	}
}

// TestRegimesResumeExactly restores a trainer's State into a fresh trainer
// in a freeze window and just before a redraw, and checks that it goes on
// bit-identically.
func TestRegimesResumeExactly(t *testing.T) {
	sets := []string{
		`regime.freeze=[{layer = "branch.*.1", from = 2, to = 9}]`,
		`regime.rerandomize=[{layer = "trunk.0", every = 4}]`,
		`regime.mixing={layer = "branch.*.1", p = 0.5}`,
		`regime.bias={branch = 0, epsilon = 0.3}`,
		"regime.gray_branch=1",
	}
	const n = 12
	want := trace(t, tinyTrainer(t, sets...), n)
	for _, stop := range []int{4, 5, 8} {
		t.Run(fmt.Sprint(stop), func(t *testing.T) {
			a := tinyTrainer(t, sets...)
			trace(t, a, stop)
			b := tinyTrainer(t, sets...)
			if err := b.Restore(a.State()); err != nil {
				t.Fatal(err)
			}
			got := trace(t, b, n-stop)
			for s := range got {
				for name, w := range want[stop+s] {
					if !slices.Equal(got[s][name], w) {
						t.Fatalf("restored at %d: %s differs at step %d", stop, name, stop+s)
					}
				}
			}
		})
	}
}

// TestGrayMatchesDataGray: the gray input the gray_branch regime builds
// in the graph has the bits of data.Gray (what data.grayscale and the
// metrics' gray probes use) on the same values.
func TestGrayMatchesDataGray(t *testing.T) {
	const n, h, w = 3, 5, 4
	rng := rand.New(rand.NewPCG(11, 12))
	x := make([]float32, n*3*h*w)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	g := G.NewGraph()
	xn := G.NewTensor(g, G.Float32, 4, G.WithShape(n, 3, h, w), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(n, 3, h, w), tensor.WithBacking(slices.Clone(x)))))
	y, err := ops.Gray(xn, [3]float32{data.LumaR, data.LumaG, data.LumaB})
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	got := y.Value().Data().([]float32)
	want := make([]float32, len(x))
	for i := range n {
		data.Gray(want[i*3*h*w:(i+1)*3*h*w], x[i*3*h*w:(i+1)*3*h*w], 3, h, w)
	}
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("element %d: %v, data.Gray %v", i, got[i], want[i])
		}
	}
}
