package data

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
)

// Rec. 601 luma weights (ITU-R BT.601): Y = 0.299 R + 0.587 G + 0.114 B.
// They sum to 1, so Y commutes with the x = 2p - 1 normalisation.
const (
	LumaR = 0.299
	LumaG = 0.587
	LumaB = 0.114
)

// Set is an in-memory labelled image set, NCHW, whose stored values are
// x = 2p - 1 for pixel intensity p in [0,1] (the same affine map on every
// channel). The images are held either as float32 values in X, or, for
// 8-bit sources such as image folders, as bytes in Pix (p = Pix/255, a
// quarter of the memory), converted when gathered.
//
// Gather hands out, for each example, its stored values, then their
// luminance when the set is a grayscale view (see Grayscale), then Pre's
// preprocessing when Pre is not nil: grayscale of the raw image first,
// preprocessing second, in every set.
//
// Y holds one label in [0, Classes) per example. ClassNames, when not nil,
// has Classes entries.
type Set struct {
	C, H, W    int
	Classes    int
	ClassNames []string
	X          []float32 // Len()*C*H*W stored values, or nil when Pix holds the images
	Pix        []uint8   // Len()*C*H*W intensities 255p, used when X is nil
	Y          []int32
	// Pre, when not nil, maps every gathered image to the network's input
	// (see Preprocess); nil hands out the stored values.
	Pre *Preprocess
	// gray marks a grayscale view of a byte set: Gather converts to
	// luminance on the fly (see Grayscale).
	gray bool
}

// Len returns the number of examples.
func (s *Set) Len() int { return len(s.Y) }

// size returns the number of values in one example.
func (s *Set) size() int { return s.C * s.H * s.W }

// Image returns a view of example i's C*H*W stored values; writes through
// it change the set. It panics if i is out of range or the set holds bytes
// (Pix; use Gather, which also applies Pre).
func (s *Set) Image(i int) []float32 {
	if s.X == nil && s.Pix != nil {
		panic("data: Image: the set holds bytes (Pix); use Gather")
	}
	n := s.size()
	return s.X[i*n : (i+1)*n : (i+1)*n]
}

// Gather copies the examples idx, in order, into x (len(idx)*C*H*W values)
// as the network sees them (stored values, luminance for a grayscale view,
// then Pre) and their labels, as float32, into y (len(idx) values). y may
// be nil to copy images only. It panics if x or y has the wrong length or
// an index is out of range.
func (s *Set) Gather(idx []int, x []float32, y []float32) {
	n := s.size()
	if len(x) != len(idx)*n {
		panic(fmt.Sprintf("data: Gather: len(x) = %d, want %d", len(x), len(idx)*n))
	}
	if y != nil && len(y) != len(idx) {
		panic(fmt.Sprintf("data: Gather: len(y) = %d, want %d", len(y), len(idx)))
	}
	var lut *byteLUT
	if s.X == nil {
		lut = newByteLUT()
	}
	for j, i := range idx {
		s.input(x[j*n:(j+1)*n], i, lut)
		if y != nil {
			y[j] = float32(s.Y[i])
		}
	}
}

// input writes example i as Gather hands it out into dst; lut converts
// bytes.
func (s *Set) input(dst []float32, i int, lut *byteLUT) {
	n := s.size()
	switch {
	case s.X != nil:
		copy(dst, s.X[i*n:(i+1)*n])
	case s.gray:
		lut.convert(dst, s.Pix[i*n:(i+1)*n])
		Gray(dst, dst, s.C, s.H, s.W)
	case s.Pre != nil: // conversion and preprocessing in one pass
		s.Pre.applyBytes(dst, s.Pix[i*n:(i+1)*n], lut)
		return
	default:
		lut.convert(dst, s.Pix[i*n:(i+1)*n])
	}
	if s.Pre != nil {
		s.Pre.Apply(dst)
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
	if s.X != nil {
		h.X = s.X[: n*s.size() : n*s.size()]
	} else {
		h.Pix = s.Pix[: n*s.size() : n*s.size()]
	}
	h.Y = s.Y[:n:n]
	return &h
}

// Grayscale returns a set whose images are the Rec. 601 luminance of s's
// images replicated over the three channels (see Gray). A 1-channel set is
// returned unchanged (s itself). Labels, class names and Pre are shared
// with s: the luminance is taken of the raw image, and Pre (fitted to
// whatever set it was fitted to) applies after it. A float set gets new
// values; a byte set gets a view that converts as it gathers, so it costs
// no memory. It panics if s has neither 1 nor 3 channels.
func (s *Set) Grayscale() *Set {
	if s.C == 1 {
		return s
	}
	if s.C != 3 {
		panic(fmt.Sprintf("data: Grayscale: %d channels, want 1 or 3", s.C))
	}
	g := *s
	if s.X == nil {
		g.gray = true
		return &g
	}
	g.X = make([]float32, len(s.X))
	n := s.size()
	for i := range s.Len() {
		Gray(g.X[i*n:(i+1)*n], s.X[i*n:(i+1)*n], s.C, s.H, s.W)
	}
	return &g
}

// IsGray reports whether s is a grayscale view made by Grayscale of a byte
// set.
func (s *Set) IsGray() bool { return s.gray }

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
			y := LumaR*r[i] + LumaG*g[i] + LumaB*b[i]
			dr[i], dg[i], db[i] = y, y, y
		}
	default:
		panic(fmt.Sprintf("data: Gray: %d channels, want 1 or 3", c))
	}
}

// Digest returns the lowercase hex SHA-256 of s's examples as stored: the
// shape, the class count and the number of examples (little-endian
// uint64s), the labels (int32), then the images, as bytes (Pix) or as
// float32 bits (X). Equal digests mean equal stored data whatever files it
// came from; Pre and the grayscale view are not part of it.
func (s *Set) Digest() string {
	h := sha256.New()
	var b [8]byte
	for _, v := range []int{s.C, s.H, s.W, s.Classes, s.Len()} {
		binary.LittleEndian.PutUint64(b[:], uint64(v))
		h.Write(b[:])
	}
	buf := make([]byte, 0, 1<<16)
	flush := func() {
		h.Write(buf)
		buf = buf[:0]
	}
	for _, y := range s.Y {
		if len(buf)+4 > cap(buf) {
			flush()
		}
		buf = binary.LittleEndian.AppendUint32(buf, uint32(y))
	}
	flush()
	if s.X == nil {
		h.Write(s.Pix)
	} else {
		for _, v := range s.X {
			if len(buf)+4 > cap(buf) {
				flush()
			}
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		}
		flush()
	}
	return hex.EncodeToString(h.Sum(nil))
}
