package results

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// lockRetries and lockRetryDelay let Lock ride out a concurrent Live,
// which holds a shared lock for the few microseconds of its probe.
const (
	lockRetries    = 3
	lockRetryDelay = 10 * time.Millisecond
)

// Lock takes the run's training lock; see the function Lock.
func (r *Run) Lock() (release func() error, err error) { return Lock(r.dir) }

// Lock takes the training lock of the run directory dir, which must exist:
// an exclusive flock on run.lock in it, created if needed. It returns
// ErrLocked if another process, or another Lock in this process, holds it.
// It needs no run.db, so a process can hold the lock before it creates the
// run: whoever creates a run holds its lock from the start, and no other
// process can take a run over between its creation and its first
// checkpoint. The lock lasts until release is called or the process
// exits, however it exits: the kernel drops it even on SIGKILL. release is
// safe to call more than once; if it is never called the lock lasts until
// the process exits. The descriptor is close-on-exec, so child processes
// do not inherit the lock.
func Lock(dir string) (release func() error, err error) {
	path := filepath.Join(dir, lockName)
	// A raw descriptor, not an *os.File, so that the garbage collector
	// cannot close it (and drop the lock) if release is discarded.
	fd, err := syscall.Open(path, syscall.O_RDWR|syscall.O_CREAT|syscall.O_CLOEXEC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("results: lock %s: %w", path, err)
	}
	for i := 0; ; i++ {
		err = syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EWOULDBLOCK) || i == lockRetries {
			break
		}
		time.Sleep(lockRetryDelay)
	}
	if err != nil {
		syscall.Close(fd)
		if errors.Is(err, syscall.EWOULDBLOCK) {
			err = ErrLocked
		}
		return nil, fmt.Errorf("results: lock %s: %w", path, err)
	}
	return sync.OnceValue(func() error {
		return errors.Join(syscall.Flock(fd, syscall.LOCK_UN), syscall.Close(fd))
	}), nil
}

// Live reports whether some process holds the run's training lock. It
// probes with a non-blocking shared flock that it releases at once, and
// creates nothing: a run without run.lock is not live. A run whose Status
// is Running and that is not live was interrupted.
func (r *Run) Live() (bool, error) {
	path := filepath.Join(r.dir, lockName)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("results: live %s: %w", path, err)
	}
	defer f.Close()
	switch err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); {
	case errors.Is(err, syscall.EWOULDBLOCK):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("results: live %s: %w", path, err)
	}
	return false, nil // closing f releases the probe
}
