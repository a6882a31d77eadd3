package wsman

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// wmiFaultShape compares a quota fault with winrb/wmi_error_v2.xml, the
// real MaxShellsPerUser fault of Server 2012+, element by element (the
// fixture is pretty-printed with single quotes, hence the tree compare).
func TestQuotaShellsWmiShape(t *testing.T) {
	cfg := DefaultConfig()
	s := newTestService(t, cfg, &recorder{})
	m := newMZ(t, s)
	for i := 0; i < 30; i++ {
		if _, r := m.create(); r.Status != 200 {
			t.Fatalf("shell %d: %d %s", i+1, r.Status, r.Body)
		}
	}
	_, r := m.create()
	if r.Status != 500 {
		t.Fatalf("31st shell: status %d", r.Status)
	}
	want := parseTree(t, fixture(t, "winrb/wmi_error_v2.xml"))
	got := parseTree(t, r.Body)
	// The fixture lacks a:RelatesTo, and so do we (pywinrm's
	// test_wsman_fault_wmi_error_detail fixture, another real capture, too).
	if shape(got) != shape(want) {
		t.Errorf("quota fault shape differs\n got:\n%s\nwant:\n%s", shape(got), shape(want))
	}
	if n := s.Stats().Faults["2150859173"]; n != 1 {
		t.Errorf("fault count %d", n)
	}
	// Other users are not affected; Delete frees the quota.
	other := newMZ(t, s)
	other.user = "someone"
	if _, r := other.create(); r.Status != 200 {
		t.Errorf("other user: %d", r.Status)
	}
}

func TestQuotaLegacyShape(t *testing.T) {
	cfg := Config2008R2()
	cfg.MachineName = "server2008r2"
	s := newTestService(t, cfg, &recorder{})
	m := newMZ(t, s)
	var first string
	for i := 0; i < 5; i++ {
		id, r := m.create()
		if r.Status != 200 {
			t.Fatalf("shell %d: %d", i+1, r.Status)
		}
		if i == 0 {
			first = id
		}
	}
	req := []byte(winrmOpenShell(m))
	r := s.Handle(context.Background(), "vagrant", "127.0.0.1", req)
	if r.Status != 500 {
		t.Fatalf("6th shell on 2008 R2: %d", r.Status)
	}
	checkHeader(t, req, r.Body, true)
	f := parseTree(t, r.Body)
	wf := f.first(nsWsmFault, "WSManFault")
	if wf == nil || wf.attr("Code") != "2150859173" || wf.attr("Machine") != "server2008r2" {
		t.Fatalf("no f:WSManFault with the quota code: %s", r.Body)
	}
	if f.first("", "MSFT_WmiError") != nil {
		t.Error("2008 R2 fault carries MSFT_WmiError")
	}
	if sub := f.first(nsSOAP, "Subcode"); sub == nil || sub.kids[0].text != "w:QuotaLimit" {
		t.Error("subcode is not w:QuotaLimit")
	}
	if msg := wf.first(nsWsmFault, "Message").text; msg != "The WS-Management service cannot process the request. This user is allowed a maximum number of 5 concurrent shells, which has been exceeded. Close existing shells or raise the quota for this user. " {
		t.Errorf("message %q", msg)
	}
	if reason := f.first(nsSOAP, "Text").text; reason != textQuotaShells {
		t.Errorf("reason %q", reason)
	}
	if r := m.deleteShell(first); r.Status != 200 {
		t.Fatal("delete")
	}
	if _, r := m.create(); r.Status != 200 {
		t.Errorf("after Delete: %d", r.Status)
	}
}

const nsWmiError = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/MSFT_WmiError"

func winrmOpenShell(m *mz) string {
	msg := winrmOpenShellMsg(m)
	defer msg.Free()
	return msg.String()
}

