package sim

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/fleetport/fleetport/internal/sim/winhost"
)

// The simulated fleet's baseline: what a host that carries no drift looks
// like. It is the configuration the seeds recommend (see docs/SIMULATOR.md):
// TIME_WAIT shortened to 30 s, 2003's MaxUserPort raised to 65534, a wide
// dynamic port range from 2008 R2 on, http.sys restricted to the service
// address plus the management and loopback addresses, the web site bound to
// the service address, and SMTP bound to the service address only.
const (
	tcpipKey          = `HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters`
	baselineTimedWait = "30"
	baselineMaxUser   = "65534"
	baselineDynStart  = 10000
	baselineDynNum    = 55535
	defaultPileCount  = 12000
	staleListenAddr   = "192.168.33.1" // the address of the real event-15005 report in the corpus
)

// sqlEndpoint is where the fleet's clients connect to SQL Server: the first
// sql host's service address, or a fixed one when the fleet has none.
func sqlEndpoint(plans []HostPlan) netip.AddrPort {
	for _, p := range plans {
		if p.Role == "sql" {
			return netip.AddrPortFrom(p.ServiceAddr, 1433)
		}
	}
	return netip.MustParseAddrPort("10.0.0.9:1433")
}

// timeZones are the hosts' time zones by locale: the standard time of the
// locale's main zone (the model has no daylight saving time), so that wmic
// prints offsets such as -300, +060 and +480. Other locales use UTC.
var timeZones = map[string]*time.Location{
	"en-US": time.FixedZone("EST", -300*60), "pt-BR": time.FixedZone("BRT", -180*60),
	"en-GB": time.UTC,
	"de-DE": time.FixedZone("CET", 60*60), "de-AT": time.FixedZone("CET", 60*60), "de-CH": time.FixedZone("CET", 60*60),
	"fr-FR": time.FixedZone("CET", 60*60), "fr-BE": time.FixedZone("CET", 60*60), "fr-CH": time.FixedZone("CET", 60*60),
	"es-ES": time.FixedZone("CET", 60*60), "it-IT": time.FixedZone("CET", 60*60), "nl-NL": time.FixedZone("CET", 60*60),
	"pl-PL": time.FixedZone("CET", 60*60), "cs-CZ": time.FixedZone("CET", 60*60),
	"ru-RU": time.FixedZone("MSK", 180*60), "zh-CN": time.FixedZone("CST", 480*60),
}

