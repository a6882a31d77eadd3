package drift_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/drift"
	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/policies"
)

const waiverPolicies = `policy "timed_wait" {
  severity = "high"
  registry "TcpTimedWaitDelay" { at_most = 30 }
}

policy "user_port" {
  severity = "low"
  registry "TcpTimedWaitDelay" { at_most = 60 }
}

waiver "legacy-a" {
  policy = "timed_wait"
  hosts  = ["A01"]
  reason = "CHG-1: the batch job needs it"
  until  = "2027-03-31"
}

waiver "legacy-group" {
  policy = "timed_wait"
  limit  = "group:legacy,group:nosuch"
  reason = "CHG-2"
  until  = "2027-03-31"
}

waiver "gone" {
  policy = "user_port"
  hosts  = ["a01"]
  reason = "CHG-0"
  until  = "2026-12-06"
}

waiver "unreached" {
  policy = "timed_wait"
  hosts  = ["d01"]
  reason = "CHG-3"
  until  = "2027-03-31"
}
`

// waiverFacts is a reached host with the two registry values.
func waiverFacts(name string, timedWait uint64) *facts.Host {
	h := facts.NewHost(name, "10.0.0.1")
	h.Status = facts.StatusOK
	h.OS = &facts.OSVersion{Version: "10.0.17763", Major: 10, Build: 17763, Release: "2019"}
	h.Registry = []facts.RegistryValue{
		{Path: facts.TcpipParameters, Name: "TcpTimedWaitDelay", Type: facts.RegDWORD, Raw: "0x0", Number: &timedWait},
	}
	return h
}

func waiverSet(t *testing.T) *policies.Set {
	t.Helper()
	f, diags := policies.Parse([]byte(waiverPolicies), "waivers.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	set, diags := policies.NewSet(f)
	if diags = append(diags, set.CheckWaivers()...); diags.HasErrors() {
		t.Fatal(diags)
	}
	return set
}

func waiverInput(set *policies.Set, at time.Time) drift.Input {
	down := facts.NewHost("d01", "10.0.0.4")
	down.Status, down.Error = facts.StatusTimeout, "no answer in 30s"
	return drift.Input{Policies: set, Now: at, Hosts: []drift.HostInput{
		{Policy: policies.Host{Name: "a01", Address: "10.0.0.1"}, Facts: waiverFacts("a01", 240)},
		{Policy: policies.Host{Name: "b01", Address: "10.0.0.2", Groups: []string{"legacy"}}, Facts: waiverFacts("b01", 45)},
		{Policy: policies.Host{Name: "c01", Address: "10.0.0.3"}, Facts: waiverFacts("c01", 45)},
		{Policy: policies.Host{Name: "d01", Address: "10.0.0.4"}, Facts: down},
	}}
}

func hostOf(t *testing.T, r *drift.Report, name string) *drift.HostReport {
	t.Helper()
	for i := range r.Hosts {
		if r.Hosts[i].Name == name {
			return &r.Hosts[i]
		}
	}
	t.Fatalf("no host %s", name)
	return nil
}

// TestWaivers: drift a live waiver covers (by name, without regard to
// case, or by limit) is waived, with the waiver's reason, date and place;
// it is not drift for the exit code and is counted apart. An expired
// waiver waives nothing; unknowns stay unknown.
func TestWaivers(t *testing.T) {
	set := waiverSet(t)
	now := time.Date(2026, 12, 7, 22, 0, 0, 0, time.UTC)
	r := drift.Evaluate(waiverInput(set, now))

	a := hostOf(t, r, "a01")
	var tw, up drift.Finding
	for _, f := range a.Findings {
		switch f.Policy {
		case "timed_wait":
			tw = f
		case "user_port":
			up = f
		}
	}
	if tw.Result != drift.Waived || tw.Waiver == nil || tw.Waiver.Name != "legacy-a" || tw.Waiver.Until != "2027-03-31" ||
		tw.Waiver.Source != "waivers.hcl:11" || tw.Waiver.Reason != "CHG-1: the batch job needs it" {
		t.Errorf("a01 timed_wait: %+v %+v", tw, tw.Waiver)
	}
	// The expired waiver of user_port waives nothing: a01 still fails.
	if up.Result != drift.Fail || up.Waiver != nil || a.Result != drift.Fail {
		t.Errorf("a01 user_port: %v (%+v), host %v", up.Result, up.Waiver, a.Result)
	}
	if v := a.Verdicts[0]; v.Result != drift.Waived || !strings.Contains(v.Reason, `waived by "legacy-a" until 2027-03-31 (waivers.hcl:11)`) {
		t.Errorf("a01 verdict: %+v", v)
	}
	// b01 by the limit (a term that matches no host selects nothing).
	b := hostOf(t, r, "b01")
	if b.Result != drift.Waived || b.Findings[0].Result != drift.Waived || b.Findings[0].Waiver.Name != "legacy-group" {
		t.Errorf("b01: %v %+v", b.Result, b.Findings)
	}
	if c := hostOf(t, r, "c01"); c.Result != drift.Fail {
		t.Errorf("c01: %v", c.Result)
	}
	// A host not reached is unknown, waiver or not.
	if d := hostOf(t, r, "d01"); d.Result != drift.Unknown || d.Findings[0].Result != drift.Unknown || d.Findings[0].Waiver != nil {
		t.Errorf("d01: %v %+v", d.Result, d.Findings)
	}

	s := r.Summary
	if s.Results.Fail != 2 || s.Results.Waived != 1 || s.Results.Unknown != 1 || s.Waived != 2 || s.Findings != 6 || s.BySeverity["high"] != 1 || s.BySeverity["low"] != 1 {
		t.Errorf("summary: %+v", s)
	}
	if p := r.Policies[0]; p.Hosts.Waived != 2 || p.Hosts.Fail != 1 || p.Hosts.Unknown != 1 {
		t.Errorf("timed_wait counts: %+v", p.Hosts)
	}
	var states []string
	for _, w := range r.Waivers {
		states = append(states, w.Name+":"+w.State+":"+string(rune('0'+w.Waived)))
	}
	if want := []string{"legacy-a:active:1", "legacy-group:active:1", "gone:expired:0", "unreached:active:0"}; !slices.Equal(states, want) {
		t.Errorf("waivers %v, want %v", states, want)
	}
	if r.ExitCode() != 2 {
		t.Errorf("exit %d", r.ExitCode())
	}

	// With c01 fixed and a01's user_port too, only waived drift is left:
	// exit 3 (d01 unknown), not 2.
	in := waiverInput(set, now)
	in.Hosts[0].Facts = waiverFacts("a01", 45)
	in.Hosts[2].Facts = waiverFacts("c01", 30)
	if r := drift.Evaluate(in); r.ExitCode() != 3 || r.Summary.Results.Waived != 2 || r.Summary.Results.Fail != 0 {
		t.Errorf("exit %d, %+v", r.ExitCode(), r.Summary.Results)
	}
	in.Hosts = in.Hosts[:3]
	if r := drift.Evaluate(in); r.ExitCode() != 0 {
		t.Errorf("only waived drift: exit %d", r.ExitCode())
	}

	// The waivers are judged at WaiversAt when given: after 2027-03-31
	// every one has expired and the drift fails again.
	in = waiverInput(set, now)
	in.WaiversAt = time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC)
	r = drift.Evaluate(in)
	if r.Summary.Waived != 0 || r.Summary.Results.Fail != 3 {
		t.Errorf("after expiry: %+v", r.Summary)
	}
	for _, w := range r.Waivers {
		if w.State != drift.WaiverExpired {
			t.Errorf("%s: %s", w.Name, w.State)
		}
	}
}

