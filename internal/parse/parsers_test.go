package parse_test

// Table tests of each parser's edge cases: the layouts the corpus does
// not show, and the inputs that must be errors (with the line quoted)
// rather than wrong facts.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/parse"
)

func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

const netstatHead = "\nActive Connections\n\n  Proto  Local Address          Foreign Address        State           PID\n"

// wantErr checks an error's kind, line, cause and quoted text.
func wantErr(t *testing.T, err error, kind string, line int, cause error, quoted string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v at line %d", cause, line)
	}
	pe := asParseError(t, err, kind)
	if pe.Line != line || !errors.Is(err, cause) || !strings.Contains(pe.Text, quoted) {
		t.Errorf("error %v: line %d cause %v text %q; want line %d, %v, quoting %q", err, pe.Line, pe.Err, pe.Text, line, cause, quoted)
	}
}

func TestNetstatEdges(t *testing.T) {
	ok := []struct {
		name, in string
		tcp, udp int
		pids     bool
	}{
		{"empty table with header", netstatHead, 0, 0, true},
		{"header without PID", "\nActive Connections\n\n  Proto  Local Address          Foreign Address        State\n", 0, 0, false},
		{"no title or header (findstr)", "  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       900\n", 1, 0, true},
		{"CR CR LF endings", strings.ReplaceAll(netstatHead+"  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       900\n", "\n", "\r\r\n"), 1, 0, true},
		{"no final newline", netstatHead + "  UDP    0.0.0.0:123            *:*                                    1200", 0, 1, true},
		{"tabs between fields", netstatHead + "  TCP\t0.0.0.0:135\t0.0.0.0:0\tLISTENING\t900\n", 1, 0, true},
		{"IPv4-mapped and zone", netstatHead + "  TCP    [::ffff:10.0.0.1]:80   [::ffff:10.0.0.2]:5000  ESTABLISHED     77\n  UDP    [fe80::1%14]:546       *:*                                    99\n", 1, 1, true},
		{"BOUND with foreign 0.0.0.0:0", netstatHead + "  TCP    10.0.0.5:50000         0.0.0.0:0              BOUND           4100\n", 1, 0, true},
		{"UTF-8 BOM", "\ufeff" + netstatHead + "  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       900\n", 1, 0, true},
	}
	for _, c := range ok {
		t.Run(c.name, func(t *testing.T) {
			s, err := parse.ParseNetstat(strings.NewReader(crlf(c.in)), parse.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if s.Summary.TCP != c.tcp || s.Summary.UDP != c.udp || s.PIDs != c.pids {
				t.Errorf("tcp %d udp %d pids %v", s.Summary.TCP, s.Summary.UDP, s.PIDs)
			}
		})
	}
	s, _ := parse.ParseNetstat(strings.NewReader(crlf(netstatHead+"  TCP    10.0.0.5:50000         0.0.0.0:0              BOUND           4100\n")), parse.Options{})
	if s.Summary.States.Get(facts.StateBound) != 1 || s.Summary.Listening != 0 {
		t.Errorf("BOUND on 0.0.0.0:0 must stay BOUND: %s", mustJSON(t, s.Summary.States))
	}

	bad := []struct {
		name, in string
		line     int
		cause    error
		quoted   string
	}{
		{"empty", "", 0, parse.ErrEmpty, ""},
		{"blank lines only", "\r\n\r\n", 0, parse.ErrEmpty, ""},
		{"title only", "\nActive Connections\n", 2, parse.ErrUnknownFormat, "Active Connections"},
		{"help text", "\nDisplays protocol statistics and current TCP/IP network connections.\n\nNETSTAT [-a] [-b] [-e] [-f] [-n] [-o] [-p proto] [-r] [-s] [-t] [-x] [-y] [interval]\n\n  -a            Displays all connections and listening ports.\n",
			6, parse.ErrUnknownFormat, "-a"},
		{"elevation message", "The requested operation requires elevation.\n", 1, parse.ErrUnknownFormat, "elevation"},
		{"mixed PID columns", netstatHead + "  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       900\n  TCP    0.0.0.0:445            0.0.0.0:0              LISTENING\n", 6, parse.ErrUnknownFormat, "0.0.0.0:445"},
		{"UDP with a state", netstatHead + "  UDP    0.0.0.0:123            *:*                    LISTENING       1\n", 5, parse.ErrUnknownFormat, "UDP"},
		{"UDP foreign not *:*", netstatHead + "  UDP    0.0.0.0:123            1.2.3.4:5                              1\n", 5, parse.ErrInvalidValue, "1.2.3.4:5"},
		{"TCP without state", netstatHead + "  TCP    0.0.0.0:135            0.0.0.0:0                              900\n", 5, parse.ErrUnknownFormat, "0.0.0.0:135"},
		{"two columns", netstatHead + "  TCP    0.0.0.0:135\n", 5, parse.ErrUnknownFormat, "TCP"},
		{"port out of range", netstatHead + "  TCP    0.0.0.0:70000          0.0.0.0:0              LISTENING       900\n", 5, parse.ErrInvalidValue, "70000"},
		{"PID too large", netstatHead + "  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       99999999999\n", 5, parse.ErrInvalidValue, "99999999999"},
		{"repeated title (interval)", netstatHead + "  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       900\n\nActive Connections\n", 7, parse.ErrUnknownFormat, "Active Connections"},
		{"owner line after a blank", netstatHead + "  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       900\n\n [svchost.exe]\n", 7, parse.ErrUnknownFormat, "svchost"},
		{"three lines before rows", "a\nb\nc\n  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING\n", 3, parse.ErrUnknownFormat, "c"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := parse.ParseNetstat(strings.NewReader(crlf(c.in)), parse.Options{})
			wantErr(t, err, parse.KindNetstat, c.line, c.cause, c.quoted)
		})
	}
}

