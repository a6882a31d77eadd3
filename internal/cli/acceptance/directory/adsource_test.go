package directory

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/sim/adjoin"
	"github.com/fleetport/fleetport/internal/sim/simtest"
	"github.com/fleetport/fleetport/internal/testdomain"
)

// TestInventoryFromActiveDirectory is an operator's path with a domain:
// 300 simulated hosts join the test domain and are moved into three OUs,
// beside 20 disabled, 20 stale and 5 non-Windows computer objects; an
// inventory of one source block and a few settings lists exactly the 300,
// grouped by OU; `fleetport collect` reaches every one over Kerberos at
// its DNS name; with the domain controller stopped, `inventory list` uses
// the stored listing and says how old it is.
//
// The hosts' DNS names resolve through a hosts file bind-mounted over
// /etc/hosts in a private mount namespace (unshare), as a site's DNS would
// resolve them: the machine's own /etc/hosts is not touched. That needs
// root, which CI has.
func TestInventoryFromActiveDirectory(t *testing.T) {
	if testing.Short() {
		t.Skip("joins 300 simulated hosts to the test domain")
	}
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("needs root for a private /etc/hosts (unshare -m)")
		}
		t.Skip("needs root for a private /etc/hosts (unshare -m)")
	}
	d := testdomain.Start(t)
	const n = 300
	sc := simtest.Scenario(n)
	// A /22 of its own: simtest's networks are /24s under 127.100-196.
	sc.Network = netip.MustParsePrefix(fmt.Sprintf("127.231.%d.0/22", 4*(os.Getpid()%60)))
	sc.HTTPSPort = 0
	sc.AllowUnencrypted = false
	sc.OSMix = map[string]float64{"2016": 1, "2019": 1, "2022": 1}
	f, err := sim.New(sim.Options{Scenario: sc, Dir: t.TempDir(), Domain: &adjoin.Directory{URL: d.LDAPURL(), ServerName: d.ServerName(),
		CAFile: d.CAFile, Realm: testdomain.Realm, User: "Administrator@" + testdomain.DNSName, Password: d.AdminPassword()}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)

	// An administrator files the computers into OUs, and the domain has
	// the usual clutter.
	c := adminLDAP(t, d)
	defer c.Close()
	base := "OU=Servers," + testdomain.BaseDN
	ous := []string{"Web", "Mail", "Data"}
	for _, dn := range append([]string{base}, "OU=Web,"+base, "OU=Mail,"+base, "OU=Data,"+base) {
		req := ldap.NewAddRequest(dn, nil)
		req.Attribute("objectClass", []string{"organizationalUnit"})
		if err := c.Add(req); err != nil && !ldap.IsErrorWithCode(err, ldap.LDAPResultEntryAlreadyExists) {
			t.Fatal(err)
		}
	}
	// The test domain lives as long as the test binary: remove what this
	// test made, so that other tests can join hosts of the same names.
	t.Cleanup(func() {
		c := adminLDAP(t, d)
		defer c.Close()
		res, err := c.Search(ldap.NewSearchRequest(base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
			"(objectClass=*)", []string{"dn"}, nil))
		if err != nil {
			t.Errorf("clean the test domain: %v", err)
			return
		}
		// Deepest first: an OU goes once what is under it has gone.
		dns := make([]string, 0, len(res.Entries))
		for _, e := range res.Entries {
			dns = append(dns, e.DN)
		}
		slices.SortFunc(dns, func(a, b string) int { return strings.Count(b, ",") - strings.Count(a, ",") })
		for _, dn := range dns {
			if err := c.Del(ldap.NewDelRequest(dn, nil)); err != nil {
				t.Errorf("clean the test domain: delete %s: %v", dn, err)
				return
			}
		}
	})
	hosts := map[string]string{} // DNS name -> address
	want := map[string]string{}  // host -> OU group
	for i, h := range f.Hosts() {
		name := strings.ToUpper(h.Plan.Name)
		ou := ous[i%3]
		if err := c.ModifyDN(ldap.NewModifyDNRequest("CN="+name+",CN=Computers,"+testdomain.BaseDN, "CN="+name, true, "OU="+ou+","+base)); err != nil {
			t.Fatalf("move %s: %v", name, err)
		}
		hosts[h.Plan.FQDN(testdomain.DNSName)] = h.Plan.Addr.String()
		want[strings.ToLower(h.Plan.Name)] = strings.ToLower(ou)
	}
	now := time.Now()
	for i := 0; i < 20; i++ {
		addObject(t, c, fmt.Sprintf("OFF%02d", i), "OU=Web,"+base, "Windows Server 2019 Standard", 4096|2, now)
		addObject(t, c, fmt.Sprintf("OLD%02d", i), "OU=Mail,"+base, "Windows Server 2012 R2 Standard", 4096, now.Add(-120*24*time.Hour))
	}
	for i := 0; i < 5; i++ {
		addObject(t, c, fmt.Sprintf("NIX%d", i), "OU=Data,"+base, "Ubuntu", 4096, now)
	}

	dir := t.TempDir()
	var etc strings.Builder
	if b, err := os.ReadFile("/etc/hosts"); err == nil {
		etc.Write(b)
	}
	etc.WriteString("\n")
	for name, addr := range hosts {
		fmt.Fprintf(&etc, "%s %s\n", addr, name)
	}
	hostsFile := write(t, dir, "hosts", []byte(etc.String()))
	ccache := d.Kinit(t, "Administrator", d.AdminPassword())
	write(t, dir, "ad.hcl", []byte(fmt.Sprintf(`source "active_directory" "corp" {
  url         = "ldap://%s"
  server_name = %q
  base_dn     = %q
  krb5_conf   = %q
  ccache      = %q
  stale_after = "60d"
}

defaults {
  transport = "http"
  port      = %d
  auth      = "kerberos"
  krb5_conf = %q
  ccache    = %q
}

group "web" {
  concurrency = 50
}
`, d.Addr, d.ServerName(), base, d.Krb5Conf, ccache, sc.HTTPPort, d.Krb5Conf, ccache)))
	pol := filepath.Join(dir, "policies")
	if err := os.Mkdir(pol, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, pol, "tw.hcl", []byte("policy \"tw\" {\n  description = \"TIME_WAIT delay\"\n  registry \"TcpTimedWaitDelay\" {\n    at_most = 30\n  }\n}\n"))
	env := []string{"XDG_STATE_HOME=" + filepath.Join(dir, "state")}
	inNS := func(limit time.Duration, args ...string) result {
		t.Helper()
		// unshare -m, the hosts file over /etc/hosts, then the binary.
		sh := `mount --bind "$0" /etc/hosts && exec "$@"`
		return runCmd(t, dir, env, limit, "unshare", append([]string{"-m", "sh", "-c", sh, hostsFile, binary}, args...)...)
	}

	list := inNS(time.Minute, "inventory", "list", "-i", "ad.hcl", "--json")
	if list.code != 0 {
		t.Fatalf("inventory list:\n%s", list)
	}
	var listed []struct {
		Name, Address, Source string
		Groups                []string
	}
	if err := json.Unmarshal([]byte(list.out), &listed); err != nil {
		t.Fatal(err)
	}
	if len(listed) != n {
		t.Fatalf("%d hosts listed, want %d\n%s", len(listed), n, list.err)
	}
	for _, h := range listed {
		if h.Source != "corp" || len(h.Groups) != 1 || h.Groups[0] != want[h.Name] || h.Address != h.Name+"."+testdomain.DNSName {
			t.Errorf("%s: source %q, groups %v, want OU group %q", h.Name, h.Source, h.Groups, want[h.Name])
		}
	}
	if !strings.Contains(list.err, "source corp: 300 hosts") || !strings.Contains(list.err, "left out: 20 disabled, 5 not running Windows, 20 stale") {
		t.Errorf("the listing's summary:\n%s", list.err)
	}

	// validate, --limit and completion see the source's hosts as any.
	if v := inNS(time.Minute, "validate", "-i", "ad.hcl", "-p", pol); v.code != 0 || !strings.Contains(v.err, fmt.Sprintf("valid: %d hosts", n)) {
		t.Errorf("validate with a source:\n%s", v)
	}
	first := listed[0].Name
	if l := inNS(time.Minute, "inventory", "list", "-i", "ad.hcl", "--limit", want[first]+",&"+first); l.code != 0 || strings.TrimSpace(strings.Split(l.out, "\t")[0]) != first {
		t.Errorf("--limit over source hosts:\n%s", l)
	}
	if c := inNS(time.Minute, "__complete", "collect", "-i", "ad.hcl", "--limit", first[:5]); c.code != 0 || !strings.Contains(c.out, first) {
		t.Errorf("completion of source hosts:\n%s", c)
	}

	col := inNS(3*time.Minute, "collect", "-i", "ad.hcl", "-p", pol, "--store", filepath.Join(dir, "runs.db"), "--timeout", "60s")
	if col.code != 0 || !strings.Contains(col.out, fmt.Sprintf("%d hosts", n)) || !strings.Contains(col.out, fmt.Sprintf("ok %d", n)) {
		t.Errorf("collect over Kerberos at the hosts' DNS names:\n%s", col)
	}
	logons := int64(0)
	for _, h := range f.Hosts() {
		logons += h.Endpoint.Stats().KerberosLogons
	}
	if logons < n {
		t.Errorf("%d Kerberos logons for %d hosts", logons, n)
	}

	d.StopKDC(t)
	defer d.StartKDC(t)
	cached := inNS(time.Minute, "inventory", "list", "-i", "ad.hcl")
	if cached.code != 0 || !strings.Contains(cached.err, "Directory unreachable: using the stored listing") || !strings.Contains(cached.err, "ago)") ||
		strings.Count(cached.out, "\n") != n {
		t.Errorf("inventory list with the domain controller stopped:\n%s", cached)
	}
	if all := list.out + list.err + col.out + col.err + cached.err; strings.Contains(all, d.AdminPassword()) {
		t.Error("the domain password reached the output")
	}
}

