package parse

// netsh http show servicestate (Windows Vista / Server 2008 and later).
//
// The layout (corpus netsh-http-show-servicestate-win10-iotbay.txt; the
// captures the simulator cites in winhost/servicestate.go): a blank line,
// a title ("Snapshot of HTTP service state (Server Session View):", or
// the Request Queue View's) and a row of dashes, then blocks for the
// server sessions, their URL groups and the request queues, each label
// indented four blanks per level:
//
//	Server session ID: FF00000120000001
//	    ...
//	    URL group ID: FE00000140000001
//	        ...
//	            Registered URLs:
//	                HTTP://+:5985/WSMAN/
//	                HTTP://+:47001/WSMAN/
//
// netsh's labels are localized on real hosts, so the output is read by
// structure, never by a label: the title is the first non-blank line,
// unindented, with a row of dashes under it; the body must hold at least
// one 16-hex-digit ID as the last field of a line (a server session's or
// URL group's), which no other netsh output has; and a registered URL is
// a line whose first blank-separated field starts with http:// or
// https:// (any case), read with facts.ParseHTTPURL. Only the first
// field counts: the corpus copy carries an author's note after one URL.
// Newer releases list each queue's URLs again under "Request queues:", so
// a URL is kept once (compared without regard to case, as http.sys
// compares them), in the order of its first appearance.
//
// http.sys prints a URL whose host is an IP address in its IP-bound form,
// host:port:address ("HTTP://127.0.0.1:8000:127.0.0.1/", an IIS site
// bound to one address). facts.ParseHTTPURL reads host:port only, so the
// address after the port is cut off before it and becomes the URL's
// Addr (the address http.sys serves it on); URL keeps the text as
// printed.
//
// A snapshot with no server session (nothing registered) cannot be told
// from other netsh outputs that have a title and dashes, and is an error;
// over WinRM it does not occur, since WinRM itself registers URLs.

import (
	"io"
	"net/netip"
	"strings"

	"github.com/fleetport/fleetport/internal/facts"
)

// ParseServiceState reads `netsh http show servicestate` and returns the
// registered URLs, each once, in order.
func ParseServiceState(r io.Reader, opts Options) ([]facts.HTTPURL, error) {
	in, err := readInput(KindServiceState, r, opts)
	if err != nil {
		return nil, err
	}
	lines, err := in.lines()
	if err != nil {
		return nil, err
	}
	title := -1
	for i, l := range lines {
		if !isBlank(l) {
			title = i
			break
		}
	}
	if title < 0 {
		return nil, inputErr(KindServiceState, ErrEmpty, "no netsh output")
	}
	if strings.HasPrefix(lines[title], " ") || isDashes(lines[title]) ||
		title+1 >= len(lines) || !isDashes(lines[title+1]) {
		return nil, lineErr(KindServiceState, title+1, lines[title], ErrUnknownFormat,
			"not netsh http show servicestate output: expected a title with a row of dashes under it")
	}
	urls := []facts.HTTPURL{}
	seen := map[string]bool{}
	ids := 0
	for i := title + 2; i < len(lines); i++ {
		l := lines[i]
		t := strings.TrimSpace(l)
		if t == "" {
			continue
		}
		f, _ := cutField(t)
		if !hasURLScheme(f) {
			if fields := strings.Fields(t); isHexID(fields[len(fields)-1]) {
				ids++
			}
			continue
		}
		if !strings.HasPrefix(l, " ") {
			return nil, lineErr(KindServiceState, i+1, l, ErrUnknownFormat, "a registered URL must be indented")
		}
		u, err := parseRegisteredURL(f)
		if err != nil {
			return nil, valueErr(KindServiceState, i+1, l, err, "%q is not a registered URL", f)
		}
		key := strings.ToUpper(u.URL)
		if seen[key] {
			continue
		}
		seen[key] = true
		u.URL, u.Host, u.Path = strings.Clone(u.URL), strings.Clone(u.Host), strings.Clone(u.Path)
		urls = append(urls, u)
	}
	if ids == 0 {
		return nil, lineErr(KindServiceState, title+1, lines[title], ErrUnknownFormat,
			"not netsh http show servicestate output: no server session or URL group ID")
	}
	return urls, nil
}

// hasURLScheme reports whether a field starts with http:// or https://,
// in any case.
func hasURLScheme(f string) bool {
	l := strings.ToLower(f)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

// isHexID reports whether s is one of http.sys's IDs: 16 hex digits.
func isHexID(s string) bool {
	if len(s) != 16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// parseRegisteredURL reads a URL as http.sys lists it, including the
// IP-bound form scheme://host:port:address/path.
func parseRegisteredURL(s string) (facts.HTTPURL, error) {
	scheme, rest, _ := strings.Cut(s, "://")
	hostport, path, _ := strings.Cut(rest, "/")
	parts := splitTopColons(hostport)
	switch {
	case len(parts) > 3:
		return facts.HTTPURL{URL: s}, &routingError{s}
	case len(parts) < 3:
		return facts.ParseHTTPURL(s)
	}
	routing, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(parts[2], "["), "]"))
	if err != nil || routing.Zone() != "" || routing.Is6() != strings.HasPrefix(parts[2], "[") {
		return facts.HTTPURL{URL: s}, &routingError{s}
	}
	u, err := facts.ParseHTTPURL(scheme + "://" + parts[0] + ":" + parts[1] + "/" + path)
	if err != nil {
		return facts.HTTPURL{URL: s}, err
	}
	u.URL, u.Addr = s, routing
	return u, nil
}

// splitTopColons splits host:port[:address] at the colons outside
// brackets.
func splitTopColons(s string) []string {
	var parts []string
	depth, from := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			depth--
		case ':':
			if depth == 0 {
				parts = append(parts, s[from:i])
				from = i + 1
			}
		}
	}
	return append(parts, s[from:])
}

type routingError struct{ url string }

func (e *routingError) Error() string {
	return "the text after the port of " + e.url + " is not one IP address"
}
