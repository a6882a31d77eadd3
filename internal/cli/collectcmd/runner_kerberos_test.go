package collectcmd

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/nats-io/nats.go"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/internal/jobq/jobqtest"
	siterunner "github.com/fleetport/fleetport/internal/runner"
	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/sim/adjoin"
	"github.com/fleetport/fleetport/internal/sim/simtest"
	"github.com/fleetport/fleetport/internal/testdomain"
)

// TestCollectThroughRunnerWithKerberos: `fleetport collect --nats` with an
// inventory whose hosts (joined to the test domain, AllowUnencrypted
// false, some refusing NTLM) are in a site: a runner of that site,
// started with its own credential cache (kinit), collects them with
// Kerberos although the inventory's ccache does not exist on this
// machine's side; every host ends ok with kerberos, and no NATS message
// carries the password or the cache's tickets and keys.
func TestCollectThroughRunnerWithKerberos(t *testing.T) {
	d := testdomain.Start(t)
	t.Setenv(cmdutil.EnvNATS, "")
	sc := simtest.Scenario(4)
	sc.HTTPSPort = 0
	sc.AllowUnencrypted = false
	plans, err := sc.Plan()
	if err != nil {
		t.Fatal(err)
	}
	sc.Faults = []sim.Fault{{Kind: sim.FaultNTLMRefused, Hosts: []string{plans[0].Name, plans[3].Name}}}
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
	cc, err := credentials.LoadCCache(ccache)
	if err != nil {
		t.Fatal(err)
	}
	secrets := [][]byte{[]byte(d.AdminPassword())}
	for _, c := range cc.GetEntries() {
		for _, b := range [][]byte{c.Ticket, c.Key.KeyValue} {
			secrets = append(secrets, b, []byte(base64.StdEncoding.EncodeToString(b)))
		}
	}

	ns := jobqtest.Start(t, jobqtest.Options{})
	snoop := jobqtest.Connect(t, ns, "snoop")
	var mu sync.Mutex
	var seen, leaked int
	sub, err := snoop.Subscribe(">", func(m *nats.Msg) {
		mu.Lock()
		defer mu.Unlock()
		seen++
		for _, s := range secrets {
			if bytes.Contains(m.Data, s) {
				leaked++
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	rc := jobqtest.Connect(t, ns, "runner")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- siterunner.Run(ctx, siterunner.Options{Conn: rc, Site: "east", Concurrency: 4, Logger: slog.New(slog.DiscardHandler),
			Heartbeat: 100 * time.Millisecond, DrainTimeout: 3 * time.Second,
			Kerberos: siterunner.Kerberos{ConfigFile: d.Krb5Conf, CCacheFile: ccache}})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("runner: %v", err)
		}
	}()

	dir := t.TempDir()
	var inv strings.Builder
	fmt.Fprintf(&inv, "defaults {\n  transport = \"http\"\n  port = %d\n  auth = \"kerberos\"\n  site = \"east\"\n  ccache = %q\n  kerberos_name = \"${host.name}.fleet.test\"\n}\n",
		sc.HTTPPort, filepath.Join(dir, "the-controllers-cache-is-not-used"))
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
	opts.Shared.Dispatch.NATS = jobqtest.URL(ns, "127.0.0.1")
	opts.Shared.Dispatch.AckWait = 2 * time.Second
	opts.Shared.Dispatch.SiteTimeout = 30 * time.Second
	opts.Shared.Dispatch.MaxDeliver = 5
	if err := collectRun(context.Background(), opts); err != nil {
		t.Fatalf("collect --nats: %v\n%s\n%s", err, out, errOut)
	}
	var sum summaryJSON
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if sum.Hosts != 4 || sum.ByStatus["ok"] != 4 || len(sum.Auth["kerberos"]) != 4 {
		t.Fatalf("summary %+v\n%s", sum, errOut)
	}
	for _, h := range f.Hosts() {
		if h.Endpoint.Stats().KerberosLogons == 0 {
			t.Errorf("%s: collected without a Kerberos logon", h.Plan.Name)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if seen < 8 {
		t.Errorf("the snoop saw %d messages: it did not watch the run", seen)
	}
	if leaked > 0 {
		t.Errorf("%d messages on NATS carry the password, a ticket or a key", leaked)
	}
}
