package metrics

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// probeHash returns the SHA-256 of the images' little-endian float32 bits.
func probeHash(img []float32) string {
	h := sha256.New()
	var b [4]byte
	for _, v := range img {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
		h.Write(b[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

func TestProbesGolden(t *testing.T) {
	img, _ := ProbeBank(16, 32)
	img2, _ := ProbeBank(16, 32)
	got := probeHash(img)
	if probeHash(img2) != got {
		t.Fatal("two calls gave different probe banks")
	}
	// The golden hash pins the exact bits. Other architectures may fuse
	// multiply-adds (arm64, ppc64, s390x) and differ in the last bit, so
	// the comparison runs on amd64 only; the properties below run anywhere.
	if runtime.GOARCH != "amd64" {
		t.Skipf("golden hash is for amd64, this is %s", runtime.GOARCH)
	}
	path := filepath.Join("testdata", "probes.sha256")
	if *update {
		if err := os.WriteFile(path, []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run go test -run ProbesGolden -update): %v", err)
	}
	if got != strings.TrimSpace(string(want)) {
		t.Errorf("ProbeBank(16, 32) hash = %s, want %s", got, want)
	}
}

func TestProbesProperties(t *testing.T) {
	const n, size = 24, 17
	plane := size * size
	for k := range numProbeKinds {
		t.Run(k.String(), func(t *testing.T) {
			img, meta := Probes(k, n, size)
			if len(img) != n*3*plane || len(meta) != n {
				t.Fatalf("len(img) = %d, len(meta) = %d", len(img), len(meta))
			}
			for i, m := range meta {
				if m.Kind != k {
					t.Fatalf("probe %d: kind %v", i, m.Kind)
				}
				im := img[i*3*plane : (i+1)*3*plane]
				var peak, lumSum float64
				for px := range plane {
					r, g, b := float64(im[px]), float64(im[plane+px]), float64(im[2*plane+px])
					peak = max(peak, math.Abs(r), math.Abs(g), math.Abs(b))
					if max(math.Abs(r), math.Abs(g), math.Abs(b)) > 1 {
						t.Fatalf("probe %d pixel %d = (%v, %v, %v) outside [-1, 1]", i, px, r, g, b)
					}
					lum := lumR*r + lumG*g + lumB*b
					lumSum += lum
					switch k {
					case GratingGray, Curve:
						if r != g || g != b {
							t.Fatalf("probe %d pixel %d = (%v, %v, %v), not achromatic", i, px, r, g, b)
						}
					case GratingColor, ColorBlob:
						if math.Abs(lum) > tolFloat32 {
							t.Fatalf("probe %d pixel %d luminance %v, want 0 (the gray)", i, px, lum)
						}
					}
				}
				if peak < 0.5 {
					t.Errorf("probe %d (%+v): peak |value| %v, nearly blank", i, m, peak)
				}
				if (k == GratingColor || k == ColorBlob) && math.Abs(lumSum/float64(plane)) > tolFloat32 {
					t.Errorf("probe %d: mean luminance %v, want 0", i, lumSum/float64(plane))
				}
			}
		})
	}
}

func TestProbesParameters(t *testing.T) {
	const size = 32
	_, g := Probes(GratingGray, 64, size)
	for i, m := range g {
		if m.Frequency < 1.0/size || m.Frequency > 0.4 || m.Orientation < 0 || m.Orientation >= math.Pi {
			t.Errorf("grating %d: %+v out of range", i, m)
		}
	}
	_, c := Probes(GratingColor, 4, size)
	if c[0].Hue != 0 || c[1].Hue != math.Pi/2 {
		t.Errorf("colour gratings alternate axes: hues %v, %v", c[0].Hue, c[1].Hue)
	}
	_, cv := Probes(Curve, 4, size)
	if cv[0].Contrast != 1 || cv[1].Contrast != -1 {
		t.Errorf("curve polarity: %v, %v", cv[0].Contrast, cv[1].Contrast)
	}
	// The descriptions reproduce the images.
	const odd = 33
	cen := float64(odd-1) / 2
	gimg, gm := Probes(GratingGray, 5, odd)
	for i, m := range gm {
		x, y := 7, 20
		want := math.Cos(2*math.Pi*m.Frequency*((float64(x)-cen)*math.Cos(m.Orientation)+(float64(y)-cen)*math.Sin(m.Orientation)) + m.Phase)
		if got := float64(gimg[i*3*odd*odd+y*odd+x]); !near(got, want, tolFloat32) {
			t.Errorf("grating %d pixel (%d, %d) = %v, want %v from %+v", i, x, y, got, want, m)
		}
	}
	cimg, cm := Probes(Curve, 2, odd)
	for i, m := range cm {
		// The arc's midpoint is the image centre.
		if got := float64(cimg[i*3*odd*odd+(odd/2)*odd+odd/2]); !near(got, m.Contrast, tolFloat32) {
			t.Errorf("curve %d centre = %v, want contrast %v", i, got, m.Contrast)
		}
	}
	// Read as a [3, size, size] kernel, an achromatic probe has chroma 0
	// and an isoluminant one nearly 1 (not exactly: isoluminance weighs
	// R, G, B by 0.299, 0.587, 0.114, chroma by 1/3 each).
	bimg, _ := Probes(ColorBlob, 1, size)
	if ch := Chroma(bimg, size); ch < 0.9 {
		t.Errorf("colour blob chroma = %v, want > 0.9", ch)
	}
	if ch := Chroma(gimg[:3*odd*odd], odd); ch != 0 {
		t.Errorf("gray grating chroma = %v, want 0", ch)
	}
}
