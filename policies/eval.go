package policies

// Evaluation happens here and only here: per-host expressions stay
// hcl.Expression values in the decoded policies, and this file builds the
// one hcl.EvalContext each host gets (the host object plus the function
// table). At load time the same code runs against the "schema host", whose
// every attribute is unknown, so that type errors, unknown functions and
// misspelt host attributes are reported before any host is known.

import (
	"fmt"
	"math/big"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/fleetport/fleetport/internal/hclguard"
)

// Host is what a policy may know about a host before anything is
// collected: the inventory's view, plus the release once collection has
// learnt it. The CLI fills it from an inventory host.
type Host struct {
	Name string
	// Address is the inventory address (a name or an IP address).
	Address string
	// ManagementAddress is the IP address fleetport's WinRM connections
	// reach the host on. Empty: Address when that is an IP address,
	// otherwise unknown (and every check that needs it is unknown).
	ManagementAddress string
	Site              string
	// OS is the release as host.os spells it ("2003", "2008r2", ...); empty
	// until collected or declared in the inventory.
	OS string
	// OSBuild is the build number (17763); 0 until collected.
	OSBuild int
	Groups  []string
	Tags    map[string]string
	// Vars are the inventory's free-form variables (host.vars.NAME). An
	// unknown cty value is allowed and makes what depends on it unknown.
	Vars map[string]cty.Value
	// Roles are what the host's collected facts show it serves
	// (host.roles): "web" (W3SVC, or a site registered with http.sys),
	// "smtp" (SMTPSVC, or a listener on port 25), "sql" (SQL Server's
	// MSSQLSERVER service). RolesKnown is false until they are collected:
	// host.roles is unknown then.
	Roles      []string
	RolesKnown bool
}

// hostAttributes are the attributes of the host object, for messages.
var hostAttributes = []string{"name", "address", "management_address", "site", "os", "os_version", "os_build", "groups", "tags", "vars", "roles"}

// schemaHost is the host object of load-time validation: every attribute
// unknown but typed.
var schemaHost = cty.ObjectVal(map[string]cty.Value{
	"name":               cty.UnknownVal(cty.String).RefineNotNull(),
	"address":            cty.UnknownVal(cty.String).RefineNotNull(),
	"management_address": cty.UnknownVal(cty.String),
	"site":               cty.UnknownVal(cty.String).RefineNotNull(),
	"os":                 cty.UnknownVal(cty.String),
	"os_version":         cty.UnknownVal(cty.Number),
	"os_build":           cty.UnknownVal(cty.Number),
	"groups":             cty.UnknownVal(cty.List(cty.String)).RefineNotNull(),
	"tags":               cty.UnknownVal(cty.Map(cty.String)).RefineNotNull(),
	"vars":               cty.DynamicVal,
	"roles":              cty.UnknownVal(cty.List(cty.String)).RefineNotNull(),
})

// staticCtx returns the context of attributes that must be the same on
// every host: functions, no variables.
func staticCtx() *hcl.EvalContext { return &hcl.EvalContext{Functions: boundedFunctions()} }

// boundedFunctions returns the function table bounded by a fresh
// evaluation budget: no call returns more than a mebibyte, and one
// evaluator's calls stop at the budget's total.
func boundedFunctions() map[string]function.Function {
	return hclguard.NewBudget().Functions(functions)
}

// evaluator evaluates one policy's expressions for one host, or for the
// schema host at load time (host == nil).
type evaluator struct {
	ctx     *hcl.EvalContext
	host    *Host
	release Release
	mgmt    netip.Addr // invalid when unknown
}

func newSchemaEvaluator() *evaluator {
	return &evaluator{ctx: &hcl.EvalContext{
		Variables: map[string]cty.Value{"host": schemaHost},
		Functions: boundedFunctions(),
	}}
}

