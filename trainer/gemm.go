package trainer

import (
	"fmt"

	"branchspec/trainer/ops/gemm"
)

// A run's GEMM kernel is an engine choice outside the science config: it
// changes how fast the nets compute and, between some kernels, the bits of
// what they compute (see gemm.Kernel), not the model. Kernels are named by
// strings here ("avx512", "avx2", "portable"; "" is the process default,
// gemm.Default: the fastest this CPU runs unless the environment variable
// BRANCHSPEC_KERNEL names another), so that callers above trainer need not
// know the GEMM.

// Options are a Trainer's engine choices. The zero value is the defaults.
type Options struct {
	// GEMM is the kernel of every net the trainer's model builds; "" is
	// the process default. One this CPU does not run is an error.
	GEMM string
	// Threads is the number of goroutines each net's ops split their
	// images over (Model.UseThreads); 0 is GOMAXPROCS. It changes no
	// result. Runs trained side by side in one process share the CPUs
	// better with GOMAXPROCS / runs each.
	Threads int
}

// GEMMKernels returns the kernels this CPU runs, fastest first: the first
// is the default of a new run.
func GEMMKernels() []string {
	var ks []string
	for _, k := range gemm.Kernels() {
		ks = append(ks, string(k))
	}
	return ks
}

// GEMMIdentity returns the identity of kernel in this build, which a run
// records to be resumed with the same bits: "IMPL/KERNEL/ARCH", e.g.
// "pure-go/avx512/amd64.v1" (gemm.ID). "" names the process default. It
// fails for a kernel this CPU does not run.
func GEMMIdentity(kernel string) (string, error) {
	k, err := gemm.ParseKernel(kernel)
	if err != nil {
		return "", fmt.Errorf("trainer: %w", err)
	}
	return k.ID().String(), nil
}

// ResumeGEMM returns the kernel with which this build gives the bits of a
// run recorded under the identity id (see GEMMIdentity): the run's own
// kernel where this CPU runs it, else one of the same bits (avx2 for
// avx512). It fails, saying what differs, when no kernel here does: a
// resume must then refuse, or accept other bits explicitly.
func ResumeGEMM(id string) (string, error) {
	parsed, err := gemm.ParseID(id)
	if err != nil {
		return "", fmt.Errorf("trainer: %w", err)
	}
	k, err := parsed.Reproduce()
	if err != nil {
		return "", fmt.Errorf("trainer: %w", err)
	}
	return string(k), nil
}

// UseGEMM sets the kernel of every net the model builds from now on ("" is
// the process default). It fails for a kernel this CPU does not run.
func (m *Model) UseGEMM(kernel string) error {
	k, err := gemm.ParseKernel(kernel)
	if err != nil {
		return fmt.Errorf("trainer: %w", err)
	}
	m.gemm = k
	return nil
}

// UseThreads sets the number of goroutines the ops of every net the model
// builds from now on split their images over (ops.NewWorkers): n, or
// GOMAXPROCS at the time a net is built for n <= 0. It changes no result.
func (m *Model) UseThreads(n int) { m.threads = max(0, n) }

// GEMM returns the kernel the model's nets run.
func (m *Model) GEMM() string {
	if m.gemm == "" {
		if k, err := gemm.Default(); err == nil {
			return string(k)
		}
	}
	return string(m.gemm)
}
