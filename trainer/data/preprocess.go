package data

import (
	"fmt"
	"math"
)

// PreprocessKind names a preprocessing of the network's input.
type PreprocessKind string

const (
	// MeanImage subtracts the mean image of the training set, pixel by
	// pixel and channel by channel, and divides every value by one global
	// scale s. Because the scale is the same on every channel, the
	// proportions between R, G and B that make luminance and chroma are
	// kept: the default for natural images (Krizhevsky et al., "ImageNet
	// classification with deep convolutional neural networks", NIPS 2012,
	// section 2, subtract the mean activity over the training set from each
	// pixel).
	MeanImage PreprocessKind = "mean-image"
	// PerChannel subtracts each channel's mean and divides by that
	// channel's standard deviation (both over all pixels of the training
	// set). It rescales the channels against each other, which changes what
	// a fixed kernel reads as luminance (see Preprocess.Scale).
	PerChannel PreprocessKind = "per-channel"
)

// Preprocess maps a stored image v (values 2p - 1, see Set; or their
// luminance for a grayscale set) to the network's input:
//
//	x[c][i] = (v[c][i] - Mean[c][i]) r[c]     MeanImage: Mean is [C, H, W], Std[c] = s for all c
//	x[c][i] = (v[c][i] - Mean[c])    r[c]     PerChannel: Mean and Std are [C]
//	r[c]    = 1 / Std[c]                      (rounded to float32)
//
// computed in float32 as written: multiplying by the rounded reciprocal
// rather than dividing by Std (within an ulp of the quotient) keeps
// Set.Gather's cost small next to a training step. It is
// plain data, fitted once on a training set by FitPreprocess and stored
// with a run (its fields round-trip through encoding/json exactly); Set.Pre
// applies it in Gather. Grayscale conversion composes with it as
// grayscale of the raw image first, then Preprocess, with the statistics
// unchanged (see Set.Grayscale).
type Preprocess struct {
	Kind    PreprocessKind `json:"kind"`
	C, H, W int
	Mean    []float32 `json:"mean"` // C*H*W values (MeanImage) or C (PerChannel)
	Std     []float32 `json:"std"`  // C divisors, finite and > 0
}

