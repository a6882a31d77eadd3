package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/fleetport/fleetport/internal/drift"
	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/policies"
)

// HostInput is one host to plan for.
type HostInput struct {
	// Policy is the inventory's view of the host; Build sets OS and
	// OSBuild from the facts.
	Policy policies.Host
	// Facts is the run's facts document of the host; nil skips the host
	// (nothing is planned for it).
	Facts *facts.Host
	// Report is the host's part of the run's drift report
	// (drift.Evaluate); nil skips the host.
	Report *drift.HostReport
	// Connect are the addresses fleetport connects to: the inventory's
	// address, resolved when it is a name. Nil means the address when it
	// is an IP, else the address the facts were collected from.
	Connect []netip.Addr
}

// Options configure Build.
type Options struct {
	// Now stamps the plan; zero means time.Now.
	Now time.Time
	// Policies, when set, plans only these policies (and cross-fact
	// checks) by name; their drift on other policies is left alone.
	Policies []string
}

var errNoManagement = errors.New("the management address is not known (set management_address in the inventory), so the listen-list change cannot be checked against a lockout")

// crossPrefix starts the names of drift's cross-fact checks.
const crossPrefix = "fleetport."

// Cross-fact checks the planner knows.
const (
	checkNotInEffect = "fleetport.not_in_effect"
	checkLockout     = "fleetport.listen_list_lockout"
	checkSite        = "fleetport.site_unreachable"
)

var (
	loopback4    = netip.MustParseAddr("127.0.0.1")
	alwaysHad    = []netip.Addr{netip.IPv4Unspecified(), loopback4, netip.IPv6Unspecified(), netip.IPv6Loopback()}
	httpRestart  = policies.EffectServiceRestart{Service: "HTTP", WithDependants: true}
	rebootEffect = policies.EffectReboot{}
)

// Build plans every host. For each policy whose verdict on the host is
// fail or pending, it resolves the policy for the host and turns each
// applicable remediation action into an Action: Before from the facts,
// After from the action, commands rendered from both; an action whose
// Before already equals After is left out. A host's listen-list actions
// are chained (each starts from the list the one before leaves). A pending
// finding of fleetport.not_in_effect needs only the effect: a reboot for a
// registry value, an HTTP restart for the listen list. Each host gets one
// effect, the combination of what its actions need (a reboot stands for
// every restart).
//
// What is unsafe or cannot be known is refused (Plan.Refused) and left out
// of the host's plan; findings no remediation covers are Plan.Manual. The
// package documentation lists the rules. Build never fails: what it cannot
// plan, it says why.
func Build(set *policies.Set, run int64, hosts []HostInput, opts Options) *Plan {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	p := &Plan{Version: SchemaVersion, Created: now.UTC(), Run: run, Hosts: []HostPlan{}, Refused: []Refusal{}, Manual: []Manual{}}
	for _, in := range hosts {
		if in.Facts == nil || in.Report == nil || set == nil {
			continue
		}
		hp := newHostPlanner(in)
		hp.only = opts.Policies
		res, diags := set.ResolveAll(hp.ph)
		hp.plan(res, diags)
		if len(hp.hp.Actions) > 0 || hp.hp.Effect.Kind != EffectNone {
			p.Hosts = append(p.Hosts, hp.hp)
		}
		p.Refused = append(p.Refused, hp.refused...)
		p.Manual = append(p.Manual, hp.manual...)
	}
	sort.SliceStable(p.Hosts, func(i, j int) bool { return p.Hosts[i].Host < p.Hosts[j].Host })
	sort.SliceStable(p.Refused, func(i, j int) bool { return p.Refused[i].Host < p.Refused[j].Host })
	sort.SliceStable(p.Manual, func(i, j int) bool { return p.Manual[i].Host < p.Manual[j].Host })
	return p
}

// candidate is an action being planned, with what it needs to take
// effect.
type candidate struct {
	action Action
	effect policies.Effect
}

