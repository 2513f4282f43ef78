package experiments

import (
	"errors"
	"fmt"
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
