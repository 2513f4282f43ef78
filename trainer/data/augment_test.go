package data

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestTransform checks crops and flips of a hand-made 3x4 plane.
func TestTransform(t *testing.T) {
	plane := []float32{
		1, 2, 3, 4,
		5, 6, 7, 8,
		9, 10, 11, 12,
	}
	tests := []struct {
		dy, dx int
		flip   bool
		want   []float32
	}{
		{0, 0, false, plane},
		{0, 0, true, []float32{4, 3, 2, 1, 8, 7, 6, 5, 12, 11, 10, 9}},
		// out[i][j] = in[i+1][j]: rows move up, a zero row enters below.
		{1, 0, false, []float32{5, 6, 7, 8, 9, 10, 11, 12, 0, 0, 0, 0}},
		{-1, 0, false, []float32{0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8}},
		// out[i][j] = in[i][j+2]: columns move left.
		{0, 2, false, []float32{3, 4, 0, 0, 7, 8, 0, 0, 11, 12, 0, 0}},
		{0, -1, false, []float32{0, 1, 2, 3, 0, 5, 6, 7, 0, 9, 10, 11}},
		// Both, then the flip of the shifted plane.
		{-2, 1, true, []float32{0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 3, 2}},
		{1, -1, false, []float32{0, 5, 6, 7, 0, 9, 10, 11, 0, 0, 0, 0}},
		// Offsets past the image leave only padding.
		{0, 4, false, make([]float32, 12)},
		{-3, 0, true, make([]float32, 12)},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("dy%d_dx%d_flip%t", tt.dy, tt.dx, tt.flip), func(t *testing.T) {
			got := slices.Clone(plane)
			transform(got, 3, 4, tt.dy, tt.dx, tt.flip)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got  %v\nwant %v", got, tt.want)
			}
		})
	}
}

// TestAugmentApply checks that Apply transforms image j of a batch with
// Draw(step, j) on every channel, and nothing else.
func TestAugmentApply(t *testing.T) {
	const c, h, w, n = 3, 5, 6, 9
	a := Augment{Pad: 2, Flip: true, Seed: 11}
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, n*c*h*w)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	got := slices.Clone(x)
	a.Apply(got, c, h, w, 41)
	for j := range n {
		dy, dx, flip := a.Draw(41, j)
		for p := range c {
			off := (j*c + p) * h * w
			want := slices.Clone(x[off : off+h*w])
			transform(want, h, w, dy, dx, flip)
			if !slices.Equal(got[off:off+h*w], want) {
				t.Fatalf("image %d channel %d: not the transform of Draw(41, %d) = (%d, %d, %v)", j, p, j, dy, dx, flip)
			}
		}
	}
	none := slices.Clone(x)
	Augment{Seed: 11}.Apply(none, c, h, w, 41)
	if !slices.Equal(none, x) {
		t.Error("the zero augmentation changed the batch")
	}
	if !panics(func() { a.Apply(x[:len(x)-1], c, h, w, 0) }) || !panics(func() { a.Draw(0, -1) }) ||
		!panics(func() { Augment{Pad: -1}.Draw(0, 0) }) {
		t.Error("bad arguments did not panic")
	}
}

// TestAugmentDeterministic checks that the draws are a pure function of
// (seed, step, slot): the same batch twice gives the same bits, in any
// order and after any other batches (as after a resume), and other steps,
// slots or seeds give other draws.
func TestAugmentDeterministic(t *testing.T) {
	const c, h, w, n = 3, 8, 8, 16
	a := Augment{Pad: 4, Flip: true, Seed: 5}
	x := make([]float32, n*c*h*w)
	for i := range x {
		x[i] = float32(i%251) / 7
	}
	batch := func(step uint64) []float32 {
		b := slices.Clone(x)
		a.Apply(b, c, h, w, step)
		return b
	}
	first := batch(7)
	for _, s := range []uint64{3, 100, 7, 8} {
		batch(s)
	}
	if again := batch(7); !slices.Equal(first, again) {
		t.Error("batch 7 augmented twice gave different bits")
	}
	if slices.Equal(first, batch(8)) {
		t.Error("batches 7 and 8 got the same augmentation")
	}
	type draw struct {
		dy, dx int
		f      bool
	}
	seen := map[draw]int{}
	for slot := range 64 {
		dy, dx, f := a.Draw(7, slot)
		seen[draw{dy, dx, f}]++
	}
	if len(seen) < 40 { // 162 possible draws: 64 slots should hit many
		t.Errorf("64 slots of one step gave only %d distinct draws", len(seen))
	}
	b := a
	b.Seed++
	same := 0
	for slot := range 64 {
		dy1, dx1, f1 := a.Draw(7, slot)
		dy2, dx2, f2 := b.Draw(7, slot)
		if dy1 == dy2 && dx1 == dx2 && f1 == f2 {
			same++
		}
	}
	if same > 8 { // 1/162 chance each
		t.Errorf("seeds 5 and 6 agree on %d of 64 draws", same)
	}
	// The offsets do not depend on Flip.
	noFlip := a
	noFlip.Flip = false
	for slot := range 32 {
		dy1, dx1, _ := a.Draw(3, slot)
		dy2, dx2, f := noFlip.Draw(3, slot)
		if dy1 != dy2 || dx1 != dx2 || f {
			t.Fatalf("slot %d: offsets (%d, %d) with flip, (%d, %d, flip %v) without", slot, dy1, dx1, dy2, dx2, f)
		}
	}
}

