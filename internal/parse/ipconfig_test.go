package parse_test

import (
	"bytes"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/fleetport/fleetport/internal/parse"
)

// ipconfigFiles are the outputs of testdata/ipconfig (see its README) and
// the host addresses each holds: never a mask, a gateway or a server.
var ipconfigFiles = []struct {
	file string
	want []string
	enc  string
}{
	{"ipconfig/en-US-2012r2-winrm.txt", []string{"fe80::940e:854c:d30:ce8b%16", "192.168.2.6", "fe80::f9f4:33db:8703:4244%12", "10.0.2.15"}, "ascii"},
	{"ipconfig/en-US-teredo-pywinrm.txt", []string{"fe80::a56b:7f6a:feb1:1484%4", "172.31.12.118",
		"2001:0:34f1:8072:20c3:2f9f:f2c6:b80", "fe80::20c3:2f9f:f2c6:b80%6"}, "ascii"},
	{"ipconfig/en-US-2016-all.txt", []string{"fe80::40c:2f5f:6658:9ec3%2", "192.168.22.153"}, "ascii"},
	{"ipconfig/en-US-win10-all.txt", []string{"fd7a:115c:a1e0:ab12:4843:cd96:6293:47b2", "fe80::99d0:ec2d:b2e7:536b%8",
		"100.115.71.66", "fe80::c936:c2db:79ad:e1c6%16", "10.50.13.132"}, "ascii"},
	{"ipconfig/en-US-xp-ipv6-all.txt", []string{"192.168.1.10", "fe80::219:b9ff:fe85:61ec%4"}, "ascii"},
	{"ipconfig/en-US-xp-plain.txt", []string{"192.168.1.100"}, "ascii"},
	{"ipconfig/de-DE-server-pssession.txt", []string{"fe80::fc1c:8b51:4daa:d8d1%3", "192.168.0.3"}, "ascii"},
	{"ipconfig/de-DE-cp850-two-addresses.txt", []string{"2001:db8:10:20::5", "2001:db8:10:20:1478:b9fc:6db:7af4",
		"fe80::88e2:b361:3447:55b4%16", "10.20.0.5", "10.20.255.254",
		"2001:0:34f1:8072:20c3:2f9f:f2c6:b80", "fe80::20c3:2f9f:f2c6:b80%6"}, "cp850"},
	{"ipconfig/fr-FR-cp850.txt", []string{"fe80::2c62:a90d:4377:c6%10", "192.168.56.1", "fe80::1c1:6b45:9b7e:293a%9", "10.3.1.1",
		"fe80::bea3:6d81:698c:40d5%4"}, "cp850"},
	{"ipconfig/zh-CN-cp936-2008r2.txt", []string{"fe80::f891:d593:b2e5:4108%11", "192.168.52.138"}, "cp936"},
}

func TestIPConfigFiles(t *testing.T) {
	for _, f := range ipconfigFiles {
		in := readTestdata(t, f.file)
		got, err := parse.ParseIPConfig(bytes.NewReader(in), parse.Options{})
		if err != nil {
			t.Errorf("%s: %v", f.file, err)
			continue
		}
		var want []netip.Addr
		for _, s := range f.want {
			want = append(want, netip.MustParseAddr(s))
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s:\n got %v\nwant %v", f.file, got, want)
		}
		if _, enc, err := parse.Lines(in, parse.Options{}); err != nil || enc != f.enc {
			t.Errorf("%s: decoded as %s (%v), want %s", f.file, enc, err, f.enc)
		}
		v, err := parse.Parse(parse.KindIPConfig, bytes.NewReader(in), parse.Options{})
		if a, ok := v.([]netip.Addr); err != nil || !ok || !slices.Equal(a, want) {
			t.Errorf("%s: Parse(ipconfig) = %v, %v", f.file, v, err)
		}
		// No other parser turns ipconfig's output into a fact.
		for _, k := range parse.Kinds() {
			if k.Name == parse.KindIPConfig {
				continue
			}
			if v, err := parse.Parse(k.Name, bytes.NewReader(in), parse.Options{}); err == nil {
				t.Errorf("%s parsed %s into %+v", k.Name, f.file, v)
			} else {
				asParseError(t, err, k.Name)
			}
		}
	}
}

