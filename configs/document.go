package configs

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/BurntSushi/toml"
)

// Document is a TOML text read for strict decoding: its file name, the
// parsed tree and the line of every key, so that every error it reports
// names the file, the line and the key. Configs and experiment files are
// both decoded through it.
type Document struct {
	file string
	raw  map[string]any
	idx  *keyIndex
	keys []toml.Key // every key, in the order the text defines them
}

// ReadDocument checks text against the limits (MaxTextBytes, MaxDepth,
// MaxKeyBytes) and parses it; file names it in errors. A text past a limit
// or with a syntax error is an *Error with the line and column.
func ReadDocument(file string, text []byte) (*Document, error) {
	raw, idx, keys, e := decodeTOML(file, string(text))
	if e != nil {
		return nil, e
	}
	return &Document{file: file, raw: raw, idx: idx, keys: keys}, nil
}

// Empty reports whether the document sets no key at all.
func (d *Document) Empty() bool { return len(d.raw) == 0 }

// Decode assigns the document onto the struct v points to, strictly (see
// decode.go): every key must be a toml tag of the struct, spelt exactly;
// types must match; tables merge onto v's current values and arrays
// replace them. A map[string]T field takes any key, each value decoded as
// a T; an interface field takes the parsed value as is (int64, float64,
// string, bool, []any, map[string]any) for the caller to check. The error,
// if any, is the *Error of the earliest line.
func (d *Document) Decode(v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		panic(fmt.Sprintf("configs: Decode needs a pointer to a struct, got %T", v))
	}
	dec := decoder{line: d.idx.lookup}
	dec.table("", d.raw, rv.Elem())
	if dec.err != nil {
		return d.at(dec.err)
	}
	return nil
}

// Errorf returns an error about key ("seeds", "regimes.gray.set[1]")
// positioned at the line where the document defines it, or else its
// nearest enclosing key.
func (d *Document) Errorf(key, format string, args ...any) *Error {
	return d.at(keyError(key, fmt.Sprintf(format, args...)))
}

// at gives e the document's file and the line of e's key.
func (d *Document) at(e *Error) *Error {
	e.File = d.file
	if line := d.idx.lookup(e.Key); line != 0 {
		e.Line = line
	}
	e.src = d.idx.sourceLine(e.Line)
	return e
}

// Keys returns the keys directly inside the table at path ("" for the
// top level, "regimes" for [regimes.*]), in the order the text first
// defines them.
func (d *Document) Keys(path string) []string {
	var parent []string
	if path != "" {
		parent = strings.Split(path, ".")
	}
	var out []string
	seen := map[string]bool{}
	for _, k := range d.keys {
		if len(k) <= len(parent) || !equalPrefix(k, parent) {
			continue
		}
		if name := k[len(parent)]; !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out
}

func equalPrefix(k toml.Key, prefix []string) bool {
	for i, p := range prefix {
		if k[i] != p {
			return false
		}
	}
	return true
}
