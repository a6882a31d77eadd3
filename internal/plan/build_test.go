package plan_test

import (
	"bytes"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/fleetport/fleetport/internal/drift"
	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/plan"
	"github.com/fleetport/fleetport/policies"
)

var (
	mgmtAddr = netip.MustParseAddr("192.0.2.10")
	svcAddr  = netip.MustParseAddr("10.0.0.10")
	lo       = netip.MustParseAddr("127.0.0.1")
)

// webHost is a compliant 2019 web server's facts, as collection leaves
// them, for the built-in pack.
func webHost() (policies.Host, *facts.Host) {
	ph := policies.Host{Name: "web01", Address: mgmtAddr.String(), Groups: []string{"web"},
		Vars: map[string]cty.Value{"service_address": cty.StringVal(svcAddr.String())}}
	f := facts.NewHost("web01", mgmtAddr.String())
	f.Status = facts.StatusOK
	f.OS = &facts.OSVersion{Version: "10.0.17763", Major: 10, Build: 17763, Release: "2019"}
	n := func(v uint64) *uint64 { return &v }
	f.Registry = []facts.RegistryValue{
		{Path: facts.TcpipParameters, Name: "TcpTimedWaitDelay", Type: facts.RegDWORD, Raw: "0x1e", Number: n(30)},
		{Path: `HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings`, Name: "MaxConnectionsPerServer", Absent: true},
	}
	f.ListenList = &facts.ListenList{Source: facts.ListenNetsh, Entries: []facts.ListenEntry{{Addr: svcAddr}, {Addr: mgmtAddr}, {Addr: lo}}}
	f.DynamicPorts = []facts.DynamicPortRange{{Family: "ipv4", Protocol: "tcp", PortRange: facts.PortRange{Start: 10000, Count: 55535}, Source: "netsh"}}
	f.Services = []facts.Service{{Name: "W3SVC", State: facts.ServiceRunning}, {Name: "HTTP", State: facts.ServiceRunning},
		{Name: "SMTPSVC", State: facts.ServiceNotInstalled}, {Name: "MSSQLSERVER", State: facts.ServiceNotInstalled}}
	f.Addresses = []netip.Addr{mgmtAddr, svcAddr}
	// What its roles rest on, as collection reads it: the socket table and
	// the URLs registered with http.sys (W3SVC makes it a web server).
	f.Sockets = &facts.Sockets{Source: "netstat"}
	f.HTTPURLs = []facts.HTTPURL{}
	return ph, f
}

// build judges the hosts with the built-in pack and plans them.
func build(t *testing.T, hosts ...plan.HostInput) *plan.Plan {
	t.Helper()
	set := builtin(t)
	in := drift.Input{Policies: set, CrossFact: true, Now: testNow}
	for _, h := range hosts {
		in.Hosts = append(in.Hosts, drift.HostInput{Policy: h.Policy, Facts: h.Facts})
	}
	rep := drift.Evaluate(in)
	for i := range hosts {
		for j := range rep.Hosts {
			if rep.Hosts[j].Name == hosts[i].Policy.Name {
				hosts[i].Report = &rep.Hosts[j]
			}
		}
	}
	return plan.Build(set, 1, hosts, plan.Options{Now: testNow})
}

func TestCompliantHostGetsNothing(t *testing.T) {
	ph, f := webHost()
	p := build(t, plan.HostInput{Policy: ph, Facts: f})
	if len(p.Hosts)+len(p.Refused)+len(p.Manual) != 0 {
		t.Errorf("plan of a compliant host: %+v", p)
	}
	// A host without facts or report is skipped.
	p = plan.Build(builtin(t), 1, []plan.HostInput{{Policy: ph}}, plan.Options{})
	if len(p.Hosts) != 0 || p.Created.IsZero() {
		t.Errorf("%+v", p)
	}
}

