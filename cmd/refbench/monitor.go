package main

import (
	"strings"

	"branchspec/cmd/refbench/internal/host"
)

// monitor snapshots the machine around each timed run and judges with
// host.Judge whether the run had the machine to itself. It follows our own
// part of the 1-minute load average from snapshot to snapshot (the runs,
// the peak measurement and the gaps between them), so that the load our
// own earlier runs left behind is not taken for other work.
type monitor struct {
	s     interface{ Take() (host.Snapshot, error) } // a host.Sampler
	lim   host.Limits
	allow bool // -allow-busy: record why the machine was busy and go on

	started bool
	last    host.Snapshot
	own     float64 // our part of the 1-minute load average at last

	// busy says where and why the machine was busy, in order.
	busy []string
}

// busyError is returned when the machine was busy and -allow-busy is not
// set: no ratio may be printed.
type busyError struct{ reasons []string }

func (e *busyError) Error() string {
	return "the machine was busy: " + strings.Join(e.reasons, "; ")
}

// take reads a snapshot and brings our part of the load average up to it.
func (m *monitor) take() (host.Snapshot, error) {
	s, err := m.s.Take()
	if err != nil {
		return host.Snapshot{}, err
	}
	if m.started {
		m.own = host.OwnLoad(m.own, m.last, s)
	}
	m.started, m.last = true, s
	return s, nil
}

// seed takes the first snapshot, from which our part of the load average
// is followed (0 at the start: the load before is other work's).
func (m *monitor) seed() error {
	if _, err := m.take(); err != nil {
		return m.unverified("at the start", err)
	}
	return nil
}

// check takes a snapshot at where and judges its load average alone.
func (m *monitor) check(where string) error {
	s, err := m.take()
	if err != nil {
		return m.unverified(where, err)
	}
	if r := host.CheckLoad(s, m.own, m.lim); r != "" {
		return m.judged(where, []string{r})
	}
	return nil
}

// around runs f between two snapshots and judges the machine over it. A
// failure of f is returned as it is, with no verdict; else the error is a
// *busyError when the machine was busy (and -allow-busy is not set).
func (m *monitor) around(where string, f func() error) (host.Verdict, error) {
	before, err := m.take()
	if err != nil {
		return host.Verdict{}, m.unverified(where, err)
	}
	own := m.own
	if err := f(); err != nil {
		return host.Verdict{}, err
	}
	after, err := m.take()
	if err != nil {
		return host.Verdict{}, m.unverified(where, err)
	}
	v := host.Judge(before, after, own, m.lim)
	return v, m.judged(where, v.Reasons)
}

// judged records reasons the machine was busy at where.
func (m *monitor) judged(where string, reasons []string) error {
	for _, r := range reasons {
		m.busy = append(m.busy, where+": "+r)
	}
	if len(reasons) == 0 || m.allow {
		return nil
	}
	return &busyError{reasons: m.busy}
}

// unverified records that the machine could not be judged at where: a
// machine not known to be quiet counts as busy.
func (m *monitor) unverified(where string, err error) error {
	return m.judged(where, []string{"cannot tell whether the machine is quiet: " + err.Error()})
}