func TestNetstatCaps(t *testing.T) {
	long := netstatHead + "  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       900\n [" + strings.Repeat("x", 200) + "]\n"
	_, err := parse.ParseNetstat(strings.NewReader(long), parse.Options{MaxLineBytes: 100})
	wantErr(t, err, parse.KindNetstat, 6, parse.ErrLineTooLong, "xxx")
	if pe := asParseError(t, err, parse.KindNetstat); len(pe.Text) > parse.MaxQuoteBytes+len("…") {
		t.Errorf("quoted text not shortened: %d bytes", len(pe.Text))
	}
	_, err = parse.ParseNetstat(strings.NewReader(long), parse.Options{MaxBytes: 50})
	wantErr(t, err, parse.KindNetstat, 0, parse.ErrTooLarge, "")
	// The cap holds for a reader that never ends.
	_, err = parse.ParseNetstat(io.MultiReader(strings.NewReader(netstatHead), endless{}), parse.Options{MaxBytes: 1 << 20})
	wantErr(t, err, parse.KindNetstat, 0, parse.ErrTooLarge, "")
}

type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

func TestNetstatKeepPolicies(t *testing.T) {
	var b strings.Builder
	b.WriteString(netstatHead)
	b.WriteString("  TCP    0.0.0.0:80             0.0.0.0:0              LISTENING       4\n")
	for i := range 50 {
		fmt.Fprintf(&b, "  TCP    10.0.0.5:%d         10.0.0.%d:1433         TIME_WAIT       0\n", 50000+i, 20+i%3)
	}
	b.WriteString("  TCP    10.0.0.5:80            10.0.0.99:61000        ESTABLISHED     4\n")
	b.WriteString("  TCP    10.0.0.5:50100         10.0.0.20:1433         ESTABLISHED     77\n")
	for _, keep := range []facts.Keep{facts.KeepAll, facts.KeepNoTimeWait, facts.KeepListeners} {
		s, err := parse.ParseNetstat(strings.NewReader(b.String()), parse.Options{Sockets: facts.SocketOptions{Keep: keep, TopRemotes: 2}})
		if err != nil {
			t.Fatal(err)
		}
		wantConns := map[facts.Keep]int{facts.KeepAll: 52, facts.KeepNoTimeWait: 2, facts.KeepListeners: 0}[keep]
		if len(s.Connections) != wantConns || len(s.Listeners) != 1 || s.Summary.TCP != 53 {
			t.Errorf("%v: %d connections, %d listeners, tcp %d", keep, len(s.Connections), len(s.Listeners), s.Summary.TCP)
		}
		if s.Summary.TimeWaitRemotes != 3 || len(s.Summary.TimeWaitTop) != 2 ||
			s.Summary.TimeWaitTop[0] != (facts.RemoteCount{Remote: mustAddrPort("10.0.0.20:1433"), Count: 17}) {
			t.Errorf("%v: top %+v of %d", keep, s.Summary.TimeWaitTop, s.Summary.TimeWaitRemotes)
		}
		// 50 TIME_WAIT + the ESTABLISHED client; the accepted :80 is not a client.
		if s.Summary.ClientSockets != 51 {
			t.Errorf("%v: client sockets %d, want 51", keep, s.Summary.ClientSockets)
		}
		u := s.EphemeralUse("ipv4", facts.PortRange{Start: 50000, Count: 101})
		if u.InUse != 51 || u.Percent != 50.5 {
			t.Errorf("%v: ephemeral %+v", keep, u)
		}
	}
}

