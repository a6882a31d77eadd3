package adsource_test

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/fleetport/fleetport/internal/adsource"
	"github.com/fleetport/fleetport/internal/testdomain"
	"github.com/fleetport/fleetport/inventory"
)

func TestMain(m *testing.M) { testdomain.Main(m) }

// admin binds to the test domain as its Administrator over LDAPS.
func admin(t testing.TB, d *testdomain.Domain) *ldap.Conn {
	t.Helper()
	pem, err := os.ReadFile(d.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	c, err := ldap.DialURL(d.LDAPURL(), ldap.DialWithTLSConfig(&tls.Config{RootCAs: pool, ServerName: d.ServerName()}))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Bind("Administrator@"+testdomain.DNSName, d.AdminPassword()); err != nil {
		c.Close()
		t.Fatal(err)
	}
	return c
}

func addOU(t testing.TB, c *ldap.Conn, dn string) {
	t.Helper()
	req := ldap.NewAddRequest(dn, nil)
	req.Attribute("objectClass", []string{"organizationalUnit"})
	if err := c.Add(req); err != nil && !ldap.IsErrorWithCode(err, ldap.LDAPResultEntryAlreadyExists) {
		t.Fatalf("add %s: %v", dn, err)
	}
}

// computer is a computer object as a join (or a non-Windows machine's own
// join tooling) writes it.
type computer struct {
	name, ou, os, osVersion string
	disabled                bool
	lastLogon               time.Time
	memberOf                string // a group's DN
}

func addComputer(t testing.TB, c *ldap.Conn, cp computer) {
	t.Helper()
	dn := "CN=" + cp.name + "," + cp.ou
	req := ldap.NewAddRequest(dn, nil)
	req.Attribute("objectClass", []string{"computer"})
	req.Attribute("sAMAccountName", []string{cp.name + "$"})
	uac := 4096
	if cp.disabled {
		uac |= 2
	}
	req.Attribute("userAccountControl", []string{strconv.Itoa(uac)})
	req.Attribute("dNSHostName", []string{strings.ToLower(cp.name) + "." + testdomain.DNSName})
	req.Attribute("operatingSystem", []string{cp.os})
	if cp.osVersion != "" {
		req.Attribute("operatingSystemVersion", []string{cp.osVersion})
	}
	if !cp.lastLogon.IsZero() {
		ft := cp.lastLogon.UnixNano()/100 + 116444736000000000
		req.Attribute("lastLogonTimestamp", []string{strconv.FormatInt(ft, 10)})
	}
	if err := c.Add(req); err != nil && !ldap.IsErrorWithCode(err, ldap.LDAPResultEntryAlreadyExists) {
		t.Fatalf("add %s: %v", dn, err)
	}
	if cp.memberOf != "" {
		mod := ldap.NewModifyRequest(cp.memberOf, nil)
		mod.Add("member", []string{dn})
		if err := c.Modify(mod); err != nil && !ldap.IsErrorWithCode(err, ldap.LDAPResultAttributeOrValueExists) {
			t.Fatalf("add %s to %s: %v", dn, cp.memberOf, err)
		}
	}
}

// fleetOU makes the directory of the acceptance test under base: 300
// Windows servers in three OUs (some in an AD group), 20 disabled, 20
// stale, and 5 computers that do not run Windows.
func fleetOU(t testing.TB, c *ldap.Conn, base string, now time.Time) {
	t.Helper()
	addOU(t, c, base)
	ous := []string{"Web", "Mail", "Data"}
	for _, o := range ous {
		addOU(t, c, "OU="+o+","+base)
	}
	grp := "CN=Patch Tuesday A," + base
	greq := ldap.NewAddRequest(grp, nil)
	greq.Attribute("objectClass", []string{"group"})
	greq.Attribute("sAMAccountName", []string{"patch-a-" + strings.ToLower(strings.Split(base, ",")[0][3:])})
	if err := c.Add(greq); err != nil && !ldap.IsErrorWithCode(err, ldap.LDAPResultEntryAlreadyExists) {
		t.Fatal(err)
	}
	prefix := strings.ToUpper(strings.Split(base, ",")[0][3:5])
	releases := [][2]string{{"Windows Server 2019 Standard", "10.0 (17763)"}, {"Windows Server 2022 Datacenter", "10.0 (20348)"}, {"Windows Server 2016 Standard", "10.0 (14393)"}}
	for i := 0; i < 300; i++ {
		r := releases[(i/3)%3]
		cp := computer{name: fmt.Sprintf("%sS%04d", prefix, i), ou: "OU=" + ous[i%3] + "," + base, os: r[0], osVersion: r[1], lastLogon: now.Add(-time.Duration(i%10) * 24 * time.Hour)}
		if i%50 == 0 {
			cp.memberOf = grp
		}
		addComputer(t, c, cp)
	}
	for i := 0; i < 20; i++ {
		addComputer(t, c, computer{name: fmt.Sprintf("%sOFF%02d", prefix, i), ou: "OU=Web," + base, os: "Windows Server 2019 Standard", disabled: true, lastLogon: now})
		addComputer(t, c, computer{name: fmt.Sprintf("%sOLD%02d", prefix, i), ou: "OU=Mail," + base, os: "Windows Server 2012 R2 Standard", lastLogon: now.Add(-90 * 24 * time.Hour)})
	}
	for i := 0; i < 5; i++ {
		addComputer(t, c, computer{name: fmt.Sprintf("%sNIX%d", prefix, i), ou: "OU=Data," + base, os: "Ubuntu", osVersion: "22.04", lastLogon: now})
	}
}

// inventoryWith writes an inventory whose source has the given body.
func inventoryWith(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	src := "defaults {\n  auth = \"kerberos\"\n}\n\ngroup \"web\" {\n  concurrency = 20\n}\n\n" + body
	if err := os.WriteFile(filepath.Join(dir, "ad.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func load(t *testing.T, dir string, l *adsource.Lister) (*inventory.Inventory, string) {
	t.Helper()
	inv, diags := inventory.Load(os.DirFS(dir), ".", inventory.Options{Dir: dir, Sources: l})
	var b strings.Builder
	for _, d := range diags {
		fmt.Fprintf(&b, "%s: %s: %s\n", d.Subject, d.Summary, d.Detail)
	}
	if diags.HasErrors() {
		return nil, b.String()
	}
	return inv, b.String()
}

type env map[string]string

func (e env) Env(name string) (string, bool)       { v, ok := e[name]; return v, ok }
func (e env) ReadFile(path string) ([]byte, error) { return os.ReadFile(path) }
func (e env) Prompt(string, string) (string, error) {
	return "", fmt.Errorf("no prompt here")
}

// TestActiveDirectorySource is the acceptance test of the source: 300
// Windows servers in three OUs beside 20 disabled, 20 stale and 5
// non-Windows computer objects; the inventory has exactly the 300, grouped
// by OU, with the static blocks' settings applied; with the domain
// controller stopped, the stored listing is used and its age told; a base
// DN that does not exist and a filter the directory refuses are located.
func TestActiveDirectorySource(t *testing.T) {
	d := testdomain.Start(t)
	c := admin(t, d)
	defer c.Close()
	now := time.Now()
	base := "OU=Paris," + testdomain.BaseDN
	fleetOU(t, c, base, now)

	body := fmt.Sprintf(`source "active_directory" "corp" {
  url         = %q
  server_name = %q
  ca_file     = %q
  base_dn     = %q
  stale_after = "30d"
  bind        = "simple"
  user        = "Administrator@%s"
  password    = env("AD_PASSWORD")
  groups_from = ["ou", "memberOf"]
}

host "pas0007" {
  address       = "10.9.9.7"
  kerberos_name = "pas0007.fleet.test"
  tags    = { pinned = "yes" }
}
`, d.LDAPURL(), d.ServerName(), d.CAFile, base, testdomain.DNSName)
	dir := inventoryWith(t, body)
	storePath := filepath.Join(t.TempDir(), "fleetport.db")
	lister := &adsource.Lister{StorePath: storePath, Credentials: env{"AD_PASSWORD": d.AdminPassword()}}
	inv, diags := load(t, dir, lister)
	if inv == nil {
		t.Fatalf("load: %s", diags)
	}
	hosts := inv.Hosts()
	if len(hosts) != 300 {
		t.Fatalf("%d hosts, want 300\n%s", len(hosts), diags)
	}
	l := inv.Listings()["corp"]
	if got := l.LeftOutSummary(); got != "20 disabled, 5 not running Windows, 20 stale" {
		t.Errorf("left out: %s", got)
	}
	byGroup := map[string]int{}
	for _, h := range hosts {
		for _, g := range h.Groups {
			byGroup[g]++
		}
		if h.Name == "pas0007" {
			if h.Source != "" || h.Address != "10.9.9.7" || h.Tags["pinned"] != "yes" {
				t.Errorf("the host block does not win: %+v", h)
			}
			continue
		}
		if h.Source != "corp" || h.Auth != "kerberos" || !strings.HasSuffix(h.Address, "."+testdomain.DNSName) || h.Tags["os"] == "" || h.Tags["ou"] == "" {
			t.Errorf("source host %+v", h)
		}
	}
	if byGroup["web"] != 100 || byGroup["mail"] != 99 || byGroup["data"] != 100 || byGroup["patch-tuesday-a"] != 6 {
		t.Errorf("groups %v (pas0007 is in none)", byGroup)
	}
	if g, ok := inv.Group("web"); !ok || g.Concurrency != 20 {
		t.Errorf("the file's group block does not apply to the source's group: %+v", g)
	}
	if !strings.Contains(diags, "Hosts declared in a file too") {
		t.Errorf("no note about pas0007:\n%s", diags)
	}
	sel, err := inv.Select("web,&tag:os=Windows Server 2022 Datacenter", os.ReadFile)
	if err != nil || len(sel) != 33 {
		t.Errorf("--limit over source hosts: %d hosts, %v", len(sel), err)
	}
	stored, err := os.ReadFile(storePath)
	if err != nil {
		t.Fatalf("no listing stored: %v", err)
	}
	if wal, err := os.ReadFile(storePath + "-wal"); err == nil {
		stored = append(stored, wal...)
	}
	for _, text := range []string{diags, fmt.Sprint(l), fmt.Sprintf("%+v", inv.Sources()), string(stored)} {
		if strings.Contains(text, d.AdminPassword()) {
			t.Fatal("the bind password is shown or stored")
		}
	}
	if !strings.Contains(string(stored), "pas0001.fleet.test") {
		t.Error("the store does not hold the listing")
	}

	t.Run("kerberos bind with a ticket cache", func(t *testing.T) {
		cache := d.Kinit(t, "Administrator@"+testdomain.Realm, d.AdminPassword())
		kdir := inventoryWith(t, fmt.Sprintf(`source "active_directory" "corp" {
  url         = "ldap://%s"
  server_name = %q
  base_dn     = %q
  krb5_conf   = %q
  ccache      = %q
}
`, d.Addr, d.ServerName(), "OU=Web,"+base, d.Krb5Conf, cache))
		inv, diags := load(t, kdir, &adsource.Lister{Credentials: env{}})
		if inv == nil {
			t.Fatalf("load: %s", diags)
		}
		// Over LDAPS the test domain (Samba's defaults) refuses a
		// Kerberos bind, with or without a layer: the error says what
		// to write instead.
		tdir := inventoryWith(t, fmt.Sprintf(`source "active_directory" "corp" {
  url         = %q
  server_name = %q
  ca_file     = %q
  base_dn     = %q
  krb5_conf   = %q
  ccache      = %q
}
`, d.LDAPURL(), d.ServerName(), d.CAFile, "OU=Web,"+base, d.Krb5Conf, cache))
		if inv, diags := load(t, tdir, &adsource.Lister{Credentials: env{}}); inv != nil || !strings.Contains(diags, "ad.hcl:10,") || !strings.Contains(diags, "url = \"ldap://") {
			t.Errorf("a Kerberos bind over LDAPS to Samba:\n%s", diags)
		}
		if n := len(inv.Hosts()); n != 100 {
			t.Errorf("%d hosts in OU=Web, want 100 (all logged on within 45 days)", n)
		}
	})

	t.Run("kerberos bind over ldap with sealing, password by reference", func(t *testing.T) {
		kdir := inventoryWith(t, fmt.Sprintf(`source "active_directory" "corp" {
  url         = "ldap://%s:389"
  server_name = %q
  base_dn     = %q
  krb5_conf   = %q
  user        = "Administrator@%s"
  password    = env("AD_PASSWORD")
  filter      = "(operatingSystem=*2019*)"
}
`, d.Addr, d.ServerName(), base, d.Krb5Conf, testdomain.Realm))
		inv, diags := load(t, kdir, &adsource.Lister{Credentials: env{"AD_PASSWORD": d.AdminPassword()}})
		if inv == nil {
			t.Fatalf("load: %s", diags)
		}
		if n := len(inv.Hosts()); n != 102 {
			t.Errorf("%d Windows Server 2019 hosts, want 102", n)
		}
	})

	t.Run("bad base DN and filter", func(t *testing.T) {
		for _, c := range []struct{ arg, want string }{
			{`base_dn = "OU=Nowhere,DC=fleet,DC=test"`, "ad.hcl:6"},
			{`filter = "(operatingSystem=*"`, "ad.hcl:6"},
			{`base_dn = "not a dn"`, "ad.hcl:6"},
		} {
			dir := inventoryWith(t, fmt.Sprintf("source \"active_directory\" \"corp\" {\n  url = %q\n  ca_file = %q\n  server_name = %q\n  %s\n  base_dn = %q\n  bind = \"simple\"\n  user = \"Administrator@%s\"\n  password = env(\"AD_PASSWORD\")\n}\n",
				d.LDAPURL(), d.CAFile, d.ServerName(), c.arg, base, testdomain.DNSName))
			// The later base_dn is the duplicate: put the one under test last.
			if strings.HasPrefix(c.arg, "base_dn") {
				dir = inventoryWith(t, fmt.Sprintf("source \"active_directory\" \"corp\" {\n  url = %q\n  ca_file = %q\n  server_name = %q\n  bind = \"simple\"\n  %s\n  user = \"Administrator@%s\"\n  password = env(\"AD_PASSWORD\")\n}\n",
					d.LDAPURL(), d.CAFile, d.ServerName(), c.arg, testdomain.DNSName))
			}
			inv, diags := load(t, dir, &adsource.Lister{Credentials: env{"AD_PASSWORD": d.AdminPassword()}})
			if inv != nil || !strings.Contains(diags, "ad.hcl:") {
				t.Errorf("%s: not refused with a location:\n%s", c.arg, diags)
			}
		}
	})

	t.Run("domain controller stopped", func(t *testing.T) {
		d.StopKDC(t)
		defer d.StartKDC(t)
		inv, diags := load(t, dir, lister)
		if inv == nil {
			t.Fatalf("no stored listing used: %s", diags)
		}
		if len(inv.Hosts()) != 300 || !strings.Contains(diags, "Directory unreachable: using the stored listing") || !strings.Contains(diags, "ago)") {
			t.Errorf("%d hosts; diagnostics:\n%s", len(inv.Hosts()), diags)
		}
		refresh := *lister
		refresh.Refresh = true
		if inv, diags := load(t, dir, &refresh); inv != nil || !strings.Contains(diags, "Cannot list the source") {
			t.Errorf("--refresh with the directory down:\n%s", diags)
		}
	})
}

// BenchmarkList5000 lists 5,000 computer objects, five pages of 1,000, as
// an inventory load does: bind, paged search, classification.
//
//	go test ./internal/adsource -run '^$' -bench List5000 -benchtime 5x
func BenchmarkList5000(b *testing.B) {
	d := testdomain.Start(b)
	base := "OU=Bench," + testdomain.BaseDN
	c := admin(b, d)
	addOU(b, c, base)
	c.Close()
	// Four connections add the objects in parallel.
	const n, conns = 5000, 4
	errs := make(chan error, conns)
	for w := 0; w < conns; w++ {
		go func(w int) {
			c := admin(b, d)
			defer c.Close()
			for i := w; i < n; i += conns {
				addComputer(b, c, computer{name: fmt.Sprintf("BEN%05d", i), ou: base, os: "Windows Server 2022 Standard", lastLogon: time.Now()})
			}
			errs <- nil
		}(w)
	}
	for w := 0; w < conns; w++ {
		<-errs
	}
	src := &inventory.Source{Kind: inventory.SourceActiveDirectory, Name: "bench", URL: d.LDAPURL(), ServerName: d.ServerName(), CAFile: d.CAFile,
		BaseDN: base, StaleAfter: inventory.DefaultStaleAfter, Bind: inventory.BindSimple, GroupsFrom: []string{"ou"}, Timeout: 30 * time.Second}
	var err error
	if src.User, err = inventory.SecretOf(inventory.Reference{Source: inventory.SourceEnv, Name: "AD_USER"}); err != nil {
		b.Fatal(err)
	}
	if src.Password, err = inventory.SecretOf(inventory.Reference{Source: inventory.SourceEnv, Name: "AD_PASSWORD"}); err != nil {
		b.Fatal(err)
	}
	l := &adsource.Lister{Credentials: env{"AD_USER": "Administrator@" + testdomain.DNSName, "AD_PASSWORD": d.AdminPassword()}}
	b.ResetTimer()
	for b.Loop() {
		li, err := l.List(src)
		if err != nil {
			b.Fatal(err)
		}
		if len(li.Hosts) != n {
			b.Fatalf("%d hosts, want %d", len(li.Hosts), n)
		}
	}
}
