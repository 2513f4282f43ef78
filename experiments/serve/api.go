package serve

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"branchspec/experiments"
	"branchspec/results"
)

// Limits on what a request may ask for.
const (
	maxMetrics   = 24  // metric parameters of one request
	maxParamLen  = 200 // characters of one parameter value
	maxScale     = 32  // pixels per kernel tap
	defaultScale = 8
)

// num is a float that marshals NaN and infinities as null.
type num float64

func (n num) MarshalJSON() ([]byte, error) {
	v := float64(n)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

// runJSON is one run of /api/runs.
type runJSON struct {
	ID     string `json:"id"`
	Dir    string `json:"dir"`
	Group  string `json:"group"`
	Name   string `json:"name"`
	Seed   uint64 `json:"seed"`
	Step   int    `json:"step"`
	Total  int    `json:"total"`
	State  string `json:"state"`  // results.State; "" when unreadable
	Status string `json:"status"` // as 'ls' says it (experiments.StatusWord)
	Live   bool   `json:"live"`
	// Busy: the last read found a commit in progress; the rest is as of
	// the read before.
	Busy    bool   `json:"busy"`
	Error   string `json:"error,omitempty"`
	TestAcc num    `json:"test_acc"` // null before the first evaluation
	Updated string `json:"updated,omitempty"`
	Rows    int    `json:"rows"`
	// Kept are the checkpoint steps that hold weights (kernel grids).
	Kept      []int  `json:"kept"`
	Order     []int  `json:"order"`
	AlignedBy string `json:"aligned_by"`
	Parent    string `json:"parent,omitempty"`
}

// runsJSON is the answer of /api/runs.
type runsJSON struct {
	// Version changes whenever anything listed changes.
	Version  uint64    `json:"version"`
	PollMS   int64     `json:"poll_ms"`
	Dirs     []string  `json:"dirs"`
	By       string    `json:"by"`
	Baseline string    `json:"baseline"`
	Runs     []runJSON `json:"runs"`
	Groups   []string  `json:"groups"`
	Seeds    []uint64  `json:"seeds"`
	// Metrics are the aligned keys any run logs; DefaultMetrics those of
	// experiments.ReportMetrics among them.
	Metrics        []string `json:"metrics"`
	DefaultMetrics []string `json:"default_metrics"`
	Errors         []string `json:"errors"`
}

// runs answers /api/runs?by=GROUPING: every run found, as 'ls' lists it,
// with its group, kept checkpoints and alignment.
func (s *Server) runs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	by, err := s.by(q)
	if err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	v := s.cat.current()
	out := runsJSON{Version: v.version, PollMS: s.o.Refresh.Milliseconds(), Dirs: s.o.Dirs, By: by,
		Baseline: s.baseline(q), Runs: []runJSON{}, Groups: []string{}, Seeds: []uint64{}, Metrics: []string{}, Errors: []string{}}
	keys := map[string]bool{}
	set := &experiments.RunSet{}
	for _, e := range v.runs {
		rj := runJSON{ID: e.id, Dir: e.dir, Live: e.live, Busy: e.busy, TestAcc: num(math.NaN()), Kept: []int{}}
		if e.err != nil {
			rj.Error, rj.Status = e.err.Error(), "unreadable"
		}
		if e.read {
			info, st := e.snap.Info, e.snap.Status
			rj.Group, rj.Name, rj.Seed = experiments.GroupOf(info, by), info.Name, info.Seed
			rj.Step, rj.Total, rj.State, rj.Status = st.Step, st.Total, string(st.State), experiments.StatusWord(e.summary())
			rj.TestAcc, rj.Rows, rj.Parent = num(st.TestAcc), len(e.snap.Rows), info.Parent
			if !st.Updated.IsZero() {
				rj.Updated = st.Updated.UTC().Format("2006-01-02T15:04:05Z")
			}
			for _, c := range e.snap.Checkpoints {
				if c.HasWeights {
					rj.Kept = append(rj.Kept, c.Step)
				}
			}
			rj.Order, rj.AlignedBy = e.loaded.Order, e.loaded.AlignedBy
			for _, k := range e.keys {
				keys[k] = true
			}
			if !slices.Contains(out.Seeds, info.Seed) {
				out.Seeds = append(out.Seeds, info.Seed)
			}
			set.Runs = append(set.Runs, regroup(e.loaded, by))
		}
		out.Runs = append(out.Runs, rj)
	}
	for _, err := range v.errs {
		out.Errors = append(out.Errors, err.Error())
	}
	slices.Sort(out.Seeds)
	out.Groups = append(out.Groups, set.Groups(out.Baseline)...)
	for k := range keys {
		out.Metrics = append(out.Metrics, k)
	}
	slices.Sort(out.Metrics)
	out.DefaultMetrics = experiments.MatchKeys(experiments.ReportMetrics(), out.Metrics)
	if out.DefaultMetrics == nil {
		out.DefaultMetrics = []string{}
	}
	writeJSON(w, r, out)
}

