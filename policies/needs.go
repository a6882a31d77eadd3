package policies

import (
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Needs is what collection must fetch from one host so that drift can
// judge every policy that applies (or may apply) to it, and the planner
// can plan its remediations. Collection asks a host only for what its
// Needs name.
type Needs struct {
	// Release: some answer depends on the host's release, which is not
	// known yet. Collect the identity (ver) first, set [Host.OS] and
	// [Host.OSBuild], and call Needs again: the answer narrows (httpcfg or
	// netsh, MaxUserPort or the dynamic port range).
	Release bool
	// Registry lists the values to read (reg query KEY /v NAME), sorted by
	// key and name.
	Registry []RegistryValue
	// ListenList: the configured http.sys listen list (httpcfg query
	// iplisten on 2003, netsh http show iplisten later).
	ListenList bool
	// Sockets: the TCP/UDP socket table (listeners and connections).
	Sockets bool
	// PortRanges lists the dynamic port ranges to read (netsh int FAMILY
	// show dynamicport PROTOCOL), sorted.
	PortRanges []PortRangeRef
	// Services lists the services whose state to read, sorted by name;
	// Dependants asks for the services that depend on it too (what a
	// restart with dependants stops and must start again).
	Services []ServiceNeed
	// Roles: some policy's applies_to reads host.roles, which is not
	// known yet. Collect what the roles rest on (the role services'
	// states, the socket table, the URLs registered with http.sys), set
	// [Host.Roles] and [Host.RolesKnown], and call Needs again.
	Roles bool
}

// ServiceNeed is one service Needs names.
type ServiceNeed struct {
	Name       string
	Dependants bool
}

// IsZero reports whether nothing is needed.
func (n *Needs) IsZero() bool {
	return !n.Release && !n.Roles && !n.ListenList && !n.Sockets && len(n.Registry) == 0 && len(n.PortRanges) == 0 && len(n.Services) == 0
}

// Merge adds what o needs.
func (n *Needs) Merge(o Needs) {
	n.Release = n.Release || o.Release
	n.Roles = n.Roles || o.Roles
	n.ListenList = n.ListenList || o.ListenList
	n.Sockets = n.Sockets || o.Sockets
	for _, r := range o.Registry {
		n.addRegistry(r)
	}
	for _, p := range o.PortRanges {
		n.addPortRange(p)
	}
	for _, s := range o.Services {
		n.addService(s.Name, s.Dependants)
	}
}

func (n *Needs) addRegistry(v RegistryValue) {
	i, found := slices.BinarySearchFunc(n.Registry, v, compareRegistryValue)
	if !found {
		n.Registry = slices.Insert(n.Registry, i, v)
	}
}

func compareRegistryValue(a, b RegistryValue) int {
	if c := strings.Compare(string(a.Key), string(b.Key)); c != 0 {
		return c
	}
	return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
}

func (n *Needs) addPortRange(p PortRangeRef) {
	cmp := func(a, b PortRangeRef) int {
		if a.Family != b.Family {
			return int(a.Family) - int(b.Family)
		}
		return int(a.Protocol) - int(b.Protocol)
	}
	i, found := slices.BinarySearchFunc(n.PortRanges, p, cmp)
	if !found {
		n.PortRanges = slices.Insert(n.PortRanges, i, p)
	}
}

func (n *Needs) addService(name string, dependants bool) {
	cmp := func(a ServiceNeed, b string) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b)) }
	i, found := slices.BinarySearchFunc(n.Services, name, cmp)
	if found {
		n.Services[i].Dependants = n.Services[i].Dependants || dependants
		return
	}
	n.Services = slices.Insert(n.Services, i, ServiceNeed{Name: name, Dependants: dependants})
}

// Needs returns what collection must fetch from the host for this policy:
// nothing when the policy does not apply; for an unknown answer, what it
// would need if it applied (and Release when the release decides).
// Evaluation errors count as unknown; [Policy.AppliesTo] reports them.
func (p *Policy) Needs(h Host) Needs {
	var n Needs
	ev, diags := newHostEvaluator(h, p.DeclRange)
	if diags.HasErrors() {
		ev = newSchemaEvaluator()
	}
	a, _ := p.appliesTo(ev)
	if a == NotApplicable {
		return n
	}
	if ev.release == ReleaseUnknown {
		for _, r := range p.Rules {
			if !r.OS().All() {
				n.Release = true
			}
		}
		if p.AppliesToExpr != nil && dependsOnRelease(p) {
			n.Release = true
		}
	}
	if !h.RolesKnown && p.AppliesToExpr != nil && readsHost(p, "roles") {
		n.Roles = true
	}
	for _, r := range p.Rules {
		if r.OS().Contains(ev.release) != NotApplicable {
			r.needs(ev.release, &n)
		}
	}
	if p.Remediation != nil {
		for _, it := range p.Remediation.Items {
			if it != nil {
				it.needs(ev.release, &n)
			}
		}
	}
	return n
}

// readsHost reports whether applies_to reads one of the host attributes
// named.
func readsHost(p *Policy, names ...string) bool {
	for _, t := range p.AppliesToExpr.Variables() {
		if len(t) < 2 || t.RootName() != "host" {
			continue
		}
		if slices.Contains(names, traversalAttr(t)) {
			return true
		}
	}
	return false
}

// dependsOnRelease reports whether applies_to reads host.os,
// host.os_version or host.os_build.
func dependsOnRelease(p *Policy) bool {
	for _, t := range p.AppliesToExpr.Variables() {
		if len(t) < 2 || t.RootName() != "host" {
			continue
		}
		switch name := traversalAttr(t); name {
		case "os", "os_version", "os_build":
			return true
		}
	}
	return false
}

// traversalAttr returns the attribute a traversal takes from its root
// (host.os: "os").
func traversalAttr(t hcl.Traversal) string {
	if len(t) < 2 {
		return ""
	}
	switch s := t[1].(type) {
	case hcl.TraverseAttr:
		return s.Name
	case hcl.TraverseIndex:
		if s.Key.Type() == cty.String && s.Key.IsKnown() {
			return s.Key.AsString()
		}
	}
	return ""
}

// Needs returns what collection must fetch from the host for every policy
// of the set: the union of [Policy.Needs].
func (s *Set) Needs(h Host) Needs {
	var n Needs
	for _, p := range s.Policies {
		n.Merge(p.Needs(h))
	}
	return n
}
