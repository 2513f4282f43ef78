package data

import (
	"slices"
	"testing"
)

// rampSet returns n examples of c x 2 x 2 whose values are their flat
// index / 100 and labels i mod 3.
func rampSet(n, c int) *Set {
	s := &Set{C: c, H: 2, W: 2, Classes: 3, ClassNames: []string{"a", "b", "c"}}
	for i := range n * c * 4 {
		s.X = append(s.X, float32(i)/100)
	}
	for i := range n {
		s.Y = append(s.Y, int32(i%3))
	}
	return s
}

func TestSetGather(t *testing.T) {
	s := rampSet(5, 3)
	idx := []int{4, 0, 4, 2}
	x, y := make([]float32, 4*12), make([]float32, 4)
	s.Gather(idx, x, y)
	for j, i := range idx {
		if !slices.Equal(x[j*12:(j+1)*12], s.Image(i)) {
			t.Errorf("slot %d: %v, want example %d %v", j, x[j*12:(j+1)*12], i, s.Image(i))
		}
		if y[j] != float32(s.Y[i]) {
			t.Errorf("y[%d] = %v, want %d", j, y[j], s.Y[i])
		}
	}
	s.Gather(idx[:1], x[:12], nil) // labels optional
	for _, bad := range []func(){
		func() { s.Gather(idx, x[:10], y) },
		func() { s.Gather(idx, x, y[:2]) },
		func() { s.Gather([]int{5}, x[:12], nil) },
	} {
		if !panics(bad) {
			t.Error("Gather with bad arguments did not panic")
		}
	}
}

func TestSetHead(t *testing.T) {
	s := rampSet(5, 1)
	for _, c := range []struct{ n, want int }{{0, 0}, {3, 3}, {5, 5}, {9, 5}} {
		h := s.Head(c.n)
		if h.Len() != c.want || len(h.X) != c.want*4 || h.C != 1 || h.Classes != 3 {
			t.Errorf("Head(%d): len %d, len(X) %d", c.n, h.Len(), len(h.X))
		}
		if c.want > 0 && &h.X[0] != &s.X[0] {
			t.Errorf("Head(%d) copied; want a view", c.n)
		}
	}
	// appending to a head must not overwrite the parent
	h := s.Head(2)
	h.Y = append(h.Y, 99)
	if s.Y[2] == 99 {
		t.Error("append to Head's Y overwrote the parent set")
	}
	if !panics(func() { s.Head(-1) }) {
		t.Error("Head(-1) did not panic")
	}
}

func TestGray(t *testing.T) {
	const tol = 1e-6 // float32 arithmetic on values of order 1
	// Reference: Y = 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601), by hand.
	src := []float32{1, -1, 0.5, -1, 1, 0.5, -1, -1, 0.5} // 3 channels x 3 pixels
	want := []float32{0.299 - 0.587 - 0.114, -0.299 + 0.587 - 0.114, 0.5}
	for _, alias := range []bool{false, true} {
		dst := make([]float32, 9)
		if alias {
			dst = slices.Clone(src)
			Gray(dst, dst, 3, 1, 3)
		} else {
			Gray(dst, src, 3, 1, 3)
		}
		for c := range 3 {
			for p, w := range want {
				if d := dst[c*3+p] - w; d > tol || d < -tol {
					t.Errorf("alias=%v channel %d pixel %d = %v, want %v", alias, c, p, dst[c*3+p], w)
				}
			}
		}
	}
	// Luminance commutes with x = 2p - 1: Gray(2p - 1) = 2 Gray(p) - 1.
	p := []float32{0.2, 0.9, 0.4, 0.7, 0.1, 0.3}
	x := make([]float32, len(p))
	for i, v := range p {
		x[i] = 2*v - 1
	}
	gp, gx := make([]float32, 6), make([]float32, 6)
	Gray(gp, p, 3, 1, 2)
	Gray(gx, x, 3, 1, 2)
	for i := range gp {
		if d := gx[i] - (2*gp[i] - 1); d > tol || d < -tol {
			t.Errorf("value %d: Gray(2p-1) = %v, 2 Gray(p) - 1 = %v", i, gx[i], 2*gp[i]-1)
		}
	}
	one := []float32{0.3, -0.2}
	out := make([]float32, 2)
	Gray(out, one, 1, 1, 2)
	if !slices.Equal(out, one) {
		t.Errorf("1-channel Gray = %v", out)
	}
	if !panics(func() { Gray(make([]float32, 8), make([]float32, 8), 2, 2, 2) }) {
		t.Error("Gray with 2 channels did not panic")
	}
}

