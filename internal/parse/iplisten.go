package parse

// netsh http show iplisten (Windows Vista / Server 2008 and later).
//
// The layout (corpus netsh-http-show-iplisten-entries-blog.txt,
// windows-commands.md): a blank line, a title ("IP addresses present in
// the IP listen list:"), a row of dashes, a blank line, one entry per
// line indented four blanks, then blank lines. An empty list has no
// entries. The title is read by position (any one line), so a localized
// netsh reads the same. Every line after the dashes must be blank or an
// entry: an address ("10.0.0.5", "::") or an address and port
// ("10.0.0.5:80", which some documents use). Anything else (netsh's "The
// following command was not found", a usage text) is an error.

import (
	"io"
	"net/netip"
	"strings"

	"github.com/fleetport/fleetport/internal/facts"
)

// ParseIPListen reads `netsh http show iplisten`.
func ParseIPListen(r io.Reader, opts Options) (facts.ListenList, error) {
	in, err := readInput(KindIPListen, r, opts)
	if err != nil {
		return facts.ListenList{}, err
	}
	lines, err := in.lines()
	if err != nil {
		return facts.ListenList{}, err
	}
	l := facts.ListenList{Source: facts.ListenNetsh, Entries: []facts.ListenEntry{}, Encoding: in.enc}
	title, dashes := -1, -1
	for i, line := range lines {
		switch {
		case dashes >= 0:
			if isBlank(line) {
				continue
			}
			if !strings.HasPrefix(line, " ") {
				return facts.ListenList{}, lineErr(KindIPListen, i+1, line, ErrUnknownFormat,
					"expected an indented IP address")
			}
			e, err := parseListenEntry(strings.TrimSpace(line))
			if err != nil {
				return facts.ListenList{}, valueErr(KindIPListen, i+1, line, err, "entry is not an IP address")
			}
			l.Entries = append(l.Entries, e)
		case isBlank(line):
		case title < 0:
			if isDashes(line) || strings.HasPrefix(line, " ") {
				return facts.ListenList{}, lineErr(KindIPListen, i+1, line, ErrUnknownFormat,
					"expected the title of the IP listen list")
			}
			title = i
		case isDashes(line) && i == title+1:
			dashes = i
		default:
			return facts.ListenList{}, lineErr(KindIPListen, i+1, line, ErrUnknownFormat,
				"expected a row of dashes under the title")
		}
	}
	if dashes < 0 {
		if title < 0 {
			return facts.ListenList{}, inputErr(KindIPListen, ErrEmpty, "no netsh output")
		}
		return facts.ListenList{}, lineErr(KindIPListen, title+1, lines[title], ErrUnknownFormat,
			"not netsh http show iplisten output: no row of dashes under the title")
	}
	return l, nil
}

// parseListenEntry reads an address or address:port, dropping a trailing
// period (httpcfg's SDK sample prints "IP :10.0.0.5.").
func parseListenEntry(s string) (facts.ListenEntry, error) {
	s = strings.TrimSuffix(s, ".")
	e, err := facts.ParseListenEntry(s)
	if err != nil {
		if _, perr := netip.ParseAddr(s); perr != nil {
			return facts.ListenEntry{}, perr
		}
		return facts.ListenEntry{}, err
	}
	return e, nil
}
