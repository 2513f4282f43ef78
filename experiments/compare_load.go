package experiments

import (
	"cmp"
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"branchspec/metrics"
	"branchspec/results"
)

// How LoadRuns groups runs: by the regime label of a sweep (falling back
// to the config name, which a sweep sets to the regime), by the config
// name, or by the experiment label (falling back to the config name).
const (
	GroupByRegime     = "regime"
	GroupByName       = "name"
	GroupByExperiment = "experiment"
)

// LoadedRun is one finished run read for a comparison. Its per-branch
// metric keys are relabelled into aligned slots (see AlignBranches).
type LoadedRun struct {
	Dir    string
	Group  string
	Info   results.Info
	Status results.Status
	// Rows are the training-time rows, ascending by step, with aligned keys.
	Rows []results.Row
	// Order[s] is the original branch index in aligned slot s; nil when
	// the run logs no per-branch chroma or CSI to align by.
	Order []int
	// AlignedBy is the metric the branches were ordered by ("dchroma.bB",
	// "chroma.bB" or "csi.bB"), or "" when they keep their original
	// numbering.
	AlignedBy string
	// Branches says which branch turned chromatic, against the bias and
	// the fork the run's config and lineage name (see BranchReading).
	Branches BranchReading
}

// Swapped reports whether alignment renumbered the run's branches.
func (r *LoadedRun) Swapped() bool {
	for s, b := range r.Order {
		if s != b {
			return true
		}
	}
	return false
}

// SkippedRun is a run left out of a comparison, and why.
type SkippedRun struct {
	Dir    string
	Group  string // "" when the run could not be read
	State  string // the run's state, or "unreadable"
	Step   int    // step reached
	Total  int    // steps configured
	Reason string
}

// RunSet is the runs found under some directories: those that finished,
// aligned and grouped, and those left out.
type RunSet struct {
	Runs    []*LoadedRun
	Skipped []SkippedRun
}

// LoadRuns finds every run below each of dirs (a run directory or any
// directory above runs; see results.List), reads the finished ones,
// aligns their branches and groups them by (GroupByRegime, GroupByName or
// GroupByExperiment; "" means GroupByRegime). A run found twice is read
// once. Runs that are not done (failed, stopped, interrupted, still
// training) or cannot be read are returned in Skipped with the reason;
// they never make LoadRuns fail. It returns an error for an unknown
// grouping, a directory that cannot be walked, and groups that are not
// repeats of one experiment (see checkGroups): by regime or name, runs of
// different configs under one label; under any grouping, one config and
// seed twice.
func LoadRuns(dirs []string, by string) (*RunSet, error) {
	if by == "" {
		by = GroupByRegime
	}
	if by != GroupByRegime && by != GroupByName && by != GroupByExperiment {
		return nil, fmt.Errorf("load runs: unknown grouping %q (want %s, %s or %s)", by, GroupByRegime, GroupByName, GroupByExperiment)
	}
	set := &RunSet{}
	seen := map[string]bool{}
	for _, d := range dirs {
		sums, err := results.List(d)
		if err != nil {
			return nil, fmt.Errorf("load runs (%s): %w", d, err)
		}
		for _, s := range sums {
			key, err := filepath.Abs(s.Dir)
			if err != nil {
				key = filepath.Clean(s.Dir)
			}
			if seen[key] {
				continue
			}
			seen[key] = true
			set.add(s, by)
		}
	}
	if err := set.checkGroups(by); err != nil {
		return nil, err
	}
	return set, nil
}

