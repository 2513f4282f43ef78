//go:build linux

package ops

import "syscall"

// osYield gives the CPU to another runnable thread of any process, if
// there is one (sched_yield(2)); the calling thread stays runnable.
func osYield() { syscall.RawSyscall(syscall.SYS_SCHED_YIELD, 0, 0, 0) }
