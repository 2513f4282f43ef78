package results

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime/debug"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// formatVersion is the layout version written to meta/format.
const formatVersion uint32 = 1

// File names inside a run directory.
const (
	dbName   = "run.db"
	lockName = "run.lock"
)

// Bucket and key names; see the package documentation for the layout.
var (
	bucketMeta     = []byte("meta")
	bucketRows     = []byte("rows")
	bucketAnalysis = []byte("analysis")
	bucketCkpt     = []byte("ckpt")

	keyFormat  = []byte("format")
	keyInfo    = []byte("info")
	keyStatus  = []byte("status")
	keyKernels = []byte("kernels")
	keyWeights = []byte("weights")
	keySolver  = []byte("solver")
	keyBlobs   = []byte("blobs")
)

// stepKey is the bucket key of step: big-endian so that keys sort by step.
func stepKey(step int) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(step))
}

// keyStep decodes a step key.
func keyStep(k []byte) (int, error) {
	if len(k) != 8 {
		return 0, fmt.Errorf("%w: step key of %d bytes", ErrCorrupt, len(k))
	}
	v := binary.BigEndian.Uint64(k)
	if v > uint64(maxStep) {
		return 0, fmt.Errorf("%w: step key %d out of range", ErrCorrupt, v)
	}
	return int(v), nil
}

const maxStep = int(^uint(0) >> 1)

// openDB opens the existing bbolt file at path, read-only or read-write,
// waiting at most timeout for its file lock. It never creates the file and
// refuses an empty one (bbolt would initialize it).
func openDB(path string, timeout time.Duration, readOnly bool) (*bolt.DB, error) {
	if err := statDB(path); err != nil {
		return nil, err
	}
	var db *bolt.DB
	err := guard(func() (err error) {
		db, err = bolt.Open(path, 0o644, &bolt.Options{
			Timeout:  timeout,
			ReadOnly: readOnly,
			OpenFile: openExisting,
		})
		return err
	})
	if err != nil {
		return nil, classifyOpen(err)
	}
	return db, nil
}

// statDB checks that path is a non-empty regular file.
func statDB(path string) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return ErrNotFound
	case err != nil:
		return err
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%w: not a regular file", ErrCorrupt)
	case fi.Size() == 0:
		return fmt.Errorf("%w: empty file", ErrCorrupt)
	}
	return nil
}

// openExisting is bbolt's OpenFile hook: it drops O_CREATE and refuses an
// empty file, so a file removed or emptied after statDB is not initialized.
func openExisting(name string, flag int, perm os.FileMode) (*os.File, error) {
	f, err := os.OpenFile(name, flag&^os.O_CREATE, perm)
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err != nil || fi.Size() == 0 {
		f.Close()
		if err == nil {
			err = errEmpty
		}
		return nil, err
	}
	return f, nil
}

var errEmpty = fmt.Errorf("%w: empty file", ErrCorrupt)

// classifyOpen maps an error from bolt.Open to this package's errors.
// Operating-system errors (permissions, descriptors) pass through; anything
// else means bbolt could not make sense of the file.
func classifyOpen(err error) error {
	var errno syscall.Errno
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return ErrTimeout
	case errors.Is(err, fs.ErrNotExist):
		return ErrNotFound
	case errors.Is(err, ErrCorrupt):
		return err
	case errors.As(err, &errno):
		return err
	}
	return fmt.Errorf("%w: %w", ErrCorrupt, err)
}

// closeDB closes db and reports its error into *err unless one is set.
func closeDB(db *bolt.DB, err *error) {
	if cerr := db.Close(); cerr != nil && *err == nil {
		*err = cerr
	}
}

// view runs fn in a read-only transaction on the validated file at path.
func view(path string, timeout time.Duration, fn func(*bolt.Tx) error) (err error) {
	db, err := openDB(path, timeout, true)
	if err != nil {
		return err
	}
	defer closeDB(db, &err)
	return guard(func() error {
		return db.View(func(tx *bolt.Tx) error {
			if err := checkTx(tx, path); err != nil {
				return err
			}
			return fn(tx)
		})
	})
}

// update validates the file at path read-only, then runs fn in one
// read-write transaction, which is committed and synced when fn returns nil
// and rolled back otherwise.
func update(path string, timeout time.Duration, fn func(*bolt.Tx) error) (err error) {
	if err := view(path, timeout, func(*bolt.Tx) error { return nil }); err != nil {
		return err
	}
	db, err := openDB(path, timeout, false)
	if err != nil {
		return err
	}
	defer closeDB(db, &err)
	return guard(func() error {
		return db.Update(func(tx *bolt.Tx) error {
			if err := checkTx(tx, path); err != nil {
				return err
			}
			return fn(tx)
		})
	})
}

// guard runs fn, turning a panic or a memory fault (bbolt reading a page
// that lies beyond a truncated file) into ErrCorrupt. Callers must not let
// panics from user callbacks reach it; see Commit.
func guard(fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", ErrCorrupt, p)
		}
	}()
	return fn()
}

// checkTx checks that the file is not shorter than the pages the
// transaction's meta page claims, that it holds the meta bucket, and that
// its format version is ours. It reads no page before the size check.
func checkTx(tx *bolt.Tx, path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.Size() < tx.Size() {
		return fmt.Errorf("%w: file has %d bytes, its pages need %d (truncated)", ErrCorrupt, fi.Size(), tx.Size())
	}
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return fmt.Errorf("%w: no %q bucket", ErrNotRun, bucketMeta)
	}
	v := meta.Get(keyFormat)
	if len(v) != 4 {
		return fmt.Errorf("%w: no format version", ErrNotRun)
	}
	if got := binary.BigEndian.Uint32(v); got != formatVersion {
		return fmt.Errorf("%w: format %d, this program reads %d", ErrVersion, got, formatVersion)
	}
	return nil
}
