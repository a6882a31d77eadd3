package testdomain

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"testing"
	"unicode/utf16"

	"github.com/go-ldap/ldap/v3"
)

// ldapConn binds to the DC as the domain Administrator over LDAPS.
func (d *Domain) ldapConn(t testing.TB) *ldap.Conn {
	t.Helper()
	pem, err := os.ReadFile(d.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	c, err := ldap.DialURL(d.LDAPURL(), ldap.DialWithTLSConfig(&tls.Config{ServerName: d.ServerName(), RootCAs: pool, MinVersion: tls.VersionTLS12}))
	if err != nil {
		t.Fatalf("connect to the test domain's LDAP: %v", err)
	}
	if err := c.Bind("Administrator@"+DNSName, d.adminPassword); err != nil {
		c.Close()
		t.Fatalf("bind to the test domain's LDAP: %v", err)
	}
	return c
}

// AddUser makes an enabled domain user (in CN=Users) with password, as
// samba-tool user create does, or sets the password of one that exists.
func (d *Domain) AddUser(t testing.TB, name, password string) {
	t.Helper()
	c := d.ldapConn(t)
	defer c.Close()
	dn := "CN=" + name + ",CN=Users," + BaseDN
	add := ldap.NewAddRequest(dn, nil)
	add.Attribute("objectClass", []string{"user"})
	add.Attribute("sAMAccountName", []string{name})
	add.Attribute("userPrincipalName", []string{name + "@" + DNSName})
	add.Attribute("unicodePwd", []string{quotedUTF16(password)})
	add.Attribute("userAccountControl", []string{"512"}) // NORMAL_ACCOUNT, enabled
	err := c.Add(add)
	if ldap.IsErrorWithCode(err, ldap.LDAPResultEntryAlreadyExists) {
		mod := ldap.NewModifyRequest(dn, nil)
		mod.Replace("unicodePwd", []string{quotedUTF16(password)})
		err = c.Modify(mod)
	}
	if err != nil {
		t.Fatalf("add domain user %s: %v", name, err)
	}
}

// AddGroup makes a global security group (in CN=Users) and adds the users
// to it (users that are members already are kept).
func (d *Domain) AddGroup(t testing.TB, name string, users ...string) {
	t.Helper()
	c := d.ldapConn(t)
	defer c.Close()
	dn := "CN=" + name + ",CN=Users," + BaseDN
	add := ldap.NewAddRequest(dn, nil)
	add.Attribute("objectClass", []string{"group"})
	add.Attribute("sAMAccountName", []string{name})
	add.Attribute("groupType", []string{"-2147483646"}) // global, security
	if err := c.Add(add); err != nil && !ldap.IsErrorWithCode(err, ldap.LDAPResultEntryAlreadyExists) {
		t.Fatalf("add domain group %s: %v", name, err)
	}
	for _, u := range users {
		mod := ldap.NewModifyRequest(dn, nil)
		mod.Add("member", []string{"CN=" + u + ",CN=Users," + BaseDN})
		if err := c.Modify(mod); err != nil && !ldap.IsErrorWithCode(err, ldap.LDAPResultEntryAlreadyExists) &&
			!ldap.IsErrorWithCode(err, ldap.LDAPResultAttributeOrValueExists) {
			t.Fatalf("add %s to domain group %s: %v", u, name, err)
		}
	}
}

// quotedUTF16 is a unicodePwd value: the quoted password in UTF-16LE.
func quotedUTF16(s string) string {
	u := utf16.Encode([]rune(`"` + s + `"`))
	b := make([]byte, 2*len(u))
	for i, r := range u {
		b[2*i], b[2*i+1] = byte(r), byte(r>>8)
	}
	return string(b)
}
