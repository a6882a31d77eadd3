package wsman

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/masterzen/winrm"
)

// TestClientRequestFixtures feeds the requests real clients sent (captured
// from masterzen/winrm 3fad6e1, Debian python3-winrm 0.3.0 and Debian
// ansible-core 2.14.18) through the service, with their ShellId and
// CommandId rewritten to the ids it handed out, and reads the answers with
// the rules each client applies.
func TestClientRequestFixtures(t *testing.T) {
	cases := []struct {
		client string
		cmd    string // Command fixture
		line   string // expected CommandLine
		stdin  string // what the Send fixtures carry
		codep  int
		skip   bool // WINRS_SKIP_CMD_SHELL
		cons   bool // WINRS_CONSOLEMODE_STDIN
	}{
		{client: "masterzen-3fad6e1", cmd: "Command-cmd-request.xml", line: "hostname", stdin: "echo fromstdin\r\n", codep: 65001, cons: true},
		{client: "masterzen-3fad6e1", cmd: "Command-ps-request.xml", line: "powershell.exe -EncodedCommand JABQAHIAbwBnAHIAZQBzAHMAUAByAGUAZgBlAHIAZQBuAGMAZQAgAD0AIAAnAFMAaQBsAGUAbgB0AGwAeQBDAG8AbgB0AGkAbgB1AGUAJwA7AFcAcgBpAHQAZQAtAE8AdQB0AHAAdQB0ACAAaABpAA==", codep: 65001, cons: true},
		{client: "pywinrm-0.3.0-debian", cmd: "Command-cmd-request.xml", line: "hostname", codep: 437, cons: true},
		{client: "pywinrm-0.3.0-debian", cmd: "Command-ps-request.xml", line: "powershell -encodedcommand VwByAGkAdABlAC0ATwB1AHQAcAB1AHQAIABoAGkA", codep: 437, cons: true},
		{client: "ansible-core-2.14.18", cmd: "Command-ps-request.xml", line: "PowerShell -NoProfile -NonInteractive -ExecutionPolicy Unrestricted -EncodedCommand aABvAHMAdABuAGEAbQBlAA==", codep: 65001, cons: true},
		{client: "ansible-core-2.14.18", cmd: "Command-win_ping-module-request.xml", codep: 65001, cons: false},
	}
	for _, tc := range cases {
		t.Run(tc.client+"/"+tc.cmd, func(t *testing.T) {
			dir := "clients/" + tc.client + "/"
			rec := &recorder{run: func(ctx context.Context, req ExecRequest) int {
				if tc.stdin != "" {
					in, _ := io.ReadAll(req.Stdin)
					_, _ = req.Stdout.Write(bytes.ToUpper(in))
				}
				_, _ = req.Stdout.Write([]byte("SIMHOST\r\n"))
				_, _ = req.Stderr.Write([]byte("warning\r\n"))
				return 3
			}}
			s := newTestService(t, DefaultConfig(), rec)
			ids := map[string]string{}
			post := func(file string, wantStatus int) ([]byte, []byte) {
				t.Helper()
				req := string(fixture(t, dir+file))
				for from, to := range ids {
					req = strings.ReplaceAll(req, from, to)
				}
				resp := handle(s, []byte(req))
				if resp.Status != wantStatus {
					t.Fatalf("%s: status %d, want %d\n%s", file, resp.Status, wantStatus, resp.Body)
				}
				checkHeader(t, []byte(req), resp.Body, true)
				return []byte(req), resp.Body
			}
			// Ids in the captured requests.
			cmdReq := parseTree(t, fixture(t, dir+tc.cmd))
			oldShell := strings.TrimSpace(cmdReq.first(nsWsman, "Selector").text)
			recvReq := parseTree(t, fixture(t, dir+"Receive-request.xml"))
			oldRecvShell := strings.TrimSpace(recvReq.first(nsWsman, "Selector").text)
			oldCmd := recvReq.first(nsShell, "DesiredStream").attr("CommandId")

			// Create: masterzen XPath and pywinrm's rule agree.
			_, body := post("Create-request.xml", 200)
			mzID, err := winrm.ParseOpenShellResponse(string(body))
			if err != nil || mzID == "" {
				t.Fatalf("masterzen shell id: %q %v", mzID, err)
			}
			if py := pywinrmShellID(parseTree(t, body)); py != mzID {
				t.Fatalf("pywinrm shell id %q != masterzen %q", py, mzID)
			}
			ids[oldShell], ids[oldRecvShell] = mzID, mzID

			// Command: masterzen checks the action, pywinrm takes the first
			// element whose tag ends in CommandId.
			_, body = post(tc.cmd, 200)
			cid, err := winrm.ParseExecuteCommandResponse(string(body))
			if err != nil || cid == "" {
				t.Fatalf("masterzen command id: %q %v", cid, err)
			}
			var py string
			for _, n := range parseTree(t, body).all("", "CommandId") {
				py = n.text
				break
			}
			if py != cid {
				t.Fatalf("pywinrm command id %q != %q", py, cid)
			}
			ids[oldCmd] = cid
			if tc.client == "masterzen-3fad6e1" {
				sendReq := parseTree(t, fixture(t, dir+"Send-request.xml"))
				ids[strings.TrimSpace(sendReq.first(nsWsman, "Selector").text)] = mzID
				ids[sendReq.first(nsShell, "Stream").attr("CommandId")] = cid
				if tc.stdin != "" {
					post("Send-request.xml", 200)
					post("Send-end-request.xml", 200)
				}
			}

			// Receive until Done, by masterzen's and pywinrm's rules.
			var mzOut, mzErr bytes.Buffer
			var pyOut, pyErr []byte
			for i := 0; ; i++ {
				if i > 100 {
					t.Fatal("never Done")
				}
				_, body = post("Receive-request.xml", 200)
				done, code, err := winrm.ParseSlurpOutputErrResponse(string(body), &mzOut, &mzErr)
				if err != nil {
					t.Fatal(err)
				}
				o, e, pcode, pdone := pywinrmOutput(t, parseTree(t, body))
				pyOut, pyErr = append(pyOut, o...), append(pyErr, e...)
				if done != pdone {
					t.Fatalf("masterzen done=%v, pywinrm done=%v", done, pdone)
				}
				if done {
					if code != 3 || pcode != 3 {
						t.Errorf("exit code masterzen %d pywinrm %d, want 3", code, pcode)
					}
					break
				}
			}
			wantOut := strings.ToUpper(tc.stdin) + "SIMHOST\r\n"
			if mzOut.String() != wantOut || string(pyOut) != wantOut {
				t.Errorf("stdout masterzen %q pywinrm %q, want %q", mzOut.String(), pyOut, wantOut)
			}
			if mzErr.String() != "warning\r\n" || string(pyErr) != "warning\r\n" {
				t.Errorf("stderr masterzen %q pywinrm %q", mzErr.String(), pyErr)
			}

			// Signal and Delete: pywinrm asserts RelatesTo == MessageID
			// (checkHeader); the Signal answer has rsp:SignalResponse.
			_, body = post("Signal-request.xml", 200)
			if parseTree(t, body).first(nsShell, "SignalResponse") == nil {
				t.Errorf("no SignalResponse: %s", body)
			}
			_, body = post("Delete-request.xml", 200)
			if a := parseTree(t, body).first(nsAddr, "Action"); a.text != nsTransfer+"/DeleteResponse" {
				t.Errorf("Delete action %q", a.text)
			}

			reqs := rec.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d Exec calls", len(reqs))
			}
			r := reqs[0]
			if tc.line != "" && r.CommandLine != tc.line {
				t.Errorf("CommandLine = %q, want %q", r.CommandLine, tc.line)
			}
			if tc.line == "" && !strings.HasPrefix(r.CommandLine, "PowerShell -NoProfile -NonInteractive -ExecutionPolicy Unrestricted -EncodedCommand UABvAHcAZQByAFMAaABlAGwAbAAg") {
				t.Errorf("CommandLine = %.80q", r.CommandLine)
			}
			if r.Codepage != tc.codep || r.SkipCmdShell != tc.skip || r.ConsoleModeStdin != tc.cons || r.NoProfile || r.User != "vagrant" {
				t.Errorf("ExecRequest %+v", r)
			}
			st := s.Stats()
			if st.ShellsOpen != 0 || st.ShellsCreated != 1 || len(st.Faults) != 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}
