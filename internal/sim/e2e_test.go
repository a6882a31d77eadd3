package sim_test

// End-to-end tests: a simulated fleet on loopback, driven over real sockets
// by the real client library fleetport uses (masterzen/winrm), with each of
// the transports an operator can choose.

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/masterzen/winrm"
	"go.uber.org/goleak"

	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/sim/simtest"
	"github.com/fleetport/fleetport/internal/testdomain"
)

// startFleet serves a small fleet for one test. mutate adjusts the default
// scenario (no drift, no faults, fast service steps) before it is built.
func startFleet(t *testing.T, hosts int, mutate func(*sim.Scenario)) *sim.Fleet {
	t.Helper()
	sc := simtest.Scenario(hosts)
	if mutate != nil {
		mutate(&sc)
	}
	return simtest.Serve(t, sc)
}

type transport int

const (
	basicHTTPS transport = iota
	ntlmHTTPS
	ntlmEncryptedHTTP
)

func (tr transport) String() string {
	return [...]string{"basic-https", "ntlm-https", "ntlm-encrypted-http"}[tr]
}

// client returns a masterzen client for one host, verifying TLS against the
// simulator's CA.
func client(t *testing.T, f *sim.Fleet, h *sim.Host, tr transport) *winrm.Client {
	t.Helper()
	sc := f.Scenario()
	params := *winrm.DefaultParameters
	var ep *winrm.Endpoint
	switch tr {
	case basicHTTPS:
		ep = winrm.NewEndpoint(h.Plan.Addr.String(), sc.HTTPSPort, true, false, f.CAPEM(), nil, nil, 20*time.Second)
	case ntlmHTTPS:
		ep = winrm.NewEndpoint(h.Plan.Addr.String(), sc.HTTPSPort, true, false, f.CAPEM(), nil, nil, 20*time.Second)
		params.TransportDecorator = func() winrm.Transporter { return &winrm.ClientNTLM{} }
	case ntlmEncryptedHTTP:
		ep = winrm.NewEndpoint(h.Plan.Addr.String(), sc.HTTPPort, false, false, nil, nil, nil, 20*time.Second)
		params.TransportDecorator = func() winrm.Transporter {
			enc, err := winrm.NewEncryption("ntlm")
			if err != nil {
				t.Fatalf("NewEncryption: %v", err)
			}
			return enc
		}
	}
	c, err := winrm.NewClientWithParameters(ep, sim.DemoUser, sim.DemoPassword, &params)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

type result struct {
	stdout, stderr string
	code           int
}

func run(t *testing.T, c *winrm.Client, cmd string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	code, err := c.RunWithContextWithInput(ctx, cmd, &out, &errOut, nil)
	if err != nil {
		t.Fatalf("run %q: %v (stdout %q, stderr %q)", cmd, err, out.String(), errOut.String())
	}
	return result{out.String(), errOut.String(), code}
}

func runPS(t *testing.T, c *winrm.Client, script string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	stdout, stderr, code, err := c.RunPSWithContext(ctx, script)
	if err != nil {
		t.Fatalf("run ps %q: %v", script, err)
	}
	return result{stdout, stderr, code}
}

func TestEveryCommandOverEveryTransport(t *testing.T) {
	f := startFleet(t, 4, func(sc *sim.Scenario) {
		sc.OSMix = map[string]float64{"2019": 1}
		sc.LocaleMix = map[string]float64{"en-US": 1}
		sc.Roles = []sim.Role{{Name: "web", Share: 1, Services: []string{"W3SVC"}}}
	})
	h := f.Hosts()[0]
	for _, tr := range []transport{basicHTTPS, ntlmHTTPS, ntlmEncryptedHTTP} {
		t.Run(tr.String(), func(t *testing.T) {
			c := client(t, f, h, tr)
			checks := []struct {
				cmd      string
				code     int
				contains string
			}{
				{"ver", 0, "Microsoft Windows [Version 10.0.17763"},
				{"hostname", 0, strings.ToUpper(h.Plan.Name)},
				{"netstat -an", 0, "Active Connections"},
				{"netstat -ano", 0, "LISTENING       4"},
				{"netsh http show iplisten", 0, "IP addresses present in the IP listen list:"},
				{"netsh http show servicestate", 0, "                HTTP://+:5985/WSMAN/\r\n"},
				{"wmic os get LastBootUpTime /value", 0, "\r\r\nLastBootUpTime=20"},
				{`reg query "HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters" /v TcpTimedWaitDelay`, 0, "    TcpTimedWaitDelay    REG_DWORD    0x1e"},
				{"netsh int ipv4 show dynamicport tcp", 0, "Start Port      : "},
				{"sc query w3svc", 0, "RUNNING"},
				{"schtasks /query", 0, ""},
				{"frobnicate", 1, ""},
			}
			for _, ck := range checks {
				r := run(t, c, ck.cmd)
				if ck.cmd == "frobnicate" {
					if r.code == 0 || !strings.Contains(r.stderr, "'frobnicate' is not recognized as an internal or external command") {
						t.Errorf("%s: code %d stderr %q", ck.cmd, r.code, r.stderr)
					}
					continue
				}
				if r.code != ck.code || !strings.Contains(r.stdout, ck.contains) {
					t.Errorf("%s: code %d, stdout %q, stderr %q; want code %d and %q", ck.cmd, r.code, r.stdout, r.stderr, ck.code, ck.contains)
				}
				if r.stdout != "" && !strings.Contains(r.stdout, "\r\n") {
					t.Errorf("%s: output lines do not end in CRLF: %q", ck.cmd, r.stdout)
				}
			}
			ps := runPS(t, c, "Get-NetTCPConnection -State Listen | Select-Object LocalAddress,LocalPort,State,OwningProcess | ConvertTo-Json -Compress")
			if ps.code != 0 || !strings.Contains(ps.stdout, `"LocalPort":5985`) {
				t.Errorf("Get-NetTCPConnection: code %d stdout %q stderr %q", ps.code, ps.stdout, ps.stderr)
			}
		})
	}
	st := f.Stats()
	if st.Fleet.ShellsOpen != 0 {
		t.Errorf("shells left open: %d", st.Fleet.ShellsOpen)
	}
}

func TestRegAddIsVisibleToNextQuery(t *testing.T) {
	f := startFleet(t, 1, nil)
	c := client(t, f, f.Hosts()[0], ntlmEncryptedHTTP)
	key := `HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters`
	r := run(t, c, `reg add "`+key+`" /v MaxFreeTcbs /t REG_DWORD /d 16000 /f`)
	if r.code != 0 || !strings.Contains(r.stdout, "The operation completed successfully.") {
		t.Fatalf("reg add: %+v", r)
	}
	r = run(t, c, `reg query "`+key+`" /v MaxFreeTcbs`)
	want := "\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters\r\n    MaxFreeTcbs    REG_DWORD    0x3e80\r\n\r\n"
	if r.code != 0 || r.stdout != want {
		t.Fatalf("reg query: code %d\n got %q\nwant %q", r.code, r.stdout, want)
	}
}

// waitReachable polls until the host's WinRM answers again (or not).
func waitReachable(t *testing.T, h *sim.Host, up bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if h.Endpoint.Up() == up {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("host %s: reachable=%v never came", h.Plan.Name, up)
}

func TestListenListTakesEffectOnlyAfterHTTPRestart(t *testing.T) {
	f := startFleet(t, 1, func(sc *sim.Scenario) {
		sc.OSMix = map[string]float64{"2016": 1}
		sc.Roles = []sim.Role{{Name: "web", Share: 1, Services: []string{"W3SVC"}}}
		sc.Drift = []sim.Drift{{Kind: sim.DriftListenListEmpty, Share: 100}}
	})
	h := f.Hosts()[0]
	c := client(t, f, h, ntlmEncryptedHTTP)
	svc, mgmt := h.Plan.ServiceAddr.String(), h.Plan.Addr.String()

	if r := run(t, c, "netstat -an"); !strings.Contains(r.stdout, "  TCP    0.0.0.0:80             0.0.0.0:0              LISTENING") {
		t.Fatalf("before: http.sys should listen on every address:\n%s", r.stdout)
	}
	for _, a := range []string{svc, mgmt, "127.0.0.1"} {
		if r := run(t, c, "netsh http add iplisten ipaddress="+a); r.code != 0 || !strings.Contains(r.stdout, "IP address successfully added") {
			t.Fatalf("add %s: %+v", a, r)
		}
	}
	r := run(t, c, "netsh http show iplisten")
	for _, a := range []string{svc, mgmt, "127.0.0.1"} {
		if !strings.Contains(r.stdout, "\r\n    "+a+"\r\n") {
			t.Errorf("show iplisten lacks %s at once:\n%s", a, r.stdout)
		}
	}
	if r := run(t, c, "netstat -an"); !strings.Contains(r.stdout, "0.0.0.0:80 ") {
		t.Fatalf("the list must not take effect before HTTP restarts:\n%s", r.stdout)
	}

	// The safe way: a scheduled task restarts HTTP and every dependant
	// outside the WinRM session it is about to cut.
	task := `schtasks /create /tn fleetport-http-restart /tr "cmd /c net stop http /y & net start http & net start winrm & net start w3svc" /sc once /st 00:00 /ru SYSTEM /f`
	if r := run(t, c, task); r.code != 0 {
		t.Fatalf("schtasks /create: %+v", r)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The run may or may not come back before the task cuts WinRM.
	_, _, _, _ = c.RunCmdWithContext(ctx, "schtasks /run /tn fleetport-http-restart")
	waitReachable(t, h, true)
	deadline := time.Now().Add(10 * time.Second)
	var out string
	for time.Now().Before(deadline) {
		c = client(t, f, h, ntlmEncryptedHTTP)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		stdout, _, code, err := c.RunCmdWithContext(ctx, "netstat -an")
		cancel()
		if err == nil && code == 0 && strings.Contains(stdout, svc+":80 ") {
			out = stdout
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if out == "" {
		t.Fatalf("after the HTTP restart netstat never showed %s:80", svc)
	}
	if strings.Contains(out, "0.0.0.0:80 ") {
		t.Errorf("after the restart http.sys still listens on 0.0.0.0:80:\n%s", out)
	}
	for _, a := range []string{svc, mgmt, "127.0.0.1"} {
		if !strings.Contains(out, "  TCP    "+a+":80 ") {
			t.Errorf("after the restart no listener on %s:80:\n%s", a, out)
		}
	}
}

func TestNetStopHTTPCutsTheSessionUntilReboot(t *testing.T) {
	f := startFleet(t, 1, func(sc *sim.Scenario) {
		sc.OSMix = map[string]float64{"2019": 1}
		sc.Roles = []sim.Role{{Name: "web", Share: 1, Services: []string{"W3SVC"}}}
	})
	h := f.Hosts()[0]
	c := client(t, f, h, ntlmEncryptedHTTP)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// WinRM depends on HTTP: stopping HTTP from inside WinRM kills the
	// session running the command. The client must not get a clean exit.
	_, _, code, err := c.RunCmdWithContext(ctx, "net stop http /y")
	if err == nil && code == 0 {
		t.Fatalf("net stop http /y came back as a success; the session should have been cut")
	}
	waitReachable(t, h, false)
	c2 := client(t, f, h, ntlmEncryptedHTTP)
	ctx2, cancel2 := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel2()
	if _, _, _, err := c2.RunCmdWithContext(ctx2, "hostname"); err == nil {
		t.Fatalf("the host answered while WinRM was stopped")
	}
	h.Model.Reboot()
	waitReachable(t, h, true)
	if r := run(t, client(t, f, h, ntlmEncryptedHTTP), "sc query winrm"); !strings.Contains(r.stdout, "RUNNING") {
		t.Fatalf("after the reboot WinRM should run: %+v", r)
	}
	audit := h.Model.Audit()
	found := false
	for _, a := range audit {
		if a.Line == "net stop http /y" {
			found = true
		}
	}
	if !found {
		t.Errorf("the audit lacks the command that cut the session: %+v", audit)
	}
}

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(testdomain.Wrap(m),
		// The masterzen clients' idle keep-alive connections belong to the
		// client side, not to the simulator.
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
	)
}

// TestChangingCommandsOverEveryTransport runs the commands that change a
// host, each transport on a host of its own, and ends with a reboot.
func TestChangingCommandsOverEveryTransport(t *testing.T) {
	f := startFleet(t, 3, func(sc *sim.Scenario) {
		sc.OSMix = map[string]float64{"2019": 1}
		sc.LocaleMix = map[string]float64{"en-US": 1}
		sc.Roles = []sim.Role{{Name: "web", Share: 1, Services: []string{"W3SVC"}}}
	})
	key := `"HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters"`
	for i, tr := range []transport{basicHTTPS, ntlmHTTPS, ntlmEncryptedHTTP} {
		h := f.Hosts()[i]
		t.Run(tr.String(), func(t *testing.T) {
			c := client(t, f, h, tr)
			svc := h.Plan.ServiceAddr.String()
			steps := []struct {
				cmd    string
				code   int
				stdout string // substring; "" = any
				stderr string
			}{
				{`reg add ` + key + ` /v MaxUserPort /t REG_DWORD /d 65534 /f`, 0, "The operation completed successfully.", ""},
				{`reg query ` + key + ` /v MaxUserPort`, 0, "    MaxUserPort    REG_DWORD    0xfffe\r\n", ""},
				{`reg delete ` + key + ` /v MaxUserPort /f`, 0, "The operation completed successfully.", ""},
				{`reg query ` + key + ` /v MaxUserPort`, 1, "", "ERROR: The system was unable to find the specified registry key or value."},
				{"netsh http delete iplisten ipaddress=" + svc, 0, "IP address successfully deleted", ""},
				{"netsh http add iplisten ipaddress=" + svc, 0, "IP address successfully added", ""},
				{"netsh int ipv4 set dynamicport tcp start=20000 num=30000", 0, "Ok.", ""},
				{"netsh int ipv4 show dynamicport tcp", 0, "Start Port      : 20000\r\nNumber of Ports : 30000", ""},
				{"net stop w3svc", 0, "The World Wide Web Publishing Service service was stopped successfully.", ""},
				{"sc query w3svc", 0, "STOPPED", ""},
				{"net start w3svc", 0, "The World Wide Web Publishing Service service was started successfully.", ""},
				{`schtasks /create /tn probe /tr "cmd /c ver" /sc once /st 23:59 /f`, 0, `SUCCESS: The scheduled task "probe" has successfully been created.`, ""},
				{"schtasks /query /tn probe", 0, "probe", ""},
				{"schtasks /delete /tn probe /f", 0, `SUCCESS: The scheduled task "probe" was successfully deleted.`, ""},
			}
			for _, s := range steps {
				r := run(t, c, s.cmd)
				if r.code != s.code || !strings.Contains(r.stdout, s.stdout) || !strings.Contains(r.stderr, s.stderr) {
					t.Errorf("%s:\n code %d stdout %q stderr %q\nwant code %d stdout ~%q stderr ~%q", s.cmd, r.code, r.stdout, r.stderr, s.code, s.stdout, s.stderr)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, _, _, _ = c.RunCmdWithContext(ctx, "shutdown /r /t 0")
			waitReachable(t, h, false)
			waitReachable(t, h, true)
			if r := run(t, client(t, f, h, tr), "hostname"); r.stdout != strings.ToUpper(h.Plan.Name)+"\r\n" {
				t.Errorf("after the reboot: %+v", r)
			}
		})
	}
}

func TestHttpcfgOn2003(t *testing.T) {
	f := startFleet(t, 1, func(sc *sim.Scenario) {
		sc.OSMix = map[string]float64{"2003": 1}
		sc.LocaleMix = map[string]float64{"en-US": 1}
		sc.Roles = []sim.Role{{Name: "web", Share: 1, Services: []string{"W3SVC"}}}
		sc.Drift = []sim.Drift{{Kind: sim.DriftListenListEmpty, Share: 100}}
	})
	h := f.Hosts()[0]
	c := client(t, f, h, ntlmEncryptedHTTP)
	svc := h.Plan.ServiceAddr.String()
	if r := run(t, c, "httpcfg query iplisten"); !strings.Contains(r.stdout, "HttpQueryServiceConfiguration completed with 1168.") {
		t.Errorf("empty query: %+v", r)
	}
	if r := run(t, c, "httpcfg set iplisten -i "+svc); !strings.Contains(r.stdout, "HttpSetServiceConfiguration completed with 0.") {
		t.Errorf("set: %+v", r)
	}
	if r := run(t, c, "httpcfg query iplisten"); !strings.Contains(r.stdout, svc) {
		t.Errorf("query: %+v", r)
	}
	if r := run(t, c, "httpcfg delete iplisten -i "+svc); !strings.Contains(r.stdout, "HttpDeleteServiceConfiguration completed with 0.") {
		t.Errorf("delete: %+v", r)
	}
	if r := run(t, c, "ver"); !strings.Contains(r.stdout, "Microsoft Windows [Version 5.2.3790]") {
		t.Errorf("ver: %+v", r)
	}
	if r := run(t, c, "netsh int ipv4 show dynamicport tcp"); r.code == 0 {
		t.Errorf("2003 has no dynamic port range: %+v", r)
	}
}

// TestSiteBindingUnlistedOverWinRM: the drift as fleetport sees it. The
// intranet site is registered on an address of the host that the listen
// list lacks, so nothing listens there; the boot time is the fleet's start
// less the host's uptime.
func TestSiteBindingUnlistedOverWinRM(t *testing.T) {
	before := time.Now()
	f := startFleet(t, 1, func(sc *sim.Scenario) {
		sc.OSMix = map[string]float64{"2019": 1}
		sc.LocaleMix = map[string]float64{"de-DE": 1}
		sc.Roles = []sim.Role{{Name: "web", Share: 1, Services: []string{"W3SVC"}}}
		sc.Drift = []sim.Drift{{Kind: sim.DriftSiteBindingUnlisted, Share: 100}}
	})
	after := time.Now()
	h := f.Hosts()[0]
	if !h.Plan.Has(sim.DriftSiteBindingUnlisted) || !h.Plan.SiteAddr.IsValid() {
		t.Fatalf("plan %+v", h.Plan)
	}
	c := client(t, f, h, ntlmEncryptedHTTP)
	svc, site := h.Plan.ServiceAddr.String(), h.Plan.SiteAddr.String()
	r := run(t, c, "netsh http show servicestate")
	for _, want := range []string{"HTTP://+:5985/WSMAN/", "HTTPS://+:5986/WSMAN/", "HTTP://" + svc + ":80:" + svc + "/", "HTTP://" + site + ":80:" + site + "/"} {
		if r.code != 0 || !strings.Contains(r.stdout, "                "+want+"\r\n") {
			t.Errorf("servicestate lacks %s:\n%s", want, r.stdout)
		}
	}
	if r := run(t, c, "netsh http show iplisten"); strings.Contains(r.stdout, site) {
		t.Errorf("the listen list names the site's address:\n%s", r.stdout)
	}
	ns := run(t, c, "netstat -an").stdout
	if !strings.Contains(ns, "  TCP    "+svc+":80 ") || strings.Contains(ns, site+":80 ") || !strings.Contains(ns, "  TCP    "+site+":139 ") {
		t.Errorf("netstat: want http.sys on %s:80 only, and the second address up (NetBIOS on %s:139):\n%s", svc, site, ns)
	}
	boot := h.Model.BootTime()
	if start := boot.Add(h.Plan.Uptime); start.Before(before.Add(-time.Second)) || start.After(after) {
		t.Errorf("boot %v + uptime %v = %v, not the fleet's start (%v..%v)", boot, h.Plan.Uptime, start, before, after)
	}
	// A German host: Central European time, +060.
	want := "LastBootUpTime=" + boot.In(time.FixedZone("", 3600)).Format("20060102150405") + ".500000+060\r\r\n"
	if r := run(t, c, "wmic os get LastBootUpTime /value"); r.code != 0 || !strings.Contains(r.stdout, want) {
		t.Errorf("wmic: %+v, want %q", r, want)
	}
}

// TestSMTPSocketPoolingRemediationOverWinRM runs the smtp_socket_pooling
// remediation on a drifted host as fleetport does: read the metabase, set
// DisableSocketPooling at the service level, restart SMTP (reading its
// dependants first), and check netstat, ipconfig and the counters.
func TestSMTPSocketPoolingRemediationOverWinRM(t *testing.T) {
	f := startFleet(t, 1, func(sc *sim.Scenario) {
		sc.OSMix = map[string]float64{"2016": 1}
		sc.LocaleMix = map[string]float64{"de-DE": 1}
		sc.Roles = []sim.Role{{Name: "smtp", Share: 1, Services: []string{"SMTPSVC"}}}
		sc.Drift = []sim.Drift{{Kind: sim.DriftSMTPWildcard, Share: 100}}
	})
	h := f.Hosts()[0]
	c := client(t, f, h, ntlmEncryptedHTTP)
	svc := h.Plan.ServiceAddr.String()
	const ads = `cscript //nologo C:\Inetpub\AdminScripts\adsutil.vbs `
	if r := run(t, c, "netstat -an"); !strings.Contains(r.stdout, "  TCP    0.0.0.0:25 ") || strings.Contains(r.stdout, svc+":25 ") {
		t.Fatalf("drifted SMTP:\n%s", r.stdout)
	}
	// WinRM reports the exit code as an unsigned 32-bit number: adsutil's
	// WScript.Quit(&H80005006) arrives as 2147504134.
	if r := run(t, c, ads+"get smtpsvc/disablesocketpooling"); r.code != 0x80005006 || r.stdout != "The parameter \"disablesocketpooling\" is not set at this node.\r\n" {
		t.Errorf("probe: %+v", r)
	}
	if r := run(t, c, ads+"set smtpsvc/disablesocketpooling true"); r.code != 0 || r.stdout != "disablesocketpooling            : (BOOLEAN) True\r\n" {
		t.Errorf("set: %+v", r)
	}
	if r := run(t, c, "sc enumdepend SMTPSVC"); r.code != 0 || r.stdout != "[SC] EnumDependentServices: entriesread = 0\r\n" {
		t.Errorf("enumdepend: %+v", r)
	}
	for _, line := range []string{"net stop smtpsvc", "net start smtpsvc"} {
		if r := run(t, c, line); r.code != 0 {
			t.Fatalf("%s: %+v", line, r)
		}
	}
	if r := run(t, c, "netstat -an"); strings.Contains(r.stdout, "0.0.0.0:25 ") || !strings.Contains(r.stdout, "  TCP    "+svc+":25 ") {
		t.Errorf("after the restart:\n%s", r.stdout)
	}
	if n, b := h.Model.Restarts("SMTPSVC"), h.Model.Reboots(); n != 1 || b != 0 {
		t.Errorf("restarts %d, reboots %d", n, b)
	}
	r := run(t, c, "ipconfig")
	for _, want := range []string{"Windows-IP-Konfiguration\r\n", "   IPv4-Adresse  . . . . . . . . . . : " + h.Plan.Addr.String() + "\r\n",
		"   IPv4-Adresse  . . . . . . . . . . : " + svc + "\r\n", "   Subnetzmaske  . . . . . . . . . . : 255.255.255.0\r\n"} {
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("ipconfig lacks %q:\n%s", want, r.stdout)
		}
	}
}
