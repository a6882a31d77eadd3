package parse_test

// The simulator's outputs for the commands of staged remediation, parsed:
// ipconfig on every release × locale (the addresses, never the masks or
// the gateway), adsutil.vbs get and set through cscript, and sc
// enumdepend, against what the host model holds.

import (
	"bytes"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/parse"
	"github.com/fleetport/fleetport/internal/sim/winhost"
)

func TestSimulatorIPConfig(t *testing.T) {
	for _, os := range simOSes {
		for i, loc := range simLocales {
			spec := winhost.Spec{
				Name: "MAIL01", OS: os, Locale: loc.name,
				Interfaces: []winhost.Interface{
					{Name: "Ethernet0", Addrs: []netip.Addr{netip.MustParseAddr("127.20.0.7"), netip.MustParseAddr("10.20.0.7"),
						netip.MustParseAddr("10.20.255.254")}, Bits: []int{16, 16, 16}},
					{Name: "Backup", Addrs: []netip.Addr{netip.MustParseAddr("192.168.7.7")}},
				},
			}
			// Half the hosts have gateways: one that looks like a host
			// address, and one on the second interface.
			if i%2 == 0 {
				spec.Interfaces[0].Gateway = netip.MustParseAddr("10.20.0.1")
				spec.Interfaces[1].Gateway = netip.MustParseAddr("192.168.7.1")
			}
			h, err := winhost.New(spec, winhost.Options{})
			if err != nil {
				t.Fatal(err)
			}
			out := mustExec(t, h, "ipconfig")
			for _, hint := range []int{0, loc.cp} {
				got, err := parse.ParseIPConfig(bytes.NewReader(out), parse.Options{CodePage: hint})
				if err != nil {
					t.Errorf("%s/%s hint %d: %v\n%q", os, loc.name, hint, err, out)
					continue
				}
				if want := h.Addresses(); !slices.Equal(got, want) {
					t.Errorf("%s/%s hint %d:\n got %v\nwant %v", os, loc.name, hint, got, want)
				}
				for _, a := range got {
					if a == spec.Interfaces[0].Gateway || a == spec.Interfaces[1].Gateway || strings.HasPrefix(a.String(), "255.") {
						t.Errorf("%s/%s: %v is a gateway or mask", os, loc.name, a)
					}
				}
			}
			h.Close()
		}
	}
}

