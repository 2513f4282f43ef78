package trainer

import (
	"fmt"
	"strings"

	"branchspec/trainer/ops/gemm"
)

// A run's GEMM kernel is an engine choice outside the science config: it
// changes how fast the nets compute and, between some kernels, the bits of
// what they compute (see gemm.Kernel), not the model. Kernels are named by
// strings here, so that callers above trainer need not know the GEMM: a
// GEMM kernel ("avx512", "avx2", "portable"), which alone runs every
// convolution directly, or one followed by WinogradSuffix
// ("avx512+winograd"), whose nets run their 3x3 convolutions (forward,
// backward data, weight gradient) as Winograd F(2x2, 3x3) where the
// geometry allows it (ops.ConvParams.Winograd: 2.25x fewer multiplies,
// other bits).
// "" is the process default: gemm.Default (the fastest GEMM kernel this
// CPU runs unless the environment variable BRANCHSPEC_KERNEL names
// another) with Winograd, the fastest.

// WinogradSuffix ends the name of a kernel whose nets run Winograd
// convolutions where they fit.
const WinogradSuffix = "+winograd"

// engine is a parsed kernel name.
type engine struct {
	gemm     gemm.Kernel
	winograd bool
}

// parseEngine parses a kernel name ("" is the process default); a GEMM
// kernel this CPU does not run is an error.
func parseEngine(name string) (engine, error) {
	base, wino := strings.CutSuffix(name, WinogradSuffix)
	if name == "" {
		wino = true
	}
	if wino && base == "" && name != "" {
		return engine{}, fmt.Errorf("kernel %q: want a GEMM kernel before %q, as %q", name, WinogradSuffix, string(gemm.Fastest())+WinogradSuffix)
	}
	k, err := gemm.ParseKernel(base)
	if err != nil {
		return engine{}, err
	}
	if k == "" {
		if k, err = gemm.Default(); err != nil {
			return engine{}, err
		}
	}
	return engine{gemm: k, winograd: wino}, nil
}

func (e engine) String() string {
	if e.winograd {
		return string(e.gemm) + WinogradSuffix
	}
	return string(e.gemm)
}

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

// GEMMKernels returns the kernels this CPU runs, fastest first: each GEMM
// kernel with Winograd convolutions, then alone. The first is the default
// of a new run.
func GEMMKernels() []string {
	var ks []string
	for _, k := range gemm.Kernels() {
		ks = append(ks, string(k)+WinogradSuffix, string(k))
	}
	return ks
}

// GEMMIdentity returns the identity of kernel in this build, which a run
// records to be resumed with the same bits: "IMPL/KERNEL/ARCH", e.g.
// "pure-go/avx512+winograd/amd64.v1" (gemm.ID, with the kernel's name). ""
// names the process default. It fails for a kernel this CPU does not run.
func GEMMIdentity(kernel string) (string, error) {
	e, err := parseEngine(kernel)
	if err != nil {
		return "", fmt.Errorf("trainer: %w", err)
	}
	id := e.gemm.ID()
	return id.Impl + "/" + e.String() + "/" + id.Arch, nil
}

// ResumeGEMM returns the kernel with which this build gives the bits of a
// run recorded under the identity id (see GEMMIdentity): the run's own
// kernel where this CPU runs it, else one of the same bits (avx2 for
// avx512). It fails, saying what differs, when no kernel here does: a
// resume must then refuse, or accept other bits explicitly.
func ResumeGEMM(id string) (string, error) {
	// The convolutions' algorithm is the same in every build: the GEMM
	// part of the identity decides.
	wino := false
	if f := strings.Split(id, "/"); len(f) == 3 {
		if base, ok := strings.CutSuffix(f[1], WinogradSuffix); ok {
			f[1], wino = base, true
			id = strings.Join(f, "/")
		}
	}
	parsed, err := gemm.ParseID(id)
	if err != nil {
		return "", fmt.Errorf("trainer: %w", err)
	}
	k, err := parsed.Reproduce()
	if err != nil {
		return "", fmt.Errorf("trainer: %w", err)
	}
	return engine{gemm: k, winograd: wino}.String(), nil
}

// UseGEMM sets the kernel of every net the model builds from now on ("" is
// the process default). It fails for a kernel this CPU does not run.
func (m *Model) UseGEMM(kernel string) error {
	e, err := parseEngine(kernel)
	if err != nil {
		return fmt.Errorf("trainer: %w", err)
	}
	m.gemm, m.direct = e.gemm, !e.winograd
	return nil
}

// UseThreads sets the number of goroutines the ops of every net the model
// builds from now on split their images over (ops.NewWorkers): n, or
// GOMAXPROCS at the time a net is built for n <= 0. It changes no result.
func (m *Model) UseThreads(n int) { m.threads = max(0, n) }

// GEMM returns the kernel the model's nets run.
func (m *Model) GEMM() string {
	e := engine{gemm: m.gemm, winograd: !m.direct}
	if e.gemm == "" {
		e.gemm, _ = gemm.Default()
	}
	return e.String()
}