func adminLDAP(t *testing.T, d *testdomain.Domain) *ldap.Conn {
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

// addObject adds a computer object as another tool's join writes it.
func addObject(t *testing.T, c *ldap.Conn, name, ou, osName string, uac int, lastLogon time.Time) {
	t.Helper()
	req := ldap.NewAddRequest("CN="+name+","+ou, nil)
	req.Attribute("objectClass", []string{"computer"})
	req.Attribute("sAMAccountName", []string{name + "$"})
	req.Attribute("userAccountControl", []string{strconv.Itoa(uac)})
	req.Attribute("dNSHostName", []string{strings.ToLower(name) + "." + testdomain.DNSName})
	req.Attribute("operatingSystem", []string{osName})
	req.Attribute("lastLogonTimestamp", []string{strconv.FormatInt(lastLogon.UnixNano()/100+116444736000000000, 10)})
	if err := c.Add(req); err != nil {
		t.Fatalf("add %s: %v", name, err)
	}
}

// runCmd runs a command (not under the address-space ceiling: unshare and
// mount need their own) with the binary's environment.
func runCmd(t *testing.T, dir string, env []string, limit time.Duration, name string, args ...string) result {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "NO_COLOR=1"), env...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(limit):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("%s %s: still running after %v\n%s\n%s", name, strings.Join(args, " "), limit, out.String(), errOut.String())
	}
	r := result{out: out.String(), err: errOut.String(), elapsed: time.Since(start)}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}
