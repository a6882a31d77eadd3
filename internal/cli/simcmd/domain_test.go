package simcmd

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/testdomain"
)

func TestMain(m *testing.M) { testdomain.Main(m) }

// TestSimJoinsTheRehearsalDomain: `fleetport sim --domain DIR` joins every
// host to the domain scripts/testdomain made; the hosts offer Kerberos, and
// the domain's Administrator password shows nowhere.
func TestSimJoinsTheRehearsalDomain(t *testing.T) {
	d := testdomain.Start(t)
	ios, _, out, errOut := cmdutil.Test()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := &Options{IO: ios, Hosts: 3, Seed: 2, Network: "127.41.9.0/24", HTTPPort: 5985, Dir: filepath.Join(t.TempDir(), "state"),
		InventoryTransport: "http", InventoryAuth: "ntlm", DomainDir: d.Dir}
	ready := make(chan *sim.Fleet, 1)
	o.ready = func(f *sim.Fleet) { ready <- f }
	done := make(chan error, 1)
	go func() { done <- simRun(ctx, o) }()
	var f *sim.Fleet
	select {
	case f = <-ready:
	case err := <-done:
		t.Fatalf("sim ended: %v", err)
	case <-time.After(2 * time.Minute):
		t.Fatal("no ready")
	}
	h := f.Hosts()[0]
	resp, err := http.Post("http://"+h.Plan.Addr.String()+":"+strconv.Itoa(o.HTTPPort)+"/wsman", "application/soap+xml;charset=UTF-8", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := strings.Join(resp.Header.Values("WWW-Authenticate"), ","); resp.StatusCode != 401 || !strings.HasPrefix(got, "Negotiate,Kerberos") {
		t.Errorf("a joined host answers %d %q, want 401 with Negotiate and Kerberos", resp.StatusCode, got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if all := out.String() + errOut.String(); strings.Contains(all, d.AdminPassword()) {
		t.Errorf("the domain's password reached the output:\n%s", all)
	}
}

func TestSimDomainFlagNamesAMissingDomain(t *testing.T) {
	ios, _, _, _ := cmdutil.Test()
	o := &Options{IO: ios, Hosts: 1, Seed: 1, Network: "127.41.10.0/24", HTTPPort: 5985, Dir: filepath.Join(t.TempDir(), "state"),
		InventoryTransport: "http", InventoryAuth: "ntlm", DomainDir: "/nonexistent/domain"}
	err := simRun(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), "--domain") || !strings.Contains(err.Error(), "scripts/testdomain") {
		t.Fatalf("err = %v, want one naming --domain and scripts/testdomain", err)
	}
}

// TestSimScenarioJoinsTheDomain: a scenario file's join_domain block joins
// the fleet to a domain as --domain does, with no flag; a join_domain that
// names no domain is a located error.
func TestSimScenarioJoinsTheDomain(t *testing.T) {
	d := testdomain.Start(t)
	dir := t.TempDir()
	scenario := filepath.Join(dir, "joined.hcl")
	if err := os.WriteFile(scenario, []byte(fmt.Sprintf("fleet {\n  hosts = 2\n  network = \"127.41.11.0/24\"\n  https_port = 0\n}\n\njoin_domain {\n  dir = %q\n}\n", d.Dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	ios, _, out, errOut := cmdutil.Test()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := &Options{IO: ios, ScenarioFile: scenario, Hosts: 20, Seed: 1, Network: "127.20.0.0/16", HTTPPort: 5985, Dir: filepath.Join(dir, "state"),
		InventoryTransport: "http", InventoryAuth: "ntlm", set: func(string) bool { return false }}
	ready := make(chan *sim.Fleet, 1)
	o.ready = func(f *sim.Fleet) { ready <- f }
	done := make(chan error, 1)
	go func() { done <- simRun(ctx, o) }()
	var f *sim.Fleet
	select {
	case f = <-ready:
	case err := <-done:
		t.Fatalf("sim ended: %v", err)
	case <-time.After(2 * time.Minute):
		t.Fatal("no ready")
	}
	if n := len(f.Hosts()); n != 2 {
		t.Fatalf("%d hosts, want the scenario's 2", n)
	}
	for _, h := range f.Hosts() {
		resp, err := http.Post("http://"+h.Plan.Addr.String()+":5985/wsman", "application/soap+xml;charset=UTF-8", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := strings.Join(resp.Header.Values("WWW-Authenticate"), ","); resp.StatusCode != 401 || !strings.HasPrefix(got, "Negotiate,Kerberos") {
			t.Errorf("%s answers %d %q, want 401 with Negotiate and Kerberos", h.Plan.Name, resp.StatusCode, got)
		}
		if fqdn := h.Plan.FQDN(f.Scenario().Domain); fqdn != strings.ToLower(h.Plan.Name)+"."+testdomain.DNSName {
			t.Errorf("%s is named %s, not in the domain", h.Plan.Name, fqdn)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if all := out.String() + errOut.String(); strings.Contains(all, d.AdminPassword()) {
		t.Errorf("the domain's password reached the output:\n%s", all)
	}

	bad := filepath.Join(dir, "bad.hcl")
	if err := os.WriteFile(bad, []byte("fleet {\n  hosts = 1\n}\n\njoin_domain {\n  dir = \"no-such-domain\"\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o = &Options{IO: ios, ScenarioFile: bad, Dir: filepath.Join(dir, "state"), InventoryTransport: "http", InventoryAuth: "ntlm", set: func(string) bool { return false }}
	err := simRun(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), "bad.hcl line 5") || !strings.Contains(err.Error(), "scripts/testdomain") {
		t.Fatalf("err = %v, want one located at bad.hcl line 5 naming scripts/testdomain", err)
	}
}