// checkGroups refuses, as ErrInvalid, a grouping that would pool runs that
// are not repeats of one experiment: by regime or by name, a group's runs
// must share their config but for name and seed (ConfigOverrides); under
// any grouping, a group must not hold one config and seed twice (a run
// copied, or found under two names), which would count it twice.
// (GroupByExperiment pools its regimes' configs on purpose.)
func (set *RunSet) checkGroups(by string) error {
	type config struct {
		text []byte
		runs []*LoadedRun
	}
	groups := map[string][]*config{}
	var order []string
	for _, r := range set.Runs {
		cs, ok := groups[r.Group]
		if !ok {
			order = append(order, r.Group)
		}
		var c *config
		for _, x := range cs {
			if len(ConfigOverrides(x.text, r.Info.ConfigText)) == 0 {
				c = x
				break
			}
		}
		if c == nil {
			c = &config{text: r.Info.ConfigText}
			groups[r.Group] = append(cs, c)
		}
		for _, o := range c.runs {
			if o.Info.Seed == r.Info.Seed {
				return invalidf("group %s holds seed %d twice with the same config: %s and %s (one run copied, or found twice?); leave one out",
					r.Group, r.Info.Seed, o.Dir, r.Dir)
			}
		}
		c.runs = append(c.runs, r)
	}
	if by == GroupByExperiment {
		return nil
	}
	for _, g := range order {
		cs := groups[g]
		if len(cs) < 2 {
			continue
		}
		parts := make([]string, len(cs))
		for i, c := range cs {
			parts[i] = fmt.Sprintf("%d run(s) like %s", len(c.runs), c.runs[0].Dir)
			if i > 0 {
				parts[i] += " differ from the first in " + clipList(ConfigOverrides(cs[0].text, c.text), 4)
			}
		}
		return invalidf("group %s pools runs of %d configs: %s; compare them apart (a DIR each) or give their regimes different names",
			g, len(cs), strings.Join(parts, "; "))
	}
	return nil
}

// add reads one listed run into the set, or records why it is skipped.
func (set *RunSet) add(s results.Summary, by string) {
	if s.Err != nil {
		set.Skipped = append(set.Skipped, SkippedRun{Dir: s.Dir, State: "unreadable", Reason: s.Err.Error()})
		return
	}
	group := GroupOf(s.Info, by)
	skip := func(reason string) {
		set.Skipped = append(set.Skipped, SkippedRun{Dir: s.Dir, Group: group, State: string(s.Status.State),
			Step: s.Status.Step, Total: s.Status.Total, Reason: reason})
	}
	if reason := notDone(s); reason != "" {
		skip(reason)
		return
	}
	run, err := results.Open(s.Dir, nil)
	var rows []results.Row
	if err == nil {
		rows, err = run.Rows()
	}
	if err != nil {
		skip(err.Error())
		return
	}
	if len(rows) == 0 {
		skip("no metric rows")
		return
	}
	set.Runs = append(set.Runs, NewLoadedRun(s, rows, by))
}

// notDone says why a listed run is not finished, or "" if it is.
func notDone(s results.Summary) string {
	st := s.Status
	switch {
	case st.State == results.Done:
		return ""
	case st.State == results.Failed:
		return "failed: " + st.Reason
	case st.State == results.Running && s.Live:
		return "still training"
	case st.State == results.Running:
		return "interrupted (resume with: branchspec resume " + s.Dir + ")"
	case st.Reason != "":
		return string(st.State) + ": " + st.Reason
	}
	return string(st.State)
}

// GroupOf is the group label of a run: by GroupByRegime,
// Extra["regime"] or else the config name; by GroupByExperiment,
// Extra["experiment"] or else the config name; by GroupByName, the
// config name.
func GroupOf(info results.Info, by string) string {
	label := ""
	switch by {
	case GroupByRegime:
		label = info.Extra["regime"]
	case GroupByExperiment:
		label = info.Extra["experiment"]
	}
	if label == "" {
		label = info.Name
	}
	return label
}

// Groups returns the group labels of the loaded runs, sorted, with
// baseline first when present.
func (set *RunSet) Groups(baseline string) []string {
	var gs []string
	for _, r := range set.Runs {
		if !slices.Contains(gs, r.Group) {
			gs = append(gs, r.Group)
		}
	}
	slices.SortFunc(gs, func(a, b string) int {
		switch {
		case a == b:
			return 0
		case a == baseline:
			return -1
		case b == baseline:
			return 1
		}
		return cmp.Compare(a, b)
	})
	return gs
}

