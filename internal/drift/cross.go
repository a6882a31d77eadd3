package drift

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/policies"
)

// The cross-fact checks: what no single value shows. They run on every
// host whose facts allow them (a fact no policy asked for makes them not
// applicable, a fact that could not be read makes them unknown). Their
// names start with "fleetport.", which no policy name can.
var crossChecks = []crossCheck{
	{name: "fleetport.site_unreachable", severity: policies.SeverityHigh, run: siteUnreachable,
		description: "every URL registered with http.sys on an IP address is covered by a non-empty listen list (otherwise the site starts but is unreachable)"},
	{name: "fleetport.listen_list_lockout", severity: policies.SeverityCritical, run: listenListLockout,
		description: "a non-empty listen list keeps the management address and 127.0.0.1 (WinRM listens through http.sys: without them fleetport locks itself out)"},
	{name: "fleetport.port_exhaustion", severity: policies.SeverityHigh, run: portExhaustion,
		description: fmt.Sprintf("TIME_WAIT toward one remote endpoint stays below %.0f%% of the client port range", exhaustionShare*100)},
	{name: "fleetport.not_in_effect", severity: policies.SeverityMedium, run: notInEffect,
		description: "what is configured is in effect: no listen list waits for an HTTP restart, no boot-time registry value for a reboot"},
}

// exhaustionShare is how much of the client port range one endpoint's
// TIME_WAIT sockets may take before the range is "nearly exhausted".
const exhaustionShare = 0.8

// CrossFactChecks lists the names of the cross-fact checks.
func CrossFactChecks() []string {
	out := make([]string, len(crossChecks))
	for i, c := range crossChecks {
		out[i] = c.name
	}
	return out
}

type crossCheck struct {
	name, description string
	severity          policies.Severity
	run               func(crossInput) (Verdict, []Finding)
}

type crossInput struct {
	host  policies.Host
	facts *facts.Host
	prev  *facts.Host
}

// need decides whether a fact can answer: nil verdict when it can;
// otherwise not applicable (not collected: no policy asked for it) or
// unknown (it could not be read).
func need(h *facts.Host, fact string, present bool, what string) *Verdict {
	if present {
		return nil
	}
	for _, fe := range h.FactErrors {
		if fe.Fact == fact {
			return &Verdict{Result: Unknown, Reason: "could not tell: " + what + " " + fe.Status.String() + ": " + fe.Message}
		}
	}
	return &Verdict{Result: NotApplicable, Reason: what + " was not collected"}
}

func unknownFinding(v *Verdict, expected string) []Finding {
	if v.Result != Unknown {
		return nil
	}
	return []Finding{{Rule: "facts", Result: Unknown, Expected: expected, Actual: v.Reason, Evidence: []Evidence{}, Fix: FixManual,
		FixDetail: "collect again once the fact can be read"}}
}

func siteUnreachable(in crossInput) (Verdict, []Finding) {
	h := in.facts
	const exp = "the listen list covers the address"
	if v := need(h, facts.FactListenList, h.ListenList != nil, "the listen list"); v != nil {
		return *v, unknownFinding(v, exp)
	}
	if h.HTTPURLs == nil && h.OS != nil && h.OS.Release == "2003" {
		return Verdict{Result: NotApplicable, Reason: "Windows 2003 has no netsh http to list registered URLs"}, nil
	}
	if v := need(h, facts.FactHTTPURLs, h.HTTPURLs != nil, "the registered URLs"); v != nil {
		return *v, unknownFinding(v, exp)
	}
	if h.ListenList.Empty() {
		return Verdict{Result: Pass}, nil
	}
	var out []Finding
	for _, u := range h.HTTPURLs {
		if !u.Addr.IsValid() || h.ListenList.Covers(u.Addr, u.Port) {
			continue
		}
		ev := urlEvidence(h, u)
		ev = append(ev, listenListEvidence(h)...)
		out = append(out, Finding{Rule: "url " + u.URL, Result: Fail,
			Expected: fmt.Sprintf("the listen list covers %s (port %d)", u.Addr, u.Port),
			Actual:   fmt.Sprintf("the listen list (%s) lacks %s: the site starts but is unreachable", describeList(h.ListenList), u.Addr),
			Evidence: ev, Fix: FixManual,
			FixDetail: "add the address to the listen list (in effect after HTTP and its dependants restart), or bind the site to a listed address"})
	}
	if len(out) > 0 {
		return Verdict{Result: Fail}, out
	}
	return Verdict{Result: Pass}, nil
}

func urlEvidence(h *facts.Host, u facts.HTTPURL) []Evidence {
	o, ok := h.Output(facts.FactHTTPURLs, "")
	if !ok {
		return nil
	}
	return lineEvidence(o.Command, o.Find(func(f []string) bool { return len(f) > 0 && f[0] == u.URL }))
}

