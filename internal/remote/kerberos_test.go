package remote_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/remote"
	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/sim/adjoin"
	"github.com/fleetport/fleetport/internal/testdomain"
)

// joinedFleet serves a fleet whose hosts are members of the test domain.
func joinedFleet(t *testing.T, d *testdomain.Domain, hosts int, mutate func(*sim.Scenario)) *sim.Fleet {
	t.Helper()
	sc := sim.DefaultScenario()
	sc.Hosts = hosts
	sc.Network = testNetwork(hosts)
	sc.Drift, sc.Faults = nil, nil
	sc.ServiceStep = time.Millisecond
	sc.OSMix = map[string]float64{"2019": 1}
	sc.LocaleMix = map[string]float64{"en-US": 1}
	sc.Roles = []sim.Role{{Name: "web", Share: 1, Services: []string{"W3SVC"}}}
	if mutate != nil {
		mutate(&sc)
	}
	return serve(t, sim.Options{Scenario: sc, Dir: t.TempDir(), Domain: &adjoin.Directory{URL: d.LDAPURL(), ServerName: d.ServerName(),
		CAFile: d.CAFile, Realm: testdomain.Realm, User: "Administrator@" + testdomain.DNSName, Password: d.AdminPassword()}})
}

// kerberosEndpoint addresses h by IP and names it for its SPN, as an
// inventory with kerberos_name does.
func kerberosEndpoint(f *sim.Fleet, h *sim.Host, d *testdomain.Domain, https bool) remote.Endpoint {
	sc := f.Scenario()
	ep := remote.Endpoint{Host: h.Plan.Addr.String(), Port: sc.HTTPPort, Auth: remote.AuthKerberos,
		Kerberos: remote.Kerberos{ConfigFile: d.Krb5Conf, ServiceHost: h.Plan.FQDN(testdomain.DNSName)}}
	if https {
		ep.HTTPS, ep.Port, ep.CAFile, ep.TLSServerName = true, sc.HTTPSPort, f.CAFile(), h.Plan.Addr.String()
	}
	return ep
}

// TestKerberosWithMessageEncryption runs commands on joined hosts with
// Kerberos: over http with every message sealed (AllowUnencrypted false),
// and over https; with tickets from kinit's cache, from a keytab the domain
// exported, and from a password; all sessions of a run share one ticket
// cache.
func TestKerberosWithMessageEncryption(t *testing.T) {
	d := testdomain.Start(t)
	f := joinedFleet(t, d, 3, nil)
	ccache := d.Kinit(t, "Administrator", d.AdminPassword())
	keytab := filepath.Join(t.TempDir(), "administrator.keytab")
	if out, err := exec.Command("samba-tool", "domain", "exportkeytab", keytab, "--principal=Administrator",
		"-s", filepath.Join(d.Dir, "etc", "smb.conf")).CombinedOutput(); err != nil {
		t.Fatalf("samba-tool domain exportkeytab: %v: %s", err, out)
	}
	cache := remote.NewKerberosCache()
	defer cache.Close()
	opts := fastOptions()
	opts.Kerberos = cache
	cases := []struct {
		name  string
		https bool
		cred  remote.Credentials
		set   func(*remote.Kerberos)
	}{
		{"ccache over http", false, remote.Credentials{}, func(k *remote.Kerberos) { k.CCacheFile = ccache }},
		{"keytab over http", false, remote.Credentials{User: "Administrator@" + testdomain.Realm}, func(k *remote.Kerberos) { k.KeytabFile = keytab }},
		{"password over http", false, remote.Credentials{User: `FLEET\Administrator`, Password: d.AdminPassword()}, nil},
		{"password over https", true, remote.Credentials{User: "Administrator", Password: d.AdminPassword()}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, h := range f.Hosts() {
				ep := kerberosEndpoint(f, h, d, c.https)
				if c.set != nil {
					c.set(&ep.Kerberos)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				s, err := remote.Open(ctx, ep, c.cred, opts)
				cancel()
				if err != nil {
					t.Fatalf("%s: %v", h.Plan.Name, err)
				}
				for range 2 {
					res := run(t, s, "hostname")
					if got := strings.TrimSpace(string(res.Stdout)); !strings.EqualFold(got, h.Plan.Name) {
						t.Errorf("%s: hostname says %q", h.Plan.Name, got)
					}
				}
				s.Close()
				if st := h.Endpoint.Stats(); st.KerberosLogons == 0 {
					t.Errorf("%s: no Kerberos logon counted", h.Plan.Name)
				}
			}
		})
	}
}

