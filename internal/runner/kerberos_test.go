package runner

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/nats-io/nats.go"

	"github.com/fleetport/fleetport/internal/controller"
	"github.com/fleetport/fleetport/internal/dispatch"
	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/jobq/jobqtest"
	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/sim/adjoin"
	"github.com/fleetport/fleetport/internal/sim/simtest"
	"github.com/fleetport/fleetport/internal/testdomain"
	"github.com/fleetport/fleetport/policies"
)

// TestRunnersWithKerberos: site runners collect hosts joined to the test
// domain (AllowUnencrypted false, one refusing NTLM) with Kerberos and
// message encryption, each with its own tickets: one runner from its
// keytab, the other from its kinit cache. The jobs name the hosts'
// Kerberos names and nothing else of Kerberos; no message on NATS carries
// the password, a key of the keytab, or the ticket or session key of the
// cache.
func TestRunnersWithKerberos(t *testing.T) {
	d := testdomain.Start(t)
	sc := simtest.Scenario(4)
	sc.HTTPSPort = 0
	sc.AllowUnencrypted = false
	plans, err := sc.Plan()
	if err != nil {
		t.Fatal(err)
	}
	sc.Faults = []sim.Fault{{Kind: sim.FaultNTLMRefused, Hosts: []string{plans[0].Name, plans[2].Name}}}
	f, err := sim.New(sim.Options{Scenario: sc, Dir: t.TempDir(), Domain: &adjoin.Directory{URL: d.LDAPURL(), ServerName: d.ServerName(),
		CAFile: d.CAFile, Realm: testdomain.Realm, User: "Administrator@" + testdomain.DNSName, Password: d.AdminPassword()}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)

	kt := filepath.Join(t.TempDir(), "runner.keytab")
	if out, err := exec.Command("samba-tool", "domain", "exportkeytab", kt, "--principal=Administrator",
		"-s", filepath.Join(d.Dir, "etc", "smb.conf")).CombinedOutput(); err != nil {
		t.Fatalf("samba-tool domain exportkeytab: %v: %s", err, out)
	}
	ccache := d.Kinit(t, "Administrator", d.AdminPassword())
	secrets := secretsOf(t, kt, ccache)
	secrets = append(secrets, []byte(d.AdminPassword()))

	s := jobqtest.Start(t, jobqtest.Options{})
	snoop := jobqtest.Connect(t, s, "snoop")
	var mu sync.Mutex
	var seen, leaked int
	sub, err := snoop.Subscribe(">", func(m *nats.Msg) {
		mu.Lock()
		defer mu.Unlock()
		seen++
		for _, sec := range secrets {
			if bytes.Contains(m.Data, sec) {
				leaked++
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()

	serve(t, s, Options{Site: "keytab", Kerberos: Kerberos{ConfigFile: d.Krb5Conf, KeytabFile: kt, Principal: "Administrator@" + testdomain.Realm}})
	serve(t, s, Options{Site: "ccache", Kerberos: Kerberos{ConfigFile: d.Krb5Conf, CCacheFile: ccache}})
	c := dial(t, s, controller.Options{AckWait: 2 * time.Second, SiteTimeout: time.Minute})

	var hosts []dispatch.Host
	for i, h := range f.Hosts() {
		p := h.Plan
		site := "keytab"
		if i%2 == 1 {
			site = "ccache"
		}
		ph, err := dispatch.NewPolicyHost(policies.Host{Name: p.Name, Address: p.Addr.String(), Site: site})
		if err != nil {
			t.Fatal(err)
		}
		hosts = append(hosts, dispatch.Host{Name: p.Name,
			Endpoint: dispatch.Endpoint{Address: p.Addr.String(), Port: sc.HTTPPort, Auth: "kerberos",
				KerberosName: p.FQDN(testdomain.DNSName)},
			ConnectTimeout: 5 * time.Second, OperationTimeout: 2 * time.Second, Timeout: 30 * time.Second, Policy: ph})
	}
	for name, h := range collectAll(t, c, hosts) {
		if h.Status != facts.StatusOK || h.Auth != "kerberos" {
			t.Errorf("%s: %s %q with %q, want ok with kerberos", name, h.Status, h.Error, h.Auth)
		}
	}
	for _, h := range f.Hosts() {
		if h.Endpoint.Stats().KerberosLogons == 0 {
			t.Errorf("%s: collected without a Kerberos logon", h.Plan.Name)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if seen < 2*len(hosts) {
		t.Errorf("the snoop saw %d messages: it did not watch the run", seen)
	}
	if leaked > 0 {
		t.Errorf("%d messages on NATS carry the password, a key or a ticket", leaked)
	}
}

// secretsOf lists what must never cross NATS, raw, in base64 and in hex:
// every key of the keytab, and the tickets and session keys of the cache.
func secretsOf(t *testing.T, keytabFile, ccacheFile string) [][]byte {
	t.Helper()
	kt, err := keytab.Load(keytabFile)
	if err != nil {
		t.Fatal(err)
	}
	var raw [][]byte
	for _, e := range kt.Entries {
		raw = append(raw, e.Key.KeyValue)
	}
	cc, err := credentials.LoadCCache(ccacheFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cc.GetEntries() {
		raw = append(raw, c.Ticket, c.Key.KeyValue)
	}
	var out [][]byte
	for _, r := range raw {
		if len(r) < 16 {
			t.Fatalf("a secret of %d bytes", len(r))
		}
		out = append(out, r, []byte(base64.StdEncoding.EncodeToString(r)), []byte(hex.EncodeToString(r)),
			[]byte(strings.ToUpper(hex.EncodeToString(r))))
	}
	return out
}

// TestKerberosRunsShareAndForget: the jobs of one controller's run share
// one ticket cache, another run gets its own, and a run's cache is closed
// once none of its jobs holds it for the idle time, never while one does.
func TestKerberosRunsShareAndForget(t *testing.T) {
	k := newKerberosRuns(50 * time.Millisecond)
	defer k.close()
	a1, releaseA1 := k.acquire("c1")
	a2, releaseA2 := k.acquire("c1")
	b, releaseB := k.acquire("c2")
	if a1 != a2 || a1 == b || k.lookup("c1") != a1 || k.lookup("none") != nil {
		t.Fatal("the jobs of a run do not share one cache, or two runs share one")
	}
	releaseA1()
	releaseB()
	time.Sleep(100 * time.Millisecond)
	_, releaseC := k.acquire("c3") // sweeps
	defer releaseC()
	if k.lookup("c2") != nil {
		t.Error("an idle run's cache was kept")
	}
	if k.lookup("c1") != a1 {
		t.Error("a cache still held by a job was forgotten")
	}
	releaseA2()
}
