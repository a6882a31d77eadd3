package winhost

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Spec describes one simulated host as it is at boot. [New] validates it
// and copies what it keeps, so the caller may reuse it.
type Spec struct {
	// Name is the NetBIOS computer name, e.g. "WEB01" (1 to 15
	// characters, no spaces or \/:*?"<>|).
	Name string
	// Domain is the primary DNS suffix; may be empty.
	Domain string
	OS     OS
	// Build is what `ver` prints, e.g. "10.0.17763.1879"; empty means
	// the release's base build.
	Build string
	// Locale decides the UI language of the console tools and the OEM
	// code page they write in: en-US (437), de-DE/fr-FR and the other
	// western European locales (850), pl-PL/cs-CZ (852), ru-RU (866),
	// zh-CN (936). Empty means en-US.
	Locale string
	// Interfaces are the host's network interfaces. The first address of
	// the first interface is the management address fleetport reaches the
	// host on (127.x.y.z in the simulator).
	Interfaces []Interface
	// Registry holds values beyond the release's defaults, written as
	// `reg add` would write them.
	Registry []RegValue
	// ListenOnlyList is the http.sys IP listen list, configured and in
	// effect at boot (written to HTTP\Parameters\ListenOnlyList).
	ListenOnlyList []netip.Addr
	// Services are services beyond the release's defaults (SMTPSVC,
	// MSSQLSERVER, ...).
	Services []ServiceSpec
	// Listeners are extra listening sockets that do not belong to a
	// service of the model, open whenever the host is up.
	Listeners []Listener
	// Connections are extra TCP connections (any state but LISTENING),
	// present whenever the host is up; a reboot does not remove them.
	Connections []Connection
	// Piles are large groups of connections toward one remote endpoint,
	// typically TIME_WAIT ([Pile]); a reboot removes them.
	Piles []Pile
	// NoDefaultSockets leaves out the sockets a Windows server always has
	// (RPC 135, SMB 445, NetBIOS, RDP, the RPC dynamic listeners and the
	// default UDP endpoints), so that a test can give the whole socket
	// table itself. http.sys and the services' listeners still follow
	// the services.
	NoDefaultSockets bool
	// WithoutIIS leaves IIS's web services out of the release's defaults
	// (W3SVC and WAS; on 2003 W3SVC and HTTP SSL, keeping the IIS Admin
	// Service that SMTP needs): a host that is not a web server. http.sys
	// then listens only for WinRM.
	WithoutIIS bool
	// NoHTTPSys leaves out the http.sys listeners (PID 4 on 80, 443,
	// 5985, 47001) from netstat; reachability is not affected.
	NoHTTPSys bool
	// Sites are the IIS web sites. While W3SVC runs, their bindings are
	// registered with http.sys (netsh http show servicestate) and http.sys
	// listens on their ports. Nil means IIS's own default, "Default Web
	// Site" bound to HTTP://*:80/; an empty slice means no site. Sites
	// need IIS (not WithoutIIS).
	Sites []Site
	// WinRMHTTPS says WinRM has an HTTPS listener besides its HTTP one:
	// while WinRM runs it registers HTTPS://+:5986/WSMAN/ and http.sys
	// listens on 5986.
	WinRMHTTPS bool
	// BootTime is when the host last started; `wmic os get
	// LastBootUpTime` reports it until the next reboot, which sets it to
	// the moment the host comes back up. Zero means the moment New is
	// called (Options.Now).
	BootTime time.Time
	// TimeZone is the host's time zone, in which wmic prints times with
	// their offset from UTC. Nil means UTC.
	TimeZone *time.Location
	// Metabase holds IIS metabase properties as they are at boot, by
	// adsutil.vbs path, with adsutil's value syntax:
	// {"smtpsvc/disablesocketpooling": "true"}. Only DisableSocketPooling
	// (BOOLEAN) is modelled, at the service level ("smtpsvc") and at the
	// instance level ("smtpsvc/1"), for the metabase services the host
	// has (SMTPSVC, NNTPSVC, MSFTPSVC, W3SVC); the metabase needs the IIS
	// Admin Service (IISADMIN). A metabase service (SMTPSVC, NNTPSVC,
	// MSFTPSVC) reads the value of its instance 1 when it starts: unless
	// socket pooling is disabled there (or at the service level, which the
	// instance inherits), its listeners on one address bind the unspecified
	// address of their family instead (0.0.0.0:25 for SMTP).
	Metabase map[string]string
}

