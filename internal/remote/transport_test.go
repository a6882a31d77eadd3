package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/masterzen/winrm"

	"github.com/fleetport/fleetport/internal/sim"
)

// startSim serves a small fleet for the package's own tests (the external
// tests have their own helpers).
func startSim(t *testing.T, hosts int, faults []sim.Fault) *sim.Fleet {
	t.Helper()
	sc := sim.DefaultScenario()
	sc.Hosts = hosts
	sc.Drift = nil
	sc.Faults = faults
	sc.ServiceStep = time.Millisecond
	sc.OSMix = map[string]float64{"2019": 1}
	sc.LocaleMix = map[string]float64{"en-US": 1}
	sc.Roles = []sim.Role{{Name: "web", Share: 1, Services: []string{"W3SVC"}}}
	for attempt := 0; ; attempt++ {
		n := rand.IntN(10000)
		sc.Network = netip.MustParsePrefix(fmt.Sprintf("127.%d.%d.0/24", 230+n/1000, n%250))
		f, err := sim.New(sim.Options{Scenario: sc})
		if err != nil {
			t.Fatal(err)
		}
		if err = f.Start(); err == nil {
			t.Cleanup(f.Close)
			return f
		}
		if attempt > 3 || !strings.Contains(err.Error(), "address already in use") {
			t.Fatal(err)
		}
	}
}