// Keys returns every metric key logged by any loaded run (aligned), sorted.
func (set *RunSet) Keys() []string {
	seen := map[string]bool{}
	for _, r := range set.Runs {
		for _, row := range r.Rows {
			for k := range row.Values {
				seen[k] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// branchKeyRE finds the branch index in a per-branch key: ".bB" at the
// end (chroma.b1) or before a dot (lesion.b1.c3).
var branchKeyRE = regexp.MustCompile(`\.b([0-9]+)(\.|$)`)

// AlignBranches relabels the per-branch metric keys of a run's rows into
// aligned slots. Which branch becomes the colour branch is a coin flip
// per seed, so branch numbers are not comparable across seeds; slots are.
//
// The branches are ordered by the mean chroma of what training added to
// their first layer (dchroma.bB) in the latest row that logs it,
// descending: the kernels' chroma itself is mostly their random start. A
// run that logs no dchroma (made before revision 2) is ordered by its
// kernel chroma (chroma.bB), and one that logs no chroma (a shared stem,
// grayscale input) by its colour selectivity csi.bB. Ties and NaN scores keep the original order (NaN last). Slot
// 0 is thus the most chromatic branch, slot 1 the next, and every key
// with ".bB" at its end or before a dot (chroma.b1, lesion.b1.c3,
// family.chroma.colour.b1.log10p, grad.share.b1) becomes ".aS" with S the
// slot of branch B (chroma.a0, lesion.a0.c3, ...). Keys without a branch are
// unchanged. Without chroma or CSI every branch keeps its number
// (bB -> aB), order is nil and by is "".
//
// The input rows are not modified.
func AlignBranches(rows []results.Row) (aligned []results.Row, order []int, by string) {
	for _, key := range []string{"dchroma", "chroma", "csi"} {
		if scores := branchScores(rows, key); len(scores) > 0 {
			// One score per branch: each branch's mean is its score.
			branch := make([]int, len(scores))
			for b := range branch {
				branch[b] = b
			}
			order = metrics.AlignBranches(scores, branch, len(scores))
			by = key + ".bB"
			break
		}
	}
	slot := func(b int) int { return b }
	if order != nil {
		slotOf := make(map[int]int, len(order))
		for s, b := range order {
			slotOf[b] = s
		}
		slot = func(b int) int {
			if s, ok := slotOf[b]; ok {
				return s
			}
			return b
		}
	}
	aligned = make([]results.Row, len(rows))
	for i, row := range rows {
		vals := make(map[string]float64, len(row.Values))
		for k, v := range row.Values {
			vals[AlignKey(k, slot)] = v
		}
		aligned[i] = results.Row{Step: row.Step, Values: vals}
	}
	return aligned, order, by
}

// AlignKey rewrites the first ".bB" branch index of key (at its end or
// before a dot) as ".aS" with S = slot(B); a key without one is returned
// as is.
func AlignKey(key string, slot func(b int) int) string {
	loc := branchKeyRE.FindStringSubmatchIndex(key)
	if loc == nil {
		return key
	}
	b, err := strconv.Atoi(key[loc[2]:loc[3]])
	if err != nil {
		return key
	}
	return key[:loc[0]] + ".a" + strconv.Itoa(slot(b)) + key[loc[3]:]
}

// branchScores returns prefix.bB for B = 0, 1, ... from the latest row
// that logs prefix.b0, or nil.
func branchScores(rows []results.Row, prefix string) []float64 {
	for i := len(rows) - 1; i >= 0; i-- {
		v := rows[i].Values
		if _, ok := v[prefix+".b0"]; !ok {
			continue
		}
		var scores []float64
		for b := 0; ; b++ {
			s, ok := v[prefix+".b"+strconv.Itoa(b)]
			if !ok {
				return scores
			}
			scores = append(scores, s)
		}
	}
	return nil
}
