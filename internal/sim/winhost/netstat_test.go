package winhost

import (
	"bytes"
	"net/netip"
	"strconv"
	"strings"
	"testing"
)

// specFromNetstat builds a host whose socket table is exactly the rows of
// a captured netstat output (-an, -ano or -anob), and returns the capture
// without the rows it could not take (an address the fixture's author
// edited by hand).
func specFromNetstat(t *testing.T, capture string) (Spec, string) {
	t.Helper()
	spec := baseSpec(Server2019)
	spec.NoDefaultSockets, spec.NoHTTPSys = true, true
	lines := strings.Split(capture, "\r\n")
	var kept []string
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		f := strings.Fields(l)
		if len(f) < 3 || (f[0] != "TCP" && f[0] != "UDP") || !strings.HasPrefix(l, "  ") {
			kept = append(kept, l)
			continue
		}
		local, err := netip.ParseAddrPort(f[1])
		if err != nil {
			// Skip the row and its -b lines.
			for i+1 < len(lines) && strings.HasPrefix(lines[i+1], " ") && !strings.HasPrefix(lines[i+1], "  TCP") && !strings.HasPrefix(lines[i+1], "  UDP") {
				i++
			}
			continue
		}
		kept = append(kept, l)
		var service, image string
		for i+1 < len(lines) && strings.HasPrefix(lines[i+1], " ") && !strings.HasPrefix(lines[i+1], "  TCP") && !strings.HasPrefix(lines[i+1], "  UDP") {
			i++
			kept = append(kept, lines[i])
			c := lines[i]
			switch {
			case strings.HasPrefix(c, " ["):
				image = strings.TrimSuffix(strings.TrimPrefix(c, " ["), "]")
			case strings.HasPrefix(c, "  "):
				service = strings.TrimSpace(c)
			}
		}
		pid := uint32(0)
		if last := f[len(f)-1]; len(f) >= 4 {
			if n, err := strconv.Atoi(last); err == nil {
				pid = uint32(n)
			}
		}
		if f[0] == "UDP" {
			spec.Listeners = append(spec.Listeners, Listener{Proto: UDP, Addr: local, PID: pid, Service: service, Image: image})
			continue
		}
		remote := netip.MustParseAddrPort(f[2])
		st, err := ParseTCPState(f[3])
		if err != nil {
			t.Fatal(err)
		}
		if st == Listen {
			spec.Listeners = append(spec.Listeners, Listener{Proto: TCP, Addr: local, PID: pid, Service: service, Image: image})
		} else {
			spec.Connections = append(spec.Connections, Connection{Local: local, Remote: remote, State: st, PID: pid, Service: service, Image: image})
		}
	}
	return spec, strings.Join(kept, "\r\n")
}

func TestNetstatGoldenWin10(t *testing.T) {
	for _, tc := range []struct{ file, args string }{
		{"netstat-ano-win10-jc.txt", "-ano"},
		{"netstat-an-win10-jc.txt", "-an"},
		{"netstat-anob-win10-jc.txt", "-anob"},
	} {
		t.Run(tc.args, func(t *testing.T) {
			capture := string(corpus(t, tc.file))
			spec, want := specFromNetstat(t, capture)
			h := newHost(t, spec, Options{})
			got := mustRun(t, h, "netstat "+tc.args)
			if got != want {
				t.Errorf("netstat %s differs from %s:\n%s", tc.args, tc.file, firstDiff(want, got))
			}
		})
	}
}

// TestNetstatOptionOrder: the letters may come in any order and apart.
func TestNetstatOptionOrder(t *testing.T) {
	h := newHost(t, baseSpec(Server2019), Options{})
	want := mustRun(t, h, "netstat -ano")
	for _, args := range []string{"-nao", "-o -n -a", "/ano", "-a -no"} {
		if got := mustRun(t, h, "netstat "+args); got != want {
			t.Errorf("netstat %s differs from -ano:\n%s", args, firstDiff(want, got))
		}
	}
	if _, _, code := run(t, h, "netstat -z"); code != 1 {
		t.Errorf("netstat -z: exit %d, want 1", code)
	}
}

// firstDiff shows the first differing line.
func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + strconv.Itoa(i+1) + ":\nwant " + strconv.Quote(w) + "\ngot  " + strconv.Quote(g)
		}
	}
	return "(same lines)"
}

