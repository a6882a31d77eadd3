package policies

// Remediation is declared, not scripted: each item names a desired value,
// and the package derives, as typed data, what the change is and what it
// needs before it takes effect. Command strings are the planner's job; it
// builds them from these typed values only.
//
//	remediation {
//	  registry "TcpTimedWaitDelay" { value = 30 }
//	  listen_list { add = [host.vars.service_address, host.management_address, "127.0.0.1"] }
//	  dynamic_port_range {
//	    start = 10000
//	    size  = 55535
//	  }
//	  service "W3SVC" { state = "running" }
//	  command "iis_socket_pooling" { service = "smtpsvc" }
//	}

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Effect is what a change needs before it takes effect: [EffectNone],
// [EffectServiceRestart], [EffectReboot] or [EffectNewProcesses].
type Effect interface {
	String() string
	isEffect()
}

// EffectNone: the change applies at once (the dynamic port range).
type EffectNone struct{}

// EffectServiceRestart: the change takes effect when Service starts again.
// WithDependants means stopping it stops the services that depend on it
// (net stop NAME /y), and each of them must be started again: for HTTP
// that includes W3SVC and WinRM itself, so the restart cuts fleetport's
// session and must run detached from it (windows-commands.md, "Service
// restarts"). When the stop fails, a reboot is the fallback.
type EffectServiceRestart struct {
	Service        string
	WithDependants bool
}

// EffectReboot: the change takes effect at the next boot (the TCP/IP and
// AFD values, read when the drivers start).
type EffectReboot struct{}

// EffectNewProcesses: processes started after the change see it; running
// ones keep the old value (WinInet's per-server limits).
type EffectNewProcesses struct{}

func (EffectNone) String() string   { return "none" }
func (EffectReboot) String() string { return "reboot" }
func (EffectNewProcesses) String() string {
	return "new processes"
}
func (e EffectServiceRestart) String() string {
	if e.WithDependants {
		return "restart " + e.Service + " and its dependants"
	}
	return "restart " + e.Service
}

func (EffectNone) isEffect()           {}
func (EffectReboot) isEffect()         {}
func (EffectNewProcesses) isEffect()   {}
func (EffectServiceRestart) isEffect() {}

// remediationBlockSchema is the body of a remediation block.
var remediationBlockSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "registry", LabelNames: []string{"name"}},
		{Type: "listen_list"},
		{Type: "dynamic_port_range"},
		{Type: "service", LabelNames: []string{"name"}},
		{Type: "command", LabelNames: []string{"template"}},
	},
}

