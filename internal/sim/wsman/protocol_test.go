package wsman

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// soapRequest builds a request in the style pywinrm sends.
func soapRequest(action, resource, shellID, extraHeader, body string) string {
	var sel string
	if shellID != "" {
		sel = `<w:SelectorSet><w:Selector Name="ShellId">` + shellID + `</w:Selector></w:SelectorSet>`
	}
	var res string
	if resource != "" {
		res = `<w:ResourceURI mustUnderstand="true">` + resource + `</w:ResourceURI>`
	}
	return `<?xml version="1.0" encoding="utf-8"?>
<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><env:Header><a:To>http://windows-host:5985/wsman</a:To><w:MaxEnvelopeSize mustUnderstand="true">153600</w:MaxEnvelopeSize><a:MessageID>uuid:11111111-2222-3333-4444-555555555555</a:MessageID><w:OperationTimeout>PT20S</w:OperationTimeout>` +
		res + `<a:Action mustUnderstand="true">` + action + `</a:Action>` + sel + extraHeader + `</env:Header><env:Body>` + body + `</env:Body></env:Envelope>`
}

// faultOf returns subcode, WSManFault code and f:Message of a fault.
func faultOf(t *testing.T, r Response) (subcode, code, message string) {
	t.Helper()
	if r.Status != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500: %s", r.Status, r.Body)
	}
	f := parseTree(t, r.Body)
	if sc := f.first(nsSOAP, "Subcode"); sc != nil {
		subcode = sc.kids[0].text
	}
	if wf := f.first(nsWsmFault, "WSManFault"); wf != nil {
		code = wf.attr("Code")
		message = wf.first(nsWsmFault, "Message").text
		if pf := wf.first(nsWsmFault, "ProviderFault"); pf != nil {
			message = pf.text
		}
	}
	return
}

