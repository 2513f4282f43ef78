package experiments

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"branchspec/configs"
)

// parseRegime reads regime name's table: its overrides and, for a fork
// regime, its parent and step.
func parseRegime(doc *configs.Document, name string, t experimentRegime) (RegimeOverrides, error) {
	r := RegimeOverrides{Name: name, Set: t.Set, Fork: t.Fork}
	key := "regimes." + name
	if t.Seeds != nil {
		seeds, err := parseSeeds(t.Seeds)
		if err != nil {
			return r, doc.Errorf(key+".seeds", "%v", err)
		}
		r.Seeds = seeds
	}
	switch at := t.At.(type) {
	case nil:
		if r.Fork != "" {
			return r, doc.Errorf(key+".fork", "a fork regime needs at = STEP, the checkpoint step of regime %q it starts from", clip(r.Fork))
		}
	case int64:
		if r.Fork == "" {
			return r, doc.Errorf(key+".at", `at is the step a fork regime starts from: add fork = "REGIME", the regime of this file it forks`)
		}
		if at < 0 || at > math.MaxInt32 {
			return r, doc.Errorf(key+".at", "want a step in 0..%d, got %d", math.MaxInt32, at)
		}
		r.At = int(at)
	default:
		return r, doc.Errorf(key+".at", "want an integer step, got %s", tomlKind(at))
	}
	return r, nil
}

// regime returns the regime named name, or false.
func (e *Experiment) regime(name string) (RegimeOverrides, bool) {
	for _, r := range e.Regimes {
		if r.Name == name {
			return r, true
		}
	}
	return RegimeOverrides{}, false
}

// checkForks refuses a fork regime whose parent is no regime of the file,
// and forks that lead back to themselves.
func (e *Experiment) checkForks() error {
	var names []string
	for _, r := range e.Regimes {
		names = append(names, r.Name)
	}
	for _, r := range e.Regimes {
		if _, ok := e.regime(r.Fork); r.Fork != "" && !ok {
			return e.errorAt("regimes."+r.Name+".fork", fmt.Sprintf("unknown regime %q; the regimes of this file: %s", clip(r.Fork), strings.Join(names, ", ")))
		}
	}
	for _, r := range e.Regimes {
		if r.Fork == "" {
			continue
		}
		parent, _ := e.regime(r.Fork)
		for _, seed := range e.SeedsOf(r) {
			if !slices.Contains(e.SeedsOf(parent), seed) {
				key := "regimes." + r.Name + ".seeds"
				if r.Seeds == nil {
					key = "regimes." + r.Name + ".fork"
				}
				return e.errorAt(key, fmt.Sprintf("seed %d has no run of regime %q to fork (its seeds: %s); a fork regime's seeds must be among its parent's", seed, clip(r.Fork), seedList(e.SeedsOf(parent))))
			}
		}
	}
	for _, r := range e.Regimes {
		chain := []string{r.Name}
		for cur := r; cur.Fork != "" && !slices.Contains(chain[1:], cur.Fork); cur, _ = e.regime(cur.Fork) {
			if cur.Fork == r.Name {
				next := append(slices.Clone(chain[1:]), r.Name)
				pairs := make([]string, len(chain))
				for i, n := range chain {
					pairs[i] = n + " forks " + next[i]
				}
				return e.errorAt("regimes."+r.Name+".fork", fmt.Sprintf("the forks form a cycle (%s): the first regime of a chain of forks must be trained from scratch", strings.Join(pairs, ", ")))
			}
			chain = append(chain, cur.Fork)
		}
	}
	return nil
}

// errorAt is an error about key of the experiment file, positioned when
// the file's document is known.
func (e *Experiment) errorAt(key, msg string) error {
	if e.doc == nil {
		return fmt.Errorf("%s: %s: %s", e.File, key, msg)
	}
	return e.doc.Errorf(key, "%s", msg)
}

// runOrder returns the regimes in the order their runs are planned: those
// trained from scratch in file order, then the forks of those, then the
// forks of forks, ..., each level in file order, so that every fork
// regime comes after its parent. It returns false when some regime is
// left out (a cycle, which ParseExperiment refuses).
func (e *Experiment) runOrder() ([]RegimeOverrides, bool) {
	var out []RegimeOverrides
	placed := map[string]bool{}
	for len(out) < len(e.Regimes) {
		var level []RegimeOverrides
		for _, r := range e.Regimes {
			if !placed[r.Name] && (r.Fork == "" || placed[r.Fork]) {
				level = append(level, r)
			}
		}
		if len(level) == 0 {
			return out, false
		}
		for _, r := range level {
			placed[r.Name] = true
		}
		out = append(out, level...)
	}
	return out, true
}

