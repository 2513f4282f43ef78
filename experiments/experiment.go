package experiments

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

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
//	[regimes.baseline]
//	set = []
//	[regimes.grayscale]
//	set = ["data.grayscale=true"]
type Experiment struct {
	Name    string
	File    string
	Base    *configs.Config
	Seeds   []uint64
	Set     []string
	Regimes []Regime // in file order
}

// Regime is one named set of overrides of an experiment.
type Regime struct {
	Name string
	Set  []string
}

// RunSpec is one run of an experiment.
type RunSpec struct {
	Index  int
	Regime string
	Seed   uint64
	Config *configs.Config
	Dir    string
}

var nameRE = regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)

// LoadExperiment reads and checks an experiment file: unknown keys, wrong
// types, unknown regimes' overrides and configs that do not validate are
// errors naming the file, the regime and the key.
func LoadExperiment(path string) (*Experiment, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseExperiment(path, text)
}

type experimentFile struct {
	Name    string                      `toml:"name"`
	Base    string                      `toml:"base"`
	Seeds   any                         `toml:"seeds"`
	Set     []string                    `toml:"set"`
	Regimes map[string]experimentRegime `toml:"regimes"`
}

type experimentRegime struct {
	Set []string `toml:"set"`
}

// ParseExperiment parses an experiment file's text; path names it in errors
// and anchors a relative base path.
func ParseExperiment(path string, text []byte) (*Experiment, error) {
	var f experimentFile
	md, err := toml.NewDecoder(bytes.NewReader(text)).Decode(&f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("%s: unknown key %s (allowed: name, base, seeds, set, regimes.NAME.set)", path, und[0])
	}
	for _, k := range md.Keys() {
		if want, ok := canonicalExperimentKey(k); !ok {
			return nil, fmt.Errorf("%s: key %s: keys are case-sensitive: write %s", path, k, want)
		}
	}
	e := &Experiment{Name: f.Name, File: path, Set: f.Set}
	if !nameRE.MatchString(e.Name) {
		return nil, fmt.Errorf("%s: name: want letters, digits, '.', '_' or '-', got %q", path, e.Name)
	}
	if e.Seeds, err = parseSeeds(f.Seeds); err != nil {
		return nil, fmt.Errorf("%s: seeds: %w", path, err)
	}
	if f.Base == "" {
		f.Base = "default"
	}
	basePath := f.Base
	if !filepath.IsAbs(basePath) && strings.ContainsAny(basePath, "/.") {
		basePath = filepath.Join(filepath.Dir(path), basePath)
	}
	if _, err := os.Stat(basePath); err != nil {
		basePath = f.Base
	}
	if e.Base, err = configs.Load(basePath); err != nil {
		return nil, fmt.Errorf("%s: base: %w", path, err)
	}
	if len(f.Regimes) == 0 {
		return nil, fmt.Errorf("%s: no [regimes.NAME] table: an experiment needs at least one regime", path)
	}
	// Regimes in the order the file names them.
	seen := map[string]bool{}
	for _, k := range md.Keys() {
		if len(k) >= 2 && k[0] == "regimes" && !seen[k[1]] {
			seen[k[1]] = true
			if !nameRE.MatchString(k[1]) {
				return nil, fmt.Errorf("%s: regime %q: want letters, digits, '.', '_' or '-'", path, k[1])
			}
			e.Regimes = append(e.Regimes, Regime{Name: k[1], Set: f.Regimes[k[1]].Set})
		}
	}
	// Check every regime's config now, not hours into a sweep.
	for _, r := range e.Regimes {
		if _, err := e.config(r, e.Seeds[0]); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// canonicalExperimentKey checks a key's spelling part by part (the
// decoder matches keys case-insensitively); regime names are free.
func canonicalExperimentKey(k toml.Key) (want string, ok bool) {
	canon := make([]string, len(k))
	copy(canon, k)
	for i, part := range k {
		if i == 1 && strings.ToLower(k[0]) == "regimes" {
			continue // the regime's name
		}
		canon[i] = strings.ToLower(part)
	}
	return strings.Join(canon, "."), slices.Equal(canon, k)
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
			return nil, fmt.Errorf("empty list")
		}
		return out, nil
	}
	return nil, fmt.Errorf("want a count or a list of integers, got %T", v)
}

