package main

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"branchspec/cmd/refbench/internal/host"
	"branchspec/trainer/ops/gemm"
)

func TestParseISA(t *testing.T) {
	avx2 := gemm.AVX2.Runs()
	tests := []struct {
		name, env string
		kernel    gemm.Kernel
		torchEnv  []string
		err       string // a substring; "" for none
	}{
		{name: "native", kernel: ""},
		{name: "native", env: "portable", kernel: ""}, // the Go side's default honours it
		{name: "avx2", kernel: gemm.AVX2, torchEnv: []string{"DNNL_MAX_CPU_ISA=AVX2", "ONEDNN_MAX_CPU_ISA=AVX2", "ATEN_CPU_CAPABILITY=avx2", "OPENBLAS_CORETYPE=Haswell"}},
		{name: "avx2", env: "avx2", kernel: gemm.AVX2, torchEnv: []string{"DNNL_MAX_CPU_ISA=AVX2", "ONEDNN_MAX_CPU_ISA=AVX2", "ATEN_CPU_CAPABILITY=avx2", "OPENBLAS_CORETYPE=Haswell"}},
		{name: "avx2", env: "avx512", err: "BRANCHSPEC_KERNEL=avx512: unset it or set it to avx2"},
		{name: "sse", err: `-isa "sse": want native or avx2`},
	}
	for _, tt := range tests {
		c, err := parseISA(tt.name, tt.env)
		if tt.name == "avx2" && tt.err == "" && !avx2 {
			if err == nil {
				t.Errorf("parseISA(avx2) on a CPU without the avx2 kernel: no error")
			}
			continue
		}
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("parseISA(%q, %q): error %v, want one containing %q", tt.name, tt.env, err, tt.err)
		case tt.err == "" && err != nil:
			t.Errorf("parseISA(%q, %q): %v", tt.name, tt.env, err)
		case tt.err == "" && (c.kernel != tt.kernel || !slices.Equal(c.torchEnv, tt.torchEnv)):
			t.Errorf("parseISA(%q, %q) = kernel %q, PyTorch env %q; want %q, %q", tt.name, tt.env, c.kernel, c.torchEnv, tt.kernel, tt.torchEnv)
		}
	}
}

func TestParseProbe(t *testing.T) {
	verbose := "onednn_verbose,info,oneDNN v2.6.3 (commit N/A)\nonednn_verbose,info,cpu,runtime:OpenMP,nthr:1\nonednn_verbose,info,cpu,isa:Intel AVX2\n" +
		"onednn_verbose,exec,cpu,convolution,jit:avx2,forward_training,...\n"
	report := `{"torch": "1.13.0a0", "openblas": "Haswell"}` + "\n"
	want := torchISA{OneDNN: "Intel AVX2", OpenBLAS: "Haswell", Torch: "1.13.0a0"}
	for name, out := range map[string]string{
		"verbose first": verbose + report,
		"report first":  report + verbose,
		"old prefix":    strings.ReplaceAll(verbose, "onednn_", "dnnl_") + report,
	} {
		got, err := parseProbe([]byte(out))
		if err != nil || got != want {
			t.Errorf("%s: parseProbe = %+v, %v; want %+v", name, got, err, want)
		}
	}
	if got, err := parseProbe([]byte(report)); err != nil || got.OneDNN != "" {
		t.Errorf("without verbose lines: %+v, %v; want no oneDNN isa", got, err)
	}
	if _, err := parseProbe([]byte(verbose)); err == nil {
		t.Error("no report line: no error")
	}
}

