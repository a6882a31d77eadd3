package endpoint

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/fleetport/fleetport/internal/sim/adjoin"
	"github.com/fleetport/fleetport/internal/testdomain"
)

var joinSeq atomic.Int32

// joined makes a domain member endpoint: a computer account in the test
// domain, and the endpoint holding its keys.
func joined(t *testing.T, mutate func(*Options)) (*Endpoint, *recorder, string, *adjoin.Account, *testdomain.Domain) {
	t.Helper()
	d := testdomain.Start(t)
	name := fmt.Sprintf("KRB%04d", joinSeq.Add(1))
	accts, err := adjoin.Join(context.Background(), adjoin.Directory{URL: d.LDAPURL(), ServerName: d.ServerName(), CAFile: d.CAFile,
		Realm: testdomain.Realm, User: "Administrator@" + testdomain.DNSName, Password: d.AdminPassword()},
		[]adjoin.Machine{{Name: name, OperatingSystem: "Windows Server 2019 Standard", OperatingSystemVersion: "10.0 (17763)"}})
	if err != nil {
		t.Fatal(err)
	}
	a := accts[0]
	e, rec, url := newEndpoint(t, func(o *Options) {
		o.Name = strings.ToLower(name)
		o.AllowBasic = false
		o.Kerberos = &Kerberos{Keytab: a.Keytab(), Account: a.Name + "$", Realm: a.Realm}
		if mutate != nil {
			mutate(o)
		}
	})
	return e, rec, url, a, d
}

// TestMITClientSealsMessages: MIT Kerberos's GSS library (python3-gssapi)
// authenticates with SPNEGO and with bare Kerberos, checks the host's
// AP-REP, and exchanges messages sealed with gss_wrap_iov/gss_unwrap_iov in
// the DCE layout, over plain http with AllowUnencrypted = false.
func TestMITClientSealsMessages(t *testing.T) {
	if _, err := exec.Command("/usr/bin/python3", "-c", "import gssapi").CombinedOutput(); err != nil {
		if os.Getenv("FLEETPORT_REQUIRE_DOMAIN") == "1" {
			t.Fatalf("python3-gssapi is missing: %v", err)
		}
		t.Skip("python3-gssapi is missing (scripts/test installs it as root)")
	}
	e, rec, url, a, d := joined(t, nil)
	cache := d.Kinit(t, "Administrator", d.AdminPassword())
	hostPort := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/wsman")
	host, port, _ := strings.Cut(hostPort, ":")
	for _, scheme := range []string{"Negotiate", "Kerberos"} {
		t.Run(scheme, func(t *testing.T) {
			long := strings.Repeat("<w:Stream>QUJD</w:Stream>", 3000)
			cmd := exec.Command("/usr/bin/python3", "testdata/gssapi_client.py", host, port, "HTTP/"+a.FQDN, scheme, "<s:Envelope>one</s:Envelope>", long)
			cmd.Env = append(os.Environ(), "KRB5_CONFIG="+d.Krb5Conf, "KRB5CCNAME=FILE:"+cache)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("python3-gssapi client: %v\n%s", err, out)
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			if len(lines) != 2 || lines[0] != "200 <s:Envelope>ok <s:Envelope>one</s:Envelope></s:Envelope>" ||
				lines[1] != "200 <s:Envelope>ok "+long+"</s:Envelope>" {
				t.Fatalf("replies:\n%.300s", out)
			}
		})
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, u := range rec.users {
		if u != "administrator" {
			t.Errorf("request by %q, want administrator", u)
		}
	}
	if got := e.Stats().KerberosLogons; got != 2 {
		t.Errorf("%d Kerberos logons, want 2", got)
	}
}
