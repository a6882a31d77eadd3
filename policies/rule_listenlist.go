package policies

// The listen_list rule: the http.sys IP listen list (ListenOnlyList).
//
//	listen_list {
//	  contains = [host.vars.service_address, host.management_address, "127.0.0.1"]
//	  only     = [host.vars.service_address, host.management_address, "127.0.0.1"]
//	}
//
// windows-semantics.md §2: the list lives in HTTP\Parameters\ListenOnlyList
// (REG_MULTI_SZ); absent or empty, http.sys listens on every address. It is
// httpcfg's on 2003 (Support Tools) and netsh http's from 2008; http.sys
// reads it when the HTTP service starts.

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

var listenListBlockSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "contains"}, {Name: "excludes"}, {Name: "only"}, {Name: "exactly"}, {Name: "allow_empty"},
	},
}

// ListenListTool is the tool that reads and writes the listen list on a
// release.
type ListenListTool int

// The tools.
const (
	ListenListToolUnknown ListenListTool = iota // the release is not known yet
	ListenListHttpcfg                           // httpcfg query|set|delete iplisten (2003, Support Tools)
	ListenListNetsh                             // netsh http show|add|delete iplisten (2008 and later)
)

func (t ListenListTool) String() string {
	switch t {
	case ListenListHttpcfg:
		return "httpcfg"
	case ListenListNetsh:
		return "netsh http"
	}
	return "unknown"
}

// ListenListToolFor returns the listen-list tool of a release.
func ListenListToolFor(r Release) ListenListTool {
	switch {
	case r == ReleaseUnknown || r < Release2003:
		return ListenListToolUnknown
	case r == Release2003:
		return ListenListHttpcfg
	}
	return ListenListNetsh
}

// listenListOS is where http.sys and its listen list exist: from 2003
// (IIS 6). IIS 5 on 2000 binds with Winsock; see the listener rule and the
// iis_socket_pooling command.
var listenListOS = OSRange{Min: Release2003}

// ListenListRule is a decoded listen_list block.
type ListenListRule struct {
	// Contains, Excludes and Only are lists of IP addresses, nil when not
	// set; they may use host values. exactly = L decodes as Contains and
	// Only both L.
	Contains, Excludes, Only hcl.Expression
	Exactly                  bool
	AllowEmpty               bool
	DeclRange                hcl.Range
}

// Kind implements [Rule].
func (r *ListenListRule) Kind() RuleKind { return RuleListenList }

// Range implements [Rule].
func (r *ListenListRule) Range() hcl.Range { return r.DeclRange }

// OS implements [Rule]: 2003 and later.
func (r *ListenListRule) OS() OSRange { return listenListOS }

// ListenListCheck is a listen_list rule resolved for a host. Drift compares
// it with the configured list: what `netsh http show iplisten` or
// `httpcfg query iplisten` print, the ListenOnlyList value, which is what
// http.sys will use after the next HTTP start. The list in effect (from
// netstat's PID 4 listeners) may differ until then; a listener rule checks
// that. Addresses compare as sets (order and duplicates do not matter):
//
//   - An empty list passes when AllowEmpty (http.sys listens on every
//     address, so no address is cut off); otherwise it compares as the
//     empty set.
//   - Contains: every address is in the list.
//   - Excludes: no address is in the list.
//   - Only (when Restricted): every entry of the list is one of Only.
type ListenListCheck struct {
	CheckCommon
	Contains, Excludes, Only []netip.Addr
	Restricted               bool
	AllowEmpty               bool
	Tool                     ListenListTool
}

func decodeListenListBlock(block *hcl.Block) (*ListenListRule, hcl.Diagnostics) {
	content, diags := block.Body.Content(listenListBlockSchema)
	r := &ListenListRule{DeclRange: block.DefRange}
	attrs := content.Attributes
	diags = append(diags, exclusive(attrs, "exactly", "contains")...)
	diags = append(diags, exclusive(attrs, "exactly", "only")...)
	diags = append(diags, requireOne(attrs, block, "contains", "excludes", "only", "exactly")...)
	r.Contains = attrExpr(attrs, "contains")
	r.Excludes = attrExpr(attrs, "excludes")
	r.Only = attrExpr(attrs, "only")
	if e := attrExpr(attrs, "exactly"); e != nil {
		r.Contains, r.Only, r.Exactly = e, e, true
	}
	if a, ok := attrs["allow_empty"]; ok {
		b, d := staticBool(a, "it decides what is compliant on every host")
		diags = append(diags, d...)
		r.AllowEmpty = b
	}
	// A list that may name only some addresses must let the management
	// address and 127.0.0.1 stay: otherwise a host complies only with a
	// list that locks WinRM (and fleetport) out at the next HTTP restart.
	if !r.AllowEmpty {
		for _, n := range []string{"only", "exactly"} {
			if a, ok := attrs[n]; ok {
				diags = append(diags, onlyKeepsAccess(a)...)
			}
		}
	}
	return r, diags
}

