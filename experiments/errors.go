package experiments

import (
	"errors"
	"fmt"
	"io"
	"os"

	"branchspec/results"
)

// ErrInvalid is matched (errors.Is) by the errors of a request an
// operation cannot take: options out of range or contradicting each other,
// an unknown table or grouping. Such an error says what was asked wrong,
// not that doing it failed; the command line reports it as a usage error.
var ErrInvalid = errors.New("invalid request")

// invalidError is an ErrInvalid whose text is its message alone.
type invalidError struct{ msg string }

func (e invalidError) Error() string        { return e.msg }
func (e invalidError) Is(target error) bool { return target == ErrInvalid }

// invalidf formats an error that matches ErrInvalid.
func invalidf(format string, args ...any) error {
	return invalidError{fmt.Sprintf(format, args...)}
}

// invalidWrap marks an error of another package as ErrInvalid, keeping
// its chain and text.
type invalidWrap struct{ error }

func (e invalidWrap) Is(target error) bool { return target == ErrInvalid }
func (e invalidWrap) Unwrap() error        { return e.error }

// outputErr marks the refusal of an output path (results.ErrRunStore: onto
// a run store; results.ErrNotEmpty: into a directory holding other files)
// as ErrInvalid: the request named the wrong place. Other errors pass.
func outputErr(err error) error {
	if errors.Is(err, results.ErrRunStore) || errors.Is(err, results.ErrNotEmpty) {
		return invalidWrap{err}
	}
	return err
}

// writeOutput writes the file at path through write, atomically and never
// onto a run store (results.WriteFile).
func writeOutput(path string, perm os.FileMode, write func(io.Writer) error) error {
	return outputErr(results.WriteFile(path, perm, write))
}

// CreateOutput starts the file at path for a writer that streams it (a
// CPU profile): it is refused, as ErrInvalid, where it would replace a run
// store, and appears at path only when Commit is called (results.Output).
func CreateOutput(path string) (*results.Output, error) {
	o, err := results.CreateOutput(path, 0o644)
	return o, outputErr(err)
}

// writeBytes is the write function of an output holding b.
func writeBytes(b []byte) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	}
}
