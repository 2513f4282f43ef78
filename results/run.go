package results

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// DefaultTimeout is how long an operation waits for the database file lock
// when Options.Timeout is zero.
const DefaultTimeout = 5 * time.Second

// Options configure how a Run opens its database. A nil *Options means the
// defaults documented on each field.
type Options struct {
	// Timeout is how long each operation waits for the database file lock
	// before returning ErrTimeout. Zero or negative means DefaultTimeout.
	Timeout time.Duration
}

func (o *Options) timeout() time.Duration {
	if o == nil || o.Timeout <= 0 {
		return DefaultTimeout
	}
	return o.Timeout
}

// Info is a run's identity, written once by Create.
type Info struct {
	Name       string
	Seed       uint64
	ConfigText []byte // canonical config text
	ConfigHash string // hex SHA-256 of ConfigText, as computed by the caller
	Version    string // version of the program that created the run
	Created    time.Time
	// Kernel is the identity of the matrix products the run was made with
	// (trainer.Kernel: implementation, micro-kernel, architecture level),
	// "" for runs made before it was recorded. A change later is a
	// KernelChange.
	Kernel string

	// Parent is the directory of the run this one was forked from and
	// ParentStep the step of the parent's checkpoint it started from; Parent
	// is "" for a run trained from scratch.
	Parent     string
	ParentStep int

	// Extra holds free-form labels such as the experiment or regime.
	Extra map[string]string

	// Blobs holds run-level data the creating program stores with the run
	// and reads back unchanged (such as the input preprocessing fitted to
	// the training set), opaque to this package; nil when there is none,
	// and absent from the records of runs that have none.
	Blobs map[string][]byte `json:",omitempty"`
}

// KernelChange records that training went on at Step with other matrix
// products than before (a resume on another kind of machine, allowed
// explicitly): the run's bits after Step may differ from an uninterrupted
// run's. From is "" when the run had recorded none.
type KernelChange struct {
	Step     int
	From, To string
	Time     time.Time
}

// State is the life-cycle state of a run.
type State string

// The states of a run. A run whose state is Running while nobody holds its
// lock (see Run.Live) was interrupted and can be resumed.
const (
	Running State = "running"
	Done    State = "done"
	Failed  State = "failed"
	Stopped State = "stopped"
)

func (s State) valid() bool {
	switch s {
	case Running, Done, Failed, Stopped:
		return true
	}
	return false
}

// Status is where a run stands.
type Status struct {
	State   State
	Step    int    // step the run has reached
	Total   int    // steps the run is configured for
	Reason  string // why the run failed or stopped ("" otherwise)
	Updated time.Time
	// TestAcc is the held-out accuracy at the latest evaluation, NaN when
	// none was measured. (Status records of version 1 stored 0 for "not
	// measured"; a 0 read from one is returned as NaN.)
	TestAcc float64
}

// Run is a handle on a run directory. It holds no open file: every method
// opens the database, runs one transaction and closes it, so a Run may be
// kept for the life of a process and used from several goroutines.
type Run struct {
	dir     string
	path    string
	timeout time.Duration
}

// Create makes dir (and its parents) and a new run.db in it recording info,
// with Status{State: Running, Updated: info.Created, TestAcc: NaN}. It
// returns ErrExists if dir already holds a run.db. The new file appears
// complete or not at all: it is written under a temporary name and then
// linked into place.
func Create(dir string, info Info, opts *Options) (*Run, error) {
	return CreateWith(dir, info, Commit{}, opts)
}

// CreateWith is Create that also applies first (the run's first rows,
// checkpoint and status) in the transaction that writes the new run.db, so
// that a new run appears with its first checkpoint or not at all. A nil
// first.Status leaves the status of Create.
func CreateWith(dir string, info Info, first Commit, opts *Options) (*Run, error) {
	r := newRun(dir, opts)
	if err := r.create(info, first); err != nil {
		return nil, fmt.Errorf("results: create %s: %w", r.path, err)
	}
	return r, nil
}

// Open returns a handle on the run in dir after validating its database: it
// returns ErrNotFound if there is no run.db, ErrCorrupt if it is not a
// readable bbolt file, ErrNotRun if it lacks the run store's meta bucket and
// ErrVersion if it has another format version. Open never writes.
func Open(dir string, opts *Options) (*Run, error) {
	r := newRun(dir, opts)
	if err := view(r.path, r.timeout, func(*bolt.Tx) error { return nil }); err != nil {
		return nil, fmt.Errorf("results: open %s: %w", r.path, err)
	}
	return r, nil
}

