package experiments

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestParseExperimentErrors holds the rendered text of every kind of
// experiment-file error verbatim: positioned as config errors are
// (file:line: key: message), and at the override a regime's error comes
// from.
func TestParseExperimentErrors(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"unknown key", "name = \"x\"\nseed = 3\n[regimes.a]\n",
			`file.toml:2: seed: unknown key (did you mean "seeds"?)`},
		{"unknown regime key", "name = \"x\"\n[regimes.a]\nsets = []\n",
			`file.toml:3: regimes.a.sets: unknown key (did you mean "set"?)`},
		{"wrong case", "Name = \"x\"\n[regimes.a]\n",
			`file.toml:1: Name: keys are case-sensitive: write "name"`},
		{"wrong case of regimes", "name = \"x\"\n[Regimes.a]\n",
			`file.toml:2: Regimes: keys are case-sensitive: write "regimes"`},
		{"wrong type", "name = \"x\"\nbase = \"tiny\"\n[regimes.a]\nset = 3\n",
			`file.toml:4: regimes.a.set: want an array, got integer 3`},
		{"bad name", "name = \"a b\"\n[regimes.a]\n",
			`file.toml:1: name: must be 1..128 characters of [a-zA-Z0-9._-], not "." or ".."; got "a b"`},
		// Each name is a directory under --out: ".." or a slash would
		// write outside it.
		{"name dot-dot", "name = \"..\"\n[regimes.a]\n",
			`file.toml:1: name: must be 1..128 characters of [a-zA-Z0-9._-], not "." or ".."; got ".."`},
		{"name dot", "name = \".\"\n[regimes.a]\n",
			`file.toml:1: name: must be 1..128 characters of [a-zA-Z0-9._-], not "." or ".."; got "."`},
		{"name slash", "name = \"../up\"\n[regimes.a]\n",
			`file.toml:1: name: must be 1..128 characters of [a-zA-Z0-9._-], not "." or ".."; got "../up"`},
		{"name empty", "name = \"\"\n[regimes.a]\n",
			`file.toml:1: name: must be 1..128 characters of [a-zA-Z0-9._-], not "." or ".."; got ""`},
		{"bad regime name", "name = \"x\"\n[regimes.\"a b\"]\n",
			`file.toml:2: regimes.a b: regime name must be 1..128 characters of [a-zA-Z0-9._-], not "." or ".."; got "a b"`},
		{"regime dot-dot", "name = \"x\"\n[regimes.\"..\"]\n",
			`file.toml:2: regimes...: regime name must be 1..128 characters of [a-zA-Z0-9._-], not "." or ".."; got ".."`},
		{"seeds zero", "name = \"x\"\nseeds = 0\n[regimes.a]\n",
			`file.toml:2: seeds: a count must be in 1..10000, got 0`},
		{"seeds negative", "name = \"x\"\nseeds = [1, -2]\n[regimes.a]\n",
			`file.toml:2: seeds: want non-negative integers, got -2`},
		{"seeds repeat", "name = \"x\"\nseeds = [3, 3]\n[regimes.a]\n",
			`file.toml:2: seeds: seed 3 repeats`},
		{"seeds empty", "name = \"x\"\nseeds = []\n[regimes.a]\n",
			`file.toml:2: seeds: empty list`},
		{"seeds type", "name = \"x\"\nseeds = \"all\"\n[regimes.a]\n",
			`file.toml:2: seeds: want a count or a list of integers, got a string`},
		{"no regimes", "name = \"x\"\n",
			`file.toml: no [regimes.NAME] table: an experiment needs at least one regime`},
		{"regime override", "name = \"x\"\nbase = \"tiny\"\n[regimes.good]\n[regimes.broken]\nset = [\"optim.lr=-1\"]\n",
			`file.toml:5: regimes.broken.set[0]: optim.lr: must be > 0 and finite, got -1`},
		{"regime failing validation", "name = \"x\"\nbase = \"tiny\"\n[regimes.mix]\nset = ['regime.mixing={layer = \"branch.*.0\", p = 0.5}']\n",
			`file.toml:4: regimes.mix.set[0]: regime.mixing.layer: needs branch layer I >= 1 (cross-branch inputs come from layer I-1), got 0`},
		{"experiment-wide override", "name = \"x\"\nbase = \"tiny\"\nset = [\"schedule.steps=10\", \"optim.nope=1\"]\n[regimes.a]\n",
			`file.toml:3: set[1]: optim.nope: unknown key; allowed here: algorithm, lr, momentum, nesterov, beta1, beta2, eps, weight_decay, batch_size`},
		{"bad primary", "name = \"x\"\nprimary = [\"dchroma.eta2\", \"a,b\"]\n[regimes.a]\n",
			`file.toml:2: primary[1]: want a metric key (letters, digits, '.', '_', no comma), got "a,b"`},
		{"bad split", "name = \"x\"\nsplit = \"a b\"\n[regimes.a]\n",
			`file.toml:2: split: want a metric key (letters, digits, '.', '_', no comma), got "a b"`},
		{"syntax", "name = \n",
			`file.toml:1:8: syntax error: expected value but found '\n' instead`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseExperiment("file.toml", []byte(tt.text))
			if err == nil || err.Error() != tt.want {
				t.Errorf("error\n%v\nwant\n%s", err, tt.want)
			}
		})
	}
	_, err := ParseExperiment("file.toml", []byte("name = \"x\"\nbase = \"nope\"\n[regimes.a]\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "file.toml:2: base: ") || !strings.Contains(err.Error(), "presets: ") {
		t.Errorf("unknown base: %v", err)
	}
}