// configs builds the config of every regime's run of seed (see config and
// forkConfig), parents before their forks.
func (e *Experiment) configs(extra []string, seed uint64) (map[string]*configs.Config, error) {
	order, ok := e.runOrder()
	if !ok {
		return nil, fmt.Errorf("%s: the fork regimes form a cycle", e.File)
	}
	cfgs := map[string]*configs.Config{}
	start := map[string]int{} // the first step of each regime's runs
	for _, r := range order {
		var err error
		if r.Fork == "" {
			cfgs[r.Name], err = e.config(r, extra, seed)
		} else {
			cfgs[r.Name], err = e.forkConfig(r, cfgs[r.Fork], start[r.Fork], extra)
			start[r.Name] = r.At
		}
		if err != nil {
			return nil, err
		}
	}
	return cfgs, nil
}

// forkConfig builds the config of fork regime r's run from its parent's
// (parent, whose run starts at step start): the parent's config with the
// regime's overrides, then extra, then name = regime and the parent's
// seed, as config builds a regime's config from the base and Fork a
// fork's from its parent's. (The experiment-wide overrides and extra are
// in the parent's config already; applying the former again would undo
// the parent regime's overrides of the same keys.) An override that
// changes what a fork cannot change (CheckFork) is positioned at the
// override, and a step at which the parent's run keeps no weights at r.At.
func (e *Experiment) forkConfig(r RegimeOverrides, parent *configs.Config, start int, extra []string) (*configs.Config, error) {
	cfg := parent.Clone()
	seed := "seed=" + strconv.FormatUint(parent.Seed, 10)
	if err := cfg.SetAll(slices.Concat(r.Set, extra, []string{"name=" + strconv.Quote(r.Name), seed})); err != nil {
		return nil, e.overrideError(r, extra, err)
	}
	if key, a, b := forkDiff(parent, cfg); key != "" {
		msg := fmt.Sprintf("%s: %v%s; make it a regime trained from scratch (without fork)", key, ErrForkArchitecture, valuesText(r.Fork, a, b))
		// extra is in the parent's config too, so the change is the
		// regime's own.
		if i := forkSetting(r.Set, key); i >= 0 {
			return nil, e.errorAt(fmt.Sprintf("regimes.%s.set[%d]", r.Name, i), msg)
		}
		return nil, e.errorAt("regimes."+r.Name, msg)
	}
	if msg := forkStepProblem(r.Fork, parent, start, cfg, r.At); msg != "" {
		return nil, e.errorAt("regimes."+r.Name+".at", msg)
	}
	return cfg, nil
}

// valuesText is " (regime parent has a, this fork b)" when both are
// scalars, else "" (a table or list printed by %v would be unreadable; the
// error is positioned at the override that sets it).
func valuesText(parent string, a, b any) string {
	scalar := func(v any) bool {
		switch reflect.ValueOf(v).Kind() {
		case reflect.Bool, reflect.Int, reflect.Int64, reflect.Uint64, reflect.Float64, reflect.String:
			return true
		}
		return false
	}
	if !scalar(a) || !scalar(b) {
		return ""
	}
	return fmt.Sprintf(" (regime %s has %v, this fork %v)", parent, a, b)
}

// forkSetting is the index of the last "key=value" of sets that sets key,
// a key inside it or a key enclosing it (model.branch for
// model.branch[1].out and the other way round), or -1.
func forkSetting(sets []string, key string) int {
	for i := len(sets) - 1; i >= 0; i-- {
		k, _, _ := strings.Cut(sets[i], "=")
		k = strings.TrimSpace(k)
		if k == key || encloses(k, key) || encloses(key, k) {
			return i
		}
	}
	return -1
}

// encloses reports whether key outer is a table or array holding key
// inner.
func encloses(outer, inner string) bool {
	return strings.HasPrefix(inner, outer+".") || strings.HasPrefix(inner, outer+"[")
}

