package sim_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/remote"
	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/sim/adjoin"
	"github.com/fleetport/fleetport/internal/sim/simtest"
	"github.com/fleetport/fleetport/internal/testdomain"
)

// TestLeastPrivilegeAsTheDomainGrantsIt: on hosts joined to the test
// domain, with the domain group fleet-readers in their Remote Management
// Users (a scenario setting), a member of that group (a real domain user,
// its groups read from its ticket's PAC) collects but every change is
// refused as Windows refuses it; the domain Administrator (Domain Admins)
// changes; a domain user in neither group is refused by WinRM itself.
func TestLeastPrivilegeAsTheDomainGrantsIt(t *testing.T) {
	d := testdomain.Start(t)
	const readerPass, outsiderPass = "Reader-Passw0rd-1!", "Outsider-Passw0rd-1!"
	d.AddUser(t, "lp-reader", readerPass)
	d.AddGroup(t, "lp-readers", "lp-reader")
	d.AddUser(t, "lp-outsider", outsiderPass)
	sc := simtest.Scenario(2)
	sc.HTTPSPort = 0
	sc.AllowUnencrypted = false
	sc.OSMix = map[string]float64{"2019": 1}
	sc.RemoteManagementUsers = []string{`FLEET\lp-readers`}
	f, err := sim.New(sim.Options{Scenario: sc, Dir: t.TempDir(), Domain: &adjoin.Directory{URL: d.LDAPURL(), ServerName: d.ServerName(),
		CAFile: d.CAFile, Realm: testdomain.Realm, User: "Administrator@" + testdomain.DNSName, Password: d.AdminPassword()}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	h := f.Hosts()[0]
	cache := remote.NewKerberosCache()
	t.Cleanup(cache.Close)
	open := func(user, pass string) (*remote.Session, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		ep := remote.Endpoint{Host: h.Plan.Addr.String(), Port: sc.HTTPPort, Auth: remote.AuthKerberos,
			Kerberos: remote.Kerberos{ConfigFile: d.Krb5Conf, Realm: testdomain.Realm, ServiceHost: h.Plan.FQDN(testdomain.DNSName)}}
		return remote.Open(ctx, ep, remote.Credentials{User: user, Password: pass}, remote.Options{Kerberos: cache})
	}
	run := func(s *remote.Session, line string) remote.Result {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		res, err := s.Run(ctx, remote.Command{Line: line})
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		return res
	}
	const regAdd = `reg add "HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters" /v TcpTimedWaitDelay /t REG_DWORD /d 45 /f`
	const regQuery = `reg query "HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters" /v TcpTimedWaitDelay`

	reader, err := open("lp-reader", readerPass)
	if err != nil {
		t.Fatalf("open as a Remote Management Users member: %v", err)
	}
	defer reader.Close()
	for _, line := range []string{"ver", "netstat -ano", "netsh http show iplisten", "sc query http"} {
		if res := run(reader, line); res.ExitCode != 0 {
			t.Errorf("reader: %s: exit %d: %s", line, res.ExitCode, res.Stderr)
		}
	}
	if res := run(reader, regAdd); res.ExitCode != 1 || string(res.Stderr) != "ERROR: Access is denied.\r\n" {
		t.Errorf("reader: reg add: exit %d, %q %q", res.ExitCode, res.Stdout, res.Stderr)
	}
	if res := run(reader, "net stop w3svc /y"); res.ExitCode != 2 || !strings.HasPrefix(string(res.Stderr), "System error 5 has occurred.") {
		t.Errorf("reader: net stop: exit %d, %q", res.ExitCode, res.Stderr)
	}
	if res := run(reader, regQuery); strings.Contains(string(res.Stdout), "0x2d") {
		t.Error("the reader's refused reg add changed the registry")
	}

	admin, err := open("Administrator", d.AdminPassword())
	if err != nil {
		t.Fatalf("open as the domain Administrator: %v", err)
	}
	defer admin.Close()
	if res := run(admin, regAdd); res.ExitCode != 0 {
		t.Errorf("administrator: reg add: exit %d: %s", res.ExitCode, res.Stderr)
	}
	if res := run(admin, regQuery); !strings.Contains(string(res.Stdout), "0x2d") {
		t.Errorf("administrator: reg add did not change the value:\n%s", res.Stdout)
	}

	_, err = open("lp-outsider", outsiderPass)
	var re *remote.Error
	if !errors.As(err, &re) || re.Class != remote.ClassAuth || !strings.Contains(err.Error(), "Access is denied") ||
		!strings.Contains(err.Error(), "Remote Management Users") {
		t.Errorf("a user in neither group: %v", err)
	}
	if strings.Contains(err.Error(), outsiderPass) {
		t.Error("the error shows the password")
	}
}

// TestPywinrmSeesTheRights: Debian's python3-winrm with Kerberos, as a
// Remote Management Users member, reads and gets reg's refusal of a
// change; as a domain user in neither group it gets WinRM's fault as
// pywinrm reports it from Windows (WinRMError "Access is denied." with
// wsmanfault_code 5, w:AccessDenied).
func TestPywinrmSeesTheRights(t *testing.T) {
	if err := exec.Command("/usr/bin/python3", "-c", "import winrm, requests_kerberos").Run(); err != nil {
		if os.Getenv("FLEETPORT_REQUIRE_DOMAIN") == "1" {
			t.Fatalf("python3-winrm or python3-requests-kerberos is missing: %v", err)
		}
		t.Skip("python3-winrm and python3-requests-kerberos are missing (scripts/test installs them as root)")
	}
	d := testdomain.Start(t)
	const readerPass, outsiderPass = "Py-Reader-Passw0rd!", "Py-Outsider-Passw0rd!"
	d.AddUser(t, "py-reader", readerPass)
	d.AddGroup(t, "py-readers", "py-reader")
	d.AddUser(t, "py-outsider", outsiderPass)
	sc := simtest.Scenario(1)
	sc.OSMix = map[string]float64{"2019": 1}
	sc.RemoteManagementUsers = []string{"py-readers"}
	f, err := sim.New(sim.Options{Scenario: sc, Dir: t.TempDir(), Domain: &adjoin.Directory{URL: d.LDAPURL(), ServerName: d.ServerName(),
		CAFile: d.CAFile, Realm: testdomain.Realm, User: "Administrator@" + testdomain.DNSName, Password: d.AdminPassword()}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	h := f.Hosts()[0]
	run := func(user, pass string) string {
		cache := d.Kinit(t, user, pass)
		cmd := exec.Command("/usr/bin/python3", "testdata/interop/pywinrm_rights.py", f.CAFile(), strconv.Itoa(sc.HTTPSPort),
			h.Plan.Addr.String(), h.Plan.FQDN(testdomain.DNSName))
		cmd.Env = append(os.Environ(), "KRB5_CONFIG="+d.Krb5Conf, "KRB5CCNAME=FILE:"+cache)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("pywinrm as %s: %v\n%s", user, err, out)
		}
		return string(out)
	}
	out := run("py-reader", readerPass)
	if !strings.Contains(out, "query 0 \n") && !strings.Contains(out, "query 0\n") || !strings.Contains(out, "add 1 ERROR: Access is denied.") {
		t.Errorf("pywinrm as a Remote Management Users member:\n%s", out)
	}
	t.Logf("as py-reader:\n%s", out)
	out = run("py-outsider", outsiderPass)
	t.Logf("as py-outsider:\n%s", out)
	for _, want := range []string{"query error WinRMError Access is denied.", "'wsmanfault_code': '5'", "'fault_subcode': 'w:AccessDenied'", "'http_status_code': 500"} {
		if !strings.Contains(out, want) {
			t.Errorf("pywinrm as a user in neither group: no %q in\n%s", want, out)
		}
	}
}
