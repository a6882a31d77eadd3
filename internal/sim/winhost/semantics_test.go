package winhost

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"
)

var mgmt = netip.MustParseAddr("127.0.10.1")

func TestRegAddThenQuery(t *testing.T) {
	h := newHost(t, baseSpec(Server2019), Options{})
	const key = `HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters`
	for _, tc := range []struct{ add, want string }{
		{`/v TcpTimedWaitDelay /t REG_DWORD /d 30 /f`, "    TcpTimedWaitDelay    REG_DWORD    0x1e\r\n"},
		{`/v MaxUserPort /t REG_DWORD /d 0xfffe /f`, "    MaxUserPort    REG_DWORD    0xfffe\r\n"},
		{`/v Big /t REG_QWORD /d 4294967296 /f`, "    Big    REG_QWORD    0x100000000\r\n"},
		{`/v Blob /t REG_BINARY /d 0a0B /f`, "    Blob    REG_BINARY    0A0B\r\n"},
		{`/v List /t REG_MULTI_SZ /d "a\0b c" /f`, "    List    REG_MULTI_SZ    a\\0b c\r\n"},
		{`/v Sep /t REG_MULTI_SZ /s , /d "x,y" /f`, "    Sep    REG_MULTI_SZ    x\\0y\r\n"},
		// On the command line (not in a batch file) cmd expands %%X%% to %value%;
		// the way to pass %SystemRoot% through is %SystemRoot^% outside quotes
		// (inside quotes ^ is not an escape).
		{`/v Path /t REG_EXPAND_SZ /d %SystemRoot^%\x /f`, "    Path    REG_EXPAND_SZ    %SystemRoot%\\x\r\n"},
		{`/v Path2 /t REG_EXPAND_SZ /d %%SystemRoot%%\x /f`, "    Path2    REG_EXPAND_SZ    %C:\\Windows%\\x\r\n"},
		{`/v Empty /f`, "    Empty    REG_SZ    \r\n"},
		{`/v Nothing /t REG_NONE /f`, "    Nothing    REG_NONE    \r\n"},
		{`/ve /d "default data" /f`, "    (Default)    REG_SZ    default data\r\n"},
	} {
		mustRun(t, h, `reg add "`+key+`" `+tc.add)
		name := strings.Fields(strings.TrimSpace(tc.want))[0]
		q := `/v ` + name
		if name == "(Default)" {
			q = "/ve"
		}
		got := mustRun(t, h, `reg query "`+key+`" `+q)
		want := "\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters\r\n" + tc.want + "\r\n"
		if got != want {
			t.Errorf("after reg add %s:\nwant %q\ngot  %q", tc.add, want, got)
		}
	}
	if v, ok := h.RegistryValue(key, "TcpTimedWaitDelay"); !ok || v.Data != "0x1e" || v.Type != "REG_DWORD" {
		t.Errorf("RegistryValue = %+v, %v", v, ok)
	}
	// Delete, then the value is gone again.
	mustRun(t, h, `reg delete "`+key+`" /v TcpTimedWaitDelay /f`)
	if _, _, code := run(t, h, `reg query "`+key+`" /v TcpTimedWaitDelay`); code != 1 {
		t.Errorf("deleted value still found (exit %d)", code)
	}
	if _, e, code := run(t, h, `reg delete "`+key+`" /v TcpTimedWaitDelay /f`); code != 1 || !strings.Contains(e, "unable to find") {
		t.Errorf("deleting a missing value: exit %d %q", code, e)
	}
	// Defaults per release: no MaxUserPort from 2008 on, 5000 on 2003.
	h2 := newHost(t, baseSpec(Server2003), Options{})
	if v, ok := h2.RegistryValue(key, "MaxUserPort"); !ok || v.Data != "0x1388" {
		t.Errorf("2003 MaxUserPort = %+v %v, want 0x1388", v, ok)
	}
	if _, ok := newHost(t, baseSpec(Server2012R2), Options{}).RegistryValue(key, "MaxUserPort"); ok {
		t.Error("2012 R2 has MaxUserPort by default")
	}
	if v, _ := h.RegistryValue(key, "Hostname"); v.Data != "WEB01" {
		t.Errorf("Hostname = %q", v.Data)
	}
}

