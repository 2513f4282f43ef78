package data

import (
	"bufio"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// WriteFolder writes train and test as an image-folder dataset that
// LoadFolder reads: root/train/CLASS/NNNNN.png and root/test/CLASS/NNNNN.png,
// CLASS the set's class name of the label (ClassNames, else the label in
// decimal), NNNNN the example's index in its split. Pixels are the stored
// 8-bit levels (Pix), or q = round((x + 1) * 127.5) of stored values x
// (X), which gives back the bytes an 8-bit source was read from. PNG is
// lossless, so LoadFolder reads the same levels.
//
// The folder appears whole or not at all: it is written under a temporary
// name next to root and renamed into place. root must not exist. Both sets
// need 3 channels (or 1, written as gray) and equal class names; Pre and a
// grayscale view are not applied (the stored images are written).
func WriteFolder(root string, train, test *Set) (err error) {
	if _, err := os.Lstat(root); err == nil {
		return fmt.Errorf("data: %s: already exists", root)
	}
	for _, s := range []*Set{train, test} {
		if s.C != 3 && s.C != 1 {
			return fmt.Errorf("data: write %s: %d channels, want 1 or 3", root, s.C)
		}
	}
	names := classNames(train)
	for _, n := range names {
		if n == "" || n == "." || n == ".." || strings.ContainsAny(n, `/\`) || strings.HasPrefix(n, ".") {
			return fmt.Errorf("data: write %s: class name %q is not a folder name", root, n)
		}
	}
	if err := os.MkdirAll(filepath.Dir(root), 0o755); err != nil {
		return fmt.Errorf("data: write %s: %w", root, err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(root), "."+filepath.Base(root)+".tmp-")
	if err != nil {
		return fmt.Errorf("data: write %s: %w", root, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	for _, split := range []struct {
		name string
		set  *Set
	}{{"train", train}, {"test", test}} {
		for _, n := range names {
			if err := os.MkdirAll(filepath.Join(tmp, split.name, n), 0o755); err != nil {
				return fmt.Errorf("data: write %s: %w", root, err)
			}
		}
		for i := range split.set.Len() {
			path := filepath.Join(tmp, split.name, names[split.set.Y[i]], fmt.Sprintf("%05d.png", i))
			if err := writePNG(path, split.set.levels(i), split.set.C, split.set.H, split.set.W); err != nil {
				return fmt.Errorf("data: write %s: %w", root, err)
			}
		}
	}
	if err := os.Rename(tmp, root); err != nil {
		return fmt.Errorf("data: write %s: %w", root, err)
	}
	return nil
}

// classNames returns s's class names, or the labels in decimal.
func classNames(s *Set) []string {
	if len(s.ClassNames) == s.Classes {
		return s.ClassNames
	}
	names := make([]string, s.Classes)
	for k := range names {
		names[k] = fmt.Sprint(k)
	}
	return names
}

// levels returns example i's stored image as 8-bit levels [C, H, W].
func (s *Set) levels(i int) []uint8 {
	n := s.size()
	if s.X == nil {
		return s.Pix[i*n : (i+1)*n]
	}
	q := make([]uint8, n)
	for k, x := range s.X[i*n : (i+1)*n] {
		q[k] = uint8(min(max(math.Round((float64(x)+1)*127.5), 0), 255))
	}
	return q
}

// writePNG writes the planes [c, h, w] as an RGB (c = 3) or gray (c = 1)
// PNG.
func writePNG(path string, planes []uint8, c, h, w int) error {
	var im image.Image
	if c == 1 {
		g := image.NewGray(image.Rect(0, 0, w, h))
		copy(g.Pix, planes)
		im = g
	} else {
		rgba := image.NewNRGBA(image.Rect(0, 0, w, h))
		for p := range h * w {
			rgba.Pix[4*p], rgba.Pix[4*p+1], rgba.Pix[4*p+2], rgba.Pix[4*p+3] = planes[p], planes[h*w+p], planes[2*h*w+p], 255
		}
		im = rgba
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	if err := png.Encode(bw, im); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
