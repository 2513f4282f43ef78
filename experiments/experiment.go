package experiments

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"branchspec/configs"
)

// Experiment is a set of runs: a base config, named regimes (each a list of
// overrides) and seeds. Every (regime, seed) pair is one run, stored in
// OUT/NAME/REGIME/seed-SEED.
//
//	name = "feedback-loop"
//	base = "default"             # a preset, or a config path relative to this file
//	seeds = [1, 2, 3]            # or a count: seeds = 3 means 1, 2, 3
//	set = ["schedule.steps=600"] # overrides for every run
//
//	primary = ["dchroma.eta2", "rejoin.fmaxshare"]   # optional; these are the defaults
//	split = "dchroma.eta2.p"                         # optional; the default
//
//	[regimes.baseline]
//	seeds = 20                   # optional: this regime's own seeds
//	set = []
//	[regimes.grayscale]
//	set = ["data.grayscale=true"]
//	[regimes.counter-bias]       # a fork regime (see RegimeOverrides)
//	fork = "baseline"
//	at = 200                     # a step whose weights baseline keeps
//	set = ["regime.bias.branch=1", "regime.bias.epsilon=0.3"]
type Experiment struct {
	Name    string
	File    string
	Base    *configs.Config
	Seeds   []uint64
	Set     []string
	Regimes []RegimeOverrides // in file order
	// Endpoints are named before running and recorded in every run, so
	// that compare reads them from the runs.
	Endpoints Endpoints
	// doc is the parsed file, which positions errors found later.
	doc *configs.Document
}

// RegimeOverrides is one regime of an experiment: its name and the config
// overrides that make it (the interventions themselves are the config's
// [regime] table, configs.Interventions).
//
// A fork regime (Fork not "") is not trained from scratch: each seed's run
// forks the same seed's run of regime Fork at its checkpoint step At, with
// the semantics of the function Fork (same step numbering, lineage
// recorded, a changed regime.bias applied at the fork step). Its config is
// the parent run's config with Set, then the command line's overrides
// applied again, and name = the regime; the seed is the parent's. At must
// be a step at which the parent regime's runs keep a checkpoint's weights
// to their end (ForkSteps). A fork of a fork regime is allowed.
type RegimeOverrides struct {
	Name string
	Set  []string
	// Seeds, when not nil, are this regime's seeds instead of the
	// experiment's (a baseline with more seeds than the interventions). A
	// fork regime's seeds must be among its parent's.
	Seeds []uint64
	Fork  string
	At    int
}

// Endpoints are what an experiment names before it runs (science.md,
// "Statistics when comparing"): its primary endpoints, whose contrasts
// compare reports first and adjusts as their own family, and the p-value
// key of "a split formed". Zero values mean DefaultPrimary() and
// DefaultSplitEndpoint.
type Endpoints struct {
	Primary []string
	Split   string
}

// extra is how a run records the endpoints in its Info.Extra ("primary":
// the keys joined by commas, "split"), with defaults filled in.
func (e Endpoints) extra() map[string]string {
	p, sp := e.Primary, e.Split
	if len(p) == 0 {
		p = DefaultPrimary()
	}
	if sp == "" {
		sp = DefaultSplitEndpoint
	}
	return map[string]string{"primary": strings.Join(p, ","), "split": sp}
}

// RunSpec is one run of an experiment.
type RunSpec struct {
	Index     int
	Regime    string
	Seed      uint64
	Config    *configs.Config
	Dir       string
	Endpoints Endpoints
	// Parent is where the run of a fork regime starts; nil for a run
	// trained from scratch.
	Parent *ParentRun
}

// ParentRun is where a fork regime's run starts: the run of the same seed
// of its parent regime, at one of that run's checkpoint steps.
type ParentRun struct {
	// Index is the parent's RunSpec.Index, always below the fork's.
	Index  int
	Regime string
	Dir    string
	At     int
	// ConfigHash is the parent run's config hash: a fork is made only
	// from a parent that holds this config.
	ConfigHash string
}

var (
	nameRE      = regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)
	metricKeyRE = regexp.MustCompile(`^[a-zA-Z0-9._]+$`)
)

// clip shortens s to at most 40 bytes for an error message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}

// LoadExperiment reads (at most configs.MaxTextBytes) and checks an
// experiment file (see ParseExperiment).
func LoadExperiment(path string) (*Experiment, error) {
	text, err := configs.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseExperiment(path, text)
}

// experimentFile is the schema of an experiment file.
type experimentFile struct {
	Name    string                      `toml:"name"`
	Base    string                      `toml:"base"`
	Seeds   any                         `toml:"seeds"`
	Set     []string                    `toml:"set"`
	Primary []string                    `toml:"primary"`
	Split   string                      `toml:"split"`
	Regimes map[string]experimentRegime `toml:"regimes"`
}

type experimentRegime struct {
	Set   []string `toml:"set"`
	Seeds any      `toml:"seeds"`
	Fork  string   `toml:"fork"`
	At    any      `toml:"at"`
}