// regroup returns lr with its group by by (a copy; lr is shared).
func regroup(lr *experiments.LoadedRun, by string) *experiments.LoadedRun {
	c := *lr
	c.Group = experiments.GroupOf(lr.Info, by)
	return &c
}

// by returns the grouping a request asks for, or the server's.
func (s *Server) by(q url.Values) (string, error) {
	by := q.Get("by")
	if by == "" {
		return s.o.By, nil
	}
	return by, checkBy(by)
}

// baseline returns the baseline a request asks for, or the server's.
func (s *Server) baseline(q url.Values) string {
	if b := q.Get("baseline"); b != "" && len(b) <= maxParamLen {
		return b
	}
	if s.o.Compare.Baseline != "" {
		return s.o.Compare.Baseline
	}
	return "baseline"
}

// selection is what a curves or compare request selects.
type selection struct {
	by       string
	metrics  []string
	groups   []string // none: all
	seeds    []uint64 // none: all
	finished bool     // only finished runs, as 'compare' reads them
}

// parseSelection reads metric, by, group, seed and finished from q.
func (s *Server) parseSelection(q url.Values) (selection, error) {
	var sel selection
	var err error
	if sel.by, err = s.by(q); err != nil {
		return sel, err
	}
	if len(q["metric"]) > maxMetrics {
		return sel, fmt.Errorf("at most %d metrics, got %d", maxMetrics, len(q["metric"]))
	}
	for _, vs := range [][]string{q["metric"], q["group"], q["seed"]} {
		for _, v := range vs {
			if len(v) > maxParamLen {
				return sel, fmt.Errorf("parameter value of %d characters (at most %d)", len(v), maxParamLen)
			}
		}
	}
	sel.metrics, sel.groups = q["metric"], q["group"]
	for _, v := range q["seed"] {
		seed, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return sel, fmt.Errorf("seed %q is not a seed number", v)
		}
		sel.seeds = append(sel.seeds, seed)
	}
	switch f := q.Get("finished"); f {
	case "", "0", "false":
	case "1", "true":
		sel.finished = true
	default:
		return sel, fmt.Errorf("finished=%q: want 1 or 0", f)
	}
	return sel, nil
}

// runSet builds the runs of v that sel selects, grouped by sel.by: runs
// with rows, or with sel.finished only those 'compare' reads (finished,
// with rows); the others are in Skipped with the reason 'compare' gives.
// With filter, groups and seeds not selected are left out altogether.
// key identifies the included runs and the versions read.
func (sel selection) runSet(v catalogView, filter bool) (set *experiments.RunSet, key string) {
	set = &experiments.RunSet{}
	h := sha256.New()
	for _, e := range v.runs {
		if !e.read {
			reason := "busy: not read yet"
			if e.err != nil {
				reason = e.err.Error()
			}
			set.Skipped = append(set.Skipped, experiments.SkippedRun{Dir: e.dir, State: "unreadable", Reason: reason})
			continue
		}
		info, st := e.snap.Info, e.snap.Status
		group := experiments.GroupOf(info, sel.by)
		if filter && ((len(sel.seeds) > 0 && !slices.Contains(sel.seeds, info.Seed)) || (len(sel.groups) > 0 && !slices.Contains(sel.groups, group))) {
			continue
		}
		reason := experiments.SkipReason(e.summary(), len(e.snap.Rows))
		if reason != "" && (sel.finished || len(e.snap.Rows) == 0) {
			set.Skipped = append(set.Skipped, experiments.SkippedRun{Dir: e.dir, Group: group, State: string(st.State),
				Step: st.Step, Total: st.Total, Reason: reason})
			continue
		}
		set.Runs = append(set.Runs, regroup(e.loaded, sel.by))
		fmt.Fprintf(h, "%s\x00%d\x00%d\x00%d\x00", e.id, e.stamp.Inode, e.stamp.Size, e.stamp.ModTime)
	}
	return set, hex.EncodeToString(h.Sum(nil))
}

