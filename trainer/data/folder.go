package data

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// FolderOptions are the options of LoadFolder. The zero value (or a nil
// *FolderOptions) loads every image, takes the size of the first training
// image as the size of all, caches under DefaultCacheDir and decodes on
// GOMAXPROCS goroutines.
type FolderOptions struct {
	// Train and Test are the number of examples to keep from the start of
	// each split's order (see LoadFolder); 0 keeps all. More than the
	// folder holds is an error (ErrTooFew).
	Train, Test int
	// Height and Width are the image size expected; 0 and 0 take the size
	// of the first training image. An image of another size is an error
	// (ErrImageSize) unless Resize is set.
	Height, Width int
	// Resize resamples images of another size to Height x Width by area
	// averaging (see resizeArea) instead of refusing them. It needs Height
	// and Width.
	Resize bool
	// CacheDir is the directory of the cache file; "" is DefaultCacheDir().
	CacheDir string
	// NoCache decodes every file and neither reads nor writes a cache.
	NoCache bool
	// Workers is the number of decoding goroutines; 0 is GOMAXPROCS.
	Workers int
	// Now is the clock that times the load for FolderInfo; nil is time.Now.
	Now func() time.Time
}

// FolderInfo says how LoadFolder got the images.
type FolderInfo struct {
	Files     int    // image files listed, train and test
	CachePath string // the cache file read or written; "" with NoCache
	CacheHit  bool   // the images came from the cache
	// CacheMiss says why the cache was not used ("absent", "stale: ...",
	// "corrupt: ..."); "" on a hit or with NoCache.
	CacheMiss string
	// CacheWrite is why a freshly decoded set could not be cached (the load
	// itself succeeded); nil when it was written or not needed.
	CacheWrite error
	Decoded    int           // files decoded: 0 on a cache hit
	Workers    int           // decoding goroutines
	List       time.Duration // listing the folders and stating every file
	Load       time.Duration // decoding the files or reading the cache
}

// DefaultCacheDir returns the directory LoadFolder caches in by default:
// os.UserCacheDir()/branchspec (on Linux $XDG_CACHE_HOME/branchspec or
// ~/.cache/branchspec). The cache lives there rather than next to the
// data because datasets are often on read-only or shared storage.
func DefaultCacheDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("data: no cache directory (set one explicitly): %w", err)
	}
	return filepath.Join(d, "branchspec"), nil
}

// folderFile is one listed image: its path relative to the root, size and
// modification time, and its label.
type folderFile struct {
	rel   string
	size  int64
	mtime int64 // Unix nanoseconds
	label int32
}

// folderList is the listing of a folder dataset: the class names (sorted)
// and each split's files in Set order.
type folderList struct {
	root        string
	classes     []string
	train, test []folderFile
}

