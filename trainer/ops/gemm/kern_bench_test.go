package gemm

import "testing"

// BenchmarkKernelPeak times each kernel's full-panel micro-kernel on
// L1-resident panels 256 deep: the ceiling for the blocked product.
func BenchmarkKernelPeak(b *testing.B) {
	for _, kern := range Kernels() {
		f := familyOf(kern)
		b.Run(string(kern), func(b *testing.B) {
			const k = 256
			a := make([]float32, k*f.mr)
			bb := make([]float32, k*f.nr)
			c := make([]float32, f.mr*f.nr)
			for b.Loop() {
				f.tile[f.mr](k, &a[0], &bb[0], &c[0], f.nr, flagAdd, nil, k, 0)
			}
			b.ReportMetric(2*float64(f.mr*f.nr*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