func newRun(dir string, opts *Options) *Run {
	return &Run{dir: dir, path: filepath.Join(dir, dbName), timeout: opts.timeout()}
}

// Dir returns the run's directory.
func (r *Run) Dir() string { return r.dir }

func (r *Run) create(info Info, first Commit) error {
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return err
	}
	if _, err := os.Lstat(r.path); err == nil {
		return ErrExists
	}
	infoRec, err := encodeInfo(info)
	if err != nil {
		return err
	}
	statusRec, err := encodeStatus(Status{State: Running, Updated: info.Created, TestAcc: math.NaN()})
	if err != nil {
		return err
	}
	ec, firstStatus, err := first.encode()
	if err != nil {
		return err
	}
	eo, err := encodeOrigin(first.Origin)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(r.dir, dbName+".*.tmp")
	if err != nil {
		return err
	}
	tmpPath := tmp.Name()
	defer os.Remove(tmpPath)
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := initDB(tmpPath, r.timeout, infoRec, statusRec, func(tx *bolt.Tx) error {
		if err := first.apply(tx, ec, firstStatus); err != nil {
			return err
		}
		return eo.put(tx)
	}); err != nil {
		return err
	}
	if err := os.Link(tmpPath, r.path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return ErrExists
		}
		return err
	}
	return syncDir(r.dir)
}

// initDB writes the buckets and meta records of a new run into the empty
// file at path, then calls then in the same transaction.
func initDB(path string, timeout time.Duration, infoRec, statusRec []byte, then func(*bolt.Tx) error) (err error) {
	db, err := bolt.Open(path, 0o644, &bolt.Options{Timeout: timeout})
	if err != nil {
		return err
	}
	defer closeDB(db, &err)
	return db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketRows, bucketAnalysis, bucketCkpt} {
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		meta, err := tx.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		err = errors.Join(
			meta.Put(keyFormat, binary.BigEndian.AppendUint32(nil, formatVersion)),
			meta.Put(keyInfo, infoRec),
			meta.Put(keyStatus, statusRec),
		)
		if err != nil {
			return err
		}
		return then(tx)
	})
}

// syncDir makes a new directory entry in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Info returns the run's identity as recorded by Create.
func (r *Run) Info() (Info, error) {
	var info Info
	err := view(r.path, r.timeout, func(tx *bolt.Tx) (err error) {
		info, err = decodeInfo(tx.Bucket(bucketMeta).Get(keyInfo))
		return err
	})
	if err != nil {
		return Info{}, fmt.Errorf("results: info %s: %w", r.path, err)
	}
	return info, nil
}

// Status returns the run's status.
func (r *Run) Status() (Status, error) {
	var st Status
	err := view(r.path, r.timeout, func(tx *bolt.Tx) (err error) {
		st, err = decodeStatus(tx.Bucket(bucketMeta).Get(keyStatus))
		return err
	})
	if err != nil {
		return Status{}, fmt.Errorf("results: status %s: %w", r.path, err)
	}
	return st, nil
}

// SetStatus replaces the run's status. To change the status together with
// a checkpoint, use Commit instead.
func (r *Run) SetStatus(s Status) error {
	return r.commit("set status", Commit{Status: &s})
}

// KernelChanges returns the run's kernel changes, oldest first (none for
// most runs).
func (r *Run) KernelChanges() ([]KernelChange, error) {
	var out []KernelChange
	err := view(r.path, r.timeout, func(tx *bolt.Tx) (err error) {
		out, err = decodeKernels(tx.Bucket(bucketMeta).Get(keyKernels))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("results: kernel changes %s: %w", r.path, err)
	}
	return out, nil
}

// Kernel is the identity of the matrix products the run is made with now:
// the last kernel change's, else Info.Kernel.
func (r *Run) Kernel() (string, error) {
	info, err := r.Info()
	if err != nil {
		return "", err
	}
	changes, err := r.KernelChanges()
	if err != nil {
		return "", err
	}
	if n := len(changes); n > 0 {
		return changes[n-1].To, nil
	}
	return info.Kernel, nil
}

// encodeKernels stores the kernel changes as JSON inside a record.
func encodeKernels(ks []KernelChange) ([]byte, error) {
	p, err := json.Marshal(ks)
	if err != nil {
		return nil, err
	}
	e := newEncoder(kindKernels, len(p))
	e.raw(p)
	return e.finish(), nil
}

// decodeKernels decodes the kernel changes; a run without the record has
// none.
func decodeKernels(rec []byte) ([]KernelChange, error) {
	if rec == nil {
		return nil, nil
	}
	d, err := openRecord(rec, kindKernels)
	if err != nil {
		return nil, fmt.Errorf("kernel changes: %w", err)
	}
	var ks []KernelChange
	if err := json.Unmarshal(d.b, &ks); err != nil {
		return nil, fmt.Errorf("kernel changes: %w: %w", ErrCorrupt, err)
	}
	return ks, nil
}

// Verify reads the whole database: it runs bbolt's consistency check over
// every page and decodes every record, and returns the errors found
// (ErrCorrupt for bad records), joined, or nil.
func (r *Run) Verify() error {
	var errs []error
	err := view(r.path, r.timeout, func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			errs = append(errs, fmt.Errorf("%w: %w", ErrCorrupt, err))
		}
		if len(errs) > 0 {
			return nil // records may point into bad pages
		}
		errs = append(errs, verifyRecords(tx)...)
		return nil
	})
	if err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("results: verify %s: %w", r.path, err)
	}
	return nil
}