// TestMasterzenClientOverFleetportTransport runs masterzen's own Client
// API over the session's transport (the TransportDecorator seam): commands
// work over the one sealed connection, and the faults masterzen would hide
// come back as errors.
func TestMasterzenClientOverFleetportTransport(t *testing.T) {
	f := startSim(t, 2, []sim.Fault{{Kind: sim.FaultQuota, Hosts: []string{"web0002"}}})
	h := f.Hosts()[0]
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ep := Endpoint{Host: h.Plan.Addr.String(), Port: f.Scenario().HTTPPort}
	s, err := Open(ctx, ep, Credentials{sim.DemoUser, sim.DemoPassword}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out, errOut bytes.Buffer
	code, err := s.client.RunWithContext(ctx, "hostname", &out, &errOut)
	if err != nil || code != 0 || out.String() != strings.ToUpper(h.Plan.Name)+"\r\n" {
		t.Errorf("RunWithContext: %d %q %q %v", code, out.String(), errOut.String(), err)
	}
	stdout, _, code, err := s.client.RunPSWithContext(ctx, "Write-Output fleetport")
	if err != nil || code != 0 || stdout != "fleetport\r\n" {
		t.Errorf("RunPSWithContext: %d %q %v", code, stdout, err)
	}
	if n := h.Counters().ConnectionsAccepted; n != 1 {
		t.Errorf("%d connections", n)
	}

	// A Create fault: masterzen's transports return a shell with an
	// empty id and no error; this one returns the fault.
	q := f.Hosts()[1]
	qs, err := Open(ctx, Endpoint{Host: q.Plan.Addr.String(), Port: f.Scenario().HTTPPort}, Credentials{sim.DemoUser, sim.DemoPassword},
		Options{Retry: Retry{Attempts: 1}})
	var fault *Fault
	if qs != nil || !errors.As(err, &fault) || fault.Code != CodeQuotaShells {
		t.Fatalf("Open on a host at its shell quota: %v", err)
	}
	shell, err := s.client.CreateShell()
	if err != nil {
		t.Fatal(err)
	}
	h.Service.Reset()
	// A Command on a lost shell: masterzen reports "unsupported action";
	// this transport reports the fault.
	_, err = shell.ExecuteWithContext(ctx, "hostname")
	if !errors.As(err, &fault) || !fault.shellLost() {
		t.Errorf("Execute on a lost shell: %v", err)
	}
}

func TestSealFraming(t *testing.T) {
	for _, n := range []int{0, 1, 9, 10, 99, 100, 153600} {
		plain := bytes.Repeat([]byte("x"), n)
		// The framing without the session: header, length, signature, data, tail.
		var b bytes.Buffer
		b.WriteString(sealHead + fmt.Sprint(n) + sealMid)
		b.Write([]byte{16, 0, 0, 0})
		b.Write(make([]byte, 16))
		b.Write(plain)
		b.WriteString(sealTail)
		if int64(b.Len()) != sealedLen(n, 16) {
			t.Errorf("n=%d: framed %d bytes, sealedLen says %d", n, b.Len(), sealedLen(n, 16))
		}
	}
	c := &ntlmConn{}
	if _, err := c.unseal([]byte(sealHead)); err == nil {
		t.Error("unseal without a session")
	}
}

func TestCommandValidate(t *testing.T) {
	for line, want := range map[string]error{
		"hostname":                         nil,
		"netsh\tint ipv4 show dynamicport": nil,
		"":                                 ErrBadCommand,
		"   ":                              ErrBadCommand,
		"hostname\r\nnet stop http /y":     ErrBadCommand,
		"echo \x00":                        ErrBadCommand,
		"echo ]]><x/>":                     ErrBadCommand,
		"echo \xff":                        ErrBadCommand,
		strings.Repeat("x", 8191):          nil,
		strings.Repeat("x", 8192):          ErrCommandTooLong,
		strings.Repeat("ä", 8191):          nil,               // characters, not bytes
		strings.Repeat("😀", 4096):          ErrCommandTooLong, // two UTF-16 units each
	} {
		if err := (Command{Line: line}).Validate(); !errors.Is(err, want) || (want == nil) != (err == nil) {
			t.Errorf("%.20q: %v, want %v", line, err, want)
		}
	}
}

func TestPowerShellEncoding(t *testing.T) {
	c, err := PowerShell("Get-Date")
	if err != nil {
		t.Fatal(err)
	}
	// $ProgressPreference = 'SilentlyContinue'; Get-Date in UTF-16LE, base64.
	const want = "powershell -NoProfile -NonInteractive -EncodedCommand JABQAHIAbwBnAHIAZQBzAHMAUAByAGUAZgBlAHIAZQBuAGMAZQAgAD0AIAAnAFMAaQBsAGUAbgB0AGwAeQBDAG8AbgB0AGkAbgB1AGUAJwA7ACAARwBlAHQALQBEAGEAdABlAA=="
	if c.Line != want {
		t.Errorf("got  %s\nwant %s", c.Line, want)
	}
	if _, err := PowerShell(""); !errors.Is(err, ErrBadCommand) {
		t.Errorf("empty script: %v", err)
	}
	if _, err := PowerShell(strings.Repeat("a", MaxPowerShellScript+1)); !errors.Is(err, ErrCommandTooLong) {
		t.Errorf("long script: %v", err)
	}
	if c, err := PowerShell(strings.Repeat("a", MaxPowerShellScript)); err != nil || len(c.Line) > MaxCommandLine {
		t.Errorf("longest script: %d, %v", len(c.Line), err)
	}
}

func TestOptionsAndEndpointValidation(t *testing.T) {
	ctx := context.Background()
	cred := Credentials{"u", "p"}
	for name, c := range map[string]struct {
		ep   Endpoint
		opts Options
	}{
		"no host":               {Endpoint{}, Options{}},
		"url as host":           {Endpoint{Host: "http://x"}, Options{}},
		"bad port":              {Endpoint{Host: "x", Port: 70000}, Options{}},
		"basic over http":       {Endpoint{Host: "x", Auth: AuthBasic}, Options{}},
		"kerberos over http":    {Endpoint{Host: "x", Auth: AuthKerberos, Kerberos: Kerberos{ConfigFile: "/dev/null"}}, Options{}},
		"kerberos no conf":      {Endpoint{Host: "x", HTTPS: true, Auth: AuthKerberos}, Options{}},
		"kerberos bad conf":     {Endpoint{Host: "x", HTTPS: true, Auth: AuthKerberos, Kerberos: Kerberos{ConfigFile: "/nonexistent/krb5.conf"}}, Options{}},
		"kerberos no ccache":    {Endpoint{Host: "x", HTTPS: true, Auth: AuthKerberos, Kerberos: Kerberos{ConfigFile: "/dev/null", CCacheFile: "/nonexistent/cc"}}, Options{}},
		"kerberos no realm":     {Endpoint{Host: "x", HTTPS: true, Auth: AuthKerberos, Kerberos: Kerberos{ConfigFile: "/dev/null"}}, Options{}},
		"missing CA file":       {Endpoint{Host: "x", HTTPS: true, CAFile: "/nonexistent/ca.pem"}, Options{}},
		"CA without a cert":     {Endpoint{Host: "x", HTTPS: true, CAPEM: []byte("nothing")}, Options{}},
		"request < operation":   {Endpoint{Host: "x"}, Options{OperationTimeout: time.Minute, RequestTimeout: time.Second}},
		"small response cap":    {Endpoint{Host: "x"}, Options{MaxResponseBytes: 100}},
		"negative commands":     {Endpoint{Host: "x"}, Options{MaxCommandsPerShell: -1}},
		"negative retries":      {Endpoint{Host: "x"}, Options{Retry: Retry{Attempts: -1}}},
		"unknown auth":          {Endpoint{Host: "x", Auth: Auth(9)}, Options{}},
		"envelope over the cap": {Endpoint{Host: "x"}, Options{EnvelopeSize: 2 << 20}},
	} {
		t.Run(name, func(t *testing.T) {
			s, err := Open(ctx, c.ep, cred, c.opts)
			if s != nil || ClassOf(err) != ClassConfig {
				t.Errorf("%v, want a config error", err)
			}
		})
	}
	if _, err := Open(ctx, Endpoint{Host: "x"}, Credentials{}, Options{}); ClassOf(err) != ClassConfig {
		t.Errorf("no user: %v", err)
	}
}

// TestKerberosConfiguration builds Kerberos clients from files without a
// KDC: what can be checked before the first request is checked at Open.
func TestKerberosConfiguration(t *testing.T) {
	dir := t.TempDir()
	conf := dir + "/krb5.conf"
	writeFile(t, conf, "[libdefaults]\n  default_realm = CORP.EXAMPLE\n[realms]\n  CORP.EXAMPLE = {\n    kdc = 127.0.0.1:1\n  }\n")
	ep := Endpoint{Host: "web01.corp.example", HTTPS: true, Auth: AuthKerberos, Kerberos: Kerberos{ConfigFile: conf}}
	k, err := newKerberos(ep, `CORP\alice`, newSecret("pw"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if k.spn != "HTTP/web01.corp.example" || k.cl.Credentials.Domain() != "CORP.EXAMPLE" || k.cl.Credentials.UserName() != "alice" {
		t.Errorf("spn %q realm %q user %q", k.spn, k.cl.Credentials.Domain(), k.cl.Credentials.UserName())
	}
	k.close()
	k, err = newKerberos(ep, "alice", newSecret("pw"), nil)
	if err != nil || k.cl.Credentials.Domain() != "CORP.EXAMPLE" {
		t.Fatalf("default realm: %v", err)
	}
	k.close()
	t.Setenv("KRB5CCNAME", "FILE:"+dir+"/none")
	if _, err := newKerberos(ep, "alice", newSecret(""), nil); err == nil || !strings.Contains(err.Error(), "no Kerberos ticket") || !strings.Contains(err.Error(), "kinit") {
		t.Errorf("no password and no credential cache: %v", err)
	}
	t.Setenv("KRB5CCNAME", "KEYRING:persistent:0")
	if _, err := newKerberos(ep, "alice", newSecret(""), nil); err == nil || !strings.Contains(err.Error(), "FILE:") {
		t.Errorf("a keyring cache: %v", err)
	}
	ip := ep
	ip.Host = "10.1.2.3"
	if _, err := newKerberos(ip, "alice", newSecret("pw"), nil); err == nil || !strings.Contains(err.Error(), "kerberos_name") {
		t.Errorf("a host addressed by IP: %v", err)
	}
	ip.Kerberos.ServiceHost = "web01.corp.example"
	if k, err := newKerberos(ip, "alice", newSecret("pw"), nil); err != nil || k.spn != "HTTP/web01.corp.example" {
		t.Errorf("a host addressed by IP with its name: %v", err)
	} else {
		k.close()
	}
	bad := dir + "/bad.ccache"
	writeFile(t, bad, "not a credential cache")
	ep.Kerberos.CCacheFile = bad
	if _, err := newKerberos(ep, "alice", newSecret(""), nil); err == nil || !strings.Contains(err.Error(), "credential cache") {
		t.Errorf("bad credential cache: %v", err)
	}
}

func TestRetryDelay(t *testing.T) {
	r := Retry{Attempts: 10, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}
	for attempt, want := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 5: time.Second, 9: time.Second} {
		for range 20 {
			if d := r.delay(attempt); d < want/2 || d > want {
				t.Errorf("attempt %d: %v, want %v to %v", attempt, d, want/2, want)
			}
		}
	}
}

func TestErrorText(t *testing.T) {
	e := &Error{Class: ClassQuota, Op: "create", Host: "web01:5985", Code: CodeQuotaShells,
		Err: &Fault{Code: CodeQuotaShells, Subcode: "QuotaLimit", Message: "too many shells"}}
	if got := e.Error(); got != "winrm create on web01:5985: quota: WS-Man fault 2150859173 (QuotaLimit): too many shells" {
		t.Errorf("%s", got)
	}
	if ClassOf(fmt.Errorf("collect web01: %w", e)) != ClassQuota || ClassOf(errors.New("x")) != 0 {
		t.Error("ClassOf")
	}
	if ClassCommand.String() != "command-failed" || Class(0).String() != "Class(0)" {
		t.Errorf("class names %q %q", ClassCommand, Class(0))
	}
	if a, err := ParseAuth("NTLM"); a != AuthNTLM || err != nil {
		t.Errorf("ParseAuth: %v %v", a, err)
	}
	if _, err := ParseAuth("credssp"); err == nil {
		t.Error("ParseAuth credssp")
	}
	if got := wsmanDuration(1500 * time.Millisecond); got != "PT1.500S" {
		t.Errorf("wsmanDuration %s", got)
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestCreateRequestIsMasterzens: the Create the session sends is
// masterzen's NewOpenShellRequest, element for element, plus
// rsp:IdleTimeOut from the options (and without it when the option is
// negative).
func TestCreateRequestIsMasterzens(t *testing.T) {
	for _, c := range []struct {
		idle time.Duration
		want string
	}{{0, "<rsp:IdleTimeOut>PT600.000S</rsp:IdleTimeOut>"}, {90 * time.Second, "<rsp:IdleTimeOut>PT90.000S</rsp:IdleTimeOut>"}, {-1, ""}} {
		s, err := newSession(Endpoint{Host: "web01.example.com"}, Credentials{User: "u", Password: "p"}, Options{ShellIdleTimeout: c.idle})
		if err != nil {
			t.Fatal(err)
		}
		s.cancel()
		s.tr.close()
		id := regexp.MustCompile(`uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}`)
		ours := s.createRequest().String()
		theirs := winrm.NewOpenShellRequest(s.url, &s.client.Parameters).String()
		if n := len(id.FindAllString(ours, -1)); n != 1 || len(id.FindAllString(theirs, -1)) != 1 {
			t.Fatalf("message ids: %d in ours, %q", n, ours)
		}
		// simplexml ends every element with a newline.
		if c.want != "" && !strings.Contains(ours, "</rsp:OutputStreams>\n"+c.want+"\n</rsp:Shell>") {
			t.Errorf("idle %v: no %s after the output streams:\n%s", c.idle, c.want, ours)
		}
		if c.want != "" {
			ours = strings.Replace(ours, c.want+"\n", "", 1)
		}
		ours = id.ReplaceAllString(ours, "ID")
		if theirs = id.ReplaceAllString(theirs, "ID"); ours != theirs {
			t.Errorf("idle %v: the Create differs from masterzen's beyond the idle timeout:\n%s\n%s", c.idle, ours, theirs)
		}
	}
}