// Site is one IIS web site: a name and its bindings, each written as the
// URL http.sys is asked to serve ("HTTP://10.1.2.3:80/" for one address,
// "HTTP://*:80/" for every address, "HTTPS://www.example.com:443/" for a
// host name). The scheme is http or https; the port defaults to 80 or
// 443.
type Site struct {
	Name     string
	Bindings []string
}

// Interface is one network interface of the host.
type Interface struct {
	Name  string
	Addrs []netip.Addr
	// Bits are the prefix lengths of Addrs, by index, which ipconfig
	// prints as subnet masks. A missing or zero entry means 8 for an
	// address in 127.0.0.0/8, 24 for any other IPv4 address and 64 for
	// IPv6.
	Bits []int
	// Gateway is the interface's default gateway, which ipconfig prints;
	// the zero value means none (an empty "Default Gateway" line).
	Gateway netip.Addr
}

// RegValue is one registry value as `reg add` takes it: Type is a
// reg.exe type name (REG_SZ, REG_EXPAND_SZ, REG_MULTI_SZ, REG_DWORD,
// REG_QWORD, REG_BINARY, REG_NONE) and Data is what /d would be (decimal
// or 0x-prefixed numbers, hex digits for binary, \0-separated strings
// for REG_MULTI_SZ). Path takes the HKLM/HKCU abbreviations.
type RegValue struct {
	Path, Name, Type, Data string
}

// StartType is a service's start mode.
type StartType uint8

// The start modes sc.exe knows.
const (
	StartAuto StartType = iota
	StartManual
	StartDisabled
)

// ServiceSpec describes a service beyond the release's defaults.
type ServiceSpec struct {
	Name        string // key name, e.g. "SMTPSVC"
	DisplayName string // e.g. "Simple Mail Transfer Protocol (SMTP)"
	DependsOn   []string
	Start       StartType
	// Stopped: the service is not running at boot even though it is
	// automatic (it failed, or someone stopped it before the snapshot).
	Stopped bool
	// Image is the executable (e.g. "inetinfo.exe") and PID the process
	// id netstat -o shows for its listeners.
	Image string
	PID   uint32
	// Listeners are the sockets the service holds while it runs; a zero
	// PID takes the service's PID, an empty Image/Service the service's.
	Listeners []Listener
}

// Proto is a transport protocol of the socket table.
type Proto uint8

// The protocols netstat lists.
const (
	TCP Proto = iota
	UDP
)

func (p Proto) String() string {
	if p == UDP {
		return "UDP"
	}
	return "TCP"
}

// Listener is a listening TCP socket or a bound UDP socket.
type Listener struct {
	Proto Proto
	Addr  netip.AddrPort // 0.0.0.0 / :: for every address; may carry a zone
	PID   uint32
	// Service and Image are the lines `netstat -b` prints under the row
	// ("  RpcSs", " [svchost.exe]"). Both empty: " Can not obtain
	// ownership information", as for PID 4 and protected processes.
	Service, Image string
}

// Connection is a TCP connection in any state but LISTENING.
type Connection struct {
	Local, Remote  netip.AddrPort
	State          TCPState
	PID            uint32
	Service, Image string
}

// Pile is Count TCP connections from the host toward one remote endpoint,
// all in one state (TIME_WAIT unless set). The host keeps only this
// description: the rows are generated when a command asks for them, with
// local ports taken in order from the client port range in effect (the
// dynamic port range from 2008 on, 1025..MaxUserPort on 2003), shared by
// all piles and capped at the size of that range.
type Pile struct {
	Local  netip.Addr // zero: the management address
	Remote netip.AddrPort
	State  TCPState // zero: TimeWait
	Count  int
	PID    uint32 // netstat shows 0 for TIME_WAIT whatever is set here
}

