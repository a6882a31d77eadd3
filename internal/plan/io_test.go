package plan_test

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/plan"
)

// samplePlan is a plan of one host with a listen-list and a registry
// change and a reboot.
func samplePlan(t *testing.T) []byte {
	t.Helper()
	ph, f := webHost()
	f.ListenList.Entries = []facts.ListenEntry{{Addr: svcAddr}, {Addr: lo}}
	f.Registry[0].Absent, f.Registry[0].Number, f.Registry[0].Type = true, nil, ""
	p := build(t, plan.HostInput{Policy: ph, Facts: f})
	var b bytes.Buffer
	if err := p.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestReadRoundTrip(t *testing.T) {
	data := samplePlan(t)
	p, err := plan.Read(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := p.Write(&b); err != nil {
		t.Fatal(err)
	}
	if b.String() != string(data) {
		t.Errorf("round trip differs:\n%s\n%s", data, b.String())
	}
	if h, a, r, s := p.Counts(); h != 1 || a != 2 || r != 1 || s != 0 {
		t.Errorf("counts %d %d %d %d", h, a, r, s)
	}
}

// TestReadRejectsTampering: a plan edited after it was made is refused.
func TestReadRejectsTampering(t *testing.T) {
	data := string(samplePlan(t))
	for _, c := range []struct {
		name, old, new, want string
	}{
		{"version", `"version": 2`, `"version": 1`, "version 1"},
		{"command with & after an address", `ipaddress=192.0.2.10"`, `ipaddress=192.0.2.10 & net user x /add"`, `'&' outside quotes`},
		{"command with a caret", `ipaddress=192.0.2.10"`, `ipaddress=192.0.2.10^"`, `holds '^'`},
		{"command with a percent sign", `/d 30 /f"`, `/d %PATH% /f"`, `holds '%'`},
		{"command changed", `/d 30 /f"`, `/d 31 /f"`, "not the ones its change renders to"},
		{"command with a line break", `/d 30 /f"`, `/d 30 /f\r\nformat c:"`, "control character"},
		{"& in an address field", `"add": [
              "192.0.2.10"`, `"add": [
              "192.0.2.10&calc"`, "ParseAddr"},
		{"address changed", `"add": [
              "192.0.2.10"`, `"add": [
              "192.0.2.11"`, "not the list before"},
		{"before changed", `"before": [
              "10.0.0.10",`, `"before": [
              "10.0.0.11",`, ""},
		{"fingerprint removed", `"fingerprint": "`, `"fingerprint": "x`, "fingerprint"},
		{"registry key", `"key": "HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters"`, `"key": "HKLM\\SOFTWARE\\Evil"`, "not one fleetport knows"},
		{"value name", `"name": "TcpTimedWaitDelay"`, `"name": "Tcp TimedWaitDelay"`, "cannot be put on a command line"},
		{"effect service", `"kind": "reboot"`, `"kind": "service-restart", "services": ["http & calc"]`, "cannot be put on a command line"},
		{"duplicate id", `"id": "web01/tcp_timed_wait_delay/0"`, `"id": "web01/http_listen_list/0"`, "not unique"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(data, c.old) {
				t.Fatalf("the plan lacks %q:\n%s", c.old, data)
			}
			_, err := plan.Read(strings.NewReader(strings.Replace(data, c.old, c.new, 1)))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
	if _, err := plan.Read(strings.NewReader("{")); err == nil {
		t.Error("truncated JSON read")
	}
}

func TestEffectCommands(t *testing.T) {
	for _, c := range []struct {
		name     string
		e        plan.Effect
		release  string
		running  []string
		want     []string
		detached bool
		err      string
	}{
		{name: "none", e: plan.Effect{Kind: plan.EffectNone}},
		{name: "reboot", e: plan.Effect{Kind: plan.EffectReboot}, want: []string{plan.RebootCommand}, detached: true},
		{name: "http", e: plan.Effect{Kind: plan.EffectServiceRestart, Services: []string{"HTTP"}, Detached: true}, release: "2019",
			running: []string{"W3SVC", "WinRM", "Spooler"}, detached: true, want: []string{
				`schtasks /create /tn FleetportRestartHTTP /tr "cmd /c \"schtasks /delete /tn FleetportRestartHTTP /f ^& net stop http /y ^& net start http ^& net start winrm ^& net start w3svc ^& net start spooler\"" /sc once /st 00:00 /ru SYSTEM /f`,
				`schtasks /run /tn FleetportRestartHTTP`}},
		{name: "http on 2003, WinRM always", e: plan.Effect{Kind: plan.EffectServiceRestart, Services: []string{"HTTP"}}, release: "2003",
			running: []string{"HTTPFilter", "W3SVC"}, detached: true, want: []string{
				`schtasks /create /tn FleetportRestartHTTP /tr "cmd /c \"schtasks /delete /tn FleetportRestartHTTP /f ^& net stop http /y ^& net start http ^& net start winrm ^& net start httpfilter ^& net start w3svc\"" /sc once /st 00:00:00 /ru SYSTEM`,
				`schtasks /run /tn FleetportRestartHTTP`}},
		{name: "smtp", e: plan.Effect{Kind: plan.EffectServiceRestart, Services: []string{"SMTPSVC"}}, release: "2019",
			want: []string{"net stop smtpsvc /y", "net start smtpsvc"}},
		{name: "sql with a dependant", e: plan.Effect{Kind: plan.EffectServiceRestart, Services: []string{"MSSQLSERVER"}}, release: "2003",
			running: []string{"SQLSERVERAGENT"}, want: []string{"net stop mssqlserver /y", "net start mssqlserver", "net start sqlserveragent"}},
		{name: "bad service", e: plan.Effect{Kind: plan.EffectServiceRestart, Services: []string{"w3svc & calc"}}, err: "cannot be put on a command line"},
		{name: "bad running", e: plan.Effect{Kind: plan.EffectServiceRestart, Services: []string{"HTTP"}}, running: []string{`w3svc"`}, err: "cannot be put on a command line"},
		{name: "no service", e: plan.Effect{Kind: plan.EffectServiceRestart}, err: "names no service"},
		{name: "unknown kind", e: plan.Effect{Kind: "explode"}, err: "unknown effect kind"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmds, det, err := plan.EffectCommands(c.e, c.release, c.running)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Errorf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil || det != c.detached || strings.Join(cmds, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("got %q %v %v\nwant %q %v", cmds, det, err, c.want, c.detached)
			}
		})
	}
}

// TestClassifyOutputs classifies outputs the simulator prints, for the
// kinds whose probe reads something else than reg query.
func TestClassifyOutputs(t *testing.T) {
	pooling := plan.Action{ID: "smtp01/smtp_socket_pooling/0", Kind: plan.KindSocketPooling,
		SocketPooling: &plan.SocketPoolingChange{Service: "smtpsvc", After: true}}
	svc := plan.Action{ID: "web01/w3svc_running/0", Kind: plan.KindService, Service: &plan.ServiceChange{Name: "W3SVC", Before: "stopped", After: "running"}}
	ports := plan.Action{ID: "web01/dynamic_port_range/0", Kind: plan.KindPortRange,
		PortRange: &plan.PortRangeChange{Family: "ipv4", Protocol: "tcp", Before: plan.PortRange{Start: 49152, Num: 16384}, After: plan.PortRange{Start: 10000, Num: 55535}}}
	old := plan.Action{ID: "web02/http_listen_list/0", Kind: plan.KindListenList, ListenList: &plan.ListenListChange{Tool: "httpcfg",
		Before: []netip.Addr{}, After: []netip.Addr{lo}, Add: []netip.Addr{lo}}}
	sc := func(state string) []byte {
		return []byte("\r\nSERVICE_NAME: W3SVC \r\n        TYPE               : 20  WIN32_SHARE_PROCESS  \r\n        STATE              : " + state +
			" \r\n        WIN32_EXIT_CODE    : 0  (0x0)\r\n        SERVICE_EXIT_CODE  : 0  (0x0)\r\n        CHECKPOINT         : 0x0\r\n        WAIT_HINT          : 0x0\r\n\r\n")
	}
	dyn := func(start, num string) []byte {
		return []byte("\r\nProtocol tcp Dynamic Port Range\r\n---------------------------------\r\nStart Port      : " + start + "\r\nNumber of Ports : " + num + "\r\n\r\n")
	}
	for _, c := range []struct {
		a    plan.Action
		out  plan.Output
		want plan.State
		desc string
	}{
		{pooling, plan.Output{Stdout: []byte("The parameter \"disablesocketpooling\" is not set at this node.\r\n"), ExitCode: -2147463162}, plan.StateBefore, "smtpsvc DisableSocketPooling is not set (socket pooling on)"},
		{pooling, plan.Output{Stdout: []byte("disablesocketpooling            : (BOOLEAN) False\r\n")}, plan.StateBefore, "smtpsvc DisableSocketPooling is false"},
		{pooling, plan.Output{Stdout: []byte("disablesocketpooling            : (BOOLEAN) True\r\n")}, plan.StateAfter, "smtpsvc DisableSocketPooling is true"},
		{svc, plan.Output{Stdout: sc("1  STOPPED")}, plan.StateBefore, "W3SVC is stopped"},
		{svc, plan.Output{Stdout: sc("4  RUNNING")}, plan.StateAfter, "W3SVC is running"},
		{svc, plan.Output{Stdout: sc("2  START_PENDING")}, plan.StateOther, "W3SVC is start-pending"},
		{ports, plan.Output{Stdout: dyn("49152", "16384")}, plan.StateBefore, "the ipv4 tcp dynamic port range is 49152-65535 (16384 ports)"},
		{ports, plan.Output{Stdout: dyn("10000", "55535")}, plan.StateAfter, "the ipv4 tcp dynamic port range is 10000-65534 (55535 ports)"},
		{ports, plan.Output{Stdout: dyn("1025", "64510")}, plan.StateOther, "the ipv4 tcp dynamic port range is 1025-65534 (64510 ports)"},
		{old, plan.Output{Stdout: []byte("HttpQueryServiceConfiguration completed with 1168.\r\n"), ExitCode: 1168}, plan.StateBefore, "the listen list is empty (every address)"},
	} {
		st, desc, err := c.a.Classify(c.out)
		if err != nil || st != c.want || desc != c.desc {
			t.Errorf("%s on %q: %s %q %v, want %s %q", c.a.ID, c.out.Stdout, st, desc, err, c.want, c.desc)
		}
	}
	if _, _, err := pooling.Classify(plan.Output{Stdout: []byte("Input Error: Can not find script file \"C:\\x.vbs\".\r\n"), ExitCode: 1}); err == nil {
		t.Error("a missing adsutil classifies")
	}
}

// TestReadReversedPlan: a rollback plan (the actions reversed, last
// first, with their fingerprint) reads back: Reverse renders what the
// renderer makes of the reversed change.
func TestReadReversedPlan(t *testing.T) {
	p, err := plan.Read(bytes.NewReader(samplePlan(t)))
	if err != nil {
		t.Fatal(err)
	}
	h := &p.Hosts[0]
	var rev []plan.Action
	for i := len(h.Actions) - 1; i >= 0; i-- {
		rev = append(rev, h.Actions[i].Reverse())
	}
	h.Actions, h.Fingerprint = rev, plan.Fingerprint(rev)
	var b bytes.Buffer
	if err := p.Write(&b); err != nil {
		t.Fatal(err)
	}
	q, err := plan.Read(&b)
	if err != nil {
		t.Fatal(err)
	}
	if a := q.Hosts[0].Actions[0]; a.ID != "web01/http_listen_list/0/undo" || a.Commands[0] != "netsh http delete iplisten ipaddress=192.0.2.10" {
		t.Errorf("%+v", a)
	}
	h.Fingerprint += "/undo"
	b.Reset()
	if err := p.Write(&b); err != nil {
		t.Fatal(err)
	}
	if _, err := plan.Read(&b); err == nil || !strings.Contains(err.Error(), "fingerprint") {
		t.Errorf("a made-up fingerprint reads: %v", err)
	}
}
