package sim_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	ntlmssp "github.com/Azure/go-ntlmssp"

	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/sim/adjoin"
	"github.com/fleetport/fleetport/internal/sim/simtest"
	"github.com/fleetport/fleetport/internal/testdomain"
)

// TestFleetJoinsTheDomain: a fleet built with a domain has every host in
// it; MIT's GSS library (python3-gssapi) authenticates to a member with a
// ticket from the domain's KDC and exchanges sealed messages; the Kerberos
// faults fail as Windows fails, and a host that refuses NTLM still takes
// Kerberos.
func TestFleetJoinsTheDomain(t *testing.T) {
	if _, err := exec.Command("/usr/bin/python3", "-c", "import gssapi").CombinedOutput(); err != nil && os.Getenv("FLEETPORT_REQUIRE_DOMAIN") != "1" {
		t.Skip("python3-gssapi is missing (scripts/test installs it as root)")
	}
	d := testdomain.Start(t)
	sc := simtest.Scenario(8)
	plans, err := sc.Plan()
	if err != nil {
		t.Fatal(err)
	}
	ok, refusesNTLM, skewed, stale := plans[0].Name, plans[1].Name, plans[2].Name, plans[3].Name
	sc.Faults = []sim.Fault{{Kind: sim.FaultNTLMRefused, Hosts: []string{refusesNTLM}}, {Kind: sim.FaultClockSkew, Hosts: []string{skewed}},
		{Kind: sim.FaultStaleKeys, Hosts: []string{stale}}}
	f, err := sim.New(sim.Options{Scenario: sc, Dir: t.TempDir(), Domain: &adjoin.Directory{URL: d.LDAPURL(), ServerName: d.ServerName(),
		CAFile: d.CAFile, Realm: testdomain.Realm, User: "Administrator@" + testdomain.DNSName, Password: d.AdminPassword()}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	cache := d.Kinit(t, "Administrator", d.AdminPassword())
	run := func(name string) (string, error) {
		h := f.Host(name)
		cmd := exec.Command("/usr/bin/python3", "endpoint/testdata/gssapi_client.py", h.Plan.Addr.String(), strconv.Itoa(sc.HTTPPort),
			"HTTP/"+h.Plan.FQDN(testdomain.DNSName), "Negotiate", "<not-soap/>")
		cmd.Env = append(os.Environ(), "KRB5_CONFIG="+d.Krb5Conf, "KRB5CCNAME=FILE:"+cache)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	for _, name := range []string{ok, refusesNTLM} {
		out, err := run(name)
		// The body is no WS-Man request: the host's WS-Man service answers
		// with a SOAP fault, sealed like every reply.
		if err != nil || !strings.HasPrefix(out, "500 ") || !strings.Contains(out, "Envelope") {
			t.Errorf("%s: %v\n%.400s", name, err, out)
		}
	}
	for _, name := range []string{skewed, stale} {
		if out, err := run(name); err == nil || !strings.Contains(out, "authentication: HTTP 401") {
			t.Errorf("%s: %v\n%.400s", name, err, out)
		}
	}
	// NTLM: refused by one host's policy, accepted elsewhere.
	for name, want := range map[string]int{ok: 200, refusesNTLM: 401} {
		h := f.Host(name)
		tr := &http.Transport{}
		c := &http.Client{Transport: ntlmssp.Negotiator{RoundTripper: tr}, Timeout: 10 * time.Second}
		req, _ := http.NewRequest(http.MethodPost, "http://"+h.Plan.Addr.String()+":"+strconv.Itoa(sc.HTTPPort)+"/wsman", strings.NewReader(""))
		req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
		req.SetBasicAuth(sim.DemoUser, sim.DemoPassword)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		tr.CloseIdleConnections()
		if resp.StatusCode != want {
			t.Errorf("NTLM to %s: %d, want %d", name, resp.StatusCode, want)
		}
	}
}

// TestPywinrmKerberosOverHTTPS: Debian's python3-winrm with
// python3-requests-kerberos (MIT's library through pykerberos) runs
// commands on joined hosts over https with Kerberos, mutual authentication
// required.
func TestPywinrmKerberosOverHTTPS(t *testing.T) {
	if err := exec.Command("/usr/bin/python3", "-c", "import winrm, requests_kerberos").Run(); err != nil {
		if os.Getenv("FLEETPORT_REQUIRE_DOMAIN") == "1" {
			t.Fatalf("python3-winrm or python3-requests-kerberos is missing: %v", err)
		}
		t.Skip("python3-winrm and python3-requests-kerberos are missing (scripts/test installs them as root)")
	}
	d := testdomain.Start(t)
	sc := simtest.Scenario(3)
	sc.OSMix = map[string]float64{"2012r2": 1, "2019": 1, "2022": 1}
	f, err := sim.New(sim.Options{Scenario: sc, Dir: t.TempDir(), Domain: &adjoin.Directory{URL: d.LDAPURL(), ServerName: d.ServerName(),
		CAFile: d.CAFile, Realm: testdomain.Realm, User: "Administrator@" + testdomain.DNSName, Password: d.AdminPassword()}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	cache := d.Kinit(t, "Administrator", d.AdminPassword())
	args := []string{"testdata/interop/pywinrm_kerberos.py", f.CAFile(), strconv.Itoa(sc.HTTPSPort)}
	for _, h := range f.Hosts() {
		args = append(args, h.Plan.Addr.String()+"="+h.Plan.FQDN(testdomain.DNSName))
	}
	cmd := exec.Command("/usr/bin/python3", args...)
	cmd.Env = append(os.Environ(), "KRB5_CONFIG="+d.Krb5Conf, "KRB5CCNAME=FILE:"+cache)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("pywinrm: %v\n%s", err, out)
	}
	for _, h := range f.Hosts() {
		if want := h.Plan.Addr.String() + " 0 " + h.Plan.Name; !strings.Contains(strings.ToLower(string(out)), strings.ToLower(want)) {
			t.Errorf("pywinrm output lacks %q:\n%s", want, out)
		}
		if h.Endpoint.Stats().KerberosLogons == 0 {
			t.Errorf("%s: no Kerberos logon", h.Plan.Name)
		}
	}
}

// TestAnsibleKerberos: Ansible's winrm connection with
// ansible_winrm_transport=kerberos over https (kinit's cache, the host's
// DNS name for its ticket) runs win_ping and raw on a joined host.
func TestAnsibleKerberos(t *testing.T) {
	requireTool(t, func() error { return exec.Command("ansible", "--version").Run() }, "ansible-core")
	requireTool(t, func() error { return exec.Command("/usr/bin/python3", "-c", "import requests_kerberos").Run() }, "python3-requests-kerberos")
	d := testdomain.Start(t)
	sc := simtest.Scenario(1)
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
	cache := d.Kinit(t, "Administrator", d.AdminPassword())
	dir := t.TempDir()
	inv := fmt.Sprintf(`[win]
%s ansible_host=%s

[win:vars]
ansible_connection=winrm
ansible_port=%d
ansible_winrm_scheme=https
ansible_winrm_transport=kerberos
ansible_winrm_kinit_mode=manual
ansible_winrm_kerberos_hostname_override=%s
ansible_winrm_ca_trust_path=%s
ansible_winrm_server_cert_validation=validate
ansible_winrm_operation_timeout_sec=10
ansible_winrm_read_timeout_sec=15
ansible_user=Administrator@%s
`, h.Plan.Name, h.Plan.Addr, sc.HTTPSPort, h.Plan.FQDN(testdomain.DNSName), f.CAFile(), testdomain.Realm)
	invFile := filepath.Join(dir, "hosts.ini")
	if err := os.WriteFile(invFile, []byte(inv), 0o600); err != nil {
		t.Fatal(err)
	}
	ansible := func(module string, args ...string) map[string]any {
		t.Helper()
		cmd := exec.Command("ansible", append([]string{"win", "-i", invFile, "-m", module}, args...)...)
		cmd.Env = append(os.Environ(), "HOME="+dir, "ANSIBLE_LOCAL_TEMP="+filepath.Join(dir, "tmp"), "ANSIBLE_LOAD_CALLBACK_PLUGINS=1",
			"ANSIBLE_STDOUT_CALLBACK=json", "ANSIBLE_NOCOLOR=1", "KRB5_CONFIG="+d.Krb5Conf, "KRB5CCNAME=FILE:"+cache)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		var res ansibleResult
		if jerr := json.Unmarshal(out, &res); jerr != nil || len(res.Plays) == 0 || len(res.Plays[0].Tasks) == 0 {
			t.Fatalf("ansible -m %s: %v / %v\nstdout:\n%s\nstderr:\n%s", module, err, jerr, out, stderr.String())
		}
		hr := res.Plays[0].Tasks[0].Hosts[h.Plan.Name]
		if hr == nil {
			t.Fatalf("ansible -m %s: no result:\n%s", module, out)
		}
		return hr
	}
	if ping := ansible("ansible.windows.win_ping"); ping["ping"] != "pong" || ping["failed"] == true {
		t.Errorf("win_ping: %v", ping)
	}
	if raw := ansible("raw", "-a", "hostname"); raw["stdout"] != strings.ToUpper(h.Plan.Name)+"\r\n" {
		t.Errorf("-m raw hostname: %v", raw)
	}
	if h.Endpoint.Stats().KerberosLogons == 0 {
		t.Error("Ansible connected without a Kerberos logon")
	}
}