// metricsOf returns the selected metrics that some run of set logs, and
// those no run logs.
func metricsOf(set *experiments.RunSet, want []string) (have, missing []string) {
	keys := set.Keys()
	for _, m := range want {
		if slices.Contains(keys, m) {
			if !slices.Contains(have, m) {
				have = append(have, m)
			}
		} else {
			missing = append(missing, m)
		}
	}
	return have, missing
}

// curveJSON is one group's mean curve of one metric: points are
// [step, n, mean, lo, hi], lo and hi null where n < 2.
type curveJSON struct {
	Metric string   `json:"metric"`
	Group  string   `json:"group"`
	Runs   int      `json:"runs"`
	Points [][5]any `json:"points"`
}

// seriesJSON is one run's series of one metric: points are [step, value].
type seriesJSON struct {
	Metric string       `json:"metric"`
	Run    string       `json:"run"`
	Group  string       `json:"group"`
	Seed   uint64       `json:"seed"`
	State  string       `json:"state"`
	Points [][2]float64 `json:"points"`
}

// curvesJSON is the answer of /api/curves.
type curvesJSON struct {
	Level     float64      `json:"level"`
	Resamples int          `json:"resamples"`
	BootSeed  uint64       `json:"boot_seed"`
	By        string       `json:"by"`
	Metrics   []string     `json:"metrics"`
	Missing   []string     `json:"missing"`
	Groups    []string     `json:"groups"`
	Curves    []curveJSON  `json:"curves"`
	Series    []seriesJSON `json:"series"`
}

// curves answers /api/curves?metric=M&...&by=&group=&seed=&finished=: per
// selected group and metric the mean curve with its bootstrap band
// (experiments.CompareCurves, as 'compare' computes it), and every
// selected run's series, branch-aligned. Runs still training are in
// unless finished=1.
func (s *Server) curves(w http.ResponseWriter, r *http.Request) {
	sel, err := s.parseSelection(r.URL.Query())
	if err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	set, key := sel.runSet(s.cat.current(), true)
	metrics, missing := metricsOf(set, sel.metrics)
	key = fmt.Sprintf("curves\x00%s\x00%q\x00%q\x00%s", sel.by, metrics, missing, key)
	v, err := s.memo.get(key, func() (any, error) {
		opts := s.o.Compare
		opts.Metrics = metrics
		return curvesAnswer(experiments.CompareCurves(set, opts), set, sel.by, missing), nil
	})
	if err != nil {
		httpError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, r, v)
}

