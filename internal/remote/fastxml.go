package remote

// The fast reader of SOAP answers. encoding/xml reads a byte at a time
// through an interface and resolves names with maps; on a collection of
// thousands of hosts that was the largest single cost of the client
// (docs/BENCHMARKS.md). fastEnvelope reads the answers Windows sends in
// one pass over the bytes, and gives up (ok false) on anything it does
// not read exactly as encoding/xml would: comments, CDATA, DOCTYPE,
// processing instructions after the declaration, non-ASCII bytes, an
// undeclared prefix, a repeated element where one is expected, a fault.
// parseEnvelope then reads the answer with encoding/xml, so the fast path
// changes speed, never meaning; FuzzFastEnvelope holds it to that.

import (
	"bytes"
	"strconv"
	"strings"
)

const (
	nsSOAP     = "http://www.w3.org/2003/05/soap-envelope"
	nsTransfer = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
	nsShell    = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
	nsXML      = "http://www.w3.org/XML/1998/namespace"
)

// xnode is an element: its resolved namespace and local name, its
// attributes (local name and value; namespaces are not needed, as the
// envelope's attribute fields match any), its own character data, and its
// child elements.
type xnode struct {
	space, local string
	attrs        []xattr
	text         []byte
	kids         []*xnode
}

type xattr struct{ local, value string }

// attr is the last attribute with this local name, as encoding/xml sets
// a field once per matching attribute.
func (n *xnode) attr(local string) string {
	v := ""
	for _, a := range n.attrs {
		if a.local == local {
			v = a.value
		}
	}
	return v
}

// child returns the one child matching space (empty: any) and local; more
// than one makes the answer one for encoding/xml (ok false).
func (n *xnode) child(space, local string) (c *xnode, ok bool) {
	for _, k := range n.kids {
		if k.local == local && (space == "" || k.space == space) {
			if c != nil {
				return nil, false
			}
			c = k
		}
	}
	return c, true
}

// leaf is the text of a child that holds text only.
func (n *xnode) leaf(space, local string) (text string, found, ok bool) {
	c, ok := n.child(space, local)
	if !ok || c == nil {
		return "", false, ok
	}
	if len(c.kids) > 0 {
		return "", true, false
	}
	return string(c.text), true, true
}

// fastEnvelope reads b into an envelope, or reports that it did not.
func fastEnvelope(b []byte) (*envelope, bool) {
	root, ok := scanXML(b)
	if !ok || root.space != nsSOAP || root.local != "Envelope" {
		return nil, false
	}
	env := &envelope{}
	env.XMLName.Space, env.XMLName.Local = root.space, root.local
	if h, ok := root.child(nsSOAP, "Header"); !ok {
		return nil, false
	} else if h != nil {
		a, _, ok := h.leaf("", "Action")
		if !ok {
			return nil, false
		}
		env.Header.Action = a
	}
	body, ok := root.child(nsSOAP, "Body")
	if !ok || body == nil {
		return nil, false
	}
	for _, k := range body.kids {
		switch {
		case k.space == nsSOAP && k.local == "Fault":
			return nil, false // rare, and read in full by encoding/xml
		case k.local == "ResourceCreated" && k.space == nsTransfer,
			k.local == "Shell" && k.space == nsShell,
			k.local == "CommandResponse" && k.space == nsShell,
			k.local == "ReceiveResponse" && k.space == nsShell:
		default:
			continue
		}
		if !fastBodyPart(env, body, k) {
			return nil, false
		}
	}
	return env, true
}

// fastBodyPart fills the envelope field that k, a child of body, decodes
// into.
func fastBodyPart(env *envelope, body, k *xnode) bool {
	if c, ok := body.child(k.space, k.local); !ok || c != k {
		return false // twice: encoding/xml decodes both into one value
	}
	switch k.local {
	case "ResourceCreated":
		rc := &struct {
			Selectors []struct {
				Name  string `xml:"Name,attr"`
				Value string `xml:",chardata"`
			} `xml:"ReferenceParameters>SelectorSet>Selector"`
		}{}
		rp, ok := k.child("", "ReferenceParameters")
		if !ok {
			return false
		}
		if rp != nil {
			ss, ok := rp.child("", "SelectorSet")
			if !ok {
				return false
			}
			if ss != nil {
				for _, s := range ss.kids {
					if s.local != "Selector" {
						continue
					}
					if len(s.kids) > 0 {
						return false
					}
					rc.Selectors = append(rc.Selectors, struct {
						Name  string `xml:"Name,attr"`
						Value string `xml:",chardata"`
					}{s.attr("Name"), string(s.text)})
				}
			}
		}
		env.Body.ResourceCreated = rc
	case "Shell":
		id, _, ok := k.leaf("", "ShellId")
		if !ok {
			return false
		}
		env.Body.Shell = &struct {
			ShellID string `xml:"ShellId"`
		}{id}
	case "CommandResponse":
		id, _, ok := k.leaf("", "CommandId")
		if !ok {
			return false
		}
		env.Body.CommandResponse = &struct {
			CommandID string `xml:"CommandId"`
		}{id}
	case "ReceiveResponse":
		rr := &receiveResponse{}
		for _, s := range k.kids {
			if s.local != "Stream" {
				continue
			}
			if len(s.kids) > 0 {
				return false
			}
			rr.Streams = append(rr.Streams, struct {
				Name      string `xml:"Name,attr"`
				CommandID string `xml:"CommandId,attr"`
				Data      string `xml:",chardata"`
			}{s.attr("Name"), s.attr("CommandId"), string(s.text)})
		}
		cs, ok := k.child("", "CommandState")
		if !ok {
			return false
		}
		if cs != nil {
			rr.State = &struct {
				CommandID string  `xml:"CommandId,attr"`
				State     string  `xml:"State,attr"`
				ExitCode  *string `xml:"ExitCode"`
			}{CommandID: cs.attr("CommandId"), State: cs.attr("State")}
			code, found, ok := cs.leaf("", "ExitCode")
			if !ok {
				return false
			}
			if found {
				rr.State.ExitCode = &code
			}
		}
		env.Body.ReceiveResponse = rr
	}
	return true
}

