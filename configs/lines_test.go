package configs

import (
	"fmt"
	"maps"
	"strings"
	"testing"
)

func TestIndexLines(t *testing.T) {
	text := `# comment with a = b
name = "x" # trailing
[data]   # header comment
source = """
fake = 1
"""
path = 'a = [1'
[data.synthetic]
size = 16
[model]
branch = [
  # a comment inside
  {out = 8, kernel = 3},
  {out = 4,
   kernel = 5}, # TOML 1.1 multi-line inline table
]
per_branch = [[{out = 1}], [
  {out = 2}]]
"quoted key".x = 1
[[regime.freeze]]
layer = "out"
[[regime.freeze]]
layer = "stem.0"
`
	want := map[string]int{
		"name": 2, "data": 3, "data.source": 4, "data.path": 7,
		"data.synthetic": 8, "data.synthetic.size": 9,
		"model": 10, "model.branch": 11,
		"model.branch[0]": 13, "model.branch[0].out": 13, "model.branch[0].kernel": 13,
		"model.branch[1]": 14, "model.branch[1].out": 14, "model.branch[1].kernel": 15,
		"model.per_branch": 17, "model.per_branch[0]": 17, "model.per_branch[0][0]": 17,
		"model.per_branch[0][0].out": 17, "model.per_branch[1]": 17,
		"model.per_branch[1][0]": 18, "model.per_branch[1][0].out": 18,
		"model.quoted key": 19, "model.quoted key.x": 19,
		"regime": 20, "regime.freeze": 20, "regime.freeze[0]": 20, "regime.freeze[0].layer": 21,
		"regime.freeze[1]": 22, "regime.freeze[1].layer": 23,
	}
	x, err := scan("x.toml", text)
	if err != nil {
		t.Fatal(err)
	}
	got := x.paths()
	if !maps.Equal(got, want) {
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: line %d; want %d", k, got[k], v)
			}
		}
		for k, v := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("unexpected %s at line %d", k, v)
			}
		}
	}
	for key, line := range map[string]int{
		"model.branch[1].pool": 14, "model.trunk[0].out": 10, "optim.lr": 0, "": 0,
		"model.quoted key.x": 19, "model.per_branch[1][0].out": 18, "model.branch[9]": 11,
	} {
		if got := x.lookup(key); got != line {
			t.Errorf("lookup(%q) = %d; want %d", key, got, line)
		}
	}
}

// paths returns the line of every node by its whole key path.
func (x *keyIndex) paths() map[string]int {
	edges := make(map[int32]edge, len(x.children))
	for e, n := range x.children {
		edges[n] = e
	}
	var path func(n int32) string
	path = func(n int32) string {
		e := edges[n]
		switch {
		case e.index >= 0:
			return fmt.Sprintf("%s[%d]", path(e.parent), e.index)
		case e.parent == 0:
			return e.name
		}
		return path(e.parent) + "." + e.name
	}
	m := make(map[string]int, len(edges))
	for n := range edges {
		m[path(n)] = int(x.nodes[n].line)
	}
	return m
}

// TestScanLimits checks where the limits start and the positions of their
// errors, and that brackets in strings and comments do not count.
func TestScanLimits(t *testing.T) {
	tests := []struct {
		name, text string
		line, col  int // 0: no error
	}{
		{"depth 32", "a" + strings.Repeat(".a", 29) + " = [[1]]\n", 0, 0},
		{"depth 33", "a" + strings.Repeat(".a", 29) + " = [[[1]]]\n", 1, 66},
		{"key bytes 256", "[" + strings.Repeat("a", 254) + "]\nb = 1\n", 0, 0},
		{"key bytes 257", "[" + strings.Repeat("a", 254) + "]\nbc = 1\n", 2, 1},
		{"brackets in strings", `a = "` + strings.Repeat("[", 40) + `" # ` + strings.Repeat("[", 40) + "\n", 0, 0},
		{"brackets in multi-line strings", "a = '''\n" + strings.Repeat("[", 40) + "'''\nb = \"\"\"\\\"\"\"" + strings.Repeat("[", 40) + "\"\"\"\n", 0, 0},
		{"unterminated string", `a = "`, 0, 0},
		{"lone quote key", `"`, 0, 0},
		{"unterminated multi-line string", "a = '''\n" + strings.Repeat("[", 40), 0, 0},
		{"escaped quote", `a = "\"` + strings.Repeat("[", 40) + `"`, 0, 0},
		{"many flat arrays", strings.Repeat("a = [[1], [2]]\n", 100), 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := scan("x.toml", tt.text)
			switch {
			case tt.line == 0 && err != nil:
				t.Errorf("scan: %v", err)
			case tt.line != 0 && (err == nil || err.Line != tt.line || err.Col != tt.col):
				t.Errorf("scan: %v; want an error at %d:%d", err, tt.line, tt.col)
			}
		})
	}
}