// WithSeeds returns the experiment with its seeds replaced by 1..n.
func (e *Experiment) WithSeeds(n int) *Experiment {
	c := *e
	c.Seeds = make([]uint64, n)
	for i := range c.Seeds {
		c.Seeds[i] = uint64(i + 1)
	}
	return &c
}

// config builds the config of one run: base, experiment-wide overrides,
// the regime's overrides, then name = regime and the seed.
func (e *Experiment) config(r Regime, seed uint64) (*configs.Config, error) {
	cfg := e.Base.Clone()
	sets := append(append(append([]string(nil), e.Set...), r.Set...), "name="+strconv.Quote(r.Name), "seed="+strconv.FormatUint(seed, 10))
	if err := cfg.SetAll(sets); err != nil {
		return nil, fmt.Errorf("%s: regime %s: %w", e.File, r.Name, err)
	}
	return cfg, nil
}

// Runs expands the experiment into its runs under out, regime-major, with
// extra overrides applied to every run last.
func (e *Experiment) Runs(out string, extra []string) ([]RunSpec, error) {
	var specs []RunSpec
	for _, r := range e.Regimes {
		rr := Regime{Name: r.Name, Set: append(append([]string(nil), r.Set...), extra...)}
		for _, seed := range e.Seeds {
			cfg, err := e.config(rr, seed)
			if err != nil {
				return nil, err
			}
			specs = append(specs, RunSpec{Index: len(specs), Regime: r.Name, Seed: seed, Config: cfg,
				Dir: RunDir(filepath.Join(out, e.Name), cfg)})
		}
	}
	return specs, nil
}

// Manifest lists the runs of a sweep for a scheduler: each array task
// runs the entry at its index (`branchspec run --manifest M --index I`).
type Manifest struct {
	Experiment string          `json:"experiment"`
	Runs       []ManifestEntry `json:"runs"`
}

// ManifestEntry is one run of a manifest, with its full config text so a
// task needs nothing but the manifest.
type ManifestEntry struct {
	Index      int    `json:"index"`
	Regime     string `json:"regime"`
	Seed       uint64 `json:"seed"`
	ConfigHash string `json:"config_sha256"`
	Dir        string `json:"dir"`
	Config     string `json:"config"`
}

// NewManifest describes specs.
func NewManifest(experiment string, specs []RunSpec) *Manifest {
	m := &Manifest{Experiment: experiment}
	for _, s := range specs {
		m.Runs = append(m.Runs, ManifestEntry{Index: s.Index, Regime: s.Regime, Seed: s.Seed,
			ConfigHash: s.Config.Hash(), Dir: s.Dir, Config: string(s.Config.Canonical())})
	}
	return m
}

// WriteManifest writes m as indented JSON.
func WriteManifest(path string, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// ReadManifest reads a manifest and returns entry index's run, its config
// checked against the recorded hash.
func ReadManifest(path string, index int) (*ManifestEntry, *configs.Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if index < 0 || index >= len(m.Runs) {
		return nil, nil, fmt.Errorf("%s: index %d out of range 0..%d", path, index, len(m.Runs)-1)
	}
	ent := &m.Runs[index]
	if ent.Index != index {
		return nil, nil, fmt.Errorf("%s: entry %d has index %d", path, index, ent.Index)
	}
	cfg, err := configs.Parse(fmt.Sprintf("%s[%d]", path, index), []byte(ent.Config))
	if err != nil {
		return nil, nil, err
	}
	if cfg.Hash() != ent.ConfigHash {
		return nil, nil, fmt.Errorf("%s: entry %d: config hash %s does not match its text (%s)", path, index, ent.ConfigHash, cfg.Hash())
	}
	return ent, cfg, nil
}
