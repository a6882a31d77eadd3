package remote_test

// Each injected fault of the simulator, as a session classifies it, within
// its deadline.

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/fleetport/fleetport/internal/remote"
	"github.com/fleetport/fleetport/internal/sim"
	simendpoint "github.com/fleetport/fleetport/internal/sim/endpoint"
)

// faultFleet serves one host per fault kind.
func faultFleet(t *testing.T) *sim.Fleet {
	t.Helper()
	return startFleet(t, 7, func(sc *sim.Scenario) {
		sc.Faults = []sim.Fault{
			{Kind: sim.FaultRefuse, Hosts: []string{"web0001"}},
			{Kind: sim.FaultHang, Hosts: []string{"web0002"}},
			{Kind: sim.FaultAuth, Hosts: []string{"web0003"}},
			{Kind: sim.FaultQuota, Hosts: []string{"web0004"}},
			{Kind: sim.FaultGarble, Hosts: []string{"web0005"}},
			{Kind: sim.FaultLatency, Hosts: []string{"web0006"}, Latency: 40 * time.Millisecond},
		}
	})
}

func TestFaultClasses(t *testing.T) {
	f := faultFleet(t)
	for _, tr := range []transport{ntlmEncrypted, basicHTTPS, ntlmHTTPS} {
		t.Run(tr.String(), func(t *testing.T) {
			t.Run("refuse", func(t *testing.T) {
				h := f.Host("web0001")
				start := time.Now()
				_, err := remote.Open(context.Background(), endpoint(f, h, tr), demo, fastOptions())
				e := wantClass(t, err, remote.ClassUnreachable)
				if e.Op != "create" || e.Host != endpoint(f, h, tr).Address() || !strings.Contains(err.Error(), "connection refused") {
					t.Errorf("error %+v", e)
				}
				// Three attempts, 20 to 100 ms of backoff between them.
				if d := time.Since(start); d > 3*time.Second {
					t.Errorf("took %v", d)
				}
			})
			t.Run("refuse with a short deadline", func(t *testing.T) {
				opts := fastOptions()
				opts.Retry = remote.Retry{Attempts: 10, BaseDelay: time.Second}
				ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
				defer cancel()
				start := time.Now()
				_, err := remote.Open(ctx, endpoint(f, f.Host("web0001"), tr), demo, opts)
				// A backoff that cannot end before the deadline is not
				// started: the host is reported unreachable, not slow.
				wantClass(t, err, remote.ClassUnreachable)
				if d := time.Since(start); d > time.Second {
					t.Errorf("took %v", d)
				}
			})
			t.Run("hang", func(t *testing.T) {
				h := f.Host("web0002")
				ignore := goleak.IgnoreCurrent()
				// start before the deadline is set, so that the measured
				// time cannot come out shorter than the deadline.
				start := time.Now()
				ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
				defer cancel()
				_, err := remote.Open(ctx, endpoint(f, h, tr), demo, remote.Options{})
				wantClass(t, err, remote.ClassTimeout)
				if d := time.Since(start); d < 300*time.Millisecond || d > 2*time.Second {
					t.Errorf("gave up after %v, want the 300 ms deadline", d)
				}
				// Open closed what it opened: the dial still in its
				// handshake with the hung host is aborted, not left to
				// ConnectTimeout.
				goleak.VerifyNone(t, ignore)
			})
			t.Run("auth", func(t *testing.T) {
				h := f.Host("web0003")
				_, err := remote.Open(context.Background(), endpoint(f, h, tr), demo, fastOptions())
				wantClass(t, err, remote.ClassAuth)
				if h.Counters().AuthFailures == 0 {
					t.Errorf("no auth failure counted")
				}
			})
			t.Run("quota", func(t *testing.T) {
				h := f.Host("web0004")
				before := h.Counters().Faults["2150859173"]
				_, err := remote.Open(context.Background(), endpoint(f, h, tr), demo, fastOptions())
				e := wantClass(t, err, remote.ClassQuota)
				var fault *remote.Fault
				if e.Code != remote.CodeQuotaShells || !errors.As(err, &fault) || !fault.Quota() || fault.Subcode != "QuotaLimit" {
					t.Errorf("error %+v", e)
				}
				if n := h.Counters().Faults["2150859173"] - before; n != 3 {
					t.Errorf("%d Create attempts, want the 3 of Retry.Attempts", n)
				}
			})
			t.Run("garble", func(t *testing.T) {
				// Corrupt output is the parsers' problem: the session
				// delivers the bytes as they came.
				s := open(t, endpoint(f, f.Host("web0005"), tr), fastOptions())
				defer s.Close()
				if r := run(t, s, "netstat -an"); !bytes.Contains(r.Stdout, []byte("\x00\x13\xff\xfe")) {
					t.Errorf("output is not garbled: %q", r.Stdout)
				}
			})
			t.Run("latency", func(t *testing.T) {
				h := f.Host("web0006")
				before := h.Counters()
				s := open(t, endpoint(f, h, tr), fastOptions())
				for range 3 {
					run(t, s, "hostname")
				}
				s.Close()
				// Create, then Command and Receive per command (no Signal
				// after Done), then Delete; NTLM adds its two handshake
				// legs once, not per message as masterzen's encrypted
				// transport does.
				after := h.Counters()
				if st := s.Stats(); st.Requests != 8 || after.Requests-before.Requests > st.Requests+2 {
					t.Errorf("%d requests on the host for the session's %d", after.Requests-before.Requests, st.Requests)
				}
				if n := after.ConnectionsAccepted - before.ConnectionsAccepted; n != 1 {
					t.Errorf("%d connections", n)
				}
			})
		})
	}
}

