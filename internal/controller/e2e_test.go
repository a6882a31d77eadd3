package controller_test

// End-to-end over real sockets: a NATS server with JetStream in the test
// process, site runners (internal/runner) in the same process, and the
// simulated fleet reached through the real WinRM client.

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"go.uber.org/goleak"

	"github.com/fleetport/fleetport/internal/collect"
	"github.com/fleetport/fleetport/internal/controller"
	"github.com/fleetport/fleetport/internal/dispatch"
	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/jobq/jobqtest"
	"github.com/fleetport/fleetport/internal/remote"
	"github.com/fleetport/fleetport/internal/runner"
	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/sim/simtest"
	"github.com/fleetport/fleetport/policies"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// net/http keeps idle client connections' readers until they time out.
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
	)
}

// siteOf puts the fleet's hosts in sites "east" and "west", alternately.
func siteOf(i int) string {
	if i%2 == 0 {
		return "east"
	}
	return "west"
}

// jobHosts are the fleet's hosts as a controller sends them.
func jobHosts(f *sim.Fleet, timeout time.Duration) []dispatch.Host {
	var out []dispatch.Host
	for i, h := range f.Hosts() {
		p := h.Plan
		ph := policies.Host{Name: p.Name, Address: p.Addr.String(), ManagementAddress: p.Addr.String(), Site: siteOf(i),
			Groups: []string{p.Role}, Tags: map[string]string{"role": p.Role}}
		wph, err := dispatch.NewPolicyHost(ph)
		if err != nil {
			panic(err)
		}
		out = append(out, dispatch.Host{
			Name:           p.Name,
			Endpoint:       dispatch.Endpoint{Address: p.Addr.String(), Port: f.Scenario().HTTPPort, Auth: "ntlm"},
			User:           dispatch.Credential{Source: dispatch.SourceEnv, Name: sim.EnvUser},
			Password:       dispatch.Credential{Source: dispatch.SourceEnv, Name: sim.EnvPassword},
			ConnectTimeout: 2 * time.Second, OperationTimeout: 2 * time.Second, Timeout: timeout,
			Groups: []string{p.Role}, Policy: wph,
		})
	}
	return out
}

// localTargets are the same hosts for collect.Run.
func localTargets(t *testing.T, hosts []dispatch.Host) []collect.Target {
	var out []collect.Target
	for _, h := range hosts {
		ph, err := h.Policy.Host()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, collect.Target{
			Name:     h.Name,
			Endpoint: remote.Endpoint{Host: h.Endpoint.Address, Port: h.Endpoint.Port, Auth: remote.AuthNTLM},
			Credentials: func() (remote.Credentials, error) {
				return remote.Credentials{User: sim.DemoUser, Password: sim.DemoPassword}, nil
			},
			Session: remote.Options{OperationTimeout: h.OperationTimeout, ConnectTimeout: h.ConnectTimeout},
			Groups:  h.Groups, Timeout: h.Timeout, Policy: ph,
		})
	}
	return out
}

func builtin(t *testing.T) (*policies.Set, *dispatch.Spec) {
	t.Helper()
	set, diags := policies.Builtin()
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	spec, err := controller.SpecOf(set)
	if err != nil {
		t.Fatal(err)
	}
	return set, spec
}

// startRunner runs a site runner in the process until the returned stop
// (also called at cleanup).
func startRunner(t *testing.T, s *server.Server, site string, o runner.Options) (stop func()) {
	t.Helper()
	nc := jobqtest.Connect(t, s, "runner-"+site)
	o.Conn, o.Site = nc, site
	if o.Concurrency == 0 {
		o.Concurrency = 8
	}
	if o.DrainTimeout == 0 {
		o.DrainTimeout = 5 * time.Second
	}
	o.Heartbeat = 200 * time.Millisecond
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(testWriter{t}, nil))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runner.Run(ctx, o) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("runner %s: %v", site, err)
			}
			nc.Close()
		})
	}
	t.Cleanup(stop)
	return stop
}