// newHostEvaluator builds the host's evaluation context. A host whose OS
// or management address cannot be read gets an error located at subject
// (the policy being evaluated), since a Host has no source range.
func newHostEvaluator(h Host, subject hcl.Range) (*evaluator, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	rel, err := ParseRelease(h.OS)
	if err != nil {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Invalid host release",
			Detail:  fmt.Sprintf("Host %q: %v. Fix the inventory's os for this host, or leave it empty until collection learns it.", h.Name, err),
			Subject: subject.Ptr(),
		})
	}
	mgmtStr := h.ManagementAddress
	if mgmtStr == "" {
		if a, err := netip.ParseAddr(h.Address); err == nil {
			mgmtStr = a.String()
		}
	}
	var mgmt netip.Addr
	mgmtVal := cty.UnknownVal(cty.String)
	if mgmtStr != "" {
		a, err := netip.ParseAddr(mgmtStr)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Invalid management address",
				Detail:  fmt.Sprintf("Host %q: management address %q is not an IP address. Give the IP address fleetport connects to.", h.Name, mgmtStr),
				Subject: subject.Ptr(),
			})
		} else {
			mgmt = a.Unmap()
			mgmtVal = cty.StringVal(mgmt.String())
		}
	}
	osVal, verVal := cty.UnknownVal(cty.String), cty.UnknownVal(cty.Number)
	if rel != ReleaseUnknown {
		osVal = cty.StringVal(rel.String())
		// 5.2 and friends are decimal literals in HCL; parse them the same
		// way so that host.os_version == 5.2 holds exactly.
		verVal = cty.MustParseNumberVal(fmt.Sprintf("%.1f", rel.Version()))
	}
	buildVal := cty.UnknownVal(cty.Number)
	if h.OSBuild > 0 {
		buildVal = cty.NumberIntVal(int64(h.OSBuild))
	}
	groups := cty.ListValEmpty(cty.String)
	if len(h.Groups) > 0 {
		g := make([]cty.Value, len(h.Groups))
		for i, s := range h.Groups {
			g[i] = cty.StringVal(s)
		}
		groups = cty.ListVal(g)
	}
	tags := cty.MapValEmpty(cty.String)
	if len(h.Tags) > 0 {
		t := make(map[string]cty.Value, len(h.Tags))
		for k, v := range h.Tags {
			t[k] = cty.StringVal(v)
		}
		tags = cty.MapVal(t)
	}
	vars := cty.EmptyObjectVal
	if len(h.Vars) > 0 {
		m := make(map[string]cty.Value, len(h.Vars))
		for k, v := range h.Vars {
			if v == cty.NilVal {
				v = cty.NullVal(cty.DynamicPseudoType)
			}
			m[k] = v
		}
		vars = cty.ObjectVal(m)
	}
	roles := cty.UnknownVal(cty.List(cty.String)).RefineNotNull()
	if h.RolesKnown {
		roles = cty.ListValEmpty(cty.String)
		if len(h.Roles) > 0 {
			r := make([]cty.Value, len(h.Roles))
			for i, s := range h.Roles {
				r[i] = cty.StringVal(s)
			}
			roles = cty.ListVal(r)
		}
	}
	host := cty.ObjectVal(map[string]cty.Value{
		"roles":              roles,
		"name":               cty.StringVal(h.Name),
		"address":            cty.StringVal(h.Address),
		"management_address": mgmtVal,
		"site":               cty.StringVal(h.Site),
		"os":                 osVal,
		"os_version":         verVal,
		"os_build":           buildVal,
		"groups":             groups,
		"tags":               tags,
		"vars":               vars,
	})
	return &evaluator{
		ctx:     &hcl.EvalContext{Variables: map[string]cty.Value{"host": host}, Functions: boundedFunctions()},
		host:    &h,
		release: rel,
		mgmt:    mgmt,
	}, diags
}

// forHost appends the host's name to every diagnostic's detail, so that a
// planner's output says which host an expression failed for.
func (ev *evaluator) forHost(diags hcl.Diagnostics) hcl.Diagnostics {
	if ev.host == nil {
		return diags
	}
	for _, d := range diags {
		if !IsMissingVar(d) { // its detail names the host already
			d.Detail += fmt.Sprintf(" (host %q)", ev.host.Name)
		}
	}
	return diags
}

