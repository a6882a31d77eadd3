package runner

// Failure handling, end to end in one process: a NATS server with
// JetStream, a controller, runners, and a simulated fleet reached through
// the real WinRM client.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"go.uber.org/goleak"

	"github.com/fleetport/fleetport/internal/controller"
	"github.com/fleetport/fleetport/internal/dispatch"
	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/jobq/jobqtest"
	"github.com/fleetport/fleetport/internal/remote"
	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/sim/simtest"
	"github.com/fleetport/fleetport/internal/testdomain"
	"github.com/fleetport/fleetport/policies"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(testdomain.Wrap(m),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
	)
}

type logBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// serve starts a runner in the process; the returned stop waits for it.
func serve(t *testing.T, s *server.Server, o Options) (*logBuf, func()) {
	t.Helper()
	nc := jobqtest.Connect(t, s, "runner")
	logs := &logBuf{}
	o.Conn, o.Logger = nc, slog.New(slog.NewTextHandler(logs, nil))
	o.Heartbeat, o.DrainTimeout, o.RequestTimeout = 100*time.Millisecond, 3*time.Second, 2*time.Second
	if o.Concurrency == 0 {
		o.Concurrency = 4
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, o) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("runner: %v", err)
			}
			nc.Close()
		})
	}
	t.Cleanup(stop)
	return logs, stop
}

