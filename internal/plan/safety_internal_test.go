package plan

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/fleetport/fleetport/internal/drift"
	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/policies"
)

// handMade plans one host from hand-made resolved policies, each failing.
func handMade(f *facts.Host, ph policies.Host, res ...*policies.Resolved) *hostPlanner {
	rep := &drift.HostReport{Name: ph.Name}
	for _, r := range res {
		rep.Verdicts = append(rep.Verdicts, drift.Verdict{Policy: r.Policy.Name, Result: drift.Fail})
	}
	h := newHostPlanner(HostInput{Policy: ph, Facts: f, Report: rep})
	h.plan(res, nil)
	return h
}

func listenAction(add, remove []netip.Addr) *policies.ListenListAction {
	return &policies.ListenListAction{
		ActionCommon: policies.ActionCommon{Kind: policies.ActionListenList, Applies: policies.Applies,
			Effect: policies.EffectServiceRestart{Service: "HTTP", WithDependants: true}},
		Add: add, Remove: remove, Tool: policies.ListenListNetsh,
	}
}

func resolved(name string, as ...policies.Action) *policies.Resolved {
	return &policies.Resolved{Policy: &policies.Policy{Name: name}, Applies: policies.Applies, Actions: as}
}

func testHost(list ...netip.Addr) (*facts.Host, policies.Host) {
	mgmt := netip.MustParseAddr("192.0.2.10")
	f := facts.NewHost("web01", mgmt.String())
	f.Status = facts.StatusOK
	f.OS = &facts.OSVersion{Major: 10, Build: 17763, Release: "2019"}
	f.ListenList = &facts.ListenList{Source: facts.ListenNetsh, Entries: []facts.ListenEntry{}}
	for _, a := range list {
		f.ListenList.Entries = append(f.ListenList.Entries, facts.ListenEntry{Addr: a})
	}
	f.Addresses = []netip.Addr{mgmt, netip.MustParseAddr("10.0.0.10")}
	n := uint64(240)
	f.Registry = []facts.RegistryValue{{Path: facts.TcpipParameters, Name: "TcpTimedWaitDelay", Type: facts.RegDWORD, Raw: "0xf0", Number: &n}}
	return f, policies.Host{Name: "web01", Address: mgmt.String()}
}

func tcpTimedWait() *policies.RegistryAction {
	k, _ := policies.LookupKnown("TcpTimedWaitDelay")
	d := policies.DWORD(30)
	return &policies.RegistryAction{
		ActionCommon: policies.ActionCommon{Kind: policies.ActionRegistry, Applies: policies.Applies, Effect: policies.EffectReboot{}},
		Value:        policies.RegistryValue{Key: k.Key, Name: k.Name, Type: k.Type, Known: k}, Data: &d,
	}
}

// TestDropManagementAddress: a hand-made change that removes the
// management address is refused with a message naming it; the host's
// other changes stay, and so does its reboot (the list it leaves in effect
// is the collected one, which is safe).
func TestDropManagementAddress(t *testing.T) {
	mgmt, svc, lo := netip.MustParseAddr("192.0.2.10"), netip.MustParseAddr("10.0.0.10"), netip.MustParseAddr("127.0.0.1")
	f, ph := testHost(svc, mgmt, lo)
	h := handMade(f, ph, resolved("custom", listenAction(nil, []netip.Addr{mgmt})), resolved("tcp_timed_wait_delay", tcpTimedWait()))
	if len(h.refused) != 1 || h.refused[0].Policy != "custom" || !strings.Contains(h.refused[0].Reason, "does not reach 192.0.2.10") {
		t.Fatalf("refused %+v", h.refused)
	}
	if len(h.hp.Actions) != 1 || h.hp.Actions[0].Kind != KindRegistry || h.hp.Effect.Kind != EffectReboot {
		t.Errorf("plan %+v", h.hp)
	}
	if len(h.hp.Verify) != 1 || h.hp.Verify[0] != "tcp_timed_wait_delay" {
		t.Errorf("verify %v", h.hp.Verify)
	}
}

