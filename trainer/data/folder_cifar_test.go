package data

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// cifar10JPEG returns the CIFAR-10 image folder: $BRANCHSPEC_CIFAR10_JPEG,
// or ../shared/data/cifar10-jpeg relative to the module root; it skips the
// test when the folder is absent.
func cifar10JPEG(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("BRANCHSPEC_CIFAR10_JPEG")
	if dir == "" {
		root, err := moduleRoot()
		if err != nil {
			t.Skipf("CIFAR-10 JPEG folder not located: %v", err)
		}
		dir = filepath.Join(root, "..", "shared", "data", "cifar10-jpeg")
	}
	if _, err := os.Stat(filepath.Join(dir, "train")); err != nil {
		t.Skipf("CIFAR-10 JPEG folder %s absent (set BRANCHSPEC_CIFAR10_JPEG to its path): %v", dir, err)
	}
	return dir
}

// moduleRoot returns the nearest directory at or above the working
// directory that holds go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", os.ErrNotExist
		}
		dir = up
	}
}

// Reference values for the CIFAR-10 JPEG folder. Provenance: printed by
// testdata/cifar10_jpeg_reference.py with Debian's python3-pil 9.4.0
// (libjpeg-turbo) and numpy 1.24.2. Our decoder upsamples chroma and
// converts colour as libjpeg does but uses Go's inverse DCT, whose rounding
// differs: pixels differ from PIL's by at most 2 levels on a few percent of
// values, so block means of 64 pixels agree to tolBlockMean and the mean
// over 51.2 million pixels to tolChannelMean (levels 0..255).
const (
	tolBlockMean   = 0.5
	tolChannelMean = 0.05
)

var (
	cifarClassNames = []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}
	// Mean of R, G, B over the 50,000 training images.
	cifarTrainChannelMean = [3]float64{125.268848, 122.933019, 113.862839}
	// 4x4 block means (8x8-pixel blocks; R plane, G, B; row-major).
	cifarBlockMeans = []struct {
		rel  string
		mean [48]float64
	}{
		{"train/airplane/0000.jpg", [48]float64{216.0156, 207.9062, 223.0156, 228.0469, 219.0312, 72.2344, 95.1094, 250.9844, 143.9844, 25.1875, 17.0000, 182.4219, 135.9688, 59.0000, 93.9688, 200.9375, 218.0156, 209.9219, 223.7500, 229.0312, 220.2812, 73.4219, 94.6406, 251.7031, 143.9844, 25.1875, 16.9219, 182.4219, 135.9688, 59.0000, 93.9688, 200.9375, 215.0156, 206.8594, 219.0000, 224.0781, 221.9688, 75.3125, 98.2188, 247.0156, 145.9844, 27.1875, 19.1562, 183.9688, 137.9688, 61.0000, 95.9688, 202.8906}},
		{"train/frog/2500.jpg", [48]float64{172.1094, 166.9844, 157.0312, 100.9531, 125.5000, 148.5156, 158.2031, 151.0156, 113.1406, 91.3906, 110.5000, 98.6562, 103.4531, 94.2812, 98.4062, 103.4375, 146.6562, 146.3125, 150.6406, 94.5781, 112.3906, 131.0781, 138.9062, 132.0156, 100.5469, 81.5000, 99.0781, 87.0312, 95.0000, 81.5781, 89.9375, 96.3906, 126.2344, 124.2344, 128.3594, 72.3594, 91.4688, 111.8594, 124.8750, 117.4375, 71.6562, 60.4844, 85.7812, 74.5625, 64.7344, 52.9062, 60.1562, 57.3438}},
		{"train/truck/4999.jpg", [48]float64{117.5938, 122.3594, 164.6875, 155.3125, 154.9688, 95.8125, 83.0469, 113.5156, 28.0625, 41.2656, 58.4844, 30.1094, 43.6875, 38.0625, 43.0156, 31.3750, 205.4062, 198.5469, 207.0312, 170.0000, 170.4531, 114.8594, 103.8125, 132.7500, 39.7812, 58.1562, 75.1094, 42.4688, 64.5469, 56.4219, 61.4375, 51.8906, 245.1562, 234.2969, 229.0000, 181.3906, 176.5156, 130.6250, 124.9688, 142.4062, 29.0312, 66.1250, 82.9062, 27.4375, 71.0312, 75.2344, 80.1094, 62.6250}},
		{"test/cat/0000.jpg", [48]float64{150.7031, 155.0000, 119.5469, 114.6406, 147.8750, 162.8750, 115.5469, 90.9219, 153.7031, 135.6406, 86.5000, 93.1094, 77.4688, 56.9844, 47.4062, 53.2812, 108.8906, 112.6875, 98.6094, 89.2500, 135.4688, 141.4531, 113.5781, 80.1406, 159.1719, 134.3281, 93.2344, 94.3281, 117.8125, 90.4375, 91.7969, 105.1562, 44.1250, 56.0156, 73.7500, 46.5000, 116.3594, 124.4375, 103.3125, 67.9844, 163.3906, 132.8906, 99.6875, 85.7969, 154.7188, 122.0312, 131.7500, 151.2969}},
		{"test/ship/0999.jpg", [48]float64{127.0000, 100.0312, 101.0000, 86.4375, 167.1406, 200.5156, 186.6875, 108.2500, 72.4219, 231.8281, 233.4219, 209.3594, 50.7812, 208.8125, 226.0625, 173.7656, 134.9688, 106.6719, 106.5938, 90.1406, 170.6094, 204.0625, 188.6719, 114.8906, 74.2656, 232.3281, 232.5000, 218.2656, 56.0312, 219.9062, 232.8594, 182.9688, 164.9062, 144.4531, 142.0625, 134.2500, 178.7031, 210.3438, 192.6094, 141.9531, 92.9844, 235.6562, 231.2031, 228.1875, 77.8281, 231.4375, 233.7656, 190.3750}},
	}
)