func TestRegErrorsAndHives(t *testing.T) {
	h := newHost(t, baseSpec(Server2019), Options{})
	for _, tc := range []struct {
		line, stderr string
	}{
		{`reg`, "ERROR: Invalid syntax.\r\nType \"REG /?\" for usage.\r\n"},
		{`reg query`, "ERROR: Invalid syntax.\r\nType \"REG QUERY /?\" for usage.\r\n"},
		{`reg query HKXX\Software`, "ERROR: Invalid key name.\r\nType \"REG QUERY /?\" for usage.\r\n"},
		{`reg query HKLM\Software\NoSuchKey`, regNotFound},
		{`reg add HKLM\Software\X /v n /t REG_DWORD /d abc /f`, "ERROR: Invalid syntax.\r\nType \"REG ADD /?\" for usage.\r\n"},
		{`reg add HKLM\Software\X /v n /t REG_DWORD /d 4294967296 /f`, "ERROR: Invalid syntax.\r\nType \"REG ADD /?\" for usage.\r\n"},
		{`reg add HKLM\Software\X /v n /t REG_FOO /d 1 /f`, "ERROR: Invalid syntax.\r\nType \"REG ADD /?\" for usage.\r\n"},
		{`reg query HKLM\Software /v a /ve`, "ERROR: Invalid syntax.\r\nType \"REG QUERY /?\" for usage.\r\n"},
	} {
		o, e, code := run(t, h, tc.line)
		if code != 1 || e != tc.stderr || o != "" {
			t.Errorf("%s: exit %d stdout %q stderr %q", tc.line, code, o, e)
		}
	}
	// HKCU is per user; HKLM is shared.
	runIn(t, h, Command{Line: `reg add "HKCU\Software\Microsoft\Windows\CurrentVersion\Internet Settings" /v MaxConnectionsPerServer /t REG_DWORD /d 16 /f`, User: "alice"})
	if o, _, _ := runIn(t, h, Command{Line: `reg query "HKCU\Software\Microsoft\Windows\CurrentVersion\Internet Settings" /v MaxConnectionsPerServer`, User: "alice"}); !strings.Contains(o, "0x10") {
		t.Errorf("alice does not see her value: %q", o)
	}
	if _, _, code := runIn(t, h, Command{Line: `reg query "HKCU\Software\Microsoft\Windows\CurrentVersion\Internet Settings" /v MaxConnectionsPerServer`, User: "bob"}); code != 1 {
		t.Error("bob sees alice's HKCU value")
	}
	// A new key and its parents; a query lists subkeys after the values.
	mustRun(t, h, `reg add HKLM\SOFTWARE\Fleet\A\B /v x /d 1 /f`)
	o := mustRun(t, h, `reg query HKLM\SOFTWARE\Fleet\A`)
	if o != "\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Fleet\\A\\B\r\n" {
		t.Errorf("query of a key with only a subkey: %q", o)
	}
	mustRun(t, h, `reg delete HKLM\SOFTWARE\Fleet /f`)
	if _, _, code := run(t, h, `reg query HKLM\SOFTWARE\Fleet\A\B`); code != 1 {
		t.Error("deleted key's subkey survives")
	}
	s := mustRun(t, h, `reg query HKLM\SYSTEM\CurrentControlSet\Services\Tcpip /s`)
	if !strings.Contains(s, "\\Tcpip\\Parameters\r\n    NV Hostname    REG_SZ    WEB01\r\n") {
		t.Errorf("reg query /s: %q", s)
	}
	f := mustRun(t, h, `reg query HKLM\SYSTEM\CurrentControlSet\Services /v DisplayName /s`)
	if !strings.Contains(f, "\\Services\\WinRM\r\n    DisplayName    REG_SZ    Windows Remote Management (WS-Management)\r\n") ||
		!strings.Contains(f, "match(es) found.") {
		t.Errorf("reg query /v /s: %q", f)
	}
}

// TestRegAddPromptHangs: without /f an existing value makes reg ask,
// and a WinRM command without input waits until it is cut.
func TestRegAddPromptHangs(t *testing.T) {
	h := newHost(t, baseSpec(Server2019), Options{})
	const line = `reg add HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters /v Hostname /d OTHER`
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	var o strings.Builder
	start := time.Now()
	code := h.Exec(ctx, Command{Line: line, Stdout: &o})
	if code != ExitTerminated || time.Since(start) < 90*time.Millisecond {
		t.Errorf("exit %d after %v, want a hang ended by ctx", code, time.Since(start))
	}
	if o.String() != "Value Hostname exists, overwrite(Yes/No)? " {
		t.Errorf("prompt %q", o.String())
	}
	if v, _ := h.RegistryValue(`HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters`, "Hostname"); v.Data != "WEB01" {
		t.Error("value changed without an answer")
	}
	out, _, code := runIn(t, h, Command{Line: line, Stdin: strings.NewReader("yes\r\n")})
	if code != 0 || !strings.HasSuffix(out, regOK) {
		t.Errorf("answered yes: exit %d %q", code, out)
	}
	_, _, code = runIn(t, h, Command{Line: line, Stdin: strings.NewReader("n\r\n")})
	if code != 1 {
		t.Errorf("answered no: exit %d", code)
	}
}