// TestKerberosFailures: each failure a domain operator meets is an auth
// error that says what to do.
func TestKerberosFailures(t *testing.T) {
	d := testdomain.Start(t)
	f := joinedFleet(t, d, 4, func(sc *sim.Scenario) {
		plans, _ := sc.Plan()
		sc.Faults = []sim.Fault{{Kind: sim.FaultStaleKeys, Hosts: []string{plans[1].Name}}, {Kind: sim.FaultClockSkew, Hosts: []string{plans[2].Name}},
			{Kind: sim.FaultRC4Only, Hosts: []string{plans[3].Name}}}
	})
	hs := f.Hosts()
	cred := remote.Credentials{User: "Administrator", Password: d.AdminPassword()}
	try := func(ep remote.Endpoint, cred remote.Credentials) error {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		s, err := remote.Open(ctx, ep, cred, fastOptions())
		if err == nil {
			_, err = s.Run(ctx, remote.Command{Line: "hostname"})
			s.Close()
		}
		return err
	}
	cases := []struct {
		name string
		ep   remote.Endpoint
		cred remote.Credentials
		want string
	}{
		{"unknown SPN", func() remote.Endpoint {
			ep := kerberosEndpoint(f, hs[0], d, false)
			ep.Kerberos.ServiceHost = "nosuchhost.fleet.test"
			return ep
		}(), cred, "does not know the service principal HTTP/nosuchhost.fleet.test"},
		{"stale key version", kerberosEndpoint(f, hs[1], d, false), cred, "stale key version"},
		{"host clock skew", kerberosEndpoint(f, hs[2], d, false), cred, "clock"},
		{"RC4-only account", kerberosEndpoint(f, hs[3], d, false), cred, "RC4"},
		{"wrong password", kerberosEndpoint(f, hs[0], d, false), remote.Credentials{User: "Administrator", Password: "not-" + d.AdminPassword()}, "refused the user's credentials"},
		{"no ticket", func() remote.Endpoint {
			ep := kerberosEndpoint(f, hs[0], d, false)
			ep.Kerberos.CCacheFile = filepath.Join(t.TempDir(), "none")
			return ep
		}(), remote.Credentials{}, "kinit"},
		{"KDC unreachable", func() remote.Endpoint {
			ep := kerberosEndpoint(f, hs[0], d, false)
			conf := filepath.Join(t.TempDir(), "krb5.conf")
			writeConf(t, conf, "[libdefaults]\n default_realm = FLEET.TEST\n dns_lookup_kdc = false\n[realms]\n FLEET.TEST = {\n  kdc = 127.0.0.1:9\n }\n")
			ep.Kerberos.ConfigFile = conf
			return ep
		}(), cred, "KDC unreachable"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := try(c.ep, c.cred)
			if err == nil {
				t.Fatal("no error")
			}
			if remote.ClassOf(err) != remote.ClassAuth && remote.ClassOf(err) != remote.ClassConfig {
				t.Errorf("class %v: %v", remote.ClassOf(err), err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q lacks %q", err, c.want)
			}
			if strings.Contains(err.Error(), d.AdminPassword()) {
				t.Error("the error shows the password")
			}
		})
	}
}

