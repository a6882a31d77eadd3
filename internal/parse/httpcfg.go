package parse

// httpcfg query iplisten (Windows Server 2003 Support Tools).
//
// An empty list prints one line, "HttpQueryServiceConfiguration completed
// with 1168." (1168 = ERROR_NOT_FOUND; corpus httpcfg-query-iplisten-
// empty-msdocs.txt). A list prints one record per address followed by a
// line of dashes (78 in the tool's message file); the record line is
// "<label> : <address>" (windows-commands.md: the exact wording is not
// verified; the SDK sample prints "IP :<addr>."), so the label is read
// by position and the address after the last " : " or ":" that leaves a
// valid address. A status line with another number is the tool's failure
// report ([ErrFailed]).

import (
	"io"
	"strconv"
	"strings"

	"github.com/fleetport/fleetport/internal/facts"
)

// ParseHttpcfg reads `httpcfg query iplisten`.
func ParseHttpcfg(r io.Reader, opts Options) (facts.ListenList, error) {
	in, err := readInput(KindHttpcfg, r, opts)
	if err != nil {
		return facts.ListenList{}, err
	}
	lines, err := in.lines()
	if err != nil {
		return facts.ListenList{}, err
	}
	l := facts.ListenList{Source: facts.ListenHttpcfg, Entries: []facts.ListenEntry{}, Encoding: in.enc}
	status, statusLine := -1, 0
	seen := false
	for i, line := range lines {
		t := strings.TrimSpace(line)
		switch {
		case t == "" || isDashes(t):
			continue
		case status >= 0:
			return facts.ListenList{}, lineErr(KindHttpcfg, i+1, line, ErrUnknownFormat,
				"unexpected line after the status line")
		}
		seen = true
		if n, ok := httpcfgStatus(t); ok {
			status, statusLine = n, i+1
			continue
		}
		label, val, ok := cutLabel(t)
		if !ok || label == "" {
			return facts.ListenList{}, lineErr(KindHttpcfg, i+1, line, ErrUnknownFormat,
				"expected a record line \"IP : <address>\" or the status line")
		}
		e, err := parseListenEntry(val)
		if err != nil {
			return facts.ListenList{}, valueErr(KindHttpcfg, i+1, line, err, "%q is not an IP address", val)
		}
		l.Entries = append(l.Entries, e)
	}
	switch {
	case !seen:
		return facts.ListenList{}, inputErr(KindHttpcfg, ErrEmpty, "no httpcfg output")
	case status == 1168 && len(l.Entries) > 0:
		return facts.ListenList{}, lineErr(KindHttpcfg, statusLine, lines[statusLine-1], ErrUnknownFormat,
			"status 1168 (not found) after records")
	case status > 0 && status != 1168:
		return facts.ListenList{}, lineErr(KindHttpcfg, statusLine, lines[statusLine-1], ErrFailed,
			"httpcfg reported status %d", status)
	}
	return l, nil
}

// httpcfgStatus reads "HttpQueryServiceConfiguration completed with N.":
// a line without a colon that ends in a number and a period.
func httpcfgStatus(t string) (int, bool) {
	if strings.Contains(t, ":") || !strings.HasSuffix(t, ".") {
		return 0, false
	}
	f := strings.Fields(strings.TrimSuffix(t, "."))
	if len(f) < 2 || !isDigits(f[len(f)-1]) {
		return 0, false
	}
	n, err := strconv.Atoi(f[len(f)-1])
	return n, err == nil
}

// cutLabel splits "label : value" (also "label :value", "label: value")
// at the first colon followed by a value; IPv6 values hold colons of
// their own, so the label is what precedes the first " :" or ": ".
func cutLabel(t string) (label, value string, ok bool) {
	for _, sep := range []string{" : ", " :", ": "} {
		if i := strings.Index(t, sep); i >= 0 {
			return strings.TrimSpace(t[:i]), strings.TrimSpace(t[i+len(sep):]), true
		}
	}
	return "", "", false
}