func TestIPListenEdges(t *testing.T) {
	empty := "\nIP addresses present in the IP listen list:\n-------------------------------------------\n\n\n\n"
	l, err := parse.ParseIPListen(strings.NewReader(crlf(empty)), parse.Options{})
	if err != nil || !l.Empty() || l.Entries == nil {
		t.Fatalf("empty list: %+v, %v", l, err)
	}
	if got := mustJSON(t, l); got != `{"source":"netsh","entries":[],"encoding":"ascii"}` {
		t.Errorf("JSON %s", got)
	}
	l, err = parse.ParseIPListen(strings.NewReader(crlf("\nIP-Adressen in der IP-Abhörliste:\n---------------------------------\n\n    ::\n    fe80::1\n    0.0.0.0:8000\n    [fe80::2]:80\n\n")), parse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkEntries(t, l, facts.ListenNetsh, "::", "fe80::1", "0.0.0.0:8000", "[fe80::2]:80")
	if !l.Covers(netip.MustParseAddr("2001:db8::1"), 443) || l.Covers(netip.MustParseAddr("10.0.0.1"), 443) ||
		!l.Covers(netip.MustParseAddr("10.0.0.1"), 8000) {
		t.Errorf("Covers wrong for %v", l.Entries)
	}
	for _, c := range []struct {
		name, in string
		line     int
		cause    error
		quoted   string
	}{
		{"empty", "", 0, parse.ErrEmpty, ""},
		{"command not found", "The following command was not found: http show iplisten.\n", 1, parse.ErrUnknownFormat, "not found"},
		{"entry not an address", "\nIP addresses present in the IP listen list:\n-------------------------------------------\n\n    10.0.0.300\n", 5, parse.ErrInvalidValue, "10.0.0.300"},
		{"entry not indented", "\nIP addresses present in the IP listen list:\n-------------------------------------------\n\n10.0.0.3\n", 5, parse.ErrUnknownFormat, "10.0.0.3"},
		{"two titles", "\nTitle\nMore title\n-------------------------------------------\n", 3, parse.ErrUnknownFormat, "More title"},
		{"add success", "\nIP address successfully added\n\n", 2, parse.ErrUnknownFormat, "successfully"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := parse.ParseIPListen(strings.NewReader(crlf(c.in)), parse.Options{})
			wantErr(t, err, parse.KindIPListen, c.line, c.cause, c.quoted)
		})
	}
}

func TestHttpcfgEdges(t *testing.T) {
	sep := strings.Repeat("-", 78)
	for _, c := range []struct {
		name, in string
		want     []string
	}{
		{"records", "    IP                      : 10.0.0.5\n" + sep + "\n    IP                      : 127.0.0.1\n" + sep + "\n", []string{"10.0.0.5", "127.0.0.1"}},
		{"SDK sample form", "IP         :10.0.0.5.\n" + sep + "\n", []string{"10.0.0.5"}},
		{"IPv6 and status 0", "    IP                      : fe80::1\n" + sep + "\nHttpQueryServiceConfiguration completed with 0.\n", []string{"fe80::1"}},
	} {
		l, err := parse.ParseHttpcfg(strings.NewReader(crlf(c.in)), parse.Options{})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		checkEntries(t, l, facts.ListenHttpcfg, c.want...)
	}
	for _, c := range []struct {
		name, in string
		line     int
		cause    error
	}{
		{"status 5", "HttpQueryServiceConfiguration completed with 5.\n", 1, parse.ErrFailed},
		{"1168 after records", "    IP : 10.0.0.5\n" + sep + "\nHttpQueryServiceConfiguration completed with 1168.\n", 3, parse.ErrUnknownFormat},
		{"bad address", "    IP : 10.0.0.500\n", 1, parse.ErrInvalidValue},
		{"usage", "Usage: httpcfg ACTION STORE [OPTIONS]\n", 1, parse.ErrInvalidValue},
		{"line after status", "HttpQueryServiceConfiguration completed with 1168.\nmore\n", 2, parse.ErrUnknownFormat},
		{"not a command", "iplistenx is not a valid command.\n", 1, parse.ErrUnknownFormat},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := parse.ParseHttpcfg(strings.NewReader(crlf(c.in)), parse.Options{})
			wantErr(t, err, parse.KindHttpcfg, c.line, c.cause, "")
		})
	}
}

