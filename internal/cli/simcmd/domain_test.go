package simcmd

import (
	"context"
	"net/http"
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