// value evaluates expr. The result may be unknown: at load time almost
// always, for a host when it depends on a value not collected yet.
func (ev *evaluator) value(expr hcl.Expression) (cty.Value, hcl.Diagnostics) {
	// Load time (the schema host) reports host.X references the host
	// lacks, with a did-you-mean; for a real host the loaded expressions
	// are known to be clean, and HCL still reports any it cannot resolve.
	if ev.host == nil {
		if diags := checkHostAttributes(expr); diags.HasErrors() {
			return cty.DynamicVal, diags
		}
	}
	v, diags := expr.Value(ev.ctx)
	v, _ = v.Unmark()
	if diags.HasErrors() && ev.host != nil {
		// A host.vars.NAME the host does not declare, in plain words
		// rather than HCL's "Unsupported attribute" (try and can still
		// see HCL's own error, as they should).
		diags = plainMissingVars(diags, expr, ev.host)
	}
	return v, diags
}

// checkHostAttributes reports host.X references whose X the host object
// lacks, with a did-you-mean (HCL's own message has none for objects).
func checkHostAttributes(expr hcl.Expression) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, t := range expr.Variables() {
		if t.RootName() != "host" || len(t) < 2 {
			continue
		}
		name := traversalAttr(t)
		if name == "" || slices.Contains(hostAttributes, name) {
			continue
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Unsupported attribute",
			Detail: fmt.Sprintf("The host has no attribute %q.%s Host attributes are %s; inventory variables are host.vars.NAME.",
				name, didYouMean(name, hostAttributes), strings.Join(hostAttributes, ", ")),
			Subject: t[1].SourceRange().Ptr(),
		})
	}
	return diags
}

// integer evaluates expr as a whole number in [min, max]. known is false
// when the value is unknown (no diagnostics then).
func (ev *evaluator) integer(expr hcl.Expression, what string, min, max int64) (n int64, known bool, diags hcl.Diagnostics) {
	v, diags := ev.value(expr)
	if diags.HasErrors() {
		return 0, false, diags
	}
	return integerOf(v, expr.Range(), what, min, max)
}

func integerOf(v cty.Value, rng hcl.Range, what string, min, max int64) (int64, bool, hcl.Diagnostics) {
	if !v.IsWhollyKnown() {
		return 0, false, nil
	}
	if v.IsNull() {
		return 0, false, hcl.Diagnostics{nullDiag(rng, what)}
	}
	nv, err := convert.Convert(v, cty.Number)
	if err != nil {
		return 0, false, hcl.Diagnostics{typeDiag(rng, what, "a number", v.Type())}
	}
	bf := nv.AsBigFloat()
	if bf.IsInf() || bf.IsInt() && (bf.Cmp(big.NewFloat(float64(min))) < 0 || bf.Cmp(big.NewFloat(float64(max))) > 0) {
		return 0, false, hcl.Diagnostics{rangeDiag(rng, what, bf.Text('g', 20), fmt.Sprint(min), fmt.Sprint(max), "")}
	}
	i, acc := bf.Int64()
	if !bf.IsInt() || acc != big.Exact {
		return 0, false, hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "Invalid value",
			Detail:  fmt.Sprintf("%s must be a whole number; %s is not. Give a whole number.", what, bf.Text('g', 10)),
			Subject: rng.Ptr(),
		}}
	}
	if i < min || i > max {
		return 0, false, hcl.Diagnostics{rangeDiag(rng, what, fmt.Sprint(i), fmt.Sprint(min), fmt.Sprint(max), "")}
	}
	return i, true, nil
}

// float evaluates expr as a number in (min, max].
func (ev *evaluator) float(expr hcl.Expression, what string, min, max float64) (float64, bool, hcl.Diagnostics) {
	v, diags := ev.value(expr)
	if diags.HasErrors() || !v.IsWhollyKnown() {
		return 0, false, diags
	}
	if v.IsNull() {
		return 0, false, hcl.Diagnostics{nullDiag(expr.Range(), what)}
	}
	nv, err := convert.Convert(v, cty.Number)
	if err != nil {
		return 0, false, hcl.Diagnostics{typeDiag(expr.Range(), what, "a number", v.Type())}
	}
	f, _ := nv.AsBigFloat().Float64()
	if !(f > min && f <= max) {
		return 0, false, hcl.Diagnostics{rangeDiag(expr.Range(), what, nv.AsBigFloat().Text('g', 10),
			fmt.Sprintf("more than %g", min), fmt.Sprint(max), "")}
	}
	return f, true, nil
}

