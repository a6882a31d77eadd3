package endpoint

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	ntlmssp "github.com/Azure/go-ntlmssp"
	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/spnego"

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

// negotiateToken is a SPNEGO token with an AP-REQ for spn, made by gokrb5
// with a ticket from the test domain's KDC.
func negotiateToken(t *testing.T, d *testdomain.Domain, spn string) (string, error) {
	t.Helper()
	cfg, err := config.Load(d.Krb5Conf)
	if err != nil {
		t.Fatal(err)
	}
	cl := client.NewWithPassword("Administrator", testdomain.Realm, d.AdminPassword(), cfg, client.DisablePAFXFAST(true))
	t.Cleanup(cl.Destroy)
	tkt, key, err := cl.GetServiceTicket(spn)
	if err != nil {
		return "", err
	}
	init, err := spnego.NewNegTokenInitKRB5(cl, tkt, key)
	if err != nil {
		t.Fatal(err)
	}
	b, err := (&spnego.SPNEGOToken{Init: true, NegTokenInit: init}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return "Negotiate " + base64.StdEncoding.EncodeToString(b), nil
}

// TestKerberosRefusals: what a domain member refuses, each with 401 and the
// Negotiate/Kerberos challenge, as Windows answers: a ticket for another
// host's SPN, a ticket made with the keys from before the host's password
// changed, a client whose clock is off by more than 5 minutes, NTLM under a
// policy that refuses it, and plain SOAP over http after Kerberos when
// AllowUnencrypted is false.
func TestKerberosRefusals(t *testing.T) {
	e, _, url, a, d := joined(t, nil)
	c := noKeepAliveClient(t)
	okTok, err := negotiateToken(t, d, "HTTP/"+a.FQDN)
	if err != nil {
		t.Fatal(err)
	}
	if resp := post(t, c, url, "", map[string]string{"Authorization": okTok}); resp.StatusCode != 200 ||
		!strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Negotiate ") {
		t.Fatalf("a good ticket: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	refused := func(t *testing.T, url, authz, body string) {
		t.Helper()
		resp := post(t, c, url, body, map[string]string{"Authorization": authz})
		if resp.StatusCode != 401 || strings.Join(resp.Header.Values("WWW-Authenticate"), ",") != "Negotiate,Kerberos" {
			t.Fatalf("%d %q, want 401 with Negotiate and Kerberos offered", resp.StatusCode, resp.Header.Values("WWW-Authenticate"))
		}
	}

	t.Run("another host's SPN", func(t *testing.T) {
		_, _, _, other, _ := joined(t, nil)
		tok, err := negotiateToken(t, d, "HTTP/"+other.FQDN)
		if err != nil {
			t.Fatal(err)
		}
		refused(t, url, tok, "")
	})
	t.Run("key version", func(t *testing.T) {
		_, _, staleURL, stale, _ := joined(t, nil)
		// The account's password changes in the directory; the host keeps
		// its old keys.
		if _, err := adjoin.Join(context.Background(), adjoin.Directory{URL: d.LDAPURL(), ServerName: d.ServerName(), CAFile: d.CAFile,
			Realm: testdomain.Realm, User: "Administrator@" + testdomain.DNSName, Password: d.AdminPassword()},
			[]adjoin.Machine{{Name: stale.Name}}); err != nil {
			t.Fatal(err)
		}
		tok, err := negotiateToken(t, d, "HTTP/"+stale.FQDN)
		if err != nil {
			t.Fatal(err)
		}
		refused(t, staleURL, tok, "")
	})
	t.Run("clock skew", func(t *testing.T) {
		_, _, skewURL, skewed, _ := joined(t, func(o *Options) {
			o.Kerberos.Clock = func() time.Time { return time.Now().Add(7 * time.Minute) }
		})
		tok, err := negotiateToken(t, d, "HTTP/"+skewed.FQDN)
		if err != nil {
			t.Fatal(err)
		}
		refused(t, skewURL, tok, "")
	})
	t.Run("NTLM refused by policy", func(t *testing.T) {
		_, _, ntlmURL, _, _ := joined(t, func(o *Options) { o.RefuseNTLM = true; o.AllowUnencrypted = true })
		tr := &http.Transport{MaxConnsPerHost: 1}
		defer tr.CloseIdleConnections()
		nc := &http.Client{Transport: ntlmssp.Negotiator{RoundTripper: tr}, Timeout: 5 * time.Second}
		req, _ := http.NewRequest(http.MethodPost, ntlmURL, strings.NewReader("<x/>"))
		req.SetBasicAuth("fleetadmin", "s3cret!")
		resp, err := nc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Fatalf("NTLM on a host that refuses it: %d", resp.StatusCode)
		}
	})
	t.Run("plain SOAP over http", func(t *testing.T) {
		tok, err := negotiateToken(t, d, "HTTP/"+a.FQDN)
		if err != nil {
			t.Fatal(err)
		}
		refused(t, url, tok, "<s:Envelope/>")
		_, _, openURL, open, _ := joined(t, func(o *Options) { o.AllowUnencrypted = true })
		tok, err = negotiateToken(t, d, "HTTP/"+open.FQDN)
		if err != nil {
			t.Fatal(err)
		}
		if resp := post(t, c, openURL, "<s:Envelope/>", map[string]string{"Authorization": tok}); resp.StatusCode != 200 {
			t.Fatalf("AllowUnencrypted = true: %d", resp.StatusCode)
		}
	})
	t.Run("workgroup host", func(t *testing.T) {
		_, _, wgURL := newEndpoint(t, nil)
		refused := post(t, c, wgURL, "", map[string]string{"Authorization": okTok})
		if refused.StatusCode != 401 || strings.Contains(strings.Join(refused.Header.Values("WWW-Authenticate"), ","), "Kerberos") {
			t.Fatalf("a workgroup host: %d %q", refused.StatusCode, refused.Header.Values("WWW-Authenticate"))
		}
	})
	if got := e.Stats().KerberosLogons; got < 1 {
		t.Errorf("%d Kerberos logons", got)
	}
}

// TestRC4OnlyAccountRefused: a host whose account offers only RC4 gets no
// working Kerberos: the KDC refuses AES-only clients a ticket, and a host
// refuses an RC4 session key for message encryption.
func TestRC4OnlyAccountRefused(t *testing.T) {
	d := testdomain.Start(t)
	accts, err := adjoin.Join(context.Background(), adjoin.Directory{URL: d.LDAPURL(), ServerName: d.ServerName(), CAFile: d.CAFile,
		Realm: testdomain.Realm, User: "Administrator@" + testdomain.DNSName, Password: d.AdminPassword()},
		[]adjoin.Machine{{Name: fmt.Sprintf("RC4%04d", joinSeq.Add(1)), EncTypes: adjoin.EncRC4}})
	if err != nil {
		t.Fatal(err)
	}
	a := accts[0]
	_, _, url := newEndpoint(t, func(o *Options) {
		o.AllowBasic = false
		o.Kerberos = &Kerberos{Keytab: a.Keytab(), Account: a.Name + "$", Realm: a.Realm}
	})
	tok, err := negotiateToken(t, d, "HTTP/"+a.FQDN)
	if err != nil {
		return // no ticket: the failure an operator meets first
	}
	resp := post(t, noKeepAliveClient(t), url, "", map[string]string{"Authorization": tok})
	if resp.StatusCode != 401 {
		t.Fatalf("an RC4 ticket: %d", resp.StatusCode)
	}
}
