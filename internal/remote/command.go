package remote

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxCommandLine is cmd.exe's limit on a command line, in characters
// (UTF-16 code units). WinRS runs every command through cmd.exe /c, which
// answers a longer line with "The command line is too long." and exit 1.
const MaxCommandLine = 8191

// Command is one command line for the host's cmd.exe. The caller builds
// Line from typed, validated values (an address, a port, a registry path
// from a known set); remote only checks that the line can be sent.
type Command struct {
	Line string
	// CheckExit makes a non-zero exit code an error of [ClassCommand]
	// (the [Result] is returned as well). Without it the exit code is
	// only reported.
	CheckExit bool
}

// Validate reports whether the line can be sent: not empty, valid UTF-8,
// no control characters but tab (a line break would end the command and
// start another), no "]]>" (the SOAP builders wrap the line in a CDATA
// section), at most [MaxCommandLine] characters. Errors wrap
// [ErrBadCommand] or [ErrCommandTooLong].
func (c Command) Validate() error {
	if strings.TrimSpace(c.Line) == "" {
		return fmt.Errorf("%w: empty", ErrBadCommand)
	}
	if !utf8.ValidString(c.Line) {
		return fmt.Errorf("%w: not valid UTF-8", ErrBadCommand)
	}
	n := 0
	for i, r := range c.Line {
		if (r < 0x20 && r != '\t') || r == 0x7f || r == 0xfffe || r == 0xffff {
			return fmt.Errorf("%w: control character %U at byte %d", ErrBadCommand, r, i)
		}
		n += utf16.RuneLen(r)
	}
	if strings.Contains(c.Line, "]]>") {
		return fmt.Errorf("%w: contains \"]]>\"", ErrBadCommand)
	}
	if n > MaxCommandLine {
		return fmt.Errorf("%w: %d characters, cmd.exe takes at most %d", ErrCommandTooLong, n, MaxCommandLine)
	}
	return nil
}

// psPrefix starts every command [PowerShell] builds.
const psPrefix = "powershell -NoProfile -NonInteractive -EncodedCommand "

// psPreamble keeps progress records (CLIXML on stderr) out of the output.
const psPreamble = "$ProgressPreference = 'SilentlyContinue'; "

// MaxPowerShellScript is the longest script, in UTF-16 code units, that
// [PowerShell] accepts: -EncodedCommand turns each character into 2.67
// characters of base64, and the whole line must fit [MaxCommandLine].
const MaxPowerShellScript = (MaxCommandLine-len(psPrefix))/4*3/2 - len(psPreamble)

// PowerShell builds the command that runs script in powershell.exe:
// "powershell -NoProfile -NonInteractive -EncodedCommand <base64>", the
// script encoded as UTF-16LE and preceded by
// $ProgressPreference = 'SilentlyContinue'. A script longer than
// [MaxPowerShellScript] characters is refused with [ErrCommandTooLong]
// rather than sent to fail with "The command line is too long.".
// PowerShell writes in the shell's code page, UTF-8 (65001).
func PowerShell(script string) (Command, error) {
	if strings.TrimSpace(script) == "" {
		return Command{}, fmt.Errorf("%w: empty script", ErrBadCommand)
	}
	if !utf8.ValidString(script) {
		return Command{}, fmt.Errorf("%w: script is not valid UTF-8", ErrBadCommand)
	}
	units := utf16.Encode([]rune(psPreamble + script))
	if n := len(units) - len(psPreamble); n > MaxPowerShellScript {
		return Command{}, fmt.Errorf("%w: a script of %d characters encodes to more than %d; keep scripts under %d characters",
			ErrCommandTooLong, n, MaxCommandLine, MaxPowerShellScript)
	}
	raw := make([]byte, 2*len(units))
	for i, u := range units {
		binary.LittleEndian.PutUint16(raw[2*i:], u)
	}
	c := Command{Line: psPrefix + base64.StdEncoding.EncodeToString(raw)}
	return c, c.Validate()
}

// Result is what a command left behind. Stdout and Stderr are the bytes
// the host sent, undecoded: legacy tools (netstat, reg, netsh) write in
// the host's OEM code page, PowerShell in UTF-8.
type Result struct {
	Stdout, Stderr []byte
	// ExitCode is the process exit code; Windows' DWORD codes such as
	// 0xC000013A appear as positive numbers (3221225786).
	ExitCode int
	// Duration is the time from Command to the end of the output.
	Duration time.Duration
}
