package gemm

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// Kernel names a family of micro-kernels: the instructions the inner loops
// of every product run, and the register tile (and so the packed layout of
// A) they use. Which kernel ran can change a product's bits, so a run that
// must be reproduced records it (see ID).
type Kernel string

// The kernels, fastest first. Every product sums each output value as one
// chain of float32 fused multiply-adds along k, in order, in AVX512 and
// AVX2 alike (and the dot-product path reduces the same 8-lane partial
// sums), so these two give the same bits; Portable does not fuse (on
// GOAMD64=v1) and its A·Bᵀ takes the blocked path, so its bits differ.
const (
	AVX512   Kernel = "avx512"   // AVX-512F: 16x16 register tile in zmm registers
	AVX2     Kernel = "avx2"     // AVX2 and FMA: 6x16 register tile in ymm registers
	Portable Kernel = "portable" // pure Go, the AVX2 layout
)

// allKernels lists every kernel, fastest first.
var allKernels = []Kernel{AVX512, AVX2, Portable}

// EnvKernel is the environment variable that selects the kernel of a whole
// process: products whose Kernel is "" run it (see Default). It is read
// once, at the first product.
const EnvKernel = "BRANCHSPEC_KERNEL"

// Kernels returns the kernels this CPU and operating system can run,
// fastest first; Portable is always last.
func Kernels() []Kernel {
	var ks []Kernel
	for _, k := range allKernels {
		if k.Runs() {
			ks = append(ks, k)
		}
	}
	return ks
}

// Fastest returns the fastest kernel this CPU runs: the default of a new
// run.
func Fastest() Kernel { return Kernels()[0] }

// Runs reports whether this CPU and operating system can run k.
func (k Kernel) Runs() bool {
	switch k {
	case AVX512:
		return hasAVX512()
	case AVX2:
		return hasAVX2FMA()
	case Portable:
		return true
	}
	return false
}

// ParseKernel returns the kernel named s: one of Kernels(). "" is
// Default(). An error names the kernels this CPU runs.
func ParseKernel(s string) (Kernel, error) {
	if s == "" {
		return Default()
	}
	return parseKernel(s)
}

// parseKernel is ParseKernel of a name that is not "".
func parseKernel(s string) (Kernel, error) {
	k := Kernel(s)
	if !slices.Contains(allKernels, k) {
		return "", fmt.Errorf("gemm: unknown kernel %q (known: %s; this CPU runs %s)", s, list(allKernels), list(Kernels()))
	}
	if !k.Runs() {
		return "", fmt.Errorf("gemm: kernel %s does not run on this CPU (it runs %s)", k, list(Kernels()))
	}
	return k, nil
}

// Default returns the kernel of products that name none: the one named by
// the environment variable EnvKernel when it is set and not empty, else
// Fastest(). It fails when EnvKernel names no kernel this CPU runs.
func Default() (Kernel, error) { return defaultKernel() }

var defaultKernel = sync.OnceValues(defaultFromEnv)

// defaultFromEnv returns the kernel EnvKernel names, or Fastest().
func defaultFromEnv() (Kernel, error) {
	s := os.Getenv(EnvKernel)
	if s == "" {
		return Fastest(), nil
	}
	k, err := parseKernel(s)
	if err != nil {
		return "", fmt.Errorf("%s=%s: %w", EnvKernel, s, err)
	}
	return k, nil
}

// resolve returns the implementation of k ("" is Default()); it panics
// when k does not run here, as a product with bad arguments does.
func (k Kernel) resolve() *family {
	if k == "" {
		d, err := Default()
		if err != nil {
			panic(err.Error())
		}
		k = d
	}
	if !k.Runs() {
		panic(fmt.Sprintf("gemm: kernel %q does not run on this CPU (it runs %s)", string(k), list(Kernels())))
	}
	return familyOf(k)
}

// SameBits reports whether k and o give the same bits on every product
// (see the kernels' constants): AVX512 and AVX2 do.
func (k Kernel) SameBits(o Kernel) bool {
	fma := func(k Kernel) bool { return k == AVX512 || k == AVX2 }
	return k == o || fma(k) && fma(o)
}

func list(ks []Kernel) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// ID identifies the arithmetic behind a product's bits: the implementation
// of Sgemm (Impl), the micro-kernel, and the architecture the Go code was
// compiled for (GOARCH, and on amd64 the GOAMD64 level: from v3 on the
// compiler fuses float multiply-adds in Go code). Its text form is
// "IMPL/KERNEL/ARCH", e.g. "pure-go/avx512/amd64.v1".
type ID struct {
	Impl   string // "pure-go" or "openblas"
	Kernel Kernel
	Arch   string // "amd64.v1" ... "amd64.v4", or GOARCH elsewhere
}

// ID returns k's identity in this build.
func (k Kernel) ID() ID { return ID{Impl: Impl(), Kernel: k, Arch: arch()} }

// arch returns this build's architecture as ID.Arch names it.
func arch() string {
	if goamd64 != "" {
		return runtime.GOARCH + "." + goamd64
	}
	return runtime.GOARCH
}

func (id ID) String() string { return id.Impl + "/" + string(id.Kernel) + "/" + id.Arch }

// ParseID parses the text form of an ID (see ID.String); the kernel must
// be one this package knows, not necessarily one this CPU runs.
func ParseID(s string) (ID, error) {
	f := strings.Split(s, "/")
	if len(f) != 3 || f[0] == "" || f[2] == "" {
		return ID{}, fmt.Errorf("gemm: kernel identity %q: want IMPL/KERNEL/ARCH, as %q", s, Fastest().ID().String())
	}
	id := ID{Impl: f[0], Kernel: Kernel(f[1]), Arch: f[2]}
	if !slices.Contains(allKernels, id.Kernel) {
		return ID{}, fmt.Errorf("gemm: kernel identity %q: unknown kernel %q (known: %s)", s, f[1], list(allKernels))
	}
	return id, nil
}

// Reproduce returns the kernel with which this process gives the bits of
// products made under id: id.Kernel when this CPU runs it, else a kernel
// this CPU runs that gives the same bits (AVX2 for AVX512). It fails, saying
// what differs, when this build's implementation or architecture is not
// id's, or no kernel here gives id's bits.
func (id ID) Reproduce() (Kernel, error) {
	here := id.Kernel.ID()
	if id.Impl != here.Impl {
		return "", fmt.Errorf("gemm: products were made by %s, this build runs %s", id, here)
	}
	if id.Arch != here.Arch {
		return "", fmt.Errorf("gemm: products were made by %s, this build is for %s", id, here.Arch)
	}
	for _, k := range Kernels() {
		if k == id.Kernel {
			return k, nil
		}
	}
	for _, k := range Kernels() {
		if k.SameBits(id.Kernel) {
			return k, nil
		}
	}
	return "", fmt.Errorf("gemm: products were made by %s; this CPU runs only %s, which give other bits", id, list(Kernels()))
}
