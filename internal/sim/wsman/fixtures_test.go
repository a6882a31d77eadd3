package wsman

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pypsrpStep is one request/response pair of a recorded pypsrp exchange
// with a real Windows host.
type pypsrpStep struct {
	name     string // e.g. "03-Receive"
	request  []byte
	response []byte
	status   int
}

func pypsrpSteps(t *testing.T, dir string) []pypsrpStep {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("..", "..", "..", "testdata", "winrm", "pypsrp", dir, "*-request.xml"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no fixtures in %s: %v", dir, err)
	}
	sort.Strings(names)
	var steps []pypsrpStep
	for _, n := range names {
		base := strings.TrimSuffix(filepath.Base(n), "-request.xml")
		st := pypsrpStep{name: base, status: 200}
		st.request, _ = os.ReadFile(n)
		resp := strings.TrimSuffix(n, "-request.xml") + "-response.xml"
		if b, err := os.ReadFile(resp); err == nil {
			st.response = b
		} else {
			st.status = 500
			st.response, err = os.ReadFile(strings.TrimSuffix(n, "-request.xml") + "-response-http500.xml")
			if err != nil {
				t.Fatal(err)
			}
		}
		steps = append(steps, st)
	}
	return steps
}

// scriptFrom extracts, in order, the output chunks and the exit code the
// real host sent in a scenario's Receive responses, so that a fake Backend
// can write exactly the same bytes.
func scriptFrom(t *testing.T, steps []pypsrpStep) (chunks []chunk, exit int) {
	t.Helper()
	for _, st := range steps {
		if !strings.Contains(st.name, "Receive") || st.status != 200 {
			continue
		}
		r := parseTree(t, st.response)
		for _, s := range r.all(nsShell, "Stream") {
			if s.text == "" {
				continue
			}
			data, err := base64.StdEncoding.DecodeString(s.text)
			if err != nil {
				t.Fatal(err)
			}
			chunks = append(chunks, chunk{stream: s.attr("Name"), data: data})
		}
		if ec := r.first(nsShell, "ExitCode"); ec != nil {
			exit, _ = strconv.Atoi(ec.text)
		}
	}
	return chunks, exit
}

