package remote_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/credentials"

	"github.com/fleetport/fleetport/internal/remote"
	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/sim/adjoin"
	"github.com/fleetport/fleetport/internal/testdomain"
)

// domainFleet serves joined hosts that also accept the domain's
// Administrator over NTLM (as a domain member does, through its DC); the
// scenario's faults are set by faults, by host index.
func domainFleet(t *testing.T, d *testdomain.Domain, hosts int, faults map[int]string) *sim.Fleet {
	t.Helper()
	sc := sim.DefaultScenario()
	sc.Hosts = hosts
	sc.Network = testNetwork(hosts)
	sc.Drift, sc.Faults = nil, nil
	sc.OSMix = map[string]float64{"2019": 1}
	sc.LocaleMix = map[string]float64{"en-US": 1}
	sc.Roles = []sim.Role{{Name: "web", Share: 1, Services: []string{"W3SVC"}}}
	plans, err := sc.Plan()
	if err != nil {
		t.Fatal(err)
	}
	for i, kind := range faults {
		sc.Faults = append(sc.Faults, sim.Fault{Kind: kind, Hosts: []string{plans[i].Name}})
	}
	return serve(t, sim.Options{Scenario: sc, Dir: t.TempDir(), Accounts: map[string]string{"Administrator": d.AdminPassword()},
		Domain: &adjoin.Directory{URL: d.LDAPURL(), ServerName: d.ServerName(), CAFile: d.CAFile, Realm: testdomain.Realm,
			User: "Administrator@" + testdomain.DNSName, Password: d.AdminPassword()}})
}

func openRun(ep remote.Endpoint, cred remote.Credentials, opts remote.Options) (remote.Auth, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := remote.Open(ctx, ep, cred, opts)
	if err != nil {
		return 0, err
	}
	defer s.Close()
	if _, err := s.Run(ctx, remote.Command{Line: "hostname"}); err != nil {
		return s.Auth(), err
	}
	return s.Auth(), nil
}

// TestNegotiate: auth negotiate uses Kerberos when a ticket for the host
// can be had and NTLM otherwise (a host addressed by IP without a name, an
// SPN the KDC does not know, no usable krb5.conf, an unreachable KDC), and
// the session says which one it used; a host that refuses NTLM fails with
// the reason Kerberos could not be used.
func TestNegotiate(t *testing.T) {
	d := testdomain.Start(t)
	f := domainFleet(t, d, 3, map[int]string{2: sim.FaultNTLMRefused})
	hs := f.Hosts()
	cred := remote.Credentials{User: "Administrator", Password: d.AdminPassword()}
	cache := remote.NewKerberosCache()
	defer cache.Close()
	opts := fastOptions()
	opts.Kerberos = cache
	negotiate := func(h *sim.Host, named bool) remote.Endpoint {
		ep := kerberosEndpoint(f, h, d, false)
		ep.Auth = remote.AuthNegotiate
		if !named {
			ep.Kerberos.ServiceHost = ""
		}
		return ep
	}
	unreachable := filepath.Join(t.TempDir(), "krb5.conf")
	writeConf(t, unreachable, "[libdefaults]\n default_realm = FLEET.TEST\n dns_lookup_kdc = false\n[realms]\n FLEET.TEST = {\n  kdc = 127.0.0.1:9\n }\n")
	cases := []struct {
		name string
		ep   remote.Endpoint
		want remote.Auth
	}{
		{"ticket for the host's name", negotiate(hs[0], true), remote.AuthKerberos},
		{"addressed by IP without a name", negotiate(hs[1], false), remote.AuthNTLM},
		{"SPN unknown at the KDC", func() remote.Endpoint {
			ep := negotiate(hs[1], true)
			ep.Kerberos.ServiceHost = "nosuchhost.fleet.test"
			return ep
		}(), remote.AuthNTLM},
		{"no krb5.conf", func() remote.Endpoint {
			ep := negotiate(hs[0], true)
			ep.Kerberos.ConfigFile = filepath.Join(t.TempDir(), "none.conf")
			return ep
		}(), remote.AuthNTLM},
		{"KDC unreachable", func() remote.Endpoint {
			ep := negotiate(hs[0], true)
			ep.Kerberos.ConfigFile = unreachable
			return ep
		}(), remote.AuthNTLM},
		{"NTLM refused, ticket for the name", negotiate(hs[2], true), remote.AuthKerberos},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := c.ep
			k0 := f.Host(hostName(t, f, before.Host)).Endpoint.Stats().KerberosLogons
			got, err := openRun(c.ep, cred, opts)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("session used %v, want %v", got, c.want)
			}
			k1 := f.Host(hostName(t, f, before.Host)).Endpoint.Stats().KerberosLogons
			if (k1 > k0) != (c.want == remote.AuthKerberos) {
				t.Errorf("the host counted %d Kerberos logons for a session that used %v", k1-k0, got)
			}
		})
	}

	t.Run("NTLM refused and no ticket", func(t *testing.T) {
		_, err := openRun(negotiate(hs[2], false), cred, opts)
		wantClass(t, err, remote.ClassAuth)
		for _, want := range []string{"NTLM refused", "Kerberos could not be used", "addressed by IP"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
		if strings.Contains(err.Error(), d.AdminPassword()) {
			t.Error("the error shows the password")
		}
	})
	t.Run("no ticket and no password", func(t *testing.T) {
		ep := negotiate(hs[0], false)
		ep.Kerberos.CCacheFile = filepath.Join(t.TempDir(), "none")
		_, err := openRun(ep, remote.Credentials{}, opts)
		wantClass(t, err, remote.ClassAuth)
		if !strings.Contains(err.Error(), "NTLM needs a user and a password") {
			t.Errorf("error %q does not say why NTLM could not be used", err)
		}
	})
}

