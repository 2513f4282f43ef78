package configs

import (
	"errors"
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
	file  string
	text  string
	raw   map[string]any
	lines keyLines
	keys  []toml.Key // every key, in the order the text defines them
}

// ReadDocument parses text; file names it in errors. A syntax error is an
// *Error with the line and column.
func ReadDocument(file string, text []byte) (*Document, error) {
	d := &Document{file: file, text: string(text)}
	md, err := toml.Decode(d.text, &d.raw)
	if err != nil {
		var pe toml.ParseError
		if !errors.As(err, &pe) {
			return nil, &Error{File: file, Msg: err.Error()}
		}
		e := &Error{File: file, Line: pe.Position.Line, Col: pe.Position.Col, Msg: "syntax error: " + pe.Message}
		e.src = sourceLine(d.text, e.Line)
		return nil, e
	}
	d.lines = indexLines(d.text)
	d.keys = md.Keys()
	return d, nil
}

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
	var dec decoder
	dec.table("", d.raw, rv.Elem())
	for _, e := range dec.errs {
		d.at(e)
	}
	if e := firstError(dec.errs); e != nil {
		return e
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
	e.Line = d.lines.lookup(e.Key)
	e.src = sourceLine(d.text, e.Line)
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
