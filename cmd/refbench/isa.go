package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"branchspec/cmd/refbench/internal/host"
	"branchspec/trainer/ops/gemm"
)

// isaCap is the instruction set -isa holds both sides to.
//
// "native" lets each side take the fastest this CPU runs: branchspec its
// default kernel (gemm.Default: BRANCHSPEC_KERNEL, else the fastest),
// PyTorch whatever oneDNN, ATen and OpenBLAS pick for the CPU.
//
// "avx2" holds branchspec to its avx2 kernel and PyTorch to AVX2 through
// the switches of its libraries (DNNL_MAX_CPU_ISA / ONEDNN_MAX_CPU_ISA for
// oneDNN, which runs the convolutions; ATEN_CPU_CAPABILITY for ATen's own
// kernels; OPENBLAS_CORETYPE=Haswell for OpenBLAS, which runs the linear
// layers), and measures the peak with AVX2 FMAs. On a CPU with AVX-512 this
// is a proxy for an AVX2-only host, not one: the caches, clock, memory and
// the width of the FMA units stay this CPU's.
type isaCap struct {
	name     string      // the -isa value
	kernel   gemm.Kernel // branchspec's kernel ("" is its default)
	torchEnv []string    // added to PyTorch's environment
	proxy    bool        // held below what this CPU runs: a proxy for another kind of host (see onCPU)
}

// parseISA returns the cap named by an -isa value; envKernel is
// BRANCHSPEC_KERNEL's value, which must not contradict it.
func parseISA(name, envKernel string) (isaCap, error) {
	switch name {
	case "native":
		return isaCap{name: name}, nil
	case "avx2":
		if envKernel != "" && envKernel != string(gemm.AVX2) {
			return isaCap{}, fmt.Errorf("-isa avx2 runs branchspec's avx2 kernel, but %s=%s: unset it or set it to avx2", gemm.EnvKernel, envKernel)
		}
		if !gemm.AVX2.Runs() {
			return isaCap{}, fmt.Errorf("-isa avx2: this CPU does not run the avx2 kernel (it runs %v)", gemm.Kernels())
		}
		return isaCap{
			name:   name,
			kernel: gemm.AVX2,
			torchEnv: []string{
				"DNNL_MAX_CPU_ISA=AVX2", "ONEDNN_MAX_CPU_ISA=AVX2",
				"ATEN_CPU_CAPABILITY=avx2", "OPENBLAS_CORETYPE=Haswell",
			},
		}, nil
	}
	return isaCap{}, fmt.Errorf("-isa %q: want native or avx2", name)
}

// peakKernel is the kernel whose FMAs give the peak the shares are of.
func (c isaCap) peakKernel() gemm.Kernel {
	if c.kernel != "" {
		return c.kernel
	}
	return gemm.Fastest()
}

// goEnv is the environment added to the Go side's runs.
func (c isaCap) goEnv() []string {
	if c.kernel == "" {
		return nil
	}
	return []string{gemm.EnvKernel + "=" + string(c.kernel)}
}

// onCPU is c on a CPU with info's features: a cap to AVX2 where the CPU
// has AVX-512 is a proxy for an AVX2-only host.
func (c isaCap) onCPU(info host.CPUInfo) isaCap {
	c.proxy = c.kernel == gemm.AVX2 && slices.Contains(info.Flags, "avx512f")
	return c
}

// proxyNote says what a proxy is not.
const proxyNote = "this CPU has AVX-512, so this is a PROXY for an AVX2-only host, not one (its caches, clock, memory and FMA units stay this CPU's); measure on such a host to report one"

// describe is the "isa:" line of the machine's description.
func (c isaCap) describe() string {
	if c.kernel == "" {
		return "native (each side's fastest on this CPU)"
	}
	s := fmt.Sprintf("%s: branchspec's %s kernel; PyTorch with %s", c.name, c.kernel, strings.Join(c.torchEnv, " "))
	if c.proxy {
		s += "; " + proxyNote
	}
	return s
}