// TestQuotaOperations: every Command counts until its shell is deleted,
// Signal does not give it back (MS-WSMV <118>, pywinrm #124).
func TestQuotaOperations(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		cfg := DefaultConfig()
		cfg.MaxConcurrentOperationsPerUser = 3
		cfg.LegacyFaults = legacy
		s := newTestService(t, cfg, &recorder{})
		m := newMZ(t, s)
		shell, _ := m.create()
		shell2, _ := m.create()
		for i := 0; i < 3; i++ {
			sh := shell
			if i == 2 {
				sh = shell2 // the quota is per user, across shells
			}
			cid, r := m.command(sh, "echo", "x")
			if r.Status != 200 {
				t.Fatalf("command %d: %d", i+1, r.Status)
			}
			m.collect(sh, cid)
			if r := m.signal(sh, cid); r.Status != 200 {
				t.Fatalf("signal: %d", r.Status)
			}
		}
		_, r := m.command(shell, "echo", "x")
		if r.Status != 500 {
			t.Fatalf("4th command: %d", r.Status)
		}
		f := parseTree(t, r.Body)
		if legacy {
			if wf := f.first(nsWsmFault, "WSManFault"); wf == nil || wf.attr("Code") != "2150859174" {
				t.Errorf("legacy fault: %s", r.Body)
			}
		} else {
			if c := f.first(nsWmiError, "error_Code"); c == nil || c.text != "2150859174" {
				t.Errorf("wmi fault: %s", r.Body)
			}
			if id := f.first(nsWmiError, "MessageID"); id == nil || id.text != "HRESULT 0x803381a6" {
				t.Errorf("MessageID %v", id)
			}
			if f.first(nsAddr, "RelatesTo") != nil {
				t.Error("MSFT_WmiError fault with RelatesTo")
			}
		}
		msg := "The WS-Management service cannot process the request. This user is allowed a maximum number of 3 concurrent operations, which has been exceeded. Close existing operations for this user, or raise the quota for this user. "
		if !strings.Contains(string(r.Body), msg) {
			t.Errorf("message missing: %s", r.Body)
		}
		// masterzen: "unsupported action"; pywinrm: WinRMError with the reason.
		if _, err := winrmParseCommand(r.Body); err == nil {
			t.Error("masterzen accepted the fault")
		}
		// Deleting the shell with two used operations frees them.
		if r := m.deleteShell(shell); r.Status != 200 {
			t.Fatal("delete")
		}
		for i := 0; i < 2; i++ {
			if _, r := m.command(shell2, "echo", "y"); r.Status != 200 {
				t.Fatalf("after delete, command %d: %d", i+1, r.Status)
			}
		}
		if _, r := m.command(shell2, "echo", "z"); r.Status != 500 {
			t.Fatalf("quota not enforced again: %d", r.Status)
		}
		if n := s.Stats().Faults["2150859174"]; n != 2 {
			t.Errorf("fault count %d", n)
		}
	}
}

func TestQuotaUsers(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxConcurrentUsers = 2
	s := newTestService(t, cfg, &recorder{})
	a, b, c := newMZ(t, s), newMZ(t, s), newMZ(t, s)
	a.user, b.user, c.user = "alice", "bob", "carol"
	if _, r := a.create(); r.Status != 200 {
		t.Fatal(r.Status)
	}
	bobShell, r := b.create()
	if r.Status != 200 {
		t.Fatal(r.Status)
	}
	_, r = c.create()
	if r.Status != 500 {
		t.Fatalf("third user: %d", r.Status)
	}
	f := parseTree(t, r.Body)
	if code := f.first(nsWmiError, "error_Code"); code == nil || code.text != "2150859179" {
		t.Errorf("fault %s", r.Body)
	}
	if sub := f.first(nsSOAP, "Subcode"); sub == nil || sub.kids[0].text != "w:QuotaLimit" {
		t.Error("not w:QuotaLimit")
	}
	// A user who already has a shell may open more; user names are
	// case-insensitive.
	a.user = "ALICE"
	if _, r := a.create(); r.Status != 200 {
		t.Errorf("existing user: %d", r.Status)
	}
	if r := b.deleteShell(bobShell); r.Status != 200 {
		t.Fatal("delete")
	}
	if _, r := c.create(); r.Status != 200 {
		t.Errorf("after bob left: %d", r.Status)
	}
	if n := s.Stats().Faults["2150859179"]; n != 1 {
		t.Errorf("count %d", n)
	}
}