// FitPreprocess returns the preprocessing of kind fitted to the images of
// s as Gather hands them out before any preprocessing (s.Pre is ignored):
//
//	MeanImage:  Mean[k] = (1/N) sum_n v[n][k]                 (k over C*H*W)
//	            s = scale, or when scale is 0
//	            s = sqrt( (1/(N C H W)) sum_{n,k} (v[n][k] - Mean[k])^2 )
//	PerChannel: Mean[c] = (1/(N H W)) sum_{n,i} v[n][c][i]
//	            Std[c]  = sqrt( (1/(N H W)) sum_{n,i} (v[n][c][i] - Mean[c])^2 )
//
// in float64, summed over examples in order (two passes), then rounded to
// float32. v is in stored units (2p - 1), so a given scale is too: s = 2
// maps an intensity step of 1 to an input step of 1. scale must be 0 for
// PerChannel.
//
// It returns an error for an unknown kind, an empty set, a negative, NaN
// or infinite scale, or a fitted standard deviation of 0 (constant
// images, nothing to divide by).
func FitPreprocess(s *Set, kind PreprocessKind, scale float64) (*Preprocess, error) {
	switch {
	case kind != MeanImage && kind != PerChannel:
		return nil, fmt.Errorf("data: preprocess %q: unknown kind, want %q or %q", kind, MeanImage, PerChannel)
	case s.Len() == 0:
		return nil, fmt.Errorf("data: preprocess %s: empty training set", kind)
	case !(scale >= 0) || math.IsInf(scale, 1):
		return nil, fmt.Errorf("data: preprocess %s: scale %v, want a finite value > 0 (or 0 to fit it)", kind, scale)
	case kind == PerChannel && scale != 0:
		return nil, fmt.Errorf("data: preprocess %s: scale %v given; per-channel fits its own", kind, scale)
	}
	raw := *s
	raw.Pre = nil
	n, hw := raw.size(), s.H*s.W
	sum := make([]float64, n)
	forEachImage(&raw, func(v []float32) {
		for k, x := range v {
			sum[k] += float64(x)
		}
	})
	N := float64(s.Len())
	p := &Preprocess{Kind: kind, C: s.C, H: s.H, W: s.W, Std: make([]float32, s.C)}
	if kind == MeanImage {
		mean := make([]float32, n)
		for k, v := range sum {
			mean[k] = float32(v / N)
		}
		var ss float64
		forEachImage(&raw, func(v []float32) {
			for k, x := range v {
				d := float64(x) - float64(mean[k])
				ss += d * d
			}
		})
		if scale == 0 {
			scale = math.Sqrt(ss / (N * float64(n)))
		}
		for c := range p.Std {
			p.Std[c] = float32(scale)
		}
		p.Mean = mean
	} else {
		p.Mean = make([]float32, s.C)
		for c := range s.C {
			var t float64
			for _, v := range sum[c*hw : (c+1)*hw] {
				t += v
			}
			p.Mean[c] = float32(t / (N * float64(hw)))
		}
		ss := make([]float64, s.C)
		forEachImage(&raw, func(v []float32) {
			for c := range s.C {
				m := float64(p.Mean[c])
				for _, x := range v[c*hw : (c+1)*hw] {
					d := float64(x) - m
					ss[c] += d * d
				}
			}
		})
		for c := range s.C {
			p.Std[c] = float32(math.Sqrt(ss[c] / (N * float64(hw))))
		}
	}
	for c, v := range p.Std {
		if !(v > 0) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("data: preprocess %s: scale of channel %d is %v: the training images are constant", kind, c, v)
		}
	}
	return p, nil
}

// forEachImage calls f with the values of every example of s in order, as
// Gather hands them out; the slice is reused between calls.
func forEachImage(s *Set, f func(v []float32)) {
	const block = 64
	n := s.size()
	idx := make([]int, 0, block)
	buf := make([]float32, block*n)
	for lo := 0; lo < s.Len(); lo += block {
		idx = idx[:0]
		for i := lo; i < min(lo+block, s.Len()); i++ {
			idx = append(idx, i)
		}
		s.Gather(idx, buf[:len(idx)*n], nil)
		for j := range idx {
			f(buf[j*n : (j+1)*n])
		}
	}
}

// Validate checks that p is a complete preprocessing for C x H x W images:
// a known kind, Mean of C*H*W (MeanImage) or C (PerChannel) finite values,
// C finite Std values > 0, all equal for MeanImage. Use it on a
// preprocessing read back from storage.
func (p *Preprocess) Validate() error {
	want := p.C
	switch p.Kind {
	case MeanImage:
		want = p.C * p.H * p.W
	case PerChannel:
	default:
		return fmt.Errorf("data: preprocess %q: unknown kind, want %q or %q", p.Kind, MeanImage, PerChannel)
	}
	switch {
	case p.C < 1 || p.H < 1 || p.W < 1:
		return fmt.Errorf("data: preprocess %s: image shape %dx%dx%d", p.Kind, p.C, p.H, p.W)
	case len(p.Mean) != want:
		return fmt.Errorf("data: preprocess %s: %d mean values, want %d", p.Kind, len(p.Mean), want)
	case len(p.Std) != p.C:
		return fmt.Errorf("data: preprocess %s: %d scales, want %d", p.Kind, len(p.Std), p.C)
	}
	for i, v := range p.Mean {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("data: preprocess %s: mean value %d is %v", p.Kind, i, v)
		}
	}
	for c, v := range p.Std {
		if !(v > 0) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("data: preprocess %s: scale of channel %d is %v, want a finite value > 0", p.Kind, c, v)
		}
		if p.Kind == MeanImage && v != p.Std[0] {
			return fmt.Errorf("data: preprocess %s: scales %v differ between channels", p.Kind, p.Std)
		}
	}
	return nil
}