// hostPlanner plans one host.
type hostPlanner struct {
	// only, when set, are the policies to plan.
	only    []string
	ph      policies.Host
	f       *facts.Host
	rep     *drift.HostReport
	hp      HostPlan
	refused []Refusal
	manual  []Manual

	// list is the configured listen list as the planned actions leave it;
	// listKnown is false when it was not collected or cannot be read.
	list      []netip.Addr
	listKnown bool
	listWhy   string
	// collected is the list as collected.
	collected []netip.Addr
	// listen are the listen-list candidates, chained; listRefused is set
	// when one of them was refused, which drops them all.
	listen      []candidate
	listRefused bool
	// pending are the effects pending findings need, by the check that
	// needs them.
	pending []pendingEffect
}

type pendingEffect struct {
	policy, rule string
	effect       policies.Effect
}

func newHostPlanner(in HostInput) *hostPlanner {
	ph := in.Policy
	f := in.Facts
	if ph.Name == "" {
		ph.Name = f.Name
	}
	if f.OS != nil {
		ph.OS, ph.OSBuild = f.OS.Release, int(f.OS.Build)
		ph.Roles, ph.RolesKnown = f.Roles()
	}
	address := ph.Address
	if address == "" {
		address = f.Address
	}
	h := &hostPlanner{ph: ph, f: f, rep: in.Report}
	h.hp = HostPlan{Host: ph.Name, Address: address, ManagementAddress: managementAddr(ph, f), Release: ph.OS,
		ConnectAddresses: connectAddrs(in.Connect, ph, f), BootTime: f.BootTime,
		Groups: ph.Groups, Tags: ph.Tags, Actions: []Action{}, Verify: []string{}, Effect: Effect{Kind: EffectNone, Summary: "none"}}
	if h.hp.ConnectAddresses == nil {
		h.hp.ConnectAddresses = []netip.Addr{}
	}
	h.list, h.listKnown, h.listWhy = collectedList(f)
	h.collected = slices.Clone(h.list)
	return h
}

// managementAddr is the address fleetport reaches the host on: the
// inventory's management address, else its address when that is an IP,
// else the address the facts were collected from.
func managementAddr(ph policies.Host, f *facts.Host) netip.Addr {
	for _, s := range []string{ph.ManagementAddress, ph.Address, f.Address} {
		if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
			return a.Unmap()
		}
	}
	return netip.Addr{}
}

// connectAddrs are the addresses fleetport connects to: the resolved
// ones the caller gives, else the inventory's address or the facts'
// when it is an IP.
func connectAddrs(given []netip.Addr, ph policies.Host, f *facts.Host) []netip.Addr {
	var out []netip.Addr
	for _, a := range given {
		if a = a.Unmap(); a.IsValid() && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	if len(out) > 0 {
		return out
	}
	for _, s := range []string{ph.Address, f.Address} {
		if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
			return []netip.Addr{a.Unmap()}
		}
	}
	return nil
}

// reachCheck says why the listen lists fleetport may leave on the host
// cannot be checked to keep WinRM reachable ("" when they can): the
// management address must be an address fleetport connects to, and every
// address it connects to must be one of the host's own (through NAT or a
// proxy, the traffic arrives on an address fleetport does not know).
func (h *hostPlanner) reachCheck() string {
	mgmt, conn := h.hp.ManagementAddress, h.hp.ConnectAddresses
	if len(conn) == 0 {
		return "the address fleetport connects to is not known (set address in the inventory to an IP, or a name that resolves)"
	}
	if mgmt.IsValid() && !slices.Contains(conn, mgmt) {
		return fmt.Sprintf("the management address %s is not the address fleetport connects to (%s): a list that keeps %s could still lock fleetport out; set management_address to the address fleetport reaches the host on, or remove it",
			mgmt, describeList(conn), mgmt)
	}
	if h.f.Addresses == nil {
		return "the host's addresses were not collected, so the address fleetport connects to cannot be checked against them: collect first"
	}
	for _, c := range conn {
		if c == loopback4 {
			continue
		}
		if !slices.ContainsFunc(h.f.Addresses, func(y netip.Addr) bool { return y.Unmap() == c }) {
			return fmt.Sprintf("fleetport connects to %s, which is not one of the host's own addresses (%s): the host is reached through NAT or a proxy, so the address WinRM traffic arrives on is not known and no listen list can be checked against a lockout",
				c, describeList(h.f.Addresses))
		}
	}
	return ""
}

