package rng

import "testing"

// TestSplitMix64 checks the first outputs of SplitMix64 from state 0
// against the reference implementation's (splitmix64.c by Sebastiano
// Vigna, public domain: next() from x = 0 gives these three values).
func TestSplitMix64(t *testing.T) {
	want := []uint64{0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x06c45d188009454f}
	for i, w := range want {
		if got := SplitMix64(uint64(i) * golden); got != w {
			t.Errorf("output %d: %#x, want %#x", i, got, w)
		}
	}
}

// TestStreamIsPure: a stream depends on its seed, purpose and counter only.
func TestStreamIsPure(t *testing.T) {
	a, b := Stream(1, "init", 0), Stream(1, "init", 0)
	for range 4 {
		if x, y := a.Uint64(), b.Uint64(); x != y {
			t.Fatalf("same arguments drew %#x and %#x", x, y)
		}
	}
	first := Stream(1, "init", 0).Uint64()
	for _, other := range []uint64{Stream(2, "init", 0).Uint64(), Stream(1, "bias", 0).Uint64(), Stream(1, "init", 1).Uint64()} {
		if other == first {
			t.Errorf("a changed seed, purpose or counter drew the same first value %#x", first)
		}
	}
}
