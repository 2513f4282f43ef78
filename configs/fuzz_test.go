package configs

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// Fuzz targets of parsing. Whatever the input, Parse and Set return an
// *Error or a valid config whose canonical text parses back to the same
// config and hash; and every text the limits let through is as shallow for
// BurntSushi/toml as the limits say. Seeds are in testdata/fuzz; make fuzz
// runs them.

// FuzzParse parses arbitrary text.
func FuzzParse(f *testing.F) {
	for _, name := range Presets() {
		text, err := PresetText(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(text)
	}
	f.Add([]byte(nested(33)))
	f.Add([]byte("[model]\nbranch = [{out = 8, kernel = 3}, {out = 4, kernel = 5, pool = 2}]\n"))
	f.Fuzz(func(t *testing.T, text []byte) {
		c, err := Parse("x.toml", text)
		if err != nil {
			checkError(t, err, "x.toml")
			checkShallow(t, string(text))
			return
		}
		checkValid(t, c)
	})
}

// FuzzSet applies two arbitrary overrides to the defaults.
func FuzzSet(f *testing.F) {
	f.Add("optim.lr=0.01", "model.branch[1].kernel=5")
	f.Add("schedule.steps=2", "schedule.warmup=0")
	f.Add("model.per_branch=[[{out = 8, kernel = 3}], [{out = 8, kernel = 5}]]", "regime.mixing={layer = \"branch.*.0\"}")
	f.Add("model.branch[1.kernel=5", "name=x")
	f.Add("model.hidden="+strings.Repeat("[", 40), "data.path=[abc")
	f.Fuzz(func(t *testing.T, a, b string) {
		c := Defaults()
		before := string(c.Canonical())
		if err := c.SetAll([]string{a, b}); err != nil {
			checkError(t, err, SetFile)
			if string(c.Canonical()) != before {
				t.Fatalf("SetAll failed (%v) and changed the config", err)
			}
			return
		}
		checkValid(t, c)
	})
}

// checkError checks that err is an *Error of file, on one line.
func checkError(t *testing.T, err error, file string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is %T, not *Error", err, err)
	}
	if e.File != file || strings.Contains(e.Error(), "\n") {
		t.Fatalf("error %q: want file %q and one line", e.Error(), file)
	}
}

// checkValid checks that c validates and that its canonical text parses
// back to c with the same hash.
func checkValid(t *testing.T, c *Config) {
	t.Helper()
	if err := c.Validate(); err != nil {
		t.Fatalf("accepted config does not validate: %v", err)
	}
	text := c.Canonical()
	back, err := Parse("canonical.toml", text)
	if err != nil {
		t.Fatalf("canonical text does not parse: %v\n%s", err, text)
	}
	if !reflect.DeepEqual(back, c) || back.Hash() != c.Hash() {
		t.Fatalf("canonical text parses to another config:\n%s\nthen\n%s", text, back.Canonical())
	}
}

// checkShallow checks that a text the limits let through, if
// BurntSushi/toml parses it, has no key path deeper than MaxDepth or
// longer than MaxKeyBytes: the scan saw the structure the parser did.
func checkShallow(t *testing.T, text string) {
	t.Helper()
	if _, err := scan("x.toml", text); err != nil {
		return
	}
	var raw map[string]any
	if _, err := toml.Decode(text, &raw); err != nil {
		return
	}
	if depth, bytes := treeSize(raw, 0); depth > MaxDepth || bytes > MaxKeyBytes {
		t.Fatalf("scan passed a text whose tree has a key path of %d parts and %d bytes", depth, bytes)
	}
}

// treeSize returns the most parts and the most key bytes (keys joined by
// dots) of the key paths in v, a tree BurntSushi/toml decoded, below a
// path of keyBytes bytes.
func treeSize(v any, keyBytes int) (depth, bytes int) {
	bytes = keyBytes
	visit := func(v any, kb int) {
		d, b := treeSize(v, kb)
		depth, bytes = max(depth, d+1), max(bytes, b)
	}
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			kb := keyBytes + len(k)
			if keyBytes > 0 {
				kb++
			}
			visit(e, kb)
		}
	case []map[string]any:
		for _, e := range v {
			visit(e, keyBytes)
		}
	case []any:
		for _, e := range v {
			visit(e, keyBytes)
		}
	}
	return depth, bytes
}
