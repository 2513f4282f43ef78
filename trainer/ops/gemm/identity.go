package gemm

import (
	"runtime"
	"strings"
)

// Identity names everything that decides the bits of this package's
// products on this machine. Two runs whose identities differ may differ in
// their last bits from the first product on (69 of 96 outputs of one
// product differ between the AVX2-FMA and the portable kernel), so a run
// records the identity it was made with and a resume checks it.
//
// A new implementation or kernel (AVX-512, a --kernel choice) only adds
// values of the fields; the fields themselves stay.
type Identity struct {
	// Impl is the implementation behind Sgemm: "pure-go", or
	// "openblas-CORE" with the core whose kernels OpenBLAS chose
	// ("openblas-haswell").
	Impl string
	// Kernel is the micro-kernel of the pure Go products and of MulPanel
	// (used under every implementation): "avx2-fma" or "generic".
	Kernel string
	// Arch is GOARCH with its level where the compiler has one
	// ("amd64.v1", "amd64.v3"): from GOAMD64=v3 on the compiler fuses
	// multiply-adds in Go code, which changes results too.
	Arch string
}

// String is the identity as one word: IMPL/KERNEL/ARCH, for example
// "pure-go/avx2-fma/amd64.v1".
func (id Identity) String() string { return id.Impl + "/" + id.Kernel + "/" + id.Arch }

// Current is the identity of the products this program computes on this
// machine.
func Current() Identity {
	arch := runtime.GOARCH
	if archLevel != "" {
		arch += "." + archLevel
	}
	return Identity{Impl: strings.ToLower(Impl()), Kernel: Kernel(), Arch: arch}
}
