package wsman

import (
	"context"
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// debianPython is Debian's python3, which carries python3-winrm 0.3.0; the
// python3 first on PATH may be another one without it.
const debianPython = "/usr/bin/python3"

// TestPywinrmEndToEnd runs the real Debian pywinrm client (Session.run_cmd
// and the low-level Protocol) against the service through a test HTTP
// endpoint. OperationTimeout PT1S makes the slow command hit w:TimedOut,
// which pywinrm retries; cleanup_command and close_shell assert that
// RelatesTo matches their MessageID.
func TestPywinrmEndToEnd(t *testing.T) {
	if err := exec.Command(debianPython, "-c", "import winrm").Run(); err != nil {
		t.Skipf("%s has no winrm module (Debian python3-winrm): %v", debianPython, err)
	}
	rec := &recorder{run: func(ctx context.Context, req ExecRequest) int {
		select {
		case <-time.After(1300 * time.Millisecond): // longer than PT1S
		case <-ctx.Done():
			return 1
		}
		_, _ = io.WriteString(req.Stdout, "out:"+req.CommandLine+"\r\n")
		_, _ = io.WriteString(req.Stderr, "err\r\n")
		return 42
	}}
	s := newTestService(t, DefaultConfig(), rec)
	e := newTestEndpoint(t, s)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, debianPython, "testdata/pywinrm_run.py", e.srv.URL+"/wsman", "echo", "a b").Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("pywinrm: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var raw struct {
		Stdout    []byte `json:"stdout"`
		Stderr    []byte `json:"stderr"`
		Status    int    `json:"status"`
		LowStdout []byte `json:"low_stdout"`
		LowCode   int    `json:"low_code"`
		Fault     string `json:"fault"`
	}
	if err := json.Unmarshal(out, &raw); err != nil { // []byte fields take base64
		t.Fatalf("%v: %s", err, out)
	}
	got := struct {
		Stdout, Stderr, LowStdout string
		Status, LowCode           int
		Fault                     string
	}{string(raw.Stdout), string(raw.Stderr), string(raw.LowStdout), raw.Status, raw.LowCode, raw.Fault}

	if got.Stdout != "out:echo a b\r\n" || got.Stderr != "err\r\n" || got.Status != 42 {
		t.Errorf("run_cmd: %+v", got)
	}
	if got.LowStdout != "out:echo a b\r\n" || got.LowCode != 42 {
		t.Errorf("protocol: %+v", got)
	}
	if !strings.Contains(got.Fault, "WinRMError") || !strings.Contains(got.Fault, "The WS-Management service cannot process the request because the request contained invalid selectors for the resource.") {
		t.Errorf("closing a closed shell: %q", got.Fault)
	}
	if n := s.Stats().Faults["2150858793"]; n < 2 {
		t.Errorf("%d TimedOut faults; pywinrm should have retried through them", n)
	}
	reqs := rec.requests()
	if len(reqs) != 2 || reqs[0].Codepage != 437 || reqs[1].Codepage != 65001 ||
		reqs[1].Env["FOO"] != "bar" || reqs[1].WorkingDirectory != `C:\Temp` {
		t.Errorf("ExecRequests %+v", reqs)
	}
	if st := s.Stats(); st.ShellsOpen != 0 || st.ShellsCreated != 2 {
		t.Errorf("stats %+v", st)
	}
}