// MarshalText renders the kind as its block type.
func (k ActionKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Remediation is a decoded remediation block.
type Remediation struct {
	Items     []RemediationItem
	DeclRange hcl.Range
	// invalid holds the items that failed to decode, so that validation
	// does not report them twice.
	invalid map[RemediationItem]bool
}

// ActionKind is the kind of a remediation item.
type ActionKind int

// The kinds, named after their blocks.
const (
	ActionRegistry ActionKind = iota + 1
	ActionListenList
	ActionDynamicPortRange
	ActionService
	ActionCommand
)

func (k ActionKind) String() string {
	switch k {
	case ActionRegistry:
		return "registry"
	case ActionListenList:
		return "listen_list"
	case ActionDynamicPortRange:
		return "dynamic_port_range"
	case ActionService:
		return "service"
	case ActionCommand:
		return "command"
	}
	return fmt.Sprintf("ActionKind(%d)", int(k))
}

// RemediationItem is one declared item of a remediation block:
// [*RegistryRemediation], [*ListenListRemediation],
// [*DynamicPortRangeRemediation], [*ServiceRemediation] or
// [*CommandRemediation]. [Policy.Resolve] turns each into an [Action].
type RemediationItem interface {
	Kind() ActionKind
	Range() hcl.Range
	resolve(ev *evaluator) (Action, hcl.Diagnostics)
	needs(rel Release, n *Needs)
}

// Action is a remediation item resolved for one host: the concrete types
// are [*RegistryAction], [*ListenListAction], [*DynamicPortRangeAction],
// [*ServiceAction] and [*CommandAction].
type Action interface {
	Common() *ActionCommon
}

// ActionCommon is what every action carries.
type ActionCommon struct {
	Kind      ActionKind
	DeclRange hcl.Range
	// Applies is NotApplicable when the host's release does not honour the
	// target (MaxUserPort on 2019): the planner skips the action.
	// ApplicabilityUnknown when the release or a value is not known yet.
	Applies Applicability
	Reason  string
	// Effect is what the change needs before it takes effect on this
	// host.
	Effect Effect
	// partial is set when some value is unknown.
	partial bool
}

// Common returns the common part.
func (c *ActionCommon) Common() *ActionCommon { return c }

func actionCommon(kind ActionKind, rng hcl.Range, os OSRange, rel Release, what string, eff Effect) ActionCommon {
	c := ActionCommon{Kind: kind, DeclRange: rng, Applies: os.Contains(rel), Effect: eff}
	switch c.Applies {
	case NotApplicable:
		c.Reason = fmt.Sprintf("%s is honoured on %s; the host runs %s", what, os, rel.Long())
	case ApplicabilityUnknown:
		c.Reason = fmt.Sprintf("%s is honoured on %s; the host's release is not known yet", what, os)
	}
	return c
}

func (c *ActionCommon) unknownValue() {
	c.partial = true
	if c.Applies == Applies {
		c.Applies = ApplicabilityUnknown
		c.Reason = "a value the action needs is not known for this host yet"
	}
}

func decodeRemediationBlock(block *hcl.Block) (*Remediation, hcl.Diagnostics) {
	content, diags := block.Body.Content(remediationBlockSchema)
	rem := &Remediation{DeclRange: block.DefRange}
	seen := map[string]hcl.Range{}
	dup := func(key string, b *hcl.Block) bool {
		if prev, ok := seen[key]; ok {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Duplicate remediation item",
				Detail:  fmt.Sprintf("This remediation already sets %s at %s. Keep one of them.", key, prev),
				Subject: b.DefRange.Ptr(),
			})
			return true
		}
		seen[key] = b.DefRange
		return false
	}
	for _, b := range content.Blocks {
		var it RemediationItem
		var d hcl.Diagnostics
		switch b.Type {
		case "registry":
			var r *RegistryRemediation
			r, d = decodeRegistryRemediation(b)
			if !d.HasErrors() && dup("registry "+string(r.Value.Key)+`\`+strings.ToLower(r.Value.Name), b) {
				continue
			}
			it = r
		case "listen_list":
			if dup("the listen list", b) {
				continue
			}
			it, d = decodeListenListRemediation(b)
		case "dynamic_port_range":
			var r *DynamicPortRangeRemediation
			r, d = decodeDynamicPortRangeRemediation(b)
			if dup("the "+r.Ports.String()+" dynamic port range", b) {
				continue
			}
			it = r
		case "service":
			var r *ServiceRemediation
			r, d = decodeServiceRemediation(b)
			if !d.HasErrors() && dup("service "+strings.ToLower(r.Service), b) {
				continue
			}
			it = r
		case "command":
			it, d = decodeCommandRemediation(b)
		}
		diags = append(diags, d...)
		if d.HasErrors() {
			if rem.invalid == nil {
				rem.invalid = map[RemediationItem]bool{}
			}
			rem.invalid[it] = true
		}
		rem.Items = append(rem.Items, it)
	}
	if len(rem.Items) == 0 && !diags.HasErrors() {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Empty remediation",
			Detail:  "A remediation block must say what to change. Add an item, or remove the block.",
			Subject: rem.DeclRange.Ptr(),
		})
	}
	return rem, diags
}

// validate checks the items against the schema host, and that each
// registry or dynamic-port-range item satisfies the policy's matching
// rule, so that a remediation cannot leave its own policy failing.
func (rem *Remediation) validate(ev *evaluator, rules []Rule) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, it := range rem.Items {
		if rem.invalid[it] {
			continue
		}
		act, d := it.resolve(ev)
		diags = append(diags, d...)
		if d.HasErrors() || act == nil {
			continue
		}
		for _, r := range rules {
			diags = append(diags, coherent(act, r, ev)...)
		}
	}
	return diags
}

// coherent warns when a statically known action does not satisfy a
// statically known rule on the same target.
func coherent(act Action, r Rule, ev *evaluator) hcl.Diagnostics {
	warn := func(detail string) hcl.Diagnostics {
		return hcl.Diagnostics{{
			Severity: hcl.DiagWarning, Summary: "Remediation does not satisfy the rule",
			Detail:  detail + " Make the remediation's value satisfy the rule.",
			Subject: act.Common().DeclRange.Ptr(),
		}}
	}
	switch a := act.(type) {
	case *RegistryAction:
		rr, ok := r.(*RegistryRule)
		if !ok || rr.Value.Key != a.Value.Key || !strings.EqualFold(rr.Value.Name, a.Value.Name) {
			return nil
		}
		c, d := rr.resolve(ev)
		rc := c.(*RegistryCheck)
		if d.HasErrors() || a.partial {
			return nil
		}
		if ok, known := rc.satisfiedBy(a.Data); known && !ok {
			what := "deleting " + a.Value.Name
			if a.Data != nil {
				what = "setting " + a.Value.Name + " to " + a.Data.String()
			}
			return warn(fmt.Sprintf("The rule at %s would still fail after %s.", rr.DeclRange, what))
		}
	case *DynamicPortRangeAction:
		dr, ok := r.(*DynamicPortRangeRule)
		if !ok || dr.Ports != a.Ports || a.partial || a.Start == 0 {
			return nil
		}
		c, d := dr.resolve(ev)
		dc := c.(*DynamicPortRangeCheck)
		if d.HasErrors() || dc.partial {
			return nil
		}
		if dc.Start != nil && *dc.Start != a.Start || dc.Size != nil && *dc.Size != a.Size || dc.MinSize != nil && a.Size < *dc.MinSize {
			return warn(fmt.Sprintf("The rule at %s would still fail with start %d and %d ports.", dr.DeclRange, a.Start, a.Size))
		}
	}
	return nil
}

// satisfiedBy reports whether the check passes when the value holds data
// (nil: absent). known is false when the check's operands are unknown.
func (c *RegistryCheck) satisfiedBy(data *RegData) (ok, known bool) {
	if c.partial {
		return false, false
	}
	switch {
	case c.Presence == PresenceRequired && data == nil, c.Presence == PresenceForbidden && data != nil:
		return false, true
	}
	if c.Equals == nil && c.OneOf == nil && c.AtLeast == nil && c.AtMost == nil {
		return true, true
	}
	d := data
	if d == nil {
		switch c.WhenAbsent {
		case AbsentPass:
			return true, true
		case AbsentFail:
			return false, true
		}
		if c.Default == nil {
			return false, true
		}
		d = c.Default
	}
	if c.Equals != nil && !c.Equals.Equal(*d) {
		return false, true
	}
	if c.OneOf != nil && !slices.ContainsFunc(c.OneOf, d.Equal) {
		return false, true
	}
	if c.AtLeast != nil && d.Num < *c.AtLeast || c.AtMost != nil && d.Num > *c.AtMost {
		return false, true
	}
	return true, true
}

// --- registry ----------------------------------------------------------------

var registryRemediationSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "key"}, {Name: "type"}, {Name: "value"}, {Name: "delete"}},
}

// RegistryRemediation is a decoded registry item: set Value to Data, or
// delete it.
type RegistryRemediation struct {
	Value RegistryValue
	// Data is the desired data and may use host values; nil with Delete.
	Data      hcl.Expression
	Delete    bool
	DeclRange hcl.Range
}

// Kind implements [RemediationItem].
func (r *RegistryRemediation) Kind() ActionKind { return ActionRegistry }

// Range implements [RemediationItem].
func (r *RegistryRemediation) Range() hcl.Range { return r.DeclRange }

// RegistryAction sets a registry value (reg add ... /t TYPE /d DATA /f) or,
// with Data nil, deletes it (reg delete ... /v NAME /f). The effect comes
// from the known table; a value the table lacks is assumed to need a
// reboot.
type RegistryAction struct {
	ActionCommon
	Value RegistryValue
	Data  *RegData
}

func decodeRegistryRemediation(block *hcl.Block) (*RegistryRemediation, hcl.Diagnostics) {
	content, diags := block.Body.Content(registryRemediationSchema)
	r := &RegistryRemediation{DeclRange: block.DefRange}
	attrs := content.Attributes
	v, d := decodeRegistryValue(block, attrs)
	diags = append(diags, d...)
	r.Value = v
	if d.HasErrors() {
		return r, diags
	}
	if v.Known != nil && v.Known.Name == "ListenOnlyList" {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Use listen_list for the listen list",
			Detail: "Writing ListenOnlyList as a registry value bypasses the check that keeps fleetport's own " +
				"access (the management address and 127.0.0.1). Declare a listen_list item instead.",
			Subject: block.LabelRanges[0].Ptr(),
		})
	}
	diags = append(diags, exclusive(attrs, "value", "delete")...)
	diags = append(diags, requireOne(attrs, block, "value", "delete")...)
	r.Data = attrExpr(attrs, "value")
	if a, ok := attrs["delete"]; ok {
		b, d := staticBool(a, "it decides the change on every host")
		diags = append(diags, d...)
		r.Delete = b
		if !b && !d.HasErrors() {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Invalid delete",
				Detail:  "delete = false asks for nothing. Set value, or delete = true.",
				Subject: a.Expr.Range().Ptr(),
			})
		}
	}
	return r, diags
}

func (r *RegistryRemediation) resolve(ev *evaluator) (Action, hcl.Diagnostics) {
	eff := Effect(EffectReboot{})
	if r.Value.Known != nil {
		eff = r.Value.Known.Effect
	}
	a := &RegistryAction{Value: r.Value}
	os := OSRange{}
	if r.Value.Known != nil {
		os = r.Value.Known.OS
	}
	a.ActionCommon = actionCommon(ActionRegistry, r.DeclRange, os, ev.release, r.Value.Name, eff)
	if r.Data == nil {
		return a, nil
	}
	v, diags := ev.value(r.Data)
	if diags.HasErrors() {
		return a, diags
	}
	data, ok, diags := regDataOf(v, r.Value, r.Data.Range(), "value")
	if ok {
		a.Data = &data
	} else if !diags.HasErrors() {
		a.unknownValue()
	}
	return a, diags
}

func (r *RegistryRemediation) needs(rel Release, n *Needs) {
	if r.Value.Known == nil || r.Value.Known.OS.Contains(rel) != NotApplicable {
		n.addRegistry(r.Value)
	}
}

// --- listen list -------------------------------------------------------------

var listenListRemediationSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "add"}, {Name: "remove"}, {Name: "exactly"}},
}

// ListenListRemediation is a decoded listen_list item.
type ListenListRemediation struct {
	// Add, Remove and Exactly are lists of IP addresses, nil when not
	// set, and may use host values.
	Add, Remove, Exactly hcl.Expression
	DeclRange            hcl.Range
}

// Kind implements [RemediationItem].
func (r *ListenListRemediation) Kind() ActionKind { return ActionListenList }

// Range implements [RemediationItem].
func (r *ListenListRemediation) Range() hcl.Range { return r.DeclRange }

// ListenListAction changes the http.sys listen list: with Replace, to
// exactly Exactly (entries not in it are deleted, missing ones added);
// otherwise Add's entries are added and Remove's deleted. Tool says which
// command does it on the host's release (httpcfg set|delete iplisten -i
// on 2003, netsh http add|delete iplisten ipaddress= later). The change
// takes effect when HTTP restarts (EffectServiceRestart{HTTP, with
// dependants}); before any change, the planner must call
// [CheckListenListChange] with the list collected from the host.
type ListenListAction struct {
	ActionCommon
	Add, Remove []netip.Addr
	Exactly     []netip.Addr
	Replace     bool
	Tool        ListenListTool
}

// Apply returns the list the action leaves when the configured list is
// before: a new slice, in before's order with additions appended.
func (a *ListenListAction) Apply(before []netip.Addr) []netip.Addr {
	var out []netip.Addr
	if a.Replace {
		for _, x := range before {
			if slices.Contains(a.Exactly, x.Unmap()) && !slices.Contains(out, x.Unmap()) {
				out = append(out, x.Unmap())
			}
		}
		for _, x := range a.Exactly {
			if !slices.Contains(out, x) {
				out = append(out, x)
			}
		}
		return out
	}
	for _, x := range before {
		if !slices.Contains(a.Remove, x.Unmap()) && !slices.Contains(out, x.Unmap()) {
			out = append(out, x.Unmap())
		}
	}
	for _, x := range a.Add {
		if !slices.Contains(out, x) && !slices.Contains(a.Remove, x) {
			out = append(out, x)
		}
	}
	return out
}

// loopback is the address the listen list must keep besides the
// management address.
var loopback = netip.MustParseAddr("127.0.0.1")

// LockoutError is a listen-list change refused because http.sys would
// stop listening where fleetport reaches WinRM.
type LockoutError struct {
	Before, After []netip.Addr
	// Missing are the addresses the resulting list would not reach: the
	// management address, 127.0.0.1, or both.
	Missing []netip.Addr
}

func (e *LockoutError) Error() string {
	var miss []string
	for _, m := range e.Missing {
		miss = append(miss, m.String())
	}
	var after []string
	for _, a := range e.After {
		after = append(after, a.String())
	}
	return fmt.Sprintf("the listen list would become [%s], which does not reach %s: WinRM listens through http.sys, "+
		"so fleetport would lock itself out at the next HTTP restart", strings.Join(after, " "), strings.Join(miss, " and "))
}

// CheckListenListChange is the per-host lockout check the planner calls
// before a listen-list change (and again on the host after it, with the
// list read back and a nil action): it computes the list the action leaves
// from the configured list before, and returns it, or a *[LockoutError]
// when that list would not reach the management address or 127.0.0.1 (an
// empty list reaches every address). mgmt must be valid: a host whose
// management address is unknown cannot be checked and gets an error.
func CheckListenListChange(before []netip.Addr, a *ListenListAction, mgmt netip.Addr) ([]netip.Addr, error) {
	if !mgmt.IsValid() {
		return nil, fmt.Errorf("the management address is not known, so the listen-list change cannot be checked")
	}
	after := slices.Clone(before)
	if a != nil {
		after = a.Apply(before)
	}
	var missing []netip.Addr
	for _, need := range []netip.Addr{mgmt.Unmap(), loopback} {
		if !ListenListReaches(after, need) && !slices.Contains(missing, need) {
			missing = append(missing, need)
		}
	}
	if len(missing) > 0 {
		return after, &LockoutError{Before: slices.Clone(before), After: after, Missing: missing}
	}
	return after, nil
}

func decodeListenListRemediation(block *hcl.Block) (*ListenListRemediation, hcl.Diagnostics) {
	content, diags := block.Body.Content(listenListRemediationSchema)
	r := &ListenListRemediation{DeclRange: block.DefRange}
	attrs := content.Attributes
	diags = append(diags, exclusive(attrs, "exactly", "add")...)
	diags = append(diags, exclusive(attrs, "exactly", "remove")...)
	diags = append(diags, requireOne(attrs, block, "add", "remove", "exactly")...)
	r.Add, r.Remove, r.Exactly = attrExpr(attrs, "add"), attrExpr(attrs, "remove"), attrExpr(attrs, "exactly")
	// The load-time lockout check. A list that can become the whole
	// listen list (exactly, or add on a host whose list is empty) must
	// name the management address and 127.0.0.1 itself; remove must not
	// name them. Host variables are only known per host, so that part is
	// checked again in Resolve and by CheckListenListChange.
	for _, n := range []string{"exactly", "add"} {
		if a, ok := attrs[n]; ok {
			diags = append(diags, keepsAccess(a)...)
		}
	}
	if a, ok := attrs["remove"]; ok {
		for _, e := range tupleElems(a.Expr) {
			if isManagementAddress(e) || isLoopback(e) {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Listen list would lock fleetport out",
					Detail: "This removes an address fleetport reaches WinRM through (the management address or 127.0.0.1); " +
						"http.sys would stop listening there at the next HTTP restart. Remove it from the list.",
					Subject: e.Range().Ptr(),
				})
			}
		}
	}
	return r, diags
}

// missingAccess is what a list written out in the source lacks of
// host.management_address and "127.0.0.1" (nil when it names both).
func missingAccess(a *hcl.Attribute) []string {
	var mgmt, lo bool
	for _, e := range tupleElems(a.Expr) {
		mgmt = mgmt || isManagementAddress(e)
		lo = lo || isLoopback(e)
	}
	var miss []string
	if !mgmt {
		miss = append(miss, "host.management_address")
	}
	if !lo {
		miss = append(miss, `"127.0.0.1"`)
	}
	return miss
}

// keepsAccess checks, from the source alone, that a list names
// host.management_address and "127.0.0.1".
func keepsAccess(a *hcl.Attribute) hcl.Diagnostics {
	miss := missingAccess(a)
	if len(miss) == 0 {
		return nil
	}
	why := "becomes the whole listen list"
	if a.Name == "add" {
		why = "becomes the whole listen list on a host whose list is empty (http.sys on every address)"
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError, Summary: "Listen list would lock fleetport out",
		Detail: fmt.Sprintf("The %s list %s, and it does not name %s. WinRM listens through http.sys, so the next HTTP "+
			"restart would cut fleetport off. Write the list out and include %s.", a.Name, why,
			strings.Join(miss, " or "), strings.Join(miss, " and ")),
		Subject: a.Expr.Range().Ptr(),
	}}
}

// tupleElems returns the elements of a list written out in the source,
// or nil.
func tupleElems(expr hcl.Expression) []hcl.Expression {
	if t, ok := expr.(*hclsyntax.TupleConsExpr); ok {
		out := make([]hcl.Expression, len(t.Exprs))
		for i, e := range t.Exprs {
			out[i] = e
		}
		return out
	}
	return nil
}

// isManagementAddress reports whether e is exactly host.management_address.
func isManagementAddress(e hcl.Expression) bool {
	st, ok := e.(*hclsyntax.ScopeTraversalExpr)
	if !ok || len(st.Traversal) != 2 || st.Traversal.RootName() != "host" {
		return false
	}
	attr, ok := st.Traversal[1].(hcl.TraverseAttr)
	return ok && attr.Name == "management_address"
}

// isLoopback reports whether e is a constant that evaluates to 127.0.0.1.
func isLoopback(e hcl.Expression) bool {
	if len(e.Variables()) > 0 {
		return false
	}
	v, diags := e.Value(staticCtx())
	if diags.HasErrors() || !v.IsKnown() || v.IsNull() || v.Type() != cty.String {
		return false
	}
	a, err := netip.ParseAddr(v.AsString())
	return err == nil && a.Unmap() == loopback
}

func (r *ListenListRemediation) resolve(ev *evaluator) (Action, hcl.Diagnostics) {
	a := &ListenListAction{Tool: ListenListToolFor(ev.release), Replace: r.Exactly != nil}
	a.ActionCommon = actionCommon(ActionListenList, r.DeclRange, listenListOS, ev.release, "The http.sys listen list",
		EffectServiceRestart{Service: "HTTP", WithDependants: true})
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
	a.Add = list(r.Add, "add")
	a.Remove = list(r.Remove, "remove")
	a.Exactly = list(r.Exactly, "exactly")
	if !known || diags.HasErrors() {
		if !known {
			a.unknownValue()
		}
		return a, diags
	}
	if ev.host == nil {
		return a, diags
	}
	// Per host: with the values known, the action alone must keep access
	// whatever the list held before: checked from an empty list for
	// exactly and add, and for remove that it spares both addresses.
	if !ev.mgmt.IsValid() {
		a.unknownValue()
		a.Reason = "the host's management address is not known, so the lockout check cannot run"
		return a, diags
	}
	for _, need := range []netip.Addr{ev.mgmt, loopback} {
		if slices.Contains(a.Remove, need) || (r.Exactly != nil || r.Add != nil) && !ListenListReaches(a.Apply(nil), need) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Listen list would lock fleetport out",
				Detail: fmt.Sprintf("On this host the change would leave http.sys not listening on %s, which fleetport "+
					"reaches WinRM through. Fix the host variables or the list.", need),
				Subject: r.DeclRange.Ptr(),
			})
		}
	}
	return a, diags
}

func (r *ListenListRemediation) needs(rel Release, n *Needs) {
	if listenListOS.Contains(rel) != NotApplicable {
		n.ListenList = true
		n.addService("HTTP", true)
	}
}

// --- dynamic port range ---------------------------------------------------

var dynamicPortRangeRemediationSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "protocol"}, {Name: "family"}, {Name: "start", Required: true}, {Name: "size", Required: true},
	},
}

// DynamicPortRangeRemediation is a decoded dynamic_port_range item.
type DynamicPortRangeRemediation struct {
	Ports PortRangeRef
	// Start and Size may use host values.
	Start, Size hcl.Expression
	DeclRange   hcl.Range
}

// Kind implements [RemediationItem].
func (r *DynamicPortRangeRemediation) Kind() ActionKind { return ActionDynamicPortRange }

// Range implements [RemediationItem].
func (r *DynamicPortRangeRemediation) Range() hcl.Range { return r.DeclRange }

// DynamicPortRangeAction sets a dynamic port range (netsh int FAMILY set
// dynamicport PROTOCOL start=START num=SIZE); it applies at once.
type DynamicPortRangeAction struct {
	ActionCommon
	Ports       PortRangeRef
	Start, Size int
}

func decodeDynamicPortRangeRemediation(block *hcl.Block) (*DynamicPortRangeRemediation, hcl.Diagnostics) {
	content, diags := block.Body.Content(dynamicPortRangeRemediationSchema)
	r := &DynamicPortRangeRemediation{DeclRange: block.DefRange}
	ref, d := decodePortRangeRef(content.Attributes)
	diags = append(diags, d...)
	r.Ports = ref
	r.Start = attrExpr(content.Attributes, "start")
	r.Size = attrExpr(content.Attributes, "size")
	return r, diags
}

// winrmPorts are WinRM's listeners (http, https): a client port range
// that covers them lets an outgoing connection take the port before WinRM
// binds it at boot.
var winrmPorts = []int{5985, 5986}

func (r *DynamicPortRangeRemediation) resolve(ev *evaluator) (Action, hcl.Diagnostics) {
	a := &DynamicPortRangeAction{Ports: r.Ports}
	a.ActionCommon = actionCommon(ActionDynamicPortRange, r.DeclRange, dynamicPortRangeOS, ev.release,
		"The dynamic port range", EffectNone{})
	start, size, known, diags := portRange(ev, r.Start, r.Size, "size")
	if start != nil && size != nil {
		a.Start, a.Size = *start, *size
		for _, p := range winrmPorts {
			if p >= a.Start && p < a.Start+a.Size && ev.host == nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagWarning, Summary: "Port range covers WinRM's port",
					Detail: fmt.Sprintf("Ports %d to %d include %d, where WinRM listens: a client connection may take it "+
						"before WinRM binds it at boot. Start the range above 5986 (the baseline uses 10000).",
						a.Start, a.Start+a.Size-1, p),
					Subject: r.Start.Range().Ptr(),
				})
				break
			}
		}
	}
	if !known {
		a.unknownValue()
	}
	return a, diags
}

func (r *DynamicPortRangeRemediation) needs(rel Release, n *Needs) {
	if dynamicPortRangeOS.Contains(rel) != NotApplicable {
		n.addPortRange(r.Ports)
	}
}

// --- service -------------------------------------------------------------

// ServiceRemediation is a decoded service item.
type ServiceRemediation struct {
	Service   string
	State     ServiceState
	StartMode StartMode
	DeclRange hcl.Range
}

// Kind implements [RemediationItem].
func (r *ServiceRemediation) Kind() ActionKind { return ActionService }

// Range implements [RemediationItem].
func (r *ServiceRemediation) Range() hcl.Range { return r.DeclRange }

// ServiceAction brings a service to State (net start NAME, which starts
// its dependencies first; net stop NAME) and/or sets its StartMode (sc
// config NAME start= ...). Starting or stopping is the change itself:
// EffectNone.
type ServiceAction struct {
	ActionCommon
	Service   string
	State     ServiceState
	StartMode StartMode
}

func decodeServiceRemediation(block *hcl.Block) (*ServiceRemediation, hcl.Diagnostics) {
	content, diags := block.Body.Content(serviceBlockSchema)
	r := &ServiceRemediation{DeclRange: block.DefRange}
	name, d := decodeServiceName(block)
	diags = append(diags, d...)
	r.Service = name
	attrs := content.Attributes
	if a, ok := attrs["state"]; ok {
		s, d := decodeServiceState(a)
		diags = append(diags, d...)
		r.State = s
		if s == ServiceStopped && slices.Contains(accessServices, name) {
			diags = append(diags, accessDiag(name, a))
		}
	}
	if a, ok := attrs["start_mode"]; ok {
		m, d := decodeStartMode(a)
		diags = append(diags, d...)
		r.StartMode = m
		if m == StartDisabled && slices.Contains(accessServices, name) {
			diags = append(diags, accessDiag(name, a))
		}
	}
	diags = append(diags, requireOne(attrs, block, "state", "start_mode")...)
	return r, diags
}

func accessDiag(name string, a *hcl.Attribute) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError, Summary: "Change would cut fleetport's access",
		Detail: fmt.Sprintf("fleetport reaches the host through %s (WinRM listens through http.sys); stopping or "+
			"disabling it cuts fleetport off. Remove this item.", name),
		Subject: a.Expr.Range().Ptr(),
	}
}

func (r *ServiceRemediation) resolve(ev *evaluator) (Action, hcl.Diagnostics) {
	a := &ServiceAction{Service: r.Service, State: r.State, StartMode: r.StartMode}
	a.ActionCommon = actionCommon(ActionService, r.DeclRange, OSRange{}, ev.release, "A service", EffectNone{})
	return a, nil
}

func (r *ServiceRemediation) needs(_ Release, n *Needs) { n.addService(r.Service, false) }

// SatisfiedBy reports whether the check passes when the value holds data
// (nil: the value is absent), following the order RegistryCheck
// documents; the type comparison is the caller's. known is false when the
// check's own values are not known yet.
func (c *RegistryCheck) SatisfiedBy(data *RegData) (ok, known bool) { return c.satisfiedBy(data) }