func TestRegEdges(t *testing.T) {
	in := crlf(`
HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters
    (Default)    REG_SZ    (value not set)
    MaxUserPort    REG_DWORD    0xfffe
    Big    REG_QWORD    0xffffffffffffffff
    List    REG_MULTI_SZ    10.0.0.5\0fe80::1\0\0
    Bin    REG_BINARY    00FF10
    None    REG_NONE    
    Expand    REG_EXPAND_SZ    %SystemRoot%\x
    Name With  Spaces    REG_SZ      two leading blanks
    Res    REG_RESOURCE_LIST    0A0B

HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters\Adapters
HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters\Interfaces
`)
	q, err := parse.ParseRegQuery(strings.NewReader(in), parse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Keys) != 3 || len(q.Keys[0].Values) != 9 || len(q.Keys[1].Values) != 0 || q.Matches != -1 {
		t.Fatalf("keys %+v", q.Keys)
	}
	get := func(name string) facts.RegistryValue { return q.Value(facts.TcpipParameters, name) }
	if v := get("(Default)"); *v.String != "(value not set)" {
		t.Errorf("(Default) = %+v", v)
	}
	if v, _ := get("MaxUserPort").DWORD(); v != 65534 {
		t.Errorf("MaxUserPort = %d", v)
	}
	if v := get("Big"); *v.Number != 1<<64-1 {
		t.Errorf("Big = %+v", v)
	}
	if v := get("List"); strings.Join(v.Strings, ",") != "10.0.0.5,fe80::1" || v.Raw != `10.0.0.5\0fe80::1\0\0` {
		t.Errorf("List = %+v", v)
	}
	if v := get("Bin"); !bytes.Equal(v.Bytes, []byte{0, 0xff, 0x10}) || v.Text() != "00FF10" {
		t.Errorf("Bin = %+v", v)
	}
	if v := get("None"); v.Type != facts.RegNone || len(v.Bytes) != 0 || v.Absent {
		t.Errorf("None = %+v", v)
	}
	if v := get("Name With  Spaces"); v.String == nil || *v.String != "  two leading blanks" {
		t.Errorf("spaces = %+v", v)
	}
	if v := get("Res"); v.Type != facts.RegResourceList || len(v.Bytes) != 2 {
		t.Errorf("Res = %+v", v)
	}
	if v := get("Missing"); !v.Absent {
		t.Errorf("Missing = %+v", v)
	}

	for _, c := range []struct {
		name, in string
		line     int
		cause    error
		quoted   string
	}{
		{"empty", "", 0, parse.ErrEmpty, ""},
		{"value before key", "\n    X    REG_SZ    y\n", 2, parse.ErrUnknownFormat, "X"},
		{"unknown type", "\nHKEY_LOCAL_MACHINE\\X\n    X    REG_FOO    1\n", 3, parse.ErrUnknownFormat, "REG_FOO"},
		{"DWORD not hex", "\nHKEY_LOCAL_MACHINE\\X\n    X    REG_DWORD    30\n", 3, parse.ErrInvalidValue, "30"},
		{"DWORD too big", "\nHKEY_LOCAL_MACHINE\\X\n    X    REG_DWORD    0x100000000\n", 3, parse.ErrInvalidValue, "0x100000000"},
		{"binary odd", "\nHKEY_LOCAL_MACHINE\\X\n    X    REG_BINARY    ABC\n", 3, parse.ErrInvalidValue, "ABC"},
		{"ambiguous", "\nHKEY_LOCAL_MACHINE\\X\n    A    REG_SZ    B    REG_SZ    C\n", 3, parse.ErrUnknownFormat, "A"},
		{"syntax error", "ERROR: Invalid syntax.\nType \"REG QUERY /?\" for usage.\n", 1, parse.ErrUnknownFormat, "Invalid syntax"},
		{"localized not found", "FEHLER: Der angegebene Registrierungsschlüssel oder Wert wurde nicht gefunden.\n", 1, parse.ErrUnknownFormat, "FEHLER"},
		{"not found after keys", "\nHKEY_LOCAL_MACHINE\\X\n" + parse.RegNotFoundMessage + "\n", 3, parse.ErrUnknownFormat, "ERROR"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := parse.ParseRegQuery(strings.NewReader(crlf(c.in)), parse.Options{})
			wantErr(t, err, parse.KindReg, c.line, c.cause, c.quoted)
		})
	}
}

