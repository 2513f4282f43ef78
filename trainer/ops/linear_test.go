package ops

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	G "gorgonia.org/gorgonia"

	"branchspec/trainer/ops/gemm"
)

// TestSplitGEMMSameBits checks that the linear layer's three products
// split into pieces (splitGEMM: rows in whole groups of four, columns in
// panels; unsplit with OpenBLAS, so this checks the split only in the
// pure-Go build, which make test also runs) on two and three workers give
// the bits of one unsplit product,
// for every kernel, with row counts that are and are not multiples of
// four, one and several k blocks of both gemm paths (256 packed, 512 dot
// products) and column counts around the panel widths.
func TestSplitGEMMSameBits(t *testing.T) {
	rng := newRand(7)
	for _, nw := range []int{2, 3} {
		workers := NewWorkers(nw, time.Millisecond)
		defer workers.Close()
		for _, k := range gemm.Kernels() {
			for _, sh := range []struct{ n, out, d int }{
				{4, 10, 64}, {6, 3, 40}, {8, 1, 32}, {12, 13, 320}, {64, 10, 4096}, {66, 10, 544}, {20, 33, 1120}, {16, 17, 544},
			} {
				t.Run(fmt.Sprintf("workers%d/%s/n%d_out%d_d%d", nw, k, sh.n, sh.out, sh.d), func(t *testing.T) {
					x := f32data(randDense(rng, 1, sh.n, sh.d))
					w := f32data(randDense(rng, 1, sh.out, sh.d))
					gy := f32data(randDense(rng, 1, sh.n, sh.out))
					ws := gemm.Workspace{Kernel: k}
					op := &pureOp{workers: workers}
					s := splitGEMM{kernel: k}
					const work = minSplitWork // split whatever the size

					want := make([]float32, sh.n*sh.out)
					ws.Sgemm(false, true, sh.n, sh.out, sh.d, 1, x, sh.d, w, sh.d, 0, want, sh.out)
					got := make([]float32, len(want))
					var pieces atomic.Int32
					s.pieces(op, sh.n, chunkImages, work, func(ws *gemm.Workspace, lo, hi int) {
						ws.Sgemm(false, true, hi-lo, sh.out, sh.d, 1, x[lo*sh.d:], sh.d, w, sh.d, 0, got[lo*sh.out:], sh.out)
						pieces.Add(1)
					})
					if err := bitsEqual(got, want); err != nil {
						t.Errorf("y = x wᵀ: %v", err)
					}
					if wantPieces := splitInto(min(nw, sh.n/chunkImages)); sh.n%chunkImages == 0 && int(pieces.Load()) != wantPieces {
						t.Errorf("y = x wᵀ in %d pieces, want %d", pieces.Load(), wantPieces)
					}

					want = make([]float32, sh.n*sh.d)
					ws.Sgemm(false, false, sh.n, sh.d, sh.out, 1, gy, sh.out, w, sh.d, 0, want, sh.d)
					got = make([]float32, len(want))
					s.pieces(op, sh.n, chunkImages, work, func(ws *gemm.Workspace, lo, hi int) {
						ws.Sgemm(false, false, hi-lo, sh.d, sh.out, 1, gy[lo*sh.out:], sh.out, w, sh.d, 0, got[lo*sh.d:], sh.d)
					})
					if err := bitsEqual(got, want); err != nil {
						t.Errorf("dx = gy w: %v", err)
					}

					want = make([]float32, sh.out*sh.d)
					ws.Sgemm(true, false, sh.out, sh.d, sh.n, 1, gy, sh.out, x, sh.d, 0, want, sh.d)
					got = make([]float32, len(want))
					pieces.Store(0)
					s.pieces(op, sh.d, linearColumns, work, func(ws *gemm.Workspace, lo, hi int) {
						ws.Sgemm(true, false, sh.out, hi-lo, sh.n, 1, gy, sh.out, x[lo:], sh.d, 0, got[lo:], sh.d)
						pieces.Add(1)
					})
					if err := bitsEqual(got, want); err != nil {
						t.Errorf("dw = gyᵀ x: %v", err)
					}
					if wantPieces := splitInto(min(nw, sh.d/linearColumns)); int(pieces.Load()) != wantPieces {
						t.Errorf("dw = gyᵀ x in %d pieces, want %d", pieces.Load(), wantPieces)
					}
				})
			}
		}
	}
}

// splitInto is the number of pieces splitGEMM makes where k are possible:
// k on the pure-Go path, 1 with OpenBLAS (products run unsplit).
func splitInto(k int) int {
	if gemm.Impl() != "pure-go" {
		return 1
	}
	return k
}

// TestLinearOpsSplit runs the linear op and its gradients on Workers
// (products split by splitGEMM) and checks them bit for bit against one
// unsplit product each, the bias added after.
func TestLinearOpsSplit(t *testing.T) {
	rng := newRand(8)
	const n, c, hw, out = 64, 64, 4, 10
	d := c * hw * hw
	x, w, b, gy := randDense(rng, 1, n, c, hw, hw), randDense(rng, 1, out, d), randDense(rng, 1, out), randDense(rng, 1, n, out)
	xs, ws, bs, gys := f32data(x), f32data(w), f32data(b), f32data(gy)
	var g gemm.Workspace
	y := make([]float32, n*out)
	g.Sgemm(false, true, n, out, d, 1, xs, d, ws, d, 0, y, out)
	for i := range y {
		y[i] += bs[i%out]
	}
	dx := make([]float32, n*d)
	g.Sgemm(false, false, n, d, out, 1, gys, out, ws, d, 0, dx, d)
	dw := make([]float32, out*d)
	g.Sgemm(true, false, out, d, n, 1, gys, out, xs, d, 0, dw, d)

	workers := NewWorkers(2, time.Millisecond)
	defer workers.Close()
	for _, tc := range []struct {
		op   G.Op
		in   []G.Value
		want []float32
	}{
		{&linearOp{xDims: 4, hasBias: true}, []G.Value{x, w, b}, y},
		{&linearGradOp{xDims: 4, wrt: wrtInput}, []G.Value{x, w, gy}, dx},
		{&linearGradOp{xDims: 4, wrt: wrtWeights}, []G.Value{x, w, gy}, dw},
	} {
		tc.op.(interface{ setWorkers(*Workers) }).setWorkers(workers)
		v, err := tc.op.Do(tc.in...)
		if err != nil {
			t.Fatal(err)
		}
		if err := bitsEqual(f32data(v), tc.want); err != nil {
			t.Errorf("%v: %v", tc.op, err)
		}
	}
}
