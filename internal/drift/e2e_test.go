package drift_test

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/drift"
	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/remote"
	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/sim/simtest"
	"github.com/fleetport/fleetport/internal/sim/winhost"
	"github.com/fleetport/fleetport/internal/testfleet"
	"github.com/fleetport/fleetport/policies"
)

var (
	policyHost   = testfleet.PolicyHost
	endpoint     = testfleet.Endpoint
	demoCred     = testfleet.Credentials
	sessionOpts  = testfleet.SessionOptions
	collectFleet = testfleet.Collect
)

func evaluate(f *sim.Fleet, set *policies.Set, cur, prev map[string]*facts.Host, run int64) *drift.Report {
	in := drift.Input{Run: drift.RunInfo{ID: run}, Policies: set, CrossFact: true}
	for _, h := range f.Hosts() {
		in.Hosts = append(in.Hosts, drift.HostInput{Policy: policyHost(h.Plan), Facts: cur[h.Plan.Name], Baseline: prev[h.Plan.Name]})
	}
	return drift.Evaluate(in)
}

// winrmRun runs commands on a host through WinRM, as an administrator
// would.
func winrmRun(t *testing.T, f *sim.Fleet, p sim.HostPlan, lines ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := remote.Open(ctx, endpoint(f, p), demoCred, sessionOpts())
	if err != nil {
		t.Fatalf("%s: open: %v", p.Name, err)
	}
	defer s.Close()
	for _, l := range lines {
		res, err := s.Run(ctx, remote.Command{Line: l})
		if err != nil {
			t.Fatalf("%s: %s: %v", p.Name, l, err)
		}
		if res.ExitCode != 0 {
			t.Fatalf("%s: %s: exit %d: %s%s", p.Name, l, res.ExitCode, res.Stdout, res.Stderr)
		}
	}
}

// summary lists a host's findings as "policy|rule|result", sorted.
func summary(h drift.HostReport) []string {
	var out []string
	for _, f := range h.Findings {
		out = append(out, f.Policy+"|"+f.Rule+"|"+f.Result.String())
	}
	sort.Strings(out)
	return out
}

func hostReport(t *testing.T, r *drift.Report, name string) drift.HostReport {
	t.Helper()
	for _, h := range r.Hosts {
		if h.Name == name {
			return h
		}
	}
	t.Fatalf("no host %s in the report", name)
	return drift.HostReport{}
}

func finding(t *testing.T, h drift.HostReport, policy, rule string) drift.Finding {
	t.Helper()
	for _, f := range h.Findings {
		if f.Policy == policy && f.Rule == rule {
			return f
		}
	}
	t.Fatalf("%s: no finding %s %s; have %v", h.Name, policy, rule, summary(h))
	return drift.Finding{}
}

// hasEvidence fails unless some evidence line of the finding, with a line
// number, contains every want string.
func hasEvidence(t *testing.T, f drift.Finding, cmd string, want ...string) {
	t.Helper()
	for _, e := range f.Evidence {
		if e.Command != cmd || e.Line == 0 {
			continue
		}
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(e.Text, w)
		}
		if ok {
			return
		}
	}
	t.Errorf("%s %s %s: no evidence line of %q containing %q in %+v", f.Host, f.Policy, f.Rule, cmd, want, f.Evidence)
}

const tcpip = `HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters`

