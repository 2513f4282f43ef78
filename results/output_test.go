package results

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// readDirNames lists the names in dir, sorted.
func readDirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// TestCheckOutputRefusesRunStores: no output takes the place of a run
// store, under its reserved names or any other (before, report -o
// RUN/run.db and filters -o RUN/run.db overwrote it).
func TestCheckOutputRefusesRunStores(t *testing.T) {
	r := newTestRun(t)
	dir := t.TempDir()
	copied := filepath.Join(dir, "backup.db")
	b, err := os.ReadFile(filepath.Join(r.Dir(), "run.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(copied, b, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.html")
	if err := os.Symlink(filepath.Join(r.Dir(), "run.db"), link); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "plain.html")
	if err := os.WriteFile(plain, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path, want string
	}{
		{filepath.Join(r.Dir(), "run.db"), filepath.Join(r.Dir(), "run.db") + ": refusing to write over a run store: run.db is a name run directories reserve"},
		{filepath.Join(dir, "run.db"), filepath.Join(dir, "run.db") + ": refusing to write over a run store: run.db is a name run directories reserve"},
		{filepath.Join(r.Dir(), "run.lock"), "run.lock is a name run directories reserve"},
		{filepath.Join(r.Dir(), "run.db.123.tmp"), "run.db.123.tmp is a name run directories reserve"},
		{copied, copied + ": refusing to write over a run store: it holds a bbolt database"},
		{link, link + ": refusing to write over a run store: it holds a bbolt database"},
		{dir, dir + " is a directory; want a file name"},
		{plain, ""},
		{filepath.Join(dir, "new.html"), ""},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.path), func(t *testing.T) {
			err := CheckOutput(tt.path)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error %v\nwant %s", err, tt.want)
			case tt.want != "" && !strings.Contains(tt.want, "directory;") && !errors.Is(err, ErrRunStore):
				t.Errorf("%v does not wrap ErrRunStore", err)
			}
		})
	}
	if err := r.Verify(); err != nil {
		t.Error(err)
	}
}

// TestWriteFileWholeOrNothing: a failed write leaves the path as it was
// and no temporary file (before, outputs were written in place, so a
// failure left a 0-byte or partial file); a successful one replaces the
// path, and a symbolic link there is replaced, not followed.
func TestWriteFileWholeOrNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.html")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := WriteFile(path, 0o644, func(w io.Writer) error {
		io.WriteString(w, "half")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("error %v, want boom", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("after a failed write the file holds %q", b)
	}
	if names := readDirNames(t, dir); !slices.Equal(names, []string{"report.html"}) {
		t.Errorf("left behind: %v", names)
	}
	if err := WriteFile(path, 0o600, func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if b, _ := os.ReadFile(path); string(b) != "new" || err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("after a write: %q, mode %v", b, fi.Mode())
	}
	target := filepath.Join(dir, "target")
	os.WriteFile(target, []byte("target"), 0o644)
	link := filepath.Join(dir, "link")
	os.Symlink(target, link)
	if err := WriteFile(link, 0o644, func(w io.Writer) error { _, err := io.WriteString(w, "x"); return err }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(target); string(b) != "target" {
		t.Errorf("the link's target was written: %q", b)
	}
	if fi, err := os.Lstat(link); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("the link was not replaced by a file: %v, %v", fi.Mode(), err)
	}
	o, err := CreateOutput(filepath.Join(dir, "aborted"), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	o.Write([]byte("x"))
	o.Abort()
	if _, err := os.Stat(filepath.Join(dir, "aborted")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an aborted output appeared: %v", err)
	}
	if err := o.Commit(); err == nil {
		t.Error("Commit after Abort succeeded")
	}
}

// TestWriteDirReplacesWhole: WriteDir never leaves a mix of two outputs
// (before, an export into a used directory kept the previous export's
// tensors beside the new ones) and never empties a directory it did not
// write.
func TestWriteDirReplacesWhole(t *testing.T) {
	root := t.TempDir()
	out := filepath.Join(root, "w")
	write := func(names ...string) func(string) error {
		return func(tmp string) error {
			for _, n := range names {
				if err := SyncFile(filepath.Join(tmp, n), func(w io.Writer) error { _, err := io.WriteString(w, n); return err }); err != nil {
					return err
				}
			}
			return nil
		}
	}
	if err := WriteDir(out, false, ".npy", write("a.npy", "b.npy")); err != nil {
		t.Fatal(err)
	}
	if err := WriteDir(out, false, ".npy", write("c.npy")); !errors.Is(err, ErrNotEmpty) {
		t.Errorf("into a used directory without replace: %v, want ErrNotEmpty", err)
	}
	if err := WriteDir(out, true, ".npy", write("c.npy")); err != nil {
		t.Fatal(err)
	}
	if names := readDirNames(t, out); !slices.Equal(names, []string{"c.npy"}) {
		t.Errorf("after replacing: %v, want only c.npy", names)
	}
	boom := errors.New("boom")
	if err := WriteDir(out, true, ".npy", func(tmp string) error { write("d.npy")(tmp); return boom }); !errors.Is(err, boom) {
		t.Errorf("failing write: %v", err)
	}
	if names := readDirNames(t, out); !slices.Equal(names, []string{"c.npy"}) {
		t.Errorf("after a failed write: %v, want c.npy untouched", names)
	}
	if names := readDirNames(t, root); !slices.Equal(names, []string{"w"}) {
		t.Errorf("left behind beside the output: %v", names)
	}
	os.WriteFile(filepath.Join(out, "notes.txt"), []byte("mine"), 0o644)
	if err := WriteDir(out, true, ".npy", write("e.npy")); !errors.Is(err, ErrNotEmpty) || !strings.Contains(err.Error(), "notes.txt") {
		t.Errorf("replacing a directory with foreign files: %v", err)
	}
	r := newTestRun(t)
	if err := WriteDir(r.Dir(), true, ".npy", write("x.npy")); !errors.Is(err, ErrRunStore) {
		t.Errorf("into a run directory: %v, want ErrRunStore", err)
	}
	if err := r.Verify(); err != nil {
		t.Error(err)
	}
}