// Apply preprocesses one image v [C, H, W] in place. It panics if v does
// not hold C*H*W values.
func (p *Preprocess) Apply(v []float32) {
	p.check(len(v))
	hw := p.H * p.W
	for c := range p.C {
		plane, r := v[c*hw:(c+1)*hw], 1/p.Std[c]
		if p.Kind == MeanImage {
			m := p.Mean[c*hw : (c+1)*hw]
			for i, x := range plane {
				plane[i] = (x - m[i]) * r
			}
			continue
		}
		m := p.Mean[c]
		for i, x := range plane {
			plane[i] = (x - m) * r
		}
	}
}

// applyBytes is bytes-to-values conversion (lut) then Apply, in one pass:
// the same operations, so the same bits.
func (p *Preprocess) applyBytes(dst []float32, src []uint8, lut *byteLUT) {
	p.check(len(dst))
	hw := p.H * p.W
	src = src[:len(dst)]
	for c := range p.C {
		plane, b, r := dst[c*hw:(c+1)*hw], src[c*hw:(c+1)*hw], 1/p.Std[c]
		if p.Kind == MeanImage {
			m := p.Mean[c*hw : (c+1)*hw]
			for i, x := range b {
				plane[i] = (lut[x] - m[i]) * r
			}
			continue
		}
		m := p.Mean[c]
		for i, x := range b {
			plane[i] = (lut[x] - m) * r
		}
	}
}

func (p *Preprocess) check(n int) {
	if n != p.C*p.H*p.W {
		panic(fmt.Sprintf("data: Preprocess.Apply: %d values, want %d (%dx%dx%d)", n, p.C*p.H*p.W, p.C, p.H, p.W))
	}
}

// Scale returns the per-channel input scale s_c = Std[c]: the network's
// input on channel c is the stored value (2p - 1) divided by s_c, less a
// constant. For MeanImage all s_c are equal.
//
// What a linear read-out of the input (a first-layer kernel w summed over
// channels) sees of the raw image follows from it: w applied to the input
// reads the stored values with weights w_c / s_c, so w reads the raw
// channel combination a (luminance: a = (0.299, 0.587, 0.114); the
// equal-weight achromatic sum: a = (1, 1, 1)) exactly when
//
//	w_c ∝ a_c s_c                                  (see KernelAxis)
//
// and a change d of the raw image (a gray step: d = (1, 1, 1)) moves the
// input along d_c / s_c. With one global scale both are the raw-space
// directions themselves.
func (p *Preprocess) Scale() []float64 {
	s := make([]float64, len(p.Std))
	for c, v := range p.Std {
		s[c] = float64(v)
	}
	return s
}

// InputScale returns s.Pre.Scale(), or C ones when s.Pre is nil (the input
// is the stored value itself).
func (s *Set) InputScale() []float64 {
	if s.Pre != nil {
		return s.Pre.Scale()
	}
	one := make([]float64, s.C)
	for c := range one {
		one[c] = 1
	}
	return one
}

// KernelAxis returns the unit vector over input channels of the kernels
// that read the raw channel combination a through the per-channel input
// scales (see Preprocess.Scale):
//
//	u_c = a_c s_c / || a ∘ s ||
//
// It panics unless a and scale have the same length and a ∘ s is not 0.
func KernelAxis(a, scale []float64) []float64 {
	if len(a) != len(scale) {
		panic(fmt.Sprintf("data: KernelAxis: %d weights, %d scales", len(a), len(scale)))
	}
	u := make([]float64, len(a))
	var n float64
	for c := range a {
		u[c] = a[c] * scale[c]
		n += u[c] * u[c]
	}
	if n == 0 {
		panic("data: KernelAxis: zero axis")
	}
	n = math.Sqrt(n)
	for c := range u {
		u[c] /= n
	}
	return u
}
