package parse

import (
	"bytes"
	"regexp"
)

// consolePrompt matches a console prompt line, with or without the
// command typed after it: cmd.exe's (C:\> or C:\Users\me>), PowerShell's
// (PS C:\>), and netsh's (netsh>, netsh http>).
var consolePrompt = regexp.MustCompile(`^\s*(PS [^>\r\n]*>|[A-Za-z]:\\[^>\r\n]*>|netsh( [A-Za-z0-9 ]+)?>)`)

// echoedCommand matches a line that is a command a person ran, echoed
// before its output (the first line of a paste, or a batch file's echo).
var echoedCommand = regexp.MustCompile(`(?i)^\s*(netstat|netsh|reg|httpcfg|Get-NetTCPConnection|sc|wmic|ipconfig|cscript|adsutil)(\.exe)?(\s|$)`)

// StripConsole blanks the lines of a console capture that are not the
// command's output: prompts (and the commands typed after them) anywhere,
// and a command echoed before the output starts. Blanked lines stay as
// empty lines, so that a parse error's line number is the line of the
// capture. Input that is UTF-16 (a NUL byte) is returned as it is.
func StripConsole(b []byte) []byte {
	if bytes.IndexByte(b, 0) >= 0 {
		return b
	}
	lines := bytes.SplitAfter(b, []byte("\n"))
	out := make([]byte, 0, len(b))
	started := false
	for _, l := range lines {
		body := bytes.TrimRight(l, "\r\n")
		blank := func() { out = append(out, l[len(body):]...) }
		switch {
		case consolePrompt.Match(body):
			blank()
		case !started && echoedCommand.Match(body):
			blank()
		default:
			if len(bytes.TrimSpace(body)) > 0 {
				started = true
			}
			out = append(out, l...)
		}
	}
	return out
}