func TestRequestErrors(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxEnvelopeSize = 16 * 1024
	s := newTestService(t, cfg, &recorder{})
	m := newMZ(t, s)
	shell, _ := m.create()

	t.Run("unknown action", func(t *testing.T) {
		req := soapRequest(nsTransfer+"/Get", resourceCmd, shell, "", "")
		r := handle(s, []byte(req))
		sub, code, msg := faultOf(t, r)
		if sub != "a:ActionNotSupported" || code != "2150858771" || msg != textActionNotSupported {
			t.Errorf("%s %s %q", sub, code, msg)
		}
		if a := parseTree(t, r.Body).first(nsAddr, "Action").text; a != actionFaultAddr {
			t.Errorf("fault action %q", a)
		}
		checkHeader(t, []byte(req), r.Body, true)
	})
	t.Run("unknown resource URI", func(t *testing.T) {
		req := fixture(t, "pypsrp/test_psrp_is_alive_invalid_selectors/01-Create-request.xml") // PSRP
		sub, code, msg := faultOf(t, handle(s, req))
		if sub != "a:DestinationUnreachable" || code != "2150858811" ||
			msg != "The WS-Management service cannot process the request. The resource URI (http://schemas.microsoft.com/powershell/Microsoft.PowerShell) was not found in the WS-Management catalog. The catalog contains the metadata that describes resources, or logical endpoints. " {
			t.Errorf("%s %s %q", sub, code, msg)
		}
	})
	t.Run("missing resource URI", func(t *testing.T) {
		sub, code, _ := faultOf(t, handle(s, []byte(soapRequest(actionDelete, "", shell, "", ""))))
		if sub != "a:DestinationUnreachable" || code != "2150858811" {
			t.Errorf("%s %s", sub, code)
		}
	})
	t.Run("missing ShellId", func(t *testing.T) {
		sub, code, msg := faultOf(t, handle(s, []byte(soapRequest(actionDelete, resourceCmd, "", "", ""))))
		if sub != "w:InvalidSelectors" || code != "2150858843" || msg != textNeedShellID {
			t.Errorf("%s %s %q", sub, code, msg)
		}
	})
	t.Run("unknown ShellId", func(t *testing.T) {
		req := soapRequest(actionDelete, resourceCmd, "1D6E3A0B-0000-4000-8000-000000000000", "", "")
		r := handle(s, []byte(req))
		sub, code, msg := faultOf(t, r)
		want := "The request for the Windows Remote Shell with ShellId 1D6E3A0B-0000-4000-8000-000000000000 failed because the shell was not found on the server. Possible causes are: the specified ShellId is incorrect or the shell no longer exists on the server. Provide the correct ShellId or create a new shell and retry the operation. "
		if sub != "w:InvalidSelectors" || code != "2150858843" || msg != want {
			t.Errorf("%s %s %q", sub, code, msg)
		}
		if fd := parseTree(t, r.Body).first(nsWsman, "FaultDetail"); fd == nil || fd.text != detailUnexpectedSelectors {
			t.Errorf("FaultDetail %v", fd)
		}
	})
	t.Run("shell of another user", func(t *testing.T) {
		r := s.Handle(context.Background(), "mallory", "10.0.0.9", []byte(soapRequest(actionDelete, resourceCmd, shell, "", "")))
		if sub, _, _ := faultOf(t, r); sub != "w:InvalidSelectors" {
			t.Errorf("subcode %s", sub)
		}
	})
	t.Run("shell id case-insensitive", func(t *testing.T) {
		id, _ := m.create()
		if r := m.deleteShell(strings.ToLower(id)); r.Status != 200 {
			t.Errorf("lowercase ShellId: %d", r.Status)
		}
	})
	t.Run("malformed XML", func(t *testing.T) {
		for _, body := range []string{"<s:Envelope", "hello", "<a><b></a>", `<?xml version="1.0" encoding="ebcdic"?><x/>`, "<x/><y/>", "\xff\xfe<\x00"} {
			r := handle(s, []byte(body))
			sub, code, _ := faultOf(t, r)
			if sub != "w:SchemaValidationError" || code != "2150858817" {
				t.Errorf("%q: %s %s", body, sub, code)
			}
			if parseTree(t, r.Body).first(nsAddr, "RelatesTo") != nil {
				t.Errorf("%q: RelatesTo without a request id", body)
			}
		}
	})
	t.Run("SOAP 1.1", func(t *testing.T) {
		r := handle(s, []byte(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body/></s:Envelope>`))
		f := parseTree(t, r.Body)
		if r.Status != 500 || f.first(nsSOAP, "Value").text != "s:VersionMismatch" {
			t.Errorf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("no MessageID", func(t *testing.T) {
		req := strings.Replace(soapRequest(actionDelete, resourceCmd, shell, "", ""), "<a:MessageID>uuid:11111111-2222-3333-4444-555555555555</a:MessageID>", "", 1)
		if sub, code, _ := faultOf(t, handle(s, []byte(req))); sub != "a:MessageInformationHeaderRequired" || code != "2150858769" {
			t.Errorf("%s %s", sub, code)
		}
	})
	t.Run("tiny MaxEnvelopeSize", func(t *testing.T) {
		req := strings.Replace(soapRequest(actionDelete, resourceCmd, shell, "", ""), ">153600<", ">100<", 1)
		if sub, code, _ := faultOf(t, handle(s, []byte(req))); sub != "w:EncodingLimit" || code != "2150858878" {
			t.Errorf("%s %s", sub, code)
		}
	})
	t.Run("bad OperationTimeout", func(t *testing.T) {
		for _, v := range []string{"PT-1S", "60", "PTS", "P", "-PT5S", "PT5.S", "P1S"} {
			req := strings.Replace(soapRequest(actionDelete, resourceCmd, shell, "", ""), "PT20S", v, 1)
			sub, code, msg := faultOf(t, handle(s, []byte(req)))
			if sub != "a:InvalidMessageInformationHeader" || code != "2150858767" || !strings.Contains(msg, "invalid timeout field in the SOAP header: "+v+". ") {
				t.Errorf("%s: %s %s %q", v, sub, code, msg)
			}
		}
	})
	t.Run("empty body is 400", func(t *testing.T) {
		for _, b := range []string{"", " \r\n\t"} {
			if r := handle(s, []byte(b)); r.Status != 400 || r.Body != nil {
				t.Errorf("%q: %d %q", b, r.Status, r.Body)
			}
		}
	})
	t.Run("over MaxEnvelopeSize is 413", func(t *testing.T) {
		pad := strings.Repeat(" ", 16*1024)
		req := soapRequest(actionDelete, resourceCmd, shell, "", "")
		big := req[:len(req)-len("</env:Envelope>")] + pad[:16*1024-len(req)] + "</env:Envelope>"
		if len(big) != 16*1024 {
			t.Fatal(len(big))
		}
		if r := handle(s, []byte(big+" ")); r.Status != 413 || r.Body != nil {
			t.Errorf("one byte over: %d", r.Status)
		}
		if r := handle(s, []byte(big)); r.Status != 200 {
			t.Errorf("exactly MaxEnvelopeSize: %d %s", r.Status, r.Body)
		}
	})
	st := s.Stats()
	if st.Operations < 25 {
		t.Errorf("Operations = %d", st.Operations)
	}
	var total int64
	for _, n := range st.Faults {
		total += n
	}
	if total < 20 {
		t.Errorf("faults counted: %v", st.Faults)
	}
}

func TestParseDuration(t *testing.T) {
	good := map[string]time.Duration{
		"PT60S": 60 * time.Second, "PT60.000S": 60 * time.Second, "PT5M0S": 5 * time.Minute,
		"PT0.5S": 500 * time.Millisecond, "P1DT2H": 26 * time.Hour, " PT20S ": 20 * time.Second,
		"PT1H1M1.25S": time.Hour + time.Minute + 1250*time.Millisecond, "P0D": 0, "PT0S": 0,
		"P1Y": 365 * 24 * time.Hour, "P1M": 30 * 24 * time.Hour, "PT2147483.647S": 2147483647 * time.Millisecond,
	}
	for in, want := range good {
		if got, ok := parseDuration(in); !ok || got != want {
			t.Errorf("%q: %v %v, want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "P", "PT", "PT-1S", "-PT1S", "PT1", "T1S", "PT1.5M", "P1H", "PT1S1M", "PT1M1M", "P1DT", "PT.5S", "PT5.S", "PT1..2S", "PTxS", "pt1s", "PT1S ", "P1D2H"} {
		if in == "PT1S " {
			continue // trailing whitespace is trimmed (xs:duration collapses it)
		}
		if d, ok := parseDuration(in); ok {
			t.Errorf("%q accepted as %v", in, d)
		}
	}
	if d, ok := parseDuration("PT99999999999999999999S"); !ok || d <= 0 {
		t.Errorf("huge duration: %v %v", d, ok)
	}
	if got := formatSeconds(7200 * time.Second); got != "PT7200.000S" {
		t.Error(got)
	}
	if got := formatSeconds(1500 * time.Millisecond); got != "PT1.500S" {
		t.Error(got)
	}
}

// TestOperationTimeoutClamp: OperationTimeout above MaxTimeout is clamped,
// not rejected (MS-WSMV 3.1.4.1.6).
func TestOperationTimeoutClamp(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxTimeout = 150 * time.Millisecond
	s := newTestService(t, cfg, backendFunc(func(ctx context.Context, req ExecRequest) int { <-ctx.Done(); return 0 }))
	m := newMZ(t, s)
	m.params.Timeout = "PT3600S"
	shell, _ := m.create()
	cid, _ := m.command(shell, "pause")
	start := time.Now()
	r := m.receive(shell, cid)
	if sub, code, _ := faultOf(t, r); sub != "w:TimedOut" || code != "2150858793" {
		t.Fatalf("%s %s", sub, code)
	}
	if el := time.Since(start); el < 150*time.Millisecond || el > 5*time.Second {
		t.Errorf("Receive took %v", el)
	}
	// A short client timeout is honoured.
	m.params.Timeout = "PT0.05S"
	start = time.Now()
	m.receive(shell, cid)
	if el := time.Since(start); el > 140*time.Millisecond {
		t.Errorf("PT0.05S took %v", el)
	}
}

func TestSignalSemantics(t *testing.T) {
	var ctrlC atomic.Bool
	b := backendFunc(func(ctx context.Context, req ExecRequest) int {
		switch req.CommandLine {
		case "quick":
			_, _ = io.WriteString(req.Stdout, "done")
			return 0
		default:
			<-ctx.Done()
			ctrlC.Store(true)
			// A process killed by CTRL+C exits with STATUS_CONTROL_C_EXIT.
			_, _ = io.WriteString(req.Stdout, "^C")
			return -1073741510
		}
	})
	cfg := DefaultConfig()
	cfg.MaxTimeout = 2 * time.Second
	s := newTestService(t, cfg, b)
	m := newMZ(t, s)
	shell, _ := m.create()

	// Signal after Done succeeds, then the CommandId is gone.
	cid, _ := m.command(shell, "quick")
	if out, _, code, _ := m.collect(shell, cid); out != "done" || code != 0 {
		t.Fatalf("%q %d", out, code)
	}
	if r := m.signal(shell, cid); r.Status != 200 {
		t.Fatalf("signal after done: %d", r.Status)
	}
	for _, r := range []Response{m.receive(shell, cid), m.signal(shell, cid), m.send(shell, cid, []byte("x"), true)} {
		if _, _, msg := faultOf(t, r); msg != textBadCommandID {
			t.Errorf("after signal: %q", msg)
		}
	}

	// ctrl_c cancels a running command; its final output and exit code
	// can still be received.
	cid, _ = m.command(shell, "ping -t")
	req := strings.Replace(mustString(winrmSignalMsg(m, shell, cid)), "signal/terminate", "signal/ctrl_c", 1)
	if r := s.Handle(context.Background(), "vagrant", "127.0.0.1", []byte(req)); r.Status != 200 {
		t.Fatalf("ctrl_c: %d %s", r.Status, r.Body)
	}
	out, _, code, _ := m.collect(shell, cid)
	if !ctrlC.Load() || out != "^C" || code != -1073741510&0xffffffff {
		t.Errorf("after ctrl_c: %q %d", out, code)
	}
	r := m.receive(shell, cid)
	if !strings.Contains(string(r.Body), "<rsp:ExitCode>3221225786</rsp:ExitCode>") {
		t.Errorf("exit code not as DWORD: %s", r.Body)
	}

	// terminate removes a running command at once.
	cid, _ = m.command(shell, "ping -t")
	if r := m.signal(shell, cid); r.Status != 200 {
		t.Fatal(r.Status)
	}
	if _, _, msg := faultOf(t, m.receive(shell, cid)); msg != textBadCommandID {
		t.Errorf("after terminate: %q", msg)
	}

	// An unknown signal code is a bad parameter.
	cid, _ = m.command(shell, "quick")
	req = strings.Replace(mustString(winrmSignalMsg(m, shell, cid)), "signal/terminate", "signal/kill", 1)
	if sub, code, msg := faultOf(t, s.Handle(context.Background(), "vagrant", "127.0.0.1", []byte(req))); sub != "w:InvalidParameter" || code != "87" || msg != textBadParameter {
		t.Errorf("%s %s %q", sub, code, msg)
	}
}

func TestReceiveDetails(t *testing.T) {
	b := backendFunc(func(ctx context.Context, req ExecRequest) int {
		_, _ = io.WriteString(req.Stdout, "out")
		_, _ = io.WriteString(req.Stderr, "err")
		return 4
	})
	s := newTestService(t, DefaultConfig(), b)
	m := newMZ(t, s)
	shell, _ := m.create()
	cid, _ := m.command(shell, "x")
	waitFor(t, "exit", func() bool {
		s.mu.Lock()
		c := s.shells[shell].commands[cid]
		s.mu.Unlock()
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.exited
	})
	// Only stdout wanted: stderr stays buffered for a later Receive; the
	// End marker and Done refer to the wanted streams.
	msg := winrmReceiveMsg(m, shell, cid, "stdout")
	r := s.Handle(context.Background(), "vagrant", "127.0.0.1", []byte(mustString(msg)))
	body := string(r.Body)
	if strings.Contains(body, `Name="stderr"`) || !strings.Contains(body, `<rsp:Stream Name="stdout" CommandId="`+cid+`">b3V0</rsp:Stream>`) ||
		!strings.Contains(body, `<rsp:Stream Name="stdout" CommandId="`+cid+`" End="true"></rsp:Stream>`) {
		t.Errorf("stdout-only receive: %s", body)
	}
	// The rest.
	out, errs, code, _ := m.collect(shell, cid)
	if out != "" || errs != "err" || code != 4 {
		t.Errorf("%q %q %d", out, errs, code)
	}
	// Receive after Done answers Done again.
	if _, _, code, n := m.collect(shell, cid); code != 4 || n != 1 {
		t.Errorf("repeat: %d %d", code, n)
	}
	// No CommandId on DesiredStream: 87 (pypsrp/test_winrs_fail_poll_process).
	req := strings.Replace(mustString(winrmReceiveMsg(m, shell, cid, "stdout stderr")), `CommandId="`+cid+`"`, "", 1)
	if sub, code, _ := faultOf(t, s.Handle(context.Background(), "vagrant", "127.0.0.1", []byte(req))); sub != "w:InvalidParameter" || code != "87" {
		t.Errorf("%s %s", sub, code)
	}
}

// TestWaitingReceiveWakesOnDelete: a long poll returns as soon as another
// connection deletes the shell.
func TestWaitingReceiveWakesOnDelete(t *testing.T) {
	s := newTestService(t, DefaultConfig(), backendFunc(func(ctx context.Context, req ExecRequest) int { <-ctx.Done(); return 0 }))
	m := newMZ(t, s)
	shell, _ := m.create()
	cid, _ := m.command(shell, "pause")
	got := make(chan Response)
	go func() { got <- m.receive(shell, cid) }()
	time.Sleep(30 * time.Millisecond)
	start := time.Now()
	if r := m.deleteShell(shell); r.Status != 200 {
		t.Fatal(r.Status)
	}
	r := <-got
	if time.Since(start) > 2*time.Second {
		t.Error("Receive did not wake up")
	}
	if _, code, msg := faultOf(t, r); code != "2150858843" || !strings.Contains(msg, "ShellId "+shell) {
		t.Errorf("%s %q", code, msg)
	}
}

func TestSendDetails(t *testing.T) {
	got := make(chan string, 1)
	b := backendFunc(func(ctx context.Context, req ExecRequest) int {
		in, _ := io.ReadAll(req.Stdin)
		got <- string(in)
		return 0
	})
	s := newTestService(t, DefaultConfig(), b)
	m := newMZ(t, s)
	shell, _ := m.create()
	cid, _ := m.command(shell, "sort")
	if r := m.send(shell, cid, []byte("b\r\n"), false); r.Status != 200 {
		t.Fatal(r.Status)
	}
	if a := parseTree(t, m.send(shell, cid, []byte("a\r\n"), true).Body).first(nsAddr, "Action"); a.text != nsShell+"/SendResponse" {
		t.Error(a.text)
	}
	if in := <-got; in != "b\r\na\r\n" {
		t.Errorf("stdin %q", in)
	}
	// After End (or exit), more input is accepted and dropped.
	if r := m.send(shell, cid, []byte("late"), false); r.Status != 200 {
		t.Errorf("late send: %d", r.Status)
	}
	// Unknown CommandId.
	if sub, code, msg := faultOf(t, m.send(shell, "B0973E54-434E-4D99-B4BE-ADE584CE3BFB", []byte("x"), false)); sub != "w:InvalidSelectors" || code != "2150858843" || msg != textBadCommandID {
		t.Errorf("%s %s %q", sub, code, msg)
	}
	// Bad base64 and a stream that is not stdin.
	cid2, _ := m.command(shell, "sort")
	req := mustString(winrmSendMsg(m, shell, cid2, []byte("hello"), false))
	for _, bad := range []string{strings.Replace(req, "aGVsbG8=", "!!!", 1), strings.Replace(req, `Name="stdin"`, `Name="pr"`, 1)} {
		if sub, code, _ := faultOf(t, s.Handle(context.Background(), "vagrant", "127.0.0.1", []byte(bad))); sub != "w:InvalidParameter" || code != "87" {
			t.Errorf("%s %s", sub, code)
		}
	}
	m.signal(shell, cid2)
}

// TestOutputBackpressure: output nobody receives blocks the writer (like a
// full pipe) but never past cancellation, so Exec can return.
func TestOutputBackpressure(t *testing.T) {
	var written atomic.Int64
	var writeErr atomic.Value
	b := backendFunc(func(ctx context.Context, req ExecRequest) int {
		buf := make([]byte, 64*1024)
		for {
			n, err := req.Stdout.Write(buf)
			written.Add(int64(n))
			if err != nil {
				writeErr.Store(err)
				return 1
			}
		}
	})
	s := newTestService(t, DefaultConfig(), b)
	m := newMZ(t, s)
	shell, _ := m.create()
	cid, _ := m.command(shell, "type huge")
	waitFor(t, "writer to fill the buffer", func() bool { return written.Load() >= outLimit })
	time.Sleep(20 * time.Millisecond)
	if n := written.Load(); n > outLimit+64*1024 {
		t.Errorf("%d bytes buffered, limit %d", n, outLimit)
	}
	// A Receive drains some and lets the writer go on.
	before := written.Load()
	m.receive(shell, cid)
	waitFor(t, "writer to resume", func() bool { return written.Load() > before })
	if r := m.signal(shell, cid); r.Status != 200 {
		t.Fatal(r.Status)
	}
	waitFor(t, "writer to fail after terminate", func() bool { return writeErr.Load() != nil })
}

// TestStdinWithoutSend: with no Send the process never sees EOF until it is
// cancelled; then Stdin reports EOF.
func TestStdinWithoutSend(t *testing.T) {
	eof := make(chan error, 1)
	b := backendFunc(func(ctx context.Context, req ExecRequest) int {
		_, err := req.Stdin.Read(make([]byte, 10))
		eof <- err
		return 0
	})
	s := newTestService(t, DefaultConfig(), b)
	m := newMZ(t, s)
	shell, _ := m.create()
	cid, _ := m.command(shell, "more")
	select {
	case err := <-eof:
		t.Fatalf("Read returned %v without Send", err)
	case <-time.After(50 * time.Millisecond):
	}
	m.signal(shell, cid)
	if err := <-eof; err != io.EOF {
		t.Errorf("after terminate: %v", err)
	}
}

func TestBooleanOptions(t *testing.T) {
	rec := &recorder{}
	s := newTestService(t, DefaultConfig(), rec)
	m := newMZ(t, s)
	shell, _ := m.create()
	for i, v := range []string{"TRUE", "true", "True", "1", "FALSE", "false", "False", "0", "yes"} {
		req := strings.Replace(mustString(winrmCommandMsg(m, shell, "x")), `<w:Option Name="WINRS_SKIP_CMD_SHELL">FALSE</w:Option>`, `<w:Option Name="WINRS_SKIP_CMD_SHELL">`+v+`</w:Option>`, 1)
		if r := s.Handle(context.Background(), "vagrant", "127.0.0.1", []byte(req)); r.Status != 200 {
			t.Fatal(r.Status)
		}
		waitFor(t, "exec", func() bool { return len(rec.requests()) == i+1 })
		want := i < 4
		if got := rec.requests()[i].SkipCmdShell; got != want {
			t.Errorf("%q: SkipCmdShell %v", v, got)
		}
	}
}

func TestResetAndClose(t *testing.T) {
	var running, exited atomic.Int32
	b := backendFunc(func(ctx context.Context, req ExecRequest) int {
		running.Add(1)
		<-ctx.Done()
		exited.Add(1)
		return 0
	})
	s := NewService(DefaultConfig(), b)
	m := newMZ(t, s)
	shell, _ := m.create()
	cid, _ := m.command(shell, "pause")
	m.command(shell, "pause")
	waitFor(t, "both running", func() bool { return running.Load() == 2 })

	s.Reset()
	waitFor(t, "commands cancelled", func() bool { return exited.Load() == 2 })
	if _, code, msg := faultOf(t, m.receive(shell, cid)); code != "2150858843" || !strings.Contains(msg, shell) {
		t.Errorf("after Reset: %s %q", code, msg)
	}
	if st := s.Stats(); st.ShellsOpen != 0 || st.ShellsCreated != 1 {
		t.Errorf("%+v", st)
	}
	// The service still works after a Reset.
	shell, _ = m.create()
	m.command(shell, "pause")
	waitFor(t, "third running", func() bool { return running.Load() == 3 })

	s.Close()
	if exited.Load() != 3 {
		t.Errorf("Close returned before Exec: %d exited", exited.Load())
	}
	if sub, code, _ := faultOf(t, handle(s, fixture(t, "clients/pywinrm-0.3.0-debian/Create-request.xml"))); sub != "a:EndpointUnavailable" || code != "2150858772" {
		t.Errorf("after Close: %s %s", sub, code)
	}
	s.Close() // idempotent
}

// TestConcurrentClients runs many full command sequences at once, several
// per shell, with Sends racing Receives (run with -race).
func TestConcurrentClients(t *testing.T) {
	b := backendFunc(func(ctx context.Context, req ExecRequest) int {
		in, _ := io.ReadAll(req.Stdin)
		for i := 0; i < 20; i++ {
			if _, err := fmt.Fprintf(req.Stdout, "%s line %d\n", in, i); err != nil {
				return 1
			}
		}
		_, _ = io.WriteString(req.Stderr, req.CommandLine)
		return len(in)
	})
	cfg := DefaultConfig()
	cfg.MaxTimeout = time.Second
	s := newTestService(t, cfg, b)
	var wg sync.WaitGroup
	for u := 0; u < 4; u++ {
		for sh := 0; sh < 3; sh++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m := newMZ(t, s)
				m.user = fmt.Sprintf("user%d", u)
				shell, r := m.create()
				if r.Status != 200 {
					t.Errorf("create: %d", r.Status)
					return
				}
				var cw sync.WaitGroup
				for c := 0; c < 4; c++ {
					cw.Add(1)
					go func() {
						defer cw.Done()
						line := fmt.Sprintf("cmd-%d-%d-%d", u, sh, c)
						cid, r := m.command(shell, line)
						if r.Status != 200 {
							t.Errorf("command: %d", r.Status)
							return
						}
						input := strings.Repeat("x", c+1)
						go m.send(shell, cid, []byte(input), true)
						out, errs, code, _ := m.collect(shell, cid)
						if code != c+1 || errs != line || strings.Count(out, "\n") != 20 {
							t.Errorf("%s: %q %q %d", line, out, errs, code)
						}
						m.signal(shell, cid)
					}()
				}
				cw.Wait()
				if r := m.deleteShell(shell); r.Status != 200 {
					t.Errorf("delete: %d", r.Status)
				}
			}()
		}
	}
	wg.Wait()
	if st := s.Stats(); st.ShellsOpen != 0 || st.ShellsCreated != 12 {
		t.Errorf("%+v", st)
	}
}

func mustString(msg interface {
	String() string
	Free()
}) string {
	defer msg.Free()
	return msg.String()
}

// TestParserRobustness: pretty-printed documents (text before nested
// elements), deep nesting and huge element counts get faults, not panics
// or exponential work.
func TestParserRobustness(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxEnvelopeSize = 4 << 20
	s := newTestService(t, cfg, &recorder{})
	for _, name := range []string{"masterzen/fixture_test/createShellResponse.xml", "winrb/soap_fault_v1.xml", "pywinrm/test_exceptions/test_wsman_fault_wmi_error_detail.xml"} {
		if sub, _, _ := faultOf(t, handle(s, fixture(t, name))); sub == "" {
			t.Errorf("%s: no subcode", name)
		}
	}
	deep := strings.Repeat("<a>", maxDepth+1) + strings.Repeat("</a>", maxDepth+1)
	if sub, _, _ := faultOf(t, handle(s, []byte(deep))); sub != "w:SchemaValidationError" {
		t.Errorf("deep: %s", sub)
	}
	many := "<r>" + strings.Repeat("<a/>", maxElements) + "</r>"
	if sub, _, _ := faultOf(t, handle(s, []byte(many))); sub != "w:SchemaValidationError" {
		t.Errorf("many: %s", sub)
	}
	// A pretty-printed, valid request works.
	pretty := strings.ReplaceAll(string(fixture(t, "clients/pywinrm-0.3.0-debian/Create-request.xml")), "><", ">\n\t<")
	if r := handle(s, []byte(pretty)); r.Status != 200 {
		t.Errorf("pretty-printed Create: %d %s", r.Status, r.Body)
	}
}
