package policies

// The listener rule: who listens on a port, from the socket table.
//
//	listener {
//	  port         = 25
//	  not_wildcard = true
//	}
//
// Socket pooling (windows-semantics.md §3, KB 238131, KB 813368) shows here:
// a pooled IIS 5 service, or SMTP on any release, binds 0.0.0.0 whatever
// address it is configured for.

import (
	"fmt"
	"net/netip"

	"github.com/hashicorp/hcl/v2"
)

var listenerBlockSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "port", Required: true}, {Name: "protocol"},
		{Name: "not_wildcard"}, {Name: "only_addresses"}, {Name: "listening"},
	},
}

// ListenerRule is a decoded listener block.
type ListenerRule struct {
	Protocol Protocol
	// Port may use host values.
	Port        hcl.Expression
	NotWildcard bool
	// OnlyAddresses is a list of IP addresses, nil when not set.
	OnlyAddresses hcl.Expression
	// Listening is nil when not set.
	Listening *bool
	DeclRange hcl.Range
}

// Kind implements [Rule].
func (r *ListenerRule) Kind() RuleKind { return RuleListener }

// Range implements [Rule].
func (r *ListenerRule) Range() hcl.Range { return r.DeclRange }

// OS implements [Rule]: every release.
func (r *ListenerRule) OS() OSRange { return OSRange{} }

// ListenerCheck is a listener rule resolved for a host. Drift looks at the
// socket table's listeners on Port: LISTENING TCP sockets for TCP, bound
// UDP endpoints for UDP, whatever process owns them (http.sys shows as
// PID 4):
//
//   - Listening true: at least one; false: none.
//   - NotWildcard: none is bound to 0.0.0.0 or [::].
//   - OnlyAddresses (when Restricted): every one is bound to one of them
//     (a wildcard bind fails unless 0.0.0.0 or :: is listed).
type ListenerCheck struct {
	CheckCommon
	Protocol      Protocol
	Port          uint16
	Listening     *bool
	NotWildcard   bool
	OnlyAddresses []netip.Addr
	Restricted    bool
}

func decodeListenerBlock(block *hcl.Block) (*ListenerRule, hcl.Diagnostics) {
	content, diags := block.Body.Content(listenerBlockSchema)
	r := &ListenerRule{DeclRange: block.DefRange}
	attrs := content.Attributes
	const why = "it decides what is compliant on every host"
	if a, ok := attrs["protocol"]; ok {
		s, d := staticString(a, why)
		diags = append(diags, d...)
		if !d.HasErrors() {
			p, err := parseProtocol(s)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid protocol",
					Detail: fmt.Sprintf("%v.", err), Subject: a.Expr.Range().Ptr()})
			}
			r.Protocol = p
		}
	}
	r.Port = attrExpr(attrs, "port")
	if a, ok := attrs["not_wildcard"]; ok {
		b, d := staticBool(a, why)
		diags = append(diags, d...)
		r.NotWildcard = b
	}
	r.OnlyAddresses = attrExpr(attrs, "only_addresses")
	if a, ok := attrs["listening"]; ok {
		b, d := staticBool(a, why)
		diags = append(diags, d...)
		r.Listening = &b
		if !b {
			for _, n := range []string{"not_wildcard", "only_addresses"} {
				if o, ok := attrs[n]; ok {
					diags = append(diags, &hcl.Diagnostic{
						Severity: hcl.DiagError, Summary: "Conflicting arguments",
						Detail:  fmt.Sprintf("listening = false requires that nothing listens on the port, so %s can never matter. Remove one of them.", n),
						Subject: o.NameRange.Ptr(),
					})
				}
			}
		}
	}
	diags = append(diags, requireOne(attrs, block, "not_wildcard", "only_addresses", "listening")...)
	return r, diags
}

func (r *ListenerRule) resolve(ev *evaluator) (Check, hcl.Diagnostics) {
	c := &ListenerCheck{
		CheckCommon: osCommon(r, ev.release, "A listener"),
		Protocol:    r.Protocol, Listening: r.Listening, NotWildcard: r.NotWildcard, Restricted: r.OnlyAddresses != nil,
	}
	var diags hcl.Diagnostics
	known := true
	if r.Port != nil {
		p, ok, d := ev.integer(r.Port, "port", 1, 65535)
		diags = append(diags, d...)
		known = known && (ok || d.HasErrors())
		c.Port = uint16(p)
	}
	if r.OnlyAddresses != nil {
		l, ok, d := ev.addrList(r.OnlyAddresses, "only_addresses")
		diags = append(diags, d...)
		known = known && (ok || d.HasErrors())
		c.OnlyAddresses = l
	}
	if !known {
		c.unknownValue()
	}
	return c, diags
}

func (r *ListenerRule) needs(_ Release, n *Needs) { n.Sockets = true }
