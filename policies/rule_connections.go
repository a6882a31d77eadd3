package policies

// The connections rule: pressure in the connection table.
//
//	connections {
//	  state              = "TIME_WAIT"
//	  max_per_remote     = 5000
//	  max_share_of_range = 0.5
//	}
//
// Ephemeral port exhaustion (windows-semantics.md §1 and §4, KB 328476):
// a client that opens and closes connections without pooling leaves them
// in TIME_WAIT, and when the count toward one remote endpoint nears the
// size of the client port range, new connections fail (WSAENOBUFS 10055,
// "Only one usage of each socket address").

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

var connectionsBlockSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "state"}, {Name: "remote_port"}, {Name: "remote_address"},
		{Name: "max_total"}, {Name: "max_per_remote"}, {Name: "max_share_of_range"},
	},
}

// maxConnections bounds the count limits: no Windows host holds more
// TCP connections than TcpNumConnections' maximum.
const maxConnections = 0xFFFFFE

// ConnectionsRule is a decoded connections block.
type ConnectionsRule struct {
	// States filters the connections; empty means every state but
	// LISTENING.
	States []TCPState
	// RemotePort, RemoteAddress, MaxTotal, MaxPerRemote and MaxShareOfRange
	// are nil when not set and may use host values.
	RemotePort, RemoteAddress               hcl.Expression
	MaxTotal, MaxPerRemote, MaxShareOfRange hcl.Expression
	DeclRange                               hcl.Range
}

// Kind implements [Rule].
func (r *ConnectionsRule) Kind() RuleKind { return RuleConnections }

// Range implements [Rule].
func (r *ConnectionsRule) Range() hcl.Range { return r.DeclRange }

// OS implements [Rule]: every release.
func (r *ConnectionsRule) OS() OSRange { return OSRange{} }

// ConnectionsCheck is a connections rule resolved for a host. Drift takes
// the socket table's TCP connections (never LISTENING rows) whose state is
// one of States (any when empty), whose remote port is RemotePort (any
// when 0) and whose remote address is RemoteAddress (any when invalid),
// groups them by remote endpoint (address and port), and checks:
//
//   - MaxTotal: the number of connections is at most MaxTotal.
//   - MaxPerRemote: every endpoint's count is at most MaxPerRemote.
//   - MaxShareOfRange: every endpoint's count divided by the size of the
//     client port range is at most MaxShareOfRange. The range is the one
//     configured for the endpoint's family: on 2003, 1025..MaxUserPort
//     (MaxUserPort's data, 5000 when absent); from 2008, the dynamic port
//     range of TCP for the family (netsh int ipv4|ipv6 show dynamicport
//     tcp). Without that fact the check is unknown, not compliant.
//
// Limits include their bound: a count equal to MaxPerRemote passes.
type ConnectionsCheck struct {
	CheckCommon
	States          []TCPState
	RemotePort      uint16
	RemoteAddress   netip.Addr
	MaxTotal        *int
	MaxPerRemote    *int
	MaxShareOfRange *float64
}

