package remote

// The fast reader of SOAP answers. encoding/xml reads a byte at a time
// through an interface and resolves names with maps; on a collection of
// thousands of hosts that was the largest single cost of the client
// (docs/BENCHMARKS.md). fastEnvelope reads the answer with
// internal/xmltree and gives up (ok false) on anything the envelope would
// not get exactly as encoding/xml would fill it: a document xmltree
// leaves, a repeated element where one is expected, an element with
// children where text is expected, a fault. parseEnvelope then reads the
// answer with encoding/xml, so the fast path changes speed, never
// meaning; FuzzFastEnvelope holds it to that.

import "github.com/fleetport/fleetport/internal/xmltree"

const (
	nsSOAP     = "http://www.w3.org/2003/05/soap-envelope"
	nsTransfer = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
	nsShell    = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
)

// xnode is an element as internal/xmltree reads it.
type xnode xmltree.Element

func kids(n *xnode) []*xnode {
	out := make([]*xnode, len(n.Kids))
	for i, k := range n.Kids {
		out[i] = (*xnode)(k)
	}
	return out
}

// attr is the last attribute with this local name, as encoding/xml sets
// a field once per matching attribute.
func (n *xnode) attr(local string) string {
	v := ""
	for _, a := range n.Attrs {
		if a.Local == local {
			v = a.Value
		}
	}
	return v
}

// child returns the one child matching space (empty: any) and local; more
// than one makes the answer one for encoding/xml (ok false).
func (n *xnode) child(space, local string) (c *xnode, ok bool) {
	for _, k := range n.Kids {
		if k.Local == local && (space == "" || k.Space == space) {
			if c != nil {
				return nil, false
			}
			c = (*xnode)(k)
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
	if len(c.Kids) > 0 {
		return "", true, false
	}
	return string(c.Text), true, true
}

// fastEnvelope reads b into an envelope, or reports that it did not.
func fastEnvelope(b []byte) (*envelope, bool) {
	tree, ok := xmltree.Parse(b)
	if !ok || tree.Space != nsSOAP || tree.Local != "Envelope" {
		return nil, false
	}
	root := (*xnode)(tree)
	env := &envelope{}
	env.XMLName.Space, env.XMLName.Local = root.Space, root.Local
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
	for _, k := range kids(body) {
		switch {
		case k.Space == nsSOAP && k.Local == "Fault":
			return nil, false // rare, and read in full by encoding/xml
		case k.Local == "ResourceCreated" && k.Space == nsTransfer,
			k.Local == "Shell" && k.Space == nsShell,
			k.Local == "CommandResponse" && k.Space == nsShell,
			k.Local == "ReceiveResponse" && k.Space == nsShell:
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
	if c, ok := body.child(k.Space, k.Local); !ok || c != k {
		return false // twice: encoding/xml decodes both into one value
	}
	switch k.Local {
	case "ResourceCreated":
		rc := &resourceCreated{}
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
				for _, s := range kids(ss) {
					if s.Local != "Selector" {
						continue
					}
					if len(s.Kids) > 0 {
						return false
					}
					rc.Selectors = append(rc.Selectors, selector{s.attr("Name"), string(s.Text)})
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
		for _, s := range kids(k) {
			if s.Local != "Stream" {
				continue
			}
			if len(s.Kids) > 0 {
				return false
			}
			rr.Streams = append(rr.Streams, stream{s.attr("Name"), s.attr("CommandId"), string(s.Text)})
		}
		cs, ok := k.child("", "CommandState")
		if !ok {
			return false
		}
		if cs != nil {
			rr.State = &commandState{CommandID: cs.attr("CommandId"), State: cs.attr("State")}
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
