package policies

// The dynamic_port_range rule: the client (ephemeral) port range of the
// next-generation stack.
//
//	dynamic_port_range {
//	  start    = 10000
//	  min_size = 55535
//	}
//
// windows-semantics.md §1 "The Vista+ dynamic port range" (KB 929851, S4,
// S11): from 2008 the range is `netsh int ipv4|ipv6 show|set dynamicport
// tcp|udp`, kept per family and protocol, default 49152 + 16384 ports; at
// least 255 ports, start 1025 or above, end 65535 or below; a change
// applies at once. 2003 has no such range: its client ports are
// 1025..MaxUserPort.

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

var dynamicPortRangeBlockSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "protocol"}, {Name: "family"}, {Name: "start"}, {Name: "size"}, {Name: "min_size"},
	},
}

// The limits netsh enforces (windows-semantics.md §1, S4, S11).
const (
	dynMinStart = 1025
	dynMaxEnd   = 65535
	dynMinSize  = 255
)

// dynamicPortRangeOS is where the dynamic port range exists.
var dynamicPortRangeOS = OSRange{Min: Release2008}

// PortRangeRef names one of the dynamic port ranges a host keeps.
type PortRangeRef struct {
	Protocol Protocol
	Family   Family
}

func (p PortRangeRef) String() string { return p.Family.String() + "/" + p.Protocol.String() }

// DynamicPortRangeRule is a decoded dynamic_port_range block.
type DynamicPortRangeRule struct {
	Ports PortRangeRef
	// Start, Size and MinSize are nil when not set and may use host values.
	Start, Size, MinSize hcl.Expression
	DeclRange            hcl.Range
}

// Kind implements [Rule].
func (r *DynamicPortRangeRule) Kind() RuleKind { return RuleDynamicPortRange }

// Range implements [Rule].
func (r *DynamicPortRangeRule) Range() hcl.Range { return r.DeclRange }

// OS implements [Rule]: 2008 and later.
func (r *DynamicPortRangeRule) OS() OSRange { return dynamicPortRangeOS }

// DynamicPortRangeCheck is a dynamic_port_range rule resolved for a host.
// Drift compares it with the range netsh shows for Ports (start and number
// of ports): Start, when set, equals the start; Size, when set, equals the
// number of ports; MinSize, when set, is at most the number of ports.
type DynamicPortRangeCheck struct {
	CheckCommon
	Ports   PortRangeRef
	Start   *int
	Size    *int
	MinSize *int
}

func decodePortRangeRef(attrs hcl.Attributes) (PortRangeRef, hcl.Diagnostics) {
	var ref PortRangeRef
	var diags hcl.Diagnostics
	const why = "it decides which range collection reads"
	if a, ok := attrs["protocol"]; ok {
		s, d := staticString(a, why)
		diags = append(diags, d...)
		if !d.HasErrors() {
			p, err := parseProtocol(s)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid protocol",
					Detail: fmt.Sprintf("%v.", err), Subject: a.Expr.Range().Ptr()})
			}
			ref.Protocol = p
		}
	}
	if a, ok := attrs["family"]; ok {
		s, d := staticString(a, why)
		diags = append(diags, d...)
		if !d.HasErrors() {
			f, err := parseFamily(s)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid address family",
					Detail: fmt.Sprintf("%v.", err), Subject: a.Expr.Range().Ptr()})
			}
			ref.Family = f
		}
	}
	return ref, diags
}

func decodeDynamicPortRangeBlock(block *hcl.Block) (*DynamicPortRangeRule, hcl.Diagnostics) {
	content, diags := block.Body.Content(dynamicPortRangeBlockSchema)
	r := &DynamicPortRangeRule{DeclRange: block.DefRange}
	attrs := content.Attributes
	ref, d := decodePortRangeRef(attrs)
	diags = append(diags, d...)
	r.Ports = ref
	r.Start = attrExpr(attrs, "start")
	r.Size = attrExpr(attrs, "size")
	r.MinSize = attrExpr(attrs, "min_size")
	diags = append(diags, exclusive(attrs, "size", "min_size")...)
	diags = append(diags, requireOne(attrs, block, "start", "size", "min_size")...)
	return r, diags
}

// portRange evaluates start and a size expression and checks netsh's
// limits; the pointers are nil when unset or unknown.
func portRange(ev *evaluator, startExpr, sizeExpr hcl.Expression, sizeName string) (start, size *int, known bool, diags hcl.Diagnostics) {
	known = true
	if startExpr != nil {
		n, ok, d := ev.integer(startExpr, "start", dynMinStart, dynMaxEnd-dynMinSize+1)
		diags = append(diags, d...)
		known = known && (ok || d.HasErrors())
		if ok {
			i := int(n)
			start = &i
		}
	}
	if sizeExpr != nil {
		n, ok, d := ev.integer(sizeExpr, sizeName, dynMinSize, dynMaxEnd-dynMinStart+1)
		diags = append(diags, d...)
		known = known && (ok || d.HasErrors())
		if ok {
			i := int(n)
			size = &i
		}
	}
	if start != nil && size != nil && *start+*size-1 > dynMaxEnd {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Value out of range",
			Detail: fmt.Sprintf("start %d with %d ports ends at %d, past port %d; netsh refuses it. Lower start or %s.",
				*start, *size, *start+*size-1, dynMaxEnd, sizeName),
			Subject: sizeExpr.Range().Ptr(),
		})
	}
	return start, size, known, diags
}

func (r *DynamicPortRangeRule) resolve(ev *evaluator) (Check, hcl.Diagnostics) {
	c := &DynamicPortRangeCheck{
		CheckCommon: osCommon(r, ev.release, "The dynamic port range (2003 uses 1025..MaxUserPort instead)"),
		Ports:       r.Ports,
	}
	sizeExpr, sizeName := r.Size, "size"
	if r.MinSize != nil {
		sizeExpr, sizeName = r.MinSize, "min_size"
	}
	start, size, known, diags := portRange(ev, r.Start, sizeExpr, sizeName)
	c.Start = start
	if r.MinSize != nil {
		c.MinSize = size
	} else {
		c.Size = size
	}
	if !known {
		c.unknownValue()
	}
	return c, diags
}

func (r *DynamicPortRangeRule) needs(rel Release, n *Needs) {
	if dynamicPortRangeOS.Contains(rel) != NotApplicable {
		n.addPortRange(r.Ports)
	}
}
