// Package adjoin makes simulated hosts members of an Active Directory
// domain, as Add-Computer does for a Windows server: for each host a
// computer account over LDAP (name, dNSHostName, operating system, the
// HTTP/, WSMAN/ and HOST/ service principal names for its name and its
// FQDN, AES as its encryption types), a random machine password set with
// the account, and the AES keys derived from that password the way the
// domain derives them, so that the host can decrypt the service tickets
// the KDC issues for it.
//
// Accounts are created over LDAPS (a domain controller sets unicodePwd only
// on an encrypted connection) by a few connections working in parallel; a
// host whose account exists already is joined again, which changes its
// password and so its key version, as a rejoin does on Windows.
package adjoin

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/go-ldap/ldap/v3"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/types"
	"golang.org/x/sync/errgroup"
)

// Encryption types for msDS-SupportedEncryptionTypes (MS-KILE 2.2.7).
const (
	EncRC4    = 0x04
	EncAES128 = 0x08
	EncAES256 = 0x10
)

// Directory says how to reach a domain controller's LDAP service with an
// account that may create computer accounts.
type Directory struct {
	// URL is the DC's LDAPS address, "ldaps://dc.example.com:636".
	URL string
	// ServerName is the name the DC's certificate must carry; empty means
	// the URL's host.
	ServerName string
	// CAFile is the certificate authority of the DC's certificate; empty
	// means the system pool.
	CAFile string
	// Realm is the Kerberos realm, "FLEET.TEST"; the domain's DNS name is
	// its lower case, and its base DN follows from that.
	Realm string
	// User and Password bind to LDAP; User is "name@domain" or a DN.
	User     string
	Password string
	// Conns is the number of LDAP connections that work in parallel;
	// 0 means 4.
	Conns int
	// Timeout bounds each LDAP operation; 0 means 30 s.
	Timeout time.Duration
}

// Machine is a host to join.
type Machine struct {
	// Name is the host's computer name (at most 15 letters, digits and
	// hyphens); its FQDN is Name + "." + the domain's DNS name.
	Name string
	// OperatingSystem and OperatingSystemVersion are what Windows writes
	// into its account, e.g. "Windows Server 2019 Standard" and
	// "10.0 (17763)".
	OperatingSystem        string
	OperatingSystemVersion string
	// EncTypes is msDS-SupportedEncryptionTypes; 0 means AES128|AES256.
	// EncRC4 alone makes an RC4-only account.
	EncTypes int
}

// Account is a joined host's side of its domain membership: what it needs
// to accept Kerberos tickets. Formatting an Account never shows its keys.
type Account struct {
	Name  string // computer name, upper case, as in sAMAccountName without "$"
	FQDN  string // lower case
	Realm string
	SPNs  []string
	KVNO  int
	// EncTypes is the account's msDS-SupportedEncryptionTypes.
	EncTypes int
	keys     []types.EncryptionKey
}

// String names the account and hides its keys.
func (a *Account) String() string {
	return fmt.Sprintf("computer account %s$@%s (kvno %d, keys hidden)", a.Name, a.Realm, a.KVNO)
}

// GoString is String: a %#v must not show the keys either.
func (a *Account) GoString() string { return a.String() }

// Keytab is the host's keytab: a key per encryption type for each of its
// SPNs and for its account name, at its key version.
func (a *Account) Keytab() *keytab.Keytab {
	kt := keytab.New()
	names := append([]string{a.Name + "$"}, a.SPNs...)
	b := marshalKeytab(names, a.Realm, a.KVNO, a.keys)
	defer clear(b)
	if err := kt.Unmarshal(b); err != nil {
		// marshalKeytab writes what Unmarshal reads; anything else is a
		// bug in this file.
		panic("adjoin: keytab: " + err.Error())
	}
	return kt
}

// SupportsAES reports whether the account offers an AES key.
func (a *Account) SupportsAES() bool { return a.EncTypes&(EncAES128|EncAES256) != 0 }

// Salt is the salt Windows uses for a computer account's keys:
// REALM + "host" + lowercase name + "." + lowercase realm (MS-KILE 3.1.1.2).
func Salt(realm, name string) string {
	return strings.ToUpper(realm) + "host" + strings.ToLower(strings.TrimSuffix(name, "$")) + "." + strings.ToLower(realm)
}

// SPNs are the service principal names a Windows member registers for
// WinRM and itself: HTTP/, WSMAN/ and HOST/ for its name and its FQDN.
func SPNs(name, fqdn string) []string {
	var out []string
	for _, svc := range []string{"HTTP", "WSMAN", "HOST"} {
		out = append(out, svc+"/"+name, svc+"/"+fqdn)
	}
	return out
}

// BaseDN is the naming context of a domain: "FLEET.TEST" -> "DC=fleet,DC=test".
func BaseDN(realm string) string {
	parts := strings.Split(strings.ToLower(realm), ".")
	for i, p := range parts {
		parts[i] = "DC=" + p
	}
	return strings.Join(parts, ",")
}