func writeConf(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestNoKerberosSecretInErrorsOrLogs: sessions with the domain password, a
// wrong password and a keytab, their errors in every formatting and the
// debug log hold no password, no ticket (the Negotiate tokens) and no key.
func TestNoKerberosSecretInErrorsOrLogs(t *testing.T) {
	d := testdomain.Start(t)
	f := joinedFleet(t, d, 2, nil)
	var logs syncBuffer
	opts := fastOptions()
	opts.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cache := remote.NewKerberosCache()
	defer cache.Close()
	opts.Kerberos = cache
	canary := "not-" + d.AdminPassword()
	var errs []error
	for i, cred := range []remote.Credentials{{User: "Administrator", Password: d.AdminPassword()}, {User: "Administrator", Password: canary}} {
		ep := kerberosEndpoint(f, f.Hosts()[i], d, false)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		s, err := remote.Open(ctx, ep, cred, opts)
		if err == nil {
			_, err = s.Run(ctx, remote.Command{Line: "exit 3", CheckExit: true})
			s.Close()
		}
		cancel()
		errs = append(errs, err)
	}
	if errs[1] == nil || remote.ClassOf(errs[1]) != remote.ClassAuth {
		t.Fatalf("a wrong password: %v", errs[1])
	}
	var texts []string
	for _, err := range errs {
		if err == nil {
			continue
		}
		var e *remote.Error
		errors.As(err, &e)
		texts = append(texts, err.Error(), fmt.Sprintf("%v %+v %#v", err, err, e), fmt.Sprintf("%#v", e.Err))
	}
	texts = append(texts, logs.String(), fmt.Sprintf("%+v %#v", opts, opts), fmt.Sprintf("%+v", cache))
	for _, text := range texts {
		for _, secret := range []string{d.AdminPassword(), canary, "Negotiate ", "YII"} {
			if strings.Contains(text, secret) {
				t.Errorf("%q shows a secret or a token (%.12q...)", text[:min(len(text), 200)], secret)
			}
		}
	}
	if logs.Len() == 0 {
		t.Error("nothing was logged; the check is empty")
	}
}

// TestClientAgainstMITAcceptor: fleetport's client against a host whose
// Kerberos side is MIT's GSS library (python3-gssapi) with the host keytab
// the domain exported: the AP-REQ, the check of MIT's AP-REP (with its
// acceptor subkey) and the sealing both ways must agree with MIT. The
// acceptor passes the SOAP text to a simulated host.
func TestClientAgainstMITAcceptor(t *testing.T) {
	if err := exec.Command("/usr/bin/python3", "-c", "import gssapi").Run(); err != nil {
		if os.Getenv("FLEETPORT_REQUIRE_DOMAIN") == "1" {
			t.Fatalf("python3-gssapi is missing: %v", err)
		}
		t.Skip("python3-gssapi is missing (scripts/test installs it as root)")
	}
	d := testdomain.Start(t)
	if _, err := adjoin.Join(context.Background(), adjoin.Directory{URL: d.LDAPURL(), ServerName: d.ServerName(), CAFile: d.CAFile,
		Realm: testdomain.Realm, User: "Administrator@" + testdomain.DNSName, Password: d.AdminPassword()},
		[]adjoin.Machine{{Name: "MIT0001"}}); err != nil {
		t.Fatal(err)
	}
	kt := filepath.Join(t.TempDir(), "mit0001.keytab")
	if out, err := exec.Command("samba-tool", "domain", "exportkeytab", kt, "--principal=HTTP/mit0001.fleet.test",
		"-s", filepath.Join(d.Dir, "etc", "smb.conf")).CombinedOutput(); err != nil {
		t.Fatalf("samba-tool domain exportkeytab: %v: %s", err, out)
	}
	// The backend: a workgroup host that takes Basic over http.
	f := startFleet(t, 1, func(sc *sim.Scenario) { sc.Basic, sc.AllowUnencrypted = true, true })
	backend := f.Hosts()[0]
	portFile := filepath.Join(t.TempDir(), "port")
	cmd := exec.Command("/usr/bin/python3", "testdata/gssapi_acceptor.py", portFile, backend.Plan.Addr.String(),
		strconv.Itoa(f.Scenario().HTTPPort), sim.DemoUser, sim.DemoPassword)
	var acceptorOut syncBuffer
	cmd.Stdout, cmd.Stderr = &acceptorOut, &acceptorOut
	cmd.Env = append(os.Environ(), "KRB5_CONFIG="+d.Krb5Conf, "KRB5_KTNAME=FILE:"+kt)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	var port int
	waitFor(t, 20*time.Second, "the acceptor to listen", func() bool {
		b, err := os.ReadFile(portFile)
		if err != nil {
			return false
		}
		port, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil
	})
	ep := remote.Endpoint{Host: "127.0.0.1", Port: port, Auth: remote.AuthKerberos,
		Kerberos: remote.Kerberos{ConfigFile: d.Krb5Conf, ServiceHost: "mit0001.fleet.test"}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := remote.Open(ctx, ep, remote.Credentials{User: "Administrator", Password: d.AdminPassword()}, fastOptions())
	if err != nil {
		t.Fatalf("Open: %v\nacceptor: %s", err, acceptorOut.String())
	}
	defer s.Close()
	for range 3 {
		res, err := s.Run(ctx, remote.Command{Line: "hostname"})
		if err != nil {
			t.Fatalf("Run: %v\nacceptor: %s", err, acceptorOut.String())
		}
		if got := strings.TrimSpace(string(res.Stdout)); !strings.EqualFold(got, backend.Plan.Name) {
			t.Fatalf("hostname %q", got)
		}
	}
}

// TestKDCStoppedMidRun: the domain controller goes away in the middle of a
// run. A host whose service ticket the run already holds still opens new
// connections (the ticket is reused, no KDC needed); a host the run has no
// ticket for fails with an auth error that says the KDC is unreachable.
func TestKDCStoppedMidRun(t *testing.T) {
	d := testdomain.Start(t)
	f := joinedFleet(t, d, 2, nil)
	cache := remote.NewKerberosCache()
	defer cache.Close()
	opts := fastOptions()
	opts.Kerberos = cache
	cred := remote.Credentials{User: "Administrator", Password: d.AdminPassword()}
	session := func(h *sim.Host) error {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		s, err := remote.Open(ctx, kerberosEndpoint(f, h, d, false), cred, opts)
		if err != nil {
			return err
		}
		defer s.Close()
		_, err = s.Run(ctx, remote.Command{Line: "hostname"})
		return err
	}
	if err := session(f.Hosts()[0]); err != nil {
		t.Fatal(err)
	}
	d.StopKDC(t)
	t.Cleanup(func() { d.StartKDC(t) })
	if err := session(f.Hosts()[0]); err != nil {
		t.Errorf("a host with its ticket, the KDC stopped: %v", err)
	}
	err := session(f.Hosts()[1])
	if remote.ClassOf(err) != remote.ClassAuth || !strings.Contains(fmt.Sprint(err), "KDC unreachable") {
		t.Errorf("a host without a ticket, the KDC stopped: %v (class %v)", err, remote.ClassOf(err))
	}
}

// kdcCounter is a TCP relay in front of the test domain's KDC that counts
// the tickets it issues: AS-REP (application tag 11) and TGS-REP (13)
// replies. A pre-authentication round (a KRB-ERROR asking for it) is part
// of the AS exchange it precedes and is not counted.
type kdcCounter struct {
	as, tgs atomic.Int64
	ln      net.Listener
	// inFlight counts the exchanges under way, maxInFlight the most at
	// once.
	inFlight, maxInFlight atomic.Int64
	// delay holds every reply back (nanoseconds): a busy KDC.
	delay atomic.Int64
}

func newKDCCounter(t *testing.T, kdc string) *kdcCounter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &kdcCounter{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go c.relay(conn, kdc)
		}
	}()
	return c
}

