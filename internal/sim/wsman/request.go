package wsman

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"

	"github.com/fleetport/fleetport/internal/xmltree"
)

// Namespace URIs (winrm-wire.md section 3). Requests are matched on these,
// never on prefixes.
const (
	nsSOAP      = "http://www.w3.org/2003/05/soap-envelope"
	nsAddr      = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
	nsWsman     = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
	nsMSWsman   = "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"
	nsTransfer  = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
	nsShell     = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
	nsWsmFault  = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"
	nsEventing  = "http://schemas.xmlsoap.org/ws/2004/08/eventing"
	nsEnumerate = "http://schemas.xmlsoap.org/ws/2004/09/enumeration"

	resourceCmd = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"

	actionCreate  = nsTransfer + "/Create"
	actionDelete  = nsTransfer + "/Delete"
	actionCommand = nsShell + "/Command"
	actionSend    = nsShell + "/Send"
	actionReceive = nsShell + "/Receive"
	actionSignal  = nsShell + "/Signal"

	anonymous = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
)

// Parser limits. A request is at most MaxEnvelopeSize bytes; these only stop
// pathological nesting from costing more than the text itself.
const (
	maxDepth    = 256
	maxElements = 1 << 17
)

// node is one element of a parsed request. Space is the namespace URI.
type node struct {
	Space, Local string
	Attrs        []xml.Attr
	Text         string // concatenated character data of direct children
	Kids         []*node
}

// attr returns the value of the attribute with the given local name and no
// namespace (WS-Man attributes such as Name, CommandId, End are unqualified).
func (n *node) attr(local string) (string, bool) {
	for _, a := range n.Attrs {
		if a.Name.Local == local && a.Name.Space == "" {
			return a.Value, true
		}
	}
	return "", false
}

// child returns the first child element with the given namespace and name.
func (n *node) child(space, local string) *node {
	if n == nil {
		return nil
	}
	for _, k := range n.Kids {
		if k.Space == space && k.Local == local {
			return k
		}
	}
	return nil
}

// children returns every child element with the given namespace and name.
func (n *node) children(space, local string) []*node {
	if n == nil {
		return nil
	}
	var out []*node
	for _, k := range n.Kids {
		if k.Space == space && k.Local == local {
			out = append(out, k)
		}
	}
	return out
}

var errTooComplex = errors.New("wsman: request nesting too deep or too many elements")

// parseXML builds a node tree from a well-formed XML document: with
// internal/xmltree when it reads the document (the requests WinRM clients
// send; it reads them as encoding/xml does, several times faster), else
// with encoding/xml.
func parseXML(b []byte) (*node, error) {
	if t, ok := xmltree.Parse(b); ok {
		return fromTree(t), nil
	}
	return decodeXML(b)
}

// fromTree copies an xmltree element into a node tree.
func fromTree(t *xmltree.Element) *node {
	n := &node{Space: t.Space, Local: t.Local, Text: string(t.Text)}
	if len(t.Attrs) > 0 {
		n.Attrs = make([]xml.Attr, len(t.Attrs))
		for i, a := range t.Attrs {
			n.Attrs[i] = xml.Attr{Name: xml.Name{Space: a.Space, Local: a.Local}, Value: a.Value}
		}
	}
	if len(t.Kids) > 0 {
		n.Kids = make([]*node, len(t.Kids))
		for i, k := range t.Kids {
			n.Kids[i] = fromTree(k)
		}
	}
	return n
}

// decodeXML builds a node tree with encoding/xml. It never recurses, so
// hostile input costs at most linear time and memory.
func decodeXML(b []byte) (*node, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	var (
		root  *node
		stack []*node
		texts []*strings.Builder // pointers: a Builder must not be copied
		count int
	)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			if root == nil || len(stack) != 0 {
				return nil, io.ErrUnexpectedEOF
			}
			return root, nil
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root != nil && len(stack) == 0 {
				return nil, errors.New("wsman: more than one root element")
			}
			count++
			if count > maxElements || len(stack) >= maxDepth {
				return nil, errTooComplex
			}
			n := &node{Space: t.Name.Space, Local: t.Name.Local, Attrs: t.Copy().Attr}
			if len(stack) == 0 {
				root = n
			} else {
				p := stack[len(stack)-1]
				p.Kids = append(p.Kids, n)
			}
			stack = append(stack, n)
			texts = append(texts, &strings.Builder{})
		case xml.EndElement:
			n := stack[len(stack)-1]
			n.Text = texts[len(texts)-1].String()
			stack = stack[:len(stack)-1]
			texts = texts[:len(texts)-1]
		case xml.CharData:
			if len(stack) > 0 {
				texts[len(texts)-1].Write(t)
			} else if len(bytes.TrimSpace(t)) > 0 {
				return nil, errors.New("wsman: text outside the root element")
			}
		}
	}
}

