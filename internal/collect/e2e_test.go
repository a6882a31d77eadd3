package collect_test

// End-to-end: collection over real sockets, through the real WinRM client
// stack (internal/remote on masterzen/winrm), against the simulator.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/collect"
	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/remote"
	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/sim/simtest"
	"github.com/fleetport/fleetport/policies"
)

// targets turns the fleet into collection targets over NTLM with message
// encryption, the Windows default.
func targets(f *sim.Fleet, timeout time.Duration) []collect.Target {
	var ts []collect.Target
	for _, h := range f.Hosts() {
		ts = append(ts, collect.Target{
			Name:     h.Plan.Name,
			Endpoint: remote.Endpoint{Host: h.Plan.Addr.String(), Port: f.Scenario().HTTPPort, Auth: remote.AuthNTLM},
			Credentials: func() (remote.Credentials, error) {
				return remote.Credentials{User: sim.DemoUser, Password: sim.DemoPassword}, nil
			},
			Session: remote.Options{OperationTimeout: 2 * time.Second, ConnectTimeout: 2 * time.Second, CloseTimeout: time.Second},
			Groups:  []string{h.Plan.Role},
			Timeout: timeout,
			Policy: policies.Host{Name: h.Plan.Name, Address: h.Plan.Addr.String(), ManagementAddress: h.Plan.Addr.String(),
				Groups: []string{h.Plan.Role}, Tags: map[string]string{"role": h.Plan.Role}},
		})
	}
	return ts
}

