package remote_test

// End-to-end: sessions over real sockets against the simulator, through
// masterzen's SOAP builders and fleetport's transports. The simulator
// counts accepted connections, shells and faults per host; the tests hold
// the session layer to one connection and one shell per host.

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/remote"
	"github.com/fleetport/fleetport/internal/sim"
)

func TestEveryTransportOneConnectionOneShell(t *testing.T) {
	f := startFleet(t, len(transports), func(sc *sim.Scenario) { sc.AllowUnencrypted = true })
	for i, tr := range transports {
		h := f.Hosts()[i]
		t.Run(tr.String(), func(t *testing.T) {
			s := open(t, endpoint(f, h, tr), remote.Options{})
			if r := run(t, s, "hostname"); string(r.Stdout) != strings.ToUpper(h.Plan.Name)+"\r\n" || r.ExitCode != 0 {
				t.Errorf("hostname: %q exit %d", r.Stdout, r.ExitCode)
			}
			if r := run(t, s, "netstat -ano"); !bytes.Contains(r.Stdout, []byte("LISTENING")) {
				t.Errorf("netstat: %q", r.Stdout)
			}
			r := run(t, s, "frobnicate")
			if r.ExitCode != 9009 || !bytes.Contains(r.Stderr, []byte("'frobnicate' is not recognized")) {
				t.Errorf("unknown command: exit %d stderr %q", r.ExitCode, r.Stderr)
			}
			ps, err := remote.PowerShell("Get-NetTCPConnection -State Listen | Select-Object LocalAddress,LocalPort | ConvertTo-Json -Compress")
			if err != nil {
				t.Fatal(err)
			}
			if r := run(t, s, ps.Line); r.ExitCode != 0 || !bytes.Contains(r.Stdout, []byte(`"LocalPort":5985`)) {
				t.Errorf("PowerShell: exit %d stdout %q stderr %q", r.ExitCode, r.Stdout, r.Stderr)
			}
			c := h.Counters()
			if c.ShellsOpen != 1 || c.ShellsCreated != 1 {
				t.Errorf("shells open %d created %d during the session, want 1 and 1", c.ShellsOpen, c.ShellsCreated)
			}
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			c = h.Counters()
			if c.ConnectionsAccepted != 1 {
				t.Errorf("%d connections accepted, want 1", c.ConnectionsAccepted)
			}
			if c.ShellsOpen != 0 {
				t.Errorf("%d shells left open", c.ShellsOpen)
			}
			if st := s.Stats(); st.Connections != 1 || st.Shells != 1 || st.Commands != 4 || st.Retries != 0 {
				t.Errorf("stats %+v", st)
			}
			if err := s.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
			if _, err := s.Run(context.Background(), remote.Command{Line: "hostname"}); !errors.Is(err, remote.ErrClosed) {
				t.Errorf("Run after Close: %v", err)
			}
		})
	}
}

func TestCheckExit(t *testing.T) {
	f := startFleet(t, 1, nil)
	s := open(t, endpoint(f, f.Hosts()[0], ntlmEncrypted), remote.Options{})
	defer s.Close()
	key := `"HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters"`
	res, err := s.Run(context.Background(), remote.Command{Line: "reg query " + key + " /v NoSuchValue", CheckExit: true})
	e := wantClass(t, err, remote.ClassCommand)
	var exit *remote.ExitError
	if e.Code != 1 || !errors.As(err, &exit) || exit.Code != 1 || res.ExitCode != 1 {
		t.Errorf("code %d, exit %v, result %d", e.Code, exit, res.ExitCode)
	}
	if !bytes.Contains(res.Stderr, []byte("unable to find")) {
		t.Errorf("the result should come with the error: %q", res.Stderr)
	}
	// The session goes on.
	if r := run(t, s, "reg query "+key+" /v TcpTimedWaitDelay"); r.ExitCode != 0 {
		t.Errorf("after a failed command: %+v", r)
	}
}