func dial(t *testing.T, s *server.Server, o controller.Options) *controller.Controller {
	t.Helper()
	o.Conn = jobqtest.Connect(t, s, "controller")
	if o.AckWait == 0 {
		o.AckWait = 2 * time.Second
	}
	if o.SweepEvery == 0 {
		o.SweepEvery = 300 * time.Millisecond
	}
	c, err := controller.Dial(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// dispatched collects hosts through the controller.
func dispatched(t *testing.T, c *controller.Controller, hosts []dispatch.Host, spec *dispatch.Spec) map[string]*facts.Host {
	t.Helper()
	got := map[string]*facts.Host{}
	var mu sync.Mutex // progress comes from several goroutines
	var ends int
	err := c.Collect(context.Background(), hosts, spec, func(e collect.Event) {
		mu.Lock()
		defer mu.Unlock()
		if e.Done {
			ends++
		}
	}, func(h *facts.Host) {
		if got[h.Name] != nil {
			t.Errorf("two results for %s", h.Name)
		}
		got[h.Name] = h
	})
	if err != nil {
		t.Fatal(err)
	}
	if ends != len(hosts) {
		t.Errorf("%d hosts ended in the progress events, want %d", ends, len(hosts))
	}
	if len(got) != len(hosts) {
		t.Errorf("%d results for %d hosts", len(got), len(hosts))
	}
	return got
}

func fleet(t *testing.T, n int) *sim.Fleet {
	t.Setenv(sim.EnvUser, sim.DemoUser)
	t.Setenv(sim.EnvPassword, sim.DemoPassword)
	sc := sim.DefaultScenario()
	sc.Hosts = n
	sc.Network = simtest.Network()
	sc.HTTPSPort = 0
	sc.ServiceStep = time.Millisecond
	for i := range sc.Drift {
		if sc.Drift[i].Kind == sim.DriftTimeWaitPile {
			sc.Drift[i].Count = 1500
		}
	}
	sc.Faults = []sim.Fault{
		{Kind: sim.FaultRefuse, Hosts: []string{"web0001"}},
		{Kind: sim.FaultAuth, Hosts: []string{"web0002"}},
		{Kind: sim.FaultGarble, Hosts: []string{"web0003"}},
	}
	return simtest.Serve(t, sc)
}

// TestCollectMatchesLocal: a fleet collected by two sites' runners gives,
// host for host, the facts a local run gives.
func TestCollectMatchesLocal(t *testing.T) {
	f := fleet(t, 24)
	set, spec := builtin(t)
	hosts := jobHosts(f, 30*time.Second)
	local := map[string]*facts.Host{}
	if err := collect.Run(context.Background(), localTargets(t, hosts), collect.Options{Concurrency: 8, Policies: set},
		func(h *facts.Host) { local[h.Name] = h }); err != nil {
		t.Fatal(err)
	}
	s := jobqtest.Start(t, jobqtest.Options{})
	startRunner(t, s, "east", runner.Options{})
	startRunner(t, s, "west", runner.Options{})
	c := dial(t, s, controller.Options{})
	got := dispatched(t, c, hosts, spec)
	for _, h := range hosts {
		if d := (jobqtest.Compare{}).Diff(local[h.Name], got[h.Name]); d != "" {
			t.Errorf("%s: %s", h.Name, d)
		}
	}
	statuses := map[facts.Status]int{}
	for _, h := range got {
		statuses[h.Status]++
	}
	if statuses[facts.StatusUnreachable] != 1 || statuses[facts.StatusAuth] != 1 || statuses[facts.StatusParseError] != 1 {
		t.Errorf("statuses %v", statuses)
	}
}

// testWriter sends log lines to the test's log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(string(b))
	return len(b), nil
}

// TestRunMixesLocalAndRemote: Run collects the hosts without a site in
// the process and sends the others to their runners; the results are
// the local run's, and no message on NATS carries the password.
func TestRunMixesLocalAndRemote(t *testing.T) {
	f := fleet(t, 12)
	set, spec := builtin(t)
	hosts := jobHosts(f, 30*time.Second)
	targets := localTargets(t, hosts)
	local := map[string]*facts.Host{}
	if err := collect.Run(context.Background(), targets, collect.Options{Concurrency: 8, Policies: set},
		func(h *facts.Host) { local[h.Name] = h }); err != nil {
		t.Fatal(err)
	}
	s := jobqtest.Start(t, jobqtest.Options{})
	snoop := jobqtest.Connect(t, s, "snoop")
	var mu sync.Mutex
	var seen, leaked int
	sub, err := snoop.Subscribe(">", func(m *nats.Msg) {
		mu.Lock()
		defer mu.Unlock()
		seen++
		if bytes.Contains(m.Data, []byte(sim.DemoPassword)) {
			leaked++
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	startRunner(t, s, "east", runner.Options{})
	c := dial(t, s, controller.Options{})
	remote := map[string]dispatch.Host{}
	for i, h := range hosts {
		if i%3 != 0 { // a third stay here
			remote[h.Name] = h
		}
	}
	for name, h := range remote {
		h.Policy.Site = "east"
		remote[name] = h
	}
	got := map[string]*facts.Host{}
	var outs int
	err = c.Run(context.Background(), targets, collect.Options{Concurrency: 4, Policies: set}, remote, spec, func(h *facts.Host) {
		outs++
		got[h.Name] = h
	})
	if err != nil {
		t.Fatal(err)
	}
	if outs != len(hosts) || len(got) != len(hosts) {
		t.Fatalf("%d calls, %d hosts, want %d", outs, len(got), len(hosts))
	}
	for _, h := range hosts {
		if d := (jobqtest.Compare{}).Diff(local[h.Name], got[h.Name]); d != "" {
			t.Errorf("%s: %s", h.Name, d)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if seen < 2*len(remote) {
		t.Errorf("the snoop saw %d messages: it did not watch the run", seen)
	}
	if leaked > 0 {
		t.Errorf("%d messages on NATS carry the password", leaked)
	}
}