func TestDynamicPortEdges(t *testing.T) {
	head := "\n\nProtocol tcp Dynamic Port Range\n---------------------------------\n"
	for _, c := range []struct {
		name, in string
		line     int
		cause    error
	}{
		{"empty", "", 0, parse.ErrEmpty},
		{"ok from set", "Ok.\n\n", 1, parse.ErrUnknownFormat},
		{"one number", head + "Start Port      : 49152\n", 4, parse.ErrUnknownFormat},
		{"past 65535", head + "Start Port      : 60000\nNumber of Ports : 16384\n", 6, parse.ErrInvalidValue},
		{"not a number", head + "Start Port      : 4915x\nNumber of Ports : 16384\n", 5, parse.ErrInvalidValue},
		{"zero ports", head + "Start Port      : 49152\nNumber of Ports : 0\n", 6, parse.ErrInvalidValue},
		{"third line", head + "Start Port      : 49152\nNumber of Ports : 16384\nExtra : 1\n", 7, parse.ErrUnknownFormat},
		{"no dashes", "\n\nProtocol tcp Dynamic Port Range\nStart Port      : 49152\n", 4, parse.ErrUnknownFormat},
		{"bad parameter", "The parameter is incorrect.\n\n", 1, parse.ErrUnknownFormat},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := parse.ParseDynamicPort(strings.NewReader(crlf(c.in)), parse.Options{})
			wantErr(t, err, parse.KindDynamicPort, c.line, c.cause, "")
		})
	}
	d, err := parse.ParseDynamicPort(strings.NewReader(crlf("\n\nProtocol udp Dynamic Port Range\n---------------------------------\nStart Port      : 1025\nNumber of Ports : 64511\n\n")), parse.Options{})
	if err != nil || d.Protocol != "udp" || d.Start != 1025 || d.End() != 65535 || !d.Valid() {
		t.Errorf("%+v %v", d, err)
	}
}

