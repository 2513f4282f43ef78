package results

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// boltMagic is the magic number bbolt writes into the meta page at the
// start of every database file, 16 bytes in (after the page header).
const (
	boltMagic       uint32 = 0xED0CDAED
	boltMagicOffset        = 16
)

// ReservedName reports whether name is a file name a run directory
// reserves: run.db, run.lock, or the temporary run.db.*.tmp that Create
// writes before linking run.db into place. No output is ever written
// under such a name, in a run directory or anywhere else.
func ReservedName(name string) bool {
	return name == dbName || name == lockName ||
		strings.HasPrefix(name, dbName+".") && strings.HasSuffix(name, ".tmp")
}

// CheckOutput returns an error wrapping ErrRunStore if a file written to
// path would take the place of a run store: path's name is reserved
// (ReservedName), or path (after symbolic links) holds a bbolt database,
// whatever its name (a copied run.db). A path that is a directory is an
// error too. It reads at most a few bytes and takes no lock.
func CheckOutput(path string) error {
	if ReservedName(filepath.Base(path)) {
		return fmt.Errorf("%s: %w: %s is a name run directories reserve", path, ErrRunStore, filepath.Base(path))
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case fi.IsDir():
		return fmt.Errorf("%s is a directory; want a file name", path)
	}
	if isBolt(path) {
		return fmt.Errorf("%s: %w: it holds a bbolt database", path, ErrRunStore)
	}
	return nil
}

// isBolt reports whether the file at path starts as a bbolt database does.
func isBolt(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var b [boltMagicOffset + 4]byte
	if _, err := io.ReadFull(f, b[:]); err != nil {
		return false
	}
	return binary.LittleEndian.Uint32(b[boltMagicOffset:]) == boltMagic ||
		binary.BigEndian.Uint32(b[boltMagicOffset:]) == boltMagic
}

// Output is a file being written to a path: until Commit it is a
// temporary file beside the path, so the path holds its old content, or
// nothing, until the new content is complete and synced, and a failed or
// interrupted write leaves no partial file there.
type Output struct {
	f    *os.File
	path string
	perm os.FileMode
	done bool
}

// CreateOutput checks path with CheckOutput and starts a new file for it:
// a temporary file in path's directory (which must exist), named
// .NAME.tmp-*, written through the Output's Write.
func CreateOutput(path string, perm os.FileMode) (*Output, error) {
	if err := CheckOutput(path); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, err
	}
	return &Output{f: f, path: path, perm: perm}, nil
}

// Write writes to the temporary file.
func (o *Output) Write(p []byte) (int, error) { return o.f.Write(p) }

// Commit syncs the temporary file, gives it the Output's permissions and
// renames it to the path, replacing what was there (a symbolic link at the
// path is replaced, not followed). The path is checked again first, in
// case a run store appeared there meanwhile. After a failed Commit the
// temporary file is gone.
func (o *Output) Commit() error {
	if o.done {
		return fmt.Errorf("results: output %s: already closed", o.path)
	}
	o.done = true
	tmp := o.f.Name()
	err := errors.Join(o.f.Chmod(o.perm), o.f.Sync(), o.f.Close())
	if err == nil {
		err = CheckOutput(o.path)
	}
	if err == nil {
		err = os.Rename(tmp, o.path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("results: output %s: %w", o.path, err)
	}
	return syncDir(filepath.Dir(o.path))
}

// Abort removes the temporary file and leaves the path as it was. It does
// nothing after Commit, so it can be deferred.
func (o *Output) Abort() {
	if o.done {
		return
	}
	o.done = true
	o.f.Close()
	os.Remove(o.f.Name())
}

// WriteFile writes the file at path through write, as an Output: the path
// gets the complete content or keeps what it had. An error of write is
// returned as it is, and nothing is written.
func WriteFile(path string, perm os.FileMode, write func(io.Writer) error) error {
	o, err := CreateOutput(path, perm)
	if err != nil {
		return err
	}
	defer o.Abort()
	if err := write(o); err != nil {
		return err
	}
	return o.Commit()
}

// WriteDir fills the directory dir through write, which is given a new
// temporary directory beside dir (.NAME.tmp-*) to write its files into;
// that directory then takes dir's place, so dir never holds a mix of old
// and new files, and a failed write leaves dir as it was.
//
// A dir that exists and holds anything is replaced only when replace is
// true and every entry in it is a regular file named *ext (a previous
// output of the same kind, ".npy" for an export); otherwise WriteDir
// refuses before writing: a run directory (a reserved name inside) wraps
// ErrRunStore, any other directory ErrNotEmpty. dir's parent is created
// when missing.
func WriteDir(dir string, replace bool, ext string, write func(tmp string) error) error {
	dir = filepath.Clean(dir)
	old, err := os.ReadDir(dir)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, e := range old {
		if ReservedName(e.Name()) {
			return fmt.Errorf("%s: %w: it holds %s", dir, ErrRunStore, e.Name())
		}
	}
	if len(old) > 0 {
		if !replace {
			return fmt.Errorf("%s: %w", dir, ErrNotEmpty)
		}
		for _, e := range old {
			if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ext) {
				return fmt.Errorf("%s: %w: it holds %s, which is no *%s file this could have written", dir, ErrNotEmpty, e.Name(), ext)
			}
		}
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := write(tmp); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := syncDir(tmp); err != nil {
		return err
	}
	if exists {
		// Move the old directory aside (it is removed with tmp's name once
		// the new one is in place).
		if err := os.Rename(dir, tmp+".old"); err != nil {
			return err
		}
		defer os.RemoveAll(tmp + ".old")
	}
	if err := os.Rename(tmp, dir); err != nil {
		return err
	}
	return syncDir(parent)
}

// SyncFile creates the file at path (which must not exist), writes it
// through write and syncs it: the helper for the files WriteDir's write
// callback creates in its temporary directory.
func SyncFile(path string, write func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	err = write(w)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}
