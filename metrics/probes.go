package metrics

import (
	"fmt"
	"math"
)

// ProbeKind is a family of probe images.
type ProbeKind int

// The probe kinds. Achromatic kinds have R = G = B at every pixel; chromatic
// kinds are isoluminant (Rec. 601 luminance equal to the gray background at
// every pixel), so their grayscale version is a uniform gray.
const (
	// GratingGray is an achromatic full-contrast sinusoidal grating.
	GratingGray ProbeKind = iota
	// GratingColor is an isoluminant colour-opponent sinusoidal grating,
	// alternately on the red-green axis (Hue 0) and the blue-yellow axis
	// (Hue pi/2).
	GratingColor
	// ColorBlob is an isoluminant Gaussian blob of one hue on gray.
	ColorBlob
	// Curve is an achromatic arc (a 120 degree piece of a circle), bright
	// or dark on gray.
	Curve
	numProbeKinds
)

// String returns the kind's name ("grating-gray", ...).
func (k ProbeKind) String() string {
	switch k {
	case GratingGray:
		return "grating-gray"
	case GratingColor:
		return "grating-color"
	case ColorBlob:
		return "color-blob"
	case Curve:
		return "curve"
	}
	return fmt.Sprintf("ProbeKind(%d)", int(k))
}

// Probe describes one probe image. Coordinates are in pixels with x to the
// right (column) and y down (row), origin at the top-left pixel's centre;
// angles are measured from +x towards +y. Fields that do not apply to a kind
// are zero.
type Probe struct {
	Kind ProbeKind
	// Orientation: gratings, the direction of modulation (normal to the
	// stripes) in [0, pi); curves, the direction from the centre of
	// curvature to the arc's midpoint in [0, 2 pi).
	Orientation float64
	// Frequency of a grating in cycles per pixel.
	Frequency float64
	// Phase of a grating in radians at the image centre.
	Phase float64
	// Hue of a chromatic probe: the angle of its colour direction in the
	// isoluminant plane, 0 = red (versus green), pi/2 = blue (versus yellow),
	// pi = green, 3 pi/2 = yellow.
	Hue float64
	// Radius: a curve's radius of curvature; a blob's Gaussian sigma (pixels).
	Radius float64
	// X, Y: a blob's centre; a curve's arc midpoint (the image centre).
	X, Y float64
	// Contrast: the signed peak amplitude on the [-1, 1] pixel scale (1 for
	// gratings and blobs; +1 bright or -1 dark for curves).
	Contrast float64
}

// Rec. 601 luma weights, used for isoluminance.
const lumR, lumG, lumB = 0.299, 0.587, 0.114

// curveExtent is the angle an arc subtends; curveWidth the Gaussian
// half-width of its stroke (pixels).
const (
	curveExtent = 2 * math.Pi / 3
	curveWidth  = 0.75
)

// Probes returns n probe images of one kind, size x size pixels, as float32
// CHW (channels R, G, B) concatenated into one slice of n*3*size*size
// values, with their descriptions. Pixel values are in [-1, 1], the image
// p in [0, 1] mapped to 2p - 1, so the gray background is 0.
//
// The bank is a pure function of (kind, n, size): no RNG. Parameters are
// spread over their ranges by the additive recurrence (Kronecker) sequence
// u_i = frac(1/2 + i alpha), alpha_j = phi_d^-j (phi_d the generalised golden
// ratio), which covers the space evenly for any n:
//
//	gratings  orientation pi u1, frequency fmin (fmax/fmin)^u2 with
//	          fmin = 1/size, fmax = 0.4 cycles/pixel, phase 2 pi u3;
//	          colour gratings alternate red-green and blue-yellow (i even/odd)
//	blobs     hue 2 pi u1, sigma from size/16 to size/4 (log), centre within
//	          size/4 of the image centre (u3, u4)
//	curves    orientation 2 pi u1, radius from size/8 to size (log),
//	          polarity alternates bright (i even) and dark
//
// Colour probes modulate an isoluminant colour direction
//
//	d(h) = cos(h) (1, -0.299/0.587, 0) + sin(h) (-0.114/0.886, -0.114/0.886, 1)
//
// scaled to max |d_c| = 1, whose Rec. 601 luminance 0.299 R + 0.587 G +
// 0.114 B is 0: every pixel of a colour probe has the background's luminance.
// Panics if n < 0, size < 1 or kind is unknown.
//
// References: the probe families follow Voss et al., "Branch Specialization"
// (Distill 2021) (colour versus black-and-white, frequency, curves);
// Roberts, "The unreasonable effectiveness of quasirandom sequences" (2018)
// for the R_d sequence.
func Probes(kind ProbeKind, n, size int) ([]float32, []Probe) {
	if n < 0 || size < 1 || kind < 0 || kind >= numProbeKinds {
		panic(fmt.Sprintf("metrics.Probes: kind = %v, n = %d, size = %d", kind, n, size))
	}
	plane := size * size
	img := make([]float32, n*3*plane)
	meta := make([]Probe, n)
	dims := map[ProbeKind]int{GratingGray: 3, GratingColor: 3, ColorBlob: 4, Curve: 2}[kind]
	alpha := kroneckerAlpha(dims)
	for i := range n {
		u := make([]float64, dims)
		for j := range u {
			_, u[j] = math.Modf(0.5 + float64(i+1)*alpha[j])
		}
		meta[i] = probeParams(kind, i, size, u)
		renderProbe(img[i*3*plane:(i+1)*3*plane], size, meta[i])
	}
	return img, meta
}

