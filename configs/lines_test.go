package configs

import (
	"maps"
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
	want := keyLines{
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
	got := indexLines(text)
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
	} {
		if got := got.lookup(key); got != line {
			t.Errorf("lookup(%q) = %d; want %d", key, got, line)
		}
	}
}
