package experiments

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"branchspec/configs"
)

// presetsOnly loads a base config only when it names a preset: the fuzzer
// must not read whatever file a random base names (a FIFO, a device).
func presetsOnly(dir, base string) (*configs.Config, error) {
	for _, p := range configs.Presets() {
		if base == p {
			return configs.Preset(base)
		}
	}
	return nil, errors.New("not a preset (the fuzz test reads no files)")
}

// FuzzParseExperiment parses arbitrary experiment files. Whatever the
// input, the parser returns a one-line error or an experiment whose name
// and regimes are valid names and whose runs all lie below the results
// directory (an experiment or regime named ".." once wrote outside it),
// each with a valid config. Seeds are the shipped experiments and the
// hostile cases of TestParseExperimentErrors, and fork regimes (whose
// runs must fork an earlier run of the same seed as Fork may); make fuzz
// runs it.
func FuzzParseExperiment(f *testing.F) {
	for _, name := range []string{"feedback-loop.toml", "smoke.toml"} {
		text, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(text)
	}
	for _, s := range []string{
		"name = \"..\"\n[regimes.a]\n",
		"name = \"x\"\n[regimes.\"..\"]\n",
		"name = \"x\"\nseeds = [1, -2]\n[regimes.a]\n",
		"name = \"x\"\nbase = \"tiny\"\nset = [\"schedule.steps=10\", \"optim.nope=1\"]\n[regimes.a]\n",
		"name = \"x\"\nbase = \"tiny\"\n[regimes.mix]\nset = ['regime.mixing={layer = \"branch.*.1\", p = 0.5}']\n",
		"name = \"x\"\nseeds = 10000\n[regimes.a]\nset = [\"model.branches=4\"]\n",
		"name = \n",
		"name = \"h\"\nbase = \"tiny\"\n[regimes.b]\n[regimes.f]\nfork = \"b\"\nat = 10\nset = [\"regime.bias.branch=1\"]\n[regimes.g]\nfork = \"f\"\nat = 20\n",
		"name = \"h\"\nbase = \"tiny\"\n[regimes.f]\nfork = \"g\"\nat = 10\n[regimes.g]\nfork = \"f\"\nat = 10\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		e, err := parseExperiment("f.toml", text, presetsOnly)
		if err != nil {
			if msg := err.Error(); msg == "" || strings.ContainsAny(msg, "\n\r") {
				t.Fatalf("error not one line: %q", msg)
			}
			return
		}
		if !configs.ValidName(e.Name) || len(e.Seeds) == 0 || len(e.Regimes) == 0 {
			t.Fatalf("accepted name %q, %d seeds, %d regimes", e.Name, len(e.Seeds), len(e.Regimes))
		}
		if len(e.Seeds) > 3 {
			e = e.WithSeeds(3) // the runs' configs differ only by seed
		}
		out := filepath.Join("res", "out")
		specs, err := e.Runs(out, nil)
		if err != nil {
			t.Fatalf("parsed, but its runs fail: %v", err)
		}
		for _, s := range specs {
			if !configs.ValidName(s.Regime) {
				t.Fatalf("regime name %q", s.Regime)
			}
			rel, err := filepath.Rel(out, s.Dir)
			if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
				t.Fatalf("run %s lies outside %s", s.Dir, out)
			}
			if err := s.Config.Validate(); err != nil {
				t.Fatalf("run %s: %v", s.Dir, err)
			}
			if p := s.Parent; p != nil {
				ps := specs[p.Index]
				if p.Index >= s.Index || ps.Seed != s.Seed || p.At >= s.Config.Schedule.Steps || CheckFork(ps.Config, s.Config) != nil {
					t.Fatalf("run %s forks %+v, which it cannot", s.Dir, *p)
				}
			}
		}
	})
}