// managementAddr is the address fleetport reaches the host on.
func managementAddr(in crossInput) (netip.Addr, bool) {
	for _, s := range []string{in.host.ManagementAddress, in.host.Address, in.facts.Address} {
		if a, err := netip.ParseAddr(s); err == nil {
			return a.Unmap(), true
		}
	}
	return netip.Addr{}, false
}

func listenListLockout(in crossInput) (Verdict, []Finding) {
	h := in.facts
	const exp = "the listen list names the management address and 127.0.0.1"
	if v := need(h, facts.FactListenList, h.ListenList != nil, "the listen list"); v != nil {
		return *v, unknownFinding(v, exp)
	}
	if h.ListenList.Empty() {
		return Verdict{Result: Pass}, nil
	}
	mgmt, ok := managementAddr(in)
	if !ok {
		v := Verdict{Result: Unknown, Reason: "could not tell: the management address is not an IP address (set management_address in the inventory)"}
		return v, unknownFinding(&v, exp)
	}
	list := listAddrs(h.ListenList)
	var lacks []netip.Addr
	for _, a := range []netip.Addr{mgmt, netip.AddrFrom4([4]byte{127, 0, 0, 1})} {
		if !policies.ListenListReaches(list, a) {
			lacks = append(lacks, a)
		}
	}
	if len(lacks) == 0 {
		return Verdict{Result: Pass}, nil
	}
	return Verdict{Result: Fail}, []Finding{{Rule: "listen_list", Result: Fail,
		Expected: fmt.Sprintf("the listen list names %s and 127.0.0.1", mgmt),
		Actual:   fmt.Sprintf("%s (lacks %s): at the next HTTP start WinRM stops answering on it and fleetport is locked out", describeList(h.ListenList), addrList(lacks)),
		Evidence: listenListEvidence(h), Fix: FixManual,
		FixDetail: "add the missing addresses to the listen list before HTTP restarts (do not restart HTTP or reboot first)"}}
}

func portExhaustion(in crossInput) (Verdict, []Finding) {
	h := in.facts
	const exp = "TIME_WAIT toward each endpoint below the client port range"
	if v := need(h, facts.FactSockets, h.Sockets != nil, "the socket table"); v != nil {
		return *v, unknownFinding(v, exp)
	}
	top := h.Sockets.Summary.TimeWaitTop
	if len(top) == 0 {
		return Verdict{Result: Pass}, nil
	}
	var out []Finding
	for _, rc := range top {
		rg, ok := h.ClientPortRange(family(rc.Remote.Addr()))
		if !ok {
			v := Verdict{Result: Unknown, Reason: "could not tell: the client port range is not known"}
			return v, unknownFinding(&v, exp)
		}
		share := float64(rc.Count) / float64(rg.Count)
		if share < exhaustionShare {
			continue
		}
		out = append(out, Finding{Rule: "time_wait " + rc.Remote.String(), Result: Fail,
			Expected: fmt.Sprintf("fewer than %.0f%% of the %d-port client range %d-%d in TIME_WAIT toward %s", exhaustionShare*100, rg.Count, rg.Start, rg.End(), rc.Remote),
			Actual:   fmt.Sprintf("%d TIME_WAIT toward %s: %.0f%% of the range; new connections to it fail when it is used up", rc.Count, rc.Remote, share*100),
			Evidence: pileEvidence(h, rc.Remote, rc.Count), Fix: FixManual,
			FixDetail: "pool the client's connections, widen the dynamic port range, or lower TcpTimedWaitDelay"})
	}
	if len(out) > 0 {
		return Verdict{Result: Fail}, out
	}
	return Verdict{Result: Pass}, nil
}

// httpSysPorts are the ports http.sys listens on for what is registered:
// the registered URLs' ports when known, else IIS's and WinRM's.
func httpSysPorts(h *facts.Host) []uint16 {
	if len(h.HTTPURLs) == 0 {
		return []uint16{80, 443, 5985, 5986, 47001}
	}
	var ps []uint16
	for _, u := range h.HTTPURLs {
		if !slices.Contains(ps, u.Port) {
			ps = append(ps, u.Port)
		}
	}
	return ps
}

func notInEffect(in crossInput) (Verdict, []Finding) {
	h := in.facts
	var out []Finding
	checked := false
	if f, ok := listenListPending(h); ok {
		checked = true
		out = append(out, f...)
	}
	if f, ok := registryPending(in); ok {
		checked = true
		out = append(out, f...)
	}
	switch {
	case len(out) > 0:
		return Verdict{Result: Pending}, out
	case checked:
		return Verdict{Result: Pass}, nil
	}
	return Verdict{Result: NotApplicable, Reason: "neither the listen list and socket table nor two runs' registry values and boot times are known"}, nil
}

