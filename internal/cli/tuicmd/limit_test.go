package tuicmd_test

import (
	"context"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/remote"
	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/sim/simtest"
	"github.com/fleetport/fleetport/internal/tui"
)

// TestLimitSelectsTheRunsHosts: fleetport tui --limit shows only the
// hosts the limit selects among the stored run's hosts, not the whole run.
func TestLimitSelectsTheRunsHosts(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over WinRM")
	}
	sc := simtest.Scenario(4)
	sc.HTTPSPort = 0
	sc.Roles = []sim.Role{{Name: "web", Share: 1, Services: []string{"W3SVC"}}}
	f := simtest.Serve(t, sc)
	inv := simtest.Inventory(t, f, sim.InventoryOptions{})
	db := collectInto(t, inv)
	src, _ := openSource(t, inv, db, "--limit", "web0002,web0003")
	data, err := src.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, h := range data.Report.Hosts {
		names = append(names, h.Name)
	}
	if len(names) != 2 || names[0] != "web0002" || names[1] != "web0003" {
		t.Errorf("tui --limit web0002,web0003 shows %v", names)
	}
}

// TestWatchFollowsThePortRange: a watch that started with the default
// dynamic range shows the range the host has after it changed (as a
// rollout changes it), not the one it started with.
func TestWatchFollowsThePortRange(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over WinRM")
	}
	f, src, _ := incidentFleet(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	samples := make(chan tui.Sample, 64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		src.Watch(ctx, []string{"web0001"}, 200*time.Millisecond, func(s tui.Sample) {
			select {
			case samples <- s:
			default:
			}
		})
	}()
	next := func() tui.Sample {
		t.Helper()
		select {
		case s := <-samples:
			if s.Status != facts.StatusOK || s.Ephemeral == nil {
				t.Fatalf("sample: %s %s %+v", s.Status, s.Error, s.Ephemeral)
			}
			return s
		case <-time.After(20 * time.Second):
			t.Fatal("no sample")
		}
		return tui.Sample{}
	}
	if s := next(); s.Ephemeral.Start != 49152 || s.Ephemeral.Count != 16384 {
		t.Fatalf("first range %+v", s.Ephemeral)
	}
	winrm(t, f, "web0001", "netsh int ipv4 set dynamicport tcp start=10000 num=55535")
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := next()
		if s.Ephemeral.Start == 10000 && s.Ephemeral.Count == 55535 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the watch keeps the range it started with: %+v", s.Ephemeral)
		}
	}
	cancel()
	<-done
}

// winrm runs one command on a simulated host over WinRM.
func winrm(t *testing.T, f *sim.Fleet, host, line string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ep := remote.Endpoint{Host: f.Host(host).Plan.Addr.String(), Port: f.Scenario().HTTPPort, Auth: remote.AuthNTLM}
	s, err := remote.Open(ctx, ep, remote.Credentials{User: sim.DemoUser, Password: sim.DemoPassword}, remote.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	res, err := s.Run(ctx, remote.Command{Line: line})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("%s: %v %d %s", line, err, res.ExitCode, res.Stdout)
	}
}
