package results

import (
	"errors"
	"fmt"
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

// Lock takes the training lock of the run directory dir, which must exist.
// It returns ErrLocked if another process, or another Lock in this process,
// holds it. It needs no run.db, so a process can hold the lock before it
// creates the run: whoever creates a run holds its lock from the start, and
// no other process can take a run over between its creation and its first
// checkpoint. The lock lasts until release is called or the process exits,
// however it exits: the kernel drops it even on SIGKILL. release is safe to
// call more than once; if it is never called the lock lasts until the
// process exits. The descriptors are close-on-exec, so child processes do
// not inherit the lock.
//
// The lock is two exclusive flocks, taken in this order:
//
//  1. on the directory itself, which no one can delete while it holds
//     run.db: deleting run.lock does not let a second trainer in. Where the
//     file system refuses flock on a directory (NFS clients emulate flock
//     with byte-range locks, which need a file open for writing), this
//     lock is skipped and the next one alone holds;
//  2. on run.lock, created if needed but never through a symbolic link
//     (O_NOFOLLOW: a dangling run.lock link is an error, and its target is
//     not created), and checked after locking to be the file run.lock names
//     still, so that a run.lock deleted or replaced in between is not
//     trusted. Programs that predate the directory lock take this one.
//
// On shared storage flock is only as good as the file system makes it:
// Lustre mounted without -o flock, and NFS before version 4 without a lock
// manager, may keep locks local to one machine, so two machines could
// train one run. Slurm tasks of one sweep never share a run directory;
// give each task its own run.
func Lock(dir string) (release func() error, err error) {
	dfd, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	ffd, err := lockFile(filepath.Join(dir, lockName))
	if err != nil {
		if dfd >= 0 {
			syscall.Close(dfd)
		}
		return nil, err
	}
	return sync.OnceValue(func() error {
		err := errors.Join(syscall.Flock(ffd, syscall.LOCK_UN), syscall.Close(ffd))
		if dfd >= 0 {
			err = errors.Join(err, syscall.Flock(dfd, syscall.LOCK_UN), syscall.Close(dfd))
		}
		return err
	}), nil
}

// flockRetry takes an exclusive flock on fd, retrying briefly while a
// Live probe holds its shared one.
func flockRetry(fd int) error {
	for i := 0; ; i++ {
		err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EWOULDBLOCK) || i == lockRetries {
			return err
		}
		time.Sleep(lockRetryDelay)
	}
}

// dirLockUnsupported reports whether err says the file system cannot
// flock a directory (rather than that someone holds it).
func dirLockUnsupported(err error) bool {
	return errors.Is(err, syscall.EBADF) || errors.Is(err, syscall.ENOLCK) ||
		errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.EOPNOTSUPP)
}

// lockDir takes the exclusive flock of the directory dir and returns its
// descriptor, or -1 when the file system does not lock directories. A
// raw descriptor, not an *os.File, so that the garbage collector cannot
// close it (and drop the lock) if release is discarded.
func lockDir(dir string) (int, error) {
	fd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("results: lock %s: %w", dir, err)
	}
	err = flockRetry(fd)
	switch {
	case err == nil:
		return fd, nil
	case errors.Is(err, syscall.EWOULDBLOCK):
		err = ErrLocked
	case dirLockUnsupported(err):
		syscall.Close(fd)
		return -1, nil
	}
	syscall.Close(fd)
	return -1, fmt.Errorf("results: lock %s: %w", dir, err)
}

// lockFile takes the exclusive flock of the lock file at path, created if
// needed, never through a symbolic link, and retried when the file at
// path is no longer the one locked (deleted or replaced meanwhile).
func lockFile(path string) (int, error) {
	for attempt := 0; ; attempt++ {
		fd, err := syscall.Open(path, syscall.O_RDWR|syscall.O_CREAT|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o644)
		if errors.Is(err, syscall.ELOOP) {
			return -1, fmt.Errorf("results: lock %s: is a symbolic link; a run's lock file is a plain file (remove the link)", path)
		}
		if err != nil {
			return -1, fmt.Errorf("results: lock %s: %w", path, err)
		}
		if err := flockRetry(fd); err != nil {
			syscall.Close(fd)
			if errors.Is(err, syscall.EWOULDBLOCK) {
				err = ErrLocked
			}
			return -1, fmt.Errorf("results: lock %s: %w", path, err)
		}
		same, err := sameFile(fd, path)
		if err == nil && same {
			return fd, nil
		}
		syscall.Close(fd)
		if attempt == lockRetries {
			if err == nil {
				err = errors.New("it keeps being replaced")
			}
			return -1, fmt.Errorf("results: lock %s: %w", path, err)
		}
	}
}

// sameFile reports whether the open descriptor fd is the file path names
// now (without following a symbolic link).
func sameFile(fd int, path string) (bool, error) {
	var a, b syscall.Stat_t
	if err := syscall.Fstat(fd, &a); err != nil {
		return false, err
	}
	if err := syscall.Lstat(path, &b); err != nil {
		if errors.Is(err, syscall.ENOENT) {
			return false, nil
		}
		return false, err
	}
	return a.Dev == b.Dev && a.Ino == b.Ino, nil
}

// Live reports whether some process holds the run's training lock. It
// probes the directory's flock and run.lock's with non-blocking shared
// flocks that it releases at once, and creates nothing: a run nobody
// locked is not live, whether or not run.lock exists. A run whose Status
// is Running and that is not live was interrupted.
func (r *Run) Live() (bool, error) {
	if fd, err := syscall.Open(r.dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0); err == nil {
		err := syscall.Flock(fd, syscall.LOCK_SH|syscall.LOCK_NB)
		syscall.Close(fd) // releases the probe
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return true, nil
		}
	}
	path := filepath.Join(r.dir, lockName)
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ELOOP) {
		return false, nil // no lock file, or a link no Lock would take
	}
	if err != nil {
		return false, fmt.Errorf("results: live %s: %w", path, err)
	}
	defer syscall.Close(fd)
	switch err := syscall.Flock(fd, syscall.LOCK_SH|syscall.LOCK_NB); {
	case errors.Is(err, syscall.EWOULDBLOCK):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("results: live %s: %w", path, err)
	}
	return false, nil
}
