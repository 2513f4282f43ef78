package serve

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"branchspec/experiments"
	"branchspec/results"
)

// root is one directory given to the server and the label its runs'
// identifiers start with.
type root struct {
	dir, label string
}

// newRoots checks that each of dirs is a directory and labels it with its
// base name, made unique with a suffix ("exp", "exp~2").
func newRoots(dirs []string) ([]root, error) {
	var roots []root
	used := map[string]bool{}
	for _, d := range dirs {
		abs, err := filepath.Abs(d)
		if err != nil {
			return nil, fmt.Errorf("serve: directory %s: %w", d, err)
		}
		label := filepath.Base(abs)
		if label == string(filepath.Separator) || label == "." {
			label = "root"
		}
		for i, base := 2, label; used[label]; i++ {
			label = base + "~" + strconv.Itoa(i)
		}
		used[label] = true
		roots = append(roots, root{dir: d, label: label})
	}
	return roots, nil
}

// id is the identifier of the run in dir, found below the root: the
// root's label and the run's path relative to the root, with slashes.
func (rt root) id(dir string) string {
	rel, err := filepath.Rel(rt.dir, dir)
	if err != nil || rel == "." {
		return rt.label
	}
	return rt.label + "/" + filepath.ToSlash(rel)
}

// entry is the server's copy of one run, as of its last read.
type entry struct {
	id, dir string
	run     *results.Run  // nil until the store was opened once
	stamp   results.Stamp // of run.db when snap was read
	snap    results.Snapshot
	// loaded is the run aligned and grouped by regime
	// (experiments.NewLoadedRun), keys its aligned metric keys; both are
	// rebuilt only when the run is read again.
	loaded *experiments.LoadedRun
	keys   []string
	live   bool
	// busy is set when the last read found the store locked by a commit:
	// snap is then from the read before, if any.
	busy bool
	// err is why the last read failed for another reason; snap is then
	// empty.
	err error
	// read is set while snap holds a successful read.
	read bool
}

// summary is the entry as results.List would summarize it.
func (e *entry) summary() results.Summary {
	return results.Summary{Dir: e.dir, Info: e.snap.Info, Status: e.snap.Status, Live: e.live, Err: e.err}
}

// catalog finds the runs below the roots and keeps a copy of each,
// re-read only when its stamp changes, at most once per interval.
type catalog struct {
	roots []root
	opts  *results.Options
	every time.Duration
	now   func() time.Time

	mu      sync.Mutex
	scanned time.Time
	entries map[string]*entry // by id
	order   []string          // ids in discovery order
	rootErr []error
	version uint64
}

// catalogView is the catalog at one refresh; its entries are copies that
// later refreshes do not change.
type catalogView struct {
	version uint64
	at      time.Time
	runs    []entry
	errs    []error // roots that could not be walked
}

func newCatalog(roots []root, readTimeout, every time.Duration, now func() time.Time) *catalog {
	return &catalog{roots: roots, opts: &results.Options{Timeout: readTimeout}, every: every, now: now, entries: map[string]*entry{}}
}

// current refreshes the catalog if the last refresh is older than the
// interval and returns a view of it.
func (c *catalog) current() catalogView {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := c.now(); c.scanned.IsZero() || now.Sub(c.scanned) >= c.every {
		c.scan()
		c.scanned = now
	}
	v := catalogView{version: c.version, at: c.scanned, errs: slices.Clone(c.rootErr)}
	for _, id := range c.order {
		v.runs = append(v.runs, *c.entries[id])
	}
	return v
}

// scan finds the runs below every root (a run below two roots is listed
// under the first), refreshes each, and bumps the version when anything
// shown changed.
func (c *catalog) scan() {
	changed := false
	seen, listed := map[string]bool{}, map[string]bool{}
	var order []string
	var rootErr []error
	for _, rt := range c.roots {
		dirs, err := results.Find(rt.dir)
		if err != nil {
			rootErr = append(rootErr, err)
			continue
		}
		for _, d := range dirs {
			abs, err := filepath.Abs(d)
			if err != nil || seen[abs] {
				continue
			}
			seen[abs] = true
			id := rt.id(d)
			e := c.entries[id]
			if e == nil {
				e = &entry{id: id, dir: d}
				c.entries[id] = e
				changed = true
			}
			if c.refresh(e) {
				changed = true
			}
			order = append(order, id)
			listed[id] = true
		}
	}
	for id := range c.entries {
		if !listed[id] {
			delete(c.entries, id)
			changed = true
		}
	}
	if !slices.Equal(order, c.order) || len(rootErr) != len(c.rootErr) {
		changed = true
	}
	c.order, c.rootErr = order, rootErr
	if changed {
		c.version++
	}
}

// refresh re-reads e if its store changed since the last read, or that
// read did not succeed, and updates whether it is live. It reports
// whether anything shown changed. It never waits longer than the read
// timeout for a lock.
func (c *catalog) refresh(e *entry) (changed bool) {
	before := struct {
		live, busy, read bool
		err              error
		stamp            results.Stamp
	}{e.live, e.busy, e.read, e.err, e.stamp}
	defer func() {
		changed = e.live != before.live || e.busy != before.busy || e.read != before.read ||
			e.stamp != before.stamp || !sameError(e.err, before.err)
	}()
	st, err := results.StampOf(e.dir)
	if err != nil {
		e.fail(err)
		return
	}
	if e.run != nil {
		if live, err := e.run.Live(); err == nil {
			e.live = live
		}
	}
	if e.read && !e.busy && st == e.stamp {
		return
	}
	if e.run == nil {
		r, err := results.Open(e.dir, c.opts)
		if err != nil {
			e.fail(err)
			return
		}
		e.run = r
		e.live, _ = r.Live()
	}
	s, err := e.run.Snapshot()
	if err != nil {
		e.fail(err)
		return
	}
	e.snap, e.stamp, e.busy, e.err, e.read = s, st, false, nil, true
	e.loaded = experiments.NewLoadedRun(e.summary(), s.Rows, experiments.GroupByRegime)
	e.keys = metricKeys(e.loaded.Rows)
	return
}

// fail records a failed read: a lock timeout marks the run busy and keeps
// the last read; any other error replaces it.
func (e *entry) fail(err error) {
	if errors.Is(err, results.ErrTimeout) {
		e.busy = true
		return
	}
	e.busy, e.err, e.read = false, err, false
	e.snap, e.loaded, e.keys = results.Snapshot{}, nil, nil
}

func sameError(a, b error) bool {
	return (a == nil) == (b == nil) && (a == nil || a.Error() == b.Error())
}

// metricKeys returns the keys of rows, sorted.
func metricKeys(rows []results.Row) []string {
	set := map[string]bool{}
	for _, r := range rows {
		for k := range r.Values {
			set[k] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// find returns the run with identifier id in the view.
func (v catalogView) find(id string) (entry, bool) {
	for _, e := range v.runs {
		if e.id == id {
			return e, true
		}
	}
	return entry{}, false
}