// note is the line printed next to the ratios, "" for native.
func (c isaCap) note() string {
	switch {
	case c.kernel == "":
		return ""
	case c.proxy:
		return fmt.Sprintf("both sides held to %s (-isa %s): %s", c.kernel, c.name, proxyNote)
	}
	return fmt.Sprintf("both sides held to %s (-isa %s)", c.kernel, c.name)
}

// torchISA is what PyTorch's libraries report they run: oneDNN's ISA (its
// verbose mode's "isa:" line) and OpenBLAS's core.
type torchISA struct {
	OneDNN   string `json:"onednn"`
	OpenBLAS string `json:"openblas"`
	Torch    string `json:"torch"`
}

func (t torchISA) String() string {
	return fmt.Sprintf("PyTorch %s: oneDNN isa %q, OpenBLAS core %q", t.Torch, t.OneDNN, t.OpenBLAS)
}

// probeTorch runs torch_ref.py's probe (a small convolution and a linear
// layer) with the environment of PyTorch's runs and oneDNN's verbose mode
// on, and reads what its libraries run.
func probeTorch(o options, c isaCap) (torchISA, error) {
	dir, err := os.MkdirTemp("", "refbench-probe-")
	if err != nil {
		return torchISA{}, err
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, "torch_ref.py")
	if err := os.WriteFile(script, torchScript, 0o644); err != nil {
		return torchISA{}, err
	}
	cmd := exec.Command(o.python, script, "--probe")
	malloc, _ := pytorchEnv(o.pytorchMalloc, o.pytorchBind) // checked in run
	cmd.Env = append(append(append(os.Environ(), malloc...), c.torchEnv...), "DNNL_VERBOSE=1", "ONEDNN_VERBOSE=1")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return torchISA{}, fmt.Errorf("%s %s --probe: %v: %s", o.python, script, err, bytes.TrimSpace(errOut.Bytes()))
	}
	return parseProbe(out.Bytes())
}

// parseProbe reads the probe's output: oneDNN's verbose lines and one
// JSON line, in either order (each library flushes its own buffer).
func parseProbe(out []byte) (torchISA, error) {
	var t torchISA
	report, isa := "", ""
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "{") {
			report = l
		}
		for _, prefix := range []string{"onednn_verbose,info,cpu,isa:", "dnnl_verbose,info,cpu,isa:"} {
			if rest, ok := strings.CutPrefix(l, prefix); ok {
				isa = strings.TrimSpace(rest)
			}
		}
	}
	if err := json.Unmarshal([]byte(report), &t); err != nil {
		return t, fmt.Errorf("probe report %q: %w", report, err)
	}
	t.OneDNN = isa
	return t, nil
}

// errNotHeld is the error of a PyTorch whose libraries were not held to
// the cap.
var errNotHeld = errors.New("PyTorch was not held to the instruction set")

// confirm checks what the probe found (t, or its failure err) against the
// cap: native takes anything, even a failed probe (the runs report their
// own failures); avx2 needs oneDNN's ISA to be AVX2 (not AVX-512) and
// OpenBLAS's core, where reported, to be Haswell.
func (c isaCap) confirm(t torchISA, err error) error {
	if c.kernel == "" {
		return nil
	}
	if err != nil {
		return fmt.Errorf("-isa %s: cannot check what PyTorch runs: %w", c.name, err)
	}
	if !strings.Contains(t.OneDNN, "AVX2") || strings.Contains(t.OneDNN, "512") {
		return fmt.Errorf("-isa %s: %w: %s (want oneDNN isa AVX2)", c.name, errNotHeld, t)
	}
	if t.OpenBLAS != "" && !strings.EqualFold(t.OpenBLAS, "Haswell") {
		return fmt.Errorf("-isa %s: %w: %s (want OpenBLAS core Haswell)", c.name, errNotHeld, t)
	}
	return nil
}