// TestIPConfigStructure: the rules hold whatever the label words; the
// labels below are invented, only the structure is real.
func TestIPConfigStructure(t *testing.T) {
	lines := func(ls ...string) []byte { return []byte(strings.Join(ls, "\r\n") + "\r\n") }
	cases := []struct {
		name string
		in   []byte
		want []string
	}{
		{"a gateway that looks like a host address is not one", lines("", "T", "", "A x:", "",
			"   P . . : ", "   Q . . : 10.0.0.5", "   R . . : 255.255.255.0", "   S . . : 10.0.0.1"), []string{"10.0.0.5"}},
		{"gateway 0.0.0.0 after a /32 (a PPP link)", lines("", "T", "", "A x:", "",
			"   P . . : ", "   Q . . : 10.9.8.7", "   R . . : 255.255.255.255", "   S . . : 0.0.0.0"), []string{"10.9.8.7"}},
		{"continuation lines of the gateway", lines("", "T", "", "A x:", "",
			"   Q . . : 10.0.0.5", "   R . . : 255.0.0.0", "   S . . : fe80::1%3", "           10.0.0.1", "           10.0.0.2"), []string{"10.0.0.5"}},
		{"IPv6-only adapter: the gateway label is learned from another adapter", lines("", "T", "", "A x:", "",
			"   Q . . : 10.0.0.5", "   R . . : 255.0.0.0", "   S . . : 10.0.0.1", "", "A y:", "",
			"   V6 . . : 2001:db8::5", "   S . . : 2001:db8::1", "   Z . . : 2001:db8::53"), []string{"10.0.0.5", "2001:db8::5"}},
		{"IPv6-only plain ipconfig: the last line is the gateway", lines("", "T", "", "", "A y:", "",
			"   V6 . . : 2001:db8::5", "   L . . : fe80::5%2", "   S . . : 2001:db8::1"), []string{"2001:db8::5", "fe80::5%2"}},
		{"status words in any language", lines("", "T", "", "A x:", "",
			"   Q . . : 10.0.0.5(Bevorzugt)", "   R . . : 255.255.255.128", "   S . . :"), []string{"10.0.0.5"}},
		{"a disconnected adapter has none", lines("", "T", "", "A x:", "", "   M . . : Media disconnected", "   P . . :"), []string{}},
		{"the same address twice is listed once", lines("", "T", "", "A x:", "",
			"   Q . . : 10.0.0.5", "   R . . : 255.0.0.0", "   S . . :", "", "A y:", "", "   Q . . : 10.0.0.5", "   R . . : 255.0.0.0", "   S . . :"), []string{"10.0.0.5"}},
		{"LF endings", []byte("\nT\n\nA x:\n\n   Q . . : 10.0.0.5\n   R . . : 255.0.0.0\n   S . . :\n"), []string{"10.0.0.5"}},
	}
	for _, c := range cases {
		got, err := parse.ParseIPConfig(bytes.NewReader(c.in), parse.Options{})
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		want := []netip.Addr{}
		for _, s := range c.want {
			want = append(want, netip.MustParseAddr(s))
		}
		if !slices.Equal(got, want) || got == nil {
			t.Errorf("%s: got %v, want %v", c.name, got, want)
		}
	}
}

func TestIPConfigErrors(t *testing.T) {
	cases := []struct {
		name, in string
		cause    error
		line     int
	}{
		{"empty", "\r\n\r\n", parse.ErrEmpty, 0},
		{"title only", "\r\nWindows IP Configuration\r\n\r\n", parse.ErrUnknownFormat, 2},
		{"no title", "   IPv4 Address. . . : 10.0.0.5\r\n", parse.ErrUnknownFormat, 1},
		{"a header first", "Ethernet adapter x:\r\n", parse.ErrUnknownFormat, 1},
		{"netstat", "\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State\r\n  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING\r\n", parse.ErrUnknownFormat, 4},
		{"an unindented line that is no header", "\r\nT\r\n\r\nA x:\r\n   P . : 1\r\nrogue\r\n", parse.ErrUnknownFormat, 6},
		{"a value without a label", "\r\nT\r\n\r\nA x:\r\n   10.0.0.5\r\n", parse.ErrUnknownFormat, 5},
		{"/all, IPv6 only, no gateway label to learn", "\r\nT\r\n\r\n   H . . : host\r\n\r\nA x:\r\n\r\n   V6 . . : 2001:db8::5\r\n   S . . : 2001:db8::1\r\n", parse.ErrUnknownFormat, 8},
	}
	for _, c := range cases {
		_, err := parse.ParseIPConfig(strings.NewReader(c.in), parse.Options{})
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		pe := asParseError(t, err, parse.KindIPConfig)
		if !errors.Is(err, c.cause) || pe.Line != c.line {
			t.Errorf("%s: %v (line %d), want %v at line %d", c.name, err, pe.Line, c.cause, c.line)
		}
	}
}
