package facts_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/fleetport/fleetport/internal/facts"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func ptr[T any](v T) *T { return &v }

// sampleHost is a document with every key set.
func sampleHost() *facts.Host {
	h := facts.NewHost("web01", "10.0.0.5")
	h.OS = &facts.OSVersion{Version: "10.0.17763.1879", Major: 10, Build: 17763, Revision: 1879, Release: "2019"}
	h.Locale, h.CodePage = "de-DE", 850
	h.Auth = "kerberos"
	h.Started = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	h.Finished = h.Started.Add(1500 * time.Millisecond)
	h.Status = facts.StatusParseError
	h.Error = "1 fact could not be parsed"

	b := facts.NewSocketBuilder("netstat", facts.SocketOptions{TopRemotes: 2})
	svc := &facts.Owner{Service: "RpcSs", Image: "svchost.exe"}
	b.Add(facts.Socket{Proto: facts.ProtoTCP, State: facts.StateListen, PID: 912, Local: netip.MustParseAddrPort("0.0.0.0:135"), Remote: netip.MustParseAddrPort("0.0.0.0:0"), Owner: svc})
	b.Add(facts.Socket{Proto: facts.ProtoTCP, State: facts.StateListen, PID: 4, Local: netip.MustParseAddrPort("10.0.0.5:80"), Remote: netip.MustParseAddrPort("0.0.0.0:0"), Owner: &facts.Owner{Unavailable: true}})
	b.Add(facts.Socket{Proto: facts.ProtoTCP, State: facts.StateEstablished, PID: 3120, Local: netip.MustParseAddrPort("10.0.0.5:80"), Remote: netip.MustParseAddrPort("10.0.0.77:50123")})
	for i := range 3 {
		b.Add(facts.Socket{Proto: facts.ProtoTCP, State: facts.StateTimeWait, Local: netip.AddrPortFrom(netip.MustParseAddr("10.0.0.5"), uint16(49152+i)), Remote: netip.MustParseAddrPort("10.0.0.20:1433")})
	}
	b.Add(facts.Socket{Proto: facts.ProtoUDP, PID: 1320, Local: netip.MustParseAddrPort("[fe80::1%12]:1900")})
	b.SetPIDs(true)
	b.SetOwners(true)
	b.SetEncoding("cp850")
	b.SkipRow(facts.RowError{Line: 9, Text: "  TCP    bad", Message: "local address \"bad\" is not an IP address and port"})
	s := b.Finish()
	h.Sockets = &s

	h.ListenList = &facts.ListenList{Source: facts.ListenNetsh, Entries: []facts.ListenEntry{
		{Addr: netip.MustParseAddr("10.0.0.5")}, {Addr: netip.MustParseAddr("127.0.0.1")}}, Encoding: "ascii"}
	h.Registry = []facts.RegistryValue{
		{Path: facts.TcpipParameters, Name: "TcpTimedWaitDelay", Type: facts.RegDWORD, Raw: "0x1e", Number: ptr(uint64(30))},
		{Path: facts.TcpipParameters, Name: "MaxUserPort", Absent: true},
		{Path: facts.HTTPParameters, Name: "ListenOnlyList", Type: facts.RegMultiSZ, Raw: `10.0.0.5\0127.0.0.1`, Strings: []string{"10.0.0.5", "127.0.0.1"}},
		{Path: facts.AFDParameters, Name: "Blob", Type: facts.RegBinary, Raw: "00FF", Bytes: facts.HexBytes{0, 0xff}},
		{Path: facts.TcpipParameters, Name: "Hostname", Type: facts.RegSZ, Raw: "web01", String: ptr("web01")},
	}
	h.DynamicPorts = []facts.DynamicPortRange{{Family: "ipv4", Protocol: "tcp", PortRange: facts.PortRange{Start: 49152, Count: 16384}, Source: "netsh", Encoding: "ascii"}}
	h.DeriveEphemeral()
	h.Services = []facts.Service{{Name: "W3SVC", DisplayName: "World Wide Web Publishing Service", State: facts.ServiceRunning},
		{Name: "SMTPSVC", State: facts.ServiceNotInstalled}}
	h.AddFactError(facts.FactError{Fact: facts.FactDynamicPorts, Command: "netsh int ipv6 show dynamicport tcp", Status: facts.StatusParseError,
		Kind: "dynamicport", Line: 4, Text: "Start Port      : x", Message: `"x" is not a number`})
	return h
}

