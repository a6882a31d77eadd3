package remote_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/fleetport/fleetport/internal/remote"
	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/testdomain"
)

func TestMain(m *testing.M) {
	// Nothing to ignore: every session closes its connections, and the
	// fleets close their servers in t.Cleanup.
	goleak.VerifyTestMain(testdomain.Wrap(m))
}

// nextNet hands every test its own loopback /24 (or /16 for large
// fleets). The ranges differ from the simulator's own tests (127.100 to
// 127.199), and the random start keeps test binaries run side by side
// apart; serve moves on when an address is taken anyway.
var nextNet atomic.Int32

func init() { nextNet.Store(rand.Int32N(10000)) }

func testNetwork(hosts int) netip.Prefix {
	n := nextNet.Add(1)
	if hosts > 200 {
		return netip.MustParsePrefix(fmt.Sprintf("127.%d.0.0/16", 240+n%10))
	}
	n %= 10000
	return netip.MustParsePrefix(fmt.Sprintf("127.%d.%d.0/24", 200+n/250, n%250))
}

// startFleet serves a fleet of Windows 2019 web servers without drift or
// faults; mutate adjusts the scenario before it is built.
func startFleet(t testing.TB, hosts int, mutate func(*sim.Scenario)) *sim.Fleet {
	t.Helper()
	sc := sim.DefaultScenario()
	sc.Hosts = hosts
	sc.Network = testNetwork(hosts)
	sc.Drift = nil
	sc.Faults = nil
	sc.ServiceStep = time.Millisecond
	sc.RebootTime = 300 * time.Millisecond
	sc.OSMix = map[string]float64{"2019": 1}
	sc.LocaleMix = map[string]float64{"en-US": 1}
	sc.Roles = []sim.Role{{Name: "web", Share: 1, Services: []string{"W3SVC"}}}
	if mutate != nil {
		mutate(&sc)
	}
	return serve(t, sim.Options{Scenario: sc, Dir: t.TempDir()})
}

// serve builds and starts a fleet, moving to another network when an
// address is taken by a process outside this test binary.
func serve(t testing.TB, opts sim.Options) *sim.Fleet {
	t.Helper()
	for attempt := 0; ; attempt++ {
		f, err := sim.New(opts)
		if err != nil {
			t.Fatalf("sim.New: %v", err)
		}
		err = f.Start()
		if err == nil {
			t.Cleanup(f.Close)
			return f
		}
		if attempt < 3 && strings.Contains(err.Error(), "address already in use") {
			opts.Scenario.Network = testNetwork(opts.Scenario.Hosts)
			continue
		}
		t.Fatalf("Start: %v", err)
	}
}

type transport int

const (
	basicHTTPS transport = iota
	ntlmHTTPS
	ntlmEncrypted
	ntlmPlainHTTP
)

var transports = []transport{basicHTTPS, ntlmHTTPS, ntlmEncrypted, ntlmPlainHTTP}

func (tr transport) String() string {
	return [...]string{"basic-https", "ntlm-https", "ntlm-encrypted-http", "ntlm-http-unencrypted"}[tr]
}

// endpoint returns the endpoint of h for a transport, verifying TLS against
// the simulator's CA file.
func endpoint(f *sim.Fleet, h *sim.Host, tr transport) remote.Endpoint {
	sc := f.Scenario()
	ep := remote.Endpoint{Host: h.Plan.Addr.String(), Port: sc.HTTPPort}
	switch tr {
	case basicHTTPS:
		ep.HTTPS, ep.Port, ep.Auth, ep.CAFile = true, sc.HTTPSPort, remote.AuthBasic, f.CAFile()
	case ntlmHTTPS:
		ep.HTTPS, ep.Port, ep.CAFile = true, sc.HTTPSPort, f.CAFile()
	case ntlmPlainHTTP:
		ep.AllowUnencrypted = true
	}
	return ep
}

var demo = remote.Credentials{User: sim.DemoUser, Password: sim.DemoPassword}

// fastOptions keep fault tests short.
func fastOptions() remote.Options {
	return remote.Options{
		OperationTimeout: 2 * time.Second,
		RequestTimeout:   3 * time.Second,
		ConnectTimeout:   2 * time.Second,
		CloseTimeout:     500 * time.Millisecond,
		Retry:            remote.Retry{Attempts: 3, BaseDelay: 20 * time.Millisecond, MaxDelay: 100 * time.Millisecond},
	}
}

func open(t testing.TB, ep remote.Endpoint, opts remote.Options) *remote.Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := remote.Open(ctx, ep, demo, opts)
	if err != nil {
		t.Fatalf("Open %s: %v", ep.Address(), err)
	}
	return s
}

func run(t testing.TB, s *remote.Session, line string) remote.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := s.Run(ctx, remote.Command{Line: line})
	if err != nil {
		t.Fatalf("Run %q: %v", line, err)
	}
	return res
}

// wantClass checks that err is an *remote.Error of class c.
func wantClass(t testing.TB, err error, c remote.Class) *remote.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want class %v", c)
	}
	var e *remote.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T %v is not a *remote.Error", err, err)
	}
	if e.Class != c {
		t.Fatalf("class %v, want %v: %v", e.Class, c, err)
	}
	return e
}

// waitFor polls cond until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