func validName(n string) error {
	if n == "" || len(n) > 15 {
		return fmt.Errorf("computer name %q: want 1 to 15 characters", n)
	}
	for _, r := range n {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return fmt.Errorf("computer name %q: only letters, digits and hyphens", n)
		}
	}
	return nil
}

// Join creates or resets the computer accounts of machines and returns
// them in the same order.
func Join(ctx context.Context, dir Directory, machines []Machine) ([]*Account, error) {
	if dir.Realm == "" {
		return nil, errors.New("adjoin: no realm")
	}
	seen := map[string]bool{}
	for _, m := range machines {
		if err := validName(m.Name); err != nil {
			return nil, fmt.Errorf("adjoin: %w", err)
		}
		if seen[strings.ToUpper(m.Name)] {
			return nil, fmt.Errorf("adjoin: computer name %q given twice", m.Name)
		}
		seen[strings.ToUpper(m.Name)] = true
	}
	conns := dir.Conns
	if conns <= 0 {
		conns = 4
	}
	conns = min(conns, max(1, len(machines)))
	pool := make(chan *ldap.Conn, conns)
	defer func() {
		close(pool)
		for c := range pool {
			c.Close()
		}
	}()
	for i := 0; i < conns; i++ {
		c, err := dir.dial(ctx)
		if err != nil {
			return nil, err
		}
		pool <- c
	}
	accounts := make([]*Account, len(machines))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(conns)
	for i, m := range machines {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			c := <-pool
			defer func() { pool <- c }()
			a, err := dir.join(c, m)
			if err != nil {
				return fmt.Errorf("adjoin: join %s: %w", m.Name, err)
			}
			accounts[i] = a
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return accounts, nil
}

func (dir Directory) timeout() time.Duration {
	if dir.Timeout > 0 {
		return dir.Timeout
	}
	return 30 * time.Second
}

func (dir Directory) dial(ctx context.Context) (*ldap.Conn, error) {
	tc := &tls.Config{ServerName: dir.ServerName, MinVersion: tls.VersionTLS12}
	if dir.CAFile != "" {
		pem, err := os.ReadFile(dir.CAFile)
		if err != nil {
			return nil, fmt.Errorf("adjoin: the DC's CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("adjoin: %s holds no PEM certificate", dir.CAFile)
		}
		tc.RootCAs = pool
	}
	if !strings.HasPrefix(dir.URL, "ldaps://") {
		return nil, fmt.Errorf("adjoin: %q is not an ldaps:// URL (the DC sets machine passwords only over an encrypted connection)", dir.URL)
	}
	if tc.ServerName == "" {
		host := strings.TrimPrefix(dir.URL, "ldaps://")
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		tc.ServerName = host
	}
	d := &net.Dialer{Timeout: dir.timeout()}
	if dl, ok := ctx.Deadline(); ok {
		d.Deadline = dl
	}
	c, err := ldap.DialURL(dir.URL, ldap.DialWithTLSConfig(tc), ldap.DialWithDialer(d))
	if err != nil {
		return nil, fmt.Errorf("adjoin: connect to %s: %w", dir.URL, err)
	}
	c.SetTimeout(dir.timeout())
	if err := c.Bind(dir.User, dir.Password); err != nil {
		c.Close()
		return nil, fmt.Errorf("adjoin: bind to %s as %s: %w", dir.URL, dir.User, err)
	}
	return c, nil
}

func (dir Directory) join(c *ldap.Conn, m Machine) (*Account, error) {
	name := strings.ToUpper(m.Name)
	domain := strings.ToLower(dir.Realm)
	fqdn := strings.ToLower(m.Name) + "." + domain
	enc := m.EncTypes
	if enc == 0 {
		enc = EncAES128 | EncAES256
	}
	password, err := machinePassword()
	if err != nil {
		return nil, err
	}
	dn := "CN=" + name + ",CN=Computers," + BaseDN(dir.Realm)
	spns := SPNs(name, fqdn)
	attrs := map[string][]string{
		"dNSHostName":                   {fqdn},
		"servicePrincipalName":          spns,
		"msDS-SupportedEncryptionTypes": {strconv.Itoa(enc)},
		"unicodePwd":                    {quotedUTF16(password)},
	}
	if m.OperatingSystem != "" {
		attrs["operatingSystem"] = []string{m.OperatingSystem}
	}
	if m.OperatingSystemVersion != "" {
		attrs["operatingSystemVersion"] = []string{m.OperatingSystemVersion}
	}
	add := ldap.NewAddRequest(dn, nil)
	add.Attribute("objectClass", []string{"computer"})
	add.Attribute("sAMAccountName", []string{name + "$"})
	// WORKSTATION_TRUST_ACCOUNT: a domain member, enabled.
	add.Attribute("userAccountControl", []string{"4096"})
	for k, v := range attrs {
		add.Attribute(k, v)
	}
	err = c.Add(add)
	if ldap.IsErrorWithCode(err, ldap.LDAPResultEntryAlreadyExists) {
		mod := ldap.NewModifyRequest(dn, nil)
		for k, v := range attrs {
			mod.Replace(k, v)
		}
		err = c.Modify(mod)
	}
	if err != nil {
		return nil, err
	}
	kvno, err := keyVersion(c, dn)
	if err != nil {
		return nil, err
	}
	a := &Account{Name: name, FQDN: fqdn, Realm: strings.ToUpper(dir.Realm), SPNs: spns, KVNO: kvno, EncTypes: enc}
	a.keys, err = DeriveKeys(password, Salt(dir.Realm, name), enc)
	if err != nil {
		return nil, err
	}
	return a, nil
}

// keyVersion reads msDS-KeyVersionNumber, which the DC keeps: it counts
// the password changes.
func keyVersion(c *ldap.Conn, dn string) (int, error) {
	res, err := c.Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 0, false,
		"(objectClass=computer)", []string{"msDS-KeyVersionNumber"}, nil))
	if err != nil {
		return 0, fmt.Errorf("read the key version: %w", err)
	}
	if len(res.Entries) != 1 {
		return 0, fmt.Errorf("read the key version: %d entries for %s", len(res.Entries), dn)
	}
	v := res.Entries[0].GetAttributeValue("msDS-KeyVersionNumber")
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("read the key version: msDS-KeyVersionNumber %q", v)
	}
	return n, nil
}