// smtpHost is an SMTP server as the fleet builds one: IIS SMTP bound to
// the service address, socket pooling on (no DisableSocketPooling).
func smtpHost(t *testing.T, os winhost.OS, locale string) *winhost.Host {
	t.Helper()
	spec := winhost.Spec{
		Name: "MAIL01", OS: os, Locale: locale,
		Interfaces: []winhost.Interface{{Name: "Ethernet0", Addrs: []netip.Addr{netip.MustParseAddr("127.20.0.7"), netip.MustParseAddr("10.20.0.7")}}},
		WithoutIIS: true,
		Services: []winhost.ServiceSpec{{Name: "SMTPSVC", DisplayName: "Simple Mail Transfer Protocol (SMTP)", DependsOn: []string{"IISADMIN"},
			Image: "inetinfo.exe", PID: 1876, Listeners: []winhost.Listener{{Proto: winhost.TCP, Addr: netip.MustParseAddrPort("10.20.0.7:25")}}}},
	}
	if os != winhost.Server2003 {
		spec.Services = append([]winhost.ServiceSpec{{Name: "IISADMIN", DisplayName: "IIS Admin Service", Image: "inetinfo.exe", PID: 1876}}, spec.Services...)
	}
	h, err := winhost.New(spec, winhost.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

// listeners25 are the addresses netstat shows listening on port 25.
func listeners25(t *testing.T, h *winhost.Host) []netip.AddrPort {
	t.Helper()
	tab, err := parse.ParseNetstat(bytes.NewReader(mustExec(t, h, "netstat -ano")), parse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out []netip.AddrPort
	for _, l := range tab.Listeners {
		if l.Local.Port() == 25 {
			out = append(out, l.Local)
		}
	}
	return out
}

func TestSimulatorAdsutil(t *testing.T) {
	const ads = `cscript //nologo C:\Inetpub\AdminScripts\adsutil.vbs `
	for _, os := range simOSes {
		h := smtpHost(t, os, "de-DE")
		if got := listeners25(t, h); !slices.Equal(got, []netip.AddrPort{netip.MustParseAddrPort("0.0.0.0:25")}) {
			t.Fatalf("%s: pooled SMTP listens on %v", os, got)
		}
		o, _, code := execHost(t, h, ads+"get smtpsvc/disablesocketpooling")
		v, err := parse.ParseAdsutil(bytes.NewReader(o), parse.Options{})
		if err != nil || v.Set || v.Name != "disablesocketpooling" || code != -2147463162 {
			t.Errorf("%s: get before: %+v, %v, exit %d", os, v, err, code)
		}
		v, err = parse.ParseAdsutil(bytes.NewReader(mustExec(t, h, ads+"set smtpsvc/disablesocketpooling true")), parse.Options{})
		if b, berr := v.Bool(); err != nil || berr != nil || !b {
			t.Errorf("%s: set: %+v, %v", os, v, err)
		}
		// The cd form, with cmd's expansion and the banner.
		out := mustExec(t, h, `cd /d %SystemDrive%\Inetpub\AdminScripts && cscript adsutil.vbs get smtpsvc/disablesocketpooling`)
		v, err = parse.ParseAdsutil(bytes.NewReader(out), parse.Options{})
		if b, berr := v.Bool(); err != nil || berr != nil || !b || !v.Set {
			t.Errorf("%s: get after: %+v, %v\n%q", os, v, err, out)
		}
		// Not in effect until SMTP restarts.
		if got := listeners25(t, h); len(got) != 1 || !got[0].Addr().IsUnspecified() {
			t.Errorf("%s: before the restart: %v", os, got)
		}
		mustExec(t, h, "net stop smtpsvc")
		mustExec(t, h, "net start smtpsvc")
		if got := listeners25(t, h); !slices.Equal(got, []netip.AddrPort{netip.MustParseAddrPort("10.20.0.7:25")}) {
			t.Errorf("%s: after the restart: %v", os, got)
		}
		if h.Restarts("SMTPSVC") != 1 || h.Reboots() != 0 {
			t.Errorf("%s: restarts %d, reboots %d", os, h.Restarts("SMTPSVC"), h.Reboots())
		}
	}
}

func TestSimulatorEnumDepend(t *testing.T) {
	for _, os := range simOSes {
		h := smtpHost(t, os, "en-US")
		for _, svc := range []string{"HTTP", "IISADMIN", "SMTPSVC", "RpcSs"} {
			o, _, code := execHost(t, h, "sc enumdepend "+svc+" 65536")
			deps, err := parse.ParseSCEnumDepend(bytes.NewReader(o), parse.Options{})
			if err != nil || code != 0 {
				t.Fatalf("%s %s: %v (exit %d)\n%s", os, svc, err, code, o)
			}
			for _, d := range deps {
				if want := h.ServiceState(d.Name); !strings.EqualFold(strings.ReplaceAll(d.State.String(), "-", "_"), want) {
					t.Errorf("%s %s: %s is %s, the host says %s", os, svc, d.Name, d.State, want)
				}
			}
			switch svc {
			case "IISADMIN":
				if len(deps) != 1 || deps[0].Name != "SMTPSVC" || deps[0].State != facts.ServiceRunning {
					t.Errorf("%s: dependants of IISADMIN: %+v", os, deps)
				}
			case "SMTPSVC":
				if len(deps) != 0 {
					t.Errorf("%s: dependants of SMTPSVC: %+v", os, deps)
				}
			case "HTTP":
				names := []string{}
				for _, d := range deps {
					names = append(names, d.Name)
				}
				if !slices.Contains(names, "WinRM") {
					t.Errorf("%s: dependants of HTTP: %v", os, names)
				}
			}
		}
		// No service of the model has dependants that overflow sc's
		// default 1,024 bytes; a tiny buffer does.
		o, _, code := execHost(t, h, "sc enumdepend HTTP 10")
		if _, err := parse.ParseSCEnumDepend(bytes.NewReader(o), parse.Options{}); code != 234 || err == nil || !strings.Contains(err.Error(), "needs") {
			t.Errorf("%s: small buffer: exit %d, %v", os, code, err)
		}
	}
}