// onlyKeepsAccess checks, from the source alone, that an only or exactly
// list written out as a list names host.management_address and
// "127.0.0.1"; a list computed otherwise (concat, a variable) is checked
// per host when it is resolved.
func onlyKeepsAccess(a *hcl.Attribute) hcl.Diagnostics {
	if _, ok := a.Expr.(*hclsyntax.TupleConsExpr); !ok {
		return nil
	}
	miss := missingAccess(a)
	if len(miss) == 0 {
		return nil
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError, Summary: "Listen list can only be met by locking fleetport out",
		Detail: fmt.Sprintf("The %s list does not name %s, so a host complies only with a listen list that lacks it; "+
			"WinRM listens through http.sys, so the next HTTP restart would cut fleetport off. Write the list out and "+
			"include %s (or set allow_empty = true if an empty list, http.sys on every address, is acceptable).",
			a.Name, strings.Join(miss, " or "), strings.Join(miss, " and ")),
		Subject: a.Expr.Range().Ptr(),
	}}
}

func (r *ListenListRule) resolve(ev *evaluator) (Check, hcl.Diagnostics) {
	c := &ListenListCheck{
		CheckCommon: osCommon(r, ev.release, "The http.sys listen list"),
		AllowEmpty:  r.AllowEmpty, Restricted: r.Only != nil, Tool: ListenListToolFor(ev.release),
	}
	var diags hcl.Diagnostics
	known := true
	list := func(expr hcl.Expression, what string) []netip.Addr {
		if expr == nil {
			return nil
		}
		l, ok, d := ev.addrList(expr, what)
		diags = append(diags, d...)
		known = known && (ok || d.HasErrors())
		return l
	}
	c.Contains = list(r.Contains, r.attrName("contains"))
	c.Excludes = list(r.Excludes, "excludes")
	if r.Exactly {
		c.Only = c.Contains
	} else {
		c.Only = list(r.Only, "only")
	}
	if !known {
		c.unknownValue()
		return c, diags
	}
	for _, a := range c.Contains {
		if slices.Contains(c.Excludes, a) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Contradictory listen list",
				Detail:  fmt.Sprintf("%s is both required and excluded, so no host could comply. Remove it from one list.", a),
				Subject: r.Excludes.Range().Ptr(),
			})
			break
		}
	}
	if r.Only != nil && !r.AllowEmpty && ev.mgmt.IsValid() && ev.host != nil {
		lo := netip.AddrFrom4([4]byte{127, 0, 0, 1})
		if !ListenListReaches(c.Only, ev.mgmt) || !ListenListReaches(c.Only, lo) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Listen list can only be met by locking fleetport out",
				Detail: fmt.Sprintf("On this host the %s list does not allow both %s (the management address) and 127.0.0.1, so the host "+
					"complies only with a listen list that cuts WinRM off at the next HTTP restart. Add them to the list.", r.attrName("only"), ev.mgmt),
				Subject: r.Only.Range().Ptr(),
			})
		}
	}
	if r.Only != nil && !r.Exactly {
		for _, a := range c.Contains {
			if !slices.Contains(c.Only, a) {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Contradictory listen list",
					Detail:  fmt.Sprintf("%s is required by contains but not allowed by only, so no host could comply. Add it to only.", a),
					Subject: r.Only.Range().Ptr(),
				})
				break
			}
		}
	}
	return c, diags
}

func (r *ListenListRule) attrName(n string) string {
	if r.Exactly {
		return "exactly"
	}
	return n
}

func (r *ListenListRule) needs(rel Release, n *Needs) {
	if listenListOS.Contains(rel) != NotApplicable {
		n.ListenList = true
	}
}

// ListenListReaches reports whether http.sys, with list as its listen
// list, listens on addr: an empty list means every address, 0.0.0.0 any
// IPv4 address and :: any IPv6 address (windows-semantics.md §2).
func ListenListReaches(list []netip.Addr, addr netip.Addr) bool {
	if len(list) == 0 {
		return true
	}
	addr = addr.Unmap()
	for _, a := range list {
		a = a.Unmap()
		switch {
		case a == addr:
			return true
		case a.IsUnspecified() && a.Is4() == addr.Is4():
			return true
		}
	}
	return false
}