// addrList evaluates expr as a list of IP addresses. A tuple written out
// in the source is evaluated element by element, so that a bad element is
// located exactly; elements must be known for the list to be known.
func (ev *evaluator) addrList(expr hcl.Expression, what string) ([]netip.Addr, bool, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	var out []netip.Addr
	known := true
	add := func(v cty.Value, rng hcl.Range) {
		if !v.IsWhollyKnown() {
			known = false
			return
		}
		if v.IsNull() {
			diags = append(diags, nullDiag(rng, what+" element"))
			return
		}
		sv, err := convert.Convert(v, cty.String)
		if err != nil {
			diags = append(diags, typeDiag(rng, what+" element", "a string holding an IP address", v.Type()))
			return
		}
		a, err := parseListenAddr(sv.AsString())
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Invalid IP address",
				Detail: fmt.Sprintf("%s: %v. Give a bare IPv4 or IPv6 address.", what, err), Subject: rng.Ptr(),
			})
			return
		}
		out = append(out, a.Unmap())
	}
	if elems := tupleElems(expr); elems != nil {
		for _, e := range elems {
			v, d := ev.value(e)
			diags = append(diags, d...)
			if !d.HasErrors() {
				add(v, e.Range())
			}
		}
		return out, known && !diags.HasErrors(), diags
	}
	v, d := ev.value(expr)
	diags = append(diags, d...)
	if d.HasErrors() {
		return nil, false, diags
	}
	if !v.IsKnown() {
		return nil, false, diags
	}
	if v.IsNull() || !(v.Type().IsListType() || v.Type().IsTupleType() || v.Type().IsSetType()) {
		return nil, false, append(diags, typeDiag(expr.Range(), what, "a list of IP addresses", v.Type()))
	}
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		add(e, expr.Range())
	}
	return out, known && !diags.HasErrors(), diags
}

// staticValue evaluates an attribute that must be the same on every host
// (it decides what collection fetches, or it names a Windows object): no
// host values, only literals and functions.
func staticValue(attr *hcl.Attribute, why string) (cty.Value, hcl.Diagnostics) {
	if vars := attr.Expr.Variables(); len(vars) > 0 {
		return cty.NilVal, hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "Host values not allowed here",
			Detail:  fmt.Sprintf("%s must be the same on every host: %s. Write a literal value.", attr.Name, why),
			Subject: vars[0].SourceRange().Ptr(), Context: attr.Expr.Range().Ptr(),
		}}
	}
	v, diags := attr.Expr.Value(staticCtx())
	v, _ = v.Unmark()
	return v, diags
}

// staticString evaluates a static attribute as a string.
func staticString(attr *hcl.Attribute, why string) (string, hcl.Diagnostics) {
	v, diags := staticValue(attr, why)
	if diags.HasErrors() {
		return "", diags
	}
	if v.IsNull() {
		return "", hcl.Diagnostics{nullDiag(attr.Expr.Range(), attr.Name)}
	}
	sv, err := convert.Convert(v, cty.String)
	if err != nil || !sv.IsKnown() {
		return "", hcl.Diagnostics{typeDiag(attr.Expr.Range(), attr.Name, "a string", v.Type())}
	}
	return sv.AsString(), nil
}

// staticBool evaluates a static attribute as a bool.
func staticBool(attr *hcl.Attribute, why string) (bool, hcl.Diagnostics) {
	v, diags := staticValue(attr, why)
	if diags.HasErrors() {
		return false, diags
	}
	if v.IsNull() {
		return false, hcl.Diagnostics{nullDiag(attr.Expr.Range(), attr.Name)}
	}
	bv, err := convert.Convert(v, cty.Bool)
	if err != nil || !bv.IsKnown() {
		return false, hcl.Diagnostics{typeDiag(attr.Expr.Range(), attr.Name, "true or false", v.Type())}
	}
	return bv.True(), nil
}