func TestCommandLineLimit(t *testing.T) {
	f := startFleet(t, 1, nil)
	s := open(t, endpoint(f, f.Hosts()[0], ntlmEncrypted), remote.Options{})
	defer s.Close()
	// Exactly 8191 characters go through cmd.exe.
	line := "echo " + strings.Repeat("x", remote.MaxCommandLine-5)
	if r := run(t, s, line); r.ExitCode != 0 || len(r.Stdout) != remote.MaxCommandLine-5+2 {
		t.Errorf("8191 characters: exit %d, %d bytes out, stderr %q", r.ExitCode, len(r.Stdout), r.Stderr)
	}
	before := s.Stats().Requests
	_, err := s.Run(context.Background(), remote.Command{Line: line + "x"})
	wantClass(t, err, remote.ClassConfig)
	if !errors.Is(err, remote.ErrCommandTooLong) || !strings.Contains(err.Error(), "8192 characters") {
		t.Errorf("error %v", err)
	}
	if s.Stats().Requests != before {
		t.Errorf("a command line that is too long was sent")
	}
	// The longest script PowerShell accepts fills the line but for the
	// base64 padding.
	script := "Write-Output " + strings.Repeat("y", remote.MaxPowerShellScript-13)
	ps, err := remote.PowerShell(script)
	if err != nil || len(ps.Line) < remote.MaxCommandLine-3 || len(ps.Line) > remote.MaxCommandLine {
		t.Fatalf("longest script: %d characters, %v", len(ps.Line), err)
	}
	if r := run(t, s, ps.Line); r.ExitCode != 0 || !bytes.HasPrefix(r.Stdout, []byte("yyyy")) {
		t.Errorf("longest script: exit %d stdout %.40q stderr %.200q", r.ExitCode, r.Stdout, r.Stderr)
	}
	if _, err := remote.PowerShell(script + "y"); !errors.Is(err, remote.ErrCommandTooLong) {
		t.Errorf("one character more: %v", err)
	}
}