func decodeConnectionsBlock(block *hcl.Block) (*ConnectionsRule, hcl.Diagnostics) {
	content, diags := block.Body.Content(connectionsBlockSchema)
	r := &ConnectionsRule{DeclRange: block.DefRange}
	attrs := content.Attributes
	if a, ok := attrs["state"]; ok {
		v, d := staticValue(a, "it decides which connections count on every host")
		diags = append(diags, d...)
		if !d.HasErrors() {
			var names []string
			if sv, err := convert.Convert(v, cty.String); err == nil && sv.IsKnown() && !sv.IsNull() {
				names = []string{sv.AsString()}
			} else if lv, err := convert.Convert(v, cty.List(cty.String)); err == nil && lv.IsWhollyKnown() && !lv.IsNull() {
				for it := lv.ElementIterator(); it.Next(); {
					_, e := it.Element()
					if !e.IsNull() {
						names = append(names, e.AsString())
					}
				}
			} else {
				diags = append(diags, typeDiag(a.Expr.Range(), "state", "a state name or a list of them", v.Type()))
			}
			for _, n := range names {
				st, ok := parseTCPState(n)
				switch {
				case !ok:
					diags = append(diags, &hcl.Diagnostic{
						Severity: hcl.DiagError, Summary: "Unknown TCP state",
						Detail: fmt.Sprintf("%q is not a TCP state.%s States are spelt as English netstat prints them: %s.",
							n, didYouMean(n, connectionStateNames()), strings.Join(connectionStateNames(), ", ")),
						Subject: a.Expr.Range().Ptr(),
					})
				case st == StateListen:
					diags = append(diags, &hcl.Diagnostic{
						Severity: hcl.DiagError, Summary: "Listeners are not connections",
						Detail:  "A connections rule counts connections. Use a listener block to check who listens on a port.",
						Subject: a.Expr.Range().Ptr(),
					})
				case !slices.Contains(r.States, st):
					r.States = append(r.States, st)
				}
			}
		}
	}
	r.RemotePort = attrExpr(attrs, "remote_port")
	r.RemoteAddress = attrExpr(attrs, "remote_address")
	r.MaxTotal = attrExpr(attrs, "max_total")
	r.MaxPerRemote = attrExpr(attrs, "max_per_remote")
	r.MaxShareOfRange = attrExpr(attrs, "max_share_of_range")
	diags = append(diags, requireOne(attrs, block, "max_total", "max_per_remote", "max_share_of_range")...)
	return r, diags
}

func (r *ConnectionsRule) resolve(ev *evaluator) (Check, hcl.Diagnostics) {
	c := &ConnectionsCheck{CheckCommon: osCommon(r, ev.release, "The connection table"), States: slices.Clone(r.States)}
	var diags hcl.Diagnostics
	known := true
	intAttr := func(expr hcl.Expression, what string, min, max int64) *int {
		if expr == nil {
			return nil
		}
		n, ok, d := ev.integer(expr, what, min, max)
		diags = append(diags, d...)
		known = known && (ok || d.HasErrors())
		if !ok {
			return nil
		}
		i := int(n)
		return &i
	}
	if p := intAttr(r.RemotePort, "remote_port", 1, 65535); p != nil {
		c.RemotePort = uint16(*p)
	}
	if r.RemoteAddress != nil {
		v, d := ev.value(r.RemoteAddress)
		diags = append(diags, d...)
		switch {
		case d.HasErrors():
		case !v.IsWhollyKnown():
			known = false
		case v.IsNull() || v.Type() != cty.String:
			diags = append(diags, typeDiag(r.RemoteAddress.Range(), "remote_address", "a string holding an IP address", v.Type()))
		default:
			a, err := netip.ParseAddr(v.AsString())
			if err != nil || a.Zone() != "" {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Invalid IP address",
					Detail:  fmt.Sprintf("remote_address %q is not a bare IP address. Give an IPv4 or IPv6 address.", v.AsString()),
					Subject: r.RemoteAddress.Range().Ptr(),
				})
			}
			c.RemoteAddress = a.Unmap()
		}
	}
	c.MaxTotal = intAttr(r.MaxTotal, "max_total", 0, maxConnections)
	c.MaxPerRemote = intAttr(r.MaxPerRemote, "max_per_remote", 0, maxConnections)
	if r.MaxShareOfRange != nil {
		f, ok, d := ev.float(r.MaxShareOfRange, "max_share_of_range", 0, 1)
		diags = append(diags, d...)
		known = known && (ok || d.HasErrors())
		if ok {
			c.MaxShareOfRange = &f
		}
	}
	if !known {
		c.unknownValue()
	}
	return c, diags
}

func (r *ConnectionsRule) needs(rel Release, n *Needs) {
	n.Sockets = true
	if r.MaxShareOfRange == nil {
		return
	}
	// The client port range: MaxUserPort on the old stack, the dynamic
	// port range from 2008; both while the release is unknown.
	if rel == ReleaseUnknown || rel <= Release2003 {
		k, _ := LookupKnown("MaxUserPort")
		n.addRegistry(RegistryValue{Key: k.Key, Name: k.Name, Type: k.Type, Known: k})
	}
	if rel == ReleaseUnknown || rel >= Release2008 {
		n.addPortRange(PortRangeRef{Protocol: TCP, Family: IPv4})
		n.addPortRange(PortRangeRef{Protocol: TCP, Family: IPv6})
	}
}
