package data

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
)

// tolFit bounds the difference between a fitted statistic (float64 sums,
// rounded to float32) and its hand-computed value.
const tolFit = 1e-6

// byteSet returns n examples of c x h x w bytes whose values follow
// (i*c*h*w + k) * 37 mod 256, labels i mod 3.
func byteSet(n, c, h, w int) *Set {
	s := &Set{C: c, H: h, W: w, Classes: 3, Pix: make([]uint8, n*c*h*w), Y: make([]int32, n)}
	for k := range s.Pix {
		s.Pix[k] = uint8(k * 37)
	}
	for i := range n {
		s.Y[i] = int32(i % 3)
	}
	return s
}

// asFloat returns s's images as a float set of stored values (X = 2p-1).
func asFloat(s *Set) *Set {
	f := *s
	f.X, f.Pix = make([]float32, len(s.Pix)), nil
	newByteLUT().convert(f.X, s.Pix)
	return &f
}

func TestFitPreprocessByHand(t *testing.T) {
	// Two 1x1x2 examples, (0, 1) and (0.5, -1).
	s := &Set{C: 1, H: 1, W: 2, Classes: 1, X: []float32{0, 1, 0.5, -1}, Y: []int32{0, 0}}
	// MeanImage: mean (0.25, 0); deviations ±0.25 and ±1, so
	// s = sqrt((2*0.0625 + 2*1) / 4) = sqrt(0.53125).
	p, err := FitPreprocess(s, MeanImage, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Mean, []float32{0.25, 0}) || math.Abs(float64(p.Std[0])-math.Sqrt(0.53125)) > tolFit {
		t.Errorf("mean image %v, scale %v; want [0.25 0], %v", p.Mean, p.Std, math.Sqrt(0.53125))
	}
	x := []float32{1, 1}
	p.Apply(x)
	r := 1 / p.Std[0]
	if want := []float32{(1 - 0.25) * r, 1 * r}; !slices.Equal(x, want) {
		t.Errorf("Apply: %v, want %v", x, want)
	}
	// A given scale replaces the fitted one.
	if p, err = FitPreprocess(s, MeanImage, 0.5); err != nil || p.Std[0] != 0.5 {
		t.Errorf("scale 0.5: %v, %v", p.Std, err)
	}
	// PerChannel on two channels of 1x2: channel 0 holds 0, 1, 2, 3 and
	// channel 1 holds 4, 4, 4, 8 over the two examples:
	// means 1.5 and 5, standard deviations sqrt(1.25) and sqrt(3).
	s = &Set{C: 2, H: 1, W: 2, Classes: 1, X: []float32{0, 1, 4, 4, 2, 3, 4, 8}, Y: []int32{0, 0}}
	if p, err = FitPreprocess(s, PerChannel, 0); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Mean, []float32{1.5, 5}) || math.Abs(float64(p.Std[0])-math.Sqrt(1.25)) > tolFit || math.Abs(float64(p.Std[1])-math.Sqrt(3)) > tolFit {
		t.Errorf("per channel: mean %v, std %v", p.Mean, p.Std)
	}
	if sc := s.InputScale(); !slices.Equal(sc, []float64{1, 1}) {
		t.Errorf("InputScale without Pre = %v, want ones", sc)
	}
	s.Pre = p
	if sc := s.InputScale(); sc[0] != float64(p.Std[0]) || sc[1] != float64(p.Std[1]) {
		t.Errorf("InputScale = %v, want %v", sc, p.Std)
	}
	// Gather applies it: (v - mean_c) * (1/std_c).
	out := make([]float32, 4)
	s.Gather([]int{1}, out, nil)
	r0, r1 := 1/p.Std[0], 1/p.Std[1]
	want := []float32{(2 - 1.5) * r0, (3 - 1.5) * r0, (4 - 5) * r1, (8 - 5) * r1}
	if !slices.Equal(out, want) {
		t.Errorf("Gather with per-channel Pre: %v, want %v", out, want)
	}
}