// TestFindingsOnADrivenFleet starts a compliant fleet of web servers,
// drives hosts into known states through WinRM (reg add, netsh http delete
// iplisten) and the simulator (a TIME_WAIT pile), collects, and checks
// every host's exact findings, the cross-fact checks, the unknowns of a
// host that refuses connections and of one whose output is garbled, the
// changes between the runs, and that a reboot puts a pending value into
// effect.
func TestFindingsOnADrivenFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over WinRM")
	}
	sc := simtest.Scenario(10)
	sc.OSMix = map[string]float64{"2019": 100}
	sc.LocaleMix = map[string]float64{"en-US": 50, "de-DE": 50}
	sc.Roles = []sim.Role{{Name: "web", Share: 100, Services: []string{"W3SVC"}}}
	sc.Faults = []sim.Fault{{Kind: sim.FaultRefuse, Share: 10}, {Kind: sim.FaultGarble, Share: 10}}
	f := simtest.Serve(t, sc)
	set, diags := policies.Builtin()
	if diags.HasErrors() {
		t.Fatal(diags)
	}

	var healthy []sim.HostPlan
	var refused, garbled sim.HostPlan
	for _, h := range f.Hosts() {
		switch {
		case h.Plan.Has(sim.FaultRefuse):
			refused = h.Plan
		case h.Plan.Has(sim.FaultGarble):
			garbled = h.Plan
		default:
			healthy = append(healthy, h.Plan)
		}
	}
	if len(healthy) < 7 || refused.Name == "" || garbled.Name == "" {
		t.Fatalf("plan: %d healthy, refused %q, garbled %q", len(healthy), refused.Name, garbled.Name)
	}

	// Run 1: the baseline. Every healthy host is compliant.
	run1 := collectFleet(t, f, set)
	rep1 := evaluate(f, set, run1, nil, 1)
	for _, p := range healthy {
		h := hostReport(t, rep1, p.Name)
		if len(h.Findings) != 0 || h.Result != drift.Pass {
			t.Errorf("baseline %s: result %s, findings %v", p.Name, h.Result, summary(h))
		}
	}
	// A refused host is unknown for every policy that could apply to it,
	// never compliant.
	ref := hostReport(t, rep1, refused.Name)
	if ref.Result != drift.Unknown || ref.Status != facts.StatusUnreachable {
		t.Errorf("refused host: result %s status %s", ref.Result, ref.Status)
	}
	for _, v := range ref.Verdicts {
		if v.Result == drift.Pass {
			t.Errorf("refused host passes %s", v.Policy)
		}
	}
	if n := len(ref.Findings); n == 0 {
		t.Error("refused host has no unknown findings")
	}
	for _, fd := range ref.Findings {
		if fd.Result != drift.Unknown || !strings.Contains(fd.Actual, "unreachable") {
			t.Errorf("refused host finding %s %s: %s %q", fd.Policy, fd.Rule, fd.Result, fd.Actual)
		}
	}
	// A garbled host answered, but what it printed could not be read: the
	// checks on it are unknown, none passes on unreadable facts, and the
	// evidence is the parse error.
	gar := hostReport(t, rep1, garbled.Name)
	if gar.Result != drift.Unknown {
		t.Errorf("garbled host: result %s (status %s), findings %v", gar.Result, gar.Status, summary(gar))
	}
	for _, fd := range gar.Findings {
		if fd.Result == drift.Fail {
			t.Errorf("garbled host fails %s %s on unreadable output: %q", fd.Policy, fd.Rule, fd.Actual)
		}
	}

	// Drive the hosts.
	b, b2, c, d, e := healthy[0], healthy[1], healthy[2], healthy[3], healthy[4]
	winrmRun(t, f, b, `reg add "`+tcpip+`" /v TcpTimedWaitDelay /t REG_DWORD /d 60 /f`)
	winrmRun(t, f, b2, `reg add "`+tcpip+`" /v TcpTimedWaitDelay /t REG_DWORD /d 20 /f`)
	winrmRun(t, f, c, "netsh http delete iplisten ipaddress="+c.Addr.String())
	winrmRun(t, f, d, "netsh http delete iplisten ipaddress="+d.ServiceAddr.String())
	sqlServer := netip.AddrPortFrom(netip.MustParseAddr("10.250.0.9"), 1433)
	f.Host(e.Name).Model.AddPile(winhost.Pile{Remote: sqlServer, Count: 50000})

	run2 := collectFleet(t, f, set)
	rep2 := evaluate(f, set, run2, run1, 2)

	want := map[string][]string{
		// TcpTimedWaitDelay 60: fails the policy, and is not in effect
		// (set after the last boot, which run 1 and run 2 share).
		b.Name: {
			`fleetport.not_in_effect|registry "TcpTimedWaitDelay"|pending`,
			`tcp_timed_wait_delay|registry "TcpTimedWaitDelay"|fail`,
		},
		// 20 is compliant, but only after a reboot.
		b2.Name: {`fleetport.not_in_effect|registry "TcpTimedWaitDelay"|pending`},
		// The list lost the management address: the policies and the
		// lockout check fail; http.sys is still bound to it.
		c.Name: {
			"fleetport.listen_list_lockout|listen_list|fail",
			"fleetport.not_in_effect|listen_list|pending",
			"http_listen_list|listen_list|fail",
			"winrm_listen_list_access|listen_list|fail",
		},
		// The list lost the service address: the site bound to it starts
		// but is unreachable.
		d.Name: {
			"fleetport.not_in_effect|listen_list|pending",
			"fleetport.site_unreachable|url " + iisURL(d.ServiceAddr) + "|fail",
			"http_listen_list|listen_list|fail",
		},
		// 50,000 TIME_WAIT toward one endpoint: over the policy's limits,
		// and at 90% of the 55,535-port range.
		e.Name: {
			"fleetport.port_exhaustion|time_wait " + sqlServer.String() + "|fail",
			"time_wait_pressure|connections|fail",
		},
	}
	for _, p := range healthy {
		h := hostReport(t, rep2, p.Name)
		if got := summary(h); !slices.Equal(got, want[p.Name]) {
			t.Errorf("%s (%s): findings\n got %q\nwant %q", p.Name, p.Locale, got, want[p.Name])
		}
	}

	// Expected, actual, evidence and fix of each kind of finding.
	fb := finding(t, hostReport(t, rep2, b.Name), "tcp_timed_wait_delay", `registry "TcpTimedWaitDelay"`)
	if fb.Expected != "<= 30 (absent means 240)" || !strings.HasPrefix(fb.Actual, "60 (REG_DWORD 0x3c") || fb.Fix != drift.FixReboot || fb.Severity != policies.SeverityMedium {
		t.Errorf("tcp_timed_wait_delay on %s: %+v", b.Name, fb)
	}
	hasEvidence(t, fb, `reg query "`+tcpip+`"`, "TcpTimedWaitDelay", "REG_DWORD", "0x3c")
	pend := finding(t, hostReport(t, rep2, b2.Name), "fleetport.not_in_effect", `registry "TcpTimedWaitDelay"`)
	if pend.Fix != drift.FixReboot || !strings.Contains(pend.Actual, "20 (REG_DWORD 0x14") || !strings.Contains(pend.Actual, "was 30") {
		t.Errorf("pending on %s: %+v", b2.Name, pend)
	}
	hasEvidence(t, pend, "wmic os get LastBootUpTime /value", "LastBootUpTime=")
	lock := finding(t, hostReport(t, rep2, c.Name), "fleetport.listen_list_lockout", "listen_list")
	if lock.Severity != policies.SeverityCritical || !strings.Contains(lock.Actual, "lacks "+c.Addr.String()) {
		t.Errorf("lockout on %s: %+v", c.Name, lock)
	}
	hasEvidence(t, lock, "netsh http show iplisten", c.ServiceAddr.String())
	stale := finding(t, hostReport(t, rep2, c.Name), "fleetport.not_in_effect", "listen_list")
	if stale.Fix != drift.FixServiceRestart || !strings.Contains(stale.Actual, c.Addr.String()+":5985") {
		t.Errorf("not in effect on %s: %+v", c.Name, stale)
	}
	hasEvidence(t, stale, "netstat -ano", c.Addr.String()+":5985", "LISTENING")
	site := finding(t, hostReport(t, rep2, d.Name), "fleetport.site_unreachable", "url "+iisURL(d.ServiceAddr))
	hasEvidence(t, site, "netsh http show servicestate", iisURL(d.ServiceAddr))
	pile := finding(t, hostReport(t, rep2, e.Name), "fleetport.port_exhaustion", "time_wait "+sqlServer.String())
	if !strings.HasPrefix(pile.Actual, "50000 TIME_WAIT toward "+sqlServer.String()+": 90%") {
		t.Errorf("port exhaustion on %s: %q", e.Name, pile.Actual)
	}
	hasEvidence(t, pile, "netstat -ano", sqlServer.String())
	if pile.Evidence[0].Text != fmt.Sprintf("50000 rows toward %s", sqlServer) {
		t.Errorf("pile summary evidence: %+v", pile.Evidence[0])
	}

	// What changed since run 1: every finding of the driven hosts is new,
	// none fixed.
	ch := drift.Compare(rep1, rep2)
	newByHost := map[string]int{}
	for _, it := range ch.Items {
		if it.Kind != "new" {
			t.Errorf("change %s %s %s %s since run 1", it.Kind, it.Finding.Host, it.Finding.Policy, it.Finding.Rule)
		}
		newByHost[it.Finding.Host]++
	}
	for name, w := range want {
		if newByHost[name] != len(w) {
			t.Errorf("%s: %d new findings, want %d", name, newByHost[name], len(w))
		}
	}
	if rep2.ExitCode() != 2 {
		t.Errorf("exit code %d, want 2", rep2.ExitCode())
	}

	// A reboot puts TcpTimedWaitDelay into effect: b2 is compliant again,
	// and the change shows as fixed.
	boot := f.Host(b2.Name).Model.BootTime()
	winrmRun(t, f, b2, "shutdown /r /t 1")
	waitRebooted(t, f, b2, boot)
	run3 := collectFleet(t, f, set)
	// The baseline of each host for its boot: run 1's, except for b2,
	// which rebooted (run 3 is its first run of the new boot).
	base3 := map[string]*facts.Host{}
	for name, h := range run1 {
		base3[name] = h
	}
	base3[b2.Name] = run3[b2.Name]
	rep3 := evaluate(f, set, run3, base3, 3)
	if h := hostReport(t, rep3, b2.Name); len(h.Findings) != 0 {
		t.Errorf("%s after its reboot: %v", b2.Name, summary(h))
	}
	if h := hostReport(t, rep3, b.Name); !slices.Equal(summary(h), want[b.Name]) {
		t.Errorf("%s in run 3 (not rebooted: still pending): %v", b.Name, summary(h))
	}
	ch = drift.Compare(rep2, rep3)
	var fixed []string
	for _, it := range ch.Items {
		if it.Kind == "fixed" {
			fixed = append(fixed, it.Finding.Host+"|"+it.Finding.Policy)
		}
	}
	sort.Strings(fixed)
	if wantFixed := []string{b2.Name + "|fleetport.not_in_effect"}; !slices.Equal(fixed, wantFixed) {
		t.Errorf("fixed since run 2: %v, want %v", fixed, wantFixed)
	}
}

// iisURL is how IIS registers a site bound to one address with http.sys:
// the address, the port, and the address again as the host name.
func iisURL(a netip.Addr) string { return "HTTP://" + a.String() + ":80:" + a.String() + "/" }

func waitRebooted(t *testing.T, f *sim.Fleet, p sim.HostPlan, boot time.Time) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if f.Host(p.Name).Model.BootTime().Equal(boot) {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		s, err := remote.Open(ctx, endpoint(f, p), demoCred, sessionOpts())
		cancel()
		if err == nil {
			s.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s did not come back after its reboot", p.Name)
}