func TestTCPConnectionJSONEdges(t *testing.T) {
	for _, c := range []struct {
		name, in string
		tcp      int
		pids     bool
		state    facts.State
	}{
		{"compressed single object", `{"LocalAddress":"0.0.0.0","LocalPort":25,"RemoteAddress":"0.0.0.0","RemotePort":0,"State":2,"OwningProcess":1880}`, 1, true, facts.StateListen},
		{"string state", `[{"LocalAddress":"10.0.0.5","LocalPort":50000,"RemoteAddress":"10.0.0.9","RemotePort":443,"State":"TimeWait","OwningProcess":0}]`, 1, true, facts.StateTimeWait},
		{"numeric string state", `[{"LocalAddress":"10.0.0.5","LocalPort":50000,"RemoteAddress":"10.0.0.9","RemotePort":443,"State":"100"}]`, 1, false, facts.StateBound},
		{"empty array", "[]", 0, true, 0},
		{"BOM and CRLF", "\ufeff[\r\n    {\r\n        \"State\":  5,\r\n        \"LocalAddress\":  \"::1\",\r\n        \"LocalPort\":  1,\r\n        \"RemoteAddress\":  \"::1\",\r\n        \"RemotePort\":  2\r\n    }\r\n]\r\n", 1, false, facts.StateEstablished},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := parse.ParseTCPConnectionJSON(strings.NewReader(c.in), parse.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if s.Summary.TCP != c.tcp || s.PIDs != c.pids || (c.tcp > 0 && s.Summary.States.Get(c.state) != 1) {
				t.Errorf("tcp %d pids %v states %s", s.Summary.TCP, s.PIDs, mustJSON(t, s.Summary.States))
			}
		})
	}
	pretty := "[\n    {\n        \"State\":  2,\n        \"LocalAddress\":  \"::\",\n        \"LocalPort\":  135,\n        \"RemoteAddress\":  \"::\",\n        \"RemotePort\":  0\n    },\n    {\n        \"State\":  13,\n        \"LocalAddress\":  \"::\",\n        \"LocalPort\":  136,\n        \"RemoteAddress\":  \"::\",\n        \"RemotePort\":  0\n    }\n]\n"
	for _, c := range []struct {
		name, in string
		line     int
		cause    error
		quoted   string
	}{
		{"empty", "  \r\n", 0, parse.ErrEmpty, ""},
		{"state 13", pretty, 9, parse.ErrInvalidValue, "{"},
		{"missing port", `{"LocalAddress":"::","RemoteAddress":"::","RemotePort":0,"State":2}`, 1, parse.ErrInvalidValue, "LocalAddress"},
		{"bad address", `{"LocalAddress":"::x","LocalPort":1,"RemoteAddress":"::","RemotePort":0,"State":2}`, 1, parse.ErrInvalidValue, "::x"},
		{"port as string", "[\n{\"LocalAddress\":\"::\",\"LocalPort\":\"1\",\"RemoteAddress\":\"::\",\"RemotePort\":0,\"State\":2}\n]", 2, parse.ErrInvalidValue, "LocalPort"},
		{"syntax", "[\n  {\"LocalAddress\": ,}\n]", 2, parse.ErrUnknownFormat, "LocalAddress"},
		{"truncated", "[\n  {\"LocalAddress\":\"::\"", 2, parse.ErrUnknownFormat, ""},
		{"trailing text", `{"LocalAddress":"::","LocalPort":1,"RemoteAddress":"::","RemotePort":0,"State":2} x`, 1, parse.ErrUnknownFormat, "x"},
		{"a table, not JSON", "\nLocalAddress  LocalPort\n------------  ---------\n", 2, parse.ErrUnknownFormat, "LocalAddress"},
		{"number", "5", 1, parse.ErrUnknownFormat, "5"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := parse.ParseTCPConnectionJSON(strings.NewReader(c.in), parse.Options{})
			wantErr(t, err, parse.KindTCPConnectionJSON, c.line, c.cause, c.quoted)
		})
	}
}

func TestVerEdges(t *testing.T) {
	v, err := parse.ParseVer(strings.NewReader("\r\nMicrosoft Windows [Version 10.0.17763.1879]\r\n"), parse.Options{})
	if err != nil || v.Major != 10 || v.Build != 17763 || v.Revision != 1879 || v.Release != "2019" || v.String() != "10.0.17763.1879 (2019)" {
		t.Fatalf("%+v %v", v, err)
	}
	for _, c := range []struct {
		name, in string
		line     int
		cause    error
	}{
		{"empty", "\r\n", 0, parse.ErrEmpty},
		{"two lines", "Microsoft Windows [Version 10.0.17763]\nMicrosoft Windows [Version 10.0.17763]\n", 2, parse.ErrUnknownFormat},
		{"no brackets", "Microsoft Windows Version 10.0.17763\n", 1, parse.ErrUnknownFormat},
		{"two parts", "Microsoft Windows [Version 10.0]\n", 1, parse.ErrInvalidValue},
		{"letters", "Microsoft Windows [Version 10.0.x]\n", 1, parse.ErrInvalidValue},
		{"empty brackets", "Microsoft Windows []\n", 1, parse.ErrUnknownFormat},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := parse.ParseVer(strings.NewReader(c.in), parse.Options{})
			wantErr(t, err, parse.KindVer, c.line, c.cause, "")
		})
	}
}