func (c *kdcCounter) relay(conn net.Conn, kdc string) {
	defer conn.Close()
	// An exchange is in flight from the client's connection to the last
	// byte of the KDC's reply: within the client's own slot, which it
	// takes before it connects and frees once it has read the reply.
	n := c.inFlight.Add(1)
	var once sync.Once
	done := func() { once.Do(func() { c.inFlight.Add(-1) }) }
	defer done()
	for m := c.maxInFlight.Load(); n > m && !c.maxInFlight.CompareAndSwap(m, n); m = c.maxInFlight.Load() {
	}
	up, err := net.DialTimeout("tcp", kdc, 5*time.Second)
	if err != nil {
		return
	}
	defer up.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	_ = up.SetDeadline(time.Now().Add(30 * time.Second))
	go func() { _, _ = io.Copy(up, conn); up.Close() }() // the client is done: so is the exchange
	// A Kerberos TCP reply: a 4-byte length, then the message, whose first
	// byte is its application tag.
	head := make([]byte, 5)
	if _, err := io.ReadFull(up, head); err != nil {
		return
	}
	time.Sleep(time.Duration(c.delay.Load()))
	switch head[4] {
	case 0x6b:
		c.as.Add(1)
	case 0x6d:
		c.tgs.Add(1)
	}
	if _, err := conn.Write(head); err != nil {
		return
	}
	if size := binary.BigEndian.Uint32(head[:4]); size >= 1 {
		if _, err := io.CopyN(conn, up, int64(size-1)); err != nil {
			return
		}
	}
	done()
	_, _ = io.Copy(conn, up)
}

