package data

import (
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// fixtureValue is channel c of pixel (x, y) of image i of class k in a
// split (0 train, 1 test): distinct enough to catch swapped files,
// channels, rows or columns.
func fixtureValue(split, k, i, c, x, y int) uint8 {
	return uint8(split*101 + k*37 + i*53 + c*71 + x*5 + y*17)
}

// fixtureImage is the RGB image fixtureValue describes.
func fixtureImage(split, k, i, w, h int) *image.NRGBA {
	im := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			im.SetNRGBA(x, y, color.NRGBA{fixtureValue(split, k, i, 0, x, y), fixtureValue(split, k, i, 1, x, y), fixtureValue(split, k, i, 2, x, y), 255})
		}
	}
	return im
}

// fixturePlanes is fixtureImage as Set.Pix holds it: planes [3, h, w].
func fixturePlanes(split, k, i, w, h int) []uint8 {
	out := make([]uint8, 3*h*w)
	for c := range 3 {
		for y := range h {
			for x := range w {
				out[(c*h+y)*w+x] = fixtureValue(split, k, i, c, x, y)
			}
		}
	}
	return out
}

func writeImage(t *testing.T, path string, im image.Image) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(strings.ToLower(path), ".png") {
		err = png.Encode(f, im)
	} else {
		err = jpeg.Encode(f, im, &jpeg.Options{Quality: 95})
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fixtureClasses are the classes of makeFolder, deliberately unsorted,
// with the images per class in train and test.
var fixtureClasses = []struct {
	name        string
	train, test int
}{{"b_dog", 1, 2}, {"a_cat", 3, 1}, {"c_eel", 2, 1}}

// makeFolder writes an image folder of 4x3 PNGs: image i of class k (k in
// sorted order) of a split is fixtureImage(split, k, i), named
// "%04d.png". It returns the root.
func makeFolder(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	sorted := []string{"a_cat", "b_dog", "c_eel"}
	for _, c := range fixtureClasses {
		k := slices.Index(sorted, c.name)
		for split, n := range []int{c.train, c.test} {
			for i := range n {
				name := filepath.Join(root, []string{"train", "test"}[split], c.name, fmtIndex(i)+".png")
				writeImage(t, name, fixtureImage(split, k, i, 4, 3))
			}
		}
	}
	return root
}

func fmtIndex(i int) string { return string([]byte{'0', '0', '0', byte('0' + i)}) }

// TestLoadFolder checks classes, labels, the round-robin order, exact PNG
// pixels, what is ignored, and the count options.
func TestLoadFolder(t *testing.T) {
	root := makeFolder(t)
	// Entries LoadFolder ignores.
	writeFile(t, filepath.Join(root, "train", "README.txt"), "a file at the class level")
	writeFile(t, filepath.Join(root, "train", ".hidden", "0000.png"), "not read")
	writeFile(t, filepath.Join(root, "test", ".hidden", "0000.png"), "not read")
	writeFile(t, filepath.Join(root, "train", "a_cat", "notes.txt"), "another extension")
	writeFile(t, filepath.Join(root, "train", "a_cat", ".0009.png"), "hidden")
	writeImage(t, filepath.Join(root, "train", "a_cat", "sub", "0000.png"), fixtureImage(0, 0, 9, 4, 3))
	train, test, info, err := LoadFolder(root, &FolderOptions{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	if info.Files != 10 || info.Decoded != 10 || info.CacheHit || info.CachePath != "" {
		t.Errorf("info %+v, want 10 files decoded, no cache", info)
	}
	want := []string{"a_cat", "b_dog", "c_eel"}
	// Round-robin: train counts (3, 1, 2) give cat0 dog0 eel0 cat1 eel1
	// cat2; test counts (1, 2, 1) give cat0 dog0 eel0 dog1.
	for _, c := range []struct {
		s     *Set
		split int
		order [][2]int // (class, image)
	}{
		{train, 0, [][2]int{{0, 0}, {1, 0}, {2, 0}, {0, 1}, {2, 1}, {0, 2}}},
		{test, 1, [][2]int{{0, 0}, {1, 0}, {2, 0}, {1, 1}}},
	} {
		s := c.s
		if s.C != 3 || s.H != 3 || s.W != 4 || s.Classes != 3 || !slices.Equal(s.ClassNames, want) || s.X != nil {
			t.Fatalf("split %d: %dx%dx%d, classes %v", c.split, s.C, s.H, s.W, s.ClassNames)
		}
		if s.Len() != len(c.order) {
			t.Fatalf("split %d: %d examples, want %d", c.split, s.Len(), len(c.order))
		}
		for j, ki := range c.order {
			if s.Y[j] != int32(ki[0]) {
				t.Errorf("split %d example %d: label %d, want %d", c.split, j, s.Y[j], ki[0])
			}
			if got := s.Pix[j*36 : (j+1)*36]; !slices.Equal(got, fixturePlanes(c.split, ki[0], ki[1], 4, 3)) {
				t.Errorf("split %d example %d: pixels of another image", c.split, j)
			}
		}
	}
	// Counts keep a prefix of the order, copied out of the shared buffer.
	tr, te, _, err := LoadFolder(root, &FolderOptions{NoCache: true, Train: 4, Test: 2})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Len() != 4 || te.Len() != 2 || !slices.Equal(tr.Y, train.Y[:4]) || !slices.Equal(tr.Pix, train.Pix[:4*36]) || !slices.Equal(te.Pix, test.Pix[:2*36]) {
		t.Errorf("Train: 4, Test: 2 gave %d and %d examples, not the prefixes", tr.Len(), te.Len())
	}
	if _, _, _, err := LoadFolder(root, &FolderOptions{NoCache: true, Test: 5}); !errors.Is(err, ErrTooFew) ||
		!strings.Contains(err.Error(), filepath.Join(root, "test")) {
		t.Errorf("5 test examples of 4: %v, want ErrTooFew naming the test folder", err)
	}
}

// TestLoadFolderFormats reads JPEG (colour and gray, any case of the
// extension) and PNG side by side.
func TestLoadFolderFormats(t *testing.T) {
	root := t.TempDir()
	gray := image.NewGray(image.Rect(0, 0, 4, 3))
	for i := range gray.Pix {
		gray.Pix[i] = uint8(20 * i)
	}
	writeImage(t, filepath.Join(root, "train", "a", "0.JPG"), gray)
	writeImage(t, filepath.Join(root, "train", "a", "1.jpeg"), fixtureImage(0, 0, 0, 4, 3))
	writeImage(t, filepath.Join(root, "train", "b", "0.PNG"), fixtureImage(0, 1, 0, 4, 3))
	writeImage(t, filepath.Join(root, "test", "a", "0.png"), fixtureImage(1, 0, 0, 4, 3))
	writeImage(t, filepath.Join(root, "test", "b", "0.png"), fixtureImage(1, 1, 0, 4, 3))
	train, _, _, err := LoadFolder(root, &FolderOptions{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	// Order: a/0.JPG, b/0.PNG, a/1.jpeg.
	g := train.Pix[:36]
	for i := range 12 {
		if g[i] != g[12+i] || g[i] != g[24+i] || absInt(int(g[i])-int(gray.Pix[i])) > 2 {
			t.Fatalf("gray JPEG pixel %d: RGB (%d, %d, %d), encoded %d", i, g[i], g[12+i], g[24+i], gray.Pix[i])
		}
	}
	if !slices.Equal(train.Pix[36:72], fixturePlanes(0, 1, 0, 4, 3)) {
		t.Error("upper-case .PNG: wrong pixels")
	}
	// JPEG at quality 95 with 4:2:0 chroma: close, not exact.
	want := fixturePlanes(0, 0, 0, 4, 3)
	for i, v := range train.Pix[72:108] {
		if absInt(int(v)-int(want[i])) > 40 {
			t.Fatalf("colour JPEG value %d: %d, encoded %d", i, v, want[i])
		}
	}
}

// TestLoadFolderErrors checks each refusal: the sentinel, and the path
// named.
func TestLoadFolderErrors(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(t *testing.T, root string)
		opts   FolderOptions
		target error
		path   string // relative to the root; its full path must be in the message
		text   string // must be in the message
	}{
		{"no train folder", func(t *testing.T, r string) { os.RemoveAll(filepath.Join(r, "train")) }, FolderOptions{}, fs.ErrNotExist, "train", "no such file"},
		{"no test folder", func(t *testing.T, r string) { os.RemoveAll(filepath.Join(r, "test")) }, FolderOptions{}, fs.ErrNotExist, "test", ""},
		{"no classes", func(t *testing.T, r string) {
			for _, c := range []string{"a_cat", "b_dog", "c_eel"} {
				os.RemoveAll(filepath.Join(r, "train", c))
			}
		}, FolderOptions{}, ErrNoClasses, "train", "no class folders"},
		{"empty class", func(t *testing.T, r string) {
			os.RemoveAll(filepath.Join(r, "train", "b_dog"))
			writeFile(t, filepath.Join(r, "train", "b_dog", "notes.txt"), "no images")
		}, FolderOptions{}, ErrEmptyClass, "train/b_dog", "holds no images (want .jpg, .jpeg, .png files)"},
		{"test class not in train", func(t *testing.T, r string) {
			writeImage(t, filepath.Join(r, "test", "d_fox", "0000.png"), fixtureImage(1, 3, 0, 4, 3))
		}, FolderOptions{}, ErrClassMismatch, "test/d_fox", `class "d_fox" is not in`},
		{"train class not in test", func(t *testing.T, r string) { os.RemoveAll(filepath.Join(r, "test", "c_eel")) },
			FolderOptions{}, ErrClassMismatch, "test", `no folder for class "c_eel"`},
		{"undecodable, the first in order", func(t *testing.T, r string) {
			writeFile(t, filepath.Join(r, "train", "c_eel", "0001.png"), "not a png")
			writeFile(t, filepath.Join(r, "train", "a_cat", "0002.png"), "not a png either")
			writeFile(t, filepath.Join(r, "test", "a_cat", "0000.png"), "nor this")
		}, FolderOptions{}, ErrDecode, "train/c_eel/0001.png", "undecodable image"},
		{"wrong size", func(t *testing.T, r string) {
			writeImage(t, filepath.Join(r, "test", "b_dog", "0001.png"), fixtureImage(1, 1, 1, 5, 3))
		}, FolderOptions{}, ErrImageSize, "test/b_dog/0001.png", "5x3 (width x height), want 4x3 (or ask for a resize)"},
		{"size given", func(t *testing.T, r string) {}, FolderOptions{Height: 4, Width: 4}, ErrImageSize, "train/a_cat/0000.png", "want 4x4"},
		{"resize without size", func(t *testing.T, r string) {}, FolderOptions{Resize: true}, nil, "", "resize needs the target height and width"},
		{"half a size", func(t *testing.T, r string) {}, FolderOptions{Height: 3}, nil, "", "image size 0x3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := makeFolder(t)
			tt.mutate(t, root)
			for _, workers := range []int{1, 3} {
				o := tt.opts
				o.NoCache, o.Workers = true, workers
				_, _, _, err := LoadFolder(root, &o)
				if err == nil {
					t.Fatal("no error")
				}
				if tt.target != nil && !errors.Is(err, tt.target) {
					t.Errorf("workers %d: %v, want %v", workers, err, tt.target)
				}
				if want := filepath.Join(root, filepath.FromSlash(tt.path)) + ":"; tt.path != "" && !strings.Contains(err.Error(), want) {
					t.Errorf("workers %d: %q does not name %s", workers, err, want)
				}
				if !strings.Contains(err.Error(), tt.text) {
					t.Errorf("workers %d: %q does not say %q", workers, err, tt.text)
				}
			}
		})
	}
}

// TestLoadFolderResize resamples an image of another size when asked.
func TestLoadFolderResize(t *testing.T) {
	root := makeFolder(t)
	big := fixtureImage(0, 1, 0, 8, 6)
	writeImage(t, filepath.Join(root, "train", "b_dog", "0000.png"), big)
	train, _, _, err := LoadFolder(root, &FolderOptions{NoCache: true, Height: 3, Width: 4, Resize: true})
	if err != nil {
		t.Fatal(err)
	}
	src := fixturePlanes(0, 1, 0, 8, 6)
	if got, want := train.Pix[36:72], resizeArea(src, 6, 8, 3, 4); !slices.Equal(got, want) {
		t.Errorf("resized: %v, want %v", got, want)
	}
	if !slices.Equal(train.Pix[:36], fixturePlanes(0, 0, 0, 4, 3)) {
		t.Error("an image of the right size changed")
	}
}

// TestLoadFolderDeterministic decodes with 1, 2 and 3 workers under
// GOMAXPROCS 1, 2 and 3: the same bytes every time.
func TestLoadFolderDeterministic(t *testing.T) {
	root := t.TempDir()
	for k, c := range []string{"x", "y"} {
		for i := range 9 {
			for split, s := range []string{"train", "test"} {
				writeImage(t, filepath.Join(root, s, c, fmtIndex(i)+".jpg"), fixtureImage(split, k, i, 16, 8))
			}
		}
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var ref *Set
	for _, procs := range []int{1, 2, 3} {
		runtime.GOMAXPROCS(procs)
		for _, workers := range []int{1, 2, 3, 0} {
			train, test, _, err := LoadFolder(root, &FolderOptions{NoCache: true, Workers: workers})
			if err != nil {
				t.Fatal(err)
			}
			all := &Set{Pix: slices.Concat(train.Pix, test.Pix), Y: slices.Concat(train.Y, test.Y)}
			if ref == nil {
				ref = all
				continue
			}
			if !slices.Equal(all.Pix, ref.Pix) || !slices.Equal(all.Y, ref.Y) {
				t.Fatalf("GOMAXPROCS %d, %d workers: different bytes", procs, workers)
			}
		}
	}
}

// TestLoadFolderCache checks that a second load reads the cache, and that
// a changed, added or removed file, a truncated or damaged cache each
// rebuild it from the files.
func TestLoadFolderCache(t *testing.T) {
	root := makeFolder(t)
	dir := filepath.Join(t.TempDir(), "cache")
	opts := &FolderOptions{CacheDir: dir}
	load := func(wantHit bool, wantMiss string) (*Set, *Set) {
		t.Helper()
		train, test, info, err := LoadFolder(root, opts)
		if err != nil {
			t.Fatal(err)
		}
		if info.CacheHit != wantHit || !strings.HasPrefix(info.CacheMiss, wantMiss) || info.CacheWrite != nil {
			t.Fatalf("hit %v, miss %q, write error %v; want hit %v, miss %q", info.CacheHit, info.CacheMiss, info.CacheWrite, wantHit, wantMiss)
		}
		if wantHit != (info.Decoded == 0) {
			t.Fatalf("decoded %d files on a hit = %v", info.Decoded, wantHit)
		}
		if filepath.Dir(info.CachePath) != dir {
			t.Fatalf("cache at %s, want in %s", info.CachePath, dir)
		}
		return train, test
	}
	train0, _ := load(false, "absent")
	train1, _ := load(true, "")
	if !slices.Equal(train0.Pix, train1.Pix) || !slices.Equal(train0.Y, train1.Y) {
		t.Fatal("cached pixels differ")
	}
	later := time.Now().Add(time.Hour)
	// A file rewritten with other pixels (and a new time).
	cat1 := filepath.Join(root, "train", "a_cat", "0001.png")
	writeImage(t, cat1, fixtureImage(0, 2, 2, 4, 3))
	if err := os.Chtimes(cat1, later, later); err != nil {
		t.Fatal(err)
	}
	train, _ := load(false, "stale")
	if !slices.Equal(train.Pix[3*36:4*36], fixturePlanes(0, 2, 2, 4, 3)) {
		t.Error("the rewritten file's old pixels came back")
	}
	load(true, "")
	// Only the modification time.
	later = later.Add(time.Minute)
	if err := os.Chtimes(cat1, later, later); err != nil {
		t.Fatal(err)
	}
	load(false, "stale")
	// An added file, then its removal.
	added := filepath.Join(root, "test", "c_eel", "0005.png")
	writeImage(t, added, fixtureImage(1, 2, 5, 4, 3))
	if _, test := load(false, "stale"); test.Len() != 5 {
		t.Errorf("after adding a test file: %d test examples, want 5", test.Len())
	}
	if err := os.Remove(added); err != nil {
		t.Fatal(err)
	}
	if _, test := load(false, "stale"); test.Len() != 4 {
		t.Errorf("after removing it: %d test examples, want 4", test.Len())
	}
	// A truncated cache, then one with a flipped byte among the pixels.
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) != 1 {
		t.Fatalf("cache directory holds %d entries (%v), want the cache file only", len(ents), err)
	}
	path := filepath.Join(dir, ents[0].Name())
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b[:len(b)-100], 0o644); err != nil {
		t.Fatal(err)
	}
	load(false, "corrupt")
	b[len(b)-50] ^= 0x10
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	train, _ = load(false, "corrupt")
	fresh, _, _, err := LoadFolder(root, &FolderOptions{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(train.Pix, fresh.Pix) {
		t.Error("pixels after rebuilding a damaged cache differ from the files'")
	}
	load(true, "")
	// Other decoding options use another cache file.
	opts.Height, opts.Width = 3, 4
	load(false, "absent")
	opts.Height, opts.Width = 0, 0
	load(true, "")
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("%d files in the cache directory, want 2 (no temporary files left)", len(ents))
	}
}

// TestLoadFolderCacheUnwritable loads all the same when the cache cannot
// be written, and says why.
func TestLoadFolderCacheUnwritable(t *testing.T) {
	root := makeFolder(t)
	blocker := filepath.Join(t.TempDir(), "file")
	writeFile(t, blocker, "a file where the cache directory would go")
	train, _, info, err := LoadFolder(root, &FolderOptions{CacheDir: filepath.Join(blocker, "cache")})
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 6 || info.CacheWrite == nil || !strings.Contains(info.CacheWrite.Error(), blocker) {
		t.Errorf("%d examples, cache write error %v; want 6 and an error naming %s", train.Len(), info.CacheWrite, blocker)
	}
}

// TestLoadFolderNoCache writes nothing.
func TestLoadFolderNoCache(t *testing.T) {
	root := makeFolder(t)
	dir := t.TempDir()
	if _, _, _, err := LoadFolder(root, &FolderOptions{CacheDir: dir, NoCache: true}); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("NoCache wrote %d files", len(ents))
	}
}

// TestCountFolder counts what LoadFolder would read, ignoring what it
// ignores, and 0 for a split it cannot list.
func TestCountFolder(t *testing.T) {
	root := makeFolder(t)
	writeFile(t, filepath.Join(root, "train", "README.txt"), "a file at the class level")
	writeFile(t, filepath.Join(root, "train", "a_cat", "notes.txt"), "another extension")
	writeFile(t, filepath.Join(root, "train", "a_cat", ".0009.png"), "hidden")
	writeFile(t, filepath.Join(root, "test", ".hidden", "0000.png"), "not read")
	train, test := CountFolder(root)
	if train != 6 || test != 4 {
		t.Errorf("CountFolder = %d, %d; want 6, 4", train, test)
	}
	tr, te, _, err := LoadFolder(root, &FolderOptions{NoCache: true, Height: 3, Width: 4})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Len() != train || te.Len() != test {
		t.Errorf("LoadFolder read %d, %d images; CountFolder said %d, %d", tr.Len(), te.Len(), train, test)
	}
	if a, b := CountFolder(filepath.Join(root, "nope")); a != 0 || b != 0 {
		t.Errorf("CountFolder of a missing root = %d, %d", a, b)
	}
}
