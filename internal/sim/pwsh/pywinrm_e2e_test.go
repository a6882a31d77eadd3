package pwsh

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestPywinrmEndToEnd drives Debian's python3-winrm 0.3.0 against Main,
// with run_ps (encoded script, CLIXML-free output) and run_cmd with an
// encoded script whose error comes back as CLIXML.
func TestPywinrmEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs python3-winrm")
	}
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("no /usr/bin/python3")
	}
	if exec.Command("/usr/bin/python3", "-c", "import winrm").Run() != nil {
		t.Skip("python3-winrm is not installed")
	}
	srv := httptest.NewServer(newFakeWinRM(t, server2016()))
	defer srv.Close()
	script := `
import json, sys, winrm
s = winrm.Session(sys.argv[1], auth=('vagrant', 'vagrant'), transport='plaintext')
r = s.run_ps("Get-NetTCPConnection -State Listen | Select-Object LocalPort, State | ConvertTo-Json -Compress")
r2 = s.run_cmd("powershell", ["-encodedcommand", sys.argv[2]])
print(json.dumps({"out": r.std_out.decode(), "err": r.std_err.decode(), "rc": r.status_code,
                  "out2": r2.std_out.decode(), "err2": r2.std_err.decode(), "rc2": r2.status_code}))
`
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "/usr/bin/python3", "-c", script, srv.Listener.Addr().String(), encode("Get-Foo")).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var r struct {
		Out, Err, Out2, Err2 string
		RC, RC2              int
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if r.Out != `[{"LocalPort":135,"State":2},{"LocalPort":135,"State":2}]`+"\r\n" || r.Err != "" || r.RC != 0 {
		t.Fatalf("run_ps: %+v", r)
	}
	if r.RC2 != 1 || r.Out2 != "" || !strings.HasPrefix(r.Err2, "#< CLIXML\r\n<Objs") || !strings.Contains(r.Err2, "Get-Foo : The term") {
		t.Fatalf("run_cmd: %+v", r)
	}
}
