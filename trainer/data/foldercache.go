package data

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
)

// The cache file of a folder dataset, all integers little-endian:
//
//	magic    8 bytes  "bsfold01"
//	key      32 bytes (folderList.key)
//	h, w     uint32 each
//	classes  uint32, then per class: uint32 length, name bytes
//	nTrain   uint32, nTest uint32
//	labels   (nTrain+nTest) x uint32
//	pixels   (nTrain+nTest) x 3 x h x w bytes
//	crc      uint32: CRC-32 (IEEE) of everything before it
//
// (The IEEE polynomial because Go computes it with carry-less multiplies,
// several GB/s, faster than CRC-32C here.)
const cacheMagic = "bsfold01"

// cachePath returns the cache file of root under the decoding options:
// one file per dataset folder and options, so that a stale cache is
// replaced rather than accumulated.
func cachePath(dir, root string, o *FolderOptions) string {
	abs, err := filepath.Abs(root)
	if err != nil {
		abs = root
	}
	id := sha256.Sum256(fmt.Appendf(nil, "%s\x00%dx%d\x00%t", abs, o.Height, o.Width, o.Resize))
	return filepath.Join(dir, "imagefolder-"+filepath.Base(abs)+"-"+hex.EncodeToString(id[:8])+".bin")
}

// loadCached returns the decoded images of l, from the cache when it holds
// them, else decoding and (unless NoCache) writing the cache; info records
// which.
func loadCached(l *folderList, o *FolderOptions, info *FolderInfo) (*folderImages, error) {
	if o.NoCache {
		return decodeCounted(l, o, info)
	}
	dir := o.CacheDir
	if dir == "" {
		var err error
		if dir, err = DefaultCacheDir(); err != nil {
			info.CacheMiss, info.CacheWrite = "no cache directory", err
			return decodeCounted(l, o, info)
		}
	}
	info.CachePath = cachePath(dir, l.root, o)
	key := l.key(o)
	f, err := readCache(info.CachePath, key, l)
	if err == nil {
		info.CacheHit = true
		return f, nil
	}
	info.CacheMiss = err.Error()
	if f, err = decodeCounted(l, o, info); err != nil {
		return nil, err
	}
	info.CacheWrite = writeCache(info.CachePath, key, f, len(l.train))
	return f, nil
}

func decodeCounted(l *folderList, o *FolderOptions, info *FolderInfo) (*folderImages, error) {
	f, err := decodeAll(l, o)
	if err == nil {
		info.Decoded = len(f.labels)
	}
	return f, err
}

// errCacheAbsent is readCache's error for a cache file that does not exist.
var errCacheAbsent = errors.New("absent")

// readCache reads the cache at path; it returns an error saying why when
// the file is absent, corrupt (bad length, CRC or layout) or stale (key or
// counts other than l's).
func readCache(path string, key [32]byte, l *folderList) (*folderImages, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if isNotExist(err) {
			return nil, errCacheAbsent
		}
		return nil, fmt.Errorf("unreadable: %w", err)
	}
	corrupt := func(what string) error { return fmt.Errorf("corrupt: %s", what) }
	if len(b) < len(cacheMagic)+32+4 || string(b[:len(cacheMagic)]) != cacheMagic {
		return nil, corrupt("no cache header")
	}
	body := b[:len(b)-4]
	if crc32.ChecksumIEEE(body) != binary.LittleEndian.Uint32(b[len(body):]) {
		return nil, corrupt("CRC mismatch (truncated or damaged)")
	}
	if [32]byte(body[len(cacheMagic):len(cacheMagic)+32]) != key {
		return nil, errors.New("stale: the files or options changed")
	}
	r := cacheReader{b: body[len(cacheMagic)+32:]}
	f := &folderImages{h: int(r.u32()), w: int(r.u32())}
	nc := int(r.u32())
	for range min(nc, len(r.b)) {
		f.classes = append(f.classes, string(r.bytes(int(r.u32()))))
	}
	nTrain, nTest := int(r.u32()), int(r.u32())
	if r.bad || nTrain != len(l.train) || nTest != len(l.test) || len(f.classes) != len(l.classes) {
		return nil, corrupt("header does not match the listing")
	}
	total := nTrain + nTest
	raw := r.bytes(4 * total)
	f.pix = r.bytes(total * 3 * f.h * f.w)
	if r.bad || len(r.b) != 0 || f.h < 1 || f.w < 1 {
		return nil, corrupt("layout")
	}
	f.labels = make([]int32, total)
	for i := range f.labels {
		f.labels[i] = int32(binary.LittleEndian.Uint32(raw[4*i:]))
		if f.labels[i] < 0 || int(f.labels[i]) >= nc {
			return nil, corrupt("label out of range")
		}
	}
	return f, nil
}

// cacheReader reads little-endian fields, remembering a short read.
type cacheReader struct {
	b   []byte
	bad bool
}

func (r *cacheReader) bytes(n int) []byte {
	if n < 0 || n > len(r.b) {
		r.bad, r.b = true, nil
		return nil
	}
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out
}

func (r *cacheReader) u32() uint32 {
	b := r.bytes(4)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

// writeCache writes f to path atomically: to a temporary file in the same
// directory, renamed over path once complete. A torn write is caught by
// the CRC when read.
func writeCache(path string, key [32]byte, f *folderImages, nTrain int) (err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("data: cache %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("data: cache %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			err = fmt.Errorf("data: cache %s: %w", path, err)
		}
	}()
	crc := crc32.NewIEEE()
	w := bufio.NewWriterSize(io.MultiWriter(tmp, crc), 1<<20)
	var b [4]byte
	u32 := func(v int) {
		binary.LittleEndian.PutUint32(b[:], uint32(v))
		w.Write(b[:])
	}
	w.WriteString(cacheMagic)
	w.Write(key[:])
	u32(f.h)
	u32(f.w)
	u32(len(f.classes))
	for _, c := range f.classes {
		u32(len(c))
		w.WriteString(c)
	}
	u32(nTrain)
	u32(len(f.labels) - nTrain)
	for _, y := range f.labels {
		u32(int(y))
	}
	w.Write(f.pix)
	if err := w.Flush(); err != nil {
		return err
	}
	binary.LittleEndian.PutUint32(b[:], crc.Sum32())
	if _, err := tmp.Write(b[:]); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