// scanner state: the input, the position, and the namespace bindings in
// scope (prefix to URI; "" is the default namespace), innermost last.
type scanner struct {
	b   []byte
	i   int
	ns  []nsBinding
	els int
}

type nsBinding struct{ prefix, uri string }

// Bounds like the simulator's and encoding/xml's own: an answer nested
// deeper or with more elements than any Windows sends is left to the
// slow path, which has its own limits.
const (
	fastMaxDepth    = 32
	fastMaxElements = 4096
)

// knownDecl are the XML declarations the fast reader takes as they are.
var knownDecl = map[string]bool{
	`<?xml version="1.0"?>`:                  true,
	`<?xml version="1.0" encoding="utf-8"?>`: true,
	`<?xml version="1.0" encoding="UTF-8"?>`: true,
}

// scanXML reads a document of one root element, after an optional XML
// declaration, with nothing but whitespace around it.
func scanXML(b []byte) (*xnode, bool) {
	s := &scanner{b: b}
	s.space()
	if bytes.HasPrefix(s.b[s.i:], []byte("<?xml")) {
		end := bytes.Index(s.b[s.i:], []byte("?>"))
		if end < 0 || !knownDecl[string(s.b[s.i:s.i+end+2])] {
			return nil, false // encoding/xml checks the version and the encoding
		}
		s.i += end + 2
		s.space()
	}
	root, ok := s.element(0)
	if !ok {
		return nil, false
	}
	s.space()
	if s.i != len(s.b) {
		return nil, false
	}
	return root, true
}

func (s *scanner) space() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n') {
		s.i++
	}
}

// element reads one element, its start tag at s.i.
func (s *scanner) element(depth int) (*xnode, bool) {
	if depth >= fastMaxDepth || s.els >= fastMaxElements || s.i >= len(s.b) || s.b[s.i] != '<' {
		return nil, false
	}
	s.els++
	s.i++
	qname, ok := s.name()
	if !ok {
		return nil, false
	}
	scope := len(s.ns)
	defer func() { s.ns = s.ns[:scope] }()
	type rawAttr struct{ name, value string }
	var raw []rawAttr
	empty := false
	for {
		sp := s.i
		s.space()
		if s.i >= len(s.b) {
			return nil, false
		}
		if c := s.b[s.i]; c == '>' {
			s.i++
			break
		} else if c == '/' {
			if s.i+1 >= len(s.b) || s.b[s.i+1] != '>' {
				return nil, false
			}
			s.i += 2
			empty = true
			break
		}
		if s.i == sp {
			return nil, false // attributes are separated by space
		}
		an, ok := s.name()
		if !ok || s.i >= len(s.b) || s.b[s.i] != '=' {
			return nil, false
		}
		s.i++
		v, ok := s.quoted()
		if !ok {
			return nil, false
		}
		switch {
		case an == "xmlns":
			s.ns = append(s.ns, nsBinding{"", v})
		case strings.HasPrefix(an, "xmlns:"):
			s.ns = append(s.ns, nsBinding{an[len("xmlns:"):], v})
		}
		raw = append(raw, rawAttr{an, v})
	}
	n := &xnode{}
	var ok2 bool
	if n.space, n.local, ok2 = s.resolve(qname); !ok2 {
		return nil, false
	}
	for _, a := range raw {
		local := a.name
		if p, l, found := strings.Cut(a.name, ":"); found {
			if p != "xmlns" && p != "xml" && !s.bound(p) {
				return nil, false
			}
			local = l
		}
		n.attrs = append(n.attrs, xattr{local, a.value})
	}
	if empty {
		return n, true
	}
	for {
		start := s.i
		lt := bytes.IndexByte(s.b[s.i:], '<')
		if lt < 0 {
			return nil, false
		}
		if lt > 0 {
			t, ok := s.text(s.b[start : start+lt])
			if !ok {
				return nil, false
			}
			n.text = append(n.text, t...)
			s.i += lt
		}
		if s.i+1 >= len(s.b) {
			return nil, false
		}
		switch s.b[s.i+1] {
		case '/':
			s.i += 2
			end, ok := s.name()
			if !ok || end != qname {
				return nil, false
			}
			s.space()
			if s.i >= len(s.b) || s.b[s.i] != '>' {
				return nil, false
			}
			s.i++
			return n, true
		case '!', '?':
			return nil, false // comment, CDATA, DOCTYPE, processing instruction
		}
		k, ok := s.element(depth + 1)
		if !ok {
			return nil, false
		}
		n.kids = append(n.kids, k)
	}
}