// TestOneTGTPerRunOneTicketPerHost counts at the KDC: a run with a password
// over several hosts, each with several connections, makes one AS exchange
// and one TGS exchange per host.
func TestOneTGTPerRunOneTicketPerHost(t *testing.T) {
	d := testdomain.Start(t)
	const hosts = 4
	f := joinedFleet(t, d, hosts, nil)
	counter := newKDCCounter(t, net.JoinHostPort(d.Addr, "88"))
	conf := filepath.Join(t.TempDir(), "krb5.conf")
	writeConf(t, conf, fmt.Sprintf("[libdefaults]\n default_realm = %s\n dns_lookup_kdc = false\n udp_preference_limit = 1\n[realms]\n %s = {\n  kdc = %s\n }\n",
		testdomain.Realm, testdomain.Realm, counter.ln.Addr()))
	cache := remote.NewKerberosCache()
	defer cache.Close()
	opts := fastOptions()
	opts.Kerberos = cache
	for round := range 2 {
		for _, h := range f.Hosts() {
			ep := kerberosEndpoint(f, h, d, false)
			ep.Kerberos.ConfigFile = conf
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			s, err := remote.Open(ctx, ep, remote.Credentials{User: "Administrator", Password: d.AdminPassword()}, opts)
			if err != nil {
				cancel()
				t.Fatalf("round %d, %s: %v", round, h.Plan.Name, err)
			}
			if _, err := s.Run(ctx, remote.Command{Line: "hostname"}); err != nil {
				t.Errorf("round %d, %s: %v", round, h.Plan.Name, err)
			}
			s.Close()
			cancel()
		}
	}
	if as, tgs := counter.as.Load(), counter.tgs.Load(); as != 1 || tgs != hosts {
		t.Errorf("the KDC issued %d TGTs and %d service tickets, want 1 and %d", as, tgs, hosts)
	}
}