func collectAll(t testing.TB, f *sim.Fleet, timeout time.Duration, conc int) map[string]*facts.Host {
	t.Helper()
	set, diags := policies.Builtin()
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var mu sync.Mutex
	got := map[string]*facts.Host{}
	err := collect.Run(context.Background(), targets(f, timeout), collect.Options{Concurrency: conc, Policies: set}, func(h *facts.Host) {
		mu.Lock()
		defer mu.Unlock()
		if got[h.Name] != nil {
			t.Errorf("two results for %s", h.Name)
		}
		got[h.Name] = h
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// wantStatus is the status a host's plan implies.
func wantStatus(p sim.HostPlan) facts.Status {
	switch {
	case p.Has(sim.FaultRefuse):
		return facts.StatusUnreachable
	case p.Has(sim.FaultHang):
		return facts.StatusTimeout
	case p.Has(sim.FaultAuth):
		return facts.StatusAuth
	case p.Has(sim.FaultQuota):
		return facts.StatusQuota
	case p.Has(sim.FaultGarble):
		return facts.StatusParseError
	}
	return facts.StatusOK
}

func TestCollectAgainstTheSimulatedFleet(t *testing.T) {
	sc := sim.DefaultScenario()
	sc.Hosts = 40
	sc.Network = simtest.Network()
	sc.HTTPSPort = 0
	sc.ServiceStep = time.Millisecond
	sc.LocaleMix = map[string]float64{"en-US": 2, "de-DE": 1, "fr-FR": 1}
	// Smaller TIME_WAIT piles than the default 12000 keep the test quick
	// under the race detector; the parsers' own tests cover big tables.
	for i := range sc.Drift {
		if sc.Drift[i].Kind == sim.DriftTimeWaitPile {
			sc.Drift[i].Count = 1500
		}
	}
	sc.Faults = []sim.Fault{
		{Kind: sim.FaultRefuse, Hosts: []string{"web0001"}},
		{Kind: sim.FaultHang, Hosts: []string{"web0002"}},
		{Kind: sim.FaultAuth, Hosts: []string{"web0003"}},
		{Kind: sim.FaultQuota, Hosts: []string{"web0004"}},
		{Kind: sim.FaultGarble, Hosts: []string{"web0005"}},
		{Kind: sim.FaultSlow, Hosts: []string{"app0001"}, Duration: 300 * time.Millisecond},
		{Kind: sim.FaultLatency, Share: 100, Latency: time.Millisecond, Jitter: 2 * time.Millisecond},
	}
	f := simtest.Serve(t, sc)
	start := time.Now()
	// The per-host timeout is generous: this test is about statuses and
	// facts, and the machine may be busy; the hung host ends at the
	// session's request timeout (operation timeout + 10 s) anyway.
	got := collectAll(t, f, 40*time.Second, 16)
	if d := time.Since(start); d > 60*time.Second {
		t.Errorf("collection took %v", d)
	}
	if len(got) != sc.Hosts {
		t.Fatalf("%d results for %d hosts", len(got), sc.Hosts)
	}
	for _, sh := range f.Hosts() {
		p := sh.Plan
		h := got[p.Name]
		if want := wantStatus(p); h.Status != want {
			t.Errorf("%s (%v %v): status %v (%s), want %v", p.Name, p.Drift, p.Faults, h.Status, h.Error, want)
			continue
		}
		if h.Status == facts.StatusOK {
			checkFacts(t, p, h)
		}
		c := sh.Counters()
		if c.ConnectionsAccepted > 1 {
			t.Errorf("%s: %d connections accepted, want at most 1", p.Name, c.ConnectionsAccepted)
		}
		leaked := int64(0)
		if p.Has(sim.FaultQuota) {
			leaked = 30
			if p.OS == "2003" || p.OS == "2008r2" {
				leaked = 5
			}
		}
		if c.ShellsOpen != leaked {
			t.Errorf("%s: %d shells open after the run", p.Name, c.ShellsOpen)
		}
	}
}

// checkFacts compares a healthy host's facts with what the simulator was
// built with.
func checkFacts(t *testing.T, p sim.HostPlan, h *facts.Host) {
	t.Helper()
	if h.OS == nil || h.OS.Release != p.OS && !(p.OS == "2008r2" && h.OS.Release == "2008r2") {
		t.Errorf("%s: OS %+v, want %s", p.Name, h.OS, p.OS)
	}
	if h.Sockets == nil {
		t.Errorf("%s: no sockets", p.Name)
		return
	}
	if p.Role == "web" && p.Has(sim.DriftListenListEmpty) != (h.ListenList != nil && h.ListenList.Empty()) {
		t.Errorf("%s: listen list %+v, drift %v", p.Name, h.ListenList, p.Drift)
	}
	tw, ok := h.RegistryValue(facts.TcpipParameters, "TcpTimedWaitDelay")
	if !ok {
		t.Errorf("%s: TcpTimedWaitDelay not collected", p.Name)
	} else if absent := p.Has(sim.DriftTimedWaitDelayDefault); tw.Absent != absent {
		t.Errorf("%s: TcpTimedWaitDelay %+v, drift %v", p.Name, tw, p.Drift)
	}
	if p.Has(sim.DriftTimeWaitPile) && h.Sockets.Summary.States.Get(facts.StateTimeWait) == 0 {
		t.Errorf("%s: a TIME_WAIT pile was not seen", p.Name)
	}
}

// TestCollectAtScale is the scale run of issue 4's acceptance list: N hosts
// (FLEETPORT_SCALE=2000) with 1 % each of the faults that decide a status,
// and the default drift with smaller TIME_WAIT piles. scripts/test runs it
// without the race detector (which makes 2,000 hosts on 2 cores too slow to
// mean anything); -short skips it.
func TestCollectAtScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("FLEETPORT_SCALE"))
	if n == 0 || testing.Short() {
		t.Skip("set FLEETPORT_SCALE=2000 to run")
	}
	sc := sim.DefaultScenario()
	sc.Hosts = n
	// A /16 outside the range simtest hands out to the other tests.
	sc.Network = netip.MustParsePrefix(fmt.Sprintf("127.%d.0.0/16", 220+rand.IntN(10)))
	sc.HTTPSPort = 0
	for i := range sc.Drift {
		if sc.Drift[i].Kind == sim.DriftTimeWaitPile {
			sc.Drift[i].Count = 1500
		}
	}
	sc.Faults = []sim.Fault{
		{Kind: sim.FaultRefuse, Share: 1}, {Kind: sim.FaultHang, Share: 1}, {Kind: sim.FaultAuth, Share: 1},
		{Kind: sim.FaultQuota, Share: 1}, {Kind: sim.FaultGarble, Share: 1},
		{Kind: sim.FaultSlow, Share: 1, Duration: 500 * time.Millisecond},
	}
	f := simtest.Serve(t, sc)
	before := runtime.NumGoroutine()
	start := time.Now()
	const perHost = 90 * time.Second
	got := collectAll(t, f, perHost, 500)
	took := time.Since(start)
	t.Logf("%d hosts in %v", n, took)
	if took > 2*perHost {
		t.Errorf("the run took %v, beyond its deadline", took)
	}
	bad := 0
	for _, sh := range f.Hosts() {
		h := got[sh.Plan.Name]
		if h == nil || h.Status != wantStatus(sh.Plan) {
			bad++
			if bad < 10 {
				t.Errorf("%s (%v): %v %q, want %v", sh.Plan.Name, sh.Plan.Faults, h.Status, h.Error, wantStatus(sh.Plan))
			}
		}
		c := sh.Counters()
		if c.ConnectionsAccepted > 1 {
			t.Errorf("%s: %d connections", sh.Plan.Name, c.ConnectionsAccepted)
		}
		if !sh.Plan.Has(sim.FaultQuota) && c.ShellsOpen != 0 {
			t.Errorf("%s: %d shells left open", sh.Plan.Name, c.ShellsOpen)
		}
	}
	if bad > 0 {
		t.Errorf("%d hosts with the wrong status", bad)
	}
	// The collector's goroutines are gone (the simulator's listeners stay
	// until cleanup).
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > before {
		t.Errorf("%d goroutines after the run, %d before", g, before)
	}
}
