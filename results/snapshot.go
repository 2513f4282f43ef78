package results

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	bolt "go.etcd.io/bbolt"
)

// Snapshot is what a run's store holds at one moment, short of the
// checkpoints' tensors: what a viewer of a training run shows.
type Snapshot struct {
	Info        Info
	Status      Status
	Rows        []Row            // training-time rows, ascending by step
	Checkpoints []CheckpointInfo // pruned or not, ascending by step
}

// Snapshot reads the run's info, status, training-time rows and
// checkpoint infos in one read transaction, so that they agree with each
// other (Run.Info, Status, Rows and Checkpoints each open the file, and a
// commit may fall between them). Like every read it waits at most
// Options.Timeout for the file lock (ErrTimeout).
func (r *Run) Snapshot() (Snapshot, error) {
	var s Snapshot
	err := view(r.path, r.timeout, func(tx *bolt.Tx) (err error) {
		meta := tx.Bucket(bucketMeta)
		if s.Info, err = decodeInfo(meta.Get(keyInfo)); err != nil {
			return err
		}
		if s.Status, err = decodeStatus(meta.Get(keyStatus)); err != nil {
			return err
		}
		if s.Rows, err = readRows(tx.Bucket(bucketRows)); err != nil {
			return err
		}
		s.Checkpoints, err = readCkptInfos(tx.Bucket(bucketCkpt))
		return err
	})
	if err != nil {
		return Snapshot{}, fmt.Errorf("results: snapshot %s: %w", r.path, err)
	}
	return s, nil
}

// Stamp identifies one version of a run's run.db without opening it: its
// inode, size and modification time. Every commit rewrites pages and so
// changes the modification time; a run.db replaced by another file
// changes the inode. Equal stamps thus mean, to the resolution of the
// file system's clock, an unchanged store, and a viewer may keep what it
// read under the same stamp.
type Stamp struct {
	Inode   uint64
	Size    int64
	ModTime int64 // nanoseconds since the Unix epoch
}

// StampOf returns the stamp of the run.db in dir. It takes no lock and
// never waits; ErrNotFound when dir holds no run.db.
func StampOf(dir string) (Stamp, error) {
	fi, err := os.Stat(filepath.Join(dir, dbName))
	if os.IsNotExist(err) {
		return Stamp{}, ErrNotFound
	}
	if err != nil {
		return Stamp{}, fmt.Errorf("results: stamp %s: %w", dir, err)
	}
	st := Stamp{Size: fi.Size(), ModTime: fi.ModTime().UnixNano()}
	if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
		st.Inode = uint64(sys.Ino)
	}
	return st, nil
}
