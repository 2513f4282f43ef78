package data

import (
	"fmt"
	"math/rand/v2"

	"branchspec/trainer/rng"
)

// tagAugment keeps the augmentation streams apart from the others (see
// stream.go).
const tagAugment uint64 = 4

// Augment is the data augmentation of training batches: a random crop of
// the image zero-padded by Pad on every side, back to the original size,
// then a horizontal flip with probability 1/2 when Flip is set (Krizhevsky
// et al., "ImageNet classification with deep convolutional neural
// networks", NIPS 2012, section 4.1, with the padded-crop form of He et
// al., "Deep residual learning for image recognition", CVPR 2016, section
// 4.2). For an example drawn offsets dy, dx, uniform on the 2P+1 integers
// of [-P, P], and a flip bit f:
//
//	u[c][i][j] = v[c][i+dy][j+dx]     (0 where i+dy or j+dx is outside the image)
//	out[c][i][j] = u[c][i][W-1-j] if f, else u[c][i][j]
//
// It acts on the network's input (after Set.Gather's preprocessing), so
// the padding is 0 in the input: the value a convolution's own zero
// padding has, which for mean-subtracted input is the mean image.
//
// The draws of an example are a pure function of (Seed, step, slot): a PCG
// stream seeded from the three, so a resumed run that passes the same step
// gets the same bits with no RNG state to store, whatever augmented
// before. The zero value does nothing.
type Augment struct {
	Pad  int    // P >= 0: the crop offsets range over [-P, P]
	Flip bool   // mirror left-right with probability 1/2
	Seed uint64 // the augmentation seed, derived by the caller from the run's
}

// Enabled reports whether a changes any image.
func (a Augment) Enabled() bool { return a.Pad > 0 || a.Flip }

// Draw returns the offsets and flip of the example in slot (0-based) of
// training batch step (0 for the first batch of the run). The stream draws
// dy, then dx (Lemire's method on 2P+1 values, see stream.intn), then one
// value whose top bit is the flip (ignored unless Flip), so the offsets do
// not depend on Flip. It panics if Pad or slot is negative.
func (a Augment) Draw(step uint64, slot int) (dy, dx int, flip bool) {
	if a.Pad < 0 || slot < 0 {
		panic(fmt.Sprintf("data: Augment.Draw: pad %d, slot %d; want both >= 0", a.Pad, slot))
	}
	// SplitMix64 and + step are bijections, so distinct (step, slot) give
	// distinct 128-bit PCG states for a seed.
	r := stream{src: rand.NewPCG(rng.SplitMix64(rng.SplitMix64(a.Seed^rng.SplitMix64(tagAugment))+step), uint64(slot))}
	n := 2*a.Pad + 1
	dy = r.intn(n) - a.Pad
	dx = r.intn(n) - a.Pad
	flip = a.Flip && r.src.Uint64()>>63 == 1
	return dy, dx, flip
}

// Apply augments in place the len(x)/(c*h*w) images [C, H, W] of batch
// step, image j with Draw(step, j). It panics if len(x) is not a multiple
// of c*h*w or Pad is negative; Pad >= h or w is allowed (a crop may then
// be all padding).
func (a Augment) Apply(x []float32, c, h, w int, step uint64) {
	n := c * h * w
	if n <= 0 || len(x)%n != 0 {
		panic(fmt.Sprintf("data: Augment.Apply: %d values are not whole %dx%dx%d images", len(x), c, h, w))
	}
	if !a.Enabled() {
		return
	}
	for j := range len(x) / n {
		dy, dx, flip := a.Draw(step, j)
		img := x[j*n : (j+1)*n]
		for p := range c {
			transform(img[p*h*w:(p+1)*h*w], h, w, dy, dx, flip)
		}
	}
}

// transform shifts one plane [h, w] in place so that plane[i][j] becomes
// plane[i+dy][j+dx] (0 outside), then mirrors it left-right when flip.
func transform(plane []float32, h, w, dy, dx int, flip bool) {
	if dy != 0 || dx != 0 {
		// Rows are moved towards where they come from first, so a source
		// row is read before it is overwritten.
		j0, j1 := max(0, -dx), min(w, w-dx) // destination columns with a source
		row := func(i int) {
			dst := plane[i*w : (i+1)*w]
			si := i + dy
			if si < 0 || si >= h || j0 >= j1 {
				clear(dst)
				return
			}
			copy(dst[j0:j1], plane[si*w+j0+dx:si*w+j1+dx]) // memmove when si == i
			clear(dst[:j0])
			clear(dst[j1:])
		}
		if dy > 0 {
			for i := range h {
				row(i)
			}
		} else {
			for i := h - 1; i >= 0; i-- {
				row(i)
			}
		}
	}
	if flip {
		for i := range h {
			r := plane[i*w : (i+1)*w]
			for a, b := 0, w-1; a < b; a, b = a+1, b-1 {
				r[a], r[b] = r[b], r[a]
			}
		}
	}
}
