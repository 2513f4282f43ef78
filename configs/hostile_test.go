package configs

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Hostile inputs: texts and overrides built to exhaust memory, time or the
// stack of a parser, and values far outside what a run can hold. Each must
// give exactly its error, quickly.

// nested returns "x = " and n nested arrays around 1.
func nested(n int) string {
	return "x = " + strings.Repeat("[", n) + "1" + strings.Repeat("]", n) + "\n"
}

// unknownKeys returns n lines "kI = 1".
func unknownKeys(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "k%d = 1\n", i)
	}
	return b.String()
}

// layers returns an inline array of n layers "{out = 4, kernel = 1}".
func layers(n int) string {
	return "[" + strings.TrimSuffix(strings.Repeat("{out = 4, kernel = 1}, ", n), ", ") + "]"
}

// depthMsg and sizeMsg are the texts of the limit errors.
const (
	depthMsg   = "nested too deep: a key path has at most 32 parts (keys and array indexes; model.branch[0].out has 4)"
	keyLongMsg = "key path too long: at most 256 bytes (keys joined by dots)"
	sizeMsg    = "config text is limited to 1048576 bytes (1 MiB)"
)

func TestHostileParse(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		// Limits of the text.
		{"nesting 33 arrays", nested(33), "x.toml:1:37: " + depthMsg},
		{"nesting 10000 arrays (20 KB)", nested(10000), "x.toml:1:37: " + depthMsg},
		{"nesting inline tables", "x = " + strings.Repeat("{a = ", 40) + "1" + strings.Repeat("}", 40) + "\n",
			"x.toml:1:" + fmt.Sprint(6+31*5) + ": " + depthMsg},
		{"nesting dotted key", "x" + strings.Repeat(".a", 40) + " = 1\n", "x.toml:1:1: " + depthMsg},
		{"nesting table header", "[x" + strings.Repeat(".a", 40) + "]\n", "x.toml:1:1: " + depthMsg},
		{"nesting under a header", "[a.b.c]\nd = " + strings.Repeat("[", 29) + "1" + strings.Repeat("]", 29) + "\n",
			"x.toml:2:34: " + depthMsg},
		{"nesting after a syntax error", "x = \n" + nested(40), "x.toml:2:37: " + depthMsg},
		{"long key", "[" + strings.Repeat("a", 200) + "]\n" + strings.Repeat("b", 60) + " = 1\n", "x.toml:2:1: " + keyLongMsg},
		{"long quoted key", `"` + strings.Repeat("é", 129) + `" = 1` + "\n", "x.toml:1:1: " + keyLongMsg},
		{"huge text", "name = \"x\"\n" + strings.Repeat("# filler\n", MaxTextBytes/9), "x.toml: 1048583 bytes; " + sizeMsg},
		{"empty", "", `x.toml: no keys set; an empty config is refused so that it does not train the defaults unnoticed (set at least name = "...")`},
		{"comments only", "# nothing\n\n", `x.toml: no keys set; an empty config is refused so that it does not train the defaults unnoticed (set at least name = "...")`},

		// Many errors: the first, in document order.
		{"40000 unknown keys", unknownKeys(40000),
			"x.toml:1: k0: unknown key; allowed here: name, seed, data, model, optim, schedule, checkpoint, metrics, regime"},

		// Types.
		{"float for count", "[metrics]\npermutations = 1e12\n", "x.toml:2: metrics.permutations: want an integer, got float 1e+12"},
		{"string for table", "model = \"big\"\n", `x.toml:1: model: want a table, got string "big"`},
		{"array for number", "[optim]\nlr = [[[1]]]\n", "x.toml:2: optim.lr: want a number, got an array"},

		// Values far out of range.
		{"permutations 1e12", "[metrics]\npermutations = 1000000000000\n",
			"x.toml:2: metrics.permutations: must be in 1..100000, got 1000000000000"},
		{"shuffles 1e12", "[metrics]\nshuffles = 1000000000000\n",
			"x.toml:2: metrics.shuffles: must be in 1..100000, got 1000000000000"},
		{"negative permutations", "[metrics]\npermutations = -5\n",
			"x.toml:2: metrics.permutations: must be in 1..100000, got -5"},
		{"probes 1e5", "[metrics]\nprobes = 100000\n", "x.toml:2: metrics.probes: must be in 1..4096, got 100000"},
		{"4000-layer branch", "[model]\nbranch = " + layers(4000) + "\n",
			"x.toml:2: model.branch: must have at most 32 layers, got 4000"},
		{"4000-layer trunk", "[model]\ntrunk = " + layers(4000) + "\n",
			"x.toml:2: model.trunk: must have at most 32 layers, got 4000"},
		{"4000 hidden layers", "[model]\nhidden = [" + strings.TrimSuffix(strings.Repeat("8, ", 4000), ", ") + "]\n",
			"x.toml:2: model.hidden: must have at most 32 layers, got 4000"},
		{"train_size 1e6 at size 64", "[data]\ntrain_size = 1000000\n[data.synthetic]\nsize = 64\n",
			`x.toml:2: data.train_size: must be in 1..100000 for source "synthetic", got 1000000`},
		{"test_size 1e6", "[data]\ntest_size = 1000000\n",
			`x.toml:2: data.test_size: must be in 1..100000 for source "synthetic", got 1000000`},
		{"steps 1e12", "[schedule]\nsteps = 1000000000000\n",
			"x.toml:2: schedule.steps: must be in 1..100000000, got 1000000000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("x.toml", []byte(tt.text))
			if err == nil {
				t.Fatalf("Parse succeeded (%s); want error %s", c.Name, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is %T; want *Error", err, err)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error\n got: %.300s\nwant: %s", got, tt.want)
			}
		})
	}
}