// ForkSteps returns the steps at which a run with checkpoint settings c,
// which starts at step start (0, or a fork's step) and ends at total,
// holds a checkpoint's weights once it is done: its checkpoint steps from
// start on, and start itself, that c.Retain keeps at the end. A fork can
// start from each of them at any time after the run has passed it.
func ForkSteps(c configs.Checkpoint, start, total int) []int {
	var saved []int
	for _, s := range c.Steps(total) {
		if s >= start {
			saved = append(saved, s)
		}
	}
	if !slices.Contains(saved, start) {
		saved = append([]int{start}, saved...)
	}
	var kept []int
	for _, s := range saved {
		if c.Retain(s, total, total, saved) {
			kept = append(kept, s)
		}
	}
	return kept
}

// forkStepProblem says why a fork with config fork cannot start at step
// at of regime parentName's run (config parent, starting at step start),
// or "" if it can: at must be a step ForkSteps lists and come before the
// fork's last step. The message lists the steps it can start at.
func forkStepProblem(parentName string, parent *configs.Config, start int, fork *configs.Config, at int) string {
	steps := ForkSteps(parent.Checkpoint, start, parent.Schedule.Steps)
	var can []int
	for _, s := range steps {
		if s < fork.Schedule.Steps {
			can = append(can, s)
		}
	}
	switch {
	case slices.Contains(can, at):
		return ""
	case slices.Contains(steps, at):
		return fmt.Sprintf("step %d is not before the fork's last step (schedule.steps = %d); a fork of regime %s can start at %s",
			at, fork.Schedule.Steps, parentName, stepList(can))
	}
	forked := ""
	if start > 0 {
		forked = fmt.Sprintf(", forked at step %d,", start)
	}
	return fmt.Sprintf("regime %s%s keeps no checkpoint's weights at step %d to its end (checkpoint.keep = %q); a fork of it can start at %s",
		parentName, forked, at, parent.Checkpoint.Keep, stepList(can))
}

// stepList writes steps for a message: all of them when there are few,
// else the first and last ones and the count.
func stepList(steps []int) string {
	str := func(xs []int) string {
		s := make([]string, len(xs))
		for i, x := range xs {
			s[i] = strconv.Itoa(x)
		}
		return strings.Join(s, ", ")
	}
	switch {
	case len(steps) == 0:
		return "no step"
	case len(steps) <= 24:
		return str(steps)
	}
	return fmt.Sprintf("%s, ..., %s (%d steps)", str(steps[:16]), str(steps[len(steps)-4:]), len(steps))
}

// checkParents refuses, as ErrInvalid, specs in which a fork's parent is
// not an earlier run of specs (ParentRun.Index is its position in specs).
func checkParents(specs []RunSpec) error {
	for i, s := range specs {
		if p := s.Parent; p != nil && (p.Index < 0 || p.Index >= i || specs[p.Index].Dir != p.Dir) {
			return invalidf("run %d (%s) forks run %d (%s), which is not an earlier run of the sweep", i, s.Dir, p.Index, p.Dir)
		}
	}
	return nil
}

// forkStages returns where each level of forks starts in specs: the
// index of the first run whose parent is a run trained from scratch, then
// of the first fork of such a fork, and so on (nil: no forks). The levels
// must follow one another in specs, as Experiment.Runs orders them, and
// each run's Index be its position (a scheduler's task index); anything
// else is ErrInvalid.
func forkStages(specs []RunSpec) ([]int, error) {
	for i, s := range specs {
		if s.Index != i {
			return nil, invalidf("run %d (%s) has index %d", i, s.Dir, s.Index)
		}
	}
	if err := checkParents(specs); err != nil {
		return nil, err
	}
	depth := make([]int, len(specs))
	var stages []int
	for i, s := range specs {
		if s.Parent != nil {
			depth[i] = depth[s.Parent.Index] + 1
		}
		switch {
		case i == 0 || depth[i] == depth[i-1]:
		case depth[i] == depth[i-1]+1:
			stages = append(stages, i)
		default:
			return nil, invalidf("run %d (%s): the runs are not ordered by level of forks (trained from scratch, their forks, the forks of those, ...)", i, s.Dir)
		}
	}
	return stages, nil
}

// seedList formats seeds for a message: "1, 2, 3", or "1..20" when they
// are 1..n.
func seedList(seeds []uint64) string {
	consecutive := true
	for i, s := range seeds {
		consecutive = consecutive && s == uint64(i+1)
	}
	if consecutive && len(seeds) > 3 {
		return fmt.Sprintf("1..%d", len(seeds))
	}
	parts := make([]string, len(seeds))
	for i, s := range seeds {
		parts[i] = strconv.FormatUint(s, 10)
	}
	return strings.Join(parts, ", ")
}
