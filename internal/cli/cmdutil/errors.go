package cmdutil

import (
	"errors"
	"fmt"
)

// FlagError is a usage mistake: the message is printed with the command's
// usage, and the exit code is 1.
type FlagError struct{ Err error }

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

// FlagErrorf makes a [FlagError].
func FlagErrorf(format string, args ...any) error {
	return &FlagError{Err: fmt.Errorf(format, args...)}
}

// ErrSilent means the command has printed its own diagnostics already; only
// the exit code is left to set.
var ErrSilent = errors.New("silent error")

// ExitError ends a command with a given exit code, e.g. 2 for drift found,
// after the command printed its result.
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// HintError carries hint lines printed under the error message.
type HintError struct {
	Err   error
	Hints []string
}

func (e *HintError) Error() string { return e.Err.Error() }
func (e *HintError) Unwrap() error { return e.Err }

// WithHint adds hint lines to an error.
func WithHint(err error, hints ...string) error {
	return &HintError{Err: err, Hints: hints}
}