func curvesAnswer(c *experiments.Comparison, set *experiments.RunSet, by string, missing []string) curvesJSON {
	out := curvesJSON{Level: c.Options.Level, Resamples: c.Options.Resamples, BootSeed: c.Options.BootSeed, By: by,
		Metrics: orEmpty(c.Metrics), Missing: orEmpty(missing), Groups: orEmpty(c.Groups), Curves: []curveJSON{}, Series: []seriesJSON{}}
	runsIn := map[string]int{}
	byDir := map[string]*experiments.LoadedRun{}
	for _, lr := range set.Runs {
		runsIn[lr.Group]++
		byDir[lr.Dir] = lr
	}
	idx := map[[2]string]int{}
	for _, p := range c.Curves {
		k := [2]string{p.Metric, p.Group}
		i, ok := idx[k]
		if !ok {
			i = len(out.Curves)
			idx[k] = i
			out.Curves = append(out.Curves, curveJSON{Metric: p.Metric, Group: p.Group, Runs: runsIn[p.Group]})
		}
		out.Curves[i].Points = append(out.Curves[i].Points, [5]any{p.Step, p.N, num(p.Mean), num(p.Lo), num(p.Hi)})
	}
	sidx := map[[2]string]int{}
	for _, v := range c.Values {
		k := [2]string{v.Metric, v.Run}
		i, ok := sidx[k]
		if !ok {
			i = len(out.Series)
			sidx[k] = i
			lr := byDir[v.Run]
			out.Series = append(out.Series, seriesJSON{Metric: v.Metric, Run: v.Run, Group: v.Group, Seed: v.Seed, State: string(lr.Status.State)})
		}
		out.Series[i].Points = append(out.Series[i].Points, [2]float64{float64(v.Step), v.Value})
	}
	return out
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// tableJSON is one of the comparison's tables.
type tableJSON struct {
	Columns []string `json:"columns"`
	Rows    [][]any  `json:"rows"`
}

// compareJSON is the answer of /api/compare.
type compareJSON struct {
	Command      string               `json:"command"`
	Baseline     string               `json:"baseline"`
	Level        float64              `json:"level"`
	Resamples    int                  `json:"resamples"`
	Permutations int                  `json:"permutations"`
	BootSeed     uint64               `json:"boot_seed"`
	Runs         int                  `json:"runs"`
	Groups       []string             `json:"groups"`
	Metrics      []string             `json:"metrics"`
	Missing      []string             `json:"missing"`
	Notes        []string             `json:"notes"`
	Tables       map[string]tableJSON `json:"tables"`
	TableOrder   []string             `json:"table_order"`
}

// compare answers /api/compare?metric=M&...&by=&baseline=: the
// comparison 'compare' prints for the finished runs below the
// directories (experiments.Compare; group and seed choices do not
// apply), as its tables other than the tidy values and curves, whatever
// columns they have.
func (s *Server) compare(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sel, err := s.parseSelection(q)
	if err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	sel.finished = true
	baseline := s.baseline(q)
	set, key := sel.runSet(s.cat.current(), false)
	metrics, missing := metricsOf(set, sel.metrics)
	if len(sel.metrics) == 0 {
		metrics = experiments.MatchKeys(experiments.DefaultCompareMetrics(), set.Keys())
	}
	key = fmt.Sprintf("compare\x00%s\x00%s\x00%q\x00%s", sel.by, baseline, metrics, key)
	v, err := s.memo.get(key, func() (any, error) {
		if len(set.Runs) == 0 {
			return (*experiments.Comparison)(nil), nil
		}
		opts := s.o.Compare
		opts.Metrics, opts.Baseline = metrics, baseline
		return experiments.Compare(&experiments.RunSet{Runs: set.Runs}, opts)
	})
	if err != nil {
		httpError(w, http.StatusInternalServerError, err.Error())
		return
	}
	c, _ := v.(*experiments.Comparison)
	writeJSON(w, r, s.compareAnswer(c, set.Skipped, sel.by, baseline, metrics, missing))
}

func (s *Server) compareAnswer(c *experiments.Comparison, skipped []experiments.SkippedRun, by, baseline string, metrics, missing []string) compareJSON {
	out := compareJSON{Command: s.command(by, baseline, metrics), Baseline: baseline, Groups: []string{}, Metrics: orEmpty(metrics),
		Missing: orEmpty(missing), Notes: []string{}, Tables: map[string]tableJSON{}}
	if c == nil {
		out.Notes = append(out.Notes, "no finished run yet: contrasts and the feedback signature appear when runs finish")
		c = &experiments.Comparison{Options: s.o.Compare}
	} else {
		cc := *c // shared by the memo: only the copy's Skipped changes
		c = &cc
		out.Runs, out.Groups, out.Notes = len(c.Runs), c.Groups, append(out.Notes, c.Notes...)
		out.Level, out.Resamples, out.Permutations, out.BootSeed = c.Options.Level, c.Options.Resamples, c.Options.Permutations, c.Options.BootSeed
	}
	c.Skipped = skipped
	for _, t := range experiments.CompareTables() {
		if t == "values" || t == "curves" {
			continue
		}
		cols, rows := c.Table(t)
		if rows == nil {
			rows = [][]any{}
		}
		out.Tables[t] = tableJSON{Columns: cols, Rows: rows}
		out.TableOrder = append(out.TableOrder, t)
	}
	return out
}

// command is the 'compare' command line that prints the same numbers.
func (s *Server) command(by, baseline string, metrics []string) string {
	var b strings.Builder
	b.WriteString("branchspec compare")
	for _, d := range s.o.Dirs {
		b.WriteString(" " + shellQuote(d))
	}
	if by != experiments.GroupByRegime {
		b.WriteString(" --by " + by)
	}
	if baseline != "baseline" {
		b.WriteString(" --baseline " + shellQuote(baseline))
	}
	o := s.o.Compare
	if o.BootSeed != 1 {
		fmt.Fprintf(&b, " --boot-seed %d", o.BootSeed)
	}
	if o.Resamples > 0 && o.Resamples != 2000 {
		fmt.Fprintf(&b, " --resamples %d", o.Resamples)
	}
	if o.Permutations > 0 && o.Permutations != 10000 {
		fmt.Fprintf(&b, " --permutations %d", o.Permutations)
	}
	for _, m := range metrics {
		b.WriteString(" --metric " + shellQuote(m))
	}
	return b.String()
}

// shellQuote quotes s for a POSIX shell when it holds anything but
// letters, digits and -_./:=@+,.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// kernels answers /api/kernels?run=ID&step=N&scale=S with the PNG of the
// run's first-layer kernels at a checkpoint that holds weights (default:
// the latest, also when it is newer than the run list), branches top to bottom in aligned order
// (experiments.WriteKernelGrid). An unknown run or a step without
// weights is 404; a run in the middle of a commit is 503 with
// Retry-After.
func (s *Server) kernels(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	e, ok := s.cat.current().find(q.Get("run"))
	if !ok || !e.read {
		httpError(w, http.StatusNotFound, fmt.Sprintf("no run %q below the served directories", q.Get("run")))
		return
	}
	var kept []int
	for _, c := range e.snap.Checkpoints {
		if c.HasWeights {
			kept = append(kept, c.Step)
		}
	}
	if len(kept) == 0 {
		httpError(w, http.StatusNotFound, fmt.Sprintf("run %s has no checkpoint with weights", e.id))
		return
	}
	step := -1 // the latest, which retention never prunes
	if v := q.Get("step"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			httpError(w, http.StatusBadRequest, fmt.Sprintf("step %q is not a number", v))
			return
		}
		if !slices.Contains(kept, n) {
			httpError(w, http.StatusNotFound, fmt.Sprintf("run %s has no weights at step %d (kept: %v)", e.id, n, kept))
			return
		}
		step = n
	}
	scale := defaultScale
	if v := q.Get("scale"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxScale {
			httpError(w, http.StatusBadRequest, fmt.Sprintf("scale %q: want 1 to %d", v, maxScale))
			return
		}
		scale = n
	}
	key := fmt.Sprintf("kernels\x00%s\x00%d\x00%d\x00%d\x00%v", e.id, e.stamp.Inode, step, scale, e.loaded.Order)
	if step < 0 {
		key += fmt.Sprintf("\x00%+v", e.stamp) // the latest changes with every commit
	}
	v, err := s.memo.get(key, func() (any, error) {
		var buf bytes.Buffer
		_, _, err := experiments.WriteKernelGrid(&buf, e.dir, experiments.KernelGridOptions{Step: step, Scale: scale, Order: e.loaded.Order, Timeout: s.o.ReadTimeout})
		return buf.Bytes(), err
	})
	switch {
	case errors.Is(err, results.ErrTimeout):
		w.Header().Set("Retry-After", "1")
		httpError(w, http.StatusServiceUnavailable, "busy: the run is committing a checkpoint; try again")
		return
	case errors.Is(err, results.ErrPruned) || errors.Is(err, results.ErrNoCheckpoint):
		httpError(w, http.StatusNotFound, err.Error())
		return
	case err != nil:
		httpError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "image/png")
	writeTagged(w, r, v.([]byte))
}
