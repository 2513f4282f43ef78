package configs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestDefaultsMatchDefaultTOML(t *testing.T) {
	text, err := os.ReadFile("default.toml")
	if err != nil {
		t.Fatal(err)
	}
	// Decode onto a zero Config, not onto Defaults(), so that a key missing
	// from default.toml cannot pass unnoticed.
	var got Config
	if err := got.decodeText("default.toml", string(text)); err != nil {
		t.Fatal(err)
	}
	if want := Defaults(); !reflect.DeepEqual(&got, want) {
		t.Errorf("default.toml decodes to\n%s\nDefaults() is\n%s", got.Canonical(), want.Canonical())
	}
	// Every key of the schema is spelt out in default.toml.
	x, e := scan("default.toml", string(text))
	if e != nil {
		t.Fatal(e)
	}
	lines := x.paths()
	for _, line := range strings.Split(string(everyKey(t).Canonical()), "\n") {
		key, _, ok := strings.Cut(line, " = ")
		if !ok {
			continue
		}
		found := false
		for k := range lines {
			if k == key || strings.HasSuffix(k, "."+key) {
				found = true
			}
		}
		if !found {
			t.Errorf("default.toml lacks key %q", key)
		}
	}
}

// everyKey is Defaults with every omitdefault key of a table moved off its
// default, so that Canonical names every key of the schema.
func everyKey(t *testing.T) *Config {
	t.Helper()
	c := Defaults()
	if err := c.SetAll([]string{`data.source="folder"`, `data.path="d"`, "data.folder.size=32", "data.folder.classes=10",
		`data.preprocess.kind="mean-image"`, "data.preprocess.scale=1", "data.augment.pad=1",
		"model.init_std=0.5", "model.global_pool=true", "model.lrn.size=3",
		"regime.gray_branch=1", `regime.bias.axis="luminance"`}); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestPresets(t *testing.T) {
	want := []string{"cifar10", "cifar10-alexnet", "default", "fashion-mnist", "tiny"}
	if got := Presets(); !slices.Equal(got, want) {
		t.Fatalf("Presets() = %v; want %v", got, want)
	}
	for _, name := range want {
		t.Run(name, func(t *testing.T) {
			c, err := Preset(name)
			if err != nil {
				t.Fatal(err)
			}
			if c.Name != name {
				t.Errorf("preset %s has name %q", name, c.Name)
			}
			if err := c.Validate(); err != nil {
				t.Error(err)
			}
			if _, err := Preset(name + ".toml"); err != nil {
				t.Errorf("Preset(%q): %v", name+".toml", err)
			}
			disk, err := os.ReadFile(name + ".toml")
			if err != nil {
				t.Fatal(err)
			}
			if text, _ := PresetText(name); string(text) != string(disk) {
				t.Errorf("embedded %s.toml differs from the file", name)
			}
		})
	}
	for _, bad := range []string{"", "nope", "../configs/default", "configs/default"} {
		if _, err := Preset(bad); err == nil {
			t.Errorf("Preset(%q) succeeded", bad)
		}
	}
}

// TestPresetFacts pins what the presets promise in their comments.
func TestPresetFacts(t *testing.T) {
	tiny, _ := Preset("tiny")
	if got := tiny.Checkpoint.Steps(tiny.Schedule.Steps); !slices.Equal(got, []int{0, 1, 2, 4, 8, 10, 20, 30}) {
		t.Errorf("tiny checkpoints = %v", got)
	}
	fm, _ := Preset("fashion-mnist")
	if ch, h, w := fm.InputShape(); ch != 1 || h != 28 || w != 28 || fm.Classes() != 10 {
		t.Errorf("fashion-mnist input %dx%dx%d, %d classes", ch, h, w, fm.Classes())
	}
	cf, _ := Preset("cifar10")
	if ch, h, w := cf.InputShape(); ch != 3 || h != 32 || w != 32 || cf.Data.Path != "data/cifar-10-batches-bin" {
		t.Errorf("cifar10 input %dx%dx%d, path %q", ch, h, w, cf.Data.Path)
	}
	d := Defaults()
	if ch, h, w := d.InputShape(); ch != 3 || h != 32 || w != 32 || d.Classes() != 36 {
		t.Errorf("default input %dx%dx%d, %d classes", ch, h, w, d.Classes())
	}
	ax, _ := Preset("cifar10-alexnet")
	if ch, h, w := ax.InputShape(); ch != 3 || h != 32 || w != 32 || ax.Classes() != 10 || ax.Data.PreprocessKind() != PreprocessMeanImage || ax.Data.Preprocess.Scale != 1 {
		t.Errorf("cifar10-alexnet input %dx%dx%d, %d classes, preprocessing %+v", ch, h, w, ax.Classes(), ax.Data.Preprocess)
	}
	// 4000 steps of 128 on 50000 images is 10.24 epochs; the learning
	// rate drops once, at 75%; step 0 is kept.
	if s := ax.Schedule; s.Steps*ax.Optim.BatchSize != 512000 || s.LR != LRStep || s.StepEvery != 3000 || s.Steps/s.StepEvery != 1 {
		t.Errorf("cifar10-alexnet schedule %+v", s)
	}
	steps := ax.Checkpoint.Steps(ax.Schedule.Steps)
	for _, s := range steps {
		if !ax.Checkpoint.Retain(s, 4000, 4000, steps) {
			t.Errorf("cifar10-alexnet drops the weights of checkpoint %d", s)
		}
	}
}

// TestArrayReplacesDefault checks the BurntSushi pitfall: decoding an array
// of tables onto an existing slice fills the old elements in place, so a
// layer that omits a key would inherit the default layer's value.
func TestArrayReplacesDefault(t *testing.T) {
	tests := []struct {
		name, text string
		check      func(c *Config) bool
	}{
		{"inline array of tables", "[model]\nbranch = [{out = 8, kernel = 3}]\n", func(c *Config) bool {
			return reflect.DeepEqual(c.Model.Branch, []Layer{{Out: 8, Kernel: 3}})
		}},
		{"array of tables", "[[model.branch]]\nout = 8\nkernel = 7\n[[model.branch]]\nout = 4\nkernel = 1\npool = 2\n", func(c *Config) bool {
			return reflect.DeepEqual(c.Model.Branch, []Layer{{Out: 8, Kernel: 7}, {Out: 4, Kernel: 1, Pool: 2}})
		}},
		{"empty array", "[model]\ntrunk = []\n", func(c *Config) bool { return c.Model.Trunk == nil }},
		{"longer array", "[model]\nhidden = [32, 16, 8]\n", func(c *Config) bool {
			return slices.Equal(c.Model.Hidden, []int{32, 16, 8})
		}},
		{"table merges", "[data.synthetic]\nhues = 2\n", func(c *Config) bool {
			return c.Data.Synthetic == Synthetic{Forms: 6, Hues: 2, Size: 32, Noise: 0.25, Seed: 1}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("x.toml", []byte(tt.text))
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Errorf("got model %+v, data %+v", c.Model, c.Data)
			}
		})
	}
	if d := Defaults(); d.Model.Branch[0].Pool != 2 {
		t.Errorf("Parse changed the defaults: %+v", d.Model.Branch)
	}
}

