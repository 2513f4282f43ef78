package configs

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/BurntSushi/toml"
)

// Limits on every TOML text this package reads: config files, presets, the
// config text stored with a run, --set values and, through ReadFile and
// CheckText, experiment files. They exist because BurntSushi/toml recurses
// once per level of nesting (6 MB of "[" overflowed the 1 GB goroutine
// stack) and keeps every key's whole path, as a string and as a slice, so
// that its memory grows as keys times path length; within the limits both
// are linear in the text. No config comes near them: the deepest key path
// of the schema, model.per_branch[0][1].kernel, has 5 parts.
const (
	// MaxTextBytes is the longest text read, 1 MiB; a file is read no
	// further, whatever it is (/dev/zero, a pipe).
	MaxTextBytes = 1 << 20
	// MaxDepth is the most parts a key path has, counting each key and
	// each array index: model.branch[0].out has 4.
	MaxDepth = 32
	// MaxKeyBytes is the longest key path in bytes: its keys joined by
	// dots, without array indexes.
	MaxKeyBytes = 256
)

// The messages of the limit errors.
var (
	textLimit  = fmt.Sprintf("config text is limited to %d bytes (1 MiB)", MaxTextBytes)
	depthLimit = fmt.Sprintf("nested too deep: a key path has at most %d parts (keys and array indexes; model.branch[0].out has 4)", MaxDepth)
	keyLimit   = fmt.Sprintf("key path too long: at most %d bytes (keys joined by dots)", MaxKeyBytes)
)

// ReadFile reads the TOML text of the file at path, at most MaxTextBytes
// of it, so that no file (a device such as /dev/zero, a pipe that never
// ends) makes the reader run out of memory. A longer file is an *Error
// naming it; I/O errors are those of the os package (fs.ErrNotExist for a
// missing file).
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > MaxTextBytes {
		return nil, &Error{File: path, Msg: fmt.Sprintf("%d bytes; %s", fi.Size(), textLimit)}
	}
	return readText(path, f)
}

// readText reads r to its end or to one byte past MaxTextBytes, which is
// an *Error naming name.
func readText(name string, r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxTextBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxTextBytes {
		return nil, &Error{File: name, Msg: fmt.Sprintf("more than %d bytes; %s", MaxTextBytes, textLimit)}
	}
	return b, nil
}

// CheckText returns an *Error, with the line and column where it can say,
// if text exceeds MaxTextBytes, MaxDepth or MaxKeyBytes; filename only
// labels the error. Any TOML text must pass it before BurntSushi/toml
// parses it; Parse and Set do so.
func CheckText(filename string, text []byte) error {
	if _, err := scan(filename, string(text)); err != nil {
		return err
	}
	return nil
}

// decodeTOML checks text against the limits and parses it, returning the
// tree BurntSushi/toml decodes and the lines of its keys. Errors are
// *Error: a limit exceeded, or a syntax error with its line and column.
func decodeTOML(filename, text string) (map[string]any, *keyIndex, []toml.Key, *Error) {
	idx, e := scan(filename, text)
	if e != nil {
		return nil, nil, nil, e
	}
	var raw map[string]any
	md, err := toml.Decode(text, &raw)
	if err != nil {
		var pe toml.ParseError
		if !errors.As(err, &pe) {
			return nil, nil, nil, &Error{File: filename, Msg: err.Error()}
		}
		e := &Error{File: filename, Line: pe.Position.Line, Col: pe.Position.Col,
			Msg: "syntax error: " + pe.Message}
		e.src = idx.sourceLine(e.Line)
		return nil, nil, nil, e
	}
	return raw, idx, md.Keys(), nil
}