func TestNetstatDefaultServer(t *testing.T) {
	h := newHost(t, baseSpec(Server2019), Options{})
	out := mustRun(t, h, "netstat -ano")
	for _, want := range []string{
		"  TCP    0.0.0.0:80             0.0.0.0:0              LISTENING       4\r\n",
		"  TCP    0.0.0.0:5985           0.0.0.0:0              LISTENING       4\r\n",
		"  TCP    [::]:47001             [::]:0                 LISTENING       4\r\n",
		"  TCP    10.1.2.3:139           0.0.0.0:0              LISTENING       4\r\n",
		"  UDP    0.0.0.0:123            *:*                                    1256\r\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("netstat -ano lacks %q", want)
		}
	}
	b := mustRun(t, h, "netstat -anob")
	if !strings.Contains(b, "  TCP    0.0.0.0:5985           0.0.0.0:0              LISTENING       4\r\n Can not obtain ownership information\r\n") {
		t.Errorf("netstat -anob: http.sys row without the ownership line:\n%s", b)
	}
	if !strings.Contains(b, "LISTENING       908\r\n  RpcSs\r\n [svchost.exe]\r\n") {
		t.Errorf("netstat -anob: RPC row without its service lines")
	}
	// -p tcp shows IPv4 TCP only.
	p := mustRun(t, h, "netstat -anp tcp")
	if strings.Contains(p, "UDP") || strings.Contains(p, "[::]") || !strings.Contains(p, "0.0.0.0:135") {
		t.Errorf("netstat -anp tcp:\n%s", p)
	}
	// Without -a only connections show.
	n := mustRun(t, h, "netstat -n")
	if strings.Contains(n, "LISTENING") || strings.Contains(n, "UDP") {
		t.Errorf("netstat -n lists listeners:\n%s", n)
	}
}

func TestNetstatGermanCP850(t *testing.T) {
	spec := baseSpec(Server2016)
	spec.Locale = "de-DE"
	spec.Piles = []Pile{{Remote: netip.MustParseAddrPort("10.0.0.9:1433"), Count: 2}}
	spec.Connections = []Connection{{Local: netip.MustParseAddrPort("10.1.2.3:50000"),
		Remote: netip.MustParseAddrPort("10.0.0.7:443"), State: CloseWait, PID: 1234}}
	h := newHost(t, spec, Options{})
	out := []byte(mustRun(t, h, "netstat -an"))
	if !bytes.HasPrefix(out, []byte("\r\nAktive Verbindungen\r\n\r\n  Proto  Lokale Adresse         Remoteadresse          Status\r\n")) {
		t.Errorf("German header:\n%q", out[:120])
	}
	if !bytes.Contains(out, []byte("0.0.0.0:0              ABH\x99REN\r\n")) {
		t.Errorf("ABHÖREN is not in CP850 (0x99): %q", out)
	}
	if bytes.Contains(out, []byte("\xc3\x96")) {
		t.Error("UTF-8 Ö in CP850 output")
	}
	if !bytes.Contains(out, []byte("10.0.0.9:1433          WARTEND\r\n")) {
		t.Error("TIME_WAIT is not WARTEND")
	}
	if !bytes.Contains(out, []byte("10.0.0.7:443           SCHLIESSEN_WARTEN\r\n")) {
		t.Error("CLOSE_WAIT is not SCHLIESSEN_WARTEN")
	}
	// Even a shell asking for UTF-8 gets CP850 from netstat.
	o, _, _ := runIn(t, h, Command{Line: "netstat -an", Codepage: 65001})
	if !strings.Contains(o, "ABH\x99REN") {
		t.Error("netstat follows the shell code page; it must write the OEM code page")
	}
	// -o header keeps the 16-column state.
	o = mustRun(t, h, "netstat -ano")
	if !strings.Contains(o, "Status          PID\r\n") || !strings.Contains(o, "SCHLIESSEN_WARTEN 1234\r\n") {
		t.Errorf("German -ano:\n%s", o)
	}
}

func TestNetstatFrenchAndChinese(t *testing.T) {
	spec := baseSpec(Server2019)
	spec.Locale = "fr-FR"
	h := newHost(t, spec, Options{})
	out := mustRun(t, h, "netstat -anob")
	if !strings.Contains(out, "Connexions actives") || !strings.Contains(out, "Adresse distante       \x90tat            PID") {
		t.Errorf("French header: %q", out[:200])
	}
	if !strings.Contains(out, " Impossible d'obtenir les informations de propri\x82taire\r\n") {
		t.Error("French -b ownership line is not best-fit CP850")
	}
	if !strings.Contains(out, "LISTENING") {
		t.Error("French netstat keeps the English states")
	}
	spec.Locale = "zh-CN"
	z := newHost(t, spec, Options{})
	zo := mustRun(t, z, "netstat -an")
	if !strings.Contains(zo, "\xbb\xee\xb6\xaf\xc1\xac\xbd\xd3") { // 活动连接 in GBK
		t.Errorf("Chinese title is not GBK: %q", zo[:40])
	}
}