// TestPypsrpExchanges replays pypsrp's recordings of real Windows hosts and
// requires every answer to equal the recorded one byte for byte, apart from
// UUIDs and the optional p:ActivityId header. The fake Backend writes the
// output the real host sent, chunk by chunk.
func TestPypsrpExchanges(t *testing.T) {
	type check func(t *testing.T, reqs []ExecRequest, stdin string)
	cases := []struct {
		dir   string
		skip  int // leading steps that need behaviour a Backend cannot express
		line  string
		check check
	}{
		{dir: "test_winrs_standard", line: "cmd.exe /c echo hi"},
		{dir: "test_winrs_stderr_rc", line: "cmd.exe /c echo out && echo err>&2 && exit 1"},
		{dir: "test_winrs_unicode", line: "powershell.exe Write-Host こんにちは", check: func(t *testing.T, reqs []ExecRequest, _ string) {
			if reqs[0].Codepage != 65001 {
				t.Errorf("Codepage = %d, want 65001", reqs[0].Codepage)
			}
		}},
		{dir: "test_winrs_send", line: "powershell.exe -", check: func(t *testing.T, _ []ExecRequest, stdin string) {
			if want := `Write-Host "output 1";Write-Host "output 2";`; stdin != want {
				t.Errorf("stdin = %q, want %q", stdin, want)
			}
		}},
		{dir: "test_winrs_environment", line: "cmd.exe /c set", check: func(t *testing.T, reqs []ExecRequest, _ string) {
			env := reqs[0].Env
			if env["env1"] != "var1" || env["1234"] != "5678" || env[`_-(){}[]<>*+-/\?"!@#$^&|;:i,.`+"`~0"] != `_-(){}[]<>*+-/\?"!@#$^&|;:i,.`+"`~0" {
				t.Errorf("Env = %q", env)
			}
			if reqs[0].Codepage != 437 {
				t.Errorf("default Codepage = %d", reqs[0].Codepage)
			}
		}},
		{dir: "test_winrs_extra_opts", line: "powershell.exe (pwd).Path", check: func(t *testing.T, reqs []ExecRequest, _ string) {
			if reqs[0].WorkingDirectory != `C:\Windows` {
				t.Errorf("WorkingDirectory = %q", reqs[0].WorkingDirectory)
			}
		}},
		{dir: "test_winrs_noprofile", line: "cmd.exe /c set", check: func(t *testing.T, reqs []ExecRequest, _ string) {
			if !reqs[0].NoProfile {
				t.Error("NoProfile not set")
			}
		}},
		// Step 02 is Windows failing CreateProcess for a bare name with
		// WINRS_SKIP_CMD_SHELL (no Backend decision); 03 uses a full path.
		{dir: "test_winrs_no_cmd_shell", skip: 1, line: `C:\Windows\system32\WindowsPowerShell\v1.0\powershell.exe Write-Host hi`, check: func(t *testing.T, reqs []ExecRequest, _ string) {
			if !reqs[0].SkipCmdShell || reqs[0].User != `DOMAIN\vagrant-domain` {
				t.Errorf("SkipCmdShell = %v, User = %q", reqs[0].SkipCmdShell, reqs[0].User)
			}
		}},
		{dir: "test_winrs_bad_cmd_id", line: "cmd.exe /c echo hi"},
		{dir: "test_winrs_fail_poll_process"},
		{dir: "test_winrs_open_already_opened"},
	}
	for _, tc := range cases {
		t.Run(tc.dir, func(t *testing.T) {
			steps := pypsrpSteps(t, tc.dir)
			chunks, exit := scriptFrom(t, steps)
			create := parseTree(t, steps[0].response)
			owner := create.first(nsShell, "Owner").text
			clientIP := create.first(nsShell, "ClientIP").text
			addr := create.first(nsAddr, "Address").text
			u, _ := url.Parse(addr)

			var stdin bytes.Buffer
			rec := &recorder{run: func(ctx context.Context, req ExecRequest) int {
				if tc.dir == "test_winrs_send" {
					if _, err := stdin.ReadFrom(req.Stdin); err != nil {
						t.Error(err)
					}
				}
				for _, c := range chunks {
					w := req.Stdout
					if c.stream == "stderr" {
						w = req.Stderr
					}
					_, _ = w.Write(c.data)
				}
				return exit
			}}
			cfg := DefaultConfig()
			cfg.Address, cfg.MachineName = addr, u.Hostname()
			s := newTestService(t, cfg, rec)

			ids := map[string]string{} // recorded id -> our id
			for i, st := range steps {
				if i > 0 && i <= tc.skip {
					continue
				}
				req := string(st.request)
				for from, to := range ids {
					req = strings.ReplaceAll(req, from, to)
				}
				resp := s.Handle(context.Background(), owner, clientIP, []byte(req))
				if resp.Status != st.status {
					t.Fatalf("%s: status %d, want %d\n%s", st.name, resp.Status, st.status, resp.Body)
				}
				checkHeader(t, []byte(req), resp.Body, true)
				learnIDs(t, ids, st.response, resp.Body)
				if tc.line != "" && strings.Contains(req, "CommandLine>") {
					// The command starts on its own goroutine: let it reach
					// the backend before a later step (a Delete) can cancel
					// it first, as a busy machine otherwise allows.
					for deadline := time.Now().Add(5 * time.Second); len(rec.requests()) == 0 && time.Now().Before(deadline); {
						time.Sleep(time.Millisecond)
					}
				}
				if got, want := normalize(resp.Body), normalize(st.response); got != want {
					t.Errorf("%s differs from the real host's answer\n got: %s\nwant: %s", st.name, got, want)
				}
			}
			reqs := rec.requests()
			if tc.line != "" {
				if len(reqs) != 1 || reqs[0].CommandLine != tc.line {
					t.Fatalf("Backend got %d requests, %+v", len(reqs), reqs)
				}
			}
			if tc.check != nil {
				tc.check(t, reqs, stdin.String())
			}
			if st := s.Stats(); st.ShellsOpen != 0 || st.ShellsCreated != 1 {
				t.Errorf("stats after Delete: %+v", st)
			}
		})
	}
}

// learnIDs maps the shell and command ids of a recorded response to the
// ones the service returned for the same request.
func learnIDs(t *testing.T, ids map[string]string, recorded, ours []byte) {
	t.Helper()
	rec, got := parseTree(t, recorded), parseTree(t, ours)
	for _, el := range []struct{ space, local string }{{nsShell, "ShellId"}, {nsShell, "CommandId"}} {
		if a, b := rec.first(el.space, el.local), got.first(el.space, el.local); a != nil && b != nil {
			ids[a.text] = b.text
		}
	}
}

