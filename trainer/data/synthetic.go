package data

import (
	"fmt"
	"math"
	"runtime"
	"sync"
)

// Defaults that Synthetic uses for zero-valued options.
const (
	DefaultForms = 4
	DefaultHues  = 4
	DefaultSize  = 32
	DefaultTrain = 12000
	DefaultTest  = 2000
)

// MaxForms and MaxHues bound SyntheticOptions.Forms and .Hues.
const (
	MaxForms = 8
	MaxHues  = 8
)

// FormName returns the name of synthetic form class f, 0 <= f < MaxForms;
// Synthetic uses the first Forms of them. It panics if f is out of range.
func FormName(f int) string {
	return [MaxForms]string{
		"hgrating", // horizontal stripes (luminance varies along y)
		"vgrating", // vertical stripes
		"dgrating", // stripes at 45 degrees
		"rings",    // concentric rings
		"cross",    // a plus sign of two bars
		"checker",  // checkerboard
		"disc",     // filled disc
		"square",   // square outline
	}[f]
}

// SyntheticOptions configures Synthetic.
type SyntheticOptions struct {
	// Forms is the number of form classes, 2..MaxForms; 0 means DefaultForms.
	Forms int
	// Hues is the number of hue classes, 2..MaxHues; 0 means DefaultHues.
	Hues int
	// Size is the image height and width in pixels, at least 8; 0 means
	// DefaultSize.
	Size int
	// Noise is the standard deviation of additive Gaussian pixel noise on
	// intensities in [0,1]; 0 means none. It must be finite and >= 0.
	Noise float64
	// Train and Test are the numbers of examples; 0 means DefaultTrain and
	// DefaultTest. They must not be negative.
	Train, Test int
}

// withDefaults returns o with zero fields replaced, or an error wrapping
// ErrOptions.
func (o SyntheticOptions) withDefaults() (SyntheticOptions, error) {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.Forms, DefaultForms)
	def(&o.Hues, DefaultHues)
	def(&o.Size, DefaultSize)
	def(&o.Train, DefaultTrain)
	def(&o.Test, DefaultTest)
	switch {
	case o.Forms < 2 || o.Forms > MaxForms:
		return o, fmt.Errorf("%w: Forms = %d, want 2..%d", ErrOptions, o.Forms, MaxForms)
	case o.Hues < 2 || o.Hues > MaxHues:
		return o, fmt.Errorf("%w: Hues = %d, want 2..%d", ErrOptions, o.Hues, MaxHues)
	case o.Size < 8:
		return o, fmt.Errorf("%w: Size = %d, want >= 8", ErrOptions, o.Size)
	case !(o.Noise >= 0) || math.IsInf(o.Noise, 0):
		return o, fmt.Errorf("%w: Noise = %v, want finite and >= 0", ErrOptions, o.Noise)
	case o.Train < 0 || o.Test < 0:
		return o, fmt.Errorf("%w: Train = %d, Test = %d, want >= 0", ErrOptions, o.Train, o.Test)
	}
	return o, nil
}

// SyntheticFactors splits a synthetic label into its form and hue classes:
//
//	label = form*hues + hue
func SyntheticFactors(label int32, hues int) (form, hue int) {
	return int(label) / hues, int(label) % hues
}

// Synthetic generates a colour-by-form image set: Size x Size RGB images
// whose label, form*Hues + hue, needs both an achromatic feature (the form)
// and a chromatic one (the hue), so that colour and black-and-white features
// both pay.
//
// Each image is a background colour B blended with a foreground colour F
// through a form mask m(x, y) in [0,1]:
//
//	p = B + m (F - B) + Noise * N(0,1),  clipped to [0,1]
//
// The form class fixes the mask's kind (FormName); its spatial frequency,
// phase, position, size and a small orientation jitter vary per image. The
// hue class fixes the bin of F's HSV hue: bin h covers hues
// [h/Hues, (h+1)/Hues) and F's hue is drawn from the middle 70% of the bin.
// F and B are built at chosen luminances, Y(B) in [0.05, 0.35] and Y(F) in
// [Y(B)+0.3, min(Y(B)+0.6, 0.85)], by adding a zero-luminance chroma vector
// to gray, so the form lives in luminance and the hue in chroma. F's chroma
// is 60-100% of the largest in gamut at its luminance; B carries a faint
// (0-15%) chroma of a hue from a different class, which leaves the hue label
// unambiguous.
//
// Classes are balanced: example i has label i mod (Forms*Hues), so counts
// differ by at most one, in every Head too. Train and test come
// from independent streams derived from seed, one PCG per example, so the
// output is the same bytes for the same options and seed whatever the
// number of CPUs.
func Synthetic(o SyntheticOptions, seed uint64) (train, test *Set, err error) {
	o, err = o.withDefaults()
	if err != nil {
		return nil, nil, err
	}
	return o.generate(o.Train, seed, tagTrain), o.generate(o.Test, seed, tagTest), nil
}

