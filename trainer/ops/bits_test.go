package ops

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"branchspec/trainer/ops/gemm"
)

// digestBeforeAVX512 is bitsDigest computed on amd64 (GOAMD64=v1) by the
// code before the AVX-512 kernels (commit 5d6c137, which ran the AVX2
// kernel there). Runs made with that code must resume with the same bits
// on the AVX2 kernel, and the AVX-512 kernel gives the same bits.
const digestBeforeAVX512 = "348aca4724d2bbe6d300cad04347a60b6720b40e44e4b75badf98564ec33e782"

// bitsDigest returns the SHA-256 of the loss and gradients of two steps
// of the reference net (with biases, batch 24), then of a 7x7/2 conv+ReLU
// output and weight gradient, all at the default kernel.
func bitsDigest(t *testing.T) string {
	t.Helper()
	params, x, y := refValues(newRand(4242), 24)
	net, err := newRefNet(ourOps, params, x, y)
	if err != nil {
		t.Fatal(err)
	}
	defer net.m.Close()
	h := sha256.New()
	write := func(v []float32) {
		for _, f := range v {
			binary.Write(h, binary.LittleEndian, math.Float32bits(f))
		}
	}
	for s := 0; s < 2; s++ {
		if err := net.step(); err != nil {
			t.Fatal(err)
		}
		for _, v := range net.snapshot(t) {
			write(v)
		}
	}
	rng := newRand(77)
	xs := randDense(rng, 1, 8, 3, 32, 32)
	w := randDense(rng, 0.1, 16, 3, 7, 7)
	b := randDense(rng, 0.1, 16)
	yv, err := (&convOp{pad: 3, stride: 2, hasBias: true, relu: true}).Do(xs, w, b)
	if err != nil {
		t.Fatal(err)
	}
	yc := yv.(*tensor.Dense).Clone().(*tensor.Dense)
	gy := randDense(rng, 1, yc.Shape()...)
	var dw G.Value
	if dw, err = (&convGradOp{pad: 3, stride: 2, wrt: wrtWeights, relu: true}).Do(xs, w, yc, gy); err != nil {
		t.Fatal(err)
	}
	write(yc.Data().([]float32))
	write(dw.Data().([]float32))
	return hex.EncodeToString(h.Sum(nil))
}

// TestBitsMatchBeforeAVX512 checks that the kernels of AVX2's bits give
// what the code before the AVX-512 kernels gave (digestBeforeAVX512), on
// the build it was recorded on (amd64, GOAMD64=v1).
func TestBitsMatchBeforeAVX512(t *testing.T) {
	k, err := gemm.Default()
	if err != nil {
		t.Fatal(err)
	}
	if id := k.ID(); !k.SameBits(gemm.AVX2) || id.Impl != "pure-go" || id.Arch != "amd64.v1" {
		t.Skipf("the digest was recorded with pure-go/avx2/amd64.v1; this process runs %s", id)
	}
	if got := bitsDigest(t); got != digestBeforeAVX512 {
		t.Errorf("%s gives digest %s, want %s (the AVX2 kernel before the AVX-512 kernels)", k, got, digestBeforeAVX512)
	}
}
