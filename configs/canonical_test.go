package configs

import (
	"flag"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// rich returns a valid config in which every slice is non-empty and the
// strings and floats are awkward to print.
func rich(t *testing.T) *Config {
	t.Helper()
	c, err := Parse("rich.toml", []byte(`
name = "rich_run-1.b"
seed = 9223372036854775807
[data]
source = "cifar10"
path = "data/\"odd\" dir\\ü\ttab"
train_size = 0
test_size = 10000
grayscale = true
[data.synthetic]
noise = 0.30000000000000004
[model]
branches = 3
stem = [{out = 3, kernel = 1, pool = 1}]
per_branch = [
  [{out = 8, kernel = 3, pool = 2}, {out = 8, kernel = 3}],
  [{out = 8, kernel = 5, pool = 2}, {out = 8, kernel = 1}],
  [{out = 8, kernel = 7, pool = 2}, {out = 8, kernel = 3, pool = 1}, {out = 6, kernel = 3}],
]
trunk = [{out = 16, kernel = 3, pool = 2}, {out = 16, kernel = 3, pool = 2}]
hidden = [32, 16]
bias = false
init = "glorot"
[optim]
algorithm = "sgd"
lr = 5e-324
momentum = 0.95
nesterov = true
eps = 1e-300
weight_decay = 1e21
[schedule]
steps = 100000
lr = "step"
min_lr = 1
[checkpoint]
keep = "last"
[metrics]
enabled = false
[regime]
freeze = [{layer = "branch.*.1", from = 10, to = -1}, {layer = "out", from = 0, to = 100000}]
rerandomize = [{layer = "stem.0", every = 7}]
mixing = {layer = "branch.*.1", p = 1e-3}
`))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCanonicalRoundTrip(t *testing.T) {
	configs := map[string]*Config{"defaults": Defaults(), "rich": rich(t)}
	for _, name := range Presets() {
		c, err := Preset(name)
		if err != nil {
			t.Fatal(err)
		}
		configs["preset "+name] = c
	}
	for name, c := range configs {
		t.Run(name, func(t *testing.T) {
			text := c.Canonical()
			back, err := Parse("canonical.toml", text)
			if err != nil {
				t.Fatalf("%v\n%s", err, text)
			}
			if !reflect.DeepEqual(back, c) {
				t.Errorf("round trip differs:\n got: %s\nwant: %s", back.Canonical(), text)
			}
			if string(back.Canonical()) != string(text) {
				t.Error("canonical text is not a fixed point")
			}
		})
	}
}

func TestCanonicalGolden(t *testing.T) {
	tests := []struct {
		file string
		c    *Config
	}{
		{"testdata/default.canonical.toml", Defaults()},
		{"testdata/rich.canonical.toml", rich(t)},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := tt.c.Canonical()
			if *update {
				if err := os.WriteFile(tt.file, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(tt.file)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if string(got) != string(want) {
				t.Errorf("Canonical() differs from %s (run go test -update if intended):\n%s", tt.file, got)
			}
		})
	}
}

func TestHash(t *testing.T) {
	// The hash of the defaults is pinned: if it changes, runs stored before
	// no longer match their config. Value computed by this package and
	// checked with `sha256sum testdata/default.canonical.toml`.
	const defaultHash = "6eaedf09dad9d8346ddb08a840ab21bbe1644f71e88a6d10050b969aaddc3a49"
	if got := Defaults().Hash(); got != defaultHash {
		t.Errorf("Defaults().Hash() = %s; want %s", got, defaultHash)
	}
	base := rich(t)
	if base.Hash() != rich(t).Hash() || base.Hash() != base.Clone().Hash() {
		t.Fatal("equal configs hash differently")
	}
	// Changing any single value, or any slice's length, changes the hash.
	seen := map[string]string{base.Hash(): "base"}
	n := 0
	mutations(reflect.ValueOf(base).Elem(), "", func(path string) {
		n++
		h := base.Hash()
		if prev, ok := seen[h]; ok {
			t.Errorf("changing %s gives the hash of %s", path, prev)
		}
		seen[h] = path
	})
	if n < 60 {
		t.Errorf("only %d mutations tried", n)
	}
}

// mutations changes each leaf of rv in turn (and grows each slice), calls
// check, and restores the value.
func mutations(rv reflect.Value, path string, check func(path string)) {
	switch rv.Kind() {
	case reflect.Struct:
		for _, f := range tomlFields(rv.Type()) {
			mutations(rv.Field(f.index), joinKey(path, f.name), check)
		}
	case reflect.Slice:
		for i := range rv.Len() {
			mutations(rv.Index(i), path+"["+string(rune('0'+i))+"]", check)
		}
		old := reflect.ValueOf(rv.Interface())
		rv.Set(reflect.Append(rv, reflect.Zero(rv.Type().Elem())))
		check(path + "+")
		rv.Set(old)
	default:
		old := reflect.ValueOf(rv.Interface())
		switch rv.Kind() {
		case reflect.String:
			rv.SetString(rv.String() + "x")
		case reflect.Bool:
			rv.SetBool(!rv.Bool())
		case reflect.Int:
			rv.SetInt(rv.Int() + 1)
		case reflect.Uint64:
			rv.SetUint(rv.Uint() - 1)
		case reflect.Float64:
			rv.SetFloat(math.Nextafter(rv.Float(), math.Inf(1)))
		}
		check(path)
		rv.Set(old)
	}
}

// TestCanonicalOmitsDefaults: keys added after runs were stored are left
// out of the canonical text at their defaults (so the defaults' text and
// hash, pinned above, are those from before them) and written, with
// everything else, when set; the text parses back to the same config.
func TestCanonicalOmitsDefaults(t *testing.T) {
	text := string(Defaults().Canonical())
	for _, key := range []string{"[data.folder]", "[data.preprocess]", "[data.augment]", "[model.lrn]", "init_std", "global_pool", "stride", "lrn", "activation", "bias_init", "gray_branch", "axis"} {
		if strings.Contains(text, key) {
			t.Errorf("the defaults' canonical text names %q", key)
		}
	}
	c, err := Parse("x.toml", []byte(`
[data.preprocess]
kind = "mean-image"
[data.augment]
flip = true
[model]
branch = [{out = 4, kernel = 3, stride = 2, lrn = true, activation = "linear", init_std = 0.5, bias_init = -0.0}, {out = 4, kernel = 3, pool = 2, pool_stride = 2}]
init = "normal"
[regime]
gray_branch = 0
bias = {epsilon = 0.5, axis = "luminance"}
`))
	if err != nil {
		t.Fatal(err)
	}
	got := string(c.Canonical())
	for _, want := range []string{
		"\n[data.preprocess]\nkind = \"mean-image\"\nscale = \"fit\"\n",
		"\n[data.augment]\npad = 0\nflip = true\n",
		`branch = [{out = 4, kernel = 3, pool = 0, stride = 2, lrn = true, activation = "linear", init_std = 0.5, bias_init = -0.0}, {out = 4, kernel = 3, pool = 2, pool_stride = 2}]`,
		"init = \"normal\"\n",
		"\ngray_branch = 0\n",
		"\n[regime.bias]\nbranch = 0\nepsilon = 0.5\naxis = \"luminance\"\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("canonical text lacks %q:\n%s", want, got)
		}
	}
	for _, absent := range []string{"[data.folder]", "[model.lrn]", "init_std = 0.01", "global_pool"} {
		if strings.Contains(got, absent) {
			t.Errorf("canonical text names %q at its default:\n%s", absent, got)
		}
	}
	back, err := Parse("canonical.toml", []byte(got))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, c) || math.Signbit(back.Model.Branch[0].BiasInit) != true {
		t.Errorf("round trip differs:\n%s", back.Canonical())
	}
}