func TestIntegersForFloats(t *testing.T) {
	c, err := Parse("x.toml", []byte("[optim]\nlr = 1\nweight_decay = 0\n[data.synthetic]\nnoise = 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Optim.LR != 1 || c.Optim.WeightDecay != 0 || c.Data.Synthetic.Noise != 1 {
		t.Errorf("got lr %v, weight_decay %v, noise %v", c.Optim.LR, c.Optim.WeightDecay, c.Data.Synthetic.Noise)
	}
}

// TestParseNameOnlyIsDefaults checks the way to train the defaults from a
// file (an empty one is an error, see TestHostileParse).
func TestParseNameOnlyIsDefaults(t *testing.T) {
	c, err := Parse("default.toml", []byte("name = \"default\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, Defaults()) {
		t.Errorf("name only gives %s", c.Canonical())
	}
}

func TestRegimeParses(t *testing.T) {
	text := `
[[regime.freeze]]
layer = "branch.*.1"
to = -1
[[regime.freeze]]
layer = "out"
from = 10
to = 20
[regime]
rerandomize = [{layer = "branch.0.0", every = 100}]
mixing = {layer = "branch.*.1", p = 0.25}
bias = {branch = 1, epsilon = 0.5, axis = "luminance"}
gray_branch = 1
`
	c, err := Parse("x.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	want := Interventions{
		Freeze:      []Freeze{{Layer: "branch.*.1", To: -1}, {Layer: "out", From: 10, To: 20}},
		Rerandomize: []Rerandomize{{Layer: "branch.0.0", Every: 100}},
		Mixing:      Mixing{Layer: "branch.*.1", P: 0.25},
		Bias:        Bias{Branch: 1, Epsilon: 0.5, Axis: BiasAxisLuminance},
		GrayBranch:  1,
	}
	if !reflect.DeepEqual(c.Regime, want) {
		t.Errorf("regime = %+v; want %+v", c.Regime, want)
	}
}

func TestSet(t *testing.T) {
	tests := []struct {
		assign string
		check  func(c *Config) bool
	}{
		{"optim.lr=0.01", func(c *Config) bool { return c.Optim.LR == 0.01 }},
		{" optim.lr = 1 ", func(c *Config) bool { return c.Optim.LR == 1 }},
		{"seed=42", func(c *Config) bool { return c.Seed == 42 }},
		{"optim.algorithm=sgd", func(c *Config) bool { return c.Optim.Algorithm == "sgd" }},
		{`optim.algorithm="sgd"`, func(c *Config) bool { return c.Optim.Algorithm == "sgd" }},
		{"name='run-2'", func(c *Config) bool { return c.Name == "run-2" }},
		{"regime.mixing.layer=branch.*.1", func(c *Config) bool { return c.Regime.Mixing.Layer == "branch.*.1" }},
		{"data.grayscale=true", func(c *Config) bool { return c.Data.Grayscale }},
		{"data.synthetic.size=48", func(c *Config) bool { return c.Data.Synthetic.Size == 48 }},
		{"model.hidden=[64, 32]", func(c *Config) bool { return slices.Equal(c.Model.Hidden, []int{64, 32}) }},
		{"model.trunk=[]", func(c *Config) bool { return c.Model.Trunk == nil }},
		{"model.branch[1].kernel=5", func(c *Config) bool {
			return c.Model.Branch[1] == Layer{Out: 16, Kernel: 5, Pool: 2} && c.Model.Branch[0].Kernel == 5
		}},
		{"model.branch[0]={out = 8}", func(c *Config) bool { return c.Model.Branch[0] == Layer{Out: 8, Kernel: 5, Pool: 2} }},
		{"model.branch=[{out = 8, kernel = 3}]", func(c *Config) bool { return reflect.DeepEqual(c.Model.Branch, []Layer{{Out: 8, Kernel: 3}}) }},
		{"regime.mixing={layer = \"branch.*.1\", p = 0.5}", func(c *Config) bool { return c.Regime.Mixing == Mixing{"branch.*.1", 0.5} }},
		{"regime.freeze=[{layer = \"branch.*.0\", to = -1}]", func(c *Config) bool {
			return reflect.DeepEqual(c.Regime.Freeze, []Freeze{{Layer: "branch.*.0", To: -1}})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.assign, func(t *testing.T) {
			c := Defaults()
			if err := c.Set(tt.assign); err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Errorf("after Set(%q):\n%s", tt.assign, c.Canonical())
			}
		})
	}
	// Overrides apply in order and do not touch other configs' slices.
	d := Defaults()
	c := d.Clone()
	for _, a := range []string{"model.branch[0].out=4", "model.branch[0].out=6"} {
		if err := c.Set(a); err != nil {
			t.Fatal(err)
		}
	}
	if c.Model.Branch[0].Out != 6 || d.Model.Branch[0].Out != 16 {
		t.Errorf("got out %d, original %d", c.Model.Branch[0].Out, d.Model.Branch[0].Out)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	own := filepath.Join(dir, "default.toml")
	if err := os.WriteFile(own, []byte("name = \"mine\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.toml")
	if err := os.WriteFile(bad, []byte("[optim]\nlr = 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path, name, err string
	}{
		{path: own, name: "mine"}, // a file on disk wins
		{path: "default", name: "default"},
		{path: "tiny.toml", name: "tiny"},
		{path: filepath.Join(dir, "configs", "fashion-mnist.toml"), name: "fashion-mnist"},
		{path: "configs/cifar10.toml", name: "cifar10"},
		{path: bad, err: bad + ":2: optim.lr: must be > 0 and finite, got 0"},
		{path: "nope", err: "configs: load (nope): open nope: no such file or directory; presets: cifar10, cifar10-alexnet, default, fashion-mnist, tiny"},
		{path: filepath.Join(dir, "tiny.toml"), err: "no such file"},       // a preset name in another directory
		{path: filepath.Join(dir, "configs", "tiny"), err: "no such file"}, // "configs/P" needs .toml
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			c, err := Load(tt.path)
			switch {
			case tt.err == "" && err != nil:
				t.Fatal(err)
			case tt.err == "" && c.Name != tt.name:
				t.Errorf("loaded %q; want %q", c.Name, tt.name)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("error %v; want %q", err, tt.err)
			}
		})
	}
	if _, err := Load("nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of a missing file: %v does not wrap fs.ErrNotExist", err)
	}
}

// TestLoadFromResolution holds the rule that tells a preset from a file:
// a bare word naming a preset is the preset, whatever directory of that
// name exists (before, a directory "tiny", which `run tiny --out .`
// creates, made `run tiny` fail with "read tiny: is a directory"), and an
// error when a regular file of that name exists too; everything else is a
// file, relative to the directory given.
func TestLoadFromResolution(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "tiny", "seed-1"), 0o755); err != nil {
		t.Fatal(err)
	}
	write("default", "name = \"shadow\"\n")
	write("mine", "name = \"mine\"\n")
	write("sub/x.toml", "name = \"x\"\n")
	tests := []struct {
		arg, name, err string
	}{
		{arg: "tiny", name: "tiny"},            // a directory named like the preset changes nothing
		{arg: "./tiny", err: "is a directory"}, // a path is a file
		{arg: "default", err: "default: names both the preset default and the file " + filepath.Join(dir, "default") + "; write ./default for the file, or move it"},
		{arg: "./default", name: "shadow"},
		{arg: "mine", name: "mine"}, // no preset: a file in dir
		{arg: "sub/x.toml", name: "x"},
		{arg: "cifar10.toml", name: "cifar10"}, // no such file: the preset
		{arg: "nope", err: "configs: load (" + filepath.Join(dir, "nope") + "): open " + filepath.Join(dir, "nope") + ": no such file or directory; presets: cifar10, cifar10-alexnet, default, fashion-mnist, tiny"},
	}
	for _, tt := range tests {
		t.Run(tt.arg, func(t *testing.T) {
			c, err := LoadFrom(dir, tt.arg)
			switch {
			case tt.err == "" && err != nil:
				t.Fatal(err)
			case tt.err == "" && c.Name != tt.name:
				t.Errorf("loaded %q; want %q", c.Name, tt.name)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("error %v; want %q", err, tt.err)
			}
		})
	}
	t.Chdir(dir) // Load reads from the working directory
	if c, err := Load("tiny"); err != nil || c.Name != "tiny" {
		t.Errorf("Load(tiny) beside a directory tiny: %v", err)
	}
}