// staticStrings evaluates a static attribute as a list of strings.
func staticStrings(attr *hcl.Attribute, why string) ([]string, hcl.Diagnostics) {
	v, diags := staticValue(attr, why)
	if diags.HasErrors() {
		return nil, diags
	}
	lv, err := convert.Convert(v, cty.List(cty.String))
	if err != nil || !lv.IsWhollyKnown() || lv.IsNull() {
		return nil, hcl.Diagnostics{typeDiag(attr.Expr.Range(), attr.Name, "a list of strings", v.Type())}
	}
	var out []string
	for it := lv.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() {
			return nil, hcl.Diagnostics{nullDiag(attr.Expr.Range(), attr.Name+" element")}
		}
		out = append(out, e.AsString())
	}
	return out, nil
}

func typeDiag(rng hcl.Range, what, want string, got cty.Type) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError, Summary: "Incorrect value type",
		Detail:  fmt.Sprintf("%s must be %s, not %s. Give %s.", what, want, got.FriendlyName(), want),
		Subject: rng.Ptr(),
	}
}

func nullDiag(rng hcl.Range, what string) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError, Summary: "Missing value",
		Detail:  fmt.Sprintf("%s is null. Give a value, or leave the argument out.", what),
		Subject: rng.Ptr(),
	}
}

func rangeDiag(rng hcl.Range, what, got, min, max, why string) *hcl.Diagnostic {
	d := fmt.Sprintf("%s is %s; it must be from %s to %s.", what, got, min, max)
	if why != "" {
		d += " " + why
	}
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Value out of range", Detail: d + " Give a value in the range.", Subject: rng.Ptr()}
}

// AppliesTo answers whether the policy applies to the host: its applies_to
// expression (true when absent), and whether any of its rules exists on
// the host's release. An expression that needs a value not known yet (the
// release before collection, an unknown variable) answers
// [ApplicabilityUnknown]. Errors (a variable the host lacks, a wrong type)
// come back as diagnostics located in the policy, with the host named,
// and the answer is then unknown.
func (p *Policy) AppliesTo(h Host) (Applicability, hcl.Diagnostics) {
	ev, diags := newHostEvaluator(h, p.DeclRange)
	if diags.HasErrors() {
		return ApplicabilityUnknown, diags
	}
	a, d := p.appliesTo(ev)
	return a, append(diags, d...)
}

func (p *Policy) appliesTo(ev *evaluator) (Applicability, hcl.Diagnostics) {
	expr := p.exprApplies(ev)
	if expr == NotApplicable {
		return NotApplicable, nil
	}
	a, diags := p.evalAppliesTo(ev)
	return a.and(expr), diags
}

// exprApplies is the rules' side of AppliesTo: not applicable when no rule
// exists on the host's release.
func (p *Policy) exprApplies(ev *evaluator) Applicability {
	out := NotApplicable
	for _, r := range p.Rules {
		switch r.OS().Contains(ev.release) {
		case Applies:
			return Applies
		case ApplicabilityUnknown:
			out = ApplicabilityUnknown
		}
	}
	return out
}

func (p *Policy) evalAppliesTo(ev *evaluator) (Applicability, hcl.Diagnostics) {
	if p.AppliesToExpr == nil {
		return Applies, nil
	}
	v, diags := ev.value(p.AppliesToExpr)
	if diags.HasErrors() {
		return ApplicabilityUnknown, ev.forHost(diags)
	}
	return boolApplicability(v, p.AppliesToExpr.Range(), ev)
}

func boolApplicability(v cty.Value, rng hcl.Range, ev *evaluator) (Applicability, hcl.Diagnostics) {
	if !v.IsKnown() {
		return ApplicabilityUnknown, nil
	}
	if v.IsNull() {
		return ApplicabilityUnknown, ev.forHost(hcl.Diagnostics{nullDiag(rng, "applies_to")})
	}
	bv, err := convert.Convert(v, cty.Bool)
	if err != nil {
		return ApplicabilityUnknown, ev.forHost(hcl.Diagnostics{typeDiag(rng, "applies_to", "true or false", v.Type())})
	}
	if !bv.IsKnown() {
		return ApplicabilityUnknown, nil
	}
	if bv.True() {
		return Applies, nil
	}
	return NotApplicable, nil
}