// TestLoadFolderCIFAR10JPEG loads the real CIFAR-10 image folder twice,
// cold (decoding 60,000 JPEGs into a fresh cache) and warm (from the
// cache), and checks the classes, the counts, the interleaved order and
// pixels against PIL.
func TestLoadFolderCIFAR10JPEG(t *testing.T) {
	root := cifar10JPEG(t)
	if testing.Short() {
		t.Skip("decodes 60,000 JPEGs")
	}
	cache := t.TempDir()
	cold, coldTest, info, err := LoadFolder(root, &FolderOptions{CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cold: %d files listed in %v, decoded %d on %d goroutines in %v (%.0f files/s); cache %s (%v)",
		info.Files, info.List, info.Decoded, info.Workers, info.Load, float64(info.Decoded)/info.Load.Seconds(), info.CacheMiss, info.CacheWrite)
	if info.CacheHit || info.Decoded != 60000 || info.CacheWrite != nil {
		t.Fatalf("cold load: %+v", info)
	}
	warm, warmTest, info, err := LoadFolder(root, &FolderOptions{CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("warm: listed in %v, cache read in %v", info.List, info.Load)
	if !info.CacheHit || info.Decoded != 0 {
		t.Fatalf("warm load missed the cache: %+v", info)
	}
	if !slices.Equal(cold.Pix, warm.Pix) || !slices.Equal(coldTest.Pix, warmTest.Pix) ||
		!slices.Equal(cold.Y, warm.Y) || !slices.Equal(coldTest.Y, warmTest.Y) {
		t.Fatal("the cached set differs from the decoded one")
	}
	for _, c := range []struct {
		s      *Set
		n, per int
	}{{warm, 50000, 5000}, {warmTest, 10000, 1000}} {
		if c.s.Len() != c.n || c.s.C != 3 || c.s.H != 32 || c.s.W != 32 || c.s.Classes != 10 || c.s.X != nil {
			t.Fatalf("%d examples %dx%dx%d, %d classes; want %d 3x32x32 byte images, 10 classes", c.s.Len(), c.s.C, c.s.H, c.s.W, c.s.Classes, c.n)
		}
		if !slices.Equal(c.s.ClassNames, cifarClassNames) {
			t.Errorf("classes %v, want %v", c.s.ClassNames, cifarClassNames)
		}
		counts := make([]int, 10)
		for i, y := range c.s.Y {
			if int(y) != i%10 {
				t.Fatalf("example %d has label %d; the order interleaves classes, want %d", i, y, i%10)
			}
			counts[y]++
		}
		for k, n := range counts {
			if n != c.per {
				t.Errorf("class %d: %d examples, want %d", k, n, c.per)
			}
		}
	}
	var sum [3]float64
	p := 32 * 32
	for i := range warm.Len() {
		img := warm.Pix[i*3*p : (i+1)*3*p]
		for c := range 3 {
			for _, v := range img[c*p : (c+1)*p] {
				sum[c] += float64(v)
			}
		}
	}
	for c := range 3 {
		if got := sum[c] / float64(warm.Len()*p); math.Abs(got-cifarTrainChannelMean[c]) > tolChannelMean {
			t.Errorf("channel %d: training mean %.4f, PIL %.4f", c, got, cifarTrainChannelMean[c])
		}
	}
	for _, ref := range cifarBlockMeans {
		var split, class string
		var num int
		if _, err := fmt.Sscanf(strings.ReplaceAll(ref.rel, "/", " "), "%s %s %d.jpg", &split, &class, &num); err != nil {
			t.Fatalf("%s: %v", ref.rel, err)
		}
		k := slices.Index(cifarClassNames, class)
		s := warm
		if split == "test" {
			s = warmTest
		}
		img := s.Pix[(num*10+k)*3*p:][:3*p]
		for c := range 3 {
			for by := range 4 {
				for bx := range 4 {
					var m float64
					for y := range 8 {
						for x := range 8 {
							m += float64(img[c*p+(8*by+y)*32+8*bx+x])
						}
					}
					m /= 64
					if want := ref.mean[c*16+by*4+bx]; math.Abs(m-want) > tolBlockMean {
						t.Errorf("%s channel %d block (%d,%d): mean %.4f, PIL %.4f", ref.rel, c, by, bx, m, want)
					}
				}
			}
		}
	}
}