// TestHostJSONGolden pins the document's JSON shape: keys, their order and
// their encodings (rewrite with -update and review the diff).
func TestHostJSONGolden(t *testing.T) {
	got, err := json.MarshalIndent(sampleHost(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "host.golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("JSON differs from %s (run with -update):\n%s", path, got)
	}
}

// TestHostJSONRoundTrip: a document read back equals the one written
// (except what is not serialised: the client ports behind EphemeralUse,
// which a read-back table recomputes from its kept rows).
func TestHostJSONRoundTrip(t *testing.T) {
	h := sampleHost()
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	var back facts.Host
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	b2, err := json.Marshal(&back)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, b2) {
		t.Errorf("round trip differs:\n%s\n%s", b, b2)
	}
	r := facts.PortRange{Start: 49152, Count: 16384}
	if a, c := h.Sockets.EphemeralUse("ipv4", r), back.Sockets.EphemeralUse("ipv4", r); a != c || a.InUse != 3 {
		t.Errorf("ephemeral use before %+v, after %+v", a, c)
	}
	if back.Duration() != 1500*time.Millisecond {
		t.Errorf("duration %v", back.Duration())
	}
}

func TestEnumsText(t *testing.T) {
	for s := facts.StatusUnknown; s <= facts.StatusParseError; s++ {
		b, err := s.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back facts.Status
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Errorf("status %v: %q -> %v %v", s, b, back, err)
		}
	}
	if facts.StatusCommandFailed.String() != "command-failed" || facts.StatusParseError.String() != "parse-error" {
		t.Error("status names")
	}
	if _, err := facts.Status(99).MarshalText(); err == nil {
		t.Error("invalid status marshalled")
	}
	for _, st := range []facts.State{facts.StateClosed, facts.StateListen, facts.StateSynSent, facts.StateSynReceived,
		facts.StateEstablished, facts.StateFinWait1, facts.StateFinWait2, facts.StateCloseWait, facts.StateClosing,
		facts.StateLastAck, facts.StateTimeWait, facts.StateDeleteTCB, facts.StateBound} {
		b, err := st.MarshalText()
		if err != nil || !st.Valid() {
			t.Fatal(st, err)
		}
		var back facts.State
		if err := back.UnmarshalText(b); err != nil || back != st {
			t.Errorf("state %v: %q -> %v %v", st, b, back, err)
		}
	}
	if _, err := facts.State(50).MarshalText(); err == nil || facts.State(50).Valid() {
		t.Error("state 50 accepted")
	}
	if facts.StateListen.String() != "LISTENING" || facts.StateTimeWait.String() != "TIME_WAIT" || facts.StateNone.String() != "" {
		t.Error("state names")
	}
	for s := facts.ServiceStateUnknown; s <= facts.ServiceNotInstalled; s++ {
		b, _ := s.MarshalText()
		var back facts.ServiceState
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Errorf("service state %v", s)
		}
	}
	for _, k := range []facts.Keep{facts.KeepAll, facts.KeepNoTimeWait, facts.KeepListeners} {
		b, _ := k.MarshalText()
		var back facts.Keep
		if err := back.UnmarshalText(b); err != nil || back != k {
			t.Errorf("keep %v", k)
		}
	}
	var p facts.Proto
	if err := p.UnmarshalText([]byte("SCTP")); err == nil {
		t.Error("SCTP accepted")
	}
}