// Resolved is one policy evaluated for one host: every per-host value
// known and typed, ready for drift to compare with the host's facts and
// for the planner to turn into commands.
type Resolved struct {
	Policy *Policy
	Host   string
	// Release is the host's release as the policy saw it.
	Release Release
	// Applies is [Policy.AppliesTo]'s answer. When it is NotApplicable,
	// Checks and Actions are empty.
	Applies Applicability
	// Checks holds one check per rule, in source order. Each carries its
	// own applicability: a rule whose subject the release does not honour
	// is NotApplicable (not a finding); one that needs a value not known
	// yet is unknown (never compliant).
	Checks []Check
	// Actions is the remediation, in source order; empty when the policy
	// declares none.
	Actions []Action
}

// Resolve evaluates the policy for the host: applies_to, every rule and
// every remediation item, with its per-host values typed and validated,
// and the per-host safety checks (a listen-list action whose own values
// would lock fleetport out is an error here). On errors the result is
// still returned, with what could be resolved.
func (p *Policy) Resolve(h Host) (*Resolved, hcl.Diagnostics) {
	ev, diags := newHostEvaluator(h, p.DeclRange)
	return p.resolveWith(ev, h, diags)
}

// ResolveAll resolves every policy of the set for one host, in set order,
// as [Policy.Resolve] does; it builds the host's evaluation context once,
// which is what makes judging a large fleet fast.
func (s *Set) ResolveAll(h Host) ([]*Resolved, []hcl.Diagnostics) {
	out := make([]*Resolved, len(s.Policies))
	ds := make([]hcl.Diagnostics, len(s.Policies))
	if len(s.Policies) == 0 {
		return out, ds
	}
	ev, diags := newHostEvaluator(h, s.Policies[0].DeclRange)
	for i, p := range s.Policies {
		if diags.HasErrors() {
			// The host itself is invalid: locate the error at each policy.
			out[i], ds[i] = p.Resolve(h)
			continue
		}
		out[i], ds[i] = p.resolveWith(ev, h, nil)
	}
	return out, ds
}

func (p *Policy) resolveWith(ev *evaluator, h Host, diags hcl.Diagnostics) (*Resolved, hcl.Diagnostics) {
	res := &Resolved{Policy: p, Host: h.Name, Release: ev.release}
	if diags.HasErrors() {
		return res, diags
	}
	a, d := p.appliesTo(ev)
	diags = append(diags, d...)
	res.Applies = a
	if a == NotApplicable {
		return res, diags
	}
	for _, r := range p.Rules {
		c, d := r.resolve(ev)
		diags = append(diags, ev.forHost(d)...)
		if c != nil {
			// A check resolved without a value the host does not declare
			// passes nothing: drift says it could not tell, and why.
			c.Common().Incomplete = firstMissingVar(d)
			res.Checks = append(res.Checks, c)
		}
	}
	if p.Remediation != nil {
		for _, it := range p.Remediation.Items {
			act, d := it.resolve(ev)
			diags = append(diags, ev.forHost(d)...)
			if act != nil {
				res.Actions = append(res.Actions, act)
			}
		}
	}
	return res, diags
}

// Effects is what the resolved remediation needs before it takes effect,
// reduced: a reboot stands for everything (it restarts every service);
// otherwise the distinct service restarts and new-process effects, sorted.
// Actions that do not apply to the host are left out. Empty means the
// changes take effect at once.
func (r *Resolved) Effects() []Effect {
	var effs []Effect
	for _, a := range r.Actions {
		c := a.Common()
		if c.Applies == NotApplicable {
			continue
		}
		effs = append(effs, c.Effect)
	}
	return CombineEffects(effs...)
}

// CombineEffects reduces effects as [Resolved.Effects] does.
func CombineEffects(effs ...Effect) []Effect {
	seen := map[string]Effect{}
	for _, e := range effs {
		switch e.(type) {
		case nil, EffectNone:
			continue
		case EffectReboot:
			return []Effect{EffectReboot{}}
		}
		seen[e.String()] = e
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]Effect, 0, len(keys))
	for _, k := range keys {
		out = append(out, seen[k])
	}
	return out
}