// TestHangAfterOpen: the host hangs in the middle of a session. Run ends at
// its deadline, the cleanup gives up after CloseTimeout, Close is prompt,
// and nothing the session started is left running.
func TestHangAfterOpen(t *testing.T) {
	f := startFleet(t, 1, nil)
	h := f.Hosts()[0]
	ignore := goleak.IgnoreCurrent()
	s := open(t, endpoint(f, h, ntlmEncrypted), fastOptions())
	run(t, s, "hostname")
	h.Endpoint.SetFaults(simendpoint.Faults{Hang: true})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := s.Run(ctx, remote.Command{Line: "hostname"})
	wantClass(t, err, remote.ClassTimeout)
	// 200 ms deadline plus the 500 ms CloseTimeout of the cleanup.
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Run took %v", d)
	}
	start = time.Now()
	s.Close()
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Close took %v", d)
	}
	h.Endpoint.SetFaults(simendpoint.Faults{})
	goleak.VerifyNone(t, ignore)
}

func TestTLSVerification(t *testing.T) {
	f := startFleet(t, 1, nil)
	h := f.Hosts()[0]
	other, err := sim.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range []transport{basicHTTPS, ntlmHTTPS} {
		t.Run(tr.String(), func(t *testing.T) {
			ep := endpoint(f, h, tr)
			ep.CAFile, ep.CAPEM = "", other.CertPEM()
			_, err := remote.Open(context.Background(), ep, demo, fastOptions())
			wantClass(t, err, remote.ClassTLS)
			if !strings.Contains(err.Error(), "certificate") {
				t.Errorf("error %v", err)
			}

			ep = endpoint(f, h, tr)
			ep.TLSServerName = "elsewhere.example"
			_, err = remote.Open(context.Background(), ep, demo, fastOptions())
			wantClass(t, err, remote.ClassTLS)

			ep.TLSServerName = h.Plan.FQDN(f.Scenario().Domain)
			open(t, ep, fastOptions()).Close()

			// The explicit opt-in accepts an unknown CA.
			ep = endpoint(f, h, tr)
			ep.CAFile, ep.CAPEM, ep.InsecureSkipVerify = "", other.CertPEM(), true
			open(t, ep, fastOptions()).Close()

			// TLS spoken to the http port.
			ep = endpoint(f, h, tr)
			ep.Port = f.Scenario().HTTPPort
			_, err = remote.Open(context.Background(), ep, demo, fastOptions())
			wantClass(t, err, remote.ClassTLS)
		})
	}
}

// TestUnencryptedNeedsOptIn: Basic over http is refused unless the caller
// opts in to clear text.
func TestUnencryptedNeedsOptIn(t *testing.T) {
	f := startFleet(t, 1, func(sc *sim.Scenario) { sc.AllowUnencrypted = true })
	h := f.Hosts()[0]
	ep := remote.Endpoint{Host: h.Plan.Addr.String(), Port: f.Scenario().HTTPPort, Auth: remote.AuthBasic}
	_, err := remote.Open(context.Background(), ep, demo, fastOptions())
	wantClass(t, err, remote.ClassConfig)
	ep.AllowUnencrypted = true
	s := open(t, ep, fastOptions())
	defer s.Close()
	run(t, s, "hostname")
}

// TestUnencryptedRefusedByHost: NTLM without sealing on a host with
// AllowUnencrypted=false (the Windows default) is refused with 401.
func TestUnencryptedRefusedByHost(t *testing.T) {
	f := startFleet(t, 1, nil)
	_, err := remote.Open(context.Background(), endpoint(f, f.Hosts()[0], ntlmPlainHTTP), demo, fastOptions())
	wantClass(t, err, remote.ClassAuth)
}

func TestRebootMidSession(t *testing.T) {
	f := startFleet(t, 1, nil)
	h := f.Hosts()[0]
	s := open(t, endpoint(f, h, ntlmEncrypted), fastOptions())
	defer s.Close()
	run(t, s, "hostname")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	// The reboot may or may not cut the command that asks for it.
	_, _ = s.Run(ctx, remote.Command{Line: "shutdown /r /t 0"})
	waitFor(t, 5*time.Second, "the host to go down", func() bool { return !h.Endpoint.Up() })
	_, err := s.Run(ctx, remote.Command{Line: "hostname"})
	wantClass(t, err, remote.ClassUnreachable)
	waitFor(t, 5*time.Second, "the host to come back", h.Endpoint.Up)
	// The session reconnects. If it still held the shell from before the
	// reboot, the first command reports that shell lost, and the next one
	// opens a new shell.
	r, err := s.Run(ctx, remote.Command{Line: "hostname"})
	if errors.Is(err, remote.ErrShellLost) {
		r, err = s.Run(ctx, remote.Command{Line: "hostname"})
	}
	if err != nil || r.ExitCode != 0 {
		t.Errorf("after the reboot: %+v %v", r, err)
	}
}
