package winhost

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestNetstatIntervalEndsWithCtx(t *testing.T) {
	h := newHost(t, baseSpec(Server2019), Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	var o strings.Builder
	if code := h.Exec(ctx, Command{Line: "netstat -an 1", Stdout: &o}); code != ExitTerminated {
		t.Errorf("exit %d", code)
	}
	if n := strings.Count(o.String(), "Active Connections"); n < 2 {
		t.Errorf("%d tables in 1.5 s with a 1 s interval", n)
	}
}

func TestNetstatWithoutN(t *testing.T) {
	spec := baseSpec(Server2019)
	spec.Connections = []Connection{
		{Local: netip.MustParseAddrPort("127.0.0.1:1031"), Remote: netip.MustParseAddrPort("127.0.0.1:1032"), State: Established, PID: 10},
		{Local: netip.MustParseAddrPort("10.1.2.3:50000"), Remote: netip.MustParseAddrPort("10.9.9.9:443"), State: Established, PID: 11},
	}
	h := newHost(t, spec, Options{})
	o := mustRun(t, h, "netstat")
	// The plain capture's layout: only connections, the foreign address
	// resolved (corpus netstat-plain-win10-jc.txt: "api:1032").
	want := "\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State\r\n" +
		"  TCP    10.1.2.3:50000         10.9.9.9:https         ESTABLISHED\r\n" +
		"  TCP    127.0.0.1:1031         WEB01:1032             ESTABLISHED\r\n"
	if o != want {
		t.Errorf("netstat:\n%q\nwant\n%q", o, want)
	}
	plain := string(corpus(t, "netstat-plain-win10-jc.txt"))
	if !strings.HasPrefix(plain, "\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State\r\n  TCP    127.0.0.1:1031         api:1032               ESTABLISHED\r\n") {
		t.Error("the plain capture does not have the layout this test assumes")
	}
}

func TestScStartStopAndShutdownAbort(t *testing.T) {
	rec := newRecorder()
	h := newHost(t, baseSpec(Server2019), Options{OnReachability: rec.fn, ServiceStepDelay: 10 * time.Millisecond})
	o, _, code := run(t, h, "sc stop W3SVC")
	if code != 0 || !strings.Contains(o, "STATE              : 3  STOP_PENDING \r\n") {
		t.Errorf("sc stop: %d %q", code, o)
	}
	if o, _, code := run(t, h, "sc stop HTTP"); code != 1051 || !strings.Contains(o, "FAILED 1051") {
		t.Errorf("sc stop with dependants: %d %q", code, o)
	}
	deadline := time.Now().Add(2 * time.Second)
	for h.ServiceState("W3SVC") != "STOPPED" && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	o, _, code = run(t, h, "sc start W3SVC")
	if code != 0 || !strings.Contains(o, "START_PENDING") || !strings.Contains(o, "PID                : 2268\r\n") {
		t.Errorf("sc start: %d %q", code, o)
	}
	if o, _, code := run(t, h, "sc start WinRM"); code != 1056 {
		t.Errorf("sc start of a running service: %d %q", code, o)
	}
	// shutdown /r /t 60, then /a: nothing happens.
	mustRun(t, h, "shutdown /r /t 60 /f")
	mustRun(t, h, "shutdown /a")
	if _, e, code := run(t, h, "shutdown /a"); code != 1116 || !strings.Contains(e, "(1116)") {
		t.Errorf("second abort: %d %q", code, e)
	}
	rec.none(t)
	// shutdown /s: down for good, until Reboot.
	mustRun(t, h, "shutdown /s /t 0")
	if rec.next(t) || h.Up() {
		t.Fatal("shutdown /s left the host up")
	}
	time.Sleep(20 * time.Millisecond)
	rec.none(t)
	h.Reboot()
	if !rec.next(t) || !h.Reachable(mgmt) {
		t.Error("Reboot did not bring the host back")
	}
}

func TestLocalizedDynamicPort(t *testing.T) {
	for loc, want := range map[string]string{
		"de-DE": "\r\n\r\nProtokoll tcp Dynamischer Portbereich\r\n---------------------------------\r\nStartport       : 49152\r\nAnzahl von Ports: 16384\r\n\r\n",
		"fr-FR": "\r\n\r\nPlage de ports dynamique du protocole tcp\r\n---------------------------------\r\nPort de d\x82marrage   : 49152\r\nNombre de ports     : 16384\r\n\r\n",
	} {
		spec := baseSpec(Server2019)
		spec.Locale = loc
		h := newHost(t, spec, Options{})
		if got := mustRun(t, h, "netsh int ipv4 show dynamicport tcp"); got != want {
			t.Errorf("%s: %q", loc, got)
		}
	}
}

func TestHeadersHaveTheSixteenColumnState(t *testing.T) {
	for _, tx := range []*texts{&textEN, &textDE, &textFR} {
		if !strings.HasPrefix(tx.netstatHdrPID, tx.netstatHdr) {
			t.Errorf("%q is not %q + PID", tx.netstatHdrPID, tx.netstatHdr)
		}
		state := tx.netstatHdrPID[strings.LastIndex(tx.netstatHdr, "  ")+2:]
		if len([]rune(state)) != 16+3 || !strings.HasSuffix(state, "PID") {
			t.Errorf("state column %q is not 16 wide", state)
		}
	}
}

func TestWithoutIIS(t *testing.T) {
	spec := baseSpec(Server2019)
	spec.WithoutIIS = true
	h := newHost(t, spec, Options{})
	ns := mustRun(t, h, "netstat -an")
	if strings.Contains(ns, "0.0.0.0:80 ") || !strings.Contains(ns, "0.0.0.0:5985 ") {
		t.Errorf("netstat of a host without IIS:\n%s", ns)
	}
	if _, e, code := run(t, h, "net start w3svc"); code != 2 || !strings.Contains(e, "2185") {
		t.Errorf("net start w3svc without IIS: %d %q", code, e)
	}
	o := mustRun(t, h, "net stop http /y")
	if strings.Contains(o, "World Wide Web") || !strings.Contains(o, "Windows Remote Management") {
		t.Errorf("net stop http /y: %q", o)
	}
}