// ParseExperiment parses an experiment file's text; path names it in errors
// and anchors a relative base path. It is decoded as configs are
// (configs.Document): syntax errors, unknown keys, keys in another case and
// wrong types are *configs.Error values naming the file, the line and the
// key, and so are bad names and seeds and every regime whose overrides do
// not make a valid config (positioned at the override):
//
//	exp.toml:5: regimes.gray.set[0]: optim.lr: must be > 0 and finite, got -1
//
// Fork regimes are checked as far as the file allows: the parent must be a
// regime of the file and no fork may lead back to itself; at must be a
// step at which the parent regime's run takes a checkpoint and keeps its
// weights to the end (the error lists those steps); and no override may
// change what a fork cannot change (CheckFork).
func ParseExperiment(path string, text []byte) (*Experiment, error) {
	return parseExperiment(path, text, configs.LoadFrom)
}

// parseExperiment is ParseExperiment with the loader of the base config
// given (configs.LoadFrom), so that a fuzz test can keep to presets.
func parseExperiment(path string, text []byte, load func(dir, base string) (*configs.Config, error)) (*Experiment, error) {
	doc, err := configs.ReadDocument(path, text)
	if err != nil {
		return nil, err
	}
	var f experimentFile
	if err := doc.Decode(&f); err != nil {
		return nil, err
	}
	e := &Experiment{Name: f.Name, File: path, Set: f.Set, Endpoints: Endpoints{Primary: f.Primary, Split: f.Split}, doc: doc}
	if !configs.ValidName(e.Name) {
		return nil, doc.Errorf("name", "%s; got %q", configs.NameRule, clip(e.Name))
	}
	for i, k := range f.Primary {
		if !metricKeyRE.MatchString(k) {
			return nil, doc.Errorf(fmt.Sprintf("primary[%d]", i), "want a metric key (letters, digits, '.', '_', no comma), got %q", k)
		}
	}
	if f.Split != "" && !metricKeyRE.MatchString(f.Split) {
		return nil, doc.Errorf("split", "want a metric key (letters, digits, '.', '_', no comma), got %q", f.Split)
	}
	if e.Seeds, err = parseSeeds(f.Seeds); err != nil {
		return nil, doc.Errorf("seeds", "%v", err)
	}
	if e.Base, err = loadBase(path, f.Base, load); err != nil {
		return nil, doc.Errorf("base", "%v", err)
	}
	if len(f.Regimes) == 0 {
		return nil, &configs.Error{File: path, Msg: "no [regimes.NAME] table: an experiment needs at least one regime"}
	}
	for _, name := range doc.Keys("regimes") {
		if !configs.ValidName(name) {
			return nil, doc.Errorf("regimes."+name, "regime name %s; got %q", configs.NameRule, clip(name))
		}
		r, err := parseRegime(doc, name, f.Regimes[name])
		if err != nil {
			return nil, err
		}
		e.Regimes = append(e.Regimes, r)
	}
	if err := e.checkForks(); err != nil {
		return nil, err
	}
	// Check every regime's config now, not hours into a sweep.
	if _, err := e.configs(nil, e.Seeds[0]); err != nil {
		return nil, err
	}
	return e, nil
}

// loadBase loads an experiment's base config by the rule of
// configs.LoadFrom, with a relative file path read from the experiment
// file's directory: a bare preset name is that preset, anything else a
// file next to the experiment file ("" is the default preset).
func loadBase(path, base string, load func(dir, base string) (*configs.Config, error)) (*configs.Config, error) {
	if base == "" {
		base = "default"
	}
	return load(filepath.Dir(path), base)
}

func parseSeeds(v any) ([]uint64, error) {
	switch s := v.(type) {
	case nil:
		return []uint64{1}, nil
	case int64:
		if s < 1 || s > 10000 {
			return nil, fmt.Errorf("a count must be in 1..10000, got %d", s)
		}
		out := make([]uint64, s)
		for i := range out {
			out[i] = uint64(i + 1)
		}
		return out, nil
	case []any:
		var out []uint64
		seen := map[uint64]bool{}
		for _, x := range s {
			n, ok := x.(int64)
			if !ok || n < 0 {
				return nil, fmt.Errorf("want non-negative integers, got %v", x)
			}
			if seen[uint64(n)] {
				return nil, fmt.Errorf("seed %d repeats", n)
			}
			seen[uint64(n)] = true
			out = append(out, uint64(n))
		}
		if len(out) == 0 {
			return nil, errors.New("empty list")
		}
		return out, nil
	}
	return nil, fmt.Errorf("want a count or a list of integers, got %s", tomlKind(v))
}

// tomlKind names the kind of a parsed TOML value.
func tomlKind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case map[string]any:
		return "a table"
	}
	return fmt.Sprintf("%T", v)
}

// WithSeeds returns the experiment with the seeds of every regime replaced
// by 1..n.
func (e *Experiment) WithSeeds(n int) *Experiment {
	c := *e
	c.Seeds = make([]uint64, n)
	for i := range c.Seeds {
		c.Seeds[i] = uint64(i + 1)
	}
	c.Regimes = slices.Clone(e.Regimes)
	for i := range c.Regimes {
		c.Regimes[i].Seeds = nil
	}
	return &c
}

