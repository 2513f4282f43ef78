// Package results is the run store: one bbolt file per training run that
// holds its identity, status, metric series and checkpoints.
//
// # Files
//
// A run is a directory holding run.db, the only file that cannot be
// rebuilt, and run.lock, an empty file; a training process holds flocks on
// the directory and on run.lock, which tell whether it is alive (see Lock
// and Run.Live; deleting run.lock does not release the directory's). Create writes run.db under a
// temporary name and links it into place, so a run.db either exists complete
// or not at all; a crash during Create may leave a run.db.*.tmp file, which
// is safe to delete.
//
// # Access pattern
//
// No operation keeps the database open. Each method opens run.db, runs one
// transaction and closes it: reads open read-only (shared flock), writes
// open read-write (exclusive flock). A training process therefore blocks
// readers only while it commits, and a reader blocks a commit only for its
// own short transaction. Every open waits at most Options.Timeout for the
// file lock and then returns ErrTimeout (a write opens twice, read-only to
// validate and then read-write, so it may wait up to twice as long).
//
// Before any read-write open the file is validated read-only: it must be a
// bbolt file with the meta bucket and a known format version. A file that is
// missing, empty, foreign, truncated or of another format is reported with an
// error and never written to.
//
// # Durability
//
// Run.Commit writes one checkpoint's metric rows, the checkpoint itself, the
// status and the retention pruning in a single bbolt transaction, which is
// fsynced before it returns. A process killed at any moment, even during a
// commit, leaves the store as of the last completed commit.
//
// # Layout (format 1)
//
// Top-level buckets:
//
//	meta                  "format" -> uint32 big-endian format version (1)
//	                      "info"   -> record(JSON of Info)
//	                      "status" -> record(status)
//	rows                  step -> record(row)       training-time metrics
//	analysis/VERSION      step -> record(row)       metrics recomputed later by
//	                                                the program version VERSION
//	ckpt/STEP             "info"    -> record(checkpoint info)
//	                      "weights" -> record(tensors)   (absent once pruned)
//	                      "solver"  -> record(tensors)   (absent once pruned)
//	                      "blobs"   -> record(blobs)     (kept when pruned)
//	origin                "weights" -> record(tensors)   the initial weights w_0
//	                      "nulls"   -> record(nulls)     metric nulls (Origin)
//
// A step key is the step as a big-endian uint64, so cursors visit steps in
// ascending order. Training-time rows and analysis rows are kept in separate
// buckets: Rows, Series and Keys read only the former, Analysis the latter.
//
// Every value except "format" is a record:
//
//	kind (1 byte) | version (1 byte) | payload | CRC-32C of the preceding bytes (4 bytes, little-endian)
//
// so a flipped byte is reported as ErrCorrupt rather than returned as data.
// A bbolt key lies outside its value's record, so row records and
// checkpoint infos hold their step too, and one that differs from its key
// is ErrCorrupt, as are row keys that do not ascend: Rows, Series, Keys,
// Analysis and List return verified rows or an error naming the run and
// the key, never a row under a damaged key.
// Payloads are little-endian binary built from unsigned varints (counts,
// lengths, dimensions), zig-zag varints (steps), length-prefixed strings and
// raw IEEE-754 bits, so NaN and ±Inf metric values and float32 tensor data
// round-trip bit for bit:
//
//	row      step, n, then n × (key string, float64 bits), keys ascending
//	tensors  n, then n × (name string, rank, rank × dim, prod(dims) × float32 bits)
//	blobs    n, then n × (key string, value bytes), keys ascending
//	nulls    n, then n × (key string, m, m × float64 bits), keys ascending
//	status   state, step, total, reason, updated (time.MarshalBinary), test accuracy float64 bits
//	         (record version 2: NaN when not measured; version 1 stored 0 for that, read as NaN)
//	ckpt info step, time, SHA-256 (32 bytes), has-weights byte, stored bytes
//
// Every kind is at version 1 except rows and the status, at version 2;
// readers accept every earlier version. Row version 1, written before rows
// held their step, is the payload without the leading step: such rows can
// be checked for key order only. Status version 1 stored 0 for a test
// accuracy not measured (read back as NaN); version 2 stores NaN.
//
// Info is stored as JSON inside its record so that it can be read with
// generic bbolt tools.
//
// # Boundaries
//
// results owns run.db and run.lock; it is the only package that imports
// bbolt. It must never import trainer, metrics or experiments: it stores
// values without knowing what they measure.
package results