// TestOneTGTWhenSessionsStartTogether: the sessions of a run start at once
// (collection opens a connection to every host of a batch together); with
// a password they still share one AS exchange, the others waiting for its
// TGT, each host gets one service ticket, and no more than 8 exchanges
// wait at the KDC at once (a KDC answers one by one; hundreds at once
// outwaited the client's deadline).
func TestOneTGTWhenSessionsStartTogether(t *testing.T) {
	d := testdomain.Start(t)
	const hosts = 20
	f := joinedFleet(t, d, hosts, nil)
	counter := newKDCCounter(t, net.JoinHostPort(d.Addr, "88"))
	conf := filepath.Join(t.TempDir(), "krb5.conf")
	writeConf(t, conf, fmt.Sprintf("[libdefaults]\n default_realm = %s\n dns_lookup_kdc = false\n udp_preference_limit = 1\n[realms]\n %s = {\n  kdc = %s\n }\n",
		testdomain.Realm, testdomain.Realm, counter.ln.Addr()))
	cache := remote.NewKerberosCache()
	defer cache.Close()
	opts := fastOptions()
	opts.Kerberos = cache
	start := make(chan struct{})
	errs := make(chan error, hosts)
	for _, h := range f.Hosts() {
		go func() {
			<-start
			ep := kerberosEndpoint(f, h, d, false)
			ep.Kerberos.ConfigFile = conf
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s, err := remote.Open(ctx, ep, remote.Credentials{User: "Administrator", Password: d.AdminPassword()}, opts)
			if err == nil {
				_, err = s.Run(ctx, remote.Command{Line: "hostname"})
				s.Close()
			}
			errs <- err
		}()
	}
	close(start)
	for range hosts {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if as, tgs := counter.as.Load(), counter.tgs.Load(); as != 1 || tgs != hosts {
		t.Errorf("the KDC issued %d TGTs and %d service tickets, want 1 and %d", as, tgs, hosts)
	}
	// 8 slots. The relay counts an exchange from the client's connection
	// to the last byte of the reply, within the client's slot, but its
	// goroutine may count the end only after the client has read the
	// reply, freed the slot and connected again: two of slack.
	if m := counter.maxInFlight.Load(); m > 10 {
		t.Errorf("%d exchanges with the KDC at once, want at most 8 (10 with the relay's lag)", m)
	}
}

// TestKDCOverTCPOnly: with a krb5.conf that leaves udp_preference_limit
// alone (as the test domain's and most do), the run asks the KDC over TCP
// only: a domain's tickets do not fit UDP, and under load the UDP round's
// KRB_ERR_RESPONSE_TOO_BIG failed hosts instead of falling back.
func TestKDCOverTCPOnly(t *testing.T) {
	d := testdomain.Start(t)
	f := joinedFleet(t, d, 2, nil)
	counter := newKDCCounter(t, net.JoinHostPort(d.Addr, "88"))
	// A UDP socket on the relay's port, that counts what it gets and
	// never answers.
	udp, err := net.ListenPacket("udp", counter.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	var datagrams atomic.Int64
	go func() {
		buf := make([]byte, 65536)
		for {
			if _, _, err := udp.ReadFrom(buf); err != nil {
				return
			}
			datagrams.Add(1)
		}
	}()
	conf := filepath.Join(t.TempDir(), "krb5.conf")
	writeConf(t, conf, fmt.Sprintf("[libdefaults]\n default_realm = %s\n dns_lookup_kdc = false\n[realms]\n %s = {\n  kdc = %s\n }\n",
		testdomain.Realm, testdomain.Realm, counter.ln.Addr()))
	cache := remote.NewKerberosCache()
	defer cache.Close()
	opts := fastOptions()
	opts.Kerberos = cache
	for _, h := range f.Hosts() {
		ep := kerberosEndpoint(f, h, d, false)
		ep.Kerberos.ConfigFile = conf
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		s, err := remote.Open(ctx, ep, remote.Credentials{User: "Administrator", Password: d.AdminPassword()}, opts)
		if err == nil {
			_, err = s.Run(ctx, remote.Command{Line: "hostname"})
			s.Close()
		}
		cancel()
		if err != nil {
			t.Errorf("%s: %v", h.Plan.Name, err)
		}
	}
	if n := datagrams.Load(); n != 0 {
		t.Errorf("%d requests went to the KDC over UDP", n)
	}
	if as, tgs := counter.as.Load(), counter.tgs.Load(); as != 1 || tgs != 2 {
		t.Errorf("over TCP the KDC issued %d TGTs and %d service tickets, want 1 and 2", as, tgs)
	}
}

// TestSlowKDCIsNotTheHostsTimeout: a KDC that takes longer to answer than
// the connect timeout (a busy domain controller, or the run's queue for
// it) does not fail the host: the ticket is fetched before the connection,
// within the request's deadline, and ConnectTimeout bounds the host alone.
func TestSlowKDCIsNotTheHostsTimeout(t *testing.T) {
	d := testdomain.Start(t)
	f := joinedFleet(t, d, 1, nil)
	counter := newKDCCounter(t, net.JoinHostPort(d.Addr, "88"))
	counter.delay.Store(int64(1500 * time.Millisecond))
	conf := filepath.Join(t.TempDir(), "krb5.conf")
	writeConf(t, conf, fmt.Sprintf("[libdefaults]\n default_realm = %s\n dns_lookup_kdc = false\n[realms]\n %s = {\n  kdc = %s\n }\n",
		testdomain.Realm, testdomain.Realm, counter.ln.Addr()))
	cache := remote.NewKerberosCache()
	defer cache.Close()
	opts := fastOptions()
	opts.Kerberos = cache
	opts.ConnectTimeout, opts.RequestTimeout = time.Second, 10*time.Second
	ep := kerberosEndpoint(f, f.Hosts()[0], d, false)
	ep.Kerberos.ConfigFile = conf
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := remote.Open(ctx, ep, remote.Credentials{User: "Administrator", Password: d.AdminPassword()}, opts)
	if err == nil {
		_, err = s.Run(ctx, remote.Command{Line: "hostname"})
		s.Close()
	}
	if err != nil {
		t.Fatalf("a KDC slower than the connect timeout failed the host: %v", err)
	}
}
