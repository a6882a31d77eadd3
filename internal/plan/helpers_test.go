package plan_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/drift"
	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/plan"
	"github.com/fleetport/fleetport/internal/remote"
	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/testfleet"
	"github.com/fleetport/fleetport/policies"
)

var (
	policyHost  = testfleet.PolicyHost
	endpoint    = testfleet.Endpoint
	demoCred    = testfleet.Credentials
	sessionOpts = testfleet.SessionOptions
)

func builtin(t testing.TB) *policies.Set {
	t.Helper()
	set, diags := policies.Builtin()
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return set
}

// collectFleet collects every host of the fleet over WinRM with the
// policy set; every host must answer.
func collectFleet(t testing.TB, f *sim.Fleet, set *policies.Set) map[string]*facts.Host {
	t.Helper()
	got := testfleet.Collect(t, f, set)
	for _, h := range f.Hosts() {
		if fh := got[h.Plan.Name]; fh == nil || fh.Status != facts.StatusOK {
			t.Fatalf("%s: not collected: %+v", h.Plan.Name, fh)
		}
	}
	return got
}

// judge evaluates the run and returns the inputs of Build.
func judge(f *sim.Fleet, set *policies.Set, cur map[string]*facts.Host) (*drift.Report, []plan.HostInput) {
	in := drift.Input{Run: drift.RunInfo{ID: 1}, Policies: set, CrossFact: true, Now: testNow}
	for _, h := range f.Hosts() {
		in.Hosts = append(in.Hosts, drift.HostInput{Policy: policyHost(h.Plan), Facts: cur[h.Plan.Name]})
	}
	rep := drift.Evaluate(in)
	var hosts []plan.HostInput
	for _, h := range f.Hosts() {
		i := slices.IndexFunc(rep.Hosts, func(r drift.HostReport) bool { return r.Name == h.Plan.Name })
		hosts = append(hosts, plan.HostInput{Policy: policyHost(h.Plan), Facts: cur[h.Plan.Name], Report: &rep.Hosts[i]})
	}
	return rep, hosts
}

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func hostPlan(p *plan.Plan, name string) *plan.HostPlan {
	for i := range p.Hosts {
		if p.Hosts[i].Host == name {
			return &p.Hosts[i]
		}
	}
	return nil
}

// session opens a WinRM session to a simulated host.
func session(t *testing.T, f *sim.Fleet, p sim.HostPlan) *remote.Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := remote.Open(ctx, endpoint(f, p), demoCred, sessionOpts())
	if err != nil {
		t.Fatalf("%s: open: %v", p.Name, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// run runs one line and fails the test on a session error.
func run(t *testing.T, s *remote.Session, line string) remote.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := s.Run(ctx, remote.Command{Line: line})
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	return res
}