// SeedsOf returns regime r's seeds: its own, else the experiment's.
func (e *Experiment) SeedsOf(r RegimeOverrides) []uint64 {
	if r.Seeds != nil {
		return r.Seeds
	}
	return e.Seeds
}

// allSeeds returns every seed of some regime, the experiment's first.
func (e *Experiment) allSeeds() []uint64 {
	out := slices.Clone(e.Seeds)
	for _, r := range e.Regimes {
		for _, s := range r.Seeds {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

// RunCount is the number of runs the experiment holds: each regime's
// seeds.
func (e *Experiment) RunCount() int {
	n := 0
	for _, r := range e.Regimes {
		n += len(e.SeedsOf(r))
	}
	return n
}

// config builds the config of one run: base, experiment-wide overrides,
// the regime's overrides, extra (--set on the command line), then name =
// regime and the seed. An error is positioned at the override it comes
// from (see overrideError).
func (e *Experiment) config(r RegimeOverrides, extra []string, seed uint64) (*configs.Config, error) {
	cfg := e.Base.Clone()
	sets := slices.Concat(e.Set, r.Set, extra, []string{"name=" + strconv.Quote(r.Name), "seed=" + strconv.FormatUint(seed, 10)})
	if err := cfg.SetAll(sets); err != nil {
		return nil, e.overrideError(r, extra, err)
	}
	return cfg, nil
}

// overrideError positions the error of applying regime r's overrides: at
// the last override of the file that sets the failing key (the regime's
// own before the experiment-wide ones), else at the regime's table. An
// override given on the command line (extra) keeps its --set error, with
// the regime named.
func (e *Experiment) overrideError(r RegimeOverrides, extra []string, err error) error {
	var ce *configs.Error
	if !errors.As(err, &ce) || e.doc == nil {
		return fmt.Errorf("%s: regime %s: %w", e.File, r.Name, err)
	}
	if i := lastSetting(extra, ce.Key); i >= 0 {
		return fmt.Errorf("%s: regime %s: %w", e.File, r.Name, err)
	}
	msg := ce.Msg
	if ce.Key != "" {
		msg = ce.Key + ": " + msg
	}
	if i := lastSetting(r.Set, ce.Key); i >= 0 {
		return e.doc.Errorf(fmt.Sprintf("regimes.%s.set[%d]", r.Name, i), "%s", msg)
	}
	if i := lastSetting(e.Set, ce.Key); i >= 0 {
		return e.doc.Errorf(fmt.Sprintf("set[%d]", i), "%s", msg)
	}
	return e.doc.Errorf("regimes."+r.Name, "%s", msg)
}

// lastSetting is the index of the last "key=value" of sets whose key is
// key or encloses it (model.branch for model.branch[0].kernel), or -1.
func lastSetting(sets []string, key string) int {
	if key == "" {
		return -1
	}
	for i := len(sets) - 1; i >= 0; i-- {
		k, _, _ := strings.Cut(sets[i], "=")
		k = strings.TrimSpace(k)
		if k == key || strings.HasPrefix(key, k+".") || strings.HasPrefix(key, k+"[") {
			return i
		}
	}
	return -1
}

// Runs expands the experiment into its runs under out, regime-major, with
// extra overrides applied to every run last. The regimes trained from
// scratch come first, in file order, then the fork regimes, level by
// level (the forks of those, then the forks of forks, ...): every run
// comes after its parent.
func (e *Experiment) Runs(out string, extra []string) ([]RunSpec, error) {
	order, ok := e.runOrder()
	if !ok {
		return nil, fmt.Errorf("%s: the fork regimes form a cycle", e.File)
	}
	cfgs := map[uint64]map[string]*configs.Config{}
	for _, seed := range e.allSeeds() {
		var err error
		if cfgs[seed], err = e.configs(extra, seed); err != nil {
			return nil, err
		}
	}
	type regimeSeed struct {
		regime string
		seed   uint64
	}
	var specs []RunSpec
	index := map[regimeSeed]int{}
	for _, r := range order {
		for _, seed := range e.SeedsOf(r) {
			cfg := cfgs[seed][r.Name]
			s := RunSpec{Index: len(specs), Regime: r.Name, Seed: seed, Config: cfg,
				Dir: RunDir(filepath.Join(out, e.Name), cfg), Endpoints: e.Endpoints}
			if r.Fork != "" {
				i, ok := index[regimeSeed{r.Fork, seed}]
				if !ok {
					return nil, fmt.Errorf("%s: regime %s: seed %d has no run of its parent regime %s", e.File, r.Name, seed, r.Fork)
				}
				p := specs[i]
				s.Parent = &ParentRun{Index: p.Index, Regime: p.Regime, Dir: p.Dir, At: r.At, ConfigHash: p.Config.Hash()}
			}
			index[regimeSeed{r.Name, seed}] = len(specs)
			specs = append(specs, s)
		}
	}
	return specs, nil
}