// TestIdleTimeout uses an injected clock: a shell without traffic for
// IdleTimeout is deleted, its command cancelled, and later requests get the
// shell-not-found fault; a shell with a request in progress is not idle.
func TestIdleTimeout(t *testing.T) {
	clock := newFakeClock()
	var cancelled atomic.Int32
	b := backendFunc(func(ctx context.Context, req ExecRequest) int {
		<-ctx.Done()
		cancelled.Add(1)
		return 1
	})
	cfg := DefaultConfig()
	cfg.Now = clock.Now
	cfg.IdleTimeout = 10 * time.Minute
	cfg.MaxTimeout = 200 * time.Millisecond
	s := newTestService(t, cfg, b)
	m := newMZ(t, s)
	idle, _ := m.create()
	busy, _ := m.create()
	idleCmd, _ := m.command(idle, "pause")
	busyCmd, _ := m.command(busy, "pause")

	clock.Advance(9 * time.Minute)
	if r := m.receive(idle, idleCmd); r.Status != 500 || !strings.Contains(string(r.Body), "w:TimedOut") {
		t.Fatalf("receive: %d %s", r.Status, r.Body)
	}
	// The Receive was traffic: 9 more minutes are not enough.
	clock.Advance(9 * time.Minute)
	s.sweepIdle()
	if s.Stats().ShellsOpen != 1 {
		t.Fatalf("open shells %d, want only the idle-reset one", s.Stats().ShellsOpen)
	}
	waitFor(t, "busy shell's command cancelled", func() bool { return cancelled.Load() == 1 })
	r := m.receive(busy, busyCmd)
	if r.Status != 500 || !strings.Contains(string(r.Body), "The request for the Windows Remote Shell with ShellId "+busy+" failed because the shell was not found on the server.") {
		t.Fatalf("after idle timeout: %d %s", r.Status, r.Body)
	}

	// A long poll in progress keeps the shell alive.
	done := make(chan Response)
	go func() { done <- m.receive(idle, idleCmd) }()
	waitFor(t, "receive in flight", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		sh := s.shells[idle]
		return sh != nil && sh.inflight == 1
	})
	clock.Advance(time.Hour)
	s.sweepIdle()
	if s.Stats().ShellsOpen != 1 {
		t.Error("shell with a request in flight was deleted")
	}
	<-done
	clock.Advance(10 * time.Minute)
	// The next request of anyone sweeps.
	if _, r := m.create(); r.Status != 200 {
		t.Fatal(r.Status)
	}
	if s.Stats().ShellsOpen != 1 {
		t.Errorf("idle shell survived: %d open", s.Stats().ShellsOpen)
	}
	waitFor(t, "second cancellation", func() bool { return cancelled.Load() == 2 })
}

// TestIdleTimeoutRequested: a client's rsp:IdleTimeOut is honoured below
// the server's, echoed as PT60.000S, and the janitor enforces it in real
// time without further traffic.
func TestIdleTimeoutRequested(t *testing.T) {
	cfg := DefaultConfig()
	cfg.IdleTimeout = 1500 * time.Millisecond
	s := newTestService(t, cfg, &recorder{})
	req := fixture(t, "pypsrp/test_winrs_extra_opts/01-Create-request.xml") // IdleTimeOut PT60S
	r := handle(s, req)
	if !strings.Contains(string(r.Body), "<rsp:IdleTimeOut>PT1.500S</rsp:IdleTimeOut>") {
		t.Errorf("server limit not applied: %s", r.Body)
	}
	waitFor(t, "janitor deletes the idle shell", func() bool { return s.Stats().ShellsOpen == 0 })

	cfg.IdleTimeout = time.Hour
	s2 := newTestService(t, cfg, &recorder{})
	if r := handle(s2, req); !strings.Contains(string(r.Body), "<rsp:IdleTimeOut>PT60.000S</rsp:IdleTimeOut>") {
		t.Errorf("requested idle timeout not echoed: %s", r.Body)
	}
}

// TestQuotaNegative: a negative quota allows nothing (the fleet uses it for
// hosts whose shells are all taken by someone else).
func TestQuotaNegative(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxShellsPerUser = -1
	s := newTestService(t, cfg, &recorder{})
	_, r := newMZ(t, s).create()
	f := parseTree(t, r.Body)
	if c := f.first(nsWmiError, "error_Code"); r.Status != 500 || c == nil || c.text != "2150859173" {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	if !strings.Contains(string(r.Body), "maximum number of 0 concurrent shells") {
		t.Errorf("message: %s", r.Body)
	}
}