// classNames returns "form/hNNN" names, NNN the hue bin's centre in degrees.
func (o SyntheticOptions) classNames() []string {
	names := make([]string, 0, o.Forms*o.Hues)
	for f := range o.Forms {
		for h := range o.Hues {
			deg := math.Round(360 * (float64(h) + 0.5) / float64(o.Hues))
			names = append(names, fmt.Sprintf("%s/h%03.0f", FormName(f), deg))
		}
	}
	return names
}

// generate draws n examples of the purpose tag, in parallel over CPUs.
func (o SyntheticOptions) generate(n int, seed, tag uint64) *Set {
	s := &Set{
		C: 3, H: o.Size, W: o.Size,
		Classes:    o.Forms * o.Hues,
		ClassNames: o.classNames(),
		X:          make([]float32, n*3*o.Size*o.Size),
		Y:          make([]int32, n),
	}
	workers := max(1, min(runtime.GOMAXPROCS(0), n/64))
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*n/workers, (w+1)*n/workers
		wg.Go(func() {
			mask := make([]float64, o.Size*o.Size)
			z := newZiggurat()
			for i := lo; i < hi; i++ {
				label := int32(i % s.Classes)
				s.Y[i] = label
				o.draw(s.Image(i), mask, z, label, newStream(seed, tag, uint64(i)))
			}
		})
	}
	wg.Wait()
	return s
}

// draw renders one image of the given label into x (CHW, normalised).
func (o SyntheticOptions) draw(x []float32, mask []float64, z *ziggurat, label int32, r *stream) {
	form, hue := SyntheticFactors(label, o.Hues)
	yb := r.uniform(0.05, 0.35)
	yf := r.uniform(yb+0.3, min(yb+0.6, 0.85))
	fg := chromatic(yf, o.hueIn(hue, r), r.uniform(0.6, 1))
	other := (hue + 1 + r.intn(o.Hues-1)) % o.Hues
	bg := chromatic(yb, o.hueIn(other, r), r.uniform(0, 0.15))
	formMask(mask, form, o.Size, r)
	p := o.Size * o.Size
	for c := range 3 {
		d := fg[c] - bg[c]
		plane := x[c*p : (c+1)*p]
		for i, m := range mask {
			v := bg[c] + m*d
			if o.Noise > 0 {
				v += o.Noise * r.norm(z)
			}
			v = min(max(v, 0), 1)
			plane[i] = float32(2*v - 1)
		}
	}
}

// hueIn draws a hue in [0,1) from the middle 70% of bin h.
func (o SyntheticOptions) hueIn(h int, r *stream) float64 {
	u := (float64(h) + 0.5 + r.uniform(-0.35, 0.35)) / float64(o.Hues)
	return u - math.Floor(u)
}

// chromatic returns the RGB colour of luminance y and HSV hue hue whose
// chroma is the fraction sat of the largest that stays in [0,1]^3:
//
//	rgb = y + k (c - Y(c)),   c the fully saturated colour of the hue
//
// Adding a multiple k >= 0 of the zero-luminance vector c - Y(c) to gray
// keeps the luminance at y and the HSV hue at hue (hue is invariant to
// positive scaling and to adding the same value to every channel).
func chromatic(y, hue, sat float64) [3]float64 {
	c := hueRGB(hue)
	yc := LumaR*c[0] + LumaG*c[1] + LumaB*c[2]
	kmax := math.Inf(1)
	for _, ci := range c {
		switch d := ci - yc; {
		case d > 0:
			kmax = min(kmax, (1-y)/d)
		case d < 0:
			kmax = min(kmax, y/-d)
		}
	}
	k := sat * kmax
	return [3]float64{y + k*(c[0]-yc), y + k*(c[1]-yc), y + k*(c[2]-yc)}
}