// hostName finds the simulated host on addr.
func hostName(t *testing.T, f *sim.Fleet, addr string) string {
	t.Helper()
	for _, h := range f.Hosts() {
		if h.Plan.Addr.String() == addr {
			return h.Plan.Name
		}
	}
	t.Fatalf("no host on %s", addr)
	return ""
}

// TestNTLMRefusedSaysSo: a host whose policy refuses NTLM fails an ntlm
// session with an auth error that says NTLM was refused and what to use
// instead, not one that looks like a wrong password.
func TestNTLMRefusedSaysSo(t *testing.T) {
	f := startFleet(t, 2, func(sc *sim.Scenario) {
		plans, _ := sc.Plan()
		sc.Faults = []sim.Fault{{Kind: sim.FaultNTLMRefused, Hosts: []string{plans[0].Name}}}
	})
	hs := f.Hosts()
	for _, h := range hs {
		ep := remote.Endpoint{Host: h.Plan.Addr.String(), Port: f.Scenario().HTTPPort, Auth: remote.AuthNTLM}
		_, err := openRun(ep, remote.Credentials{User: sim.DemoUser, Password: sim.DemoPassword}, fastOptions())
		if h.Plan.Name != hs[0].Plan.Name {
			if err != nil {
				t.Fatalf("%s (NTLM allowed): %v", h.Plan.Name, err)
			}
			continue
		}
		wantClass(t, err, remote.ClassAuth)
		for _, want := range []string{"NTLM refused", `auth = "kerberos" or "negotiate"`} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
	}
	// A wrong password is still a wrong password.
	ep := remote.Endpoint{Host: hs[1].Plan.Addr.String(), Port: f.Scenario().HTTPPort, Auth: remote.AuthNTLM}
	_, err := openRun(ep, remote.Credentials{User: sim.DemoUser, Password: "not-" + sim.DemoPassword}, fastOptions())
	wantClass(t, err, remote.ClassAuth)
	if strings.Contains(err.Error(), "NTLM refused") {
		t.Errorf("a wrong password reads as NTLM refused: %v", err)
	}
}

// TestExpiredTicket: tickets from MIT kinit that the test domain's KDC
// issued for 8 seconds. Samba's KDC already refuses such a TGT as expired
// (KRB_AP_ERR_TKT_EXPIRED: it ends within the 5 minutes of allowed clock
// skew), so a run that reads the cache while the ticket still looks valid
// meets the KDC's verdict; once its end has passed, a run that reads the
// cache finds it expired before asking the KDC. Both end the session with
// an auth error that says the ticket expired and to run kinit, for
// kerberos and for negotiate without a password.
func TestExpiredTicket(t *testing.T) {
	d := testdomain.Start(t)
	f := joinedFleet(t, d, 1, nil)
	cache := filepath.Join(t.TempDir(), "ccache")
	cmd := exec.Command("kinit", "-l", "8s", "Administrator")
	cmd.Env = append(os.Environ(), "KRB5_CONFIG="+d.Krb5Conf, "KRB5CCNAME=FILE:"+cache)
	cmd.Stdin = strings.NewReader(d.AdminPassword() + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kinit -l 8s: %v: %s", err, out)
	}
	cc, err := credentials.LoadCCache(cache)
	if err != nil {
		t.Fatal(err)
	}
	var end time.Time
	for _, c := range cc.GetEntries() {
		if len(c.Server.PrincipalName.NameString) > 0 && c.Server.PrincipalName.NameString[0] == "krbtgt" {
			end = c.EndTime
		}
	}
	if end.IsZero() || time.Until(end) > time.Minute {
		t.Fatalf("the KDC issued a TGT ending at %v, not a short one", end)
	}
	try := func(t *testing.T, a remote.Auth) {
		t.Helper()
		ep := kerberosEndpoint(f, f.Hosts()[0], d, false)
		ep.Auth, ep.Kerberos.CCacheFile = a, cache
		run := remote.NewKerberosCache()
		defer run.Close()
		opts := fastOptions()
		opts.Kerberos = run
		_, err := openRun(ep, remote.Credentials{}, opts)
		wantClass(t, err, remote.ClassAuth)
		if !strings.Contains(err.Error(), "expired") || !strings.Contains(err.Error(), "kinit") {
			t.Errorf("error %q does not say the ticket expired and to run kinit", err)
		}
	}
	for _, a := range []remote.Auth{remote.AuthKerberos, remote.AuthNegotiate} {
		t.Run("refused by the KDC/"+a.String(), func(t *testing.T) {
			if time.Now().After(end) {
				t.Skip("the ticket ran out before the test could use it")
			}
			try(t, a)
		})
	}
	time.Sleep(time.Until(end) + time.Second)
	for _, a := range []remote.Auth{remote.AuthKerberos, remote.AuthNegotiate} {
		t.Run("past its end/"+a.String(), func(t *testing.T) { try(t, a) })
	}
}
