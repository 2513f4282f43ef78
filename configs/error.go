package configs

import (
	"strconv"
	"strings"
	"unicode"
)

// SetFile is the File of errors from Config.Set.
const SetFile = "--set"

// Error is the one error type of this package: texts past the limits,
// syntax errors, unknown or misspelt keys, type errors, out-of-range values
// and impossible architectures. Parse, Load, Preset, Set, Validate,
// ReadFile and CheckText return it as *Error (Load and ReadFile also
// return I/O errors).
type Error struct {
	File string // file name given to Parse, SetFile for Set, "" from Validate
	Line int    // 1-based line of the key or syntax error; 0 if unknown
	Col  int    // 1-based column of a syntax error; 0 if unknown
	Key  string // dotted key path with indexes, e.g. "model.branch[1].pool"; "" if none
	Msg  string // what is wrong and what is allowed

	src string // the offending source line, for Snippet; "" if unknown
}

// Error renders the error on one line:
//
//	configs/x.toml:12: optim.lr: must be > 0, got -1
//	x.toml:3:7: syntax error: expected value but found '\n' instead
//	--set: optim.lr: want a float, got string "fast"
//	optim.lr: must be > 0, got -1                      (from Validate)
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(oneLine(e.File))
		if e.Line > 0 {
			b.WriteString(":" + strconv.Itoa(e.Line))
			if e.Col > 0 {
				b.WriteString(":" + strconv.Itoa(e.Col))
			}
		}
		b.WriteString(": ")
	}
	if e.Key != "" {
		b.WriteString(oneLine(e.Key) + ": ")
	}
	b.WriteString(oneLine(e.Msg))
	return b.String()
}

// oneLine escapes the control characters of s (a newline in a quoted TOML
// key, say) as Go does in strings, so that an error stays on one line.
func oneLine(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Snippet renders the error followed by the offending source line (its
// first 200 bytes) and, for syntax errors and limits, a caret under the
// column when it is shown. Without a known line it is Error().
func (e *Error) Snippet() string {
	if e.src == "" || e.Line == 0 {
		return e.Error()
	}
	s := e.Error() + "\n" + strconv.Itoa(e.Line) + " | " + e.src
	if e.Col > 0 && e.Col <= len(e.src) {
		pad := len(strconv.Itoa(e.Line)) + 3 + e.Col - 1
		s += "\n" + strings.Repeat(" ", pad) + "^"
	}
	return s
}

// errorf makes a key error with no position; Parse adds the position.
func keyError(key, msg string) *Error {
	return &Error{Key: key, Msg: msg}
}