// DeriveKeys derives the account's long-term keys from its password, for
// the encryption types enc names (AES256 first, then AES128, then RC4).
func DeriveKeys(password, salt string, enc int) ([]types.EncryptionKey, error) {
	var keys []types.EncryptionKey
	for _, e := range []struct {
		bit int
		id  int32
	}{{EncAES256, etypeID.AES256_CTS_HMAC_SHA1_96}, {EncAES128, etypeID.AES128_CTS_HMAC_SHA1_96}, {EncRC4, etypeID.RC4_HMAC}} {
		if enc&e.bit == 0 {
			continue
		}
		et, err := crypto.GetEtype(e.id)
		if err != nil {
			return nil, err
		}
		k, err := et.StringToKey(password, salt, et.GetDefaultStringToKeyParams())
		if err != nil {
			return nil, err
		}
		keys = append(keys, types.EncryptionKey{KeyType: e.id, KeyValue: k})
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("encryption types %#x name no key fleetport knows", enc)
	}
	return keys, nil
}

// machinePassword is 120 random characters, as long as a Windows machine
// password, from printable ASCII so that every string-to-key agrees on its
// UTF-8 form.
func machinePassword() (string, error) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#%()*+,-./:;<=>?@[]^_{|}~"
	b := make([]byte, 120)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b), nil
}

// quotedUTF16 is unicodePwd's form: the password in double quotes, UTF-16LE.
func quotedUTF16(s string) string {
	u := utf16.Encode([]rune(`"` + s + `"`))
	b := make([]byte, 2*len(u))
	for i, r := range u {
		binary.LittleEndian.PutUint16(b[2*i:], r)
	}
	return string(b)
}

// marshalKeytab writes an MIT keytab (format 0x0502): one entry per name
// and key.
func marshalKeytab(names []string, realm string, kvno int, keys []types.EncryptionKey) []byte {
	b := []byte{5, 2}
	ts := uint32(time.Now().Unix())
	for _, n := range names {
		comps := strings.Split(n, "/")
		nt := int32(nametype.KRB_NT_SRV_HST)
		if len(comps) == 1 {
			nt = nametype.KRB_NT_PRINCIPAL
		}
		for _, k := range keys {
			var e []byte
			e = binary.BigEndian.AppendUint16(e, uint16(len(comps)))
			e = appendCounted(e, realm)
			for _, c := range comps {
				e = appendCounted(e, c)
			}
			e = binary.BigEndian.AppendUint32(e, uint32(nt))
			e = binary.BigEndian.AppendUint32(e, ts)
			e = append(e, byte(kvno))
			e = binary.BigEndian.AppendUint16(e, uint16(k.KeyType))
			e = appendCounted(e, string(k.KeyValue))
			e = binary.BigEndian.AppendUint32(e, uint32(kvno))
			b = binary.BigEndian.AppendUint32(b, uint32(len(e)))
			b = append(b, e...)
			clear(e)
		}
	}
	return b
}

func appendCounted(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

// RehearsalDomain is the Directory of a domain scripts/testdomain made in
// dir: the DC's address (dir/address), its certificate authority
// (dir/tls/ca.pem) and the Administrator's password (dir/admin.pass).
func RehearsalDomain(dir string) (Directory, error) {
	addr, err := os.ReadFile(dir + "/address")
	if err != nil {
		return Directory{}, fmt.Errorf("%s is not a domain made by scripts/testdomain: %w", dir, err)
	}
	pass, err := os.ReadFile(dir + "/admin.pass")
	if err != nil {
		return Directory{}, fmt.Errorf("the domain's Administrator password: %w", err)
	}
	return Directory{
		URL:        "ldaps://" + net.JoinHostPort(strings.TrimSpace(string(addr)), "636"),
		ServerName: "dc.fleet.test",
		CAFile:     dir + "/tls/ca.pem",
		Realm:      "FLEET.TEST",
		User:       "Administrator@fleet.test",
		Password:   strings.TrimSpace(string(pass)),
	}, nil
}