// TestListenListTakesEffectOnHTTPRestart is the central http.sys rule: a
// listen-list change shows at once in netsh but reaches netstat and WinRM
// only when HTTP starts again; stopping HTTP stops WinRM (the session is
// cut), and `net start w3svc` does not start WinRM again.
func TestListenListTakesEffectOnHTTPRestart(t *testing.T) {
	rec := newRecorder()
	h := newHost(t, baseSpec(Server2019), Options{OnReachability: rec.fn})
	before := mustRun(t, h, "netstat -ano")
	mustRun(t, h, "netsh http add iplisten ipaddress=10.1.2.3")
	if got := mustRun(t, h, "netsh http show iplisten"); !strings.Contains(got, "    10.1.2.3\r\n") {
		t.Errorf("show iplisten lacks the new entry: %q", got)
	}
	if v, _ := h.RegistryValue(keyHTTP, "ListenOnlyList"); v.Type != "REG_MULTI_SZ" || v.Data != "10.1.2.3" {
		t.Errorf("ListenOnlyList = %+v", v)
	}
	if after := mustRun(t, h, "netstat -ano"); after != before {
		t.Error("netstat changed before HTTP restarted")
	}
	if !h.Reachable(mgmt) || len(h.ListenListInEffect()) != 0 {
		t.Fatal("the change took effect at once")
	}
	rec.none(t)

	out := mustRun(t, h, "net stop http /y")
	if !strings.Contains(out, "   Windows Remote Management (WS-Management)\r\n") || strings.Contains(out, "(Y/N)") {
		t.Errorf("net stop http /y:\n%s", out)
	}
	if rec.next(t) {
		t.Fatal("stopping WinRM did not report unreachable")
	}
	if h.ServiceState("HTTP") != "STOPPED" || h.ServiceState("W3SVC") != "STOPPED" || h.ServiceState("Spooler") != "STOPPED" {
		t.Error("dependants still run")
	}
	mustRun(t, h, "net start w3svc")
	if h.ServiceState("WAS") != "RUNNING" || h.ServiceState("HTTP") != "RUNNING" || h.ServiceState("WinRM") != "STOPPED" {
		t.Errorf("after net start w3svc: WAS %s HTTP %s WinRM %s", h.ServiceState("WAS"), h.ServiceState("HTTP"), h.ServiceState("WinRM"))
	}
	ns := mustRun(t, h, "netstat -ano")
	if !strings.Contains(ns, "  TCP    10.1.2.3:80            0.0.0.0:0              LISTENING       4\r\n") ||
		strings.Contains(ns, "0.0.0.0:80 ") || strings.Contains(ns, "[::]:80 ") || strings.Contains(ns, ":5985") {
		t.Errorf("netstat after restart:\n%s", ns)
	}
	if got := h.ListenListInEffect(); len(got) != 1 || got[0] != netip.MustParseAddr("10.1.2.3") {
		t.Errorf("in effect %v", got)
	}
	// WinRM comes back, but the list lacks the management address: the
	// host stays cut off from fleetport, reachable only on 10.1.2.3.
	mustRun(t, h, "net start winrm")
	if h.Reachable(mgmt) || !h.Reachable(netip.MustParseAddr("10.1.2.3")) {
		t.Error("reachability does not follow the list in effect")
	}
	rec.none(t)
}