func TestSCEdges(t *testing.T) {
	single := "\nSERVICE_NAME: w3svc \n        TYPE               : 20  WIN32_SHARE_PROCESS  \n        STATE              : 1  STOPPED \n        WIN32_EXIT_CODE    : 1077  (0x435)\n        SERVICE_EXIT_CODE  : 0  (0x0)\n        CHECKPOINT         : 0x0\n        WAIT_HINT          : 0x0\n\n"
	q, err := parse.ParseSC(strings.NewReader(crlf(single)), parse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := q.Service("W3SVC"); !ok || s.State != facts.ServiceStopped || s.ExitCode != 1077 {
		t.Errorf("%+v", q)
	}
	q, err = parse.ParseSC(strings.NewReader(crlf("[SC] EnumQueryServicesStatus:OpenService FAILED 1060:\n\nThe specified service does not exist as an installed service.\n\n")), parse.Options{})
	if s, ok := q.Service("Nope"); err != nil || !ok || s.State != facts.ServiceNotInstalled {
		t.Errorf("1060: %+v %v", q, err)
	}
	for _, c := range []struct {
		name, in string
		line     int
		cause    error
	}{
		{"empty", "", 0, parse.ErrEmpty},
		{"access denied", "[SC] OpenService FAILED 5:\n\nAccess is denied.\n", 1, parse.ErrFailed},
		{"no state", "SERVICE_NAME: x\n        TYPE               : 20  WIN32_SHARE_PROCESS\n", 2, parse.ErrUnknownFormat},
		{"state 9", "SERVICE_NAME: x\n        STATE              : 9  WEIRD\n", 2, parse.ErrInvalidValue},
		{"label first", "        STATE              : 4  RUNNING\n", 1, parse.ErrUnknownFormat},
		{"usage", "DESCRIPTION:\n        SC is a command line program\n", 1, parse.ErrUnknownFormat},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := parse.ParseSC(strings.NewReader(crlf(c.in)), parse.Options{})
			wantErr(t, err, parse.KindSC, c.line, c.cause, "")
		})
	}
}

func TestCodePages(t *testing.T) {
	de := readTestdata(t, "netstat/de-DE-cp850-ano.txt")
	// A 65001 hint on OEM bytes (a console tool into a UTF-8 shell) falls
	// back to detection.
	s, err := parse.ParseNetstat(bytes.NewReader(de), parse.Options{CodePage: 65001})
	if err != nil || s.Encoding != "cp850" {
		t.Errorf("65001 hint on CP850: %q %v", s.Encoding, err)
	}
	_, err = parse.ParseNetstat(bytes.NewReader(de), parse.Options{CodePage: 737})
	wantErr(t, err, parse.KindNetstat, 0, parse.ErrCodePage, "")
	// UTF-8 text (a transcription) is read as UTF-8.
	utf := []byte(strings.ReplaceAll(string(bytes.ReplaceAll(de, []byte{0x99}, []byte("Ö"))), "\r", ""))
	s, err = parse.ParseNetstat(bytes.NewReader(utf), parse.Options{})
	if err != nil || s.Encoding != "utf-8" || s.Summary.Listening != 6 {
		t.Errorf("UTF-8: %q %v", s.Encoding, err)
	}
	// Explicit UTF-16 hints without a BOM.
	u16 := readTestdata(t, "netstat/en-US-utf16le-ano.txt")[2:]
	s, err = parse.ParseNetstat(bytes.NewReader(u16), parse.Options{CodePage: 1200})
	if err != nil || s.Encoding != "utf-16le" || s.Summary.TCP != 2 {
		t.Errorf("UTF-16 hint: %q %v", s.Encoding, err)
	}
	// A quoted line is decoded text.
	bad := bytes.Replace(de, []byte("HERGESTELLT"), []byte("HERGESTELLT\x99"), 1)
	_, err = parse.ParseNetstat(bytes.NewReader(bad), parse.Options{})
	if pe := asParseError(t, err, parse.KindNetstat); !strings.Contains(pe.Text, "HERGESTELLTÖ") {
		t.Errorf("quote %q is not decoded", pe.Text)
	}
}

