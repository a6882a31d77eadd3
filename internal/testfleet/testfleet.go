// Package testfleet is test support for the packages that judge and plan
// facts: it collects a simulated fleet over WinRM (real sockets, the real
// client) the way fleetport does, and gives each simulated host the
// inventory view the simulator's own inventory would.
package testfleet

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/fleetport/fleetport/internal/collect"
	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/remote"
	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/policies"
)

// Credentials are the simulator's demo pair.
var Credentials = remote.Credentials{User: sim.DemoUser, Password: sim.DemoPassword}

// PolicyHost is the inventory's view of a simulated host, as the
// inventory the simulator writes gives it.
func PolicyHost(p sim.HostPlan) policies.Host {
	return policies.Host{Name: p.Name, Address: p.Addr.String(), ManagementAddress: p.Addr.String(),
		Groups: []string{p.Role}, Tags: map[string]string{"role": p.Role, "os": p.OS},
		Vars: map[string]cty.Value{"service_address": cty.StringVal(p.ServiceAddr.String())}}
}

// Endpoint is a host's WinRM endpoint over http with NTLM and message
// encryption, the Windows default.
func Endpoint(f *sim.Fleet, p sim.HostPlan) remote.Endpoint {
	return remote.Endpoint{Host: p.Addr.String(), Port: f.Scenario().HTTPPort, Auth: remote.AuthNTLM}
}

// SessionOptions are short deadlines for a loopback fleet.
func SessionOptions() remote.Options {
	return remote.Options{OperationTimeout: 5 * time.Second, ConnectTimeout: 2 * time.Second, CloseTimeout: time.Second}
}

// Collect collects every host of the fleet with the policy set, 16 at a
// time, and returns the documents by host name (a host that failed has
// its status, not a gap).
func Collect(tb testing.TB, f *sim.Fleet, set *policies.Set) map[string]*facts.Host {
	tb.Helper()
	var ts []collect.Target
	for _, h := range f.Hosts() {
		p := h.Plan
		ts = append(ts, collect.Target{Name: p.Name, Endpoint: Endpoint(f, p),
			Credentials: func() (remote.Credentials, error) { return Credentials, nil },
			Session:     SessionOptions(), Groups: []string{p.Role}, Timeout: 30 * time.Second, Policy: PolicyHost(p)})
	}
	var mu sync.Mutex
	got := map[string]*facts.Host{}
	err := collect.Run(context.Background(), ts, collect.Options{Concurrency: 16, Policies: set}, func(h *facts.Host) {
		mu.Lock()
		defer mu.Unlock()
		got[h.Name] = h
	})
	if err != nil {
		tb.Fatal(err)
	}
	return got
}
