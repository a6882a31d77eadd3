package adjoin_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"
	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/fleetport/fleetport/internal/sim/adjoin"
	"github.com/fleetport/fleetport/internal/testdomain"
)

func TestMain(m *testing.M) { testdomain.Main(m) }

func directory(d *testdomain.Domain) adjoin.Directory {
	return adjoin.Directory{URL: d.LDAPURL(), ServerName: d.ServerName(), CAFile: d.CAFile, Realm: testdomain.Realm,
		User: "Administrator@" + testdomain.DNSName, Password: d.AdminPassword()}
}

// adminClient is a gokrb5 client logged in as the domain's Administrator.
func adminClient(t *testing.T, d *testdomain.Domain) *client.Client {
	t.Helper()
	cfg, err := config.Load(d.Krb5Conf)
	if err != nil {
		t.Fatal(err)
	}
	cl := client.NewWithPassword("Administrator", testdomain.Realm, d.AdminPassword(), cfg, client.DisablePAFXFAST(true))
	t.Cleanup(cl.Destroy)
	if err := cl.Login(); err != nil {
		t.Fatal(err)
	}
	return cl
}

// decrypts checks that the KDC's service ticket for spn opens with the
// account's keytab.
func decrypts(t *testing.T, cl *client.Client, spn string, kt *keytab.Keytab) {
	t.Helper()
	tkt, _, err := cl.GetServiceTicket(spn)
	if err != nil {
		t.Fatalf("service ticket for %s: %v", spn, err)
	}
	if tkt.EncPart.EType != etypeID.AES256_CTS_HMAC_SHA1_96 {
		t.Errorf("ticket for %s is encrypted with etype %d, want AES256 (18)", spn, tkt.EncPart.EType)
	}
	if err := tkt.DecryptEncPart(kt, nil); err != nil {
		t.Fatalf("the account's keytab does not open the KDC's ticket for %s: %v", spn, err)
	}
	if got := tkt.DecryptedEncPart.CName.PrincipalNameString(); !strings.EqualFold(got, "Administrator") {
		t.Errorf("ticket for %s names client %q", spn, got)
	}
}