// TCPState is a TCP connection state, numbered as MSFT_NetTCPConnection
// numbers them (the numbering the pwsh package uses).
type TCPState uint8

// The states.
const (
	Closed      TCPState = 1
	Listen      TCPState = 2
	SynSent     TCPState = 3
	SynReceived TCPState = 4
	Established TCPState = 5
	FinWait1    TCPState = 6
	FinWait2    TCPState = 7
	CloseWait   TCPState = 8
	Closing     TCPState = 9
	LastAck     TCPState = 10
	TimeWait    TCPState = 11
	DeleteTCB   TCPState = 12
	Bound       TCPState = 100
)

// String is the English netstat name of the state.
func (s TCPState) String() string { return textEN.states.name(s) }

// ParseTCPState parses an English netstat state name (LISTENING,
// ESTABLISHED, TIME_WAIT, ...).
func ParseTCPState(s string) (TCPState, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	for st, n := range textEN.states {
		if n != "" && n == u {
			return TCPState(st), nil
		}
	}
	return 0, fmt.Errorf("unknown TCP state %q", s)
}

// Options are the host's run-time knobs.
type Options struct {
	// Now is the host's clock (audit times, schtasks); nil = time.Now.
	Now func() time.Time
	// ServiceStepDelay is how long one service start or stop takes.
	// Zero means none; [DefaultServiceStepDelay] is a realistic value.
	ServiceStepDelay time.Duration
	// RebootDuration is how long the host stays unreachable after
	// shutdown /r or [Host.Reboot].
	RebootDuration time.Duration
	// OnReachability is called, outside the host's locks and in order,
	// whenever WinRM over http.sys becomes reachable or unreachable on
	// the management address.
	OnReachability func(up bool)
}

// DefaultServiceStepDelay is a realistic time for one service start or
// stop, for callers that want one.
const DefaultServiceStepDelay = 50 * time.Millisecond

// locales maps the supported locales to their OEM code page.
var locales = map[string]int{
	"en-US": 437,
	"en-GB": 850, "de-DE": 850, "de-AT": 850, "de-CH": 850,
	"fr-FR": 850, "fr-BE": 850, "fr-CH": 850, "es-ES": 850, "it-IT": 850,
	"nl-NL": 850, "pt-BR": 850,
	"pl-PL": 852, "cs-CZ": 852,
	"ru-RU": 866,
	"zh-CN": 936,
}

// canonLocale returns the locale as the table spells it.
func canonLocale(s string) (string, bool) {
	if s == "" {
		return "en-US", true
	}
	for l := range locales {
		if strings.EqualFold(l, s) {
			return l, true
		}
	}
	return "", false
}

