package collectcmd

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/sim/adjoin"
	"github.com/fleetport/fleetport/internal/sim/simtest"
	"github.com/fleetport/fleetport/internal/testdomain"
)

func TestMain(m *testing.M) { testdomain.Main(m) }

// TestCollectWithKerberos: `fleetport collect` with auth = "kerberos" over
// http against hosts joined to the test domain, of mixed releases, that
// refuse unencrypted traffic (and some refuse NTLM): with a ticket cache
// made by kinit, hosts addressed by IP and named by kerberos_name, every
// host is collected, every message sealed with the Kerberos session key.
func TestCollectWithKerberos(t *testing.T) {
	d := testdomain.Start(t)
	sc := simtest.Scenario(12)
	sc.HTTPSPort = 0
	sc.AllowUnencrypted = false
	sc.OSMix = map[string]float64{"2012r2": 1, "2016": 1, "2019": 1, "2022": 1}
	plans, err := sc.Plan()
	if err != nil {
		t.Fatal(err)
	}
	sc.Faults = []sim.Fault{{Kind: sim.FaultNTLMRefused, Hosts: []string{plans[0].Name, plans[5].Name}}}
	f, err := sim.New(sim.Options{Scenario: sc, Dir: t.TempDir(), Domain: &adjoin.Directory{URL: d.LDAPURL(), ServerName: d.ServerName(),
		CAFile: d.CAFile, Realm: testdomain.Realm, User: "Administrator@" + testdomain.DNSName, Password: d.AdminPassword()}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	ccache := d.Kinit(t, "Administrator", d.AdminPassword())

	dir := t.TempDir()
	var inv strings.Builder
	fmt.Fprintf(&inv, "defaults {\n  transport = \"http\"\n  port = %d\n  auth = \"kerberos\"\n  krb5_conf = %q\n  ccache = %q\n  kerberos_name = \"${host.name}.fleet.test\"\n}\n",
		sc.HTTPPort, d.Krb5Conf, ccache)
	for _, h := range f.Hosts() {
		fmt.Fprintf(&inv, "\nhost %q {\n  address = %q\n}\n", h.Plan.Name, h.Plan.Addr)
	}
	invPath := filepath.Join(dir, "inventory.hcl")
	if err := os.WriteFile(invPath, []byte(inv.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	ios, _, out, errOut := cmdutil.Test()
	opts := &Options{IO: ios, Changed: func(string) bool { return false }}
	opts.Shared.Inventory = invPath
	opts.Shared.Policies = filepath.Join(dir, "none")
	opts.Shared.Store = filepath.Join(dir, "fleetport.db")
	opts.Shared.Timeout = 60 * time.Second
	opts.Shared.JSON = true
	if err := collectRun(context.Background(), opts); err != nil {
		t.Fatalf("collect: %v\n%s\n%s", err, out, errOut)
	}
	var sum summaryJSON
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if sum.Hosts != 12 || sum.ByStatus["ok"] != 12 {
		t.Fatalf("summary %+v\n%s", sum, errOut)
	}
	for _, h := range f.Hosts() {
		if st := h.Endpoint.Stats(); st.KerberosLogons == 0 {
			t.Errorf("%s: collected without a Kerberos logon", h.Plan.Name)
		}
	}
	if all := out.String() + errOut.String(); strings.Contains(all, d.AdminPassword()) {
		t.Error("the domain password reached the output")
	}
}