// TestScaleValues: data.preprocess.scale is a number > 0 or "fit", in the
// file and on the command line, and "fit" is how it is written back.
func TestScaleValues(t *testing.T) {
	for _, tt := range []struct {
		text string
		set  string
		want Scale
	}{
		{"scale = 1", "data.preprocess.scale=1", 1},
		{"scale = 0.015625", "data.preprocess.scale=0.015625", 0.015625},
		{`scale = "fit"`, "data.preprocess.scale=fit", ScaleFit},
		{`scale = "fit"`, `data.preprocess.scale="fit"`, ScaleFit},
	} {
		c, err := Parse("x.toml", []byte("[data.preprocess]\nkind = \"mean-image\"\n"+tt.text+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		s := Defaults()
		if err := s.SetAll([]string{`data.preprocess.kind="mean-image"`, tt.set}); err != nil {
			t.Fatal(err)
		}
		if c.Data.Preprocess.Scale != tt.want || s.Data.Preprocess.Scale != tt.want {
			t.Errorf("%s / %s: scale %v and %v, want %v", tt.text, tt.set, c.Data.Preprocess.Scale, s.Data.Preprocess.Scale, tt.want)
		}
		if !strings.Contains(string(c.Canonical()), "\n"+tt.text+"\n") && tt.want == ScaleFit {
			t.Errorf("canonical text of %s:\n%s", tt.text, c.Canonical())
		}
	}
}