// TestScheduledTaskBringsWinRMBack: the remediation path fleetport uses.
func TestScheduledTaskBringsWinRMBack(t *testing.T) {
	rec := newRecorder()
	h := newHost(t, baseSpec(Server2022), Options{OnReachability: rec.fn, Now: func() time.Time {
		return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	}})
	mustRun(t, h, "netsh http add iplisten ipaddress=127.0.10.1")
	mustRun(t, h, "netsh http add iplisten ipaddress=10.1.2.3")
	out := mustRun(t, h, `schtasks /create /tn FleetportApply /tr "cmd /c \"net stop http /y ^& net start http ^& net start winrm ^& net start w3svc\"" /sc once /st 00:00 /ru SYSTEM /f`)
	want := "WARNING: Task may not run because /ST is earlier than current time.\r\nSUCCESS: The scheduled task \"FleetportApply\" has successfully been created.\r\n"
	if out != want {
		t.Errorf("schtasks /create: %q", out)
	}
	q := mustRun(t, h, "schtasks /query /tn FleetportApply")
	if q != "\r\nFolder: \\\r\nTaskName                                 Next Run Time          Status         \r\n"+
		"======================================== ====================== ===============\r\n"+
		"FleetportApply                           N/A                    Ready          \r\n" {
		t.Errorf("schtasks /query: %q", q)
	}
	if got := mustRun(t, h, "schtasks /run /tn FleetportApply"); got != "SUCCESS: Attempted to run the scheduled task \"FleetportApply\".\r\n" {
		t.Errorf("schtasks /run: %q", got)
	}
	if rec.next(t) || !rec.next(t) {
		t.Fatal("want unreachable, then reachable")
	}
	h.Close() // waits for the task
	if !h.Reachable(mgmt) || h.ServiceState("W3SVC") != "RUNNING" || h.ServiceState("Spooler") != "STOPPED" {
		t.Errorf("after the task: reachable %v W3SVC %s Spooler %s", h.Reachable(mgmt), h.ServiceState("W3SVC"), h.ServiceState("Spooler"))
	}
	ns := mustRun(t, h, "netstat -an")
	for _, want := range []string{"127.0.10.1:5985", "10.1.2.3:80", "127.0.10.1:47001"} {
		if !strings.Contains(ns, "  TCP    "+want+" ") {
			t.Errorf("netstat lacks %s", want)
		}
	}
	if strings.Contains(ns, "0.0.0.0:5985") {
		t.Error("http.sys still on 0.0.0.0")
	}
	var task int
	for _, a := range h.Audit() {
		if a.Task {
			task++
			if a.User != "SYSTEM" {
				t.Errorf("task ran as %q", a.User)
			}
		}
	}
	if task != 1 {
		t.Errorf("%d task entries in the audit", task)
	}
	if got := mustRun(t, h, "schtasks /delete /tn FleetportApply /f"); got != "SUCCESS: The scheduled task \"FleetportApply\" was successfully deleted.\r\n" {
		t.Errorf("schtasks /delete: %q", got)
	}
	if _, e, code := run(t, h, "schtasks /run /tn FleetportApply"); code != 1 || e != schtasksNoTask {
		t.Errorf("run of a deleted task: %d %q", code, e)
	}
}

