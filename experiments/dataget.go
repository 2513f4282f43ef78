package experiments

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"

	"branchspec/trainer/data"
)

// The original binary CIFAR-10 (Krizhevsky, "Learning Multiple Layers of
// Features from Tiny Images", 2009) and the MD5 that its page,
// https://www.cs.toronto.edu/~kriz/cifar.html, publishes for it.
const (
	CIFAR10URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
	CIFAR10MD5 = "c32a1d4ab5d03f1284b67883e8d87530"
)

// Names of what GetData puts in its directory.
const (
	cifarArchive = "cifar-10-binary.tar.gz"
	cifarDir     = "cifar-10-batches-bin" // the archive's one folder
	cifarImages  = "cifar10-png"
)

// cifarFiles are the files a complete cifar-10-batches-bin holds.
var cifarFiles = []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"}

// GetOptions say where GetData puts a dataset and how it fetches it.
type GetOptions struct {
	// Dir is the directory the dataset goes in; "" is "data".
	Dir string
	// Images also writes the dataset as an image folder of PNG files
	// (Dir/cifar10-png/{train,test}/CLASS/NNNNN.png), lossless, for a
	// config with data.source = "folder".
	Images bool
	// URL and MD5 replace CIFAR10URL and CIFAR10MD5 when set (tests).
	URL, MD5 string
	// Client fetches the archive; nil is http.DefaultClient.
	Client *http.Client
	// Progress receives one line per step (nil: none).
	Progress io.Writer
}

// GetData fetches the dataset name ("cifar10") into o.Dir and returns the
// directories to give as data.path: for cifar10, Dir/cifar-10-batches-bin
// (source "cifar10") and, with Images, Dir/cifar10-png (source "folder").
//
// The archive Dir/cifar-10-binary.tar.gz is used when it is there (copied
// by hand on a machine without a connection); otherwise it is downloaded
// from the URL. Either way its MD5 must be the published one, and it is
// extracted into a temporary folder renamed into place, so the dataset
// appears whole or not at all; a downloaded archive is deleted once
// extracted. What is already complete is kept and not fetched again. A
// failed download says which URL to fetch by hand, where to put it and its
// checksum.
func GetData(ctx context.Context, name string, o GetOptions) ([]string, error) {
	if name != "cifar10" {
		return nil, invalidf("unknown dataset %q: branchspec fetches cifar10 (Fashion-MNIST is the Debian package dataset-fashion-mnist, in /usr/share/datasets/fashion-mnist)", name)
	}
	if o.Dir == "" {
		o.Dir = "data"
	}
	if o.URL == "" {
		o.URL = CIFAR10URL
	}
	if o.MD5 == "" {
		o.MD5 = CIFAR10MD5
	}
	if o.Client == nil {
		o.Client = http.DefaultClient
	}
	say := func(format string, args ...any) {
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, format+"\n", args...)
		}
	}
	bin := filepath.Join(o.Dir, cifarDir)
	_, err := os.Stat(bin)
	switch {
	case complete(bin):
		say("%s is already there", bin)
	case err == nil:
		return nil, fmt.Errorf("%s exists but lacks some of %s: remove it and run this again", bin, strings.Join(cifarFiles, ", "))
	default:
		if err := fetchCIFAR10(ctx, o, say); err != nil {
			return nil, err
		}
	}
	paths := []string{bin}
	if !o.Images {
		return paths, nil
	}
	images := filepath.Join(o.Dir, cifarImages)
	paths = append(paths, images)
	if _, err := os.Stat(images); err == nil {
		say("%s is already there", images)
		return paths, nil
	}
	train, test, err := data.LoadCIFAR10(bin, 0, 0)
	if err != nil {
		return nil, err
	}
	say("writing %d + %d PNG files to %s", train.Len(), test.Len(), images)
	if err := data.WriteFolder(images, train, test); err != nil {
		return nil, err
	}
	return paths, nil
}