const threeRegimes = `name = "order"
base = "tiny"
seeds = [5, 2]
set = ["schedule.steps=12"]

[regimes.zeta]
set = ["optim.lr=0.001"]

[regimes.alpha]

[regimes.mid]
set = ["data.grayscale=true"]
`

// TestQuotedRegimeName: a regime name with a dot is written quoted and
// kept as it is.
func TestQuotedRegimeName(t *testing.T) {
	e, err := ParseExperiment("x.toml", []byte("name = \"x\"\nbase = \"tiny\"\n[regimes.\"mixing-0.5\"]\nset = []\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Regimes) != 1 || e.Regimes[0].Name != "mixing-0.5" {
		t.Errorf("regimes %+v", e.Regimes)
	}
}

// TestBaseResolvesAgainstExperimentFile: a base that is no preset is a
// file beside the experiment file, bare or not, whatever the working
// directory holds (before, a bare base was read from the working
// directory: here the decoy's name "wd" was loaded instead of "beside").
func TestBaseResolvesAgainstExperimentFile(t *testing.T) {
	expDir, wd := t.TempDir(), t.TempDir()
	for dir, name := range map[string]string{expDir: "beside", wd: "wd"} {
		for _, f := range []string{"mybase", "mybase.toml"} {
			text := "name = \"" + name + "\"\n[schedule]\nsteps = 7\nwarmup = 0\n"
			if err := os.WriteFile(filepath.Join(dir, f), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A directory named like a preset beside the file changes nothing.
	if err := os.MkdirAll(filepath.Join(expDir, "tiny"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(wd)
	for _, base := range []string{"mybase", "mybase.toml", "./mybase", "tiny"} {
		t.Run(base, func(t *testing.T) {
			text := "name = \"x\"\nbase = \"" + base + "\"\n[regimes.a]\n"
			e, err := ParseExperiment(filepath.Join(expDir, "exp.toml"), []byte(text))
			if err != nil {
				t.Fatal(err)
			}
			want := "beside"
			if base == "tiny" {
				want = "tiny"
			}
			if e.Base.Name != want {
				t.Errorf("base %q loaded %q; want %q", base, e.Base.Name, want)
			}
		})
	}
}

func TestRegimesInFileOrder(t *testing.T) {
	e, err := ParseExperiment("order.toml", []byte(threeRegimes))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range e.Regimes {
		names = append(names, r.Name)
	}
	if want := []string{"zeta", "alpha", "mid"}; !slices.Equal(names, want) {
		t.Errorf("regimes %v, want file order %v", names, want)
	}
	if !slices.Equal(e.Seeds, []uint64{5, 2}) {
		t.Errorf("seeds %v", e.Seeds)
	}
}

func TestRunsExpansion(t *testing.T) {
	e, err := ParseExperiment("order.toml", []byte(threeRegimes))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join("res", "x")
	specs, err := e.Runs(out, []string{"optim.batch_size=8"})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		regime string
		seed   uint64
		dir    string
	}
	want := []row{
		{"zeta", 5, "res/x/order/zeta/seed-5"}, {"zeta", 2, "res/x/order/zeta/seed-2"},
		{"alpha", 5, "res/x/order/alpha/seed-5"}, {"alpha", 2, "res/x/order/alpha/seed-2"},
		{"mid", 5, "res/x/order/mid/seed-5"}, {"mid", 2, "res/x/order/mid/seed-2"},
	}
	if len(specs) != len(want) {
		t.Fatalf("%d runs, want %d", len(specs), len(want))
	}
	for i, s := range specs {
		w := want[i]
		if s.Index != i || s.Regime != w.regime || s.Seed != w.seed || s.Dir != filepath.FromSlash(w.dir) {
			t.Errorf("run %d: %d %s %d %s, want %+v", i, s.Index, s.Regime, s.Seed, s.Dir, w)
		}
		c := s.Config
		if c.Name != s.Regime || c.Seed != s.Seed || c.Schedule.Steps != 12 || c.Optim.BatchSize != 8 {
			t.Errorf("run %d: config name %s seed %d steps %d batch %d", i, c.Name, c.Seed, c.Schedule.Steps, c.Optim.BatchSize)
		}
		if (s.Regime == "zeta") != (c.Optim.LR == 0.001) || (s.Regime == "mid") != c.Data.Grayscale {
			t.Errorf("run %d (%s): regime overrides not applied to its own runs only", i, s.Regime)
		}
	}
	e3 := e.WithSeeds(3)
	specs3, err := e3.Runs(out, nil)
	if err != nil || len(specs3) != 9 || specs3[2].Seed != 3 || len(e.Seeds) != 2 {
		t.Errorf("WithSeeds(3): %d runs, err %v; original seeds %v", len(specs3), err, e.Seeds)
	}
	if _, err := e.Runs(out, []string{"optim.lr=0"}); err == nil || !strings.Contains(err.Error(), "regime zeta") {
		t.Errorf("a bad extra override: %v", err)
	}
}

func TestManifestRoundTrip(t *testing.T) {
	e, err := ParseExperiment("order.toml", []byte(threeRegimes))
	if err != nil {
		t.Fatal(err)
	}
	specs, err := e.Runs("out", nil)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "manifest.json")
	if err := WriteManifest(path, NewManifest(e.Name, specs)); err != nil {
		t.Fatal(err)
	}
	for _, s := range specs {
		ent, cfg, err := ReadManifest(path, s.Index)
		if err != nil {
			t.Fatal(err)
		}
		if ent.Regime != s.Regime || ent.Seed != s.Seed || ent.Dir != s.Dir || cfg.Hash() != s.Config.Hash() {
			t.Errorf("entry %d: %+v, config %s; want %s %d %s %s", s.Index, ent, cfg.Hash(), s.Regime, s.Seed, s.Dir, s.Config.Hash())
		}
	}
	if _, _, err := ReadManifest(path, len(specs)); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("index past the end: %v", err)
	}
	// A config edited without its hash is refused.
	b, _ := os.ReadFile(path)
	edited := strings.Replace(string(b), `steps = 12`, `steps = 13`, 1)
	if edited == string(b) {
		t.Fatal("manifest lacks the config text to edit")
	}
	os.WriteFile(path, []byte(edited), 0o644)
	if _, _, err := ReadManifest(path, 0); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("edited config: %v, want a hash mismatch", err)
	}
}

// TestShippedExperimentsParse: every experiment file in this directory
// loads, and the feedback-loop file covers science.md's regimes 1-5.
func TestShippedExperimentsParse(t *testing.T) {
	files, _ := filepath.Glob("*.toml")
	if len(files) < 2 {
		t.Fatalf("experiment files: %v", files)
	}
	for _, f := range files {
		e, err := LoadExperiment(f)
		if err != nil {
			t.Fatal(err)
		}
		if f != "feedback-loop.toml" {
			continue
		}
		var names []string
		for _, r := range e.Regimes {
			names = append(names, r.Name)
		}
		for _, want := range []string{"baseline", "cut-downstream", "cut-downstream-rerandomized", "cut-upstream",
			"mixing-p10", "mixing-p50", "mixing-p100", "bias-e10", "bias-e30", "grayscale", "unbranched", "four-branches"} {
			if !slices.Contains(names, want) {
				t.Errorf("feedback-loop.toml lacks regime %s (has %v)", want, names)
			}
		}
		specs, err := e.Runs("out", nil)
		if err != nil {
			t.Fatal(err)
		}
		width := func(i int) int {
			c := specs[i].Config.Model
			w := 0
			for b := range c.Branches {
				w += c.BranchLayers(b)[0].Out
			}
			return w
		}
		for i, s := range specs {
			if width(i) != width(0) {
				t.Errorf("regime %s: total first-layer width %d, baseline %d", s.Regime, width(i), width(0))
			}
		}
	}
}

// TestEndpointsRecorded: an experiment's primary endpoints and split
// endpoint go with every run it expands to and into the run's Extra (the
// defaults when the file names none), through a manifest too.
func TestEndpointsRecorded(t *testing.T) {
	text := "name = \"e\"\nbase = \"tiny\"\nprimary = [\"rejoin.fmaxshare\"]\nsplit = \"chroma.eta2.p\"\n[regimes.a]\n"
	e, err := ParseExperiment("e.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	specs, err := e.Runs("out", nil)
	if err != nil {
		t.Fatal(err)
	}
	x := specs[0].extra("e")
	if x["primary"] != "rejoin.fmaxshare" || x["split"] != "chroma.eta2.p" || x["regime"] != "a" || x["experiment"] != "e" {
		t.Errorf("Extra %v", x)
	}
	path := filepath.Join(t.TempDir(), "m.json")
	if err := WriteManifest(path, NewManifest("e", specs)); err != nil {
		t.Fatal(err)
	}
	mr, err := ReadManifestRun(context.Background(), path, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := (RunSpec{Regime: mr.Entry.Regime, Endpoints: Endpoints{Primary: mr.Entry.Primary, Split: mr.Entry.Split}}).extra("e"); got["primary"] != x["primary"] || got["split"] != x["split"] {
		t.Errorf("through a manifest: %v, want %v", got, x)
	}
	def := (RunSpec{Regime: "a"}).extra("e")
	if def["primary"] != "dchroma.eta2,rejoin.fmaxshare" || def["split"] != "dchroma.eta2.p" {
		t.Errorf("defaults: %v", def)
	}
}

// TestConfirmSharesSeeds: the confirmatory file's runs of seeds 1-20 are
// the feedback-loop-cifar sweep's (the same directories and config
// hashes), so a results directory holding those resumes past them, and it
// runs 60 seeds of the baseline and cut-downstream only.
func TestConfirmSharesSeeds(t *testing.T) {
	hashes := func(file string) map[string]string {
		e, err := LoadExperiment(file)
		if err != nil {
			t.Fatal(err)
		}
		specs, err := e.Runs("out", nil)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, s := range specs {
			m[s.Dir] = s.Config.Hash()
		}
		return m
	}
	main, confirm := hashes("feedback-loop-cifar.toml"), hashes("feedback-loop-cifar-confirm.toml")
	if len(confirm) != 120 {
		t.Errorf("the confirmatory file has %d runs, want 120 (60 seeds of two regimes)", len(confirm))
	}
	shared := 0
	for dir, h := range confirm {
		if mh, ok := main[dir]; ok {
			shared++
			if mh != h {
				t.Errorf("%s: config hash %s in the confirmatory file, %s in feedback-loop-cifar.toml", dir, h, mh)
			}
		}
	}
	if shared != 40 {
		t.Errorf("%d runs shared with feedback-loop-cifar.toml, want 40 (seeds 1-20 of two regimes)", shared)
	}
}