// request is what the service needs from one SOAP envelope.
type request struct {
	action      string
	messageID   string
	resourceURI string
	hasResource bool
	timeout     string // raw w:OperationTimeout
	hasTimeout  bool
	maxEnvelope string // raw w:MaxEnvelopeSize
	hasMaxEnv   bool
	selectors   map[string]string
	options     []option
	body        *node // first element inside s:Body, nil if empty
	hasBody     bool  // s:Body present
}

type option struct{ name, value string }

// selector returns a selector value, trimmed, matched by name
// case-insensitively.
func (r *request) selector(name string) (string, bool) {
	for k, v := range r.selectors {
		if strings.EqualFold(k, name) {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

// option returns the value of the first w:Option with that name (names are
// matched case-insensitively).
func (r *request) option(name string) (string, bool) {
	for _, o := range r.options {
		if strings.EqualFold(o.name, name) {
			return strings.TrimSpace(o.value), true
		}
	}
	return "", false
}

// optionBool reads a boolean option; xs:boolean "true"/"1", any case, is
// true (clients send TRUE, true and True).
func (r *request) optionBool(name string) bool {
	v, _ := r.option(name)
	return parseBool(v)
}

func parseBool(v string) bool {
	v = strings.TrimSpace(v)
	return strings.EqualFold(v, "true") || v == "1"
}

// envelopeError classifies a request that cannot be read as SOAP.
type envelopeError int

const (
	envOK envelopeError = iota
	envMalformed
	envVersion
)

// readEnvelope extracts headers and body from a parsed SOAP 1.2 envelope.
func readEnvelope(root *node) (*request, envelopeError) {
	if root.Local != "Envelope" {
		return nil, envMalformed
	}
	if root.Space != nsSOAP {
		return nil, envVersion
	}
	r := &request{selectors: map[string]string{}}
	if h := root.child(nsSOAP, "Header"); h != nil {
		for _, k := range h.Kids {
			switch {
			case k.Space == nsAddr && k.Local == "Action" && r.action == "":
				r.action = strings.TrimSpace(k.Text)
			case k.Space == nsAddr && k.Local == "MessageID" && r.messageID == "":
				r.messageID = strings.TrimSpace(k.Text)
			case k.Space == nsWsman && k.Local == "ResourceURI" && !r.hasResource:
				r.resourceURI, r.hasResource = strings.TrimSpace(k.Text), true
			case k.Space == nsWsman && k.Local == "OperationTimeout" && !r.hasTimeout:
				r.timeout, r.hasTimeout = k.Text, true
			case k.Space == nsWsman && k.Local == "MaxEnvelopeSize" && !r.hasMaxEnv:
				r.maxEnvelope, r.hasMaxEnv = strings.TrimSpace(k.Text), true
			case k.Space == nsWsman && k.Local == "SelectorSet":
				for _, s := range k.children(nsWsman, "Selector") {
					name, _ := s.attr("Name")
					if _, dup := r.selectors[name]; !dup {
						r.selectors[name] = s.Text
					}
				}
			case k.Space == nsWsman && k.Local == "OptionSet":
				for _, o := range k.children(nsWsman, "Option") {
					name, _ := o.attr("Name")
					r.options = append(r.options, option{name: name, value: o.Text})
				}
			}
		}
	}
	if b := root.child(nsSOAP, "Body"); b != nil {
		r.hasBody = true
		if len(b.Kids) > 0 {
			r.body = b.Kids[0]
		}
	}
	return r, envOK
}
