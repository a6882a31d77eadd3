package winhost

import (
	"strings"
	"testing"
)

// TestLimitedUserReadsButCannotChange: a user without administrator
// rights (Remote Management Users) reads everything collection reads, and
// every change is refused with the tool's access-denied text, changing
// nothing; an administrator's same commands succeed.
func TestLimitedUserReadsButCannotChange(t *testing.T) {
	h := newHost(t, baseSpec(Server2019), Options{})
	limited := func(line string) (string, string, int) {
		return runIn(t, h, Command{Line: line, User: `FLEET\reader`, Limited: true})
	}
	for _, line := range []string{"ver", "hostname", "netstat -ano", "netsh http show iplisten", "netsh int ipv4 show dynamicport tcp",
		`reg query "HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters"`, "sc query http", "netsh http show servicestate", "net start",
		`reg add "HKCU\Software\Fleet" /v X /t REG_DWORD /d 1 /f`} {
		if out, errOut, code := limited(line); code != 0 {
			t.Errorf("%s: exit %d\n%s%s", line, code, out, errOut)
		}
	}
	before := mustRun(t, h, `reg query "HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters"`)
	listBefore := mustRun(t, h, "netsh http show iplisten")
	dynBefore := mustRun(t, h, "netsh int ipv4 show dynamicport tcp")
	for _, c := range []struct {
		line, want string
		code       int
	}{
		{`reg add "HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters" /v TcpTimedWaitDelay /t REG_DWORD /d 30 /f`, "ERROR: Access is denied.\r\n", 1},
		{`reg delete "HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters" /v TcpTimedWaitDelay /f`, "ERROR: Access is denied.\r\n", 1},
		{"net stop w3svc /y", "System error 5 has occurred.\r\n\r\nAccess is denied.\r\n\r\n", 2},
		{"net start w3svc", "System error 5 has occurred.\r\n\r\nAccess is denied.\r\n\r\n", 2},
		{"sc stop http", "[SC] OpenService FAILED 5:\r\n\r\nAccess is denied.\r\n\r\n", 5},
		{"netsh http add iplisten ipaddress=10.1.2.3", "\r\nIP address add failed, Error: 5\r\nAccess is denied.\r\n\r\n", 1},
		{"netsh http delete iplisten ipaddress=10.1.2.3", "\r\nIP address delete failed, Error: 5\r\nAccess is denied.\r\n\r\n", 1},
		{"netsh int ipv4 set dynamicport tcp start=10000 num=55535", "The requested operation requires elevation (Run as administrator).\r\n\r\n", 1},
		{`schtasks /create /tn T /tr "net start http" /sc once /st 00:00 /ru SYSTEM /f`, "ERROR: Access is denied.\r\n", 1},
		{"schtasks /run /tn T", "ERROR: Access is denied.\r\n", 1},
		{"shutdown /r /t 5", "Access is denied.(5)\r\n", 5},
	} {
		out, errOut, code := limited(c.line)
		if code != c.code || out+errOut != c.want {
			t.Errorf("%s: exit %d, output %q; want exit %d, %q", c.line, code, out+errOut, c.code, c.want)
		}
	}
	if got := mustRun(t, h, `reg query "HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters"`); got != before {
		t.Error("a refused reg add changed the registry")
	}
	if mustRun(t, h, "netsh http show iplisten") != listBefore || mustRun(t, h, "netsh int ipv4 show dynamicport tcp") != dynBefore {
		t.Error("a refused netsh changed the host")
	}
	if out := mustRun(t, h, "sc query w3svc"); !strings.Contains(out, "RUNNING") {
		t.Errorf("a refused net stop stopped W3SVC:\n%s", out)
	}
	if !h.Up() {
		t.Error("a refused shutdown took the host down")
	}
	// The administrator's change works.
	mustRun(t, h, `reg add "HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters" /v TcpTimedWaitDelay /t REG_DWORD /d 30 /f`)
}