// TestPypsrpOperationTimeout replays test_winrs_operation_timeout: partial
// output with Running, then w:TimedOut faults while the command sleeps,
// then the rest and Done. OperationTimeout PT10S is clamped by MaxTimeout.
func TestPypsrpOperationTimeout(t *testing.T) {
	steps := pypsrpSteps(t, "test_winrs_operation_timeout")
	release := make(chan struct{})
	b := backendFunc(func(ctx context.Context, req ExecRequest) int {
		_, _ = req.Stdout.Write([]byte("hi"))
		_, _ = req.Stdout.Write([]byte("\n"))
		select {
		case <-release:
		case <-ctx.Done():
			return 1
		}
		_, _ = req.Stdout.Write([]byte("hi"))
		_, _ = req.Stdout.Write([]byte(" again\n"))
		return 0
	})
	cfg := DefaultConfig()
	cfg.Address, cfg.MachineName = "http://192.168.56.11:5985/wsman", "192.168.56.11"
	cfg.MaxTimeout = 50 * time.Millisecond
	s := newTestService(t, cfg, b)

	ids := map[string]string{}
	do := func(st pypsrpStep) Response {
		req := string(st.request)
		for from, to := range ids {
			req = strings.ReplaceAll(req, from, to)
		}
		resp := handle(s, []byte(req))
		checkHeader(t, []byte(req), resp.Body, true)
		learnIDs(t, ids, st.response, resp.Body)
		return resp
	}
	expect := func(st pypsrpStep, resp Response) {
		t.Helper()
		if resp.Status != st.status {
			t.Fatalf("%s: status %d want %d: %s", st.name, resp.Status, st.status, resp.Body)
		}
		if got, want := normalize(resp.Body), normalize(st.response); got != want {
			t.Errorf("%s differs\n got: %s\nwant: %s", st.name, got, want)
		}
	}
	for _, st := range steps[:3] { // Create, Command, first Receive (hi, \n, Running)
		expect(st, do(st))
	}
	start := time.Now()
	for _, st := range steps[3:5] { // two TimedOut faults
		expect(st, do(st))
	}
	if el := time.Since(start); el < 100*time.Millisecond {
		t.Errorf("two timed-out Receives took %v, want >= 2*MaxTimeout", el)
	}
	close(release)
	for _, st := range steps[5:] { // rest + Done, Signal, Delete
		expect(st, do(st))
	}
	if n := s.Stats().Faults["2150858793"]; n != 2 {
		t.Errorf("TimedOut faults counted %d, want 2", n)
	}
}

// TestInvalidTimeoutFixture: a malformed OperationTimeout gets the fault of
// pypsrp/test_psrp_is_alive_other_wsman_error, before anything else about
// the request (there: a Get on an unsupported resource) is looked at.
func TestInvalidTimeoutFixture(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MachineName = "127.0.0.1"
	s := newTestService(t, cfg, &recorder{})
	req := fixture(t, "pypsrp/test_psrp_is_alive_other_wsman_error/04-Get-request.xml")
	resp := handle(s, req)
	want := fixture(t, "pypsrp/test_psrp_is_alive_other_wsman_error/04-Get-response-http500.xml")
	if resp.Status != 500 || normalize(resp.Body) != normalize(want) {
		t.Errorf("status %d\n got: %s\nwant: %s", resp.Status, resp.Body, want)
	}
	if s.Stats().Faults["2150858767"] != 1 {
		t.Errorf("fault not counted: %v", s.Stats().Faults)
	}
}

// TestCommandLineTooLong: beyond 32767 characters the Command itself fails
// as in masterzen's executeCommandResponseWithError fixture.
func TestCommandLineTooLong(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MachineName = "52.12.219.136"
	rec := &recorder{}
	s := newTestService(t, cfg, rec)
	m := newMZ(t, s)
	shell, _ := m.create()

	// Exactly 32767 characters is accepted (what cmd.exe does with it is
	// the Backend's business).
	arg := strings.Repeat("x", maxCommandLine-len("echo "))
	if _, r := m.command(shell, "echo", arg); r.Status != 200 {
		t.Fatalf("32767 characters: %d %s", r.Status, r.Body)
	}
	// Non-ASCII counts in UTF-16 units, not bytes.
	wide := strings.Repeat("é", maxCommandLine-len("echo "))
	if _, r := m.command(shell, "echo", wide); r.Status != 200 {
		t.Fatalf("32767 UTF-16 units: %d", r.Status)
	}
	_, r := m.command(shell, "echo", arg+"x")
	if r.Status != 500 {
		t.Fatalf("32768 characters: status %d", r.Status)
	}
	want := fixture(t, "masterzen/fixture_test/executeCommandResponseWithError.xml")
	if normalize(r.Body) != normalize(want) {
		t.Errorf("\n got: %s\nwant: %s", r.Body, want)
	}
	// masterzen sees the fault as a response with the wrong action.
	if _, err := winrmParseCommand(r.Body); err == nil || !strings.Contains(err.Error(), "unsupported action: http://schemas.dmtf.org/wbem/wsman/1/wsman/fault") {
		t.Errorf("masterzen error = %v", err)
	}
	waitFor(t, "two commands", func() bool { return len(rec.requests()) == 2 })
}