// hostSpec turns a plan into the host model's boot state. start is when
// the fleet was built: the host booted its Uptime before it.
func hostSpec(p HostPlan, sc Scenario, sql netip.AddrPort, start time.Time) (winhost.Spec, error) {
	osv, err := winhost.ParseOS(p.OS)
	if err != nil {
		return winhost.Spec{}, err
	}
	spec := winhost.Spec{
		Name:   strings.ToUpper(p.Name),
		Domain: sc.Domain,
		OS:     osv,
		Locale: p.Locale,
		Interfaces: []winhost.Interface{
			// Both networks have the fleet's prefix length (the service
			// network mirrors the management one into 10.0.0.0/8).
			{Name: "Ethernet0", Addrs: []netip.Addr{p.Addr, p.ServiceAddr},
				Bits: []int{sc.Network.Bits(), max(sc.Network.Bits(), 8)}},
		},
		// WinRM's HTTPS listener is there when the fleet serves https.
		WinRMHTTPS: sc.HTTPSPort != 0,
		BootTime:   start.Add(-p.Uptime),
		TimeZone:   timeZones[p.Locale],
	}
	// IIS's web services (W3SVC) run on the web servers only; an SMTP
	// server keeps the IIS Admin Service its SMTP needs (WithoutIIS keeps
	// it on 2003; from 2008 the SMTP service below brings it).
	spec.WithoutIIS = p.Role != "web"
	reg := func(name, typ, data string) {
		spec.Registry = append(spec.Registry, winhost.RegValue{Path: tcpipKey, Name: name, Type: typ, Data: data})
	}
	if !p.Has(DriftTimedWaitDelayDefault) && !p.Has(DriftPendingReboot) {
		reg("TcpTimedWaitDelay", "REG_DWORD", baselineTimedWait)
	}
	if p.OS == "2003" && !p.Has(DriftMaxUserPortDefault) {
		reg("MaxUserPort", "REG_DWORD", baselineMaxUser)
	}
	for _, svc := range p.Services {
		switch svc {
		case "W3SVC":
			if !p.Has(DriftListenListEmpty) {
				spec.ListenOnlyList = []netip.Addr{p.ServiceAddr, p.Addr, netip.MustParseAddr("127.0.0.1")}
			}
			if p.Has(DriftListenListStale) {
				spec.ListenOnlyList = append(spec.ListenOnlyList, netip.MustParseAddr(staleListenAddr))
			}
			// The site is bound to the address http.sys is meant to
			// listen on.
			spec.Sites = []winhost.Site{{Name: "Default Web Site", Bindings: []string{siteURL(p.ServiceAddr)}}}
			if p.Has(DriftSiteBindingUnlisted) && p.SiteAddr.IsValid() {
				// A second address on the interface and a site bound to
				// it, which the listen list does not name: the site
				// starts, and nothing answers on its address.
				spec.Interfaces[0].Addrs = append(spec.Interfaces[0].Addrs, p.SiteAddr)
				spec.Interfaces[0].Bits = append(spec.Interfaces[0].Bits, max(sc.Network.Bits(), 8))
				spec.Sites = append(spec.Sites, winhost.Site{Name: "intranet", Bindings: []string{siteURL(p.SiteAddr)}})
			}
		case "SMTPSVC":
			// The SMTP virtual server is bound to the service address. IIS
			// SMTP pools sockets, binding 0.0.0.0:25 instead, unless
			// DisableSocketPooling is set in the metabase when it starts:
			// the baseline sets it at the service level, as the
			// smtp_socket_pooling remediation does.
			bind := netip.AddrPortFrom(p.ServiceAddr, 25)
			if !p.Has(DriftSMTPWildcard) {
				spec.Metabase = map[string]string{"smtpsvc/disablesocketpooling": "true"}
			}
			if p.OS != "2003" {
				// From IIS 7 on, only the IIS 6 management compatibility
				// that SMTP needs brings the IIS Admin Service back.
				spec.Services = append(spec.Services, winhost.ServiceSpec{
					Name: "IISADMIN", DisplayName: "IIS Admin Service", Image: "inetinfo.exe", PID: 1876,
				})
			}
			spec.Services = append(spec.Services, winhost.ServiceSpec{
				Name: "SMTPSVC", DisplayName: "Simple Mail Transfer Protocol (SMTP)",
				DependsOn: []string{"IISADMIN"}, Image: "inetinfo.exe", PID: 1876,
				Listeners: []winhost.Listener{{Proto: winhost.TCP, Addr: bind}},
			})
		case "MSSQLSERVER":
			if p.OS == "2003" {
				// SQL Server 2000, as a 2003 host runs it, with its listen
				// backlog raised above the built-in 5 (KB 154628).
				spec.Registry = append(spec.Registry, winhost.RegValue{Path: `HKLM\SOFTWARE\Microsoft\MSSQLServer\MSSQLServer`,
					Name: "WinsockListenBacklog", Type: "REG_DWORD", Data: "64"})
			}
			spec.Services = append(spec.Services, winhost.ServiceSpec{
				Name: "MSSQLSERVER", DisplayName: "SQL Server (MSSQLSERVER)",
				Image: "sqlservr.exe", PID: 2208,
				Listeners: []winhost.Listener{
					{Proto: winhost.TCP, Addr: netip.MustParseAddrPort("0.0.0.0:1433")},
					{Proto: winhost.TCP, Addr: netip.MustParseAddrPort("[::]:1433")},
				},
			})
		}
	}
	if p.Role == "app" || p.Role == "web" {
		// A pooled client keeps a few connections to SQL Server open.
		for i := range 4 {
			spec.Connections = append(spec.Connections, winhost.Connection{
				Local:  netip.AddrPortFrom(p.ServiceAddr, uint16(50100+i)),
				Remote: sql, State: winhost.Established, PID: 3120, Image: "w3wp.exe",
			})
		}
	}
	if p.Has(DriftTimeWaitPile) {
		n := p.PileCount
		if n <= 0 {
			n = defaultPileCount
		}
		spec.Piles = append(spec.Piles, winhost.Pile{Local: p.ServiceAddr, Remote: sql, State: winhost.TimeWait, Count: n})
	}
	return spec, nil
}

// siteURL is an http binding on port 80 of one address.
func siteURL(a netip.Addr) string { return "HTTP://" + a.String() + ":80/" }

// setupCommands are what an administrator ran on the host after it booted,
// leaving it in the planned state: changes that are configured but not yet
// in effect can only be made this way.
func setupCommands(p HostPlan) []string {
	var cmds []string
	if p.OS != "2003" && !p.Has(DriftDynamicRangeDefault) {
		cmds = append(cmds, fmt.Sprintf("netsh int ipv4 set dynamicport tcp start=%d num=%d", baselineDynStart, baselineDynNum))
	}
	if p.Has(DriftListenListLockoutPending) {
		if p.OS == "2003" {
			cmds = append(cmds, "httpcfg delete iplisten -i "+p.Addr.String())
		} else {
			cmds = append(cmds, "netsh http delete iplisten ipaddress="+p.Addr.String())
		}
	}
	if p.Has(DriftPendingReboot) {
		cmds = append(cmds, `reg add "`+tcpipKey+`" /v TcpTimedWaitDelay /t REG_DWORD /d `+baselineTimedWait+` /f`)
	}
	if p.Has(DriftW3SVCStopped) {
		cmds = append(cmds, "net stop w3svc")
	}
	return cmds
}

// applySetup runs the setup commands through the host's own command
// interpreter and fails when Windows would have refused one.
func applySetup(ctx context.Context, h *Host) error {
	for _, line := range setupCommands(h.Plan) {
		var out, errOut bytes.Buffer
		code := h.Model.Exec(ctx, winhost.Command{Line: line, Codepage: 65001, User: "Administrator", Stdout: &out, Stderr: &errOut})
		if code != 0 {
			return fmt.Errorf("setup %q: exit %d: %s%s", line, code, out.String(), errOut.String())
		}
	}
	return nil
}