// hueRGB returns the fully saturated, full-value RGB colour of HSV hue
// h in [0,1) (Smith, "Color gamut transform pairs", SIGGRAPH 1978).
func hueRGB(h float64) [3]float64 {
	f := func(n float64) float64 {
		k := math.Mod(n+6*h, 6)
		return 1 - max(0, min(k, 4-k, 1))
	}
	return [3]float64{f(5), f(3), f(1)}
}

// formMask fills mask (size x size, row-major) with the form's pattern, its
// nuisances drawn from r. Coordinates are in pixels from the image centre;
// edges are antialiased over about one pixel.
func formMask(mask []float64, form, size int, r *stream) {
	s := float64(size)
	cx := s * r.uniform(-0.12, 0.12)
	cy := s * r.uniform(-0.12, 0.12)
	tilt := r.uniform(-10, 10) * math.Pi / 180
	sin, cos := math.Sincos(tilt)
	var at func(u, v float64) float64 // u, v: rotated coordinates
	switch form {
	case 0, 1, 2: // gratings with wavelength s/3 .. s/5
		theta := [3]float64{math.Pi / 2, 0, math.Pi / 4}[form]
		su, cu := math.Sincos(theta)
		k := 2 * math.Pi * r.uniform(3, 5) / s
		ph := r.uniform(0, 2*math.Pi)
		at = func(u, v float64) float64 { return 0.5 + 0.5*math.Cos(k*(cu*u+su*v)+ph) }
	case 3: // concentric rings, 3 .. 5 cycles per image width
		k := 2 * math.Pi * r.uniform(3, 5) / s
		ph := r.uniform(0, 2*math.Pi)
		at = func(u, v float64) float64 { return 0.5 + 0.5*math.Cos(k*math.Hypot(u, v)+ph) }
	case 4: // cross: bars of half-width w and half-length a
		w := s * r.uniform(0.06, 0.1)
		a := s * r.uniform(0.25, 0.38)
		at = func(u, v float64) float64 { return cover(min(sdBox(u, v, a, w), sdBox(u, v, w, a))) }
	case 5: // checkerboard with squares of side s/5 .. s/3.5
		side := s / r.uniform(3.5, 5)
		pu, pv := r.float(), r.float()
		at = func(u, v float64) float64 { return checker(u/side+pu, v/side+pv, side) }
	case 6: // filled disc
		rad := s * r.uniform(0.18, 0.32)
		at = func(u, v float64) float64 { return cover(math.Hypot(u, v) - rad) }
	default: // square outline of half side a and thickness t
		a := s * r.uniform(0.2, 0.33)
		t := s * r.uniform(0.05, 0.08)
		at = func(u, v float64) float64 { return cover(math.Abs(sdBox(u, v, a, a)) - t/2) }
	}
	for y := range size {
		dy := float64(y) + 0.5 - s/2 - cy
		for x := range size {
			dx := float64(x) + 0.5 - s/2 - cx
			mask[y*size+x] = at(cos*dx+sin*dy, -sin*dx+cos*dy)
		}
	}
}

// cover turns a signed distance in pixels (negative inside) into coverage
// in [0,1] with a one-pixel ramp.
func cover(d float64) float64 { return min(max(0.5-d, 0), 1) }

// sdBox is the signed distance from (u, v) to an axis-aligned box of half
// sizes a, b centred at the origin (negative inside).
func sdBox(u, v, a, b float64) float64 {
	qu, qv := math.Abs(u)-a, math.Abs(v)-b
	return math.Hypot(max(qu, 0), max(qv, 0)) + min(max(qu, qv), 0)
}

// checker returns the antialiased checkerboard value at (tu, tv) in units of
// squares of side pixels.
func checker(tu, tv, side float64) float64 {
	fu, fv := math.Floor(tu), math.Floor(tv)
	// distance to the nearest square edge, in pixels
	d := side * min(math.Min(tu-fu, fu+1-tu), math.Min(tv-fv, fv+1-tv))
	c := min(d, 0.5)
	if int64(fu+fv)&1 == 0 {
		return 0.5 + c
	}
	return 0.5 - c
}
