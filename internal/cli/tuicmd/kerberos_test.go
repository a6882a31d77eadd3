package tuicmd_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/sim/adjoin"
	"github.com/fleetport/fleetport/internal/sim/simtest"
	"github.com/fleetport/fleetport/internal/testdomain"
	"github.com/fleetport/fleetport/internal/tui"
)

func TestMain(m *testing.M) { testdomain.Main(m) }

// TestWatchAndFixOverKerberos: the TUI's watch and its fixes against hosts
// joined to the test domain that refuse unencrypted traffic, with
// auth = "kerberos" over http: the watch reads with the read account (a
// Remote Management Users member), the fix changes with the change
// credential (an Administrators member), and nothing runs as the other.
func TestWatchAndFixOverKerberos(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end with the test domain")
	}
	d := testdomain.Start(t)
	const readerPass, changerPass = "Rd-Tui-Passw0rd!", "Ch-Tui-Passw0rd!"
	d.AddUser(t, "tui-reader", readerPass)
	d.AddGroup(t, "tui-readers", "tui-reader")
	d.AddUser(t, "tui-changer", changerPass)
	d.AddGroup(t, "tui-changers", "tui-changer")
	sc := simtest.Scenario(3)
	sc.HTTPSPort = 0
	sc.AllowUnencrypted = false
	sc.OSMix = map[string]float64{"2019": 1}
	sc.LocaleMix = map[string]float64{"en-US": 1}
	sc.Roles = []sim.Role{{Name: "web", Share: 1, Services: []string{"W3SVC"}}}
	sc.Drift = []sim.Drift{{Kind: sim.DriftDynamicRangeDefault, Hosts: []string{"web0001", "web0002"}}}
	sc.RemoteManagementUsers = []string{"tui-readers"}
	sc.Administrators = []string{"tui-changers"}
	f, err := sim.New(sim.Options{Scenario: sc, Dir: t.TempDir(), Domain: &adjoin.Directory{URL: d.LDAPURL(), ServerName: d.ServerName(),
		CAFile: d.CAFile, Realm: testdomain.Realm, User: "Administrator@" + testdomain.DNSName, Password: d.AdminPassword()}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	began := time.Now() // the simulator's own setup ran before
	t.Setenv("TUI_READER_PASSWORD", readerPass)
	t.Setenv("TUI_CHANGER_PASSWORD", changerPass)
	var inv strings.Builder
	fmt.Fprintf(&inv, "defaults {\n  port = %d\n  auth = \"kerberos\"\n  krb5_conf = %q\n  kerberos_name = \"${host.name}.fleet.test\"\n"+
		"  user = \"tui-reader@fleet.test\"\n  password = env(\"TUI_READER_PASSWORD\")\n"+
		"  change_user = \"tui-changer@fleet.test\"\n  change_password = env(\"TUI_CHANGER_PASSWORD\")\n}\n", sc.HTTPPort, d.Krb5Conf)
	for _, h := range f.Hosts() {
		fmt.Fprintf(&inv, "\nhost %q {\n  address = %q\n}\n", h.Plan.Name, h.Plan.Addr)
	}
	invPath := filepath.Join(t.TempDir(), "inventory.hcl")
	if err := os.WriteFile(invPath, []byte(inv.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	db := collectInto(t, invPath)
	src, _ := openSource(t, invPath, db)

	// The watch: samples from both hosts, read as the read account.
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	got := map[string][]tui.Sample{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		src.Watch(ctx, []string{"web0001", "web0002"}, 500*time.Millisecond, func(s tui.Sample) {
			mu.Lock()
			got[s.Host] = append(got[s.Host], s)
			mu.Unlock()
		})
	}()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		mu.Lock()
		n := min(len(got["web0001"]), len(got["web0002"]))
		mu.Unlock()
		if n >= 2 {
			break
		}
	}
	cancel()
	<-done
	mu.Lock()
	for _, h := range []string{"web0001", "web0002"} {
		if s := got[h]; len(s) < 2 || s[0].Status != facts.StatusOK || s[len(s)-1].Status != facts.StatusOK {
			t.Errorf("%s: watch samples %+v", h, s)
		}
	}
	mu.Unlock()

	// The fix: planned from the run, applied with the change credential.
	prop, err := src.Plan(context.Background(), src.Run(), []string{"web0001", "web0002"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := src.Apply(context.Background(), prop, tui.RolloutHooks{})
	if err != nil || res.Status != "complete" || res.Fixed != 2 {
		t.Fatalf("apply from the TUI: %+v %v", res, err)
	}
	for _, h := range f.Hosts() {
		for _, e := range h.Model.Audit() {
			l := strings.ToLower(e.Line)
			switch {
			case e.Time.Before(began) || e.Task:
			case strings.Contains(l, "set dynamicport") && !strings.EqualFold(e.User, "tui-changer"):
				t.Errorf("%s: %q ran as %q, not the change account", h.Plan.Name, e.Line, e.User)
			case strings.HasPrefix(l, "netstat") && !strings.EqualFold(e.User, "tui-reader"):
				t.Errorf("%s: %q ran as %q, not the read account", h.Plan.Name, e.Line, e.User)
			}
		}
	}
	for _, h := range []string{"web0001", "web0002"} {
		if st := f.Host(h).Endpoint.Stats(); st.KerberosLogons == 0 {
			t.Errorf("%s: no Kerberos logon", h)
		}
	}
}