// ProbeBank returns perKind probes of every kind, in kind order
// (GratingGray, GratingColor, ColorBlob, Curve), concatenated as Probes
// returns them. Panics as Probes does.
func ProbeBank(perKind, size int) ([]float32, []Probe) {
	var img []float32
	var meta []Probe
	for k := range numProbeKinds {
		im, m := Probes(k, perKind, size)
		img = append(img, im...)
		meta = append(meta, m...)
	}
	return img, meta
}

// kroneckerAlpha returns the R_d step alpha_j = phi_d^-(j+1), with phi_d the
// positive root of x^(d+1) = x + 1 (found by fixed-point iteration).
func kroneckerAlpha(d int) []float64 {
	phi := 2.0
	for range 64 {
		phi = math.Pow(1+phi, 1/float64(d+1))
	}
	a := make([]float64, d)
	for j := range a {
		a[j] = math.Pow(phi, -float64(j+1))
	}
	return a
}

// logRange maps u in [0, 1) to lo (hi/lo)^u.
func logRange(lo, hi, u float64) float64 { return lo * math.Pow(hi/lo, u) }

// probeParams turns the quasi-random point u of probe i into its description.
func probeParams(kind ProbeKind, i, size int, u []float64) Probe {
	s := float64(size)
	c := (s - 1) / 2
	p := Probe{Kind: kind, Contrast: 1}
	switch kind {
	case GratingGray, GratingColor:
		p.Orientation = math.Pi * u[0]
		p.Frequency = logRange(1/s, 0.4, u[1])
		p.Phase = 2 * math.Pi * u[2]
		if kind == GratingColor && i%2 == 1 {
			p.Hue = math.Pi / 2
		}
	case ColorBlob:
		p.Hue = 2 * math.Pi * u[0]
		p.Radius = logRange(s/16, s/4, u[1])
		p.X = c + (u[2]-0.5)*s/2
		p.Y = c + (u[3]-0.5)*s/2
	case Curve:
		p.Orientation = 2 * math.Pi * u[0]
		p.Radius = logRange(s/8, s, u[1])
		p.X, p.Y = c, c
		if i%2 == 1 {
			p.Contrast = -1
		}
	}
	return p
}

// colourDirection returns the isoluminant RGB direction of hue h, scaled so
// that its largest component has magnitude 1.
func colourDirection(h float64) [3]float64 {
	rg := [3]float64{1, -lumR / lumG, 0}
	by := [3]float64{-lumB / (lumR + lumG), -lumB / (lumR + lumG), 1}
	var d [3]float64
	m := 0.0
	for ch := range d {
		d[ch] = math.Cos(h)*rg[ch] + math.Sin(h)*by[ch]
		m = max(m, math.Abs(d[ch]))
	}
	for ch := range d {
		d[ch] /= m
	}
	return d
}

// renderProbe draws probe p into img ([3, size, size], zeroed).
func renderProbe(img []float32, size int, p Probe) {
	plane := size * size
	dir := [3]float64{1, 1, 1}
	if p.Kind == GratingColor || p.Kind == ColorBlob {
		dir = colourDirection(p.Hue)
	}
	c := (float64(size) - 1) / 2
	for y := range size {
		for x := range size {
			var v float64
			fx, fy := float64(x), float64(y)
			switch p.Kind {
			case GratingGray, GratingColor:
				t := (fx-c)*math.Cos(p.Orientation) + (fy-c)*math.Sin(p.Orientation)
				v = math.Cos(2*math.Pi*p.Frequency*t + p.Phase)
			case ColorBlob:
				r2 := (fx-p.X)*(fx-p.X) + (fy-p.Y)*(fy-p.Y)
				v = math.Exp(-r2 / (2 * p.Radius * p.Radius))
			case Curve:
				d := arcDistance(fx, fy, p)
				v = math.Exp(-d * d / (2 * curveWidth * curveWidth))
			}
			v *= p.Contrast
			for ch := range 3 {
				img[ch*plane+y*size+x] = float32(v * dir[ch])
			}
		}
	}
}

// arcDistance returns the distance from (x, y) to the arc of curve p: radius
// p.Radius, midpoint (p.X, p.Y), centre of curvature at distance Radius
// from the midpoint opposite to Orientation, subtending curveExtent.
func arcDistance(x, y float64, p Probe) float64 {
	cx := p.X - p.Radius*math.Cos(p.Orientation)
	cy := p.Y - p.Radius*math.Sin(p.Orientation)
	dx, dy := x-cx, y-cy
	delta := math.Remainder(math.Atan2(dy, dx)-p.Orientation, 2*math.Pi)
	if math.Abs(delta) <= curveExtent/2 {
		return math.Abs(math.Hypot(dx, dy) - p.Radius)
	}
	end := p.Orientation + math.Copysign(curveExtent/2, delta)
	return math.Hypot(x-(cx+p.Radius*math.Cos(end)), y-(cy+p.Radius*math.Sin(end)))
}