// TestAugmentDistribution checks that dy and dx are each uniform on the
// 2P+1 offsets and jointly uniform on their square, and that flips come
// with probability 1/2, over 40,000 draws (400 steps x 100 slots).
// Thresholds: chi-squared 0.999 quantiles (4 dof: 18.47, 24 dof: 51.18);
// the flip count within 4 standard deviations of n/2.
func TestAugmentDistribution(t *testing.T) {
	const pad, steps, slots = 2, 400, 100
	const draws = steps * slots
	a := Augment{Pad: pad, Flip: true, Seed: 99}
	var ys, xs [2*pad + 1]float64
	var joint [2*pad + 1][2*pad + 1]float64
	flips := 0
	for s := range uint64(steps) {
		for j := range slots {
			dy, dx, f := a.Draw(s, j)
			if dy < -pad || dy > pad || dx < -pad || dx > pad {
				t.Fatalf("offset (%d, %d) outside [-%d, %d]", dy, dx, pad, pad)
			}
			ys[dy+pad]++
			xs[dx+pad]++
			joint[dy+pad][dx+pad]++
			if f {
				flips++
			}
		}
	}
	chi2 := func(counts []float64) float64 {
		e := float64(draws) / float64(len(counts))
		var s float64
		for _, c := range counts {
			s += (c - e) * (c - e) / e
		}
		return s
	}
	if v := chi2(ys[:]); v > 18.47 {
		t.Errorf("dy: chi-squared %.2f > 18.47, counts %v", v, ys)
	}
	if v := chi2(xs[:]); v > 18.47 {
		t.Errorf("dx: chi-squared %.2f > 18.47, counts %v", v, xs)
	}
	var flat []float64
	for _, row := range joint {
		flat = append(flat, row[:]...)
	}
	if v := chi2(flat); v > 51.18 {
		t.Errorf("(dy, dx): chi-squared %.2f > 51.18", v)
	}
	if d := math.Abs(float64(flips) - draws/2); d > 4*math.Sqrt(draws)/2 {
		t.Errorf("%d flips in %d draws", flips, draws)
	}
}

// BenchmarkGatherAugment times what a training step does to its input: a
// batch of 128 CIFAR-sized images gathered from 50,000 (bytes with the
// mean-image preprocessing, or float32 as stored values), then cropped
// with padding 4 and flipped.
func BenchmarkGatherAugment(b *testing.B) {
	const n, batch = 50000, 128
	bytes := byteSet(n, 3, 32, 32)
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range bytes.Pix {
		bytes.Pix[i] = uint8(rng.Uint32())
	}
	pre, err := FitPreprocess(bytes.Head(5000), MeanImage, 0)
	if err != nil {
		b.Fatal(err)
	}
	bytes.Pre = pre
	floats := asFloat(bytes)
	floats.Pix = nil
	aug := Augment{Pad: 4, Flip: true, Seed: 1}
	x, y := make([]float32, batch*3*32*32), make([]float32, batch)
	for _, c := range []struct {
		name string
		s    *Set
	}{{"bytes+meanimage", bytes}, {"float32", floats}} {
		b.Run(c.name, func(b *testing.B) {
			order := NewOrder(n, 3)
			idx := make([]int, batch)
			step := uint64(0)
			for b.Loop() {
				order.Next(idx)
				c.s.Gather(idx, x, y)
				aug.Apply(x, 3, 32, 32, step)
				step++
			}
		})
	}
}
