package parse_test

// The simulator's outputs for every Windows release × locale it plays,
// parsed and compared with what the host model was built with: the socket
// table (listeners, connections in every state, PIDs, -b owners, a
// TIME_WAIT pile and its use of the client port range), the http.sys
// listen list (netsh and httpcfg), registry values of every type, the
// dynamic port ranges, ver, sc, and Get-NetTCPConnection's JSON, which is
// also compared row for row with netstat's table.
//
// The simulator (internal/sim/winhost) is used from this test only; the
// parser package never imports it (internal/archtest enforces that).

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/parse"
	"github.com/fleetport/fleetport/internal/sim/winhost"
)

var simOSes = []winhost.OS{winhost.Server2003, winhost.Server2008R2, winhost.Server2012R2,
	winhost.Server2016, winhost.Server2019, winhost.Server2022}

// simLocales are all the locales the simulator supports, with their OEM
// code page.
var simLocales = []struct {
	name string
	cp   int
}{
	{"en-US", 437}, {"en-GB", 850}, {"de-DE", 850}, {"de-AT", 850}, {"de-CH", 850},
	{"fr-FR", 850}, {"fr-BE", 850}, {"fr-CH", 850}, {"es-ES", 850}, {"it-IT", 850},
	{"nl-NL", 850}, {"pt-BR", 850}, {"pl-PL", 852}, {"cs-CZ", 852}, {"ru-RU", 866}, {"zh-CN", 936},
}

var simBuilds = map[winhost.OS]string{
	winhost.Server2003: "5.2.3790", winhost.Server2008R2: "6.1.7601", winhost.Server2012R2: "6.3.9600",
	winhost.Server2016: "10.0.14393.4169", winhost.Server2019: "10.0.17763.1879", winhost.Server2022: "10.0.20348.887",
}

const (
	keyTcpip = `HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters`
	keyAFD   = `HKLM\SYSTEM\CurrentControlSet\Services\AFD\Parameters`
	keyHTTP  = `HKLM\SYSTEM\CurrentControlSet\Services\HTTP\Parameters`
)

var simRegistry = []winhost.RegValue{
	{Path: keyTcpip, Name: "TcpTimedWaitDelay", Type: "REG_DWORD", Data: "30"},
	{Path: keyTcpip, Name: "MaxUserPort", Type: "REG_DWORD", Data: "0x4e20"}, // 20000
	{Path: keyTcpip, Name: "ReservedPorts", Type: "REG_MULTI_SZ", Data: `1433-1434\05000-5010`},
	{Path: keyAFD, Name: "EnableDynamicBacklog", Type: "REG_DWORD", Data: "1"},
	{Path: keyAFD, Name: "MaximumDynamicBacklog", Type: "REG_DWORD", Data: "0xffffffff"},
	{Path: keyAFD, Name: "Big Value", Type: "REG_QWORD", Data: "0x1122334455667788"},
	{Path: keyAFD, Name: "Blob", Type: "REG_BINARY", Data: "DEADBEEF00"},
	{Path: keyAFD, Name: "Nothing", Type: "REG_NONE", Data: ""},
	{Path: keyAFD, Name: "Path Value", Type: "REG_EXPAND_SZ", Data: `%SystemRoot%\system32`},
	{Path: keyAFD, Name: "Spaces  In    Name", Type: "REG_SZ", Data: "a  b    c "},
	{Path: keyAFD, Name: "Empty", Type: "REG_SZ", Data: ""},
	{Path: keyAFD, Name: "EmptyMulti", Type: "REG_MULTI_SZ", Data: ""},
}

type simHost struct {
	h       *winhost.Host
	spec    winhost.Spec
	os      winhost.OS
	locale  string
	cp      int
	vista   bool // 2008 R2 and later
	netTCP  bool // Get-NetTCPConnection (2012 R2 and later)
	mgmt    netip.Addr
	second  netip.Addr
	listed  bool // the spec has a listen list
	dynamic *facts.PortRange
	pile    winhost.Pile
	https   bool // WinRM has an HTTPS listener
}

// simZones are the time zones the hosts of TestSimulator take in turn.
var simZones = []*time.Location{time.UTC, time.FixedZone("EST", -300*60), time.FixedZone("CET", 60*60),
	time.FixedZone("IST", 330*60), time.FixedZone("NST", -210*60), time.FixedZone("NZST", 720*60)}