// complete reports whether dir holds every CIFAR-10 batch file.
func complete(dir string) bool {
	for _, f := range cifarFiles {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || !fi.Mode().IsRegular() {
			return false
		}
	}
	return true
}

// fetchCIFAR10 gets the archive (the one in o.Dir, or a download),
// checks its MD5 and extracts it.
func fetchCIFAR10(ctx context.Context, o GetOptions, say func(string, ...any)) error {
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return err
	}
	archive := filepath.Join(o.Dir, cifarArchive)
	downloaded := false
	if _, err := os.Stat(archive); errors.Is(err, fs.ErrNotExist) {
		say("downloading %s", o.URL)
		if err := download(ctx, o, archive); err != nil {
			return fmt.Errorf("%w\nwithout a connection: on a machine with one, fetch %s (MD5 %s), copy it to %s and run this again",
				err, o.URL, o.MD5, archive)
		}
		downloaded = true
	} else if err != nil {
		return err
	}
	sum, err := fileMD5(archive)
	if err != nil {
		return err
	}
	if sum != o.MD5 {
		if downloaded {
			os.Remove(archive)
		}
		return fmt.Errorf("%s has MD5 %s, but the published MD5 of %s is %s: the file is damaged or another one; remove it and run this again",
			archive, sum, o.URL, o.MD5)
	}
	say("MD5 %s verified; extracting %s", sum, filepath.Join(o.Dir, cifarDir))
	if err := extractCIFAR10(archive, o.Dir); err != nil {
		return err
	}
	if downloaded {
		return os.Remove(archive)
	}
	return nil
}

// download writes the body of o.URL to archive, through a temporary file
// renamed into place only when the transfer is complete.
func download(ctx context.Context, o GetOptions, archive string) (err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.URL, nil)
	if err != nil {
		return fmt.Errorf("download %s: %w", o.URL, err)
	}
	resp, err := o.Client.Do(req)
	if err != nil {
		return fmt.Errorf("download %s: %w", o.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("download %s: %s", o.URL, resp.Status)
	}
	tmp, err := os.CreateTemp(filepath.Dir(archive), "."+filepath.Base(archive)+".part-")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := io.Copy(tmp, resp.Body); err != nil {
		return fmt.Errorf("download %s: %w", o.URL, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), archive)
}

// fileMD5 is the lowercase hex MD5 of the file at p.
func fileMD5(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := md5.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", p, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// extractCIFAR10 extracts the regular files of the archive's
// cifar-10-batches-bin folder into dir/cifar-10-batches-bin: into a
// temporary folder first, renamed into place when every batch file is
// there. Entries outside that folder, links and names that are not plain
// relative paths are refused.
func extractCIFAR10(archive, dir string) (err error) {
	f, err := os.Open(archive)
	if err != nil {
		return err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", archive, err)
	}
	tmp, err := os.MkdirTemp(dir, "."+cifarDir+".tmp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", archive, err)
		}
		name := path.Clean(strings.TrimPrefix(h.Name, "./"))
		rel, ok := strings.CutPrefix(name, cifarDir+"/")
		switch {
		case h.Typeflag == tar.TypeDir && (name == cifarDir || ok && fs.ValidPath(rel)):
			continue
		case h.Typeflag != tar.TypeReg || !ok || !fs.ValidPath(rel) || strings.Contains(rel, "/"):
			return fmt.Errorf("%s: unexpected entry %q (want the regular files of %s/)", archive, h.Name, cifarDir)
		}
		if err := writeEntry(filepath.Join(tmp, rel), tr); err != nil {
			return fmt.Errorf("%s: %s: %w", archive, h.Name, err)
		}
	}
	if !complete(tmp) {
		return fmt.Errorf("%s: lacks some of %s", archive, strings.Join(cifarFiles, ", "))
	}
	return os.Rename(tmp, filepath.Join(dir, cifarDir))
}

func writeEntry(p string, r io.Reader) error {
	out, err := os.Create(p)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, r); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