// TestRefusedListenChainAndReboot: the collected list already lacks the
// management address, and the change that would add it back is refused
// (the host lacks an address it also adds): no listen-list change at all,
// and no reboot, which would put the collected list into effect; the
// registry change that needs the reboot is refused with it.
func TestRefusedListenChainAndReboot(t *testing.T) {
	mgmt, svc, lo := netip.MustParseAddr("192.0.2.10"), netip.MustParseAddr("10.0.0.10"), netip.MustParseAddr("127.0.0.1")
	f, ph := testHost(svc, lo)
	other := netip.MustParseAddr("10.9.9.9")
	h := handMade(f, ph,
		resolved("first", listenAction([]netip.Addr{mgmt, lo}, nil)),
		resolved("second", listenAction([]netip.Addr{other}, nil)),
		resolved("tcp_timed_wait_delay", tcpTimedWait()))
	reasons := map[string]string{}
	for _, r := range h.refused {
		reasons[r.Policy] = r.Reason
	}
	if !strings.Contains(reasons["second"], "has no address 10.9.9.9") ||
		!strings.Contains(reasons["first"], "another listen-list change of the host was refused") ||
		!strings.Contains(reasons["tcp_timed_wait_delay"], "needs a reboot to take effect, which is refused") ||
		!strings.Contains(reasons["tcp_timed_wait_delay"], "does not reach 192.0.2.10") {
		t.Errorf("refused %+v", h.refused)
	}
	if len(h.hp.Actions) != 0 || h.hp.Effect.Kind != EffectNone || len(h.hp.Verify) != 0 {
		t.Errorf("plan %+v", h.hp)
	}
}

// TestAddressesNotCollected: without the host's addresses no listen list
// is changed, not even by a removal: whether the address fleetport connects
// to is the host's own (and not a NAT's) cannot be checked.
func TestAddressesNotCollected(t *testing.T) {
	mgmt, svc, lo := netip.MustParseAddr("192.0.2.10"), netip.MustParseAddr("10.0.0.10"), netip.MustParseAddr("127.0.0.1")
	stale := netip.MustParseAddr("192.168.33.1")
	f, ph := testHost(svc, mgmt, lo, stale)
	f.Addresses = nil
	const why = "the host's addresses were not collected, so the address fleetport connects to cannot be checked against them: collect first"
	h := handMade(f, ph, resolved("stale", listenAction(nil, []netip.Addr{stale})))
	if len(h.refused) != 1 || h.refused[0].Reason != why || len(h.hp.Actions) != 0 {
		t.Errorf("refused %+v actions %+v", h.refused, h.hp.Actions)
	}
	h = handMade(f, ph, resolved("add", listenAction([]netip.Addr{mgmt, lo, netip.MustParseAddr("0.0.0.0")}, nil)))
	if len(h.refused) != 1 || h.refused[0].Reason != why {
		t.Errorf("refused %+v", h.refused)
	}
	// 0.0.0.0 and 127.0.0.1 are always had.
	f.Addresses = []netip.Addr{mgmt}
	h = handMade(f, ph, resolved("add", listenAction([]netip.Addr{mgmt, lo, netip.MustParseAddr("0.0.0.0")}, nil)))
	if len(h.refused) != 0 || len(h.hp.Actions) != 1 {
		t.Errorf("refused %+v actions %+v", h.refused, h.hp.Actions)
	}
}

// TestUnsafeStringData: registry data that cannot be quoted safely is
// refused.
func TestUnsafeStringData(t *testing.T) {
	f, ph := testHost()
	s := `C:\Temp\`
	f.Registry[0] = facts.RegistryValue{Path: facts.TcpipParameters, Name: "TcpTimedWaitDelay", Type: facts.RegSZ, Raw: s, String: &s}
	h := handMade(f, ph, resolved("tcp_timed_wait_delay", tcpTimedWait()))
	if len(h.refused) != 1 || !strings.Contains(h.refused[0].Reason, "ends in a backslash") {
		t.Errorf("refused %+v", h.refused)
	}
	s = `50%`
	h = handMade(f, ph, resolved("tcp_timed_wait_delay", tcpTimedWait()))
	if len(h.refused) != 1 || !strings.Contains(h.refused[0].Reason, "'%'") {
		t.Errorf("refused %+v", h.refused)
	}
}

func TestSaneLine(t *testing.T) {
	for _, l := range []string{
		`reg add "HKLM\X" /v A /t REG_SZ /d "a & b" /f`,
		"netsh http add iplisten ipaddress=::1",
	} {
		if err := saneLine(l); err != nil {
			t.Errorf("%s: %v", l, err)
		}
	}
	for _, l := range []string{"net start w3svc & calc", `reg add "x`, "net start a|b", "echo %PATH%", "net start a^&b", "a\nb", ""} {
		if saneLine(l) == nil {
			t.Errorf("%q passes", l)
		}
	}
}

