package parse_test

// Evidence support: Lines decodes output as the parsers do, and
// Options.Row hands ParseNetstat's rows to the caller with their line.

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/parse"
)

func TestLines(t *testing.T) {
	u16 := []byte{0xFF, 0xFE}
	for _, r := range utf16.Encode([]rune("a\r\nÄb\r\n")) {
		u16 = append(u16, byte(r), byte(r>>8))
	}
	for _, tc := range []struct {
		name string
		in   []byte
		cp   int
		want []string
		enc  string
	}{
		{"crlf", []byte("\r\nActive Connections\r\n\r\n"), 0, []string{"", "Active Connections", ""}, "ascii"},
		{"wmic", []byte("\r\r\n\r\r\nLastBootUpTime=20171019094424.510250+000\r\r\n\r\r\n"), 0,
			[]string{"", "", "LastBootUpTime=20171019094424.510250+000", ""}, "ascii"},
		{"no final newline", []byte("a\nb"), 0, []string{"a", "b"}, "ascii"},
		{"utf-8 bom", []byte("\xEF\xBB\xBFÖ\r\n"), 0, []string{"Ö"}, "utf-8"},
		{"utf-16le bom", u16, 0, []string{"a", "Äb"}, "utf-16le"},
		{"cp850 hint", []byte("ABH\x99REN\r\n"), 850, []string{"ABHÖREN"}, "cp850"},
		{"empty", nil, 0, nil, "ascii"},
	} {
		got, enc, err := parse.Lines(tc.in, parse.Options{CodePage: tc.cp})
		if err != nil || enc != tc.enc || strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
			t.Errorf("%s: %q %q %v, want %q %q", tc.name, got, enc, err, tc.want, tc.enc)
		}
	}
	// Detection, as the parsers do it: the German capture is CP850.
	lines, enc, err := parse.Lines(readTestdata(t, "netstat/de-DE-cp850-ano.txt"), parse.Options{})
	if err != nil || enc != "cp850" || lines[1] != "Aktive Verbindungen" || !strings.Contains(lines[4], "ABHÖREN") {
		t.Errorf("German netstat: %q %v %q", enc, err, lines[:5])
	}
	// The caps.
	if _, _, err := parse.Lines([]byte("0123456789"), parse.Options{MaxBytes: 5}); !errors.Is(err, parse.ErrTooLarge) {
		t.Errorf("MaxBytes: %v", err)
	}
	_, _, err = parse.Lines([]byte("short\r\n0123456789\r\n"), parse.Options{MaxLineBytes: 5})
	if pe := asParseError(t, err, "lines"); !errors.Is(err, parse.ErrLineTooLong) || pe.Line != 2 {
		t.Errorf("MaxLineBytes: %v", err)
	}
	if _, _, err := parse.Lines([]byte("\x80"), parse.Options{CodePage: 12345}); !errors.Is(err, parse.ErrCodePage) {
		t.Errorf("unknown code page: %v", err)
	}
}

type rowCall struct {
	line int
	text string
	s    facts.Socket
}

func collectRows(t *testing.T, in []byte, opts parse.Options) (facts.Sockets, []rowCall) {
	t.Helper()
	var calls []rowCall
	opts.Row = func(line int, text string, s *facts.Socket) {
		calls = append(calls, rowCall{line, text, *s})
	}
	tab, err := parse.ParseNetstat(bytes.NewReader(in), opts)
	if err != nil {
		t.Fatal(err)
	}
	return tab, calls
}

func TestNetstatRowHook(t *testing.T) {
	in := readTestdata(t, "netstat/de-DE-cp850-ano.txt")
	lines, _, err := parse.Lines(in, parse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tab, calls := collectRows(t, in, parse.Options{})
	if len(calls) != tab.Summary.TCP+tab.Summary.UDP || len(calls) == 0 {
		t.Fatalf("%d calls for %d rows", len(calls), tab.Summary.TCP+tab.Summary.UDP)
	}
	listen := 0
	for i, c := range calls {
		if c.line < 1 || c.line > len(lines) || lines[c.line-1] != c.text {
			t.Errorf("call %d: line %d %q does not match Lines' %q", i, c.line, c.text, lines[min(max(c.line-1, 0), len(lines)-1)])
		}
		if i > 0 && c.line <= calls[i-1].line {
			t.Errorf("call %d: line %d after line %d", i, c.line, calls[i-1].line)
		}
		if c.s.State == facts.StateListen {
			listen++
			if !strings.Contains(c.text, "ABHÖREN") {
				t.Errorf("listener row %d decoded as %q, want ABHÖREN", c.line, c.text)
			}
		}
		if !strings.Contains(c.text, c.s.Local.String()) {
			t.Errorf("row %d: socket %v is not the line's %q", c.line, c.s.Local, c.text)
		}
	}
	if listen != tab.Summary.Listening || calls[0].line != 5 || calls[0].s.PID != 912 {
		t.Errorf("listeners %d of %d; first call %+v", listen, tab.Summary.Listening, calls[0])
	}

	// With -b, the call comes after the owner lines, with the owner; the
	// table may keep fewer rows than it reports.
	tab, calls = collectRows(t, readTestdata(t, "netstat/de-DE-cp850-anob.txt"),
		parse.Options{Sockets: facts.SocketOptions{Keep: facts.KeepListeners}})
	if len(calls) != tab.Summary.TCP+tab.Summary.UDP || len(tab.Connections) >= len(calls) {
		t.Errorf("%d calls, %d rows, %d kept connections", len(calls), tab.Summary.TCP+tab.Summary.UDP, len(tab.Connections))
	}
	if c := calls[0]; c.s.Owner == nil || c.s.Owner.Service != "RpcSs" || c.s.Owner.Image != "svchost.exe" || !strings.HasPrefix(c.text, "  TCP    0.0.0.0:135 ") {
		t.Errorf("first -b row: %+v owner %s", c, ownerString(c.s.Owner))
	}
	if c := calls[1]; c.s.Owner == nil || !c.s.Owner.Unavailable {
		t.Errorf("PID 4 row: owner %s", ownerString(c.s.Owner))
	}

	// A lenient parse reports the rows it adds, not the one it skips.
	bad := readCorpus(t, "netstat-an-win10-jc.txt")
	tab, calls = collectRows(t, bad, parse.Options{Lenient: true})
	if len(calls) != tab.Summary.TCP+tab.Summary.UDP || tab.SkippedRows != 1 {
		t.Errorf("lenient: %d calls, %d rows, %d skipped", len(calls), tab.Summary.TCP+tab.Summary.UDP, tab.SkippedRows)
	}
	for _, c := range calls {
		if c.line == tab.RowErrors[0].Line {
			t.Errorf("the skipped row %d was reported", c.line)
		}
	}
	// Nil: nothing to call, the same table.
	plain, err := parse.ParseNetstat(bytes.NewReader(bad), parse.Options{Lenient: true})
	if err != nil || plain.Summary.TCP != tab.Summary.TCP {
		t.Errorf("without a hook: %v %d", err, plain.Summary.TCP)
	}
}
