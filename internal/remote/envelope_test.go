package remote

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func wire(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "wire", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestParseRealFaults reads faults captured from real hosts.
func TestParseRealFaults(t *testing.T) {
	for _, c := range []struct {
		file           string
		code           uint32
		subcode        string
		message        string // prefix
		quota, timeout bool
		shell, command bool
		class          Class
	}{
		{"wmi_error_v2.xml", CodeQuotaShells, "QuotaLimit",
			"The WS-Management service cannot process the request. This user is allowed a maximum number of 30 concurrent shells",
			true, false, false, false, ClassQuota},
		{"operationTimeoutResponse.xml", CodeTimedOut, "TimedOut",
			"The WS-Management service cannot complete the operation within the time specified in OperationTimeout.",
			false, true, false, false, ClassProtocol},
		{"pypsrp-operation-timeout-http500.xml", CodeTimedOut, "TimedOut", "The WS-Management service cannot complete",
			false, true, false, false, ClassProtocol},
		{"executeCommandResponseWithError.xml", 2147942606, "InternalError", "The filename or extension is too long.",
			false, false, false, false, ClassProtocol},
		{"pypsrp-bad-cmd-id-http500.xml", CodeInvalidSelectors, "InvalidSelectors",
			"The Windows Remote Shell received a request to perform an operation on a command identifier that does not exist.",
			false, false, false, true, ClassProtocol},
		{"pypsrp-invalid-selectors-http500.xml", CodeInvalidSelectors, "InvalidSelectors",
			"The WS-Management service cannot process the request because the request contained invalid selectors",
			false, false, true, false, ClassProtocol},
		{"soap_fault_v1.xml", 2150858778, "CannotProcessFilter",
			"The specified class does not exist in the given namespace.", false, false, false, false, ClassProtocol},
	} {
		t.Run(c.file, func(t *testing.T) {
			f, err := parseFault(wire(t, c.file))
			if err != nil {
				t.Fatal(err)
			}
			if f.Code != c.code || f.Subcode != c.subcode || !strings.HasPrefix(f.Message, c.message) {
				t.Errorf("fault %+v", f)
			}
			if f.Quota() != c.quota || f.TimedOut() != c.timeout || f.shellLost() != c.shell || f.commandLost() != c.command {
				t.Errorf("quota %v timeout %v shell lost %v command lost %v", f.Quota(), f.TimedOut(), f.shellLost(), f.commandLost())
			}
			if got := classify(f); got != c.class {
				t.Errorf("class %v, want %v", got, c.class)
			}
			if strings.HasSuffix(f.Message, " ") || strings.Contains(f.Message, "\n") {
				t.Errorf("message not trimmed: %q", f.Message)
			}
			if c.timeout && !strings.Contains(f.Error(), "OperationTimeout") {
				t.Errorf("masterzen's Receive loop looks for OperationTimeout in %q", f.Error())
			}
		})
	}
}

func TestParseRealAnswers(t *testing.T) {
	for _, c := range []struct{ file, id string }{
		{"createShellResponse.xml", "67A74734-DD32-4F10-89DE-49A060483810"},
		{"open_shell_v1.xml", "uuid:739990FF-1492-4CDD-80BB-6E07ADB06D85"}, // 2008 R2: no rsp:Shell
		{"pypsrp-create.xml", ""},
	} {
		env, err := parseEnvelope(wire(t, c.file))
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if id := env.shellID(); id == "" || c.id != "" && id != c.id {
			t.Errorf("%s: shell id %q, want %q", c.file, id, c.id)
		}
	}
	env, err := parseEnvelope(wire(t, "executeCommandResponse.xml"))
	if err != nil || env.commandID() == "" {
		t.Errorf("command id %q, %v", env.commandID(), err)
	}

	var out receiveOutput
	env, _ = parseEnvelope(wire(t, "outputResponse.xml"))
	id := commandIDOf(t, env)
	if err := env.receive(id, &out); err != nil || out.done || len(out.stdout) == 0 {
		t.Errorf("output: %v done %v stdout %q", err, out.done, out.stdout)
	}
	env, _ = parseEnvelope(wire(t, "doneCommandResponse.xml"))
	if err := env.receive("4531DAA3-60C2-4CAD-9FCA-F433101DAC8A", &out); err != nil || !out.done || out.exitCode != 123 {
		t.Errorf("done: %v done %v exit %d", err, out.done, out.exitCode)
	}
	out = receiveOutput{}
	env, _ = parseEnvelope(wire(t, "pypsrp-stderr-rc-receive.xml"))
	if err := env.receive(commandIDOf(t, env), &out); err != nil || !out.done || out.exitCode != 1 || len(out.stderr) == 0 {
		t.Errorf("stderr rc: %v done %v exit %d stdout %q stderr %q", err, out.done, out.exitCode, out.stdout, out.stderr)
	}
}

// commandIDOf takes the command id of a ReceiveResponse.
func commandIDOf(t *testing.T, env *envelope) string {
	t.Helper()
	rr := env.Body.ReceiveResponse
	if rr == nil {
		t.Fatal("no ReceiveResponse")
	}
	for _, s := range rr.Streams {
		if s.CommandID != "" {
			return s.CommandID
		}
	}
	if rr.State != nil {
		return rr.State.CommandID
	}
	t.Fatal("no command id")
	return ""
}

func TestMalformedAnswers(t *testing.T) {
	const head = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><s:Body>`
	const tail = `</s:Body></s:Envelope>`
	for name, body := range map[string]string{
		"not xml":          "garbage",
		"other root":       `<html><body>IIS</body></html>`,
		"no exit code":     head + `<rsp:ReceiveResponse><rsp:CommandState CommandId="C" State="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done"/></rsp:ReceiveResponse>` + tail,
		"bad exit code":    head + `<rsp:ReceiveResponse><rsp:CommandState CommandId="C" State="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done"><rsp:ExitCode>x</rsp:ExitCode></rsp:CommandState></rsp:ReceiveResponse>` + tail,
		"bad base64":       head + `<rsp:ReceiveResponse><rsp:Stream Name="stdout" CommandId="C">!!!</rsp:Stream></rsp:ReceiveResponse>` + tail,
		"not a receive":    head + `<rsp:CommandResponse><rsp:CommandId>C</rsp:CommandId></rsp:CommandResponse>` + tail,
		"500 not a fault":  head + tail,
		"truncated answer": head + `<rsp:ReceiveResponse><rsp:Stream Name="stdout" CommandId="C">aGk=`,
	} {
		t.Run(name, func(t *testing.T) {
			var err error
			if name == "500 not a fault" {
				_, err = parseFault([]byte(body))
			} else if env, perr := parseEnvelope([]byte(body)); perr != nil {
				err = perr
			} else {
				err = env.receive("C", &receiveOutput{})
			}
			var pe *protoError
			if !errors.As(err, &pe) || classify(err) != ClassProtocol {
				t.Errorf("%T %v, want a protocol error", err, err)
			}
		})
	}
	// A negative exit code as some hosts print it is read as the DWORD.
	env, _ := parseEnvelope([]byte(head + `<rsp:ReceiveResponse><rsp:CommandState CommandId="C" State="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done"><rsp:ExitCode>-1073741510</rsp:ExitCode></rsp:CommandState></rsp:ReceiveResponse>` + tail))
	var out receiveOutput
	if err := env.receive("C", &out); err != nil || out.exitCode != 3221225786 {
		t.Errorf("exit %d, %v", out.exitCode, err)
	}
}

func FuzzParseAnswer(f *testing.F) {
	for _, name := range []string{"outputResponse.xml", "doneCommandResponse.xml", "wmi_error_v2.xml", "pypsrp-invalid-selectors-http500.xml", "createShellResponse.xml"} {
		f.Add(wire(f, name))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if env, err := parseEnvelope(b); err == nil {
			_ = env.shellID()
			_ = env.commandID()
			_ = env.receive("C", &receiveOutput{})
		}
		if fault, err := parseFault(b); err == nil {
			_ = fault.Error()
		}
	})
}
