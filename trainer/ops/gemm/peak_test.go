package gemm

import (
	"errors"
	"testing"
	"time"

	"branchspec/trainer/internal/cputime"
)

// TestMeasurePeak measures every vector kernel's FMA peak and checks that
// it is a throughput a core can reach: positive and below 4 multiply-add
// pipes at 8 GHz of the kernel's vector width, and wider vectors no
// slower than narrower ones by more than the repetitions' spread. It logs
// the figures.
func TestMeasurePeak(t *testing.T) {
	if _, err := cputime.Thread(); errors.Is(err, cputime.ErrUnsupported) {
		t.Skip(err)
	}
	reps, minCPU := 3, 20*time.Millisecond
	if testing.Short() {
		reps, minCPU = 1, 5*time.Millisecond
	}
	peaks := map[Kernel]Peak{}
	for _, k := range Kernels() {
		p, err := MeasurePeak(k, reps, minCPU)
		if k == Portable {
			if err == nil {
				t.Errorf("MeasurePeak(portable): no error")
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		lanes := map[Kernel]float64{AVX512: 16, AVX2: 8}[k]
		if ceiling := 4 * 2 * lanes * 8; !(p.GFLOPS > 0 && p.GFLOPS < ceiling) || p.MinGFLOPS > p.GFLOPS || p.GFLOPS > p.MaxGFLOPS {
			t.Errorf("%v: want 0 < min <= median <= max < %g GFLOP/s", p, ceiling)
		}
		peaks[k] = p
		t.Log(p)
	}
	if w, n := peaks[AVX512], peaks[AVX2]; w.Reps > 0 && n.Reps > 0 && w.MaxGFLOPS < n.MinGFLOPS {
		t.Errorf("zmm peak %v below the ymm peak %v", w, n)
	}
	if _, err := MeasurePeak(AVX2, 0, time.Millisecond); err == nil {
		t.Errorf("MeasurePeak with 0 repetitions: no error")
	}
}

// BenchmarkFMAPeak reports each vector kernel's FMA peak per core in
// thread CPU time (see MeasurePeak).
func BenchmarkFMAPeak(b *testing.B) {
	for _, k := range Kernels() {
		if k == Portable {
			continue
		}
		b.Run(string(k), func(b *testing.B) {
			var p Peak
			for b.Loop() {
				var err error
				if p, err = MeasurePeak(k, 5, 50*time.Millisecond); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(p.GFLOPS, "GFLOP/s")
			b.ReportMetric(p.MinGFLOPS, "min-GFLOP/s")
			b.ReportMetric(p.MaxGFLOPS, "max-GFLOP/s")
		})
	}
}
