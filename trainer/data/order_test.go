package data

import (
	"slices"
	"testing"
)

func TestOrderPermutations(t *testing.T) {
	const n = 37
	o := NewOrder(n, 5)
	var epochs [][]int
	for e := range 4 {
		if s := o.State(); s != (OrderState{Epoch: e, Pos: 0}) {
			t.Fatalf("state %+v at the start of epoch %d", s, e)
		}
		p := make([]int, n)
		o.Next(p)
		seen := make([]bool, n)
		for _, i := range p {
			if i < 0 || i >= n || seen[i] {
				t.Fatalf("epoch %d: %v is not a permutation of [0,%d)", e, p, n)
			}
			seen[i] = true
		}
		epochs = append(epochs, p)
	}
	for a := range epochs {
		for b := range a {
			if slices.Equal(epochs[a], epochs[b]) {
				t.Errorf("epochs %d and %d have the same order", b, a)
			}
		}
	}
	if slices.IsSorted(epochs[0]) {
		t.Error("epoch 0 is not shuffled")
	}
}

func TestOrderDeterministic(t *testing.T) {
	take := func(seed uint64) []int {
		idx := make([]int, 250)
		NewOrder(100, seed).Next(idx)
		return idx
	}
	if !slices.Equal(take(3), take(3)) {
		t.Error("same seed, different orders")
	}
	if slices.Equal(take(3), take(4)) {
		t.Error("seeds 3 and 4 gave the same order")
	}
}

// TestOrderResume is the resume-equality test: 1000 indices in one call
// equal 370, a save into a fresh Order, then 630; batches span epochs.
func TestOrderResume(t *testing.T) {
	const n, seed = 97, 12
	whole := make([]int, 1000)
	NewOrder(n, seed).Next(whole)

	a := NewOrder(n, seed)
	first := make([]int, 370)
	a.Next(first)
	st := a.State()
	if want := (OrderState{Epoch: 370 / n, Pos: 370 % n}); st != want {
		t.Fatalf("state %+v after 370, want %+v", st, want)
	}
	b := NewOrder(n, seed)
	if err := b.SetState(st); err != nil {
		t.Fatal(err)
	}
	rest := make([]int, 630)
	for done := 0; done < len(rest); done += 64 { // batches of 64
		b.Next(rest[done:min(done+64, len(rest))])
	}
	if got := append(first, rest...); !slices.Equal(got, whole) {
		t.Errorf("resumed sequence differs from the uninterrupted one")
	}
	// Moving back to an earlier epoch replays it too.
	if err := b.SetState(OrderState{Epoch: 0, Pos: 5}); err != nil {
		t.Fatal(err)
	}
	again := make([]int, 10)
	b.Next(again)
	if !slices.Equal(again, whole[5:15]) {
		t.Errorf("replay from (0, 5) = %v, want %v", again, whole[5:15])
	}
}

func TestOrderSetStateErrors(t *testing.T) {
	o := NewOrder(10, 1)
	o.Next(make([]int, 3))
	for _, s := range []OrderState{{-1, 0}, {0, -1}, {0, 10}, {2, 11}} {
		if err := o.SetState(s); err == nil {
			t.Errorf("SetState(%+v) succeeded", s)
		}
	}
	if s := o.State(); s != (OrderState{0, 3}) {
		t.Errorf("state %+v after failed SetState, want {0 3}", s)
	}
}

func TestOrderOneExample(t *testing.T) {
	o := NewOrder(1, 1)
	idx := make([]int, 5)
	o.Next(idx)
	if !slices.Equal(idx, []int{0, 0, 0, 0, 0}) || o.State() != (OrderState{5, 0}) {
		t.Errorf("idx %v state %+v", idx, o.State())
	}
}