// TestCompareWaived: drift that a waiver accepts now is "waived", not
// fixed; drift whose waiver expired is "unwaived", not new.
func TestCompareWaived(t *testing.T) {
	set := waiverSet(t)
	before := time.Date(2027, 3, 30, 0, 0, 0, 0, time.UTC)
	after := time.Date(2027, 4, 2, 0, 0, 0, 0, time.UTC)

	judge := func(at time.Time) *drift.Report {
		in := waiverInput(set, at)
		in.Hosts = in.Hosts[:3]
		return drift.Evaluate(in)
	}
	// Expired between the runs: unwaived.
	ch := drift.Compare(judge(before), judge(after))
	if ch.Unwaived != 2 || ch.New != 0 || ch.Fixed != 0 || ch.Waived != 0 || !strings.Contains(ch.Text(), "2 no longer waived") {
		t.Errorf("%s: %+v", ch.Text(), ch.Items)
	}
	// The other way round (a waiver that holds now and did not then):
	// waived, not fixed.
	ch = drift.Compare(judge(after), judge(before))
	if ch.Waived != 2 || ch.Fixed != 0 || ch.New != 0 || !strings.Contains(ch.Text(), "2 waived") {
		t.Errorf("%s: %+v", ch.Text(), ch.Items)
	}
	for _, it := range ch.Items {
		if it.Kind != drift.ChangeWaived || it.BeforeResult != drift.Fail || it.Finding.Waiver == nil {
			t.Errorf("%+v", it)
		}
	}
	// Waived drift that is fixed is fixed.
	in := waiverInput(set, before)
	in.Hosts = in.Hosts[:3]
	in.Hosts[1].Facts = waiverFacts("b01", 30)
	ch = drift.Compare(judge(before), drift.Evaluate(in))
	if ch.Fixed != 1 || ch.Items[0].Finding.Host != "b01" {
		t.Errorf("%s: %+v", ch.Text(), ch.Items)
	}
}

// TestCrossFactNamesAgree: the names a waiver may give for fleetport's
// own checks are the checks drift runs.
func TestCrossFactNamesAgree(t *testing.T) {
	r := drift.Evaluate(drift.Input{CrossFact: true})
	var names []string
	for _, p := range r.Policies {
		names = append(names, p.Name)
	}
	if !slices.Equal(names, policies.CrossFactChecks) {
		t.Errorf("drift runs %v, policies.CrossFactChecks %v", names, policies.CrossFactChecks)
	}
}
