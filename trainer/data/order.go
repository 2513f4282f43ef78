package data

import "fmt"

// Order yields the example order for training: a fresh permutation of [0,n)
// every epoch, drawn from a PCG stream seeded by (seed, epoch). The
// permutation of an epoch is a pure function of (n, seed, epoch), so the
// whole state of an Order is its OrderState: a checkpoint that stores it
// resumes the exact same sequence.
type Order struct {
	n     int
	seed  uint64
	epoch int
	pos   int
	perm  []int
}

// OrderState is the position of an Order: the epoch and the number of
// indices of that epoch's permutation already handed out, 0 <= Pos < n.
type OrderState struct {
	Epoch, Pos int
}

// NewOrder returns an Order over n examples at epoch 0, position 0. It
// panics if n < 1.
func NewOrder(n int, seed uint64) *Order {
	if n < 1 {
		panic(fmt.Sprintf("data: NewOrder(%d): need at least one example", n))
	}
	o := &Order{n: n, seed: seed, perm: make([]int, n)}
	o.start(0)
	return o
}

// start draws the permutation of epoch e and moves to its beginning.
func (o *Order) start(e int) {
	for i := range o.perm {
		o.perm[i] = i
	}
	newStream(o.seed, tagOrder, uint64(e)).shuffle(o.perm)
	o.epoch, o.pos = e, 0
}

// Next fills idx with the next len(idx) example indices. When an epoch's
// permutation ends it rolls into the next epoch's, so a batch can span two
// (or, for len(idx) > n, more) epochs. After the last index of an epoch the
// state is already (epoch+1, 0).
func (o *Order) Next(idx []int) {
	for len(idx) > 0 {
		k := copy(idx, o.perm[o.pos:])
		idx = idx[k:]
		o.pos += k
		if o.pos == o.n {
			o.start(o.epoch + 1)
		}
	}
}

// State returns the current position.
func (o *Order) State() OrderState {
	return OrderState{Epoch: o.epoch, Pos: o.pos}
}

// SetState moves to s. It returns an error, and leaves the Order unchanged,
// unless s.Epoch >= 0 and 0 <= s.Pos < n.
func (o *Order) SetState(s OrderState) error {
	if s.Epoch < 0 || s.Pos < 0 || s.Pos >= o.n {
		return fmt.Errorf("data: order state %+v out of range for %d examples", s, o.n)
	}
	if s.Epoch != o.epoch {
		o.start(s.Epoch)
	}
	o.pos = s.Pos
	return nil
}
