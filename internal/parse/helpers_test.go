package parse_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/parse"
)

// corpusDir is the repository's corpus of real Windows outputs.
const corpusDir = "../../testdata/corpus/windows"

func readCorpus(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpusDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// stripSelectString undoes Select-String -Context's decoration: every
// line of a match starts with "> ", every context line with two blanks.
// Test-only: a collector never pipes netstat through Select-String.
func stripSelectString(b []byte) []byte {
	lines := bytes.SplitAfter(b, []byte("\n"))
	var out []byte
	for _, l := range lines {
		switch {
		case bytes.HasPrefix(l, []byte("> ")), bytes.HasPrefix(l, []byte("  ")):
			out = append(out, l[2:]...)
		default:
			out = append(out, l...)
		}
	}
	return out
}

// dropLines removes the first n lines (a transcribed command echo or
// prompt).
func dropLines(b []byte, n int) []byte {
	for ; n > 0; n-- {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return nil
		}
		b = b[i+1:]
	}
	return b
}

// dropPrompts removes the lines that start with prompt (an interactive
// session's command lines).
func dropPrompts(b []byte, prompt string) []byte {
	var out []byte
	for _, l := range bytes.SplitAfter(b, []byte("\n")) {
		if !bytes.HasPrefix(l, []byte(prompt)) {
			out = append(out, l...)
		}
	}
	return out
}

// afterLine returns the text after the first line that starts with
// prefix.
func afterLine(t testing.TB, b []byte, prefix string) []byte {
	t.Helper()
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			break
		}
		line := b[:i]
		b = b[i+1:]
		if bytes.HasPrefix(line, []byte(prefix)) {
			return b
		}
	}
	t.Fatalf("no line starting with %q", prefix)
	return nil
}

// asParseError checks that err is a *parse.Error of kind and returns it.
func asParseError(t testing.TB, err error, kind string) *parse.Error {
	t.Helper()
	var pe *parse.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *parse.Error", err, err)
	}
	if pe.Kind != kind {
		t.Fatalf("error kind = %q, want %q (%v)", pe.Kind, kind, err)
	}
	return pe
}

func mustAddrPort(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// findSocket returns the first row of the table with this local and
// remote endpoint (remote "" for UDP and any).
func findSocket(s *facts.Sockets, local, remote string) (facts.Socket, bool) {
	return findProtoSocket(s, 0, local, remote)
}

// findProtoSocket is findSocket for one protocol (0: any).
func findProtoSocket(s *facts.Sockets, proto facts.Proto, local, remote string) (facts.Socket, bool) {
	l := mustAddrPort(local)
	for _, rows := range [][]facts.Socket{s.Listeners, s.Connections} {
		for _, r := range rows {
			if r.Local != l || (proto != 0 && r.Proto != proto) {
				continue
			}
			if remote != "" && r.Remote != mustAddrPort(remote) {
				continue
			}
			return r, true
		}
	}
	return facts.Socket{}, false
}

func ownerString(o *facts.Owner) string {
	if o == nil {
		return "<nil>"
	}
	var parts []string
	if o.Service != "" {
		parts = append(parts, "svc="+o.Service)
	}
	if o.Image != "" {
		parts = append(parts, "img="+o.Image)
	}
	if o.Unavailable {
		parts = append(parts, "unavailable")
	}
	return strings.Join(parts, ",")
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
