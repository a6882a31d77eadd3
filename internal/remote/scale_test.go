package remote_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/fleetport/fleetport/internal/remote"
	"github.com/fleetport/fleetport/internal/sim"
)

// TestFleetNTLMEncrypted runs sessions to 500 hosts, 100 at a time, from
// one process with NTLM message encryption: the load under which
// masterzen's encrypted transport loses its authenticated connections to
// http.DefaultTransport's shared pool and panics. Every host must answer,
// over exactly one connection, and end with no shell open.
func TestFleetNTLMEncrypted(t *testing.T) {
	hosts := 500
	if testing.Short() || raceEnabled {
		// The race detector makes NTLM's RC4 and MD5 ten times slower.
		hosts = 100
	}
	f := startFleet(t, hosts, func(sc *sim.Scenario) { sc.HTTPSPort = 0 })
	slow := remote.SlowAnswers()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var g errgroup.Group
	g.SetLimit(100)
	var failed atomic.Int32
	for _, h := range f.Hosts() {
		g.Go(func() error {
			if err := oneCommand(ctx, f, h); err != nil {
				failed.Add(1)
				t.Errorf("%s: %v", h.Plan.Name, err)
			}
			return nil
		})
	}
	_ = g.Wait()
	if failed.Load() > 0 {
		t.Fatalf("%d of %d hosts failed", failed.Load(), hosts)
	}
	st := f.Stats()
	for name, c := range st.Host {
		if c.ConnectionsAccepted != 1 || c.ShellsCreated != 1 || c.ShellsOpen != 0 {
			t.Errorf("%s: %d connections, %d shells created, %d open", name, c.ConnectionsAccepted, c.ShellsCreated, c.ShellsOpen)
		}
	}
	if n := remote.SlowAnswers() - slow; n != 0 {
		t.Errorf("%d of the simulator's answers took encoding/xml, not the fast reader", n)
	}
	// Create, Command, Receive, Delete: no Signal after a command is done.
	if st.Fleet.Operations != int64(4*hosts) {
		t.Errorf("%d WS-Man operations, want 4 per host", st.Fleet.Operations)
	}
}

// oneCommand opens a session, runs hostname and closes it.
func oneCommand(ctx context.Context, f *sim.Fleet, h *sim.Host) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	// Generous deadlines: the simulator shares the machine.
	s, err := remote.Open(ctx, endpoint(f, h, ntlmEncrypted), demo, remote.Options{ConnectTimeout: 30 * time.Second, CloseTimeout: 30 * time.Second})
	if err != nil {
		return err
	}
	res, err := s.Run(ctx, remote.Command{Line: "hostname", CheckExit: true})
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err == nil && string(res.Stdout) != strings.ToUpper(h.Plan.Name)+"\r\n" {
		err = errUnexpected(res.Stdout)
	}
	return err
}

type errUnexpected []byte

func (e errUnexpected) Error() string { return "unexpected output " + string(e) }

// BenchmarkSessionNTLMEncrypted is one command per host with NTLM
// message encryption: Open (TCP, NTLM handshake, Create), Run (Command,
// Receive) and Close (Delete). An op is one host; the simulator's
// work shares the process and is included.
//
//   - serial: one session at a time over a 200-host fleet: the cost of a
//     host, in time and allocations.
//   - fleet-100: a fleet of b.N hosts, 100 sessions in flight, each host
//     once: ns/op is the wall time per host of a collection pass.
//     (Reaching the same simulated hosts again and again at this
//     concurrency measures the loopback stack, not the client: the
//     kernel's cached per-destination state slows every client alike.)
func BenchmarkSessionNTLMEncrypted(b *testing.B) {
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		f := startFleet(b, 200, func(sc *sim.Scenario) { sc.HTTPSPort = 0 })
		hosts := f.Hosts()
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if err := oneCommand(ctx, f, hosts[i%len(hosts)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("fleet-100", func(b *testing.B) {
		f := startFleet(b, b.N, func(sc *sim.Scenario) { sc.HTTPSPort = 0 })
		b.ReportAllocs()
		b.ResetTimer()
		var g errgroup.Group
		g.SetLimit(100)
		for _, h := range f.Hosts() {
			g.Go(func() error { return oneCommand(ctx, f, h) })
		}
		if err := g.Wait(); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if c := f.Stats().Fleet; c.ConnectionsAccepted != int64(b.N) || c.ShellsOpen != 0 {
			b.Fatalf("%d connections for %d hosts, %d shells open", c.ConnectionsAccepted, b.N, c.ShellsOpen)
		}
	})
}