func newSimHost(t *testing.T, i int, os winhost.OS, locale string, cp int) *simHost {
	t.Helper()
	mgmt := netip.AddrFrom4([4]byte{127, 20, byte(i / 200), byte(1 + i%200)})
	second := netip.MustParseAddr("10.0.0.5")
	vista := os != winhost.Server2003
	s := &simHost{os: os, locale: locale, cp: cp, vista: vista, netTCP: os >= winhost.Server2012R2,
		mgmt: mgmt, second: second, listed: i%2 == 1}
	addrs := []netip.Addr{mgmt, second}
	if vista {
		addrs = append(addrs, netip.MustParseAddr("fe80::5%3"))
	}
	local := func(port uint16) netip.AddrPort { return netip.AddrPortFrom(second, port) }
	remote := netip.MustParseAddrPort("10.0.0.9:443")
	var conns []winhost.Connection
	for j, st := range []winhost.TCPState{winhost.Established, winhost.SynSent, winhost.SynReceived,
		winhost.FinWait1, winhost.FinWait2, winhost.CloseWait, winhost.Closing, winhost.LastAck,
		winhost.TimeWait, winhost.Closed, winhost.DeleteTCB, winhost.Bound} {
		pid := uint32(3000 + j)
		if st == winhost.TimeWait {
			pid = 0
		}
		c := winhost.Connection{Local: local(uint16(3001 + j)), Remote: remote, State: st, PID: pid}
		if j%3 == 0 && pid != 0 {
			c.Service, c.Image = "Svc"+fmt.Sprint(j), "app.exe"
		} else if j%3 == 1 && pid != 0 {
			c.Image = "client.exe"
		}
		conns = append(conns, c)
	}
	if vista {
		conns = append(conns, winhost.Connection{Local: netip.MustParseAddrPort("[fe80::5%3]:3100"),
			Remote: netip.MustParseAddrPort("[fe80::9%3]:445"), State: winhost.Established, PID: 3100, Image: "v6.exe"})
	}
	listeners := []winhost.Listener{
		{Proto: winhost.TCP, Addr: local(1433), PID: 2200, Service: "MSSQLSERVER", Image: "sqlservr.exe"},
		{Proto: winhost.UDP, Addr: netip.MustParseAddrPort("0.0.0.0:1434"), PID: 2210, Image: "sqlbrowser.exe"},
	}
	if vista {
		listeners = append(listeners, winhost.Listener{Proto: winhost.UDP, Addr: netip.MustParseAddrPort("[fe80::5%3]:1900"), PID: 2300, Service: "SSDPSRV", Image: "svchost.exe"})
	}
	s.pile = winhost.Pile{Remote: netip.MustParseAddrPort("10.0.0.20:1433"), Count: 3000, PID: 4321}
	s.spec = winhost.Spec{
		Name: "WEB01", OS: os, Locale: locale, Build: simBuilds[os],
		Interfaces:  []winhost.Interface{{Name: "Ethernet", Addrs: addrs}},
		Registry:    simRegistry,
		Services:    []winhost.ServiceSpec{{Name: "SMTPSVC", DisplayName: "Simple Mail Transfer Protocol (SMTP)", Image: "inetinfo.exe", PID: 1880, Listeners: []winhost.Listener{{Proto: winhost.TCP, Addr: netip.MustParseAddrPort("0.0.0.0:25")}}}},
		Listeners:   listeners,
		Connections: conns,
		Piles:       []winhost.Pile{s.pile},
	}
	if s.listed {
		s.spec.ListenOnlyList = []netip.Addr{mgmt, second}
	}
	s.https = i%3 != 2
	s.spec.WinRMHTTPS = s.https
	s.spec.BootTime = time.Date(2026, time.Month(1+i%12), 1+i%28, i%24, 7, 8, 123456789+i, time.UTC)
	s.spec.TimeZone = simZones[i%len(simZones)]
	s.spec.Sites = []winhost.Site{
		{Name: "Default Web Site", Bindings: []string{"HTTP://" + second.String() + ":80/"}},
		{Name: "api", Bindings: []string{"https://*:443/api/", "http://www.corp.example:80/"}},
	}
	h, err := winhost.New(s.spec, winhost.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	s.h = h
	if vista && i%3 == 0 {
		mustExec(t, h, "netsh int ipv4 set dynamicport tcp start=10000 num=30000")
		s.dynamic = &facts.PortRange{Start: 10000, Count: 30000}
	}
	return s
}

func execHost(t testing.TB, h *winhost.Host, line string) (stdout, stderr []byte, code int) {
	t.Helper()
	var o, e bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code = h.Exec(ctx, winhost.Command{Line: line, Codepage: 65001, Stdout: &o, Stderr: &e})
	return o.Bytes(), e.Bytes(), code
}

func mustExec(t testing.TB, h *winhost.Host, line string) []byte {
	t.Helper()
	o, e, code := execHost(t, h, line)
	if code != 0 {
		t.Fatalf("%s: exit %d\nstdout: %q\nstderr: %q", line, code, o, e)
	}
	return o
}

// powershell runs a script the way WinRM clients do.
func powershell(t testing.TB, h *winhost.Host, script string) []byte {
	t.Helper()
	u := utf16.Encode([]rune(script))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return mustExec(t, h, "powershell -NoProfile -NonInteractive -EncodedCommand "+base64.StdEncoding.EncodeToString(b))
}

func TestSimulator(t *testing.T) {
	i := 0
	for _, os := range simOSes {
		for _, loc := range simLocales {
			i++
			n := i
			t.Run(os.String()+"/"+loc.name, func(t *testing.T) {
				t.Parallel()
				s := newSimHost(t, n, os, loc.name, loc.cp)
				t.Run("ver", s.testVer)
				t.Run("netstat", s.testNetstat)
				t.Run("listen", s.testListenList)
				t.Run("reg", s.testRegistry)
				t.Run("dynamicport", s.testDynamicPort)
				t.Run("sc", s.testSC)
				t.Run("tcpconnection", s.testTCPConnectionJSON)
				t.Run("boottime", s.testBootTime)
				t.Run("servicestate", s.testServiceState)
			})
		}
	}
}

func (s *simHost) testVer(t *testing.T) {
	v, err := parse.ParseVer(bytes.NewReader(mustExec(t, s.h, "ver")), parse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v.Version != simBuilds[s.os] || v.Release != s.os.String() {
		t.Errorf("ver = %+v, want %s (%s)", v, simBuilds[s.os], s.os)
	}
}

// wantEncoding is what netstat's output must be decoded as: the German
// state words and French header hold CP850 letters, the Chinese header
// GBK; every other locale writes pure ASCII.
func (s *simHost) wantEncoding() string {
	switch {
	case strings.HasPrefix(s.locale, "de-"), strings.HasPrefix(s.locale, "fr-"):
		return "cp850"
	case s.locale == "zh-CN":
		return "cp936"
	}
	return "ascii"
}

// clientRange is the client port range in effect.
func (s *simHost) clientRange() facts.PortRange {
	start, num := s.h.DynamicPortRangeInEffect()
	return facts.PortRange{Start: uint16(start), Count: num}
}

func (s *simHost) testNetstat(t *testing.T) {
	for _, hint := range []int{0, s.cp} {
		out := mustExec(t, s.h, "netstat -anob")
		tab, err := parse.ParseNetstat(bytes.NewReader(out), parse.Options{CodePage: hint})
		if err != nil {
			t.Fatalf("netstat -anob (hint %d): %v", hint, err)
		}
		if want := s.wantEncoding(); tab.Encoding != want && !(hint != 0 && want != "ascii" && tab.Encoding == fmt.Sprintf("cp%d", hint)) {
			t.Errorf("hint %d: encoding %q, want %q", hint, tab.Encoding, want)
		}
		if !tab.PIDs || !tab.Owners {
			t.Errorf("pids=%v owners=%v for -anob", tab.PIDs, tab.Owners)
		}
		s.checkTable(t, &tab, true, false)
	}

	tab, err := parse.ParseNetstat(bytes.NewReader(mustExec(t, s.h, "netstat -an")), parse.Options{})
	if err != nil {
		t.Fatalf("netstat -an: %v", err)
	}
	if tab.PIDs || tab.Owners {
		t.Errorf("netstat -an: pids=%v owners=%v", tab.PIDs, tab.Owners)
	}
	s.checkTable(t, &tab, false, false)

	// -q shows BOUND sockets; keep only listeners: the counts stay.
	tab, err = parse.ParseNetstat(bytes.NewReader(mustExec(t, s.h, "netstat -anoq")),
		parse.Options{Sockets: facts.SocketOptions{Keep: facts.KeepListeners}})
	if err != nil {
		t.Fatalf("netstat -anoq: %v", err)
	}
	if tab.Summary.States.Get(facts.StateBound) != 1 || len(tab.Connections) != 0 || tab.Kept != facts.KeepListeners {
		t.Errorf("-anoq KeepListeners: bound=%d connections kept=%d", tab.Summary.States.Get(facts.StateBound), len(tab.Connections))
	}
	s.checkTable(t, &tab, true, true)
}

// checkTable compares a parsed table with the host model.
func (s *simHost) checkTable(t *testing.T, tab *facts.Sockets, pids, bound bool) {
	t.Helper()
	owners := tab.Owners
	kept := tab.Kept == facts.KeepAll
	find := func(proto facts.Proto, local netip.AddrPort) (facts.Socket, bool) {
		for _, rows := range [][]facts.Socket{tab.Listeners, tab.Connections} {
			for _, r := range rows {
				if r.Proto == proto && r.Local == local {
					return r, true
				}
			}
		}
		return facts.Socket{}, false
	}
	checkOwner := func(what string, r facts.Socket, svc, img string) {
		t.Helper()
		if !owners {
			if r.Owner != nil {
				t.Errorf("%s: owner %s without -b", what, ownerString(r.Owner))
			}
			return
		}
		want := facts.Owner{Service: svc, Image: img}
		if s.os == winhost.Server2003 {
			// XP/2003 -b prints only the image, [System] for PID 4.
			want.Service = ""
			if want.Image == "" {
				want.Image = "System"
			}
		} else if svc == "" && img == "" {
			want.Unavailable = true
		}
		if r.Owner == nil || *r.Owner != want {
			t.Errorf("%s: owner %s, want %s", what, ownerString(r.Owner), ownerString(&want))
		}
	}
	// The spec's listeners and the SMTP service's.
	for _, l := range s.spec.Listeners {
		proto := facts.ProtoTCP
		if l.Proto == winhost.UDP {
			proto = facts.ProtoUDP
		}
		if !s.vista && l.Addr.Addr().Is6() {
			continue
		}
		r, ok := find(proto, l.Addr)
		if !ok {
			t.Errorf("listener %v %v missing", proto, l.Addr)
			continue
		}
		if pids && r.PID != l.PID || !r.IsListener() {
			t.Errorf("listener %v: %+v, want PID %d", l.Addr, r, l.PID)
		}
		checkOwner(l.Addr.String(), r, l.Service, l.Image)
	}
	if r, ok := find(facts.ProtoTCP, netip.MustParseAddrPort("0.0.0.0:25")); !ok || r.State != facts.StateListen || (pids && r.PID != 1880) {
		t.Errorf("SMTP 0.0.0.0:25: %+v %v", r, ok)
	} else {
		// A service in its own process shows only the image.
		checkOwner("SMTP", r, "", "inetinfo.exe")
		if !slices.ContainsFunc(tab.Summary.WildcardBinds, func(w facts.Socket) bool { return w.Local == r.Local }) {
			t.Errorf("0.0.0.0:25 is not among the wildcard binds")
		}
	}
	// http.sys (PID 4) follows the listen list in effect.
	for _, port := range []uint16{80, 5985} {
		wild, wok := find(facts.ProtoTCP, netip.AddrPortFrom(netip.IPv4Unspecified(), port))
		onSecond, sok := find(facts.ProtoTCP, netip.AddrPortFrom(s.second, port))
		if s.listed {
			if wok || !sok || (pids && onSecond.PID != 4) {
				t.Errorf("listed host: http.sys :%d wildcard=%v on %v=%v", port, wok, s.second, sok)
			} else {
				checkOwner("http.sys", onSecond, "", "")
			}
		} else if !wok || sok || (pids && wild.PID != 4) {
			t.Errorf("unlisted host: http.sys :%d wildcard=%v on %v=%v", port, wok, s.second, sok)
		}
	}
	// Connections in every state.
	want := map[facts.State]int{}
	inRange := 0
	rng := s.clientRange()
	// Listening ports: Windows never gives a client socket a port a
	// listener holds, and the client-socket rule relies on that. The
	// simulator's piles take ports in order without that check (1025 is
	// lsass's on 2003, 4966x the RPC listeners' later), so the expected
	// use leaves those ports out.
	listening := map[uint16]bool{}
	for _, r := range tab.Listeners {
		if r.Proto == facts.ProtoTCP {
			listening[r.Local.Port()] = true
		}
	}
	for _, c := range s.spec.Connections {
		if !s.vista && c.Local.Addr().Is6() {
			continue
		}
		st := facts.State(c.State)
		if st == facts.StateBound && !bound {
			continue
		}
		want[st]++
		if rng.Contains(c.Local.Port()) && !listening[c.Local.Port()] {
			inRange++
		}
		if !kept && st != facts.StateListen {
			continue
		}
		r, ok := find(facts.ProtoTCP, c.Local)
		if !ok {
			t.Errorf("connection %v (%v) missing", c.Local, st)
			continue
		}
		if r.State != st || r.Remote != c.Remote || (pids && r.PID != c.PID) {
			t.Errorf("connection %v: %v -> %v pid %d; want %v -> %v pid %d", c.Local, r.State, r.Remote, r.PID, st, c.Remote, c.PID)
		}
		if c.PID != 0 {
			checkOwner(c.Local.String(), r, c.Service, c.Image)
		}
	}
	// The pile: TIME_WAIT toward one endpoint, local ports from the start
	// of the client range in effect.
	pileRows := min(s.pile.Count, rng.Count)
	want[facts.StateTimeWait] += pileRows
	for st, n := range want {
		if got := tab.Summary.States.Get(st); got != n {
			t.Errorf("%v: %d rows, want %d", st, got, n)
		}
	}
	if top := tab.Summary.TimeWaitTop; len(top) == 0 || top[0].Remote != s.pile.Remote || top[0].Count != pileRows {
		t.Errorf("TIME_WAIT top = %+v, want %v × %d", top, s.pile.Remote, pileRows)
	}
	if tab.Summary.TimeWaitRemotes != 2 {
		t.Errorf("TIME_WAIT remotes = %d, want 2 (the pile and one connection)", tab.Summary.TimeWaitRemotes)
	}
	// Every pile row is a client socket: the simulator, like Windows,
	// skips the ports listeners hold.
	u := tab.EphemeralUse("ipv4", rng)
	if u.InUse != pileRows+inRange {
		t.Errorf("ephemeral use of %+v = %d, want %d (pile %d + %d connections)", rng, u.InUse, pileRows+inRange, pileRows, inRange)
	}
	if rng != facts.DefaultDynamicPortRange && s.vista && s.dynamic == nil {
		t.Errorf("range in effect %+v, want the default", rng)
	}
}

func (s *simHost) testListenList(t *testing.T) {
	var l facts.ListenList
	var err error
	if s.vista {
		l, err = parse.ParseIPListen(bytes.NewReader(mustExec(t, s.h, "netsh http show iplisten")), parse.Options{})
	} else {
		// httpcfg exits with the status (1168 for an empty list).
		o, _, _ := execHost(t, s.h, "httpcfg query iplisten")
		l, err = parse.ParseHttpcfg(bytes.NewReader(o), parse.Options{})
	}
	if err != nil {
		t.Fatal(err)
	}
	var got []netip.Addr
	for _, e := range l.Entries {
		if e.Port != 0 {
			t.Errorf("entry %v has a port", e)
		}
		got = append(got, e.Addr)
	}
	want := s.h.ListenListConfigured()
	if !slices.Equal(got, want) || l.Entries == nil {
		t.Errorf("listen list %v, want %v", got, want)
	}
	if l.Covers(s.mgmt, 5985) != (s.h.Reachable(s.mgmt)) {
		t.Errorf("Covers(%v) = %v but the host is reachable = %v", s.mgmt, l.Covers(s.mgmt, 5985), s.h.Reachable(s.mgmt))
	}
	// The registry value that stores the list.
	o, e, code := execHost(t, s.h, `reg query "`+keyHTTP+`" /v ListenOnlyList`)
	q, err := parse.ParseRegQueryOutput(o, e, code, parse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	v := q.Value(keyHTTP, "ListenOnlyList")
	fromReg, err := facts.ListenListFromRegistry(v)
	if err != nil || v.Absent != (len(want) == 0) || !slices.Equal(fromReg.Entries, l.Entries) {
		t.Errorf("ListenOnlyList = %+v (%v), want the entries of %s %v", v, err, l.Source, l.Entries)
	}
}

func (s *simHost) testRegistry(t *testing.T) {
	for _, rv := range simRegistry {
		o, e, code := execHost(t, s.h, fmt.Sprintf(`reg query "%s" /v "%s"`, rv.Path, rv.Name))
		q, err := parse.ParseRegQueryOutput(o, e, code, parse.Options{})
		if err != nil {
			t.Fatalf("%s: %v", rv.Name, err)
		}
		s.checkValue(t, q.Value(rv.Path, rv.Name), rv)
	}
	// A whole key: every value, in registry order.
	q, err := parse.ParseRegQuery(bytes.NewReader(mustExec(t, s.h, `reg query "`+keyAFD+`"`)), parse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, rv := range simRegistry {
		if rv.Path == keyAFD {
			s.checkValue(t, q.Value(rv.Path, rv.Name), rv)
		}
	}
	// /s over a tree with subkeys.
	q, err = parse.ParseRegQuery(bytes.NewReader(mustExec(t, s.h, `reg query "HKLM\SYSTEM\CurrentControlSet\Services\Tcpip" /s`)), parse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v := q.Value(keyTcpip, "TcpTimedWaitDelay"); v.Absent || *v.Number != 30 || len(q.Keys) < 2 {
		t.Errorf("/s: TcpTimedWaitDelay = %+v over %d keys", v, len(q.Keys))
	}
	// /s /v: a search with its "End of search" line.
	q, err = parse.ParseRegQuery(bytes.NewReader(mustExec(t, s.h, `reg query "HKLM\SYSTEM\CurrentControlSet\Services" /s /v MaxUserPort`)), parse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if q.Matches != 1 || q.Value(keyTcpip, "MaxUserPort").Absent {
		t.Errorf("/s /v: matches %d, %+v", q.Matches, q.Keys)
	}
	q, err = parse.ParseRegQuery(bytes.NewReader(mustExec(t, s.h, `reg query "HKLM\SYSTEM\CurrentControlSet\Services" /s /v NoSuchValueAnywhere`)), parse.Options{})
	if err != nil || q.Matches != 0 || len(q.Keys) != 0 {
		t.Errorf("/s /v without match: %+v, %v", q, err)
	}
	// Missing value and key: absent, not an error.
	for _, line := range []string{`reg query "` + keyTcpip + `" /v NoSuchValue`, `reg query "HKLM\SOFTWARE\NoSuchKey" /v X`} {
		o, e, code := execHost(t, s.h, line)
		q, err := parse.ParseRegQueryOutput(o, e, code, parse.Options{})
		if err != nil || !q.NotFound || !q.Value(keyTcpip, "NoSuchValue").Absent {
			t.Errorf("%s: %+v, %v (exit %d)", line, q, err, code)
		}
	}
}

// checkValue compares a parsed value with the host's and with the spec.
func (s *simHost) checkValue(t *testing.T, v facts.RegistryValue, rv winhost.RegValue) {
	t.Helper()
	hv, ok := s.h.RegistryValue(rv.Path, rv.Name)
	if !ok || v.Absent {
		t.Errorf("%s: absent (host has it: %v)", rv.Name, ok)
		return
	}
	if v.Name != hv.Name || string(v.Type) != hv.Type || v.Raw != hv.Data || v.Path != facts.CanonicalRegPath(rv.Path) {
		t.Errorf("%s: %s %s %q at %s; host has %s %s %q", rv.Name, v.Name, v.Type, v.Raw, v.Path, hv.Name, hv.Type, hv.Data)
	}
	switch rv.Type {
	case "REG_DWORD", "REG_QWORD":
		var want uint64
		if _, err := fmt.Sscan(rv.Data, &want); err != nil {
			fmt.Sscanf(rv.Data, "0x%x", &want)
		}
		if v.Number == nil || *v.Number != want {
			t.Errorf("%s: number %v, want %d", rv.Name, v.Number, want)
		}
	case "REG_SZ", "REG_EXPAND_SZ":
		if v.String == nil || *v.String != rv.Data {
			t.Errorf("%s: string %v, want %q", rv.Name, v.String, rv.Data)
		}
	case "REG_MULTI_SZ":
		want := []string{}
		if rv.Data != "" {
			want = strings.Split(rv.Data, `\0`)
		}
		if !slices.Equal(v.Strings, want) {
			t.Errorf("%s: strings %q, want %q", rv.Name, v.Strings, want)
		}
	case "REG_BINARY", "REG_NONE":
		if fmt.Sprintf("%X", []byte(v.Bytes)) != rv.Data {
			t.Errorf("%s: bytes %X, want %s", rv.Name, []byte(v.Bytes), rv.Data)
		}
	}
}

func (s *simHost) testDynamicPort(t *testing.T) {
	if !s.vista {
		// 2003 has no dynamic port range: the client range is
		// 1025..MaxUserPort, which the facts document derives.
		h := facts.NewHost("WEB01", s.mgmt.String())
		h.OS = &facts.OSVersion{Major: 5, Minor: 2}
		o, e, code := execHost(t, s.h, `reg query "`+keyTcpip+`" /v MaxUserPort`)
		q, err := parse.ParseRegQueryOutput(o, e, code, parse.Options{})
		if err != nil {
			t.Fatal(err)
		}
		h.Registry = append(h.Registry, q.Value(keyTcpip, "MaxUserPort"))
		r, ok := h.ClientPortRange("ipv4")
		if !ok || r != s.clientRange() {
			t.Errorf("2003 client range %+v, want %+v", r, s.clientRange())
		}
		return
	}
	for _, c := range []struct {
		line, proto string
		want        facts.PortRange
	}{
		{"netsh int ipv4 show dynamicport tcp", "tcp", s.clientRange()},
		{"netsh int ipv4 show dynamicport udp", "udp", facts.DefaultDynamicPortRange},
		{"netsh int ipv6 show dynamicport tcp", "tcp", facts.DefaultDynamicPortRange},
	} {
		d, err := parse.ParseDynamicPort(bytes.NewReader(mustExec(t, s.h, c.line)), parse.Options{})
		if err != nil {
			t.Fatalf("%s: %v", c.line, err)
		}
		if d.Protocol != c.proto || d.PortRange != c.want {
			t.Errorf("%s: %+v, want %s %+v", c.line, d, c.proto, c.want)
		}
		wantEnc := "ascii"
		if strings.HasPrefix(s.locale, "fr-") {
			wantEnc = "cp850" // "Port de démarrage"
		}
		if d.Encoding != wantEnc {
			t.Errorf("%s: encoding %q, want %q", c.line, d.Encoding, wantEnc)
		}
	}
	start, num := s.h.DynamicPortRange()
	if s.clientRange() != (facts.PortRange{Start: uint16(start), Count: num}) {
		t.Errorf("configured %d/%d differs from in effect %+v", start, num, s.clientRange())
	}

	// The document's derivation: the ipv4 tcp range from netsh.
	tab, err := parse.ParseNetstat(bytes.NewReader(mustExec(t, s.h, "netstat -ano")), parse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d, _ := parse.ParseDynamicPort(bytes.NewReader(mustExec(t, s.h, "netsh int ipv4 show dynamicport tcp")), parse.Options{})
	d.Family = "ipv4"
	h := facts.NewHost("WEB01", s.mgmt.String())
	h.Sockets, h.DynamicPorts = &tab, []facts.DynamicPortRange{d}
	h.DeriveEphemeral()
	if want := tab.EphemeralUse("ipv4", s.clientRange()); len(tab.Summary.Ephemeral) != 1 ||
		tab.Summary.Ephemeral[0] != want || want.InUse < s.pile.Count-8 {
		t.Errorf("derived ephemeral use %+v", tab.Summary.Ephemeral)
	}
}

func (s *simHost) testSC(t *testing.T) {
	for _, name := range []string{"W3SVC", "SMTPSVC", "WinRM", "HTTP"} {
		o, _, _ := execHost(t, s.h, "sc query "+name)
		q, err := parse.ParseSC(bytes.NewReader(o), parse.Options{})
		if err != nil {
			t.Fatalf("sc query %s: %v", name, err)
		}
		svc, ok := q.Service(name)
		want := s.h.ServiceState(name)
		if !ok || strings.ReplaceAll(strings.ToUpper(svc.State.String()), "-", "_") != want {
			t.Errorf("sc query %s: %+v, host says %q", name, svc, want)
		}
	}
	o, _, code := execHost(t, s.h, "sc query NoSuchService")
	q, err := parse.ParseSC(bytes.NewReader(o), parse.Options{})
	if svc, ok := q.Service("NoSuchService"); err != nil || !ok || svc.State != facts.ServiceNotInstalled {
		t.Errorf("sc query NoSuchService (exit %d): %+v, %v", code, q, err)
	}
	q, err = parse.ParseSC(bytes.NewReader(mustExec(t, s.h, "sc query")), parse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if svc, ok := q.Service("SMTPSVC"); !ok || svc.State != facts.ServiceRunning || svc.DisplayName == "" {
		t.Errorf("sc query (list): SMTPSVC = %+v", svc)
	}
}

const selectTCP = "Get-NetTCPConnection | Select-Object LocalAddress,LocalPort,RemoteAddress,RemotePort,State,OwningProcess"

func (s *simHost) testTCPConnectionJSON(t *testing.T) {
	if !s.netTCP {
		return
	}
	ns, err := parse.ParseNetstat(bytes.NewReader(mustExec(t, s.h, "netstat -anoq")), parse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := tcpRows(&ns)
	scripts := []string{selectTCP + " | ConvertTo-Json"}
	// PowerShell's JSON does not depend on the locale: the other layouts
	// run on a few locales only, to keep the test fast.
	if s.locale == "en-US" || s.locale == "de-DE" || s.locale == "zh-CN" {
		scripts = append(scripts,
			selectTCP+" | ConvertTo-Json -Compress",
			`Get-NetTCPConnection | Select-Object LocalAddress,LocalPort,RemoteAddress,RemotePort,@{n='State';e={"$($_.State)"}},OwningProcess | ConvertTo-Json`)
	}
	for _, script := range scripts {
		js, err := parse.ParseTCPConnectionJSON(bytes.NewReader(powershell(t, s.h, script)), parse.Options{})
		if err != nil {
			t.Fatalf("%s: %v", script, err)
		}
		if !js.PIDs {
			t.Errorf("%s: no PIDs", script)
		}
		if got := tcpRows(&js); !slices.Equal(got, want) {
			t.Errorf("%s: %d rows differ from netstat's %d:\n%s", script, len(got), len(want), firstDiff(got, want))
		}
		if js.Summary.States != ns.Summary.States {
			t.Errorf("%s: states %s, netstat %s", script, mustJSON(t, js.Summary.States), mustJSON(t, ns.Summary.States))
		}
	}
	// One object, not an array.
	one := powershell(t, s.h, "Get-NetTCPConnection -LocalAddress 0.0.0.0 -LocalPort 25 | Select-Object LocalAddress,LocalPort,RemoteAddress,RemotePort,State,OwningProcess | ConvertTo-Json")
	if !bytes.HasPrefix(bytes.TrimSpace(one), []byte("{")) {
		t.Fatalf("single object: %q", one)
	}
	js, err := parse.ParseTCPConnectionJSON(bytes.NewReader(one), parse.Options{})
	if err != nil || js.Summary.TCP != 1 || js.Listeners[0].PID != 1880 || js.Listeners[0].State != facts.StateListen {
		t.Errorf("single object: %+v, %v", js.Listeners, err)
	}
}

// tcpRows lists a table's TCP rows as comparable text, zones dropped
// (MSFT_NetTCPConnection addresses carry none).
func tcpRows(s *facts.Sockets) []string {
	var out []string
	for _, rows := range [][]facts.Socket{s.Listeners, s.Connections} {
		for _, r := range rows {
			if r.Proto != facts.ProtoTCP {
				continue
			}
			l := netip.AddrPortFrom(r.Local.Addr().WithZone(""), r.Local.Port())
			rm := netip.AddrPortFrom(r.Remote.Addr().WithZone(""), r.Remote.Port())
			out = append(out, fmt.Sprintf("%v %v %v %d", l, rm, r.State, r.PID))
		}
	}
	slices.Sort(out)
	return out
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("row %d: %q vs %q", i, a[i], b[i])
		}
	}
	return fmt.Sprintf("lengths %d vs %d", len(a), len(b))
}

func (s *simHost) testBootTime(t *testing.T) {
	boot := s.h.BootTime()
	// 2012 R2 and later print the boot second plus half a second, the
	// older releases the microseconds.
	want := boot.Truncate(time.Microsecond)
	if s.os >= winhost.Server2012R2 {
		want = boot.Truncate(time.Second).Add(500 * time.Millisecond)
	}
	_, wantOff := boot.In(s.spec.TimeZone).Zone()
	for _, line := range []string{"wmic os get LastBootUpTime /value", "wmic os get lastbootuptime",
		"wmic os get LocalDateTime,LastBootUpTime,CSName", "wmic os get LastBootUpTime,CSName /format:list"} {
		for _, hint := range []int{0, s.cp} {
			got, err := parse.ParseBootTime(bytes.NewReader(mustExec(t, s.h, line)), parse.Options{CodePage: hint})
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			if _, off := got.Zone(); !got.Equal(want) || off != wantOff {
				t.Errorf("%s: %v, want %v in offset %d", line, got, want, wantOff)
			}
		}
	}
}

func (s *simHost) testServiceState(t *testing.T) {
	if !s.vista {
		o, _, code := execHost(t, s.h, "netsh http show servicestate")
		if code != 1 || string(o) != "The following command was not found: http show servicestate.\r\n" {
			t.Errorf("2003: exit %d %q", code, o)
		}
		return
	}
	want := []string{"HTTP://+:5985/WSMAN/"}
	if s.https {
		want = append(want, "HTTPS://+:5986/WSMAN/")
	}
	want = append(want, "HTTP://+:47001/WSMAN/")
	winrm := strings.Join(want, " ")
	want = append(want, "HTTP://10.0.0.5:80:10.0.0.5/", "HTTPS://*:443/API/", "HTTP://WWW.CORP.EXAMPLE:80/")
	read := func() []facts.HTTPURL {
		t.Helper()
		urls, err := parse.ParseServiceState(bytes.NewReader(mustExec(t, s.h, "netsh http show servicestate")), parse.Options{CodePage: s.cp})
		if err != nil {
			t.Fatal(err)
		}
		return urls
	}
	urls := read()
	if got := urlTexts(urls); got != strings.Join(want, " ") {
		t.Fatalf("urls\n got %s\nwant %s", got, strings.Join(want, " "))
	}
	site := urls[len(urls)-3]
	if site.Addr != s.second || site.Host != "10.0.0.5" || site.Port != 80 || site.Scheme != "http" {
		t.Errorf("site URL %+v, want served on %v", site, s.second)
	}
	// A stopped W3SVC registers nothing; WinRM's URLs stay.
	mustExec(t, s.h, "net stop w3svc")
	if got := urlTexts(read()); got != winrm {
		t.Errorf("W3SVC stopped: %s, want %s", got, winrm)
	}
	mustExec(t, s.h, "net start w3svc")
	if got := urlTexts(read()); got != strings.Join(want, " ") {
		t.Errorf("W3SVC started again: %s", got)
	}
}