// LoadFolder reads an image-folder dataset:
//
//	ROOT/train/CLASS/*.{jpg,jpeg,png}
//	ROOT/test/CLASS/*.{jpg,jpeg,png}
//
// Classes are the sub-folders of ROOT/train in sorted (byte) order, and an
// image's label is its folder's index; ROOT/test must have the same class
// folders. Names starting with '.', files at the class level, files with
// other extensions (case-insensitive) and sub-folders of class folders are
// ignored. Within a class, files are taken in sorted name order, and a
// split's examples interleave the classes round-robin (class 0's first
// file, class 1's first, ..., class 0's second, ...; a class that runs out
// drops out), so every prefix, which Train, Test and Set.Head select, is
// balanced across classes to within one example.
//
// Images become 8-bit RGB (Set.Pix, three channels; see toRGB: gray images
// replicate Y, JPEG chroma is upsampled as libjpeg does). They are decoded
// once, on opts.Workers goroutines, each writing the slot of its file so
// that the result does not depend on scheduling, and written to a cache
// file; later loads read the cache after checking its key, a SHA-256 of
// every file's relative path, size and modification time and of the
// decoding options (so a changed, added or removed file rebuilds it), and
// its CRC-32 (so a truncated or corrupt cache is rebuilt, never trusted).
// The cache is written to a temporary file and renamed into place.
//
// Errors name the path at fault and wrap fs.ErrNotExist (a missing split
// folder), ErrNoClasses, ErrEmptyClass, ErrClassMismatch, ErrDecode,
// ErrImageSize or ErrTooFew; for several bad files, the first in order.
func LoadFolder(root string, opts *FolderOptions) (train, test *Set, info *FolderInfo, err error) {
	var o FolderOptions
	if opts != nil {
		o = *opts
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	switch {
	case o.Height < 0 || o.Width < 0 || (o.Height == 0) != (o.Width == 0):
		return nil, nil, nil, fmt.Errorf("data: %s: image size %dx%d: want both > 0, or both 0 for the first image's", root, o.Width, o.Height)
	case o.Resize && o.Height == 0:
		return nil, nil, nil, fmt.Errorf("data: %s: resize needs the target height and width", root)
	}
	info = &FolderInfo{Workers: o.Workers}
	t0 := o.Now()
	list, err := listFolder(root, o.Workers)
	if err != nil {
		return nil, nil, nil, err
	}
	nTrain, err := checkCount(o.Train, len(list.train), filepath.Join(root, "train"))
	if err != nil {
		return nil, nil, nil, err
	}
	nTest, err := checkCount(o.Test, len(list.test), filepath.Join(root, "test"))
	if err != nil {
		return nil, nil, nil, err
	}
	info.Files = len(list.train) + len(list.test)
	t1 := o.Now()
	info.List = t1.Sub(t0)
	full, err := loadCached(list, &o, info)
	if err != nil {
		return nil, nil, nil, err
	}
	info.Load = o.Now().Sub(t1)
	train, test = full.split(len(list.train))
	return prefix(train, nTrain), prefix(test, nTest), info, nil
}

// prefix returns the first n examples of s, copied out of the shared
// buffer when fewer than all so the rest can be freed.
func prefix(s *Set, n int) *Set {
	if n == s.Len() {
		return s
	}
	h := s.Head(n)
	h.Pix = slices.Clone(h.Pix)
	h.Y = slices.Clone(h.Y)
	return h
}

// listFolder lists and checks the class folders of root's two splits.
func listFolder(root string, workers int) (*folderList, error) {
	l := &folderList{root: root}
	trainDir, testDir := filepath.Join(root, "train"), filepath.Join(root, "test")
	trainClasses, err := classDirs(trainDir)
	if err != nil {
		return nil, err
	}
	if len(trainClasses) == 0 {
		return nil, fmt.Errorf("data: %s: %w", trainDir, ErrNoClasses)
	}
	testClasses, err := classDirs(testDir)
	if err != nil {
		return nil, err
	}
	for _, c := range testClasses {
		if _, found := slices.BinarySearch(trainClasses, c); !found {
			return nil, fmt.Errorf("data: %s: %w: class %q is not in %s", filepath.Join(testDir, c), ErrClassMismatch, c, trainDir)
		}
	}
	for _, c := range trainClasses {
		if _, found := slices.BinarySearch(testClasses, c); !found {
			return nil, fmt.Errorf("data: %s: %w: no folder for class %q of %s", testDir, ErrClassMismatch, c, trainDir)
		}
	}
	l.classes = trainClasses
	if l.train, err = splitFiles(root, "train", trainClasses, workers); err != nil {
		return nil, err
	}
	if l.test, err = splitFiles(root, "test", trainClasses, workers); err != nil {
		return nil, err
	}
	return l, nil
}

// classDirs returns the sorted names of the non-hidden sub-folders of dir.
func classDirs(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, pathError(dir, err)
	}
	var names []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		isDir := e.IsDir()
		if e.Type()&fs.ModeSymlink != 0 {
			fi, err := os.Stat(filepath.Join(dir, e.Name()))
			if err != nil {
				return nil, pathError(filepath.Join(dir, e.Name()), err)
			}
			isDir = fi.IsDir()
		}
		if isDir {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names) // ReadDir sorts already; the order is part of the contract
	return names, nil
}

// splitFiles lists the images of each class of one split, the classes on
// up to workers goroutines, and interleaves them round-robin.
func splitFiles(root, split string, classes []string, workers int) ([]folderFile, error) {
	per := make([][]folderFile, len(classes))
	errs := make([]error, len(classes))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, len(classes)) {
		wg.Go(func() {
			for k := int(next.Add(1) - 1); k < len(classes); k = int(next.Add(1) - 1) {
				per[k], errs[k] = classFiles(root, split, classes[k], int32(k))
			}
		})
	}
	wg.Wait()
	for _, err := range errs { // the first class's error, whatever the schedule
		if err != nil {
			return nil, err
		}
	}
	longest := 0
	for _, f := range per {
		longest = max(longest, len(f))
	}
	var out []folderFile
	for r := range longest {
		for k := range classes {
			if r < len(per[k]) {
				out = append(out, per[k][r])
			}
		}
	}
	return out, nil
}

// classFiles lists the images of one class folder, sorted by name.
func classFiles(root, split, class string, label int32) ([]folderFile, error) {
	dir := filepath.Join(root, split, class)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, pathError(dir, err)
	}
	var files []folderFile
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, ".") || !isImageName(name) {
			continue
		}
		path := filepath.Join(dir, name)
		var fi fs.FileInfo
		if e.Type()&fs.ModeSymlink != 0 {
			fi, err = os.Stat(path)
		} else {
			fi, err = e.Info()
		}
		if err != nil {
			return nil, pathError(path, err)
		}
		if !fi.Mode().IsRegular() {
			continue
		}
		files = append(files, folderFile{
			rel: split + "/" + class + "/" + name, size: fi.Size(), mtime: fi.ModTime().UnixNano(), label: label,
		})
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("data: %s: %w (want %s files)", dir, ErrEmptyClass, strings.Join(imageExts, ", "))
	}
	slices.SortFunc(files, func(a, b folderFile) int { return cmp.Compare(a.rel, b.rel) })
	return files, nil
}

// pathError returns err as "data: PATH: reason", keeping what it wraps.
func pathError(path string, err error) error {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		err = pe.Err
	}
	return fmt.Errorf("data: %s: %w", path, err)
}