// TestHostileSet holds the errors of --set overrides built like the hostile
// texts: the same limits apply to a value as to a file.
func TestHostileSet(t *testing.T) {
	tests := []struct {
		name, assign, want string
	}{
		{"unclosed bracket", "model.branch[1.kernel=5",
			`--set: model.branch[1.kernel: unclosed "[" in model.branch[1; write model.branch[N] with N >= 0`},
		{"unclosed bracket at end", "model.hidden[0=5",
			`--set: model.hidden[0: unclosed "[" in model.hidden[0; write model.hidden[N] with N >= 0`},
		{"text after index", "model.branch[1]x.kernel=5",
			`--set: model.branch[1]x.kernel: unexpected "x" after model.branch[1]; write model.branch[N] with N >= 0`},
		{"empty index", "model.branch[].kernel=5",
			`--set: model.branch[].kernel: bad index ""; write model.branch[N] with N >= 0`},
		{"unclosed value bracket", "model.hidden=[64",
			`--set: model.hidden: cannot read "[64" as one TOML value (want an array)`},
		{"deep value", "model.hidden=" + strings.Repeat("[", 40) + strings.Repeat("]", 40),
			"--set: model.hidden: " + depthMsg},
		{"long key in value", "regime.mixing={" + strings.Repeat("a", 300) + " = 1}",
			"--set: regime.mixing: " + keyLongMsg},
		{"huge value", "name=" + strings.Repeat("a", MaxTextBytes),
			"--set: 1048581 bytes; " + sizeMsg},
		{"huge value in message", "optim.lr=" + strings.Repeat("9", 100) + "x",
			`--set: optim.lr: cannot read "9999999999999999999999999999999999999..." as one TOML value (want a number)`},
		{"permutations 1e12", "metrics.permutations=1000000000000",
			"--set: metrics.permutations: must be in 1..100000, got 1000000000000"},
		{"4000-layer branch", "model.branch=" + layers(4000),
			"--set: model.branch: must have at most 32 layers, got 4000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Defaults()
			err := c.Set(tt.assign)
			if err == nil {
				t.Fatalf("Set succeeded; want error %s", tt.want)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error\n got: %.300s\nwant: %s", got, tt.want)
			}
			if string(c.Canonical()) != string(Defaults().Canonical()) {
				t.Errorf("failed Set changed the config")
			}
		})
	}
}

// zeros is an endless reader of zero bytes, like /dev/zero.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	clear(p)
	z.n += int64(len(p))
	return len(p), nil
}

// TestReadCapped checks that an endless file is read only up to the limit
// and that a long one is refused before it is read.
func TestReadCapped(t *testing.T) {
	z := &zeros{}
	_, err := readText("zero", z)
	want := "zero: more than 1048576 bytes; " + sizeMsg
	if err == nil || err.Error() != want {
		t.Errorf("error\n got: %v\nwant: %s", err, want)
	}
	if z.n > 2*MaxTextBytes {
		t.Errorf("read %d bytes of an endless file", z.n)
	}
	big := filepath.Join(t.TempDir(), "big.toml")
	if err := os.WriteFile(big, make([]byte, MaxTextBytes+1), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(big)
	want = big + ": 1048577 bytes; " + sizeMsg
	if err == nil || err.Error() != want {
		t.Errorf("Load(big.toml) error\n got: %v\nwant: %s", err, want)
	}
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	_, err = Load("/dev/zero")
	want = "/dev/zero: more than 1048576 bytes; " + sizeMsg
	if err == nil || err.Error() != want {
		t.Errorf("Load(/dev/zero) error\n got: %v\nwant: %s", err, want)
	}
}

// TestParseLinear checks that the work of parsing grows linearly with the
// text, on the shapes that made it grow faster: for each, the bytes
// allocated for a text 8 times longer must be less than 12 times as many
// (16 and more for quadratic growth, 64 if on every byte). Allocation
// counts, unlike durations, do not depend on the machine's load.
func TestParseLinear(t *testing.T) {
	const ratio = 12.0
	shapes := []struct {
		name string
		text func(n int) string
	}{
		{"unknown keys", unknownKeys},
		{"array elements", func(n int) string {
			return "[model]\nhidden = [" + strings.TrimSuffix(strings.Repeat("8, ", n), ", ") + "]\n"
		}},
		{"keys under a long header", func(n int) string {
			return "[" + strings.Repeat("a", 250) + "]\n" + unknownKeys(n)
		}},
		{"keys under a deep header", func(n int) string {
			return "[a" + strings.Repeat(".a", 30) + "]\n" + unknownKeys(n)
		}},
		{"arrays of tables", func(n int) string {
			return strings.Repeat("[[regime.freeze]]\nlayer = \"out\"\nto = -1\n", n)
		}},
		{"nested arrays", func(n int) string { return nested(n) }},
		{"long line", func(n int) string { return "name = \"" + strings.Repeat("a", 100*n) + "\"\n" }},
	}
	for _, sh := range shapes {
		t.Run(sh.name, func(t *testing.T) {
			small, large := sh.text(1000), sh.text(8000)
			a, b := allocated(small), allocated(large)
			if float64(b) > ratio*float64(a) {
				t.Errorf("parsing %d bytes allocated %d bytes, %d bytes %d: %.1f times for 8 times the text",
					len(small), a, len(large), b, float64(b)/float64(a))
			}
		})
	}
}

// allocated returns the bytes allocated by Parse(text), the least of
// three runs.
func allocated(text string) uint64 {
	least := ^uint64(0)
	for range 3 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, _ = Parse("x.toml", []byte(text))
		runtime.ReadMemStats(&after)
		least = min(least, after.TotalAlloc-before.TotalAlloc)
	}
	return least
}

var _ io.Reader = (*zeros)(nil)