func TestStateCountsJSON(t *testing.T) {
	var c facts.StateCounts
	c.Add(facts.StateTimeWait)
	c.Add(facts.StateListen)
	c.Add(facts.StateListen)
	c.Add(facts.StateNone)
	c.Set(facts.StateBound, 7)
	b, _ := json.Marshal(c)
	if string(b) != `{"LISTENING":2,"TIME_WAIT":1,"BOUND":7}` || c.Total() != 10 {
		t.Errorf("%s total %d", b, c.Total())
	}
	var back facts.StateCounts
	if err := json.Unmarshal(b, &back); err != nil || back != c {
		t.Errorf("%v %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"WAITING":1}`), &back); err == nil {
		t.Error("unknown state accepted")
	}
}

// TestSocketSize keeps a row at 80 bytes: 16,000-row piles on 10,000
// hosts are the budget.
func TestSocketSize(t *testing.T) {
	if n := unsafe.Sizeof(facts.Socket{}); n != 80 {
		t.Errorf("Socket is %d bytes, want 80", n)
	}
}

func TestBuilderAggregates(t *testing.T) {
	ap := netip.MustParseAddrPort
	for _, keep := range []facts.Keep{facts.KeepAll, facts.KeepNoTimeWait, facts.KeepListeners} {
		b := facts.NewSocketBuilder("netstat", facts.SocketOptions{Keep: keep, TopRemotes: 1})
		b.Grow(10)
		b.Add(facts.Socket{Proto: facts.ProtoTCP, State: facts.StateListen, Local: ap("[::]:443"), Remote: ap("[::]:0")})
		b.Add(facts.Socket{Proto: facts.ProtoTCP, State: facts.StateEstablished, Local: ap("[2001:db8::5]:443"), Remote: ap("[2001:db8::9]:50000")})
		b.Add(facts.Socket{Proto: facts.ProtoTCP, State: facts.StateTimeWait, Local: ap("[2001:db8::5]:50001"), Remote: ap("[2001:db8::7]:443")})
		b.Add(facts.Socket{Proto: facts.ProtoTCP, State: facts.StateTimeWait, Local: ap("10.0.0.5:50002"), Remote: ap("10.0.0.7:443")})
		b.Add(facts.Socket{Proto: facts.ProtoTCP, State: facts.StateTimeWait, Local: ap("10.0.0.5:50003"), Remote: ap("10.0.0.7:443")})
		b.Add(facts.Socket{Proto: facts.ProtoUDP, Local: ap("0.0.0.0:53")})
		s := b.Finish()
		if s.Summary.TCP != 5 || s.Summary.UDP != 1 || len(s.Summary.WildcardBinds) != 2 || s.Summary.ClientSockets != 3 {
			t.Errorf("%v: %+v", keep, s.Summary)
		}
		if s.Summary.TimeWaitRemotes != 2 || len(s.Summary.TimeWaitTop) != 1 || s.Summary.TimeWaitTop[0].Count != 2 {
			t.Errorf("%v: time wait %+v", keep, s.Summary.TimeWaitTop)
		}
		if u := s.EphemeralUse("ipv6", facts.PortRange{Start: 50000, Count: 10}); u.InUse != 1 || u.Percent != 10 {
			t.Errorf("%v: ipv6 use %+v", keep, u)
		}
		if u := s.EphemeralUse("ipv4", facts.PortRange{Start: 50000, Count: 3}); u.InUse != 1 || u.Percent != 33.3 {
			t.Errorf("%v: ipv4 use %+v", keep, u)
		}
		s.SetEphemeral(map[string]facts.PortRange{"ipv4": {Start: 50000, Count: 3}, "ipv6": {}})
		if len(s.Summary.Ephemeral) != 1 {
			t.Errorf("%v: SetEphemeral %+v", keep, s.Summary.Ephemeral)
		}
		want := map[facts.Keep]int{facts.KeepAll: 4, facts.KeepNoTimeWait: 1, facts.KeepListeners: 0}[keep]
		if len(s.Connections) != want || len(s.Listeners) != 2 {
			t.Errorf("%v: kept %d connections %d listeners", keep, len(s.Connections), len(s.Listeners))
		}
	}
}

func TestClientPortRange(t *testing.T) {
	h := facts.NewHost("old", "10.0.0.9")
	if _, ok := h.ClientPortRange("ipv4"); ok {
		t.Error("range without OS or netsh")
	}
	h.OS = &facts.OSVersion{Version: "5.2.3790", Major: 5, Minor: 2, Build: 3790, Release: "2003"}
	if r, _ := h.ClientPortRange("ipv4"); r != (facts.PortRange{Start: 1025, Count: 3976}) {
		t.Errorf("2003 default %+v", r)
	}
	h.Registry = []facts.RegistryValue{{Path: `HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters\`, Name: "maxuserport", Type: facts.RegDWORD, Number: ptr(uint64(65534))}}
	if r, _ := h.ClientPortRange("ipv4"); r != (facts.PortRange{Start: 1025, Count: 64510}) || r.End() != 65534 {
		t.Errorf("2003 MaxUserPort %+v", r)
	}
	h.Registry[0].Number = ptr(uint64(70000))
	if r, _ := h.ClientPortRange("ipv4"); r.End() != 65534 {
		t.Errorf("clamped %+v", r)
	}
	if _, ok := h.ClientPortRange("ipv6"); ok {
		t.Error("2003 ipv6 range")
	}
	h.DeriveEphemeral()
	if h.Sockets != nil {
		t.Error("DeriveEphemeral made sockets")
	}
}

func TestListenList(t *testing.T) {
	l := facts.ListenList{Entries: []facts.ListenEntry{{Addr: netip.MustParseAddr("fe80::1%3")}, {Addr: netip.MustParseAddr("0.0.0.0"), Port: 8000}}}
	for _, c := range []struct {
		addr string
		port uint16
		want bool
	}{{"fe80::1", 80, true}, {"fe80::2", 80, false}, {"10.1.1.1", 8000, true}, {"10.1.1.1", 80, false}, {"::ffff:10.1.1.1", 8000, true}} {
		if got := l.Covers(netip.MustParseAddr(c.addr), c.port); got != c.want {
			t.Errorf("Covers(%s, %d) = %v", c.addr, c.port, got)
		}
	}
	for _, s := range []string{"10.0.0.5", "::", "10.0.0.5:80", "[fe80::1%3]:80"} {
		e, err := facts.ParseListenEntry(s)
		if err != nil || e.String() != s {
			t.Errorf("%s -> %v %v", s, e, err)
		}
	}
	if _, err := facts.ParseListenEntry("host:80"); err == nil {
		t.Error("name accepted")
	}
}

func TestRegistryHelpers(t *testing.T) {
	for in, want := range map[string]string{
		`HKLM\SYSTEM\X\`:              `HKEY_LOCAL_MACHINE\SYSTEM\X`,
		`hkcu\Software`:               `HKEY_CURRENT_USER\Software`,
		`HKEY_USERS`:                  `HKEY_USERS`,
		`\\server\HKLM\SYSTEM`:        `\\server\HKLM\SYSTEM`,
		`HKEY_LOCAL_MACHINE\SOFTWARE`: `HKEY_LOCAL_MACHINE\SOFTWARE`,
	} {
		if got := facts.CanonicalRegPath(in); got != want {
			t.Errorf("%s -> %s", in, got)
		}
	}
	v := facts.RegistryValue{Type: facts.RegQWORD, Number: ptr(uint64(1 << 40))}
	if _, ok := v.DWORD(); ok || v.Text() != "1099511627776" {
		t.Errorf("QWORD as DWORD: %v", v.Text())
	}
	if (facts.RegistryValue{Absent: true}).Text() != "" || !facts.RegExpandSZ.Known() || facts.RegType("REG_X").Known() {
		t.Error("helpers")
	}
	var hb facts.HexBytes
	if err := json.Unmarshal([]byte(`"0g"`), &hb); err == nil {
		t.Error("bad hex accepted")
	}
}

func TestServerRelease(t *testing.T) {
	for _, c := range []struct {
		v    [3]uint32
		want string
	}{{[3]uint32{5, 2, 3790}, "2003"}, {[3]uint32{6, 1, 7601}, "2008r2"}, {[3]uint32{6, 3, 9600}, "2012r2"},
		{[3]uint32{10, 0, 14393}, "2016"}, {[3]uint32{10, 0, 17763}, "2019"}, {[3]uint32{10, 0, 20348}, "2022"},
		{[3]uint32{10, 0, 19045}, ""}} {
		if got := facts.ServerRelease(c.v[0], c.v[1], c.v[2]); got != c.want {
			t.Errorf("%v -> %q", c.v, got)
		}
	}
}

func TestFactError(t *testing.T) {
	e := facts.FactError{Fact: facts.FactSockets, Kind: "netstat", Line: 3, Text: "x", Message: "bad"}
	if e.Error() != `sockets (netstat): line 3: bad: "x"` {
		t.Errorf("%q", e.Error())
	}
	h := sampleHost()
	if v, ok := h.RegistryValue(`hklm\system\currentcontrolset\services\tcpip\parameters`, "tcptimedwaitdelay"); !ok || *v.Number != 30 {
		t.Error("RegistryValue lookup")
	}
	if _, ok := h.Service("w3svc"); !ok {
		t.Error("Service lookup")
	}
	if _, ok := h.DynamicPortRange("IPv4", "TCP"); !ok {
		t.Error("DynamicPortRange lookup")
	}
}

// TestDocumentedKeys checks that the package doc lists every top-level
// key of the document.
func TestDocumentedKeys(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	ty := reflect.TypeOf(facts.Host{})
	for i := range ty.NumField() {
		key, _, _ := strings.Cut(ty.Field(i).Tag.Get("json"), ",")
		if !strings.Contains(string(doc), "//\t"+key+" ") {
			t.Errorf("doc.go does not document key %q", key)
		}
	}
}

func TestListenListFromRegistry(t *testing.T) {
	l, err := facts.ListenListFromRegistry(facts.RegistryValue{Absent: true})
	if err != nil || !l.Empty() || l.Source != facts.ListenRegistry || l.Entries == nil {
		t.Errorf("absent: %+v %v", l, err)
	}
	l, err = facts.ListenListFromRegistry(facts.RegistryValue{Type: facts.RegMultiSZ, Strings: []string{"10.0.0.5", "::1"}})
	if err != nil || len(l.Entries) != 2 || l.Entries[1].String() != "::1" {
		t.Errorf("list: %+v %v", l, err)
	}
	if _, err := facts.ListenListFromRegistry(facts.RegistryValue{Type: facts.RegMultiSZ, Strings: []string{"web01"}}); err == nil {
		t.Error("name accepted")
	}
	if _, err := facts.ListenListFromRegistry(facts.RegistryValue{Type: facts.RegSZ, String: ptr("10.0.0.5")}); err == nil {
		t.Error("REG_SZ accepted")
	}
}

func TestParseHTTPURL(t *testing.T) {
	for _, c := range []struct {
		in         string
		host, addr string
		port       uint16
		path       string
		bad        bool
	}{
		{in: "HTTP://+:5985/WSMAN/", host: "+", port: 5985, path: "/WSMAN/"},
		{in: "HTTP://*:80/", host: "*", port: 80, path: "/"},
		{in: "HTTP://10.0.0.5:80:10.0.0.5/", host: "10.0.0.5", addr: "10.0.0.5", port: 80, path: "/"},
		{in: "https://[fe80::1%9]:443/x", host: "[fe80::1%9]", addr: "fe80::1", port: 443, path: "/x"},
		{in: "HTTP://LOCALHOST:8080/", host: "LOCALHOST", port: 8080, path: "/"},
		{in: "http://example/", host: "example", port: 80, path: "/"},
		{in: "ftp://x:21/", bad: true},
		{in: "HTTP://:80/", bad: true},
		{in: "HTTP://x:99999/", bad: true},
		{in: "HTTP://x:+80/", bad: true},
		{in: "no url", bad: true},
	} {
		u, err := facts.ParseHTTPURL(c.in)
		if c.bad {
			if err == nil {
				t.Errorf("%q: no error", c.in)
			}
			continue
		}
		addr := ""
		if u.Addr.IsValid() {
			addr = u.Addr.String()
		}
		if err != nil || u.Host != c.host || u.Port != c.port || u.Path != c.path || addr != c.addr || u.URL != c.in {
			t.Errorf("%q: %+v %v", c.in, u, err)
		}
	}
}
