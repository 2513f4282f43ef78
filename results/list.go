package results

import (
	"fmt"
	"io/fs"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// Summary is one run found by List.
type Summary struct {
	Dir    string
	Info   Info
	Status Status
	Last   Row  // training-time row with the highest step; zero if none
	Live   bool // a process holds the run's training lock
	// Err is why the run could not be read; Info, Status and Last are then
	// zero. Live is set even when Err is not nil.
	Err error
}

// Interrupted reports whether the run was left Running by a process that
// is gone, and so can be resumed.
func (s Summary) Interrupted() bool {
	return s.Err == nil && s.Status.State == Running && !s.Live
}

// List finds every run.db below root, at any depth, and summarizes its run,
// in lexical order of directory. A run that cannot be read, or a directory
// that cannot be walked, gives a Summary with Err set; it never stops the
// listing. List returns an error only if root itself cannot be walked.
// Each run is read with the default Options, so a run in the middle of a
// commit delays the listing by at most DefaultTimeout.
func List(root string) ([]Summary, error) {
	return ListWith(root, nil)
}

// ListWith is List reading each run with opts: a reader that must not
// wait (ls) gives a short Timeout, and a run whose database another
// program holds longer is a Summary whose Err wraps ErrTimeout.
func ListWith(root string, opts *Options) ([]Summary, error) {
	var out []Summary
	err := walkRuns(root, func(dir string) {
		out = append(out, summarize(dir, opts))
	}, func(path string, err error) {
		out = append(out, Summary{Dir: path, Err: err})
	})
	if err != nil {
		return out, fmt.Errorf("results: list %s: %w", root, err)
	}
	return out, nil
}

// Find returns the directory of every run below root, at any depth, in
// lexical order: each directory that holds a regular file run.db (a
// symbolic link named run.db is not a run). It opens no run.db, so it
// never waits on a training process; directories below root that cannot
// be read are passed over. Find returns an error only if root itself
// cannot be walked.
func Find(root string) ([]string, error) {
	var dirs []string
	err := walkRuns(root, func(dir string) { dirs = append(dirs, dir) }, func(string, error) {})
	if err != nil {
		return nil, fmt.Errorf("results: find %s: %w", root, err)
	}
	return dirs, nil
}

// walkRuns calls run with the directory of each regular run.db below root
// in lexical order, and fail with each path below root that could not be
// walked. It returns an error only if root itself cannot be walked.
func walkRuns(root string, run func(dir string), fail func(path string, err error)) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == root {
				return err
			}
			fail(path, err)
			return nil // WalkDir skips a directory it could not read
		}
		if d.Name() == dbName && d.Type().IsRegular() {
			run(filepath.Dir(path))
		}
		return nil
	})
}

// summarize reads the Summary of the run in dir in one transaction.
func summarize(dir string, opts *Options) Summary {
	s := Summary{Dir: dir}
	r := newRun(dir, opts)
	s.Live, s.Err = r.Live()
	err := view(r.path, r.timeout, func(tx *bolt.Tx) (err error) {
		meta := tx.Bucket(bucketMeta)
		if s.Info, err = decodeInfo(meta.Get(keyInfo)); err != nil {
			return err
		}
		if s.Status, err = decodeStatus(meta.Get(keyStatus)); err != nil {
			return err
		}
		s.Last, err = lastRow(tx.Bucket(bucketRows))
		return err
	})
	if err != nil {
		s.Info, s.Status, s.Last = Info{}, Status{}, Row{}
		s.Err = fmt.Errorf("results: summarize %s: %w", r.path, err)
	}
	return s
}