func TestClone(t *testing.T) {
	c, err := Parse("x.toml", []byte("[model]\nper_branch = [[{out = 8, kernel = 3}], [{out = 8, kernel = 5}]]\nhidden = [8]\n[regime]\nfreeze = [{layer = \"out\", to = -1}]\nrerandomize = [{layer = \"out\", every = 5}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	n := c.Clone()
	if !reflect.DeepEqual(n, c) {
		t.Fatal("clone differs")
	}
	n.Model.Stem = append(n.Model.Stem, Layer{})
	n.Model.Branch[0].Out = 1
	n.Model.PerBranch[1][0].Out = 1
	n.Model.Trunk[0].Out = 1
	n.Model.Hidden[0] = 1
	n.Regime.Freeze[0].From = 1
	n.Regime.Rerandomize[0].Every = 1
	if c.Model.Stem != nil || c.Model.Branch[0].Out != 16 || c.Model.PerBranch[1][0].Out != 8 || c.Model.Trunk[0].Out != 64 ||
		c.Model.Hidden[0] != 8 || c.Regime.Freeze[0].From != 0 || c.Regime.Rerandomize[0].Every != 5 {
		t.Errorf("clone shares memory with the original:\n%s", c.Canonical())
	}
}

func TestBranchLayers(t *testing.T) {
	m := Defaults().Model
	if got := m.BranchLayers(1); !reflect.DeepEqual(got, m.Branch) {
		t.Errorf("BranchLayers(1) = %v", got)
	}
	m.PerBranch = [][]Layer{{{Out: 1, Kernel: 1}}, {{Out: 2, Kernel: 3}}}
	if got := m.BranchLayers(1); !reflect.DeepEqual(got, m.PerBranch[1]) {
		t.Errorf("BranchLayers(1) with per_branch = %v", got)
	}
}

// TestSetAllValidatesOnce: assignments that are only valid together apply
// together, and a failing list leaves the config unchanged.
func TestSetAllValidatesOnce(t *testing.T) {
	c := Defaults()
	if err := c.Set("schedule.steps=2"); err == nil {
		t.Fatal("schedule.steps=2 alone passed with warmup 50")
	}
	if err := c.SetAll([]string{"schedule.steps=2", "schedule.warmup=0"}); err != nil {
		t.Fatal(err)
	}
	if c.Schedule.Steps != 2 || c.Schedule.Warmup != 0 {
		t.Fatalf("schedule %+v", c.Schedule)
	}
	before := c.Clone()
	err := c.SetAll([]string{"optim.lr=0.5", "schedule.warmup=7"})
	if err == nil || err.Error() != "--set: schedule.warmup: must be in 0..1 (less than schedule.steps), got 7" {
		t.Fatalf("err = %v", err)
	}
	if !reflect.DeepEqual(c, before) {
		t.Fatal("a failed SetAll changed the config")
	}
}

// TestSetString: the assignment SetString makes sets a string key to any
// value exactly, quotes, backslashes, control characters and all.
func TestSetString(t *testing.T) {
	for _, v := range []string{"data/cifar10", `odd "dir"\x`, "'single'", "tab\there\nnewline\u0001", "ü/ß", ""} {
		c := Defaults()
		if err := c.SetAll([]string{`data.source="cifar10"`, "data.train_size=0", "data.test_size=0", SetString("data.path", v)}); err != nil && v != "" {
			t.Fatalf("%q: %v", v, err)
		}
		if v != "" && c.Data.Path != v {
			t.Errorf("SetString(%q) set %q", v, c.Data.Path)
		}
	}
}