// listenListPending compares the configured listen list with what
// http.sys (PID 4) is bound to. ok is false when the facts cannot tell.
func listenListPending(h *facts.Host) ([]Finding, bool) {
	if h.ListenList == nil || h.Sockets == nil || !h.Sockets.PIDs {
		return nil, false
	}
	ports := httpSysPorts(h)
	var bound []facts.Socket
	wildcard := false
	for _, s := range h.Sockets.Listeners {
		if s.PID == 4 && s.Proto == facts.ProtoTCP && s.State == facts.StateListen && slices.Contains(ports, s.Local.Port()) {
			bound = append(bound, s)
			wildcard = wildcard || s.IsWildcard()
		}
	}
	if len(bound) == 0 {
		return nil, false // HTTP is not running: nothing is in effect
	}
	var why string
	var stray []facts.Socket
	switch {
	case h.ListenList.Empty() && !wildcard:
		why = "the list is empty (every address) but http.sys is still bound to the addresses of an earlier list"
	case !h.ListenList.Empty() && wildcard:
		why = "http.sys still listens on every address; the list takes effect when HTTP next starts"
	case !h.ListenList.Empty():
		for _, s := range bound {
			if !h.ListenList.Covers(s.Local.Addr(), s.Local.Port()) {
				stray = append(stray, s)
			}
		}
		if len(stray) > 0 {
			why = "http.sys is still bound to addresses the list no longer names"
		}
	}
	if why == "" {
		return nil, true
	}
	if len(stray) > 0 {
		bound = stray
	}
	socks := make([]string, 0, len(bound))
	for _, s := range bound {
		socks = append(socks, s.Local.String())
	}
	locals := map[string]bool{}
	for _, s := range bound {
		locals[s.Local.String()] = true
	}
	ev := listenListEvidence(h)
	ev = append(ev, socketEvidence(h, func(f []string) bool {
		return len(f) >= 5 && f[len(f)-1] == "4" && locals[f[1]]
	})...)
	return []Finding{{Rule: "listen_list", Result: Pending,
		Expected: "http.sys bound as the configured list says: " + describeList(h.ListenList),
		Actual:   "bound to " + strings.Join(socks, ", ") + ": " + why,
		Evidence: ev, Fix: FixServiceRestart, FixDetail: "restart HTTP and its dependants (W3SVC, WinRM), detached from the WinRM session"}}, true
}

// registryPending finds boot-time registry values that differ from the
// host's baseline for its current boot (the first run that saw this boot):
// they were changed after the boot and are configured but not in effect.
// ok is false when the facts cannot tell (no baseline, no boot time).
func registryPending(in crossInput) ([]Finding, bool) {
	h, prev := in.facts, in.prev
	if prev == nil || h.BootTime.IsZero() || prev.BootTime.IsZero() || len(h.Registry) == 0 {
		return nil, false
	}
	if d := h.BootTime.Sub(prev.BootTime); d > 2*time.Second || d < -2*time.Second {
		return nil, false // a baseline of another boot says nothing about this one
	}
	var out []Finding
	for _, v := range h.Registry {
		k, ok := policies.LookupKnown(v.Name)
		if !ok || !strings.EqualFold(facts.CanonicalRegPath(string(k.Key)), facts.CanonicalRegPath(v.Path)) {
			continue
		}
		if _, reboot := k.Effect.(policies.EffectReboot); !reboot {
			continue
		}
		p, ok := prev.RegistryValue(v.Path, v.Name)
		if !ok || sameReg(p, v) {
			continue
		}
		ev := registryEvidence(h, policies.RegistryValue{Key: k.Key, Name: k.Name, Type: k.Type, Known: k})
		ev = append(ev, Evidence{Text: fmt.Sprintf("the first run after the host's last boot (%[3]s), at %[1]s, read %[2]s",
			prev.Finished.UTC().Format(time.RFC3339), describeReg(p), h.BootTime.UTC().Format(time.RFC3339))})
		if o, ok := h.Output(facts.FactBootTime, ""); ok {
			ev = append(ev, lineEvidence(o.Command, o.Find(func(f []string) bool { return len(f) > 0 && strings.ContainsAny(f[len(f)-1], "0123456789") }))...)
		}
		out = append(out, Finding{Rule: fmt.Sprintf("registry %q", v.Name), Result: Pending,
			Expected: "in effect: the host booted after the value was set",
			Actual:   fmt.Sprintf("set to %s after the last boot (was %s): Windows reads it at boot", describeReg(v), describeReg(p)),
			Evidence: ev, Fix: FixReboot})
	}
	return out, true
}

func sameReg(a, b facts.RegistryValue) bool {
	return a.Absent == b.Absent && a.Type == b.Type && strings.EqualFold(a.Raw, b.Raw)
}
