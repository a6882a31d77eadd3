package winhost

import (
	"net/netip"
	"strings"
	"testing"
)

// Golden comparisons against the corpus of real Windows output. Where a
// corpus file was transcribed (LF) or cut short by its author, the test
// says what it adds back.

// outputsOf splits a transcribed session into the outputs of its commands,
// dropping the echoed command lines (those starting with prompt).
func outputsOf(text string, prompt string) []string {
	var outs []string
	var cur strings.Builder
	started := false
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, prompt) {
			if started {
				outs = append(outs, cur.String())
			}
			cur.Reset()
			started = true
			continue
		}
		cur.WriteString(l)
		if i < len(lines)-1 {
			cur.WriteString("\n")
		}
	}
	if started {
		outs = append(outs, cur.String())
	}
	return outs
}

func TestCorpusRegAutorun(t *testing.T) {
	outs := outputsOf(string(corpus(t, "reg-add-success-and-reg-query-v-single-hkcu-autorun.txt")), "==> ")
	if len(outs) != 2 {
		t.Fatalf("corpus file has %d outputs", len(outs))
	}
	h := newHost(t, baseSpec(Server2019), Options{})
	add := mustRun(t, h, `reg add "HKCU\Software\Microsoft\Command Processor" /v Autorun /d "doskey /macrofile=\"c:\bat\macros.doskey\"" /f`)
	if want := crlf(outs[0]); add != want {
		t.Errorf("reg add:\nwant %q\ngot  %q", want, add)
	}
	q := mustRun(t, h, `reg query "HKCU\Software\Microsoft\Command Processor" /v Autorun`)
	// The author cut the blank line reg.exe prints after the value.
	if want := crlf(outs[1]) + "\r\n"; q != want {
		t.Errorf("reg query /v:\nwant %q\ngot  %q", want, q)
	}
}

func TestCorpusRegMissingValue(t *testing.T) {
	want := string(corpus(t, "reg-query-error-missing-value-message-only.txt"))
	h := newHost(t, baseSpec(Server2019), Options{})
	o, e, code := run(t, h, `reg query "HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters" /v TcpTimedWaitDelay`)
	if code != 1 || o != "" || e != crlf(want) {
		t.Errorf("missing value: exit %d stdout %q stderr %q", code, o, e)
	}
}

func TestCorpusNetshShowIPListen(t *testing.T) {
	text := string(corpus(t, "netsh-http-show-iplisten-entries-blog.txt"))
	_, want, _ := strings.Cut(text, "\n") // drop the echoed command
	spec := baseSpec(Server2012R2)
	for _, a := range []string{"192.168.33.1", "127.0.0.0", "127.0.0.1"} {
		spec.ListenOnlyList = append(spec.ListenOnlyList, netip.MustParseAddr(a))
	}
	h := newHost(t, spec, Options{})
	if got := mustRun(t, h, "netsh http show iplisten"); got != crlf(want) {
		t.Errorf("show iplisten:\nwant %q\ngot  %q", crlf(want), got)
	}
	// The success lines of add and delete (the captures lost the blank
	// lines netsh prints around them).
	for _, tc := range []struct{ file, line string }{
		{"netsh-http-add-iplisten-success-blog.txt", "netsh http add iplisten ipaddress=192.168.33.2"},
		{"netsh-http-delete-iplisten-success-blog.txt", "netsh http delete iplisten ipaddress=192.168.33.1"},
	} {
		_, msg, _ := strings.Cut(string(corpus(t, tc.file)), "\n")
		got := mustRun(t, h, tc.line)
		if want := "\r\n" + crlf(msg) + "\r\n"; got != want {
			t.Errorf("%s:\nwant %q\ngot  %q", tc.line, want, got)
		}
	}
}

func TestCorpusDynamicPort(t *testing.T) {
	show := outputsOf(string(corpus(t, "netsh-int-ipv4-show-dynamicport-tcp-default-dotnet45544.txt")), "> ")
	set := outputsOf(string(corpus(t, "netsh-int-ipv4-set-dynamicport-tcp-ok-dotnet45544.txt")), "> ")
	h := newHost(t, baseSpec(Server2016), Options{})
	// The transcription ends at the last label; netsh ends with a blank
	// line.
	if got, want := mustRun(t, h, "netsh int ipv4 show dynamicport tcp"), crlf(show[0])+"\r\n"; got != want {
		t.Errorf("show dynamicport:\nwant %q\ngot  %q", want, got)
	}
	if got, want := mustRun(t, h, "netsh int ipv4 set dynamicport tcp start=10000 numberofports=55535"), crlf(set[0]); got != want {
		t.Errorf("set dynamicport:\nwant %q\ngot  %q", want, got)
	}
	if s, n := h.DynamicPortRangeInEffect(); s != 10000 || n != 55535 {
		t.Errorf("range in effect %d/%d after set", s, n)
	}
}

func TestCorpusNetStopStartW3SVC(t *testing.T) {
	outs := outputsOf(string(corpus(t, "net-stop-start-w3svc-success-msdocs-kb969864.txt")), `C:\> `)
	h := newHost(t, baseSpec(Server2019), Options{})
	if got, want := mustRun(t, h, "NET STOP w3svc"), crlf(outs[0]); got != want {
		t.Errorf("net stop:\nwant %q\ngot  %q", want, got)
	}
	// The documentation ends the session at the last line; net.exe
	// ends its output with a blank line.
	if got, want := mustRun(t, h, "NET START w3svc"), crlf(outs[1])+"\r\n"; got != want {
		t.Errorf("net start:\nwant %q\ngot  %q", want, got)
	}
}

func TestCorpusHttpcfgEmpty(t *testing.T) {
	want := crlf(string(corpus(t, "httpcfg-query-iplisten-empty-msdocs.txt")))
	h := newHost(t, baseSpec(Server2003), Options{})
	o, _, _ := run(t, h, "httpcfg query iplisten")
	if o != want {
		t.Errorf("httpcfg query iplisten:\nwant %q\ngot  %q", want, o)
	}
}

func TestCorpusHTTPSysPID4(t *testing.T) {
	// The inspec capture of a Windows Server: http.sys owns 80, 443, 5985,
	// 47001 as PID 4 on 0.0.0.0 and [::], with the ownership line.
	capture := string(corpus(t, "netstat-anbo-select-string-winserver-inspec.txt"))
	h := newHost(t, baseSpec(Server2012R2), Options{})
	out := mustRun(t, h, "netstat -anbo")
	for _, port := range []string{"80", "443", "5985", "47001"} {
		for _, addr := range []string{"0.0.0.0:" + port, "[::]:" + port} {
			row := "  TCP    " + addr + strings.Repeat(" ", 21-len(addr)) + "  "
			if !strings.Contains(capture, "> "+row) {
				t.Fatalf("corpus lacks %q", row)
			}
			if !strings.Contains(out, row) || !strings.Contains(out, "LISTENING       4\r\n Can not obtain ownership information\r\n") {
				t.Errorf("netstat -anbo lacks the http.sys row %q", row)
			}
		}
	}
}