func TestErrorContract(t *testing.T) {
	_, err := parse.ParseNetstat(bytes.NewReader(readCorpus(t, "netstat-an-win10-jc.txt")), parse.Options{})
	pe := asParseError(t, err, parse.KindNetstat)
	msg := err.Error()
	if !strings.HasPrefix(msg, "parse netstat: line 264: ") || !strings.Contains(msg, `"  UDP    [fe80::asda`) {
		t.Errorf("message %q", msg)
	}
	if errors.Unwrap(err) != pe.Err || !errors.Is(err, parse.ErrInvalidValue) {
		t.Errorf("Unwrap: %v", errors.Unwrap(err))
	}
	// The netip error that rejected the address is in the chain too.
	if !strings.Contains(pe.Err.Error(), "asda") {
		t.Errorf("cause %v does not name the bad address", pe.Err)
	}
	fe := pe.Fact(facts.FactSockets, "netstat -ano")
	if fe.Status != facts.StatusParseError || fe.Line != 264 || fe.Kind != "netstat" || fe.Command != "netstat -ano" || fe.Text != pe.Text {
		t.Errorf("fact error %+v", fe)
	}
	_, err = parse.ParseHttpcfg(strings.NewReader("HttpQueryServiceConfiguration completed with 5.\r\n"), parse.Options{})
	if fe := asParseError(t, err, parse.KindHttpcfg).Fact(facts.FactListenList, "httpcfg query iplisten"); fe.Status != facts.StatusCommandFailed {
		t.Errorf("failed command → %v", fe.Status)
	}
}

func TestKinds(t *testing.T) {
	var names []string
	for _, k := range parse.Kinds() {
		names = append(names, k.Name)
		if k.Command == "" || k.Result == "" {
			t.Errorf("kind %s lacks a description", k.Name)
		}
	}
	if got := strings.Join(names, ","); got != "adsutil,boottime,dynamicport,enumdepend,httpcfg,ipconfig,iplisten,netstat,reg,sc,servicestate,tcpconnection,tcpconnection-json,ver" {
		t.Errorf("kinds %s", got)
	}
	_, err := parse.Parse("arp", strings.NewReader("x"), parse.Options{})
	if !errors.Is(err, parse.ErrUnknownKind) {
		t.Errorf("unknown kind: %v", err)
	}
	v, err := parse.Parse(parse.KindVer, strings.NewReader("Microsoft Windows [Version 6.3.9600]"), parse.Options{})
	if os, ok := v.(facts.OSVersion); err != nil || !ok || os.Release != "2012r2" {
		t.Errorf("Parse(ver) = %#v, %v", v, err)
	}
}

// TestTCPConnectionTable reads the table Windows PowerShell 5.1 prints
// (corpus), a wider one with a TimeWait row and an empty AppliedSetting,
// and refuses a row whose address PowerShell cut.
func TestTCPConnectionTable(t *testing.T) {
	b, err := os.ReadFile("../../testdata/corpus/windows/Get-NetTCPConnection-table-localport-askai.txt")
	if err != nil {
		t.Fatal(err)
	}
	// The capture's first line is the prompt with the command.
	s, err := parse.ParseTCPConnectionTable(bytes.NewReader(parse.StripConsole(b)), parse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Listeners) != 1 || s.Listeners[0].Local.String() != "127.0.0.1:11434" || s.Listeners[0].PID != 10276 || !s.PIDs {
		t.Errorf("%+v", s)
	}
	// The columns as the corpus file lays them out, two more rows.
	const table = "\r\n" +
		"LocalAddress                        LocalPort RemoteAddress                       RemotePort State       AppliedSetting OwningProcess\r\n" +
		"------------                        --------- -------------                       ---------- -----       -------------- -------------\r\n" +
		"10.0.0.5                            80        10.0.0.9                            51544      TimeWait    Internet       0\r\n" +
		"::                                  445       ::                                  0          Listen                     4\r\n"
	s, err = parse.ParseTCPConnectionTable(strings.NewReader(table), parse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Summary.States.Get(facts.StateTimeWait) != 1 || len(s.Listeners) != 1 || s.Listeners[0].Local.String() != "[::]:445" {
		t.Errorf("%+v", s)
	}
	cut := strings.Replace(table, "10.0.0.9                           ", "fe80::1234:5678:9abc:def0:1234:5...", 1)
	if _, err := parse.ParseTCPConnectionTable(strings.NewReader(cut), parse.Options{}); err == nil || !strings.Contains(err.Error(), "line 4") {
		t.Errorf("a cut address: %v", err)
	}
	if _, err := parse.ParseTCPConnectionTable(strings.NewReader("Active Connections\r\n"), parse.Options{}); err == nil {
		t.Error("netstat output read as the table")
	}
}
