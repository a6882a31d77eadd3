// Package xmltree reads small, plain XML documents (SOAP messages as
// WinRM peers write them) into a tree of elements, in one pass over the
// bytes: several times faster than encoding/xml, which reads a byte at a
// time through an interface and resolves names with maps.
//
// [Parse] reads only what it reads exactly as encoding/xml's
// Decoder.Token does: elements with ASCII names, namespace declarations
// and prefixes, attributes in either quote, character data of printable
// ASCII, tab and newline with the five predefined entities and character
// references, CDATA sections, an optional XML 1.0 declaration naming
// UTF-8, and whitespace around the root. On anything else (comments,
// DOCTYPE, processing instructions after the declaration, a carriage
// return, a byte outside ASCII, an undeclared prefix, a malformed
// document) it returns false, and the caller reads the document with
// encoding/xml. So the fast path changes speed, never meaning; FuzzParse
// holds it to that against encoding/xml itself.
//
// Names and spaces follow encoding/xml: an element's Space is its
// namespace URI; an attribute's is its prefix's URI, "xmlns" for a
// declaration (Local is the declared prefix; a default declaration is
// Local "xmlns" with no Space), the XML namespace for xml:..., and empty
// when unprefixed.
package xmltree

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
)

const nsXML = "http://www.w3.org/XML/1998/namespace"

// Element is one element: its namespace URI and local name, its
// attributes in document order, its own character data (not its
// children's), and its child elements. Text may share memory with the
// document Parse was given: copy it before that changes.
type Element struct {
	Space, Local string
	Attrs        []Attr
	Text         []byte
	Kids         []*Element
}

// addText appends a piece of character data. The first piece is kept as
// it is (it may be the document's own memory); a second one makes a copy,
// never writing into the document.
func (n *Element) addText(t []byte) {
	if n.Text == nil {
		n.Text = t[:len(t):len(t)]
		return
	}
	n.Text = append(n.Text[:len(n.Text):len(n.Text)], t...)
}

// Attr is an attribute.
type Attr struct{ Space, Local, Value string }

// scanner state: the input, the position, and the namespace bindings in
// scope (prefix to URI; "" is the default namespace), innermost last.
type scanner struct {
	b   []byte
	i   int
	ns  []nsBinding
	els int
}

type nsBinding struct{ prefix, uri string }

// Bounds: a document nested deeper or with more elements than any WinRM
// message is left to the slow path, which has its own limits.
const (
	maxDepth    = 32
	maxElements = 4096
)

// xmlDecl is the XML declarations Parse takes: version 1.0, and UTF-8
// when an encoding is named (encoding/xml refuses any other version, and
// any other encoding without a CharsetReader). masterzen/winrm writes
// `<?xml version="1.0" encoding="utf-8" ?>`.
var xmlDecl = regexp.MustCompile(`^<\?xml[ \t\n]+version=("1\.0"|'1\.0')([ \t\n]+encoding=("(?i:utf-8)"|'(?i:utf-8)'))?([ \t\n]+standalone=("yes"|"no"|'yes'|'no'))?[ \t\n]*\?>$`)

var cdataStart, cdataEnd = []byte("<![CDATA["), []byte("]]>")