func TestSetGrayscale(t *testing.T) {
	s := rampSet(4, 3)
	orig := slices.Clone(s.X)
	g := s.Grayscale()
	if !slices.Equal(s.X, orig) {
		t.Error("Grayscale modified its receiver")
	}
	if g.C != 3 || g.Len() != 4 || !slices.Equal(g.Y, s.Y) {
		t.Fatalf("shape C=%d len=%d", g.C, g.Len())
	}
	for i := range 4 {
		want := make([]float32, 12)
		Gray(want, s.Image(i), 3, 2, 2)
		if !slices.Equal(g.Image(i), want) {
			t.Errorf("example %d: %v, want %v", i, g.Image(i), want)
		}
		// idempotent: gray of gray is itself
		again := make([]float32, 12)
		Gray(again, g.Image(i), 3, 2, 2)
		for j := range again {
			if d := again[j] - want[j]; d > 1e-6 || d < -1e-6 {
				t.Errorf("gray of gray differs at %d: %v vs %v", j, again[j], want[j])
			}
		}
	}
	one := rampSet(2, 1)
	if one.Grayscale() != one {
		t.Error("1-channel Grayscale did not return its receiver")
	}
}

func panics(f func()) (did bool) {
	defer func() { did = recover() != nil }()
	f()
	return false
}

// TestByteSet checks that a byte set gathers the stored values of its
// bytes, x = 2 b/255 - 1 (the bits the CIFAR-10 binary loader produces),
// and that Head and Grayscale give views.
func TestByteSet(t *testing.T) {
	b := byteSet(5, 3, 2, 2)
	f := asFloat(b)
	if f.X[1] != float32(2*float64(b.Pix[1])/255-1) {
		t.Fatalf("stored value %v of byte %d", f.X[1], b.Pix[1])
	}
	idx := []int{4, 0, 4}
	xb, xf := make([]float32, 36), make([]float32, 36)
	yb, yf := make([]float32, 3), make([]float32, 3)
	b.Gather(idx, xb, yb)
	f.Gather(idx, xf, yf)
	if !slices.Equal(xb, xf) || !slices.Equal(yb, yf) {
		t.Errorf("byte set gathers %v, float set %v", xb, xf)
	}
	g := b.Grayscale()
	if &g.Pix[0] != &b.Pix[0] || !g.IsGray() || b.IsGray() {
		t.Error("Grayscale of a byte set is not a view")
	}
	g.Gather(idx, xb, nil)
	f.Grayscale().Gather(idx, xf, nil)
	if !slices.Equal(xb, xf) {
		t.Errorf("grayscale byte view %v, float Grayscale %v", xb, xf)
	}
	h := b.Head(2)
	if h.Len() != 2 || len(h.Pix) != 24 || &h.Pix[0] != &b.Pix[0] || h.X != nil {
		t.Errorf("Head(2) of a byte set: %d examples, %d bytes", h.Len(), len(h.Pix))
	}
	if !panics(func() { b.Image(0) }) {
		t.Error("Image of a byte set did not panic")
	}
	if !panics(func() { (&Set{C: 2, H: 1, W: 1, Pix: []uint8{1, 2}, Y: []int32{0}}).Grayscale() }) {
		t.Error("Grayscale of a 2-channel set did not panic")
	}
}
