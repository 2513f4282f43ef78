package configs

import (
	"slices"
	"testing"
)

// TestDocumentDecode: a document decodes strictly onto any struct with
// toml tags, maps take free keys, interface fields take the parsed value,
// and errors carry the file, line and key.
func TestDocumentDecode(t *testing.T) {
	type entry struct {
		Set []string `toml:"set"`
	}
	type file struct {
		Name    string           `toml:"name"`
		Seeds   any              `toml:"seeds"`
		Entries map[string]entry `toml:"entries"`
	}
	text := "name = \"x\"\nseeds = [3, 1]\n[entries.zeta]\nset = [\"a=1\"]\n[entries.alpha]\n"
	doc, err := ReadDocument("f.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	var f file
	if err := doc.Decode(&f); err != nil {
		t.Fatal(err)
	}
	if f.Name != "x" || len(f.Entries) != 2 || !slices.Equal(f.Entries["zeta"].Set, []string{"a=1"}) || f.Entries["alpha"].Set != nil {
		t.Errorf("decoded %+v", f)
	}
	if s, ok := f.Seeds.([]any); !ok || len(s) != 2 || s[0] != int64(3) {
		t.Errorf("seeds %#v, want the parsed array", f.Seeds)
	}
	if got := doc.Keys("entries"); !slices.Equal(got, []string{"zeta", "alpha"}) {
		t.Errorf("Keys(entries) = %v, want file order [zeta alpha]", got)
	}
	if got := doc.Keys(""); !slices.Equal(got, []string{"name", "seeds", "entries"}) {
		t.Errorf("Keys() = %v", got)
	}
	if got := doc.Errorf("entries.zeta.set[0]", "bad %s", "value").Error(); got != "f.toml:4: entries.zeta.set[0]: bad value" {
		t.Errorf("Errorf: %q", got)
	}

	tests := []struct{ text, want string }{
		{"[entries.a]\nSet = []\n", `f.toml:2: entries.a.Set: keys are case-sensitive: write "entries.a.set"`},
		{"[entries.a]\nset = [1]\n", `f.toml:2: entries.a.set[0]: want a string, got integer 1`},
		{"entries = 3\n", `f.toml:1: entries: want a table, got integer 3`},
		{"nam = 1\n", `f.toml:1: nam: unknown key (did you mean "name"?)`},
	}
	for _, tt := range tests {
		doc, err := ReadDocument("f.toml", []byte(tt.text))
		if err != nil {
			t.Fatal(err)
		}
		var f file
		if err := doc.Decode(&f); err == nil || err.Error() != tt.want {
			t.Errorf("%q: error %v, want %s", tt.text, err, tt.want)
		}
	}
}