func TestRegistryOfAnotherType(t *testing.T) {
	ph, f := webHost()
	s := "60"
	f.Registry[0] = facts.RegistryValue{Path: facts.TcpipParameters, Name: "TcpTimedWaitDelay", Type: facts.RegSZ, Raw: "60", String: &s}
	p := build(t, plan.HostInput{Policy: ph, Facts: f})
	if len(p.Hosts) != 1 || len(p.Hosts[0].Actions) != 1 {
		t.Fatalf("%+v", p)
	}
	a := p.Hosts[0].Actions[0]
	rc := a.Registry
	if rc.Type != "REG_DWORD" || rc.BeforeType != "REG_SZ" || *rc.Before.Str != "60" || *rc.After.Num != 30 {
		t.Errorf("change %+v", rc)
	}
	key := `HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters`
	if !slices.Equal(a.Undo, []string{`reg add "` + key + `" /v TcpTimedWaitDelay /t REG_SZ /d "60" /f`}) {
		t.Errorf("undo %q", a.Undo)
	}
	if a.Summary != `TcpTimedWaitDelay "60" (REG_SZ) → 30` {
		t.Errorf("summary %q", a.Summary)
	}
	if p.Hosts[0].Effect.Kind != plan.EffectReboot {
		t.Errorf("effect %+v", p.Hosts[0].Effect)
	}
	r := a.Reverse()
	if r.ID != a.ID+"/undo" || r.Registry.Type != "REG_SZ" || r.Registry.BeforeType != "REG_DWORD" ||
		!slices.Equal(r.Commands, a.Undo) || !slices.Equal(r.Undo, a.Commands) || r.Probe != a.Probe {
		t.Errorf("reverse %+v %+v", r, r.Registry)
	}
	// The reversed action reads the states the other way round.
	found := []byte("\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters\r\n    TcpTimedWaitDelay    REG_SZ    60\r\n\r\n")
	for _, x := range []struct {
		act  plan.Action
		want plan.State
	}{{a, plan.StateBefore}, {r, plan.StateAfter}} {
		if st, desc, err := x.act.Classify(plan.Output{Stdout: found}); err != nil || st != x.want {
			t.Errorf("%s: %s %q %v", x.act.ID, st, desc, err)
		}
	}
}

func TestRegistryAbsentSummary(t *testing.T) {
	ph, f := webHost()
	f.Registry[0] = facts.RegistryValue{Path: facts.TcpipParameters, Name: "TcpTimedWaitDelay", Absent: true}
	p := build(t, plan.HostInput{Policy: ph, Facts: f})
	a := p.Hosts[0].Actions[0]
	if a.Summary != "TcpTimedWaitDelay 240 (absent) → 30" || a.Registry.Before != nil {
		t.Errorf("%q %+v", a.Summary, a.Registry)
	}
	key := `HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters`
	if !slices.Equal(a.Undo, []string{`reg delete "` + key + `" /v TcpTimedWaitDelay /f`}) || a.Probe != `reg query "`+key+`" /v TcpTimedWaitDelay` {
		t.Errorf("undo %q probe %q", a.Undo, a.Probe)
	}
	notFound := plan.Output{Stderr: []byte("ERROR: The system was unable to find the specified registry key or value.\r\n"), ExitCode: 1}
	if st, desc, err := a.Classify(notFound); err != nil || st != plan.StateBefore || desc != "TcpTimedWaitDelay is absent" {
		t.Errorf("absent: %s %q %v", st, desc, err)
	}
	other := plan.Output{Stdout: []byte("\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters\r\n    TcpTimedWaitDelay    REG_DWORD    0x3c\r\n\r\n")}
	if st, desc, err := a.Classify(other); err != nil || st != plan.StateOther || desc != "TcpTimedWaitDelay is 60 (REG_DWORD)" {
		t.Errorf("60: %s %q %v", st, desc, err)
	}
	if _, _, err := a.Classify(plan.Output{Stderr: []byte("ERROR: Access is denied.\r\n"), ExitCode: 1}); err == nil {
		t.Error("a failed probe classifies")
	}
}

