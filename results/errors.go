package results

import (
	"errors"
	"fmt"

	berrors "go.etcd.io/bbolt/errors"
)

// Errors returned when opening or creating a run.
var (
	// ErrExists is returned by Create when the directory already holds a run.db.
	ErrExists = errors.New("run already exists")

	// ErrNotFound is returned when the directory holds no run.db.
	ErrNotFound = errors.New("run not found")

	// ErrNotRun is returned when run.db is a valid bbolt file that lacks the
	// run store's meta bucket or format version.
	ErrNotRun = errors.New("not a run store")

	// ErrVersion is returned when run.db was written in a format version this
	// package does not read.
	ErrVersion = errors.New("unsupported run store format")

	// ErrCorrupt is returned when run.db is not a readable bbolt file (it then
	// also wraps bbolt's error), is truncated, or holds a record that fails its
	// checksum or cannot be decoded.
	ErrCorrupt = errors.New("corrupt run store")

	// ErrTimeout is returned when the database file lock was not obtained
	// within Options.Timeout, because another process holds a conflicting
	// lock (a writer blocks everyone; a reader blocks writers). It wraps
	// bbolt's ErrTimeout.
	ErrTimeout = fmt.Errorf("waiting for the database lock: %w", berrors.ErrTimeout)
)

// Errors returned by the output helpers (CheckOutput, WriteFile, WriteDir).
var (
	// ErrRunStore is returned when an output would take the place of a run
	// store: a name run directories reserve (run.db, run.lock), a file
	// holding a bbolt database, or a directory holding a run.
	ErrRunStore = errors.New("refusing to write over a run store")

	// ErrNotEmpty is returned by WriteDir when the directory holds files it
	// may not replace.
	ErrNotEmpty = errors.New("directory is not empty")
)

// Errors returned by the training-process lock.
var (
	// ErrLocked is returned by Lock when another process (or another Lock in
	// this process) holds the run's lock.
	ErrLocked = errors.New("run is locked by another process")
)

// Errors returned when reading checkpoints.
var (
	// ErrNoCheckpoint is returned when the requested checkpoint does not
	// exist, or by Latest when the run has none.
	ErrNoCheckpoint = errors.New("no such checkpoint")

	// ErrPruned is returned by Checkpoint when retention dropped the
	// checkpoint's weights and solver state; its info and blobs remain.
	ErrPruned = errors.New("checkpoint weights were pruned")
)