// TestJoinedHostsAcceptTheKDCsTickets joins hosts and opens the service
// tickets the domain's KDC issues for each of their SPNs with the keys the
// join derived: the KDC and the host agree on the keys.
func TestJoinedHostsAcceptTheKDCsTickets(t *testing.T) {
	d := testdomain.Start(t)
	ms := []adjoin.Machine{
		{Name: "WEB0001", OperatingSystem: "Windows Server 2019 Standard", OperatingSystemVersion: "10.0 (17763)"},
		{Name: "sql0002", OperatingSystem: "Windows Server 2012 R2 Standard", OperatingSystemVersion: "6.3 (9600)"},
	}
	accts, err := adjoin.Join(context.Background(), directory(d), ms)
	if err != nil {
		t.Fatal(err)
	}
	cl := adminClient(t, d)
	for _, a := range accts {
		if a.KVNO < 1 {
			t.Errorf("%s: kvno %d", a.Name, a.KVNO)
		}
		for _, spn := range a.SPNs {
			decrypts(t, cl, spn, a.Keytab())
		}
	}
	if accts[1].Name != "SQL0002" || accts[1].FQDN != "sql0002.fleet.test" {
		t.Errorf("account %q %q, want SQL0002 sql0002.fleet.test", accts[1].Name, accts[1].FQDN)
	}

	// The directory holds what Add-Computer writes.
	c, err := ldap.DialURL(d.LDAPURL(), ldap.DialWithTLSConfig(tlsConfig(t, d)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Bind("Administrator@"+testdomain.DNSName, d.AdminPassword()); err != nil {
		t.Fatal(err)
	}
	res, err := c.Search(ldap.NewSearchRequest(testdomain.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
		"(sAMAccountName=WEB0001$)", []string{"dNSHostName", "operatingSystem", "operatingSystemVersion",
			"servicePrincipalName", "msDS-SupportedEncryptionTypes", "userAccountControl"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Entries) != 1 {
		t.Fatalf("%d entries for WEB0001$", len(res.Entries))
	}
	e := res.Entries[0]
	for attr, want := range map[string]string{"dNSHostName": "web0001.fleet.test", "operatingSystem": "Windows Server 2019 Standard",
		"operatingSystemVersion": "10.0 (17763)", "msDS-SupportedEncryptionTypes": "24", "userAccountControl": "4096"} {
		if got := e.GetAttributeValue(attr); got != want {
			t.Errorf("%s = %q, want %q", attr, got, want)
		}
	}
	spns := e.GetAttributeValues("servicePrincipalName")
	for _, want := range []string{"HTTP/WEB0001", "HTTP/web0001.fleet.test", "WSMAN/WEB0001", "WSMAN/web0001.fleet.test",
		"HOST/WEB0001", "HOST/web0001.fleet.test"} {
		found := false
		for _, s := range spns {
			found = found || strings.EqualFold(s, want)
		}
		if !found {
			t.Errorf("servicePrincipalName lacks %s: %v", want, spns)
		}
	}
}

// TestKeysMatchTheDomainsKeytab compares the keys the join derived with the
// keytab Samba exports for the account: the salt is the one the domain uses.
func TestKeysMatchTheDomainsKeytab(t *testing.T) {
	d := testdomain.Start(t)
	accts, err := adjoin.Join(context.Background(), directory(d), []adjoin.Machine{{Name: "APP0042"}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "app0042.keytab")
	cmd := exec.Command("samba-tool", "domain", "exportkeytab", path, "--principal=APP0042$", "-s", filepath.Join(d.Dir, "etc", "smb.conf"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("samba-tool domain exportkeytab: %v: %s", err, out)
	}
	exported, err := keytab.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	mine := accts[0].Keytab()
	name := types.NewPrincipalName(1, "APP0042$")
	for _, et := range []int32{etypeID.AES256_CTS_HMAC_SHA1_96, etypeID.AES128_CTS_HMAC_SHA1_96} {
		want, wantKVNO, err := exported.GetEncryptionKey(name, testdomain.Realm, 0, et)
		if err != nil {
			t.Fatalf("samba's keytab has no etype %d key: %v", et, err)
		}
		got, gotKVNO, err := mine.GetEncryptionKey(name, testdomain.Realm, 0, et)
		if err != nil {
			t.Fatalf("the join's keytab has no etype %d key: %v", et, err)
		}
		if !bytes.Equal(got.KeyValue, want.KeyValue) || gotKVNO != wantKVNO {
			t.Errorf("etype %d: the join's key (kvno %d) differs from the domain's (kvno %d)", et, gotKVNO, wantKVNO)
		}
	}
	if s := fmt.Sprintf("%v %+v %#v", accts[0], accts[0], accts[0]); strings.Contains(s, string(mustKey(t, mine).KeyValue)) || !strings.Contains(s, "keys hidden") {
		t.Errorf("formatting an account shows more than it should: %q", s)
	}
}

func mustKey(t *testing.T, kt *keytab.Keytab) types.EncryptionKey {
	t.Helper()
	k, _, err := kt.GetEncryptionKey(types.NewPrincipalName(1, "APP0042$"), testdomain.Realm, 0, etypeID.AES256_CTS_HMAC_SHA1_96)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestRejoinChangesTheKeyVersion: joining a host again changes its
// password; tickets issued after it carry the new kvno and the old keys no
// longer open them.
func TestRejoinChangesTheKeyVersion(t *testing.T) {
	d := testdomain.Start(t)
	dir := directory(d)
	first, err := adjoin.Join(context.Background(), dir, []adjoin.Machine{{Name: "WEB0300"}})
	if err != nil {
		t.Fatal(err)
	}
	second, err := adjoin.Join(context.Background(), dir, []adjoin.Machine{{Name: "WEB0300"}})
	if err != nil {
		t.Fatal(err)
	}
	if second[0].KVNO != first[0].KVNO+1 {
		t.Fatalf("rejoin: kvno %d after %d", second[0].KVNO, first[0].KVNO)
	}
	cl := adminClient(t, d)
	decrypts(t, cl, "HTTP/web0300.fleet.test", second[0].Keytab())
	tkt, _, err := cl.GetServiceTicket("HTTP/web0300.fleet.test")
	if err != nil {
		t.Fatal(err)
	}
	if tkt.EncPart.KVNO != second[0].KVNO {
		t.Errorf("ticket kvno %d, want %d", tkt.EncPart.KVNO, second[0].KVNO)
	}
	if err := tkt.DecryptEncPart(first[0].Keytab(), nil); err == nil {
		t.Error("the keys from before the rejoin opened a ticket issued after it")
	}
}

// TestRC4OnlyAccount: an account limited to RC4 gets only an RC4 key.
func TestRC4OnlyAccount(t *testing.T) {
	d := testdomain.Start(t)
	accts, err := adjoin.Join(context.Background(), directory(d), []adjoin.Machine{{Name: "OLD0001", EncTypes: adjoin.EncRC4}})
	if err != nil {
		t.Fatal(err)
	}
	if accts[0].SupportsAES() {
		t.Fatal("an RC4-only account says it supports AES")
	}
	cl := adminClient(t, d)
	tkt, _, err := cl.GetServiceTicket("HTTP/old0001.fleet.test")
	if err != nil {
		// A client that permits no RC4 gets no ticket: that is the failure
		// an operator meets.
		if !strings.Contains(err.Error(), "KDC_ERR_ETYPE_NOSUPP") {
			t.Fatalf("service ticket for an RC4-only account: %v", err)
		}
		return
	}
	if tkt.EncPart.EType != etypeID.RC4_HMAC {
		t.Fatalf("an RC4-only account's ticket has etype %d", tkt.EncPart.EType)
	}
	if err := tkt.DecryptEncPart(accts[0].Keytab(), nil); err != nil {
		t.Fatal(err)
	}
}

func TestJoinRefusesBadNames(t *testing.T) {
	for _, n := range []string{"", "a-name-longer-than-15", "web_01", "web01.corp"} {
		if _, err := adjoin.Join(context.Background(), adjoin.Directory{Realm: "FLEET.TEST", URL: "ldaps://127.0.0.1:1"},
			[]adjoin.Machine{{Name: n}}); err == nil || !strings.Contains(err.Error(), "computer name") {
			t.Errorf("name %q: err %v", n, err)
		}
	}
	if _, err := adjoin.Join(context.Background(), adjoin.Directory{Realm: "FLEET.TEST", URL: "ldap://127.0.0.1:1"},
		[]adjoin.Machine{{Name: "a"}}); err == nil || !strings.Contains(err.Error(), "ldaps") {
		t.Errorf("plain ldap: err %v", err)
	}
}

func TestSalt(t *testing.T) {
	if got, want := adjoin.Salt("FLEET.TEST", "WEB0001$"), "FLEET.TESThostweb0001.fleet.test"; got != want {
		t.Errorf("Salt = %q, want %q", got, want)
	}
}

// BenchmarkJoin300 joins 300 hosts (again, after the first round) in one
// call: the scale a simulated fleet joins at.
func BenchmarkJoin300(b *testing.B) {
	d := testdomain.Start(b)
	ms := make([]adjoin.Machine, 300)
	for i := range ms {
		ms[i] = adjoin.Machine{Name: fmt.Sprintf("BENCH%04d", i), OperatingSystem: "Windows Server 2022 Standard", OperatingSystemVersion: "10.0 (20348)"}
	}
	for b.Loop() {
		if _, err := adjoin.Join(context.Background(), directory(d), ms); err != nil {
			b.Fatal(err)
		}
	}
}

func tlsConfig(t *testing.T, d *testdomain.Domain) *tls.Config {
	t.Helper()
	pem, err := os.ReadFile(d.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &tls.Config{ServerName: d.ServerName(), RootCAs: pool}
}