// keepsReach checks that a listen list reaches every address fleetport
// connects to (CheckListenListChange has checked the management address
// and 127.0.0.1).
func (h *hostPlanner) keepsReach(list []netip.Addr) error {
	var missing []string
	for _, c := range h.hp.ConnectAddresses {
		if !policies.ListenListReaches(list, c) {
			missing = append(missing, c.String())
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the listen list %s would lack %s, the address fleetport connects to: WinRM would stop answering there at the next HTTP restart", describeList(list), strings.Join(missing, ", "))
	}
	return nil
}

// collectedList is the configured listen list of the facts.
func collectedList(f *facts.Host) ([]netip.Addr, bool, string) {
	if f.ListenList == nil {
		why := "the listen list was not collected"
		for _, fe := range f.FactErrors {
			if fe.Fact == facts.FactListenList {
				why = "the listen list could not be read (" + fe.Message + ")"
			}
		}
		return nil, false, why + ": collect first"
	}
	l, ok := listenAddrs(*f.ListenList)
	if !ok {
		return nil, false, "the listen list has an entry with a port, which fleetport does not change"
	}
	for _, a := range l {
		if err := checkAddr(a); err != nil {
			return nil, false, "the listen list has an entry fleetport cannot put on a command line: " + err.Error()
		}
	}
	return l, true, ""
}

func (h *hostPlanner) refuse(policy, reason string) {
	h.refused = append(h.refused, Refusal{Host: h.hp.Host, Policy: policy, Reason: reason})
}

// drifting reports whether a finding is drift (fail or pending).
func drifting(f drift.Finding) bool { return f.Result.IsDrift() }

// plan plans the host from its resolved policies (in the set's order, as
// ResolveAll returns them, with their diagnostics).
func (h *hostPlanner) plan(res []*policies.Resolved, diags []hcl.Diagnostics) {
	verdicts := map[string]drift.Result{}
	for _, v := range h.rep.Verdicts {
		verdicts[v.Policy] = v.Result
	}
	findings := map[string][]drift.Finding{}
	for _, f := range h.rep.Findings {
		if drifting(f) {
			findings[f.Policy] = append(findings[f.Policy], f)
		}
	}
	var cands []candidate
	status := map[string]*policyStatus{}
	var order []string
	for i, r := range res {
		if r == nil || r.Policy == nil || !verdicts[r.Policy.Name].IsDrift() || status[r.Policy.Name] != nil || !h.wanted(r.Policy.Name) {
			continue
		}
		pol := r.Policy
		st := &policyStatus{}
		status[pol.Name], order = st, append(order, pol.Name)
		if i < len(diags) && diags[i].HasErrors() {
			st.refused = true
			h.refuse(pol.Name, refusalText(diags[i]))
			continue
		}
		applicable := slices.ContainsFunc(r.Actions, func(a policies.Action) bool { return a.Common().Applies != policies.NotApplicable })
		if !applicable {
			st.manual = true
			for _, f := range findings[pol.Name] {
				detail := f.FixDetail
				if detail == "" {
					detail = "the policy declares no remediation for this host"
				}
				h.manual = append(h.manual, Manual{Host: h.hp.Host, Policy: pol.Name, Rule: f.Rule, Detail: detail})
			}
			continue
		}
		for j, a := range r.Actions {
			c := a.Common()
			if c.Applies == policies.NotApplicable {
				continue
			}
			id := fmt.Sprintf("%s/%s/%d", h.hp.Host, pol.Name, j)
			if c.Applies != policies.Applies {
				why := "whether the change applies is not known (" + c.Reason + "): collect first"
				if c.Reason == "" {
					why = "whether the change applies is not known (a value it needs is not known): collect first"
				}
				if _, ok := a.(*policies.ListenListAction); ok && !h.hp.ManagementAddress.IsValid() {
					why = errNoManagement.Error()
				}
				st.refused = true
				h.refuse(pol.Name, why)
				continue
			}
			cand, skip, err := h.action(id, pol.Name, a)
			switch {
			case err != nil:
				st.refused = true
				h.refuse(pol.Name, err.Error())
			case skip:
			case cand.action.Kind == KindListenList:
				h.listen = append(h.listen, cand)
			default:
				cands = append(cands, cand)
			}
		}
	}
	// A refused listen-list change drops every listen-list change of the
	// host: the chain was computed through it.
	if h.listRefused {
		for _, c := range h.listen {
			status[c.action.Policy].refused = true
			h.refuse(c.action.Policy, "not planned: another listen-list change of the host was refused, and the changes build on each other")
		}
		h.listen, h.list = nil, slices.Clone(h.collected)
	}
	cands = append(cands, h.listen...)
	h.crossChecks(findings, verdicts)
	cands = h.effect(cands, status)
	for _, c := range cands {
		h.hp.Actions = append(h.hp.Actions, c.action)
	}
	sortActions(h.hp.Actions, order)
	for _, name := range order {
		st := status[name]
		if !st.manual && !st.refused {
			h.hp.Verify = append(h.hp.Verify, name)
		}
	}
	for _, pe := range h.pending {
		if !slices.Contains(h.hp.Verify, pe.policy) {
			h.hp.Verify = append(h.hp.Verify, pe.policy)
		}
	}
	h.hp.Fingerprint = Fingerprint(h.hp.Actions)
}

// wanted reports whether a policy (or cross-fact check) is to be planned.
func (h *hostPlanner) wanted(name string) bool {
	return len(h.only) == 0 || slices.Contains(h.only, name)
}

// policyStatus is what became of a drifting policy on the host: a
// change of it was refused, or no remediation covers it. A policy that is
// neither is verified after the effect (also when all its changes were
// left out because the host is already in their After state: another
// policy's change may have done it).
type policyStatus struct {
	refused, manual bool
}

// sortActions orders a host's actions by policy (the set's order), then
// by index, keeping the listen-list chain in the order it was computed.
func sortActions(as []Action, order []string) {
	rank := map[string]int{}
	for i, n := range order {
		rank[n] = i
	}
	sort.SliceStable(as, func(i, j int) bool { return rank[as[i].Policy] < rank[as[j].Policy] })
}

// action turns one resolved remediation action into a candidate. skip is
// set when the host is already in the After state.
func (h *hostPlanner) action(id, policy string, a policies.Action) (candidate, bool, error) {
	c := candidate{action: Action{ID: id, Policy: policy}, effect: a.Common().Effect}
	var skip bool
	var err error
	switch a := a.(type) {
	case *policies.RegistryAction:
		skip, err = h.registry(&c.action, a)
	case *policies.ListenListAction:
		skip, err = h.listenList(&c.action, a)
	case *policies.DynamicPortRangeAction:
		skip, err = h.portRange(&c.action, a)
	case *policies.ServiceAction:
		skip, err = h.service(&c.action, a)
	case *policies.CommandAction:
		skip, err = h.command(&c.action, a)
	default:
		err = fmt.Errorf("fleetport cannot plan a %T", a)
	}
	if err != nil || skip {
		return c, skip, err
	}
	if err := c.action.fill(); err != nil {
		if c.action.Kind == KindListenList {
			h.listRefused = true
		}
		return c, false, err
	}
	return c, false, nil
}

func (h *hostPlanner) registry(act *Action, a *policies.RegistryAction) (bool, error) {
	key, name, typ := string(a.Value.Key), a.Value.Name, a.Value.Type.String()
	act.Kind = KindRegistry
	v, ok := h.f.RegistryValue(key, name)
	if !ok {
		why := "the registry value " + name + " was not collected"
		for _, fe := range h.f.FactErrors {
			if fe.Fact == facts.FactRegistry {
				why = "the registry value " + name + " could not be read (" + fe.Message + ")"
			}
		}
		return false, errors.New(why + ": collect first")
	}
	btyp, before, ok := regValue(v)
	if !ok {
		return false, fmt.Errorf("%s is of type %s, which fleetport cannot restore", name, btyp)
	}
	var after *RegValue
	if a.Data != nil {
		after = fromRegData(*a.Data)
	}
	rc := &RegistryChange{Key: key, Name: name, Type: typ, Before: before, After: after}
	if before != nil && btyp != typ {
		rc.BeforeType = btyp
	}
	if equalReg(before, after) && (before == nil || btyp == typ) {
		return true, nil
	}
	act.Registry = rc
	was := describeReg(btyp, before)
	if before == nil && a.Value.Known != nil && a.Value.Known.Default != nil {
		was = describeReg(typ, fromRegData(*a.Value.Known.Default)) + " (absent)"
	} else if rc.BeforeType != "" {
		was += " (" + btyp + ")"
	}
	now := describeReg(typ, after)
	if after == nil {
		now = "deleted"
	}
	act.Summary = fmt.Sprintf("%s %s → %s", name, was, now)
	return false, nil
}

func fromRegData(d policies.RegData) *RegValue {
	switch {
	case d.Type.Numeric():
		n := d.Num
		return &RegValue{Num: &n}
	case d.Type == policies.RegMultiSZ:
		m := slices.Clone(d.Multi)
		if m == nil {
			m = []string{}
		}
		return &RegValue{Multi: m}
	}
	s := d.Str
	return &RegValue{Str: &s}
}

func (h *hostPlanner) listenList(act *Action, a *policies.ListenListAction) (bool, error) {
	act.Kind = KindListenList
	fail := func(err error) (bool, error) {
		h.listRefused = true
		return false, err
	}
	var tool string
	switch a.Tool {
	case policies.ListenListNetsh:
		tool = "netsh"
	case policies.ListenListHttpcfg:
		tool = "httpcfg"
	default:
		return fail(errors.New("the host's release is not known, so neither is the listen-list tool: collect first"))
	}
	if !h.listKnown {
		return fail(errors.New(h.listWhy))
	}
	mgmt := h.hp.ManagementAddress
	if !mgmt.IsValid() {
		return fail(errNoManagement)
	}
	if why := h.reachCheck(); why != "" {
		return fail(errors.New(why))
	}
	before := slices.Clone(h.list)
	after, err := policies.CheckListenListChange(before, a, mgmt)
	if err == nil {
		err = h.keepsReach(after)
	}
	if err != nil {
		return fail(fmt.Errorf("refused: %w", err))
	}
	var add, remove []netip.Addr
	for _, x := range after {
		if !slices.Contains(before, x) {
			add = append(add, x)
		}
	}
	for _, x := range before {
		if !slices.Contains(after, x) {
			remove = append(remove, x)
		}
	}
	if len(add) == 0 && len(remove) == 0 {
		return true, nil
	}
	if len(add) > 0 && h.f.Addresses == nil {
		return fail(errors.New("the host's addresses were not collected, so an address to add cannot be checked: collect first"))
	}
	var lacks []string
	for _, x := range add {
		if !slices.Contains(alwaysHad, x) && !slices.ContainsFunc(h.f.Addresses, func(y netip.Addr) bool { return y.Unmap() == x }) {
			lacks = append(lacks, x.String())
		}
	}
	if len(lacks) > 0 {
		return fail(fmt.Errorf("the host has no address %s: http.sys could not bind it (event 15005), which takes the sites down", strings.Join(lacks, ", ")))
	}
	// The management and loopback addresses go first: the list never
	// lacks them, even between two commands.
	first := func(x netip.Addr) int {
		switch x {
		case mgmt:
			return 0
		case loopback4:
			return 1
		}
		return 2
	}
	sort.SliceStable(add, func(i, j int) bool { return first(add[i]) < first(add[j]) })
	act.ListenList = &ListenListChange{Tool: tool, Before: before, After: after, Add: add, Remove: remove}
	var parts []string
	if len(add) > 0 {
		parts = append(parts, "add "+describeList(add))
	}
	if len(remove) > 0 {
		parts = append(parts, "remove "+describeList(remove))
	}
	act.Summary = fmt.Sprintf("listen list %s → %s (%s)", describeList(before), describeList(after), strings.Join(parts, "; "))
	h.list = after
	return false, nil
}

func (h *hostPlanner) portRange(act *Action, a *policies.DynamicPortRangeAction) (bool, error) {
	act.Kind = KindPortRange
	fam, proto := a.Ports.Family.String(), a.Ports.Protocol.String()
	r, ok := h.f.DynamicPortRange(fam, proto)
	if !ok {
		why := "the " + fam + " " + proto + " dynamic port range was not collected"
		for _, fe := range h.f.FactErrors {
			if fe.Fact == facts.FactDynamicPorts {
				why = "the dynamic port range could not be read (" + fe.Message + ")"
			}
		}
		return false, errors.New(why + ": collect first")
	}
	before := PortRange{Start: int(r.Start), Num: r.Count}
	after := PortRange{Start: a.Start, Num: a.Size}
	if before == after {
		return true, nil
	}
	act.PortRange = &PortRangeChange{Family: fam, Protocol: proto, Before: before, After: after}
	act.Summary = fmt.Sprintf("%s %s dynamic port range %s → %s", fam, proto, describeRange(before), describeRange(after))
	return false, nil
}

func (h *hostPlanner) service(act *Action, a *policies.ServiceAction) (bool, error) {
	act.Kind = KindService
	if a.StartMode != policies.StartModeAny {
		return false, fmt.Errorf("setting the start mode of %s is not planned: collection does not read start modes, so the mode before is unknown", a.Service)
	}
	var want string
	switch a.State {
	case policies.ServiceRunning:
		want = "running"
	case policies.ServiceStopped:
		want = "stopped"
	default:
		return true, nil
	}
	sv, ok := h.f.Service(a.Service)
	if !ok {
		return false, fmt.Errorf("the state of %s was not collected: collect first", a.Service)
	}
	if sv.State == facts.ServiceNotInstalled {
		return false, fmt.Errorf("%s is not installed", a.Service)
	}
	before := serviceState(sv.State)
	if before == "" {
		return false, fmt.Errorf("%s was %s when collected: collect again once it settles", a.Service, sv.State)
	}
	if before == want {
		return true, nil
	}
	act.Service = &ServiceChange{Name: a.Service, Before: before, After: want}
	act.Summary = fmt.Sprintf("%s %s → %s", a.Service, before, want)
	return false, nil
}

func (h *hostPlanner) command(act *Action, a *policies.CommandAction) (bool, error) {
	p, ok := a.Params.(policies.IISSocketPooling)
	if !ok || a.Template != policies.CommandIISSocketPooling {
		return false, fmt.Errorf("fleetport cannot plan command template %s", a.Template)
	}
	act.Kind = KindSocketPooling
	act.SocketPooling = &SocketPoolingChange{Service: string(p.Service), Instance: p.Instance, After: p.Disable}
	path, err := act.SocketPooling.metabasePath()
	if err != nil {
		return false, err
	}
	// The metabase is not collected. The drift (a wildcard bind) shows
	// pooling is on: DisableSocketPooling is false or not set, which
	// behave alike. apply's probe reads the value before the change.
	act.Summary = fmt.Sprintf("%s not set or false (socket pooling on) → %t; undo sets it to false, as when not set", path, p.Disable)
	return false, nil
}

// crossChecks turns the drift of fleetport's cross-fact checks into
// effects (pending values) or manual items.
func (h *hostPlanner) crossChecks(findings map[string][]drift.Finding, verdicts map[string]drift.Result) {
	var names []string
	for name := range findings {
		if strings.HasPrefix(name, crossPrefix) && verdicts[name].IsDrift() && h.wanted(name) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		for _, f := range findings[name] {
			switch {
			case name == checkNotInEffect && f.Fix == drift.FixReboot:
				h.pending = append(h.pending, pendingEffect{policy: name, rule: f.Rule, effect: rebootEffect})
			case name == checkNotInEffect && f.Fix == drift.FixServiceRestart && f.Rule == "listen_list":
				h.pending = append(h.pending, pendingEffect{policy: name, rule: f.Rule, effect: httpRestart})
			case name == checkLockout && len(h.listen) > 0:
				// Every planned list keeps the management and loopback
				// addresses (CheckListenListChange): the fix covers it.
				h.pending = append(h.pending, pendingEffect{policy: name})
			case name == checkSite && len(h.listen) > 0 && h.reaches(f.Rule):
				h.pending = append(h.pending, pendingEffect{policy: name})
			default:
				detail := f.FixDetail
				if detail == "" {
					detail = f.Actual
				}
				h.manual = append(h.manual, Manual{Host: h.hp.Host, Policy: name, Rule: f.Rule, Detail: detail})
			}
		}
	}
}

// reaches reports whether the planned listen list covers the address of
// a site_unreachable finding's URL ("url HTTP://10.0.0.5:80:10.0.0.5/").
func (h *hostPlanner) reaches(rule string) bool {
	u, err := facts.ParseHTTPURL(strings.TrimPrefix(rule, "url "))
	if err != nil || !u.Addr.IsValid() {
		return false
	}
	l := facts.ListenList{}
	for _, a := range h.list {
		l.Entries = append(l.Entries, facts.ListenEntry{Addr: a})
	}
	return len(h.list) > 0 && l.Covers(u.Addr, u.Port)
}

// restartsHTTP reports whether an effect restarts http.sys, which then
// reads the configured listen list.
func restartsHTTP(e policies.Effect) bool {
	switch e := e.(type) {
	case policies.EffectReboot:
		return true
	case policies.EffectServiceRestart:
		return cutsSession(e.Service)
	}
	return false
}

// effect combines what the candidates and the pending findings need into
// the host's one effect. An effect that restarts http.sys (a reboot, an
// HTTP restart) is refused when the configured list it would put into
// effect locks fleetport out or is not known, and the actions that need
// it with it; the candidates left are returned.
func (h *hostPlanner) effect(cands []candidate, status map[string]*policyStatus) []candidate {
	var effs []policies.Effect
	for _, c := range cands {
		effs = append(effs, c.effect)
	}
	for _, p := range h.pending {
		effs = append(effs, p.effect)
	}
	combined := policies.CombineEffects(effs...)
	if slices.ContainsFunc(combined, restartsHTTP) {
		if why := h.unsafeRestart(); why != "" {
			var kept []candidate
			for _, c := range cands {
				if c.effect != nil && restartsHTTP(c.effect) {
					status[c.action.Policy].refused = true
					h.refuse(c.action.Policy, fmt.Sprintf("%s needs %s to take effect, which is refused: %s", c.action.Summary, describeEffect(c.effect), why))
					continue
				}
				kept = append(kept, c)
			}
			var pend []pendingEffect
			for _, p := range h.pending {
				if p.effect != nil && restartsHTTP(p.effect) {
					h.refuse(p.policy, fmt.Sprintf("not put into effect: %s is refused: %s", describeEffect(p.effect), why))
					continue
				}
				pend = append(pend, p)
			}
			h.pending, cands = pend, kept
			return h.effect(cands, status)
		}
	}
	h.hp.Effect = toEffect(combined)
	h.hp.Pending = nil
	for _, p := range h.pending {
		if p.effect != nil {
			h.hp.Pending = append(h.hp.Pending, Pending{Check: p.policy, Rule: p.rule, Effect: toEffect([]policies.Effect{p.effect})})
		}
	}
	for i := range cands {
		cands[i].action.Effect = toEffect(policies.CombineEffects(cands[i].effect))
	}
	return cands
}

// unsafeRestart says why http.sys must not restart with the configured
// list the plan leaves; "" when it may.
func (h *hostPlanner) unsafeRestart() string {
	if !h.listKnown {
		return h.listWhy + " (a restart of http.sys puts it into effect)"
	}
	if len(h.list) == 0 {
		return ""
	}
	if why := h.reachCheck(); why != "" {
		return why
	}
	if _, err := policies.CheckListenListChange(h.list, nil, h.hp.ManagementAddress); err != nil {
		return err.Error()
	}
	if err := h.keepsReach(h.list); err != nil {
		return err.Error()
	}
	return ""
}

func describeEffect(e policies.Effect) string {
	switch e := e.(type) {
	case policies.EffectReboot:
		return "a reboot"
	case policies.EffectServiceRestart:
		return "a restart of " + e.Service
	}
	return e.String()
}

// toEffect turns combined effects into the host's effect step.
func toEffect(effs []policies.Effect) Effect {
	var steps []Effect
	var notes []string
	for _, x := range effs {
		switch x := x.(type) {
		case policies.EffectReboot:
			steps = append(steps, Effect{Kind: EffectReboot})
		case policies.EffectServiceRestart:
			steps = append(steps, Effect{Kind: EffectServiceRestart, Services: []string{x.Service}})
		default:
			notes = append(notes, x.String())
		}
	}
	e := Combine(steps...)
	switch {
	case len(notes) == 0 || e.Kind == EffectReboot:
	case e.Kind == EffectNone:
		e.Summary = "none: " + strings.Join(notes, "; ")
	default:
		e.Summary += "; " + strings.Join(notes, "; ")
	}
	return e
}

// Fingerprint is the hex SHA-256 of the actions' Before states, in
// canonical JSON (each action's ID, kind and typed change before it).
// apply compares it with the plan's to detect an edited plan.
func Fingerprint(actions []Action) string {
	type before struct {
		ID     string     `json:"id"`
		Kind   ActionKind `json:"kind"`
		Before any        `json:"before"`
	}
	bs := make([]before, 0, len(actions))
	for _, a := range actions {
		b := before{ID: a.ID, Kind: a.Kind}
		switch {
		case a.Registry != nil:
			b.Before = struct {
				Key, Name, Type string
				Value           *RegValue
			}{a.Registry.Key, a.Registry.Name, a.Registry.beforeType(), a.Registry.Before}
		case a.ListenList != nil:
			b.Before = a.ListenList.Before
		case a.PortRange != nil:
			b.Before = a.PortRange.Before
		case a.Service != nil:
			b.Before = [2]string{a.Service.Name, a.Service.Before}
		case a.SocketPooling != nil:
			b.Before = struct {
				Service  string
				Instance int
				Value    *bool
			}{a.SocketPooling.Service, a.SocketPooling.Instance, a.SocketPooling.Before}
		}
		bs = append(bs, b)
	}
	data, err := json.Marshal(bs)
	if err != nil {
		panic("plan: fingerprint: " + err.Error()) // plain data always marshals
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// refusalText says why a policy that could not be evaluated for a host is
// refused: a variable the host does not declare in plain words (what to
// add to the inventory), any other error with its place.
func refusalText(diags hcl.Diagnostics) string {
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		if policies.IsMissingVar(d) {
			return d.Detail
		}
		return "the policy could not be evaluated for this host: " + d.Error()
	}
	return "the policy could not be evaluated for this host"
}
