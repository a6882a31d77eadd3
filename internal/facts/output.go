package facts

import (
	"fmt"
	"net/netip"
	"strings"
)

// Output is host output kept as evidence: the command line (built from
// typed values, never holding a secret) and some or all of the lines it
// printed. Small outputs (ver, reg query, netsh, sc) are kept whole up to
// MaxOutputLines; netstat keeps its header, its listeners and a few rows
// per TIME_WAIT endpoint, because a pile can be 16,000 rows.
type Output struct {
	Fact    string `json:"fact"`
	Command string `json:"command"`
	// Total is the number of lines the command printed; Lines may hold
	// fewer.
	Total int    `json:"total"`
	Lines []Line `json:"lines"`
}

// Line is one line of host output and its 1-based number.
type Line struct {
	N    int    `json:"n"`
	Text string `json:"text"`
}

// MaxOutputLines bounds the lines one Output keeps.
const MaxOutputLines = 200

// MaxLineText bounds one kept line, in bytes.
const MaxLineText = 240

// NewOutput keeps the first MaxOutputLines of lines.
func NewOutput(fact, command string, lines []string) Output {
	o := Output{Fact: fact, Command: command, Total: len(lines)}
	for i, l := range lines {
		if len(o.Lines) == MaxOutputLines {
			break
		}
		o.Lines = append(o.Lines, Line{N: i + 1, Text: shorten(l)})
	}
	return o
}

// Keep appends one line (numbered n) to the output.
func (o *Output) Keep(n int, text string) {
	if len(o.Lines) < MaxOutputLines {
		o.Lines = append(o.Lines, Line{N: n, Text: shorten(text)})
	}
}

// Find returns the kept lines for which match is true.
func (o *Output) Find(match func(fields []string) bool) []Line {
	var out []Line
	for _, l := range o.Lines {
		if match(strings.Fields(l.Text)) {
			out = append(out, l)
		}
	}
	return out
}

func shorten(s string) string {
	s = strings.TrimRight(s, " \t")
	if len(s) <= MaxLineText {
		return s
	}
	i := MaxLineText
	for i > 0 && s[i]&0xC0 == 0x80 {
		i--
	}
	return s[:i] + "…"
}

// Output returns the kept output of a command, by fact and command line.
func (h *Host) Output(fact, command string) (*Output, bool) {
	for i := range h.Outputs {
		if h.Outputs[i].Fact == fact && (command == "" || h.Outputs[i].Command == command) {
			return &h.Outputs[i], true
		}
	}
	return nil, false
}

// HTTPURL is one URL registered with http.sys, as netsh http show
// servicestate lists it ("HTTP://10.0.0.5:80/", "HTTP://+:5985/wsman/").
type HTTPURL struct {
	// URL is the text as printed.
	URL string `json:"url"`
	// Scheme is "http" or "https".
	Scheme string `json:"scheme"`
	// Host is the host part as written: "+" (strong wildcard), "*" (weak
	// wildcard), an IP address, or a name.
	Host string `json:"host"`
	Port uint16 `json:"port"`
	Path string `json:"path"`
	// Addr is set when Host is an IP address: http.sys serves the URL
	// only on that address.
	Addr netip.Addr `json:"addr,omitzero"`
}

// String returns the URL as printed.
func (u HTTPURL) String() string { return u.URL }

// ParseHTTPURL reads a registered URL: scheme://host:port/path, where host
// is +, *, a name, an IPv4 address or a bracketed IPv6 address.
func ParseHTTPURL(s string) (HTTPURL, error) {
	u := HTTPURL{URL: s}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return u, fmt.Errorf("facts: %q is not a URL (no scheme)", s)
	}
	u.Scheme = strings.ToLower(scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return u, fmt.Errorf("facts: %q: scheme %q is neither http nor https", s, scheme)
	}
	hostport, path, _ := strings.Cut(rest, "/")
	u.Path = "/" + path
	// IIS registers a site bound to one address as address:port:address
	// ("HTTP://10.0.0.5:80:10.0.0.5/"): the third part is the host name
	// the site answers to.
	if !strings.HasPrefix(hostport, "[") && strings.Count(hostport, ":") == 2 {
		hostport = hostport[:strings.LastIndexByte(hostport, ':')]
	}
	host, port := hostport, ""
	if strings.HasPrefix(hostport, "[") {
		i := strings.Index(hostport, "]")
		if i < 0 {
			return u, fmt.Errorf("facts: %q: unterminated IPv6 address", s)
		}
		host, port = hostport[:i+1], strings.TrimPrefix(hostport[i+1:], ":")
	} else if i := strings.LastIndexByte(hostport, ':'); i >= 0 {
		host, port = hostport[:i], hostport[i+1:]
	}
	if host == "" {
		return u, fmt.Errorf("facts: %q: no host", s)
	}
	u.Host = host
	switch {
	case port == "" && u.Scheme == "http":
		u.Port = 80
	case port == "":
		u.Port = 443
	default:
		var n int
		if _, err := fmt.Sscanf(port, "%d", &n); err != nil || n <= 0 || n > 65535 || fmt.Sprint(n) != port {
			return u, fmt.Errorf("facts: %q: bad port %q", s, port)
		}
		u.Port = uint16(n)
	}
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		u.Addr = a.WithZone("")
	}
	return u, nil
}