// TestManagementAddressNotTheConnectAddress: an inventory that connects to
// 127.97.0.11 and names the host's service address 10.97.0.11 as its
// management address. A list of the management address and loopback
// would lock fleetport out at the next HTTP restart: the change is
// refused, naming both addresses, and so is every effect that restarts
// http.sys with a list lacking the connect address.
func TestManagementAddressNotTheConnectAddress(t *testing.T) {
	conn, svc, lo := netip.MustParseAddr("127.97.0.11"), netip.MustParseAddr("10.97.0.11"), netip.MustParseAddr("127.0.0.1")
	f, _ := testHost()
	f.Address = conn.String()
	f.Addresses = []netip.Addr{conn, svc}
	ph := policies.Host{Name: "web01", Address: conn.String(), ManagementAddress: svc.String()}
	h := handMade(f, ph, resolved("http_listen_list", listenAction([]netip.Addr{svc, lo}, nil)))
	if len(h.hp.Actions) != 0 || len(h.refused) != 1 ||
		!strings.Contains(h.refused[0].Reason, "management address 10.97.0.11 is not the address fleetport connects to (127.97.0.11)") {
		t.Errorf("refused %+v actions %+v", h.refused, h.hp.Actions)
	}
	// With the right management address the list is extended, not cut.
	ph.ManagementAddress = conn.String()
	h = handMade(f, ph, resolved("http_listen_list", listenAction([]netip.Addr{conn, lo}, nil)))
	if len(h.refused) != 0 || len(h.hp.Actions) != 1 || h.hp.Effect.Kind != EffectServiceRestart {
		t.Errorf("refused %+v plan %+v", h.refused, h.hp)
	}
	// A list that would reach the management address but not the
	// address connected to (a name resolving elsewhere) is refused.
	h = newHostPlanner(HostInput{Policy: ph, Facts: f, Report: &drift.HostReport{Name: "web01", Verdicts: []drift.Verdict{{Policy: "x", Result: drift.Fail}}},
		Connect: []netip.Addr{conn, svc}})
	h.plan([]*policies.Resolved{resolved("x", listenAction([]netip.Addr{conn, lo}, nil))}, nil)
	if len(h.hp.Actions) != 0 || len(h.refused) != 1 || !strings.Contains(h.refused[0].Reason, "would lack 10.97.0.11, the address fleetport connects to") {
		t.Errorf("refused %+v actions %+v", h.refused, h.hp.Actions)
	}
}

// TestNATAddressIsRefused: fleetport connects to an address the host does
// not have (NAT, a proxy): no listen list can be checked, so none is
// changed and no effect restarts http.sys on a non-empty list.
func TestNATAddressIsRefused(t *testing.T) {
	public, own, lo := netip.MustParseAddr("198.51.100.7"), netip.MustParseAddr("10.0.0.10"), netip.MustParseAddr("127.0.0.1")
	f, _ := testHost(own, lo)
	f.Address = public.String()
	f.Addresses = []netip.Addr{own}
	ph := policies.Host{Name: "web01", Address: public.String()}
	h := handMade(f, ph, resolved("http_listen_list", listenAction([]netip.Addr{public}, nil)), resolved("tcp_timed_wait_delay", tcpTimedWait()))
	if len(h.hp.Actions) != 0 || h.hp.Effect.Kind != EffectNone {
		t.Errorf("planned %+v", h.hp)
	}
	if len(h.refused) != 2 || !strings.Contains(h.refused[0].Reason, "fleetport connects to 198.51.100.7, which is not one of the host's own addresses (10.0.0.10): the host is reached through NAT or a proxy") {
		t.Errorf("refused %+v", h.refused)
	}
}