// validate checks the spec and returns every problem at once.
func (s *Spec) validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if s.Name == "" || len(s.Name) > 15 || strings.ContainsAny(s.Name, " \\/:*?\"<>|,.") {
		bad("name %q is not a NetBIOS computer name (1-15 characters, no spaces or \\/:*?\"<>|,.)", s.Name)
	}
	if s.OS.info() == nil {
		bad("OS is not set (want one of 2003, 2008r2, 2012r2, 2016, 2019, 2022)")
	}
	if _, ok := canonLocale(s.Locale); !ok {
		bad("locale %q is not supported (en-US, en-GB, de-DE, fr-FR, es-ES, it-IT, nl-NL, pt-BR, pl-PL, cs-CZ, ru-RU, zh-CN, ...)", s.Locale)
	}
	if len(s.Interfaces) == 0 || len(s.Interfaces[0].Addrs) == 0 {
		bad("no interface address: the first address of the first interface is the management address")
	}
	for i, itf := range s.Interfaces {
		for _, a := range itf.Addrs {
			if !a.IsValid() || a.IsUnspecified() {
				bad("interface %d (%s): %v is not a host address", i, itf.Name, a)
			}
		}
		if len(itf.Bits) > len(itf.Addrs) {
			bad("interface %d (%s): %d prefix lengths for %d addresses", i, itf.Name, len(itf.Bits), len(itf.Addrs))
		}
		for j, n := range itf.Bits {
			if j < len(itf.Addrs) && itf.Addrs[j].IsValid() && (n < 0 || n > itf.Addrs[j].BitLen()) {
				bad("interface %d (%s): prefix length %d for %v", i, itf.Name, n, itf.Addrs[j])
			}
		}
		if itf.Gateway.IsValid() && itf.Gateway.IsUnspecified() {
			bad("interface %d (%s): gateway %v is not an address", i, itf.Name, itf.Gateway)
		}
	}
	if s.Build != "" && !validBuild(s.Build) {
		bad("build %q is not of the form 10.0.17763[.1879]", s.Build)
	}
	for _, a := range s.ListenOnlyList {
		if !a.IsValid() {
			bad("ListenOnlyList holds an invalid address")
		}
	}
	for _, v := range s.Registry {
		if _, err := parseRegPath(v.Path); err != nil {
			bad("registry value %s\\%s: %v", v.Path, v.Name, err)
			continue
		}
		if _, err := parseRegData(v.Type, v.Data, "\\0"); err != nil {
			bad("registry value %s\\%s: %v", v.Path, v.Name, err)
		}
	}
	seen := map[string]bool{}
	for _, d := range hostServices(s.OS, s.WithoutIIS) {
		seen[strings.ToLower(d.name)] = true
	}
	for _, sv := range s.Services {
		k := strings.ToLower(sv.Name)
		switch {
		case sv.Name == "" || strings.ContainsAny(sv.Name, " \\/"):
			bad("service name %q is not a service key name", sv.Name)
		case seen[k]:
			bad("service %s is defined twice (or is one of the release's defaults)", sv.Name)
		}
		seen[k] = true
	}
	for _, sv := range s.Services {
		for _, d := range sv.DependsOn {
			if !seen[strings.ToLower(d)] {
				bad("service %s depends on unknown service %s", sv.Name, d)
			}
		}
		for _, l := range sv.Listeners {
			if !l.Addr.IsValid() {
				bad("service %s: listener without an address", sv.Name)
			}
		}
	}
	for _, l := range s.Listeners {
		if !l.Addr.IsValid() {
			bad("listener without an address")
		}
	}
	for path, v := range s.Metabase {
		if err := checkMetabaseValue(s, path, v); err != nil {
			bad("metabase %s: %v", path, err)
		}
	}
	if len(s.Sites) > 0 && s.WithoutIIS {
		bad("sites need IIS, and the spec says WithoutIIS")
	}
	siteNames := map[string]bool{}
	for _, st := range s.Sites {
		if strings.TrimSpace(st.Name) == "" || siteNames[strings.ToLower(st.Name)] {
			bad("site name %q is empty or used twice", st.Name)
		}
		siteNames[strings.ToLower(st.Name)] = true
		for _, b := range st.Bindings {
			if _, err := parseBinding(b); err != nil {
				bad("site %q: %v", st.Name, err)
			}
		}
	}
	for _, c := range s.Connections {
		if !c.Local.IsValid() || !c.Remote.IsValid() {
			bad("connection without local or remote address")
		}
		if c.State == Listen || textEN.states.name(c.State) == "" {
			bad("connection %v -> %v: state %d is not a connection state", c.Local, c.Remote, c.State)
		}
	}
	for _, p := range s.Piles {
		if err := p.check(); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid host spec %q: %w", s.Name, errors.Join(errs...))
	}
	return nil
}

func (p Pile) check() error {
	switch {
	case !p.Remote.IsValid() || p.Remote.Port() == 0:
		return fmt.Errorf("pile: remote endpoint %v is not an address:port", p.Remote)
	case p.Count < 0:
		return fmt.Errorf("pile toward %v: negative count", p.Remote)
	case p.State == Listen || (p.State != 0 && textEN.states.name(p.State) == ""):
		return fmt.Errorf("pile toward %v: state %d is not a connection state", p.Remote, p.State)
	}
	return nil
}

func validBuild(b string) bool {
	parts := strings.Split(b, ".")
	if len(parts) < 3 || len(parts) > 4 {
		return false
	}
	for _, p := range parts {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return true
}
