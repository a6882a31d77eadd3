package plan_test

import (
	"strings"
	"testing"

	"github.com/fleetport/fleetport/internal/drift"
	"github.com/fleetport/fleetport/internal/plan"
	"github.com/fleetport/fleetport/policies"
)

// TestNoServiceAddressInPlainWords: a web server whose inventory declares
// no vars.service_address gets, from the built-in listen-list policies, a
// plain sentence that says so and what to add, in drift's finding (fix
// detail and evidence) and in plan's refusal, never HCL's "Unsupported
// attribute"; and a listen list that lacks only the service address is
// not called compliant.
func TestNoServiceAddressInPlainWords(t *testing.T) {
	const plain = `host "web01" declares no service address (vars.service_address, the address its sites serve): add vars = { service_address = `
	ph, f := webHost()
	ph.Vars = nil
	f.ListenList.Entries = nil // http.sys listens on every address
	set := builtin(t)
	rep := drift.Evaluate(drift.Input{Policies: set, CrossFact: true, Now: testNow, Hosts: []drift.HostInput{{Policy: ph, Facts: f}}})
	var got *drift.Finding
	for i, fi := range rep.Hosts[0].Findings {
		if strings.Contains(fi.FixDetail+fi.Actual, "Unsupported attribute") {
			t.Errorf("%s: %s / %s", fi.Policy, fi.Actual, fi.FixDetail)
		}
		if fi.Policy == "http_listen_list" {
			got = &rep.Hosts[0].Findings[i]
		}
	}
	if got == nil || got.Result != drift.Fail || !strings.Contains(got.FixDetail, plain) {
		t.Fatalf("http_listen_list: %+v", got)
	}
	if len(got.Evidence) == 0 || got.Evidence[0].Command != "inventory" || !strings.HasPrefix(got.Evidence[0].Text, plain) {
		t.Errorf("evidence: %+v", got.Evidence)
	}
	p := plan.Build(set, 1, []plan.HostInput{{Policy: ph, Facts: f, Report: &rep.Hosts[0]}}, plan.Options{Now: testNow})
	refused := false
	for _, r := range p.Refused {
		if r.Policy == "http_listen_list" {
			refused = true
			if !strings.HasPrefix(r.Reason, plain) || strings.Contains(r.Reason, "Unsupported attribute") {
				t.Errorf("refusal: %s", r.Reason)
			}
		}
	}
	if !refused {
		t.Errorf("no refusal of http_listen_list: %+v", p.Refused)
	}

	// The list names the management address and 127.0.0.1 but the host
	// declares no service address: not compliant, unknown, and why.
	ph, f = webHost()
	ph.Vars = nil
	f.ListenList.Entries = f.ListenList.Entries[1:]
	rep = drift.Evaluate(drift.Input{Policies: set, CrossFact: true, Now: testNow, Hosts: []drift.HostInput{{Policy: ph, Facts: f}}})
	for _, v := range rep.Hosts[0].Verdicts {
		if v.Policy == "http_listen_list" && (v.Result != drift.Unknown || !strings.Contains(v.Reason, plain)) {
			t.Errorf("http_listen_list on a list without the service address: %v %s", v.Result, v.Reason)
		}
	}
}

// TestWaivedDriftIsNotPlanned: drift a live waiver accepts is left alone
// by plan; the same drift without the waiver (expired) is planned.
func TestWaivedDriftIsNotPlanned(t *testing.T) {
	ph, f := webHost()
	n := uint64(240)
	f.Registry[0].Number, f.Registry[0].Raw = &n, "0xf0" // TcpTimedWaitDelay
	b := builtin(t)
	planFor := func(until string) *plan.Plan {
		w, diags := policies.Parse([]byte(`waiver "batch" {
  policy = "tcp_timed_wait_delay"
  hosts  = ["web01"]
  reason = "CHG-1"
  until  = "`+until+`"
}
`), "waivers.hcl")
		set, d := policies.NewSet(append(append([]*policies.File{}, b.Files...), w)...)
		if diags = append(append(diags, d...), set.CheckWaivers()...); diags.HasErrors() {
			t.Fatal(diags)
		}
		rep := drift.Evaluate(drift.Input{Policies: set, CrossFact: true, Now: testNow, Hosts: []drift.HostInput{{Policy: ph, Facts: f}}})
		return plan.Build(set, 1, []plan.HostInput{{Policy: ph, Facts: f, Report: &rep.Hosts[0]}}, plan.Options{Now: testNow})
	}
	live := testNow.AddDate(0, 1, 0).Format("2006-01-02")
	if p := planFor(live); len(p.Hosts) != 0 {
		t.Errorf("waived drift planned: %+v", p.Hosts)
	}
	gone := testNow.AddDate(0, 0, -1).Format("2006-01-02")
	if p := planFor(gone); len(p.Hosts) != 1 || len(p.Hosts[0].Actions) == 0 {
		t.Errorf("drift of an expired waiver not planned: %+v", p.Hosts)
	}
}