// TestFitPreprocessBytes checks that a byte set fits and applies exactly
// as the float set of its stored values, so that either source gives the
// same input bits.
func TestFitPreprocessBytes(t *testing.T) {
	b := byteSet(70, 3, 4, 5) // more than one block of forEachImage
	f := asFloat(b)
	for _, kind := range []PreprocessKind{MeanImage, PerChannel} {
		pb, err := FitPreprocess(b, kind, 0)
		if err != nil {
			t.Fatal(err)
		}
		pf, err := FitPreprocess(f, kind, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(pb.Mean, pf.Mean) || !slices.Equal(pb.Std, pf.Std) {
			t.Errorf("%s: byte and float fits differ", kind)
		}
		b.Pre, f.Pre = pb, pf
		idx := []int{69, 0, 3, 3}
		xb, xf := make([]float32, 4*60), make([]float32, 4*60)
		b.Gather(idx, xb, nil)
		f.Gather(idx, xf, nil)
		if !slices.Equal(xb, xf) {
			t.Errorf("%s: gathered bytes and floats differ", kind)
		}
		// The fitted input has mean 0 (per pixel or per channel) and, for
		// PerChannel, unit variance per channel.
		all := make([]float32, 70*60)
		b.Gather(slices.Collect(func(yield func(int) bool) {
			for i := range 70 {
				yield(i)
			}
		}), all, nil)
		for c := range 3 {
			var m, v float64
			for i := range 70 {
				for _, x := range all[i*60+c*20 : i*60+(c+1)*20] {
					m += float64(x)
					v += float64(x) * float64(x)
				}
			}
			m /= 70 * 20
			v = v/(70*20) - m*m
			if math.Abs(m) > 1e-5 || (kind == PerChannel && math.Abs(v-1) > 1e-5) {
				t.Errorf("%s channel %d: input mean %v, variance %v", kind, c, m, v)
			}
		}
	}
}

func TestFitPreprocessErrors(t *testing.T) {
	constant := &Set{C: 1, H: 1, W: 2, Classes: 1, X: []float32{0.5, 0.5, 0.5, 0.5}, Y: []int32{0, 0}}
	ok := &Set{C: 1, H: 1, W: 2, Classes: 1, X: []float32{0, 1, 0.5, -1}, Y: []int32{0, 0}}
	for _, c := range []struct {
		s     *Set
		kind  PreprocessKind
		scale float64
		text  string
	}{
		{ok, "zca", 0, `preprocess "zca": unknown kind, want "mean-image" or "per-channel"`},
		{ok.Head(0), MeanImage, 0, "empty training set"},
		{ok, MeanImage, -1, "scale -1, want a finite value > 0"},
		{ok, MeanImage, math.NaN(), "scale NaN"},
		{ok, MeanImage, math.Inf(1), "scale +Inf"},
		{ok, PerChannel, 2, "scale 2 given; per-channel fits its own"},
		{constant, MeanImage, 0, "scale of channel 0 is 0: the training images are constant"},
		{constant, PerChannel, 0, "scale of channel 0 is 0: the training images are constant"},
	} {
		_, err := FitPreprocess(c.s, c.kind, c.scale)
		if err == nil || !strings.Contains(err.Error(), c.text) {
			t.Errorf("%s scale %v: %v, want an error saying %q", c.kind, c.scale, err, c.text)
		}
	}
}

// TestPreprocessStore checks that a fitted preprocessing survives JSON
// bit for bit, and that Validate refuses incomplete ones.
func TestPreprocessStore(t *testing.T) {
	p, err := FitPreprocess(byteSet(10, 3, 2, 2), MeanImage, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var q Preprocess
	if err := json.Unmarshal(b, &q); err != nil {
		t.Fatal(err)
	}
	if q.Kind != p.Kind || q.C != p.C || q.H != p.H || q.W != p.W || !slices.Equal(q.Mean, p.Mean) || !slices.Equal(q.Std, p.Std) {
		t.Errorf("JSON round trip changed the preprocessing:\n%+v\n%+v", p, q)
	}
	if err := q.Validate(); err != nil {
		t.Errorf("Validate of a fitted preprocessing: %v", err)
	}
	for _, c := range []struct {
		mutate func(p *Preprocess)
		text   string
	}{
		{func(p *Preprocess) { p.Kind = "" }, `unknown kind`},
		{func(p *Preprocess) { p.Mean = p.Mean[:3] }, "3 mean values, want 12"},
		{func(p *Preprocess) { p.Std = p.Std[:1] }, "1 scales, want 3"},
		{func(p *Preprocess) { p.Std[2] = 0 }, "scale of channel 2 is 0"},
		{func(p *Preprocess) { p.Std[1] *= 2 }, "differ between channels"},
		{func(p *Preprocess) { p.Mean[5] = float32(math.NaN()) }, "mean value 5 is NaN"},
		{func(p *Preprocess) { p.H = 0 }, "image shape 3x0x2"},
	} {
		r := *p
		r.Mean, r.Std = slices.Clone(p.Mean), slices.Clone(p.Std)
		c.mutate(&r)
		if err := r.Validate(); err == nil || !strings.Contains(err.Error(), c.text) {
			t.Errorf("Validate: %v, want an error saying %q", err, c.text)
		}
	}
}

// TestPreprocessAfterGrayscale checks the documented order: a grayscale
// view hands out Pre(gray(raw)), for float and byte sets alike, and that
// the order matters for a mean image (gray(Pre(raw)) differs).
func TestPreprocessAfterGrayscale(t *testing.T) {
	b := byteSet(6, 3, 2, 3)
	f := asFloat(b)
	p, err := FitPreprocess(f, MeanImage, 0)
	if err != nil {
		t.Fatal(err)
	}
	b.Pre, f.Pre = p, p
	gb, gf := b.Grayscale(), f.Grayscale()
	if !gb.IsGray() || gb.Pre != p || gf.Pre != p || b.IsGray() {
		t.Fatal("Grayscale did not keep Pre or mark the byte view")
	}
	idx := []int{5, 1}
	xb, xf := make([]float32, 36), make([]float32, 36)
	gb.Gather(idx, xb, nil)
	gf.Gather(idx, xf, nil)
	if !slices.Equal(xb, xf) {
		t.Error("grayscale views of the byte and float sets differ")
	}
	want := make([]float32, 36)
	differs := false
	for j, i := range idx {
		raw := slices.Clone(f.X[i*18 : (i+1)*18])
		img := want[j*18 : (j+1)*18]
		Gray(img, raw, 3, 2, 3)
		p.Apply(img)
		// The other order.
		other := slices.Clone(raw)
		p.Apply(other)
		Gray(other, other, 3, 2, 3)
		differs = differs || !slices.Equal(other, img)
	}
	if !slices.Equal(xb, want) {
		t.Errorf("grayscale view with Pre: %v, want Pre(Gray(raw)) %v", xb, want)
	}
	if !differs {
		t.Error("Gray(Pre(raw)) equals Pre(Gray(raw)) on this set; the test does not show the order")
	}
	// Head keeps the view and Pre.
	if h := gb.Head(2); !h.IsGray() || h.Pre != p || len(h.Pix) != 36 {
		t.Error("Head of a grayscale byte view lost the view, Pre or the pixels")
	}
}

func TestKernelAxis(t *testing.T) {
	luma := []float64{0.299, 0.587, 0.114}
	n := math.Sqrt(0.299*0.299 + 0.587*0.587 + 0.114*0.114)
	// One global scale: the raw-space direction itself.
	for c, v := range KernelAxis(luma, []float64{3, 3, 3}) {
		if math.Abs(v-luma[c]/n) > 1e-15 {
			t.Errorf("global scale: axis[%d] = %v, want %v", c, v, luma[c]/n)
		}
	}
	// Scales (1, 2, 4): a kernel w reads the raw values with weights
	// w_c/s_c, so the luminance-reading kernel is (0.299, 1.174, 0.456)
	// normalised.
	u := KernelAxis(luma, []float64{1, 2, 4})
	m := math.Sqrt(0.299*0.299 + 1.174*1.174 + 0.456*0.456)
	for c, want := range []float64{0.299 / m, 1.174 / m, 0.456 / m} {
		if math.Abs(u[c]-want) > 1e-15 {
			t.Errorf("scales (1, 2, 4): axis[%d] = %v, want %v", c, u[c], want)
		}
	}
	if !panics(func() { KernelAxis(luma, []float64{1}) }) || !panics(func() { KernelAxis([]float64{0}, []float64{1}) }) {
		t.Error("KernelAxis with bad arguments did not panic")
	}
}