// encodeInfo stores info as JSON inside a record.
func encodeInfo(info Info) ([]byte, error) {
	p, err := json.Marshal(info)
	if err != nil {
		return nil, err
	}
	e := newEncoder(kindInfo, len(p))
	e.raw(p)
	return e.finish(), nil
}

func decodeInfo(rec []byte) (Info, error) {
	var info Info
	d, err := openRecord(rec, kindInfo)
	if err != nil {
		return info, fmt.Errorf("info: %w", err)
	}
	if err := json.Unmarshal(d.b, &info); err != nil {
		return info, fmt.Errorf("info: %w: %w", ErrCorrupt, err)
	}
	return info, nil
}

func encodeStatus(s Status) ([]byte, error) {
	if !s.State.valid() {
		return nil, fmt.Errorf("unknown state %q", s.State)
	}
	e := newEncoder(kindStatus, 64+len(s.Reason))
	e.str(string(s.State))
	e.varint(int64(s.Step))
	e.varint(int64(s.Total))
	e.str(s.Reason)
	if err := e.time(s.Updated); err != nil {
		return nil, err
	}
	e.f64(s.TestAcc)
	return e.finish(), nil
}

func decodeStatus(rec []byte) (Status, error) {
	var s Status
	d, err := openRecord(rec, kindStatus)
	if err != nil {
		return s, fmt.Errorf("status: %w", err)
	}
	if s.State = State(d.str()); d.err == nil && !s.State.valid() {
		d.fail("unknown state %q", s.State)
	}
	s.Step = int(d.varint())
	s.Total = int(d.varint())
	s.Reason = d.str()
	s.Updated = d.time()
	s.TestAcc = d.f64()
	if err := d.done(); err != nil {
		return Status{}, fmt.Errorf("status: %w", err)
	}
	if d.version == 1 && s.TestAcc == 0 {
		s.TestAcc = math.NaN() // version 1 stored 0 for "not measured"
	}
	return s, nil
}

// verifyRecords decodes every record the layout defines.
func verifyRecords(tx *bolt.Tx) []error {
	var errs []error
	note := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	meta := tx.Bucket(bucketMeta)
	_, err := decodeInfo(meta.Get(keyInfo))
	note(err)
	_, err = decodeStatus(meta.Get(keyStatus))
	note(err)
	_, err = decodeKernels(meta.Get(keyKernels))
	note(err)
	note(verifyRows("rows", tx.Bucket(bucketRows)))
	if b := tx.Bucket(bucketAnalysis); b != nil {
		note(b.ForEachBucket(func(k []byte) error {
			note(verifyRows("analysis "+string(k), b.Bucket(k)))
			return nil
		}))
	}
	note(verifyOrigin(tx))
	if b := tx.Bucket(bucketCkpt); b != nil {
		note(b.ForEachBucket(func(k []byte) error {
			if _, err := decodeCheckpoint(k, b.Bucket(k)); !errors.Is(err, ErrPruned) {
				note(err)
			}
			return nil
		}))
	}
	return errs
}

// verifyRows decodes every row of b and checks that the steps ascend,
// reporting each bad row.
func verifyRows(what string, b *bolt.Bucket) error {
	if b == nil {
		return nil
	}
	var errs []error
	prev := -1
	err := b.ForEach(func(k, v []byte) error {
		row, err := decodeRow(k, v)
		if err == nil {
			err = checkOrder(prev, row.Step)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
		}
		prev = max(prev, row.Step)
		return nil
	})
	return errors.Join(append(errs, err)...)
}