func TestNetStopWithoutYPrompts(t *testing.T) {
	h := newHost(t, baseSpec(Server2019), Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	var o strings.Builder
	if code := h.Exec(ctx, Command{Line: "net stop http", Stdout: &o}); code != ExitTerminated {
		t.Errorf("exit %d, want a hang", code)
	}
	if !strings.HasSuffix(o.String(), "\r\nDo you want to continue this operation? (Y/N) [N]: ") {
		t.Errorf("prompt: %q", o.String())
	}
	if h.ServiceState("HTTP") != "RUNNING" || h.ServiceState("WinRM") != "RUNNING" {
		t.Error("services stopped without an answer")
	}
	out, _, code := runIn(t, h, Command{Line: "net stop http", Stdin: strings.NewReader("Y\r\n")})
	if code != 0 || !strings.HasSuffix(out, "The HTTP Service service was stopped successfully.\r\n\r\n") {
		t.Errorf("answered Y: %d %q", code, out)
	}
}

func TestNetErrors(t *testing.T) {
	h := newHost(t, baseSpec(Server2019), Options{})
	for _, tc := range []struct{ line, stderr string }{
		{"net start w3svc", "The requested service has already been started.\r\n\r\nMore help is available by typing NET HELPMSG 2182.\r\n\r\n"},
		{"net stop nosuch", "The service name is invalid.\r\n\r\nMore help is available by typing NET HELPMSG 2185.\r\n\r\n"},
		{"net stop ssdpsrv", "The SSDP Discovery service is not started.\r\n\r\nMore help is available by typing NET HELPMSG 3521.\r\n\r\n"},
		{"net start ssdpsrv", "System error 1058 has occurred.\r\n\r\nThe service cannot be started, either because it is disabled or because it has no enabled devices associated with it.\r\n\r\n"},
		{"net stop rpcss", "The requested pause, continue, or stop is not valid for this service.\r\n\r\nMore help is available by typing NET HELPMSG 2191.\r\n\r\n"},
	} {
		o, e, code := run(t, h, tc.line)
		if code != 2 || e != tc.stderr || o != "" {
			t.Errorf("%s: exit %d stdout %q stderr %q", tc.line, code, o, e)
		}
	}
	// Display names work too; a stop without dependants has no list.
	if o := mustRun(t, h, `net stop "World Wide Web Publishing Service"`); strings.Contains(o, "dependent") {
		t.Errorf("W3SVC has no dependants: %q", o)
	}
	// sc query of a stopped service after a stop: exit code 0, no controls.
	if o := mustRun(t, h, "sc query W3SVC"); o != "\r\nSERVICE_NAME: W3SVC \r\n        TYPE               : 20  WIN32_SHARE_PROCESS  \r\n"+
		"        STATE              : 1  STOPPED \r\n        WIN32_EXIT_CODE    : 0  (0x0)\r\n        SERVICE_EXIT_CODE  : 0  (0x0)\r\n"+
		"        CHECKPOINT         : 0x0\r\n        WAIT_HINT          : 0x0\r\n\r\n" {
		t.Errorf("sc query W3SVC: %q", o)
	}
	if o := mustRun(t, h, "sc query SSDPSRV"); !strings.Contains(o, "WIN32_EXIT_CODE    : 1077  (0x435)") {
		t.Errorf("never-started service: %q", o)
	}
	if o, _, code := run(t, h, "sc query nosuch"); code != 1060 || !strings.Contains(o, "FAILED 1060") {
		t.Errorf("sc query nosuch: %d %q", code, o)
	}
}

// TestRebootAppliesBootValues: MaxUserPort and TcpTimedWaitDelay are read
// at boot; the piles are gone after it.
func TestRebootAppliesBootValues(t *testing.T) {
	rec := newRecorder()
	spec := baseSpec(Server2003)
	remote := netip.MustParseAddrPort("10.0.0.9:1433")
	spec.Piles = []Pile{{Remote: remote, Count: 5000}}
	h := newHost(t, spec, Options{OnReachability: rec.fn, RebootDuration: 20 * time.Millisecond})
	if s, n := h.DynamicPortRangeInEffect(); s != 1025 || n != 3976 {
		t.Fatalf("2003 client ports %d/%d, want 1025/3976", s, n)
	}
	// The pile fills the range but for the ports listeners hold there.
	held := map[string]bool{}
	for _, line := range strings.Split(mustRun(t, h, "netstat -an"), "\r\n") {
		f := strings.Fields(line)
		if len(f) == 4 && f[0] == "TCP" && f[3] == "LISTENING" {
			ap, err := netip.ParseAddrPort(f[1])
			if err == nil && ap.Port() >= 1025 && ap.Port() <= 5000 {
				held[fmt.Sprint(ap.Port())] = true
			}
		}
	}
	if len(held) == 0 {
		t.Fatal("no listener in 1025..5000 on a 2003 host: the test would not show the skipping")
	}
	ns := mustRun(t, h, "netstat -n")
	if c := strings.Count(ns, "TIME_WAIT"); c != 3976-len(held) {
		t.Errorf("%d TIME_WAIT rows, want the range's 3976 less %d held ports", c, len(held))
	}
	if !strings.Contains(ns, ":5000 ") || strings.Contains(ns, ":5001 ") {
		t.Error("pile ports do not end at 5000")
	}
	for p := range held {
		if strings.Contains(ns, ":"+p+" ") {
			t.Errorf("a pile socket uses port %s, which a listener holds", p)
		}
	}
	const key = `HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters`
	mustRun(t, h, `reg add `+key+` /v MaxUserPort /t REG_DWORD /d 65534 /f`)
	mustRun(t, h, `reg add `+key+` /v TcpTimedWaitDelay /t REG_DWORD /d 30 /f`)
	if h.MaxUserPortInEffect() != 5000 || h.TcpTimedWaitDelayInEffect() != 240 {
		t.Error("registry values took effect before the reboot")
	}
	if s, n := h.DynamicPortRange(); s != 1025 || n != 64510 {
		t.Errorf("configured range %d/%d", s, n)
	}
	if _, _, code := run(t, h, "shutdown /r /t 0 /f"); code != 0 {
		t.Fatal("shutdown failed")
	}
	if rec.next(t) {
		t.Fatal("no unreachable event on shutdown")
	}
	if code := h.Exec(context.Background(), Command{Line: "ver"}); code != ExitHostDown && h.Up() {
		t.Errorf("command on a rebooting host: %d", code)
	}
	if !rec.next(t) {
		t.Fatal("no reachable event after boot")
	}
	if h.MaxUserPortInEffect() != 65534 || h.TcpTimedWaitDelayInEffect() != 30 {
		t.Errorf("after boot: MaxUserPort %d TcpTimedWaitDelay %d", h.MaxUserPortInEffect(), h.TcpTimedWaitDelayInEffect())
	}
	if len(h.Piles()) != 0 || strings.Contains(mustRun(t, h, "netstat -n"), "TIME_WAIT") {
		t.Error("TIME_WAIT pile survived the reboot")
	}
	if s, n := h.DynamicPortRangeInEffect(); s != 1025 || n != 64510 {
		t.Errorf("range in effect %d/%d", s, n)
	}
	h.AddPile(Pile{Remote: remote, Count: 10000})
	if c := strings.Count(mustRun(t, h, "netstat -n"), "TIME_WAIT"); c != 10000 {
		t.Errorf("%d rows after the larger range", c)
	}
}

func TestDynamicPortRangeAppliesAtOnce(t *testing.T) {
	spec := baseSpec(Server2019)
	remote := netip.MustParseAddrPort("10.0.0.9:1433")
	spec.Piles = []Pile{{Remote: remote, Count: 300}}
	h := newHost(t, spec, Options{})
	check := func(lo, hi int) {
		t.Helper()
		n := 0
		for _, l := range strings.Split(mustRun(t, h, "netstat -ano"), "\r\n") {
			if !strings.Contains(l, "TIME_WAIT") {
				continue
			}
			n++
			f := strings.Fields(l)
			port, _ := strconv.Atoi(f[1][strings.LastIndexByte(f[1], ':')+1:])
			if port < lo || port > hi || f[4] != "0" || !strings.HasPrefix(f[1], "127.0.10.1:") {
				t.Fatalf("row %q outside %d..%d", l, lo, hi)
			}
		}
		if n != min(300, hi-lo+1) {
			t.Errorf("%d rows", n)
		}
	}
	check(49152, 65535)
	mustRun(t, h, "netsh int ipv4 set dynamicport tcp start=10000 num=1000")
	check(10000, 10999)
	mustRun(t, h, "netsh interface ipv4 set dynamicport tcp start=20000 numberofports=255 store=persistent")
	check(20000, 20254)
	for _, bad := range []string{"start=1024 num=1000", "start=10000 num=254", "start=65000 num=1000", "start=x num=300"} {
		if o, _, code := run(t, h, "netsh int ipv4 set dynamicport tcp "+bad); code != 1 || o != netshBadParam {
			t.Errorf("%s: exit %d %q", bad, code, o)
		}
	}
	if s, n := h.DynamicPortRangeInEffect(); s != 20000 || n != 255 {
		t.Errorf("a rejected set changed the range: %d/%d", s, n)
	}
	h.RemovePiles(remote)
	if strings.Contains(mustRun(t, h, "netstat -an"), "TIME_WAIT") {
		t.Error("RemovePiles left rows")
	}
}

func TestNetshErrors(t *testing.T) {
	h := newHost(t, baseSpec(Server2019), Options{})
	for _, tc := range []struct {
		line, out string
		code      int
	}{
		{"netsh http delete iplisten ipaddress=10.9.9.9", "\r\nIP address delete failed, Error: 1168\r\nElement not found.\r\n\r\n", 1},
		{"netsh http add iplisten ipaddress=not-an-ip", netshBadParam, 1},
		{"netsh http sh iplisten", "\r\nIP addresses present in the IP listen list:\r\n-------------------------------------------\r\n\r\n\r\n\r\n", 0},
		{"netsh foo bar", "The following command was not found: foo bar.\r\n", 1},
		{"netsh int ipv4 set dynamicport tcp start=10000", netshMissing, 1},
	} {
		o, _, code := run(t, h, tc.line)
		if o != tc.out || code != tc.code {
			t.Errorf("%s: exit %d %q", tc.line, code, o)
		}
	}
	if o, _, _ := run(t, h, "netsh http add iplisten address=10.1.2.3"); !strings.Contains(o, "Usage: add iplisten") {
		t.Errorf("the old address= keyword: %q", o)
	}
	mustRun(t, h, "netsh http add iplisten ip=10.1.2.3:8080")
	if got := h.ListenListConfigured(); len(got) != 1 || got[0] != netip.MustParseAddr("10.1.2.3") {
		t.Errorf("configured %v", got)
	}
	mustRun(t, h, "netsh http delete iplisten 10.1.2.3:8080")
	if _, ok := h.RegistryValue(keyHTTP, "ListenOnlyList"); ok {
		t.Error("an empty list leaves the value behind")
	}
}

func TestReleaseDifferences(t *testing.T) {
	old := newHost(t, baseSpec(Server2003), Options{})
	for _, tc := range []struct {
		line string
		code int
		out  string
	}{
		{"netsh http show iplisten", 1, "The following command was not found: http show iplisten.\r\n"},
		{"netsh int ipv4 show dynamicport tcp", 1, "The following command was not found: int ipv4 show dynamicport tcp.\r\n"},
		{"httpcfg set iplisten -i 10.1.2.3", 0, "HttpSetServiceConfiguration completed with 0.\r\n"},
		{"httpcfg set iplisten -i 10.1.2.3", 183, "HttpSetServiceConfiguration completed with 183.\r\n"},
		{"httpcfg query iplisten", 0, "    IP                      : 10.1.2.3\r\n" + httpcfgSeparator},
		{"httpcfg delete iplisten -i 10.1.2.3", 0, "HttpDeleteServiceConfiguration completed with 0.\r\n"},
		{"httpcfg set iplisten -i bogus", 1, "bogus is not a valid IP address.\r\n"},
		{"ver", 0, "\r\nMicrosoft Windows [Version 5.2.3790]\r\n"},
	} {
		o, _, code := run(t, old, tc.line)
		if code != tc.code || o != tc.out {
			t.Errorf("2003 %s: exit %d %q", tc.line, code, o)
		}
	}
	if _, e, code := run(t, old, "powershell -Command Get-Date"); code != ExitNotRecognized || !strings.Contains(e, "'powershell' is not recognized") {
		t.Errorf("2003 powershell: %d %q", code, e)
	}
	if ns := mustRun(t, old, "netstat -an"); strings.Contains(ns, "[::]") {
		t.Error("2003 lists IPv6 sockets")
	}
	o2 := mustRun(t, old, "net stop http /y")
	if !strings.Contains(o2, "The following services are dependent on the HTTP service.") || !strings.Contains(o2, "   HTTP SSL\r\n") {
		t.Errorf("2003 net stop http /y: %q", o2)
	}
	mustRun(t, old, "net start w3svc")
	if old.ServiceState("HTTPFilter") != "RUNNING" || old.ServiceState("HTTP") != "RUNNING" {
		t.Error("net start w3svc on 2003 does not start HTTP SSL and HTTP")
	}

	newer := newHost(t, baseSpec(Server2008R2), Options{})
	if _, _, code := run(t, newer, "httpcfg query iplisten"); code != ExitNotRecognized {
		t.Errorf("2008 R2 httpcfg: %d", code)
	}
	if o := mustRun(t, newer, "ver"); o != "\r\nMicrosoft Windows [Version 6.1.7601]\r\n" {
		t.Errorf("ver %q", o)
	}
	// Print Spooler depends on HTTP from 2019 only.
	if o := mustRun(t, newer, "net stop http /y"); strings.Contains(o, "Print Spooler") {
		t.Error("2008 R2 Spooler depends on HTTP")
	}
}

func TestCmdParsing(t *testing.T) {
	h := newHost(t, baseSpec(Server2019), Options{})
	for _, tc := range []struct {
		line, out, err string
		code           int
	}{
		{"hostname & ver", "WEB01\r\n\r\nMicrosoft Windows [Version 10.0.17763]\r\n", "", 0},
		{"HOSTNAME.EXE && echo ok", "WEB01\r\nok\r\n", "", 0},
		{`C:\Windows\System32\hostname.exe`, "WEB01\r\n", "", 0},
		{"nosuch && echo no", "", "'nosuch' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n", 9009},
		{"nosuch || echo yes", "yes\r\n", "'nosuch' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n", 0},
		{"echo a & nosuch", "a\r\n", "'nosuch' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n", 9009},
		{"echo a ^& b", "a & b\r\n", "", 0},
		{`echo "a & b"`, "\"a & b\"\r\n", "", 0},
		{`cmd /c "echo x & echo y"`, "x\r\ny\r\n", "", 0},
		{`cmd.exe /s /c "hostname && exit /b 3" || echo failed`, "WEB01\r\nfailed\r\n", "", 0},
		{"exit 7 & echo never", "", "", 7},
		{"nosuch 2>&1", "'nosuch' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n", "", 9009},
		{"nosuch 2>nul", "", "", 9009},
		{"hostname >nul", "", "", 0},
		{"echo %COMPUTERNAME% %NOSUCH%", "WEB01 %NOSUCH%\r\n", "", 0},
		{"echo.", "\r\n", "", 0},
		{"ver.exe", "", "'ver.exe' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n", 9009},
		{"& hostname", "", "& was unexpected at this time.\r\n", 255},
		{"netstat -ano | findstr /C:\":5985 \" | find /c \"LISTENING\"", "2\r\n", "", 0},
	} {
		o, e, code := run(t, h, tc.line)
		if o != tc.out || e != tc.err || code != tc.code {
			t.Errorf("%s:\n exit %d (want %d)\n out %q (want %q)\n err %q (want %q)", tc.line, code, tc.code, o, tc.out, e, tc.err)
		}
	}
	long := "echo " + strings.Repeat("x", maxCmdLine)
	if o, e, code := run(t, h, long); code != 1 || o != "" || e != "The command line is too long.\r\n" {
		t.Errorf("long line: %d %q %q", code, o, e)
	}
	if _, _, code := run(t, h, "echo "+strings.Repeat("x", maxCmdLine-5)); code != 0 {
		t.Error("a line of exactly 8191 characters is refused")
	}
	spec := baseSpec(Server2019)
	spec.Locale = "de-DE"
	de := newHost(t, spec, Options{})
	if _, e, code := run(t, de, "nosuch"); code != 9009 || e != "Der Befehl \"nosuch\" ist entweder falsch geschrieben oder\r\nkonnte nicht gefunden werden.\r\n" {
		t.Errorf("German not recognized: %q", e)
	}
}

func TestSplitArgs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{`a b  c`, []string{"a", "b", "c"}},
		{`"a b" c`, []string{"a b", "c"}},
		{`/d "doskey /m=\"c:\x\""`, []string{"/d", `doskey /m="c:\x"`}},
		{`a\\\"b`, []string{`a\"b`}},
		{`a\\"b c"`, []string{`a\b c`}},
		{`"" x`, []string{"", "x"}},
	} {
		got := splitArgs(tc.in)
		if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
			t.Errorf("splitArgs(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSpecValidation(t *testing.T) {
	good := baseSpec(Server2019)
	if _, err := New(good, Options{}); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(*Spec){
		"no name":      func(s *Spec) { s.Name = "" },
		"long name":    func(s *Spec) { s.Name = "ABCDEFGHIJKLMNOP" },
		"no OS":        func(s *Spec) { s.OS = 0 },
		"bad locale":   func(s *Spec) { s.Locale = "xx-YY" },
		"no address":   func(s *Spec) { s.Interfaces = nil },
		"bad build":    func(s *Spec) { s.Build = "10.0" },
		"bad reg path": func(s *Spec) { s.Registry = []RegValue{{Path: `HKXX\a`, Name: "x"}} },
		"bad reg data": func(s *Spec) { s.Registry = []RegValue{{Path: `HKLM\a`, Name: "x", Type: "REG_DWORD", Data: "zz"}} },
		"dup service":  func(s *Spec) { s.Services = []ServiceSpec{{Name: "WinRM"}} },
		"unknown dep":  func(s *Spec) { s.Services = []ServiceSpec{{Name: "X", DependsOn: []string{"Nope"}}} },
		"listen pile": func(s *Spec) {
			s.Piles = []Pile{{Remote: netip.MustParseAddrPort("10.0.0.1:1"), State: Listen, Count: 1}}
		},
		"pile no port":   func(s *Spec) { s.Piles = []Pile{{Remote: netip.MustParseAddrPort("10.0.0.1:0"), Count: 1}} },
		"bad conn":       func(s *Spec) { s.Connections = []Connection{{State: Established}} },
		"unspecified if": func(s *Spec) { s.Interfaces[0].Addrs = []netip.Addr{netip.IPv4Unspecified()} },
	} {
		s := baseSpec(Server2019)
		s.Interfaces = []Interface{{Name: "e", Addrs: []netip.Addr{mgmt}}}
		mut(&s)
		if _, err := New(s, Options{}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	for o := Server2003; o <= Server2022; o++ {
		p, err := ParseOS(o.String())
		if err != nil || p != o {
			t.Errorf("ParseOS(%q) = %v, %v", o.String(), p, err)
		}
	}
	if p, err := ParseOS("Windows Server 2008 R2"); err != nil || p != Server2008R2 {
		t.Errorf("long form: %v %v", p, err)
	}
	if _, err := ParseOS("2000"); err == nil {
		t.Error("ParseOS(2000) succeeded")
	}
}

func TestExtraServicesAndListeners(t *testing.T) {
	spec := baseSpec(Server2016)
	spec.Services = []ServiceSpec{
		{Name: "SMTPSVC", DisplayName: "Simple Mail Transfer Protocol (SMTP)", DependsOn: []string{"IISADMIN2"}, Image: "inetinfo.exe", PID: 1888,
			Listeners: []Listener{{Proto: TCP, Addr: netip.MustParseAddrPort("0.0.0.0:25")}}},
		{Name: "IISADMIN2", DisplayName: "IIS Admin Service", Image: "inetinfo.exe", PID: 1888},
		{Name: "MSSQLSERVER", DisplayName: "SQL Server (MSSQLSERVER)", Image: "sqlservr.exe", PID: 2400,
			Listeners: []Listener{{Proto: TCP, Addr: netip.MustParseAddrPort("0.0.0.0:1433")}, {Proto: TCP, Addr: netip.MustParseAddrPort("[::]:1433")}}},
	}
	h := newHost(t, spec, Options{})
	o := mustRun(t, h, "netstat -anob")
	if !strings.Contains(o, "  TCP    0.0.0.0:25             0.0.0.0:0              LISTENING       1888\r\n [inetinfo.exe]\r\n") {
		t.Errorf("SMTP listener:\n%s", o)
	}
	if _, ok := h.RegistryValue(keyMSSQL, "LoginMode"); !ok {
		t.Error("no MSSQLServer key with SQL Server installed")
	}
	mustRun(t, h, "net stop IISADMIN2 /y")
	if strings.Contains(mustRun(t, h, "netstat -an"), ":25 ") {
		t.Error("a stopped service keeps its listener")
	}
	mustRun(t, h, "net start smtpsvc")
	if h.ServiceState("IISADMIN2") != "RUNNING" {
		t.Error("dependency not started")
	}
}
