package data

import "fmt"

// Rec. 601 luma weights (ITU-R BT.601): Y = 0.299 R + 0.587 G + 0.114 B.
// They sum to 1, so Y commutes with the x = 2p - 1 normalisation.
const (
	lumaR = 0.299
	lumaG = 0.587
	lumaB = 0.114
)

// Set is an in-memory labelled image set, float32 NCHW, values normalised as
// x = 2p - 1 for pixel intensity p in [0,1] (the same affine map on every
// channel).
//
// X holds Len()*C*H*W values; Y holds one label in [0, Classes) per example.
// ClassNames, when not nil, has Classes entries.
type Set struct {
	C, H, W    int
	Classes    int
	ClassNames []string
	X          []float32
	Y          []int32
}

// Len returns the number of examples.
func (s *Set) Len() int { return len(s.Y) }

// size returns the number of values in one example.
func (s *Set) size() int { return s.C * s.H * s.W }

// Image returns a view of example i's C*H*W values; writes through it change
// the set. It panics if i is out of range.
func (s *Set) Image(i int) []float32 {
	n := s.size()
	return s.X[i*n : (i+1)*n : (i+1)*n]
}

// Gather copies the examples idx, in order, into x (len(idx)*C*H*W values)
// and their labels, as float32, into y (len(idx) values). y may be nil to
// copy images only. It panics if x or y has the wrong length or an index is
// out of range.
func (s *Set) Gather(idx []int, x []float32, y []float32) {
	n := s.size()
	if len(x) != len(idx)*n {
		panic(fmt.Sprintf("data: Gather: len(x) = %d, want %d", len(x), len(idx)*n))
	}
	if y != nil && len(y) != len(idx) {
		panic(fmt.Sprintf("data: Gather: len(y) = %d, want %d", len(y), len(idx)))
	}
	for j, i := range idx {
		copy(x[j*n:(j+1)*n], s.X[i*n:(i+1)*n])
		if y != nil {
			y[j] = float32(s.Y[i])
		}
	}
}

// Head returns a view of the first n examples: the result shares X, Y and
// ClassNames with s. n larger than Len() is clamped to Len(); Head panics if
// n is negative.
func (s *Set) Head(n int) *Set {
	if n < 0 {
		panic(fmt.Sprintf("data: Head(%d): negative count", n))
	}
	n = min(n, s.Len())
	h := *s
	h.X = s.X[: n*s.size() : n*s.size()]
	h.Y = s.Y[:n:n]
	return &h
}

// Grayscale returns a new set whose images are the Rec. 601 luminance of s's
// images replicated over the three channels (see Gray). A 1-channel set is
// returned unchanged (s itself). Labels and class names are shared with s.
// It panics if s has neither 1 nor 3 channels.
func (s *Set) Grayscale() *Set {
	if s.C == 1 {
		return s
	}
	g := *s
	g.X = make([]float32, len(s.X))
	n := s.size()
	for i := range s.Len() {
		Gray(g.X[i*n:(i+1)*n], s.X[i*n:(i+1)*n], s.C, s.H, s.W)
	}
	return &g
}

// Gray writes the luminance of one CHW image src into dst, replicated over
// the c channels:
//
//	Y = 0.299 R + 0.587 G + 0.114 B        (c = 3; ITU-R BT.601)
//	Y = src                                (c = 1)
//
// dst may alias src exactly. Because the weights sum to 1, the result is the
// same whether src holds intensities p or normalised values 2p - 1. It
// panics unless c is 1 or 3 and both slices hold c*h*w values.
func Gray(dst, src []float32, c, h, w int) {
	n := c * h * w
	if len(dst) != n || len(src) != n {
		panic(fmt.Sprintf("data: Gray: len(dst) = %d, len(src) = %d, want %d", len(dst), len(src), n))
	}
	switch c {
	case 1:
		copy(dst, src)
	case 3:
		p := h * w
		r, g, b := src[:p], src[p:2*p], src[2*p:]
		dr, dg, db := dst[:p], dst[p:2*p], dst[2*p:]
		for i := range p {
			y := lumaR*r[i] + lumaG*g[i] + lumaB*b[i]
			dr[i], dg[i], db[i] = y, y, y
		}
	default:
		panic(fmt.Sprintf("data: Gray: %d channels, want 1 or 3", c))
	}
}