// Parse reads a document of one root element, after an optional XML
// declaration, with nothing but whitespace around it.
func Parse(b []byte) (*Element, bool) {
	s := &scanner{b: b}
	s.space()
	if bytes.HasPrefix(s.b[s.i:], []byte("<?xml")) {
		end := bytes.Index(s.b[s.i:], []byte("?>"))
		if end < 0 || !xmlDecl.Match(s.b[s.i:s.i+end+2]) {
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
func (s *scanner) element(depth int) (*Element, bool) {
	if depth >= maxDepth || s.els >= maxElements || s.i >= len(s.b) || s.b[s.i] != '<' {
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
	n := &Element{}
	var ok2 bool
	if n.Space, n.Local, ok2 = s.resolve(qname); !ok2 {
		return nil, false
	}
	for _, a := range raw {
		at := Attr{Local: a.name, Value: a.value}
		if p, l, found := strings.Cut(a.name, ":"); found {
			// As encoding/xml translates attribute names: xmlns:p keeps
			// "xmlns" as its space, xml:x gets the XML namespace, any
			// other prefix its URI; an unprefixed attribute has none.
			at.Local = l
			switch {
			case p == "xmlns":
				at.Space = "xmlns"
			case p == "xml":
				at.Space = nsXML
			default:
				uri, ok := s.lookup(p)
				if !ok {
					return nil, false
				}
				at.Space = uri
			}
		}
		n.Attrs = append(n.Attrs, at)
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
			n.addText(t)
			s.i += lt
		}
		if s.i+1 >= len(s.b) {
			return nil, false
		}
		switch s.b[s.i+1] {
		case '/':
			s.i += 2
			end, ok := s.rawName()
			if !ok || string(end) != qname {
				return nil, false
			}
			s.space()
			if s.i >= len(s.b) || s.b[s.i] != '>' {
				return nil, false
			}
			s.i++
			return n, true
		case '!':
			// CDATA (masterzen/winrm sends command lines so) is taken
			// verbatim; a comment or a DOCTYPE is left.
			if !bytes.HasPrefix(s.b[s.i:], cdataStart) {
				return nil, false
			}
			end := bytes.Index(s.b[s.i+len(cdataStart):], cdataEnd)
			if end < 0 {
				return nil, false
			}
			raw := s.b[s.i+len(cdataStart) : s.i+len(cdataStart)+end]
			for _, c := range raw {
				if c >= 0x7f || c < 0x20 && c != '\t' && c != '\n' {
					return nil, false
				}
			}
			n.addText(raw)
			s.i += len(cdataStart) + end + len(cdataEnd)
			continue
		case '?':
			return nil, false // a processing instruction
		}
		k, ok := s.element(depth + 1)
		if !ok {
			return nil, false
		}
		n.Kids = append(n.Kids, k)
	}
}

// name reads an ASCII name: a letter or _ first, then letters, digits,
// _ - . and at most one colon with a name on each side.
func (s *scanner) name() (string, bool) {
	b, ok := s.rawName()
	if !ok {
		return "", false
	}
	return interned(b), true
}

func (s *scanner) rawName() ([]byte, bool) {
	start := s.i
	colon := -1
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case c >= '0' && c <= '9', c == '-', c == '.':
			if s.i == start || s.i == colon+1 {
				return nil, false
			}
		case c == ':':
			if colon >= 0 || s.i == start {
				return nil, false
			}
			colon = s.i
		default:
			goto done
		}
		s.i++
	}
done:
	if s.i == start || colon == s.i-1 {
		return nil, false
	}
	return s.b[start:s.i], true
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
	return interned(v), ok
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
	if uri, ok := s.lookup(prefix); ok {
		return uri, local, true
	}
	if prefix == "" {
		return "", local, true
	}
	return "", "", false // an undeclared prefix
}

func (s *scanner) lookup(prefix string) (string, bool) {
	for i := len(s.ns) - 1; i >= 0; i-- {
		if s.ns[i].prefix == prefix {
			return s.ns[i].uri, true
		}
	}
	return "", false
}

// common are the names and attribute values of WS-Man messages: Parse
// returns these strings instead of allocating new ones (a map lookup by
// string(bytes) does not allocate).
var common = func() map[string]string {
	m := map[string]string{}
	for _, s := range strings.Fields(`
		Envelope Header Body Action MessageID To ReplyTo Address RelatesTo ResourceURI
		OperationTimeout MaxEnvelopeSize Locale DataLocale SelectorSet Selector OptionSet Option
		Shell ShellId CommandLine Command Arguments CommandId CommandResponse Receive ReceiveResponse
		DesiredStream Stream CommandState ExitCode Signal SignalResponse Code Send InputStreams
		OutputStreams ResourceCreated ReferenceParameters Name State End mustUnderstand lang
		xml:lang xmlns Unit SequenceId WorkingDirectory Environment Variable Lifetime IdleTimeOut
		s:Envelope s:Header s:Body a:Action a:MessageID a:To a:ReplyTo a:Address a:RelatesTo
		env:Envelope env:Header env:Body w:ResourceURI w:OperationTimeout w:MaxEnvelopeSize w:Locale
		w:SelectorSet w:Selector w:OptionSet w:Option p:DataLocale rsp:Shell rsp:ShellId
		rsp:CommandLine rsp:Command rsp:Arguments rsp:CommandId rsp:CommandResponse rsp:Receive
		rsp:ReceiveResponse rsp:DesiredStream rsp:Stream rsp:CommandState rsp:ExitCode rsp:Signal
		rsp:SignalResponse rsp:Code rsp:Send rsp:InputStreams rsp:OutputStreams x:ResourceCreated
		a:ReferenceParameters w:SequenceId p:SessionId xmlns:s xmlns:a xmlns:w xmlns:p xmlns:rsp
		xmlns:env xmlns:x xmlns:b xmlns:n xmlns:cfg s:mustUnderstand env:mustUnderstand
		true false stdout stderr stdin en-US stdout\ stderr WINRS_NOPROFILE WINRS_CODEPAGE
		WINRS_CONSOLEMODE_STDIN WINRS_SKIP_CMD_SHELL TRUE FALSE 437 65001 PT60S PT20S
		http://www.w3.org/2003/05/soap-envelope
		http://schemas.xmlsoap.org/ws/2004/08/addressing
		http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous
		http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd
		http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd
		http://schemas.microsoft.com/wbem/wsman/1/windows/shell
		http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd
		http://schemas.xmlsoap.org/ws/2004/09/transfer
		http://schemas.xmlsoap.org/ws/2004/09/transfer/Create
		http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete
		http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command
		http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive
		http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Signal
		http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Send
		http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/terminate
		http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done
		http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Running
		http://schemas.microsoft.com/wbem/wsman/1/wsmanfault
		http://schemas.microsoft.com/wbem/wsman/1/config
	`) {
		m[strings.ReplaceAll(s, `\ `, " ")] = strings.ReplaceAll(s, `\ `, " ")
	}
	return m
}()

// interned returns b as a string, without allocating when it is common.
func interned(b []byte) string {
	if s, ok := common[string(b)]; ok {
		return s
	}
	return string(b)
}