// key returns the cache key of the listing under the decoding options.
func (l *folderList) key(o *FolderOptions) [32]byte {
	h := sha256.New()
	var b [8]byte
	num := func(v int64) {
		binary.LittleEndian.PutUint64(b[:], uint64(v))
		h.Write(b[:])
	}
	str := func(s string) {
		num(int64(len(s)))
		h.Write([]byte(s))
	}
	str(cacheMagic)
	num(int64(o.Height))
	num(int64(o.Width))
	if o.Resize {
		str("resize-area")
	}
	for _, c := range l.classes {
		str(c)
	}
	for _, files := range [][]folderFile{l.train, l.test} {
		num(int64(len(files)))
		for _, f := range files {
			str(f.rel)
			num(f.size)
			num(f.mtime)
		}
	}
	return [32]byte(h.Sum(nil))
}

// folderImages is a whole decoded dataset: train then test examples.
type folderImages struct {
	h, w    int
	classes []string
	pix     []uint8 // (train+test) x 3 x h x w
	labels  []int32
}

// split returns views of the first nTrain examples and of the rest.
func (f *folderImages) split(nTrain int) (train, test *Set) {
	n := 3 * f.h * f.w
	mk := func(lo, hi int) *Set {
		return &Set{C: 3, H: f.h, W: f.w, Classes: len(f.classes), ClassNames: f.classes,
			Pix: f.pix[lo*n : hi*n : hi*n], Y: f.labels[lo:hi:hi]}
	}
	return mk(0, nTrain), mk(nTrain, len(f.labels))
}

// decodeAll decodes every listed file into a folderImages. The size is
// o's, or the first training file's; files are decoded by o.Workers
// goroutines, each taking the next index and writing its own slot. On
// failure the error of the first bad file in order is returned: workers
// keep going for indices below the lowest failure seen, which covers
// every index below the final one since indices are handed out in order.
func decodeAll(l *folderList, o *FolderOptions) (*folderImages, error) {
	files := append(slices.Clip(l.train), l.test...)
	f := &folderImages{h: o.Height, w: o.Width, classes: l.classes, labels: make([]int32, len(files))}
	var first []uint8
	if f.h == 0 {
		var err error
		if first, f.h, f.w, err = decodeFile(l.root, files[0], 0, 0, false); err != nil {
			return nil, err
		}
	}
	n := 3 * f.h * f.w
	f.pix = make([]uint8, len(files)*n)
	var next atomic.Int64
	if first != nil {
		copy(f.pix, first)
		f.labels[0] = files[0].label
		next.Store(1)
	}
	var mu sync.Mutex
	firstBad, badErr := len(files), error(nil)
	work := func() {
		for {
			i := int(next.Add(1) - 1)
			mu.Lock()
			stop := i >= firstBad
			mu.Unlock()
			if stop {
				return
			}
			pix, _, _, err := decodeFile(l.root, files[i], f.h, f.w, o.Resize)
			if err != nil {
				mu.Lock()
				if i < firstBad {
					firstBad, badErr = i, err
				}
				mu.Unlock()
				continue
			}
			copy(f.pix[i*n:(i+1)*n], pix)
			f.labels[i] = files[i].label
		}
	}
	var wg sync.WaitGroup
	for range min(o.Workers, len(files)) - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()
	if badErr != nil {
		return nil, badErr
	}
	return f, nil
}

// decodeFile reads and decodes one listed file. With h > 0 the image must
// be h x w, or is resampled to it when resize is set.
func decodeFile(root string, ff folderFile, h, w int, resize bool) ([]uint8, int, int, error) {
	path := filepath.Join(root, filepath.FromSlash(ff.rel))
	b, err := readFile(path)
	if err != nil {
		return nil, 0, 0, err
	}
	pix, ih, iw, err := decodeImage(path, b)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("data: %s: %w: %v", path, ErrDecode, err)
	}
	if h > 0 && (ih != h || iw != w) {
		if !resize {
			return nil, 0, 0, fmt.Errorf("data: %s: %w: %dx%d (width x height), want %dx%d (or ask for a resize)", path, ErrImageSize, iw, ih, w, h)
		}
		pix, ih, iw = resizeArea(pix, ih, iw, h, w), h, w
	}
	return pix, ih, iw, nil
}

// CountFolder counts the image files (the names LoadFolder reads) in the
// class folders of ROOT/train and ROOT/test, without reading them: what a
// memory estimate needs before anything is loaded. A split that cannot be
// listed counts 0; LoadFolder reports why.
func CountFolder(root string) (train, test int) {
	count := func(split string) int {
		dir := filepath.Join(root, split)
		classes, err := os.ReadDir(dir)
		if err != nil {
			return 0
		}
		n := 0
		for _, c := range classes {
			if strings.HasPrefix(c.Name(), ".") {
				continue
			}
			ents, err := os.ReadDir(filepath.Join(dir, c.Name()))
			if err != nil {
				continue
			}
			for _, e := range ents {
				if name := e.Name(); !strings.HasPrefix(name, ".") && isImageName(name) {
					n++
				}
			}
		}
		return n
	}
	return count("train"), count("test")
}
