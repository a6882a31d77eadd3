package winhost

import (
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Tests of the commands staged remediation uses: cscript with adsutil.vbs
// and the metabase's effect on SMTP, cd, ipconfig, sc enumdepend, and the
// restart and reboot counters.

// ipconfig2012R2Capture is `ipconfig` on Windows Server 2012 R2 run over
// WinRM by Ansible's raw module, stdout byte for byte (code index id
// 1745375461; parse/testdata/ipconfig/en-US-2012r2-winrm.txt holds the
// same bytes).
const ipconfig2012R2Capture = "\r\nWindows IP Configuration\r\n\r\n\r\nEthernet adapter Ethernet 2:\r\n\r\n" +
	"   Connection-specific DNS Suffix  . : \r\n   Link-local IPv6 Address . . . . . : fe80::940e:854c:d30:ce8b%16\r\n" +
	"   IPv4 Address. . . . . . . . . . . : 192.168.2.6\r\n   Subnet Mask . . . . . . . . . . . : 255.255.255.0\r\n" +
	"   Default Gateway . . . . . . . . . : \r\n\r\nEthernet adapter Ethernet:\r\n\r\n" +
	"   Connection-specific DNS Suffix  . : \r\n   Link-local IPv6 Address . . . . . : fe80::f9f4:33db:8703:4244%12\r\n" +
	"   IPv4 Address. . . . . . . . . . . : 10.0.2.15\r\n   Subnet Mask . . . . . . . . . . . : 255.255.255.0\r\n" +
	"   Default Gateway . . . . . . . . . : 10.0.2.2\r\n\r\n" +
	"Tunnel adapter isatap.{380551EF-D345-4EA8-8323-39058D784E6D}:\r\n\r\n" +
	"   Media State . . . . . . . . . . . : Media disconnected\r\n   Connection-specific DNS Suffix  . : \r\n\r\n" +
	"Tunnel adapter isatap.{5178F18B-3F30-4D9D-8495-67D2F44DD5B1}:\r\n\r\n" +
	"   Media State . . . . . . . . . . . : Media disconnected\r\n   Connection-specific DNS Suffix  . : \r\n"

// ipconfigGermanCapture is a German Windows Server's `ipconfig` through
// Enter-PSSession (code index id 11749282209, kept as comment lines; CRLF
// restored).
const ipconfigGermanCapture = "\r\nWindows-IP-Konfiguration\r\n\r\n\r\nEthernet-Adapter Ethernet:\r\n\r\n" +
	"   Verbindungsspezifisches DNS-Suffix: \r\n   Verbindungslokale IPv6-Adresse  . : fe80::fc1c:8b51:4daa:d8d1%3\r\n" +
	"   IPv4-Adresse  . . . . . . . . . . : 192.168.0.3\r\n   Subnetzmaske  . . . . . . . . . . : 255.255.255.0\r\n" +
	"   Standardgateway . . . . . . . . . : 192.168.0.254\r\n\r\n" +
	"Tunneladapter isatap.{5E99D55C-CB2B-420C-A7F6-9B5C6EFA2447}:\r\n\r\n" +
	"   Medienstatus. . . . . . . . . . . : Medium getrennt\r\n   Verbindungsspezifisches DNS-Suffix: \r\n"

// guids hides ISATAP adapters' GUIDs, which Windows draws at random.
var guids = regexp.MustCompile(`\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}`)

func TestIpconfigMatchesCaptures(t *testing.T) {
	a := netip.MustParseAddr
	spec := baseSpec(Server2012R2)
	spec.Interfaces = []Interface{
		{Name: "Ethernet 2", Addrs: []netip.Addr{a("192.168.2.6"), a("fe80::940e:854c:d30:ce8b%16")}},
		{Name: "Ethernet", Addrs: []netip.Addr{a("10.0.2.15"), a("fe80::f9f4:33db:8703:4244%12")}, Gateway: a("10.0.2.2")},
	}
	h := newHost(t, spec, Options{})
	got := mustRun(t, h, "ipconfig")
	if g, w := guids.ReplaceAllString(got, "{GUID}"), guids.ReplaceAllString(ipconfig2012R2Capture, "{GUID}"); g != w {
		t.Errorf("2012 R2:\n got %q\nwant %q", g, w)
	}
	for _, os := range []OS{Server2012R2, Server2016} {
		spec := baseSpec(os)
		spec.Locale = "de-DE"
		spec.Interfaces = []Interface{{Name: "Ethernet", Addrs: []netip.Addr{a("192.168.0.3"), a("fe80::fc1c:8b51:4daa:d8d1%3")}, Gateway: a("192.168.0.254")}}
		h := newHost(t, spec, Options{})
		got := mustRun(t, h, "ipconfig")
		if g, w := guids.ReplaceAllString(got, "{GUID}"), guids.ReplaceAllString(ipconfigGermanCapture, "{GUID}"); g != w {
			t.Errorf("%s German:\n got %q\nwant %q", os, g, w)
		}
	}
}

func TestIpconfigModel(t *testing.T) {
	spec := baseSpec(Server2019)
	spec.Interfaces[0].Bits = []int{16}
	h := newHost(t, spec, Options{})
	got := mustRun(t, h, "ipconfig")
	// A link-local address of its own, the masks from Bits (and the
	// defaults), no ISATAP from 2019 on, an empty gateway line.
	ll := h.Addresses()[0]
	if !ll.IsLinkLocalUnicast() || ll.Zone() != "4" {
		t.Fatalf("link-local %v", ll)
	}
	want := "\r\nWindows IP Configuration\r\n\r\n\r\nEthernet adapter Ethernet:\r\n\r\n" +
		"   Connection-specific DNS Suffix  . : \r\n   Link-local IPv6 Address . . . . . : " + ll.String() + "\r\n" +
		"   IPv4 Address. . . . . . . . . . . : 127.0.10.1\r\n   Subnet Mask . . . . . . . . . . . : 255.255.0.0\r\n" +
		"   IPv4 Address. . . . . . . . . . . : 10.1.2.3\r\n   Subnet Mask . . . . . . . . . . . : 255.255.255.0\r\n" +
		"   Default Gateway . . . . . . . . . : \r\n"
	if got != want {
		t.Errorf("2019:\n got %q\nwant %q", got, want)
	}
	if again := mustRun(t, newHost(t, spec, Options{}), "ipconfig"); again != got {
		t.Error("the link-local address is not stable")
	}
	// The host has its link-local address: http.sys may be told to
	// listen on it.
	if o := mustRun(t, h, "netsh http add iplisten ipaddress="+ll.WithZone("").String()); !strings.Contains(o, "successfully added") {
		t.Errorf("add iplisten on the link-local address: %q", o)
	}
	// 2003: 8 blanks, "IP Address", no IPv6, no tunnel; German labels.
	spec = baseSpec(Server2003)
	spec.Locale = "de-DE"
	spec.Interfaces[0].Gateway = netip.MustParseAddr("10.1.2.1")
	want = "\r\nWindows-IP-Konfiguration\r\n\r\n\r\nEthernetadapter Ethernet:\r\n\r\n" +
		"        Verbindungsspezifisches DNS-Suffix: \r\n" +
		"        IP-Adresse. . . . . . . . . . . . : 127.0.10.1\r\n        Subnetzmaske. . . . . . . . . . . : 255.0.0.0\r\n" +
		"        IP-Adresse. . . . . . . . . . . . : 10.1.2.3\r\n        Subnetzmaske. . . . . . . . . . . : 255.255.255.0\r\n" +
		"        Standardgateway . . . . . . . . . : 10.1.2.1\r\n"
	if got := mustRun(t, newHost(t, spec, Options{}), "ipconfig"); got != want {
		t.Errorf("2003 German:\n got %q\nwant %q", got, want)
	}
	// /all and the other switches are not modelled.
	o, _, code := run(t, h, "ipconfig /all")
	if code != 1 || !strings.Contains(o, "Error: unrecognized or incomplete command line.") {
		t.Errorf("ipconfig /all: %d %q", code, o)
	}
	if o, _, code := run(t, h, "ipconfig /?"); code != 0 || !strings.Contains(o, "USAGE:") {
		t.Errorf("ipconfig /?: %d %q", code, o)
	}
	// Localized, in the OEM code page.
	spec = baseSpec(Server2016)
	spec.Locale = "fr-FR"
	if o := mustRun(t, newHost(t, spec, Options{}), "ipconfig"); !strings.Contains(o, "   Passerelle par d\x82faut. . . . . . . . . : \r\n") ||
		!strings.Contains(o, "Carte Tunnel isatap.{") {
		t.Errorf("French: %q", o)
	}
}

// smtpSpec is an SMTP server: IIS SMTP bound to 10.1.2.3:25, with the IIS
// Admin Service it needs.
func smtpSpec(os OS) Spec {
	spec := baseSpec(os)
	spec.WithoutIIS = true
	spec.Services = []ServiceSpec{{Name: "SMTPSVC", DisplayName: "Simple Mail Transfer Protocol (SMTP)", DependsOn: []string{"IISADMIN"},
		Image: "inetinfo.exe", PID: 1876, Listeners: []Listener{{Proto: TCP, Addr: netip.MustParseAddrPort("10.1.2.3:25")}}}}
	if os != Server2003 {
		spec.Services = append([]ServiceSpec{{Name: "IISADMIN", DisplayName: "IIS Admin Service", Image: "inetinfo.exe", PID: 1876}}, spec.Services...)
	}
	return spec
}

// smtpRow is netstat -an's row for SMTP's listener on addr.
func smtpRow(addr string) string {
	return "  TCP    " + addr + ":25" + strings.Repeat(" ", 23-len(addr)-3) + "0.0.0.0:0              LISTENING"
}

func TestSocketPoolingFollowsTheMetabaseAtStart(t *testing.T) {
	for _, os := range []OS{Server2003, Server2008R2, Server2019} {
		h := newHost(t, smtpSpec(os), Options{})
		if !strings.Contains(mustRun(t, h, "netstat -an"), smtpRow("0.0.0.0")) || !h.SocketPoolingInEffect("smtpsvc") {
			t.Fatalf("%s: SMTP does not pool sockets by default", os)
		}
		const ads = `cscript //nologo C:\Inetpub\AdminScripts\adsutil.vbs `
		if o := mustRun(t, h, ads+"set smtpsvc/disablesocketpooling true"); o != "disablesocketpooling            : (BOOLEAN) True\r\n" {
			t.Errorf("%s: set: %q", os, o)
		}
		if v, ok := h.MetabaseValue("SMTPSVC/DisableSocketPooling"); !ok || v != "True" {
			t.Errorf("%s: MetabaseValue %q %v", os, v, ok)
		}
		// Read when SMTP starts: not yet.
		if !strings.Contains(mustRun(t, h, "netstat -an"), smtpRow("0.0.0.0")) {
			t.Errorf("%s: the change took effect before a restart", os)
		}
		mustRun(t, h, "net stop smtpsvc & net start smtpsvc")
		ns := mustRun(t, h, "netstat -an")
		if !strings.Contains(ns, smtpRow("10.1.2.3")) || strings.Contains(ns, smtpRow("0.0.0.0")) || h.SocketPoolingInEffect("SMTPSVC") {
			t.Errorf("%s: after the restart:\n%s", os, ns)
		}
		// The instance overrides the service level.
		mustRun(t, h, ads+"set smtpsvc/1/disablesocketpooling false")
		mustRun(t, h, "sc stop smtpsvc")
		waitState(t, h, "SMTPSVC", "STOPPED")
		mustRun(t, h, "sc start smtpsvc")
		waitState(t, h, "SMTPSVC", "RUNNING")
		if !strings.Contains(mustRun(t, h, "netstat -an"), smtpRow("0.0.0.0")) {
			t.Errorf("%s: instance-level false did not win", os)
		}
		if n := h.Restarts("Simple Mail Transfer Protocol (SMTP)"); n != 2 {
			t.Errorf("%s: %d restarts of SMTP, want 2", os, n)
		}
	}
	// The spec's metabase applies at boot.
	spec := smtpSpec(Server2016)
	spec.Metabase = map[string]string{"smtpsvc/disablesocketpooling": "true"}
	if h := newHost(t, spec, Options{}); !strings.Contains(mustRun(t, h, "netstat -an"), smtpRow("10.1.2.3")) {
		t.Error("Spec.Metabase not in effect at boot")
	}
}

func waitState(t *testing.T, h *Host, svc, state string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for h.ServiceState(svc) != state {
		if time.Now().After(deadline) {
			t.Fatalf("%s stays %s, want %s", svc, h.ServiceState(svc), state)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestMetabaseSpecValidation(t *testing.T) {
	cases := map[string]Spec{}
	s := smtpSpec(Server2019)
	s.Metabase = map[string]string{"smtpsvc/serverbindings": "x"}
	cases["not modelled"] = s
	s = smtpSpec(Server2019)
	s.Metabase = map[string]string{"smtpsvc/2/disablesocketpooling": "true"}
	cases["instance 2"] = s
	s = smtpSpec(Server2019)
	s.Metabase = map[string]string{"smtpsvc/disablesocketpooling": "maybe"}
	cases["not a boolean"] = s
	s = baseSpec(Server2019)
	s.Metabase = map[string]string{"w3svc/disablesocketpooling": "true"}
	cases["no IIS Admin Service"] = s
	for name, spec := range cases {
		if _, err := New(spec, Options{}); err == nil || !strings.Contains(err.Error(), "metabase") {
			t.Errorf("%s: %v", name, err)
		}
	}
	s = baseSpec(Server2019)
	s.Interfaces[0].Bits = []int{33}
	if _, err := New(s, Options{}); err == nil || !strings.Contains(err.Error(), "prefix length") {
		t.Errorf("bits: %v", err)
	}
}

func TestCscriptAndAdsutil(t *testing.T) {
	banners := map[OS]string{
		Server2003:   "Microsoft (R) Windows Script Host Version 5.6\r\nCopyright (C) Microsoft Corporation 1996-2001. All rights reserved.\r\n\r\n",
		Server2008R2: "Microsoft (R) Windows Script Host Version 5.8\r\nCopyright (C) Microsoft Corporation. All rights reserved.\r\n\r\n",
		Server2022:   "Microsoft (R) Windows Script Host Version 5.812\r\nCopyright (C) Microsoft Corporation. All rights reserved.\r\n\r\n",
	}
	for os, banner := range banners {
		h := newHost(t, smtpSpec(os), Options{})
		line := `cscript %SystemDrive%\Inetpub\AdminScripts\adsutil.vbs get smtpsvc/disablesocketpooling`
		o, e, code := run(t, h, line)
		if want := banner + "The parameter \"disablesocketpooling\" is not set at this node.\r\n"; o != want || e != "" || code != -2147463162 {
			t.Errorf("%s: %d %q %q", os, code, o, e)
		}
	}
	h := newHost(t, smtpSpec(Server2019), Options{})
	cases := []struct {
		line, out string
		code      int
	}{
		{`cscript //B C:\Inetpub\AdminScripts\adsutil.vbs set SMTPSVC/DisableSocketPooling 1`, "DisableSocketPooling            : (BOOLEAN) True\r\n", 0},
		{`cscript.exe C:/INETPUB/adminscripts/ADSUTIL.VBS //NoLogo get smtpsvc/disablesocketpooling`, "disablesocketpooling            : (BOOLEAN) True\r\n", 0},
		// Set at the service level, not at the instance: adsutil says so.
		{`cscript //nologo C:\Inetpub\AdminScripts\adsutil.vbs get smtpsvc/1/disablesocketpooling`, "The parameter \"disablesocketpooling\" is not set at this node.\r\n", -2147463162},
		{`cscript //nologo C:\Inetpub\AdminScripts\adsutil.vbs get \smtpsvc\1\disablesocketpooling\`, "The parameter \"disablesocketpooling\" is not set at this node.\r\n", -2147463162},
		{`cscript //nologo C:\Inetpub\AdminScripts\adsutil.vbs set smtpsvc/1/disablesocketpooling False`, "disablesocketpooling            : (BOOLEAN) False\r\n", 0},
		{`cscript //nologo C:\Inetpub\AdminScripts\adsutil.vbs get smtpsvc/1/disablesocketpooling`, "disablesocketpooling            : (BOOLEAN) False\r\n", 0},
		{`cscript //nologo C:\Inetpub\AdminScripts\adsutil.vbs get w3svc/disablesocketpooling`,
			"The path requested could not be found.\r\nErrNumber: -2147024893 (0x80070003)\r\nError Trying To GET the Object (GetObject Failed): w3svc\r\n", -2147024893},
		{`cscript //nologo C:\Inetpub\AdminScripts\adsutil.vbs set smtpsvc/3/disablesocketpooling true`,
			"The path requested could not be found.\r\nErrNumber: -2147024893 (0x80070003)\r\nError Trying To Get the Object: smtpsvc/3\r\n", -2147024893},
		{`cscript //nologo C:\Inetpub\AdminScripts\adsutil.vbs set smtpsvc/disablesocketpooling yes`,
			"Type mismatch\r\nErrNumber: 13 (0xD)\r\nError Trying To SET the Property: disablesocketpooling\r\n", 13},
		{`cscript //nologo C:\Inetpub\AdminScripts\adsutil.vbs get smtpsvc/serverbindings`,
			"\r\nErrNumber: -2147463168 (0x80005000)\r\nError Trying To GET the Schema of the property: IIS://localhost/Schema/serverbindings\r\n", -2147463168},
		{`cscript //nologo C:\Inetpub\AdminScripts\adsutil.vbs set disablesocketpooling true`,
			"The directory property cannot be found in the cache.\r\nErrNumber: -2147463155 (0x8000500D)\r\nError Trying To SET the Property: disablesocketpooling\r\n", -2147463155},
		{`cscript //nologo C:\Inetpub\AdminScripts\adsutil.vbs get`, "Error: Wrong number of Args for the GET command\r\n", 2},
		{`cscript //nologo C:\Inetpub\AdminScripts\adsutil.vbs set smtpsvc/disablesocketpooling`, "Error: Wrong number of Args for the SET command\r\n", 2},
		{`cscript //nologo C:\Inetpub\AdminScripts\adsutil.vbs enum smtpsvc`, "Command not recognized: enum\r\nFor help, just type \"Cscript.exe adsutil.vbs\".\r\n", 2},
		{`cscript //nologo adsutil.vbs get smtpsvc/disablesocketpooling`, "Input Error: Can not find script file \"C:\\Users\\Administrator\\adsutil.vbs\".\r\n", 1},
		{`cscript //nologo C:\Inetpub\AdminScripts\other.vbs`, "Input Error: Can not find script file \"C:\\Inetpub\\AdminScripts\\other.vbs\".\r\n", 1},
		{`cscript //nologo D:\adsutil.vbs`, "Input Error: Can not find script file \"D:\\adsutil.vbs\".\r\n", 1},
		{`cscript //foo x.vbs`, "Input Error: Unknown option \"//foo\" specified.\r\n", 1},
		{`cscript //nologo //T:x x.vbs`, "Input Error: Unknown option \"//T:x\" specified.\r\n", 1},
		{`cscript //nologo //T:10 //B`, "Input Error: There is no script file specified.\r\n", 1},
	}
	for _, c := range cases {
		o, e, code := run(t, h, c.line)
		if o != c.out || code != c.code || e != "" {
			t.Errorf("%s:\n got %d %q %q\nwant %d %q", c.line, code, o, e, c.code, c.out)
		}
	}
	if o := mustRun(t, h, "cscript"); !strings.HasPrefix(o, "Microsoft (R) Windows Script Host Version 5.812\r\n") || !strings.Contains(o, "Usage: CScript scriptname.extension") {
		t.Errorf("cscript alone: %q", o)
	}
	if o, _, code := run(t, h, `cscript //nologo C:\Inetpub\AdminScripts\adsutil.vbs`); code != 2 || !strings.Contains(o, "      ADSUTIL.VBS <cmd> [<path> [<value>]]\r\n") {
		t.Errorf("adsutil alone: %d %q", code, o)
	}
	// A web server from 2008 R2 on has no IIS 6 metabase, hence no adsutil.
	w := newHost(t, baseSpec(Server2016), Options{})
	if o, _, code := run(t, w, `cscript //nologo C:\Inetpub\AdminScripts\adsutil.vbs get w3svc/disablesocketpooling`); code != 1 || !strings.HasPrefix(o, "Input Error: Can not find script file") {
		t.Errorf("no metabase: %d %q", code, o)
	}
}

func TestCd(t *testing.T) {
	h := newHost(t, smtpSpec(Server2019), Options{})
	cases := []struct{ line, out, err string }{
		{"cd", "C:\\Users\\Administrator\r\n", ""},
		{"cd /d %SystemDrive%\\Inetpub\\AdminScripts && cd", "C:\\Inetpub\\AdminScripts\r\n", ""},
		{"cd \\inetpub & cd adminscripts & cd", "C:\\Inetpub\\AdminScripts\r\n", ""},
		// %CD% expands when cmd reads the line, before cd runs.
		{"cd \"C:\\Program Files\" && cd .. && echo %CD%", "C:\\Users\\Administrator\r\n", ""},
		{"cd C:\\Windows\\System32\\.. && cd", "C:\\Windows\r\n", ""},
		{"cd.. & cd\\ & cd", "C:\\\r\n", ""},
		{"cd /d c:\\inetpub\\ADMINSCRIPTS && cd", "C:\\Inetpub\\AdminScripts\r\n", ""},
		{"cd C:\\nowhere", "", "The system cannot find the path specified.\r\n"},
		{"cd /d D:\\", "", "The system cannot find the drive specified.\r\n"},
		// Each side of a pipe, and a nested cmd, has its own directory.
		{"cd \\ | findstr x & cd", "C:\\Users\\Administrator\r\n", ""},
		{"cmd /c cd \\ & cd", "C:\\Users\\Administrator\r\n", ""},
	}
	for _, c := range cases {
		o, e, _ := run(t, h, c.line)
		if o != c.out || e != c.err {
			t.Errorf("%s:\n got %q %q\nwant %q %q", c.line, o, e, c.out, c.err)
		}
	}
	if _, _, code := run(t, h, "cd C:\\nowhere"); code != 1 {
		t.Errorf("cd to nowhere: exit %d", code)
	}
	// A web server without the metabase has C:\Inetpub but no AdminScripts.
	w := newHost(t, baseSpec(Server2016), Options{})
	if o, e, _ := run(t, w, "cd /d C:\\Inetpub\\AdminScripts & cd"); o != "C:\\Users\\Administrator\r\n" || e == "" {
		t.Errorf("AdminScripts without the metabase: %q %q", o, e)
	}
}

func TestScEnumDepend(t *testing.T) {
	h := newHost(t, baseSpec(Server2019), Options{})
	o, _, code := run(t, h, "sc enumdepend http")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	// The layout of the sc parser fixture (code index id 41594638980):
	// the header, then each block after a blank line.
	if !strings.HasPrefix(o, "[SC] EnumDependentServices: entriesread = 4\r\n\r\nSERVICE_NAME: W3SVC\r\nDISPLAY_NAME: World Wide Web Publishing Service\r\n"+
		"        TYPE               : 20  WIN32_SHARE_PROCESS  \r\n        STATE              : 4  RUNNING \r\n"+
		"                                (STOPPABLE, PAUSABLE, ACCEPTS_SHUTDOWN)\r\n        WIN32_EXIT_CODE    : 0  (0x0)\r\n"+
		"        SERVICE_EXIT_CODE  : 0  (0x0)\r\n        CHECKPOINT         : 0x0\r\n        WAIT_HINT          : 0x0\r\n\r\nSERVICE_NAME: WinRM\r\n") {
		t.Errorf("layout:\n%s", o)
	}
	var names []string
	for _, l := range strings.Split(o, "\r\n") {
		if n, ok := strings.CutPrefix(l, "SERVICE_NAME: "); ok {
			names = append(names, n)
		}
	}
	// Every dependant whatever its state (SSDP Discovery is disabled and
	// stopped), dependants before what they depend on, no PID.
	if strings.Join(names, ",") != "W3SVC,WinRM,SSDPSRV,Spooler" || strings.Contains(o, "PID") || !strings.HasSuffix(o, "WAIT_HINT          : 0x0\r\n\r\n") {
		t.Errorf("dependants %v:\n%s", names, o)
	}
	// Indirect dependants: on 2003 W3SVC depends on HTTP through HTTP SSL,
	// and comes first (it starts last).
	o = mustRun(t, newHost(t, baseSpec(Server2003), Options{}), "sc enumdepend HTTP")
	if i, j := strings.Index(o, "SERVICE_NAME: W3SVC\r\n"), strings.Index(o, "SERVICE_NAME: HTTPFilter\r\n"); i < 0 || j < 0 || i > j {
		t.Errorf("2003:\n%s", o)
	}
	// Too small a buffer: the size needed, exit 234 (ERROR_MORE_DATA).
	o, _, code = run(t, h, "sc enumdepend http 100")
	if code != 234 || o != "[SC] EnumDependentServices: entriesread = 0\r\n[SC] EnumDependentServices: more data, need 458 bytes\r\n" {
		t.Errorf("small buffer: %d %q", code, o)
	}
	if o := mustRun(t, h, "sc enumdepend http 458"); !strings.HasPrefix(o, "[SC] EnumDependentServices: entriesread = 4\r\n") {
		t.Errorf("exact buffer: %q", o)
	}
	if o := mustRun(t, h, "sc enumdepend winrm"); o != "[SC] EnumDependentServices: entriesread = 0\r\n" {
		t.Errorf("no dependants: %q", o)
	}
	if o, _, code := run(t, h, "sc enumdepend nosuch"); code != 1060 || o != "[SC] OpenService FAILED 1060:\r\n\r\nThe specified service does not exist as an installed service.\r\n\r\n" {
		t.Errorf("unknown service: %d %q", code, o)
	}
	if o, _, code := run(t, h, "sc enumdepend"); code != 1 || !strings.Contains(o, "enumdepend") {
		t.Errorf("no name: %d %q", code, o)
	}
}

func TestRestartAndRebootCounters(t *testing.T) {
	spec := baseSpec(Server2019)
	h := newHost(t, spec, Options{RebootDuration: 5 * time.Millisecond})
	if h.Restarts("W3SVC") != 0 || h.Restarts("HTTP") != 0 || h.Reboots() != 0 || h.Restarts("nosuch") != 0 {
		t.Fatal("counters not zero after New")
	}
	// net stop http /y stops the dependants; net start w3svc starts HTTP
	// and W3SVC again (WinRM stays down: the session is cut).
	mustRun(t, h, "net stop http /y")
	mustRun(t, h, "net start w3svc")
	if h.Restarts("HTTP") != 1 || h.Restarts("World Wide Web Publishing Service") != 1 || h.Restarts("WinRM") != 0 || h.Restarts("WAS") != 0 {
		t.Errorf("after the HTTP restart: HTTP %d, W3SVC %d, WinRM %d, WAS %d", h.Restarts("HTTP"), h.Restarts("W3SVC"), h.Restarts("WinRM"), h.Restarts("WAS"))
	}
	// A failed start counts nothing; a start at boot counts nothing.
	_, _, _ = run(t, h, "net start w3svc")
	h.Reboot()
	deadline := time.Now().Add(5 * time.Second)
	for !h.Up() || h.ServiceState("WinRM") != "RUNNING" {
		if time.Now().After(deadline) {
			t.Fatal("the host did not come back")
		}
		time.Sleep(time.Millisecond)
	}
	if h.Reboots() != 1 || h.Restarts("W3SVC") != 1 || h.Restarts("WinRM") != 0 {
		t.Errorf("after a reboot: reboots %d, W3SVC %d, WinRM %d", h.Reboots(), h.Restarts("W3SVC"), h.Restarts("WinRM"))
	}
	mustRun(t, h, "shutdown /r /t 0")
	if h.Reboots() != 2 {
		t.Errorf("shutdown /r: reboots %d", h.Reboots())
	}
}