// TestOperationsQuotaReplacesShell runs more commands than Server 2008 R2
// allows operations per user: the session replaces its shell when the host
// refuses the Command, and no command fails.
func TestOperationsQuotaReplacesShell(t *testing.T) {
	f := startFleet(t, 2, func(sc *sim.Scenario) { sc.OSMix = map[string]float64{"2008r2": 1} })
	t.Run("on the quota fault", func(t *testing.T) {
		h := f.Hosts()[0]
		s := open(t, endpoint(f, h, ntlmEncrypted), remote.Options{})
		for i := range 20 {
			if r := run(t, s, "hostname"); r.ExitCode != 0 {
				t.Fatalf("command %d: %+v", i, r)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		c := h.Counters()
		if st := s.Stats(); st.Shells != 2 || st.Connections != 1 || st.Commands != 20 {
			t.Errorf("stats %+v, want 2 shells, 1 connection, 20 commands", st)
		}
		if c.Faults["2150859174"] != 1 || c.ShellsOpen != 0 || c.ConnectionsAccepted != 1 {
			t.Errorf("host counters %+v", c)
		}
	})
	t.Run("MaxCommandsPerShell", func(t *testing.T) {
		h := f.Hosts()[1]
		s := open(t, endpoint(f, h, ntlmEncrypted), remote.Options{MaxCommandsPerShell: 10})
		for range 20 {
			run(t, s, "hostname")
		}
		s.Close()
		if c := h.Counters(); c.Faults["2150859174"] != 0 || c.ShellsCreated != 2 || c.ShellsOpen != 0 {
			t.Errorf("host counters %+v", c)
		}
	})
}

// TestLostShell: the WinRM service restarts between two commands. The host
// refuses the next Command for the lost shell, so nothing ran: the session
// creates a new shell and sends it again, at once (masterzen would spin on
// Receive until its context ends), and the trace sees the lost shell go and
// the new one come.
func TestLostShell(t *testing.T) {
	f := startFleet(t, 1, nil)
	h := f.Hosts()[0]
	var tr traceLog
	ctx, cancel := context.WithTimeout(remote.WithShellTrace(context.Background(), tr.trace()), 10*time.Second)
	defer cancel()
	s, err := remote.Open(ctx, endpoint(f, h, ntlmEncrypted), demo, fastOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	run(t, s, "hostname")
	first := tr.open()
	h.Service.Reset()
	start := time.Now()
	if r := run(t, s, "hostname"); r.ExitCode != 0 {
		t.Errorf("after the lost shell: %+v", r)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("a lost shell took %v to replace", d)
	}
	if st := s.Stats(); st.Shells != 2 || st.Connections != 1 || st.Commands != 2 {
		t.Errorf("stats %+v", st)
	}
	if c := h.Counters(); c.Faults["2150858843"] != 1 || c.ShellsOpen != 1 {
		t.Errorf("host counters %+v", c)
	}
	now := tr.open()
	if len(first) != 1 || len(now) != 1 || now[0] == first[0] {
		t.Errorf("shells open by the trace: %v, then %v", first, now)
	}
	if got := tr.events(); len(got) != 3 || got[1] != "deleted "+first[0]+" <nil>" {
		t.Errorf("trace %v", got)
	}
}

// TestLostShellDuringReceive: the shell goes away while a command runs.
func TestLostShellDuringReceive(t *testing.T) {
	f := startFleet(t, 1, func(sc *sim.Scenario) {
		sc.Faults = []sim.Fault{{Kind: sim.FaultSlow, Share: 100, Duration: 5 * time.Second}}
	})
	h := f.Hosts()[0]
	opts := fastOptions()
	opts.OperationTimeout, opts.RequestTimeout = 200*time.Millisecond, time.Second
	s := open(t, endpoint(f, h, ntlmEncrypted), opts)
	defer s.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Once the command runs and a Receive or two have timed out.
		for end := time.Now().Add(5 * time.Second); h.Counters().Commands == 0 && time.Now().Before(end); {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(300 * time.Millisecond)
		h.Service.Reset()
	}()
	start := time.Now()
	res, err := s.Run(context.Background(), remote.Command{Line: "hostname"})
	<-done
	// The restart kills the command: a Receive may still see it end
	// (killed, non-zero exit) before the shell is gone; otherwise the shell
	// is reported lost.
	if err != nil || res.ExitCode == 0 {
		wantClass(t, err, remote.ClassProtocol)
		if !errors.Is(err, remote.ErrShellLost) {
			t.Errorf("error %v", err)
		}
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("took %v", d)
	}
	if ops := h.Counters().Operations; ops > 20 {
		t.Errorf("%d WS-Man operations: Receive spun", ops)
	}
}

// TestNetStopHTTPCutsTheSession: stopping HTTP from inside WinRM cuts the
// session running the command; the client gets an error, not a clean exit,
// and neither Run nor Close hangs.
func TestNetStopHTTPCutsTheSession(t *testing.T) {
	f := startFleet(t, 1, nil)
	h := f.Hosts()[0]
	s := open(t, endpoint(f, h, ntlmEncrypted), fastOptions())
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := s.Run(ctx, remote.Command{Line: "net stop http /y"})
	if err == nil {
		t.Fatalf("net stop http /y came back as a success: %+v", res)
	}
	if c := remote.ClassOf(err); c != remote.ClassUnreachable {
		t.Errorf("class %v: %v", c, err)
	}
	if err := s.Close(); err != nil {
		t.Logf("Close: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Run and Close took %v", d)
	}
	// The next session finds the host down.
	_, err = remote.Open(context.Background(), endpoint(f, h, ntlmEncrypted), demo, fastOptions())
	wantClass(t, err, remote.ClassUnreachable)
}

func TestSlowCommandThroughReceivePolls(t *testing.T) {
	f := startFleet(t, 1, func(sc *sim.Scenario) {
		sc.Faults = []sim.Fault{{Kind: sim.FaultSlow, Share: 100, Duration: 700 * time.Millisecond}}
	})
	h := f.Hosts()[0]
	opts := remote.Options{OperationTimeout: 150 * time.Millisecond, RequestTimeout: time.Second}
	s := open(t, endpoint(f, h, ntlmEncrypted), opts)
	defer s.Close()
	r := run(t, s, "hostname")
	if string(r.Stdout) != strings.ToUpper(h.Plan.Name)+"\r\n" || r.Duration < 700*time.Millisecond {
		t.Errorf("%q after %v", r.Stdout, r.Duration)
	}
	if st := s.Stats(); st.Polls < 3 || st.Connections != 1 {
		t.Errorf("stats %+v: want at least 3 timed-out polls on one connection", st)
	}
	if n := h.Counters().Faults["2150858793"]; n < 3 {
		t.Errorf("%d TimedOut faults on the host", n)
	}
}

// TestCancelDeletesShell: the caller gives up on a long command. Run
// returns at the deadline, stops the command and deletes the shell.
func TestCancelDeletesShell(t *testing.T) {
	f := startFleet(t, 1, func(sc *sim.Scenario) {
		sc.Faults = []sim.Fault{{Kind: sim.FaultSlow, Share: 100, Duration: 10 * time.Second}}
	})
	h := f.Hosts()[0]
	s := open(t, endpoint(f, h, ntlmEncrypted), fastOptions())
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := s.Run(ctx, remote.Command{Line: "hostname"})
	wantClass(t, err, remote.ClassTimeout)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Run returned after %v", d)
	}
	if c := h.Counters(); c.ShellsOpen != 0 {
		t.Errorf("%d shells open after the cancelled command", c.ShellsOpen)
	}
}

// TestCloseInterruptsRun: Close from another goroutine ends a Run in
// progress and still deletes the shell.
func TestCloseInterruptsRun(t *testing.T) {
	f := startFleet(t, 1, func(sc *sim.Scenario) {
		sc.Faults = []sim.Fault{{Kind: sim.FaultSlow, Share: 100, Duration: 10 * time.Second}}
	})
	h := f.Hosts()[0]
	s := open(t, endpoint(f, h, ntlmEncrypted), fastOptions())
	done := make(chan error, 1)
	go func() {
		_, err := s.Run(context.Background(), remote.Command{Line: "hostname"})
		done <- err
	}()
	waitFor(t, 2*time.Second, "the command to start", func() bool { return h.Counters().Commands > 0 })
	start := time.Now()
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	wantClass(t, <-done, remote.ClassTimeout)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Close took %v", d)
	}
	// The shell is deleted. Aborting a Receive in flight costs its
	// connection (HTTP/1.1 has no other way) and the cleanup takes a
	// second one; when Close comes between two polls, nothing is in flight
	// and the cleanup reuses the one connection. Either way the session
	// opened no connection the host did not see, and no more than two.
	c := h.Counters()
	if c.ShellsOpen != 0 {
		t.Errorf("host counters %+v: the shell is still open", c)
	}
	if n := s.Stats().Connections; c.ConnectionsAccepted < 1 || c.ConnectionsAccepted > 2 || c.ConnectionsAccepted != n {
		t.Errorf("host accepted %d connections, the session opened %d: want the same, 1 or 2", c.ConnectionsAccepted, n)
	}
}

func TestOutputLimit(t *testing.T) {
	f := startFleet(t, 1, nil)
	h := f.Hosts()[0]
	s := open(t, endpoint(f, h, ntlmEncrypted), remote.Options{MaxOutputBytes: 1000})
	defer s.Close()
	res, err := s.Run(context.Background(), remote.Command{Line: "netstat -ano"})
	wantClass(t, err, remote.ClassProtocol)
	if !errors.Is(err, remote.ErrOutputLimit) || len(res.Stdout)+len(res.Stderr) != 1000 {
		t.Errorf("%v, %d bytes kept", err, len(res.Stdout)+len(res.Stderr))
	}
	// The shell survives an oversized output.
	if r := run(t, s, "hostname"); r.ExitCode != 0 {
		t.Errorf("after the limit: %+v", r)
	}
	if st := s.Stats(); st.Shells != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestNewConnectionReauthenticates: when the connection is lost between
// commands (the host cut it, or it idled out), the next request
// authenticates a new connection and the shell goes on.
func TestNewConnectionReauthenticates(t *testing.T) {
	f := startFleet(t, 2, nil)
	t.Run("cut by the host", func(t *testing.T) {
		h := f.Hosts()[0]
		s := open(t, endpoint(f, h, ntlmEncrypted), remote.Options{})
		defer s.Close()
		run(t, s, "hostname")
		h.Endpoint.SetDown()
		if err := h.Endpoint.SetUp(); err != nil {
			t.Fatal(err)
		}
		if r := run(t, s, "hostname"); r.ExitCode != 0 {
			t.Errorf("%+v", r)
		}
		if st := s.Stats(); st.Connections != 2 || st.Shells != 1 {
			t.Errorf("stats %+v: want a second connection and the same shell", st)
		}
	})
	t.Run("idle timeout", func(t *testing.T) {
		h := f.Hosts()[1]
		s := open(t, endpoint(f, h, ntlmEncrypted), remote.Options{IdleTimeout: 50 * time.Millisecond})
		defer s.Close()
		run(t, s, "hostname")
		time.Sleep(150 * time.Millisecond)
		run(t, s, "hostname")
		if st := s.Stats(); st.Connections != 2 || st.Shells != 1 {
			t.Errorf("stats %+v: want a second connection and the same shell", st)
		}
	})
}