func dial(t *testing.T, s *server.Server, o controller.Options) *controller.Controller {
	t.Helper()
	o.Conn = jobqtest.Connect(t, s, "controller")
	o.SweepEvery = 200 * time.Millisecond
	c, err := controller.Dial(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func hostsOf(t *testing.T, f *sim.Fleet, site string) []dispatch.Host {
	t.Helper()
	t.Setenv(sim.EnvUser, sim.DemoUser)
	t.Setenv(sim.EnvPassword, sim.DemoPassword)
	var out []dispatch.Host
	for _, h := range f.Hosts() {
		p := h.Plan
		ph, err := dispatch.NewPolicyHost(policies.Host{Name: p.Name, Address: p.Addr.String(), Site: site})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, dispatch.Host{Name: p.Name,
			Endpoint:       dispatch.Endpoint{Address: p.Addr.String(), Port: f.Scenario().HTTPPort, Auth: "ntlm"},
			User:           dispatch.Credential{Source: dispatch.SourceEnv, Name: sim.EnvUser},
			Password:       dispatch.Credential{Source: dispatch.SourceEnv, Name: sim.EnvPassword},
			ConnectTimeout: 2 * time.Second, OperationTimeout: 2 * time.Second, Timeout: 20 * time.Second, Policy: ph})
	}
	return out
}

func spec(t *testing.T) *dispatch.Spec {
	set, _ := policies.Builtin()
	s, err := controller.SpecOf(set)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func collectAll(t *testing.T, c *controller.Controller, hosts []dispatch.Host) map[string]*facts.Host {
	t.Helper()
	got := map[string]*facts.Host{}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := c.Collect(ctx, hosts, spec(t), nil, func(h *facts.Host) { got[h.Name] = h }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(hosts) {
		t.Fatalf("%d results for %d hosts", len(got), len(hosts))
	}
	return got
}

// TestDeliveryCapEndsTheHost: a host whose every runner dies holding its
// job ends, after MaxDeliver deliveries, with status timeout and a reason;
// the others are collected.
func TestDeliveryCapEndsTheHost(t *testing.T) {
	f := simtest.Serve(t, simtest.Scenario(4))
	s := jobqtest.Start(t, jobqtest.Options{})
	victim := f.Hosts()[0].Plan.Name
	var mu sync.Mutex
	deliveries := 0
	serve(t, s, Options{Site: "lab", testOnlyAbandon: func(j *dispatch.Job) bool {
		if j.Host.Name != victim {
			return false
		}
		mu.Lock()
		deliveries++
		mu.Unlock()
		return true
	}})
	c := dial(t, s, controller.Options{AckWait: time.Second, MaxDeliver: 2, SiteTimeout: time.Minute})
	got := collectAll(t, c, hostsOf(t, f, "lab"))
	for name, h := range got {
		if name == victim {
			if h.Status != facts.StatusTimeout || !strings.Contains(h.Error, "2 deliveries") {
				t.Errorf("%s: %s %q, want timeout after 2 deliveries", name, h.Status, h.Error)
			}
			continue
		}
		if h.Status != facts.StatusOK {
			t.Errorf("%s: %s %s", name, h.Status, h.Error)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if deliveries != 2 {
		t.Errorf("the job was delivered %d times, want 2", deliveries)
	}
}

// TestSiteWithoutRunner: hosts of a site no runner serves end unreachable,
// naming the site, once SiteTimeout passes.
func TestSiteWithoutRunner(t *testing.T) {
	f := simtest.Serve(t, simtest.Scenario(2))
	s := jobqtest.Start(t, jobqtest.Options{})
	c := dial(t, s, controller.Options{AckWait: time.Second, SiteTimeout: time.Second})
	start := time.Now()
	for name, h := range collectAll(t, c, hostsOf(t, f, "nowhere")) {
		if h.Status != facts.StatusUnreachable || !strings.Contains(h.Error, "fleetport runner --site nowhere") {
			t.Errorf("%s: %s %q", name, h.Status, h.Error)
		}
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("took %v", d)
	}
}

// TestMalformedJobs: jobs a runner cannot read (garbage, another version,
// another site) are terminated with the reason, never retried, and the
// runner goes on with the next ones.
func TestMalformedJobs(t *testing.T) {
	f := simtest.Serve(t, simtest.Scenario(2))
	s := jobqtest.Start(t, jobqtest.Options{})
	logs, _ := serve(t, s, Options{Site: "lab"})
	c := dial(t, s, controller.Options{AckWait: time.Second, SiteTimeout: time.Minute})
	nc := jobqtest.Connect(t, s, "rogue")
	v := fmt.Sprintf(`{"v":%d,`, dispatch.Version)
	for _, payload := range []string{
		"not json",
		`{"v":99,"id":"x","kind":"collect"}`,
		v + `"id":"x","kind":"collect","controller":"c1","site":"other","deadline":"2099-01-01T00:00:00Z","ack_wait":1000000000,"host":{"name":"h","endpoint":{"address":"127.0.0.1","auth":"ntlm"}}}`,
		v + `"id":"x","kind":"collect","controller":"c1","site":"lab","deadline":"2099-01-01T00:00:00Z","ack_wait":1000000000,"host":{"name":"h","endpoint":{"address":"127.0.0.1","auth":"ntlm"},"password":{"source":"literal","value":"x"}}}`,
	} {
		if err := nc.Publish(dispatch.JobSubject("lab"), []byte(payload)); err != nil {
			t.Fatal(err)
		}
	}
	for name, h := range collectAll(t, c, hostsOf(t, f, "lab")) {
		if h.Status != facts.StatusOK {
			t.Errorf("%s: %s %s", name, h.Status, h.Error)
		}
	}
	for _, want := range []string{"malformed", "message version 99", "a literal is never sent to a runner", "another site"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the runner's log does not say %q:\n%s", want, logs.String())
		}
	}
	if strings.Contains(logs.String(), "panic") {
		t.Errorf("panic in the log:\n%s", logs.String())
	}
}

// TestServerGoesAway: the NATS server stops in the middle of a run; the
// controller ends every host with a status instead of waiting forever,
// and the runner stops cleanly.
func TestServerGoesAway(t *testing.T) {
	sc := simtest.Scenario(6)
	sc.Faults = []sim.Fault{{Kind: sim.FaultSlow, Share: 100, Duration: 300 * time.Millisecond}}
	f := simtest.Serve(t, sc)
	s := jobqtest.Start(t, jobqtest.Options{})
	_, stop := serve(t, s, Options{Site: "lab", Concurrency: 2})
	c := dial(t, s, controller.Options{AckWait: time.Second, SiteTimeout: time.Second})
	go func() {
		time.Sleep(500 * time.Millisecond)
		s.Shutdown()
	}()
	start := time.Now()
	for name, h := range collectAll(t, c, hostsOf(t, f, "lab")) {
		if h.Status == facts.StatusOK {
			continue
		}
		if h.Status != facts.StatusUnreachable || !strings.Contains(h.Error, "NATS") {
			t.Errorf("%s: %s %q", name, h.Status, h.Error)
		}
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("took %v", d)
	}
	stop()
}

type fakeSession struct{ ran []string }

func (f *fakeSession) Run(_ context.Context, c remote.Command) (remote.Result, error) {
	f.ran = append(f.ran, c.Line)
	return remote.Result{}, nil
}
func (f *fakeSession) Close() error { return nil }

// TestLeaseGuardsCommands: once the lease went unrenewed for two thirds
// of its life (a paused process, a cut-off runner), no command reaches the
// host, and the lease stays fenced.
func TestLeaseGuardsCommands(t *testing.T) {
	canceled := false
	l := &lease{token: "t", ttl: 300 * time.Millisecond, lastOK: time.Now(), cancel: func() { canceled = true }}
	fs := &fakeSession{}
	s := leasedSession{Session: fs, l: l}
	if _, err := s.Run(context.Background(), remote.Command{Line: "reg add x"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(250 * time.Millisecond)
	if _, err := s.Run(context.Background(), remote.Command{Line: "reg add y"}); !errors.Is(err, errFenced) {
		t.Fatalf("a command ran on an expiring lease: %v", err)
	}
	l.ok(false) // a late renewal does not bring it back
	if _, err := s.Run(context.Background(), remote.Command{Line: "reg add z"}); !errors.Is(err, errFenced) {
		t.Fatalf("a command ran on a fenced lease: %v", err)
	}
	if len(fs.ran) != 1 || !canceled {
		t.Errorf("ran %v, canceled %v", fs.ran, canceled)
	}
}