// TestCollectFirst: a change whose state before was not collected is
// refused, and the rest of the host's plan stays.
func TestCollectFirst(t *testing.T) {
	ph, f := webHost()
	f.Registry = []facts.RegistryValue{f.Registry[1]} // TcpTimedWaitDelay not collected
	f.AddFactError(facts.FactError{Fact: facts.FactRegistry, Command: "reg query", Status: facts.StatusParseError, Message: "garbled"})
	f.Services[0].State = facts.ServiceStopped
	p := build(t, plan.HostInput{Policy: ph, Facts: f})
	if len(p.Refused) != 0 {
		// Drift judges the policy unknown without the value: nothing to
		// plan, nothing to refuse.
		t.Errorf("refused %+v", p.Refused)
	}
	if len(p.Hosts) != 1 || len(p.Hosts[0].Actions) != 1 || p.Hosts[0].Actions[0].Commands[0] != "net start W3SVC" ||
		p.Hosts[0].Effect.Kind != plan.EffectNone || !slices.Equal(p.Hosts[0].Verify, []string{"w3svc_running"}) {
		t.Errorf("%+v", p.Hosts)
	}

	// A failing policy whose value is not in the facts of the plan (the
	// report came from other facts): refused, collect first.
	ph, f = webHost()
	f.Registry[0].Number = new(uint64)
	*f.Registry[0].Number = 240
	hi := plan.HostInput{Policy: ph, Facts: f}
	p = build(t, hi)
	hi.Report = reportOf(t, p, hi)
	g := *f
	g.Registry = nil
	hi.Facts = &g
	p = plan.Build(builtin(t), 1, []plan.HostInput{hi}, plan.Options{Now: testNow})
	if len(p.Hosts) != 0 || len(p.Refused) != 1 || !strings.Contains(p.Refused[0].Reason, "TcpTimedWaitDelay was not collected: collect first") {
		t.Errorf("%+v %+v", p.Hosts, p.Refused)
	}
}

// reportOf judges the host again and returns its report.
func reportOf(t *testing.T, _ *plan.Plan, h plan.HostInput) *drift.HostReport {
	t.Helper()
	rep := drift.Evaluate(drift.Input{Policies: builtin(t), CrossFact: true, Now: testNow,
		Hosts: []drift.HostInput{{Policy: h.Policy, Facts: h.Facts}}})
	return &rep.Hosts[0]
}

// TestListenListChain: two policies fail on a list that lost the
// management address; one change adds it, the other is then a no-op.
func TestListenListChain(t *testing.T) {
	ph, f := webHost()
	f.ListenList.Entries = []facts.ListenEntry{{Addr: svcAddr}, {Addr: lo}}
	p := build(t, plan.HostInput{Policy: ph, Facts: f})
	if len(p.Hosts) != 1 {
		t.Fatalf("%+v", p)
	}
	h := p.Hosts[0]
	if len(h.Actions) != 1 || !slices.Equal(h.Actions[0].Commands, []string{"netsh http add iplisten ipaddress=" + mgmtAddr.String()}) {
		t.Errorf("actions %+v", h.Actions)
	}
	if h.Effect.Kind != plan.EffectServiceRestart || !slices.Equal(h.Effect.Services, []string{"HTTP"}) || !h.Effect.Detached {
		t.Errorf("effect %+v", h.Effect)
	}
	for _, v := range []string{"http_listen_list", "winrm_listen_list_access", "fleetport.listen_list_lockout"} {
		if !slices.Contains(h.Verify, v) {
			t.Errorf("verify %v lacks %s", h.Verify, v)
		}
	}
	if len(p.Manual) != 0 || len(p.Refused) != 0 {
		t.Errorf("manual %+v refused %+v", p.Manual, p.Refused)
	}
}

// TestEmptyListOrder: on an empty list the management and loopback
// addresses are added first, and removed last on undo.
func TestEmptyListOrder(t *testing.T) {
	ph, f := webHost()
	f.ListenList.Entries = []facts.ListenEntry{}
	p := build(t, plan.HostInput{Policy: ph, Facts: f})
	a := p.Hosts[0].Actions[0]
	want := []string{"netsh http add iplisten ipaddress=192.0.2.10", "netsh http add iplisten ipaddress=127.0.0.1", "netsh http add iplisten ipaddress=10.0.0.10"}
	undo := []string{"netsh http delete iplisten ipaddress=10.0.0.10", "netsh http delete iplisten ipaddress=127.0.0.1", "netsh http delete iplisten ipaddress=192.0.2.10"}
	if !slices.Equal(a.Commands, want) || !slices.Equal(a.Undo, undo) {
		t.Errorf("commands %q\nundo %q", a.Commands, a.Undo)
	}
	show := func(addrs ...string) plan.Output {
		s := "\r\nIP addresses present in the IP listen list:\r\n-------------------------------------------\r\n\r\n"
		for _, a := range addrs {
			s += "    " + a + "\r\n"
		}
		return plan.Output{Stdout: []byte(s + "\r\n")}
	}
	for _, c := range []struct {
		out  plan.Output
		want plan.State
	}{
		{show(), plan.StateBefore},
		{show("10.0.0.10", "192.0.2.10", "127.0.0.1"), plan.StateAfter},
		{show("192.0.2.10"), plan.StateOther},
	} {
		if st, desc, err := a.Classify(c.out); err != nil || st != c.want {
			t.Errorf("%q: %s %q %v", c.out.Stdout, st, desc, err)
		}
	}
}

