package gemm

import (
	"strings"
	"testing"
)

func TestKernelsOrderAndIdentity(t *testing.T) {
	ks := Kernels()
	if len(ks) == 0 || ks[len(ks)-1] != Portable || Fastest() != ks[0] {
		t.Fatalf("Kernels() = %v, Fastest() = %s: want Portable last and Fastest first", ks, Fastest())
	}
	for _, k := range ks {
		id := k.ID()
		if id.Kernel != k || id.Impl != Impl() || id.Arch != arch() {
			t.Errorf("%s.ID() = %+v", k, id)
		}
		back, err := ParseID(id.String())
		if err != nil || back != id {
			t.Errorf("ParseID(%q) = %+v, %v", id.String(), back, err)
		}
		got, err := id.Reproduce()
		if err != nil || got != k {
			t.Errorf("%s.Reproduce() = %s, %v; want %s", id, got, err, k)
		}
	}
}

func TestSameBits(t *testing.T) {
	tests := []struct {
		a, b Kernel
		same bool
	}{
		{AVX512, AVX2, true}, {AVX2, AVX512, true}, {AVX512, AVX512, true},
		{Portable, Portable, true}, {AVX2, Portable, false}, {Portable, AVX512, false},
	}
	for _, tt := range tests {
		if got := tt.a.SameBits(tt.b); got != tt.same {
			t.Errorf("%s.SameBits(%s) = %t, want %t", tt.a, tt.b, got, tt.same)
		}
	}
}

// TestKernelErrors checks the errors' text: a name, what was given and
// what is allowed.
func TestKernelErrors(t *testing.T) {
	runs := list(Kernels())
	here := Fastest().ID()
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"unknown kernel", errOf(ParseKernel("sse9")), `gemm: unknown kernel "sse9" (known: avx512, avx2, portable; this CPU runs ` + runs + `)`},
		{"short identity", errOf(ParseID("avx2")), `gemm: kernel identity "avx2": want IMPL/KERNEL/ARCH, as "` + here.String() + `"`},
		{"unknown kernel in identity", errOf(ParseID("pure-go/sse9/amd64.v1")), `gemm: kernel identity "pure-go/sse9/amd64.v1": unknown kernel "sse9" (known: avx512, avx2, portable)`},
		{"other implementation", errOf(ID{Impl: "mkl", Kernel: AVX2, Arch: here.Arch}.Reproduce()), `gemm: products were made by mkl/avx2/` + here.Arch + `, this build runs ` + AVX2.ID().String()},
		{"other architecture", errOf(ID{Impl: here.Impl, Kernel: Portable, Arch: "riscv64"}.Reproduce()), `gemm: products were made by ` + here.Impl + `/portable/riscv64, this build is for ` + here.Arch},
	}
	for _, tt := range tests {
		if tt.err == nil || tt.err.Error() != tt.want {
			t.Errorf("%s: error %v, want %q", tt.name, tt.err, tt.want)
		}
	}
	if !AVX512.Runs() {
		err := errOf(ParseKernel("avx512"))
		if want := "gemm: kernel avx512 does not run on this CPU (it runs " + runs + ")"; err == nil || err.Error() != want {
			t.Errorf("ParseKernel(avx512) here: error %v, want %q", err, want)
		}
	}
}

func errOf[T any](_ T, err error) error { return err }

// TestDefaultFromEnvironment checks how EnvKernel is read, through the
// function Default caches.
func TestDefaultFromEnvironment(t *testing.T) {
	for _, tt := range []struct {
		env, want, err string
	}{
		{"", string(Fastest()), ""},
		{"portable", "portable", ""},
		{"sse9", "", EnvKernel + `=sse9: gemm: unknown kernel "sse9"`},
	} {
		t.Setenv(EnvKernel, tt.env)
		k, err := defaultFromEnv()
		if tt.err != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tt.err) {
				t.Errorf("%s=%q: error %v, want one starting %q", EnvKernel, tt.env, err, tt.err)
			}
			continue
		}
		if err != nil || string(k) != tt.want {
			t.Errorf("%s=%q: %s, %v; want %s", EnvKernel, tt.env, k, err, tt.want)
		}
	}
}

// TestPanelLayout checks that every kernel's panel split covers the rows in
// order (PanelRow agrees with the panels' first rows and heights) and
// wastes less than one full panel.
func TestPanelLayout(t *testing.T) {
	for _, k := range Kernels() {
		f := familyOf(k)
		for m := 1; m <= 80; m++ {
			n := f.panels(m)
			covered := 0
			for ip := 0; ip < n; ip++ {
				row0, h := f.panelAt(m, ip)
				if row0 != covered || f.tile[h] == nil {
					t.Fatalf("%s m=%d: panel %d at row %d of height %d (no kernel: %t), want row %d", k, m, ip, row0, h, f.tile[h] == nil, covered)
				}
				for i := 0; i < h && row0+i < m; i++ {
					if gip, gi, gh := k.PanelRow(m, row0+i); gip != ip || gi != i || gh != h {
						t.Fatalf("%s m=%d: PanelRow(%d) = %d, %d, %d; want %d, %d, %d", k, m, row0+i, gip, gi, gh, ip, i, h)
					}
				}
				covered += h
			}
			if covered < m || covered-m >= f.mr {
				t.Errorf("%s m=%d: panels cover %d rows", k, m, covered)
			}
			if got, want := k.PanelsLen(m, 7), n*f.mr*7; got != want {
				t.Errorf("%s: PanelsLen(%d, 7) = %d, want %d", k, m, got, want)
			}
		}
	}
}
