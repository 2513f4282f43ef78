package gemm

import (
	"runtime"
	"strings"
	"testing"
)

func TestIdentityString(t *testing.T) {
	id := Identity{Impl: "pure-go", Kernel: "avx2-fma", Arch: "amd64.v1"}
	if got, want := id.String(), "pure-go/avx2-fma/amd64.v1"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// TestCurrentIdentity: the identity names this build and CPU: the
// implementation behind Sgemm, the micro-kernel Kernel selects, and
// GOARCH with the GOAMD64 level the build tags say.
func TestCurrentIdentity(t *testing.T) {
	id := Current()
	if id.Kernel != Kernel() {
		t.Errorf("Kernel %q, Kernel() %q", id.Kernel, Kernel())
	}
	if id.Impl != "pure-go" && !strings.HasPrefix(id.Impl, "openblas-") {
		t.Errorf("Impl %q", id.Impl)
	}
	want := runtime.GOARCH
	if runtime.GOARCH == "amd64" {
		want += "." + archLevel
		if len(archLevel) != 2 || archLevel[0] != 'v' || archLevel[1] < '1' || archLevel[1] > '4' {
			t.Errorf("GOAMD64 level %q", archLevel)
		}
	}
	if id.Arch != want {
		t.Errorf("Arch %q, want %q", id.Arch, want)
	}
	if parts := strings.Split(id.String(), "/"); len(parts) != 3 {
		t.Errorf("String() = %q, want three parts", id.String())
	}
	t.Logf("identity %s", id)
}
