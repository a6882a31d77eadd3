package plan_test

import (
	"context"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/fleetport/fleetport/internal/collect"
	"github.com/fleetport/fleetport/internal/drift"
	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/plan"
	"github.com/fleetport/fleetport/internal/remote"
	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/policies"
)

// policyHost is the inventory's view of a simulated host, as the inventory
// the simulator writes gives it.
func policyHost(p sim.HostPlan) policies.Host {
	return policies.Host{Name: p.Name, Address: p.Addr.String(), ManagementAddress: p.Addr.String(),
		Groups: []string{p.Role}, Tags: map[string]string{"role": p.Role, "os": p.OS},
		Vars: map[string]cty.Value{"service_address": cty.StringVal(p.ServiceAddr.String())}}
}

func endpoint(f *sim.Fleet, p sim.HostPlan) remote.Endpoint {
	return remote.Endpoint{Host: p.Addr.String(), Port: f.Scenario().HTTPPort, Auth: remote.AuthNTLM}
}

var demoCred = remote.Credentials{User: sim.DemoUser, Password: sim.DemoPassword}

func sessionOpts() remote.Options {
	return remote.Options{OperationTimeout: 5 * time.Second, ConnectTimeout: 2 * time.Second, CloseTimeout: time.Second}
}

func builtin(t testing.TB) *policies.Set {
	t.Helper()
	set, diags := policies.Builtin()
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return set
}

// collectFleet collects every host of the fleet over WinRM with the
// policy set.
func collectFleet(t testing.TB, f *sim.Fleet, set *policies.Set) map[string]*facts.Host {
	t.Helper()
	var ts []collect.Target
	for _, h := range f.Hosts() {
		p := h.Plan
		ts = append(ts, collect.Target{Name: p.Name, Endpoint: endpoint(f, p),
			Credentials: func() (remote.Credentials, error) { return demoCred, nil },
			Session:     sessionOpts(), Groups: []string{p.Role}, Timeout: 30 * time.Second, Policy: policyHost(p)})
	}
	var mu sync.Mutex
	got := map[string]*facts.Host{}
	err := collect.Run(context.Background(), ts, collect.Options{Concurrency: 16, Policies: set}, func(h *facts.Host) {
		mu.Lock()
		defer mu.Unlock()
		got[h.Name] = h
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range f.Hosts() {
		fh := got[h.Plan.Name]
		if fh == nil || fh.Status != facts.StatusOK {
			t.Fatalf("%s: not collected: %+v", h.Plan.Name, fh)
		}
		// The host's own addresses: taken from the simulator's plan when
		// collection does not read them (yet).
		if fh.Addresses == nil {
			fh.Addresses = hostAddrs(h.Plan)
		}
	}
	return got
}

// hostAddrs are the addresses of a simulated host's interface.
func hostAddrs(p sim.HostPlan) []netip.Addr {
	as := []netip.Addr{p.Addr, p.ServiceAddr}
	if p.SiteAddr.IsValid() {
		as = append(as, p.SiteAddr)
	}
	return as
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
