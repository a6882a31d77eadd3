package parse

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/fleetport/fleetport/internal/facts"
)

// The causes an [Error] wraps; match them with errors.Is.
var (
	// ErrUnknownFormat: the input, or a line of it, does not have the
	// structure of the command's output.
	ErrUnknownFormat = errors.New("unknown format")
	// ErrInvalidValue: a line has the right structure but a field in a
	// known position does not parse (an address, a number, a state word).
	ErrInvalidValue = errors.New("invalid value")
	// ErrEmpty: the input holds nothing to parse.
	ErrEmpty = errors.New("empty input")
	// ErrTooLarge: the input exceeds Options.MaxBytes.
	ErrTooLarge = errors.New("input too large")
	// ErrLineTooLong: a line exceeds Options.MaxLineBytes.
	ErrLineTooLong = errors.New("line too long")
	// ErrCodePage: Options.CodePage names a code page the parser cannot
	// decode.
	ErrCodePage = errors.New("unsupported code page")
	// ErrFailed: the output is the tool's own failure report (httpcfg
	// completed with a non-zero status, sc FAILED, a reg error other than
	// "not found", wmic's "ERROR:"): the command failed, its text was
	// understood.
	ErrFailed = errors.New("command reported failure")
	// ErrUnknownKind: [Parse] was given a kind that is not in [Kinds].
	ErrUnknownKind = errors.New("unknown parser kind")
)

// Error is the error every parser returns. Its cause (Err) is one of the
// sentinels above, sometimes joined with the error of strconv or netip
// that rejected a value.
type Error struct {
	// Kind is the parser kind ("netstat", "reg", ...).
	Kind string
	// Line is the 1-based line number in the decoded input, 0 when the
	// error concerns the input as a whole.
	Line int
	// Text is that line without its line ending, shortened to
	// MaxQuoteBytes.
	Text string
	// Msg says what is wrong: lower case, no final period.
	Msg string
	// Err is the cause.
	Err error
}

// MaxQuoteBytes bounds Error.Text.
const MaxQuoteBytes = 200

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("parse " + e.Kind)
	if e.Line > 0 {
		fmt.Fprintf(&b, ": line %d", e.Line)
	}
	if e.Msg != "" {
		b.WriteString(": " + e.Msg)
	} else if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, ": %q", e.Text)
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Fact turns the error into the per-fact error of a facts document.
func (e *Error) Fact(fact, command string) facts.FactError {
	st := facts.StatusParseError
	if errors.Is(e.Err, ErrFailed) {
		st = facts.StatusCommandFailed
	}
	msg := e.Msg
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	return facts.FactError{Fact: fact, Command: command, Status: st, Kind: e.Kind, Line: e.Line, Text: e.Text, Message: msg}
}

// quote shortens a line for Error.Text, on a rune boundary.
func quote(line string) string {
	if len(line) <= MaxQuoteBytes {
		return line
	}
	cut := MaxQuoteBytes
	for cut > 0 && !utf8.RuneStart(line[cut]) {
		cut--
	}
	return line[:cut] + "…"
}

// lineErr builds an Error about one line.
func lineErr(kind string, n int, line string, cause error, format string, a ...any) *Error {
	return &Error{Kind: kind, Line: n, Text: quote(line), Msg: fmt.Sprintf(format, a...), Err: cause}
}

// valueErr is lineErr for ErrInvalidValue, joined with the error that
// rejected the value.
func valueErr(kind string, n int, line string, why error, format string, a ...any) *Error {
	cause := ErrInvalidValue
	if why != nil {
		cause = fmt.Errorf("%w: %w", ErrInvalidValue, why)
	}
	return lineErr(kind, n, line, cause, format, a...)
}

// inputErr builds an Error about the whole input.
func inputErr(kind string, cause error, format string, a ...any) *Error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, a...), Err: cause}
}
