package experiments

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"branchspec/trainer/data"
)

// cifarRecord is record i of a fixture batch file: label i % 10, then
// 3072 pixel bytes that depend on the file, the record and the position.
func cifarRecord(file, i int) []byte {
	rec := make([]byte, 3073)
	rec[0] = byte(i % 10)
	for k := range 3072 {
		rec[1+k] = byte(file*31 + i*7 + k*13)
	}
	return rec
}

// cifarFixture is a small archive in the layout of cifar-10-binary.tar.gz:
// the folder cifar-10-batches-bin/ with the six batch files (ten records
// each, one per class) and batches.meta.txt, plus the extra entries given.
func cifarFixture(t *testing.T, extra ...*tar.Header) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	add := func(h *tar.Header, body []byte) {
		h.Size = int64(len(body))
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	add(&tar.Header{Name: "cifar-10-batches-bin/", Typeflag: tar.TypeDir, Mode: 0o755}, nil)
	for f, name := range cifarFiles {
		add(&tar.Header{Name: "cifar-10-batches-bin/" + name, Typeflag: tar.TypeReg, Mode: 0o644}, cifarBatch(f))
	}
	add(&tar.Header{Name: "cifar-10-batches-bin/batches.meta.txt", Typeflag: tar.TypeReg, Mode: 0o644},
		[]byte("airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n"))
	for _, h := range extra {
		var body []byte
		if h.Typeflag == tar.TypeReg {
			body = []byte("x")
		}
		add(h, body)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// cifarBatch is fixture batch file f: records 0..9.
func cifarBatch(f int) []byte {
	var b []byte
	for i := range 10 {
		b = append(b, cifarRecord(f, i)...)
	}
	return b
}

func md5Hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// serve serves body at /cifar-10-binary.tar.gz on a loopback server and
// counts the requests.
func serve(t *testing.T, body []byte) (url string, requests *int) {
	t.Helper()
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n++
		if r.URL.Path != "/cifar-10-binary.tar.gz" {
			http.NotFound(w, r)
			return
		}
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/cifar-10-binary.tar.gz", &n
}

func TestGetDataCIFAR10(t *testing.T) {
	archive := cifarFixture(t)
	url, requests := serve(t, archive)
	dir := filepath.Join(t.TempDir(), "data")
	o := GetOptions{Dir: dir, URL: url, MD5: md5Hex(archive), Images: true}
	paths, err := GetData(context.Background(), "cifar10", o)
	if err != nil {
		t.Fatal(err)
	}
	bin, images := filepath.Join(dir, "cifar-10-batches-bin"), filepath.Join(dir, "cifar10-png")
	if !slices.Equal(paths, []string{bin, images}) {
		t.Errorf("paths %v", paths)
	}
	for f, name := range cifarFiles {
		got, err := os.ReadFile(filepath.Join(bin, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, cifarBatch(f)) {
			t.Errorf("%s differs from the archive's", name)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "cifar-10-binary.tar.gz")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the downloaded archive was kept: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("%s holds %d entries, want the two folders (no temporary files)", dir, len(ents))
	}
	// The image folder holds the batches' records, each once, the five
	// training files' in train/ and the test file's in test/.
	train, test, _, err := data.LoadFolder(images, &data.FolderOptions{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 50 || test.Len() != 10 || train.ClassNames[0] != "airplane" {
		t.Fatalf("image folder: %d train, %d test, classes %v", train.Len(), test.Len(), train.ClassNames)
	}
	for split, s := range []*data.Set{train, test} {
		want := map[string]bool{}
		for f := range cifarFiles {
			for r := range 10 {
				if (f == 5) == (split == 1) {
					want[string(cifarRecord(f, r))] = true
				}
			}
		}
		for i := range s.Len() {
			rec := string(append([]byte{byte(s.Y[i])}, s.Pix[i*3072:(i+1)*3072]...))
			if !want[rec] {
				t.Errorf("split %d: an image (label %d) is no record of its batches, or a second copy", split, s.Y[i])
			}
			delete(want, rec)
		}
	}

	// Everything is there: a second call fetches nothing.
	if _, err := GetData(context.Background(), "cifar10", o); err != nil || *requests != 1 {
		t.Errorf("second call: %v after %d requests, want none more", err, *requests)
	}
}

// TestGetDataOffline: with no server the error names the URL, the file to
// copy by hand and its checksum; with the file copied there, no
// connection is needed.
func TestGetDataOffline(t *testing.T) {
	archive := cifarFixture(t)
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/cifar-10-binary.tar.gz"
	srv.Close()
	dir := t.TempDir()
	o := GetOptions{Dir: dir, URL: url, MD5: md5Hex(archive)}
	_, err := GetData(context.Background(), "cifar10", o)
	manual := filepath.Join(dir, "cifar-10-binary.tar.gz")
	for _, want := range []string{url, md5Hex(archive), manual} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("offline error %v; want it to name %s", err, want)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("a failed download left %d entries in %s", len(ents), dir)
	}
	if err := os.WriteFile(manual, archive, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := GetData(context.Background(), "cifar10", o); err != nil {
		t.Fatal(err)
	}
	if !complete(filepath.Join(dir, "cifar-10-batches-bin")) {
		t.Error("the archive copied by hand was not extracted")
	}
	if _, err := os.Stat(manual); err != nil {
		t.Errorf("the archive copied by hand was removed: %v", err)
	}
}

func TestGetDataRefuses(t *testing.T) {
	good := cifarFixture(t)
	tests := []struct {
		name    string
		archive []byte
		md5     string
		want    string
	}{
		{"checksum", good, strings.Repeat("0", 32), "published MD5"},
		{"path outside the folder", cifarFixture(t, &tar.Header{Name: "cifar-10-batches-bin/../evil", Typeflag: tar.TypeReg}), "", "unexpected entry"},
		{"absolute path", cifarFixture(t, &tar.Header{Name: "/tmp/evil", Typeflag: tar.TypeReg}), "", "unexpected entry"},
		{"link", cifarFixture(t, &tar.Header{Name: "cifar-10-batches-bin/l", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}), "", "unexpected entry"},
		{"not gzip", []byte("plain"), "", "gzip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, _ := serve(t, tt.archive)
			sum := tt.md5
			if sum == "" {
				sum = md5Hex(tt.archive)
			}
			dir := t.TempDir()
			_, err := GetData(context.Background(), "cifar10", GetOptions{Dir: dir, URL: url, MD5: sum})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "cifar-10-batches-bin")); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("a refused archive left cifar-10-batches-bin: %v", err)
			}
			if ents, _ := os.ReadDir(filepath.Dir(dir)); len(ents) != 1 {
				t.Errorf("entries outside %s: %d", dir, len(ents)-1)
			}
		})
	}
	if _, err := GetData(context.Background(), "mnist", GetOptions{Dir: t.TempDir()}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "dataset-fashion-mnist") {
		t.Errorf("unknown dataset: %v", err)
	}
	// An incomplete folder in the way is named, not overwritten.
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "cifar-10-batches-bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	url, _ := serve(t, good)
	if _, err := GetData(context.Background(), "cifar10", GetOptions{Dir: dir, URL: url, MD5: md5Hex(good)}); err == nil || !strings.Contains(err.Error(), "exists but lacks") {
		t.Errorf("incomplete folder in the way: %v", err)
	}
}