// name reads an ASCII name: a letter or _ first, then letters, digits,
// _ - . and at most one colon with a name on each side.
func (s *scanner) name() (string, bool) {
	start := s.i
	colon := -1
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case c >= '0' && c <= '9', c == '-', c == '.':
			if s.i == start || s.i == colon+1 {
				return "", false
			}
		case c == ':':
			if colon >= 0 || s.i == start {
				return "", false
			}
			colon = s.i
		default:
			goto done
		}
		s.i++
	}
done:
	if s.i == start || colon == s.i-1 {
		return "", false
	}
	return string(s.b[start:s.i]), true
}

// quoted reads an attribute value in single or double quotes.
func (s *scanner) quoted() (string, bool) {
	if s.i >= len(s.b) || (s.b[s.i] != '"' && s.b[s.i] != '\'') {
		return "", false
	}
	q := s.b[s.i]
	end := bytes.IndexByte(s.b[s.i+1:], q)
	if end < 0 {
		return "", false
	}
	raw := s.b[s.i+1 : s.i+1+end]
	if bytes.IndexByte(raw, '<') >= 0 {
		return "", false
	}
	v, ok := s.text(raw)
	s.i += end + 2
	return string(v), ok
}

// text decodes character data: the five predefined entities and
// character references, printable ASCII, tab and newline. A carriage
// return (which encoding/xml turns into a newline), a '>' (which it
// refuses after "]]"), or any other byte leaves the answer to
// encoding/xml.
func (s *scanner) text(raw []byte) ([]byte, bool) {
	for _, c := range raw {
		if c >= 0x7f || c < 0x20 && c != '\t' && c != '\n' || c == '>' {
			return nil, false
		}
	}
	amp := bytes.IndexByte(raw, '&')
	if amp < 0 {
		return raw, true
	}
	out := make([]byte, 0, len(raw))
	for len(raw) > 0 {
		i := bytes.IndexByte(raw, '&')
		if i < 0 {
			return append(out, raw...), true
		}
		out = append(out, raw[:i]...)
		raw = raw[i+1:]
		semi := bytes.IndexByte(raw, ';')
		if semi < 0 {
			return nil, false
		}
		ent := string(raw[:semi])
		raw = raw[semi+1:]
		switch ent {
		case "lt":
			out = append(out, '<')
		case "gt":
			out = append(out, '>')
		case "amp":
			out = append(out, '&')
		case "quot":
			out = append(out, '"')
		case "apos":
			out = append(out, '\'')
		default:
			var n uint64
			var err error
			switch {
			case strings.HasPrefix(ent, "#x"):
				n, err = strconv.ParseUint(ent[2:], 16, 8)
			case strings.HasPrefix(ent, "#"):
				n, err = strconv.ParseUint(ent[1:], 10, 8)
			default:
				return nil, false
			}
			// Printable ASCII, tab and newline only; the digits must be
			// plain (no sign, no "0x").
			if err != nil || len(ent) < 2 || n >= 0x7f || n < 0x20 && n != '\t' && n != '\n' || strings.ContainsAny(ent[1:], "+-_") {
				return nil, false
			}
			out = append(out, byte(n))
		}
	}
	return out, true
}

// resolve splits a qualified element name and resolves its prefix.
func (s *scanner) resolve(qname string) (space, local string, ok bool) {
	prefix, local, found := strings.Cut(qname, ":")
	if !found {
		prefix, local = "", qname
	}
	if prefix == "xml" {
		return nsXML, local, true
	}
	if prefix == "xmlns" {
		return "", "", false
	}
	for i := len(s.ns) - 1; i >= 0; i-- {
		if s.ns[i].prefix == prefix {
			return s.ns[i].uri, local, true
		}
	}
	if prefix == "" {
		return "", local, true
	}
	return "", "", false // an undeclared prefix
}

func (s *scanner) bound(prefix string) bool {
	for i := len(s.ns) - 1; i >= 0; i-- {
		if s.ns[i].prefix == prefix {
			return true
		}
	}
	return false
}
