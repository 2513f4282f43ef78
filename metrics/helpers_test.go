package metrics

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Named tolerances shared by the tests.
const (
	// tolExact is for results that are exact up to a few roundings.
	tolExact = 1e-12
	// tolFloat32 is for results computed from float32 data.
	tolFloat32 = 1e-6
)

// near reports whether got is within tol of want, relative to max(1, |want|);
// two NaNs are near, as are equal infinities.
func near(got, want, tol float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(got)
	}
	if math.IsInf(want, 0) {
		return got == want
	}
	return math.Abs(got-want) <= tol*max(1, math.Abs(want))
}

// newRNG returns a PCG generator for test seed s.
func newRNG(s uint64) *rand.Rand { return rand.New(rand.NewPCG(s, 0x5eed)) }

// mustPanic fails t unless f panics.
func mustPanic(t *testing.T, name string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s: no panic", name)
		}
	}()
	f()
}
