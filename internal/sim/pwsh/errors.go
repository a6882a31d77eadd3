package pwsh

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// consoleWidth is $host.UI.RawUI.BufferSize.Width of the console WinRS gives
// powershell.exe. The pywinrm fixture conftest/get_ps_output_response.xml
// (a real Write-Error over WinRS) shows both consequences of a width of 80:
// the "+ CategoryInfo" text is cut into 74-character chunks (Width - 4 - 2 in
// the error view) and the formatter wraps lines at 79 (Width - 1, the console
// line output keeps the last column free).
const consoleWidth = 80

// errorRecord is the part of an ErrorRecord the default error view prints.
type errorRecord struct {
	message        string // Exception.Message
	invocationName string // "X" of the "X : " prefix, "" for none
	position       string // InvocationInfo.PositionMessage, "" for none
	category       string // CategoryInfo.ToString()
	fqid           string // FullyQualifiedErrorId
}

// Texts of the errors the emulation raises. CommandNotFoundException and the
// parser texts are Windows PowerShell's resource strings as printed in many
// published transcripts (e.g. dpaulson45/ExchangeLogCollector issue #76,
// farag2/Sophia-Script-for-Windows issue #130).
const (
	msgCommandNotFound = "The term '%s' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again."
	msgNotEmulated     = "The fleetport WinRM simulator does not emulate this part of PowerShell: %s"
)

func commandNotFound(name, position string) *errorRecord {
	return &errorRecord{
		message:        fmt.Sprintf(msgCommandNotFound, name),
		invocationName: name,
		position:       position,
		category:       "ObjectNotFound: (" + name + ":String) [], CommandNotFoundException",
		fqid:           "CommandNotFoundException",
	}
}

// notEmulated is the simulator's own error for valid PowerShell it does not
// implement. It is shaped like a real error record so clients parse it, and
// its text says plainly that it comes from the simulator.
func notEmulated(what, position string) *errorRecord {
	return &errorRecord{
		message:  fmt.Sprintf(msgNotEmulated, what),
		position: position,
		category: "NotImplemented: (:) [], NotSupportedException",
		fqid:     "FleetportSimulatorNotEmulated",
	}
}

// renderError returns the lines the console host prints for rec: the
// Windows PowerShell 3.0-5.1 DefaultErrorView (PowerShellCore.format.ps1xml,
// quoted in search corpus id 32170175264): "X : " + message + "\n" +
// PositionMessage + the CategoryInfo and FullyQualifiedErrorId lines, each cut
// into chunks of Width-6 characters, + "\n " (the view's final blank line
// holds one space); then every line word-wrapped to Width-1 columns by the
// formatter (StringManipulationHelper.GenerateLinesWithWordWrap).
// PowerShell 2.0 has no "X : " prefix; its position comes in rec.position
// already in the 2.0 "<<<<" form.
func renderError(rec *errorRecord, psVersion, width int) []string {
	var b strings.Builder
	if rec.invocationName != "" && psVersion >= 3 {
		b.WriteString(rec.invocationName)
		b.WriteString(" : ")
	}
	b.WriteString(rec.message)
	if rec.position != "" {
		b.WriteString("\n")
		b.WriteString(rec.position)
	}
	chunk := width - 6
	writeChunked := func(s string) {
		b.WriteString("\n")
		rs := []rune(s)
		for len(rs) > 0 {
			n := min(chunk, len(rs))
			b.WriteString("    ")
			b.WriteString(string(rs[:n]))
			rs = rs[n:]
		}
	}
	writeChunked("+ CategoryInfo          : " + rec.category)
	writeChunked("+ FullyQualifiedErrorId : " + rec.fqid)
	b.WriteString("\n ")
	var out []string
	for _, line := range strings.Split(strings.ReplaceAll(b.String(), "\r", ""), "\n") {
		out = append(out, wrapWords(line, width-1)...)
	}
	return out
}

// wrapWords is GenerateLinesWithWordWrap of the Windows PowerShell formatter
// (decompiled, search corpus id 43754407066) for first and following line
// lengths equal: words keep their trailing delimiter, a word that does not fit
// starts a new line, a word longer than a line is cut by characters.
func wrapWords(line string, width int) []string {
	if width < 1 {
		width = 1
	}
	if utf8.RuneCountInString(line) <= width {
		return []string{line}
	}
	var out []string
	var cur []rune
	rem := width
	for _, w := range splitWords(line) {
		n := len(w)
		switch {
		case n > width:
			for _, r := range w {
				if rem < 1 {
					out = append(out, string(cur))
					cur = []rune{r}
					rem = width - 1
				} else {
					cur = append(cur, r)
					rem--
				}
			}
		case n > rem:
			out = append(out, string(cur))
			cur = append([]rune(nil), w...)
			rem = width - n
		default:
			cur = append(cur, w...)
			rem -= n
		}
	}
	return append(out, string(cur))
}

// splitWords is StringManipulationHelper.GetWords with each delimiter (space
// or tab) appended to the word before it.
func splitWords(s string) [][]rune {
	var words [][]rune
	var cur []rune
	for _, r := range s {
		cur = append(cur, r)
		if r == ' ' || r == '\t' {
			words = append(words, cur)
			cur = nil
		}
	}
	return append(words, cur)
}

// clixmlHeader starts the CLIXML document powershell.exe writes to a
// redirected stderr; the "#< CLIXML" marker line is CRLF-terminated and the
// Objs element is closed when the process ends (pywinrm fixture
// conftest/get_ps_output_response.xml).
const (
	clixmlMarker = "#< CLIXML\r\n"
	clixmlOpen   = `<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">`
	clixmlClose  = `</Objs>`
)

// clixmlString escapes s the way the PowerShell serializer writes a string:
// XML markup characters as entities, control characters, U+FFFE/U+FFFF and
// UTF-16 surrogates as _xHHHH_, and an underscore that would start such an
// escape as _x005F_ (InternalSerializer.EncodeString; CR LF appears as
// _x000D__x000A_ in the fixture).
func clixmlString(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '_' && i+1 < len(rs) && (rs[i+1] == 'x' || rs[i+1] == 'X'):
			b.WriteString("_x005F_")
		case r < 0x20 || r == 0xFFFE || r == 0xFFFF:
			writeHexEscape(&b, r)
		case r > 0xFFFF:
			hi, lo := utf16.EncodeRune(r)
			writeHexEscape(&b, hi)
			writeHexEscape(&b, lo)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func writeHexEscape(b *strings.Builder, r rune) {
	h := strings.ToUpper(strconv.FormatInt(int64(r), 16))
	b.WriteString("_x")
	b.WriteString(strings.Repeat("0", 4-len(h)))
	b.WriteString(h)
	b.WriteString("_")
}