func TestConfirm(t *testing.T) {
	avx2 := isaCap{name: "avx2", kernel: gemm.AVX2}
	native := isaCap{name: "native"}
	probeErr := errors.New("no torch")
	tests := []struct {
		name string
		c    isaCap
		t    torchISA
		err  error
		want string // a substring of the error; "" for none
	}{
		{"native takes AVX-512", native, torchISA{OneDNN: "Intel AVX-512 with Intel DL Boost and bfloat16 support", OpenBLAS: "Cooperlake"}, nil, ""},
		{"native takes a failed probe", native, torchISA{}, probeErr, ""},
		{"avx2 held", avx2, torchISA{OneDNN: "Intel AVX2", OpenBLAS: "Haswell"}, nil, ""},
		{"avx2 without OpenBLAS", avx2, torchISA{OneDNN: "Intel AVX2"}, nil, ""},
		{"avx2 oneDNN not held", avx2, torchISA{OneDNN: "Intel AVX-512 with Intel DL Boost and bfloat16 support", OpenBLAS: "Haswell"}, nil, "want oneDNN isa AVX2"},
		{"avx2 oneDNN unknown", avx2, torchISA{OpenBLAS: "Haswell"}, nil, "want oneDNN isa AVX2"},
		{"avx2 OpenBLAS not held", avx2, torchISA{OneDNN: "Intel AVX2", OpenBLAS: "SkylakeX"}, nil, "want OpenBLAS core Haswell"},
		{"avx2 failed probe", avx2, torchISA{}, probeErr, "cannot check what PyTorch runs: no torch"},
	}
	for _, tt := range tests {
		err := tt.c.confirm(tt.t, tt.err)
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: confirm = %v, want %q", tt.name, err, tt.want)
		}
	}
}

// TestISAUsageErrors: a bad -isa, or -isa avx2 with another kernel in
// BRANCHSPEC_KERNEL, is a usage error before anything runs.
func TestISAUsageErrors(t *testing.T) {
	t.Setenv(gemm.EnvKernel, "portable")
	for _, args := range [][]string{{"-isa", "sse"}, {"-isa", "avx2"}} {
		var out, errOut bytes.Buffer
		if code := run(args, fakeEnv(nil), &out, &errOut); code != exitUsage || out.Len() > 0 {
			t.Errorf("run(%q) = %d with stdout %q, want %d and nothing (stderr %q)", args, code, out.String(), exitUsage, strings.TrimSpace(errOut.String()))
		}
	}
}

// TestISANote: held to AVX2 on a CPU with AVX-512, the description and
// the line next to the ratios say it is a proxy; on an AVX2-only CPU they
// do not; native says nothing next to the ratios.
func TestISANote(t *testing.T) {
	avx512 := host.CPUInfo{Flags: []string{"avx2", "fma", "avx512f"}}
	avx2only := host.CPUInfo{Flags: []string{"avx2", "fma"}}
	held := isaCap{name: "avx2", kernel: gemm.AVX2, torchEnv: []string{"DNNL_MAX_CPU_ISA=AVX2"}}
	tests := []struct {
		c              isaCap
		info           host.CPUInfo
		describe, note string // substrings; note "" means no line
		proxy          bool
	}{
		{isaCap{name: "native"}, avx512, "native", "", false},
		{held, avx512, "avx2: branchspec's avx2 kernel; PyTorch with DNNL_MAX_CPU_ISA=AVX2; this CPU has AVX-512, so this is a PROXY", "both sides held to avx2 (-isa avx2): this CPU has AVX-512, so this is a PROXY", true},
		{held, avx2only, "avx2: branchspec's avx2 kernel; PyTorch with DNNL_MAX_CPU_ISA=AVX2", "both sides held to avx2 (-isa avx2)", false},
	}
	for _, tt := range tests {
		c := tt.c.onCPU(tt.info)
		d, n := c.describe(), c.note()
		if c.proxy != tt.proxy || !strings.Contains(d, tt.describe) || strings.Contains(d, "PROXY") != tt.proxy ||
			(tt.note == "") != (n == "") || !strings.Contains(n, tt.note) || strings.Contains(n, "PROXY") != tt.proxy {
			t.Errorf("%s on %v: proxy %t, describe %q, note %q; want proxy %t, %q, %q", tt.c.name, tt.info.Flags, c.proxy, d, n, tt.proxy, tt.describe, tt.note)
		}
	}
}
