package gemm

import "testing"

// BenchmarkKernelPeak times the 6x16 micro-kernel on L1-resident panels:
// the ceiling for the blocked product.
func BenchmarkKernelPeak(b *testing.B) {
	kern, _ := microKernel()
	k := 256
	a := make([]float32, k*mr)
	bb := make([]float32, k*nr)
	c := make([]float32, mr*nr)
	for b.Loop() {
		kern(k, &a[0], &bb[0], &c[0], nr, flagAdd, nil)
	}
	b.ReportMetric(2*float64(mr*nr*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
