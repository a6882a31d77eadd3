// Package cmdutil holds what every fleetport command shares: the I/O
// streams, the factory of lazily built dependencies, the error kinds that
// become exit codes, and the shared flags.
//
// Output rules for every command: data goes to Out, progress and
// diagnostics to ErrOut. Messages are lower-case, prefixed "fleetport:",
// without a final period; hints follow on "hint:" lines.
package cmdutil

import (
	"bytes"
	"io"
	"os"
	"strconv"

	"golang.org/x/term"
)

// IOStreams are a command's standard streams.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	outTTY  bool
	noColor bool
}

// System returns the process's own streams.
func System() *IOStreams {
	_, noColor := os.LookupEnv("NO_COLOR")
	return &IOStreams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		outTTY:  term.IsTerminal(int(os.Stdout.Fd())),
		noColor: noColor,
	}
}

// Test returns streams backed by buffers: stdin, stdout, stderr.
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	in, out, errOut := &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut, noColor: true}, in, out, errOut
}

// IsStdoutTTY reports whether Out is a terminal: tables for people when it
// is, plain lines for scripts when not.
func (s *IOStreams) IsStdoutTTY() bool { return s.outTTY }

// SetStdoutTTY overrides the terminal detection (tests).
func (s *IOStreams) SetStdoutTTY(v bool) { s.outTTY = v }

// ColorEnabled reports whether output may carry colour: a terminal, and
// neither NO_COLOR nor --no-color.
func (s *IOStreams) ColorEnabled() bool { return s.outTTY && !s.noColor }

// SetNoColor turns colour off (--no-color).
func (s *IOStreams) SetNoColor() { s.noColor = true }

// ReportWidth is the width a report on stdout is fitted to: the
// terminal's (or $COLUMNS) on a terminal, 0 (no limit) on a pipe or a
// file, so that nothing is cut there.
func (s *IOStreams) ReportWidth() int {
	if !s.outTTY {
		return 0
	}
	return s.TerminalWidth()
}

// TerminalWidth is the width of the terminal on stdout; without one,
// $COLUMNS when set, else 100.
func (s *IOStreams) TerminalWidth() int {
	if f, ok := s.Out.(*os.File); ok && s.outTTY {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			return w
		}
	}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 20 {
		return n
	}
	return 100
}