// TestUnknownManagementAddress: the inventory names the host, and the
// facts came from a name too: no listen-list change, and no HTTP restart.
func TestUnknownManagementAddress(t *testing.T) {
	ph, f := webHost()
	ph.Address, f.Address = "web01.corp.example", "web01.corp.example"
	ph.ManagementAddress = ""
	f.ListenList.Entries = []facts.ListenEntry{}
	in := plan.HostInput{Policy: ph, Facts: f}
	// Drift cannot resolve host.management_address: judge with it, plan
	// without it.
	jh := ph
	jh.ManagementAddress = mgmtAddr.String()
	in.Report = reportOf(t, nil, plan.HostInput{Policy: jh, Facts: f})
	p := plan.Build(builtin(t), 1, []plan.HostInput{in}, plan.Options{Now: testNow})
	if len(p.Hosts) != 0 || len(p.Refused) == 0 {
		t.Fatalf("hosts %+v refused %+v", p.Hosts, p.Refused)
	}
	for _, r := range p.Refused {
		if !strings.Contains(r.Reason, "management address is not known") {
			t.Errorf("refusal %+v", r)
		}
	}
}

// TestManual: a failing policy without remediation is a manual item, not
// a refusal, and is not verified.
func TestManual(t *testing.T) {
	ph, f := webHost()
	n := uint64(1)
	f.Registry[1] = facts.RegistryValue{Path: `HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings`, Name: "MaxConnectionsPerServer", Type: facts.RegDWORD, Raw: "0x1", Number: &n}
	own, diags := policies.Parse([]byte(`policy "wininet_two_per_server" {
  description = "checked only: no remediation"
  registry "MaxConnectionsPerServer" {
    at_least = 2
  }
}
`), "own.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	set, diags := policies.NewSet(append(builtin(t).Files, own)...)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	in := plan.HostInput{Policy: ph, Facts: f}
	rep := drift.Evaluate(drift.Input{Policies: set, CrossFact: true, Now: testNow, Hosts: []drift.HostInput{{Policy: ph, Facts: f}}})
	in.Report = &rep.Hosts[0]
	p := plan.Build(set, 1, []plan.HostInput{in}, plan.Options{Now: testNow})
	if len(p.Refused) != 0 || len(p.Manual) != 1 || p.Manual[0].Policy != "wininet_two_per_server" ||
		p.Manual[0].Detail != "the policy declares no remediation for this host" {
		t.Errorf("%+v", p)
	}
	for _, hp := range p.Hosts {
		if slices.Contains(hp.Verify, "wininet_two_per_server") {
			t.Errorf("a manual policy is verified: %+v", hp)
		}
	}
}

func TestPlanText(t *testing.T) {
	ph, f := webHost()
	f.ListenList.Entries = []facts.ListenEntry{{Addr: svcAddr}, {Addr: lo}}
	f.Registry[0].Absent, f.Registry[0].Number, f.Registry[0].Type = true, nil, ""
	p := build(t, plan.HostInput{Policy: ph, Facts: f})
	var b bytes.Buffer
	if err := plan.WriteText(&b, p, false); err != nil {
		t.Fatal(err)
	}
	want := `plan of run 1, 2026-03-01 12:00:00 UTC

web01 (2019, 192.0.2.10)
  tcp_timed_wait_delay: TcpTimedWaitDelay 240 (absent) → 30
      reg add "HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters" /v TcpTimedWaitDelay /t REG_DWORD /d 30 /f
  http_listen_list: listen list 10.0.0.10, 127.0.0.1 → 10.0.0.10, 127.0.0.1, 192.0.2.10 (add 192.0.2.10)
      netsh http add iplisten ipaddress=192.0.2.10
  effect: reboot: the values Windows reads at boot take effect (only if a change is made)
      shutdown /r /t 5 /d p:2:4 /c "fleetport: put configuration into effect"
  verify: tcp_timed_wait_delay, http_listen_list, winrm_listen_list_access, fleetport.listen_list_lockout

1 hosts, 2 actions: 1 reboots, 0 service restarts
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
