// Package testdomain starts a real Active Directory domain controller for
// tests: Samba as the DC of FLEET.TEST on a loopback address of its own,
// provisioned and started by scripts/testdomain. Nothing in fleetport's
// tests fakes a KDC; the Kerberos tests get their tickets from this one.
//
// A test binary starts at most one domain, on first use, and stops it when
// the binary ends; a package that uses it runs its tests through [Main]:
//
//	func TestMain(m *testing.M) { testdomain.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		d := testdomain.Start(t)
//		...
//	}
//
// Samba binds ports below 1024 and the domain's address is added to lo, so
// the domain needs root. Without root, or without Debian's Samba packages
// (which scripts/test installs as root), [Start] skips the test and says
// why; with FLEETPORT_REQUIRE_DOMAIN=1 it fails instead. When
// FLEETPORT_DOMAIN_TEMPLATE names a folder, the provisioned domain is kept
// there and copied, so that a run of scripts/test provisions once.
package testdomain

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The domain's fixed names.
const (
	Realm   = "FLEET.TEST"
	DNSName = "fleet.test"
	NetBIOS = "FLEET"
	BaseDN  = "DC=fleet,DC=test"
	// DCName is the domain controller's host name; its certificate is
	// for DCName + "." + DNSName.
	DCName = "dc"
)

// Domain is a running test domain.
type Domain struct {
	// Dir holds the domain's state, its krb5.conf and samba's output.
	Dir string
	// Addr is the loopback address the KDC and LDAP listen on.
	Addr string
	// Krb5Conf is a krb5.conf that names the KDC (no DNS lookups).
	Krb5Conf string
	// CAFile is the certificate authority of the DC's LDAPS certificate.
	CAFile string

	adminPassword string
	cmd           *exec.Cmd
	done          chan struct{}
	addedAddr     bool
}

// AdminPassword is the domain Administrator's password. Tests pass it to
// the code under test; nothing may print it.
func (d *Domain) AdminPassword() string { return d.adminPassword }

// LDAPURL is the DC's LDAPS address.
func (d *Domain) LDAPURL() string { return "ldaps://" + net.JoinHostPort(d.Addr, "636") }

// ServerName is the name on the DC's certificate.
func (d *Domain) ServerName() string { return DCName + "." + DNSName }

var (
	mu      sync.Mutex
	current *Domain
	failed  error
	skipped string
	inMain  bool
)

// Main runs the package's tests and stops the domain, if one was started,
// before the binary exits.
func Main(m *testing.M) { os.Exit(Wrap(m).Run()) }

// Wrap is [Main] for a TestMain that wraps m itself (goleak.VerifyTestMain
// takes it): its Run runs the tests and then stops the domain.
func Wrap(m *testing.M) interface{ Run() int } { return wrapped{m} }

type wrapped struct{ m *testing.M }

func (w wrapped) Run() int {
	mu.Lock()
	inMain = true
	mu.Unlock()
	code := w.m.Run()
	mu.Lock()
	if current != nil {
		current.stop()
		current = nil
	}
	mu.Unlock()
	return code
}

// Start returns the binary's domain, starting it on first use. It skips the
// test when the domain cannot run here (not root, Samba missing) and fails
// it when the domain should run but does not start.
func Start(t testing.TB) *Domain {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if !inMain {
		t.Fatal("testdomain.Start needs the package's TestMain to call testdomain.Main, which stops the domain")
	}
	switch {
	case current != nil:
		return current
	case failed != nil:
		t.Fatalf("the test domain did not start: %v", failed)
	case skipped != "":
		skipOrFail(t, skipped)
	}
	if why := unavailable(); why != "" {
		skipped = why
		skipOrFail(t, why)
	}
	d, err := start()
	if err != nil {
		failed = err
		t.Fatalf("the test domain did not start: %v", err)
	}
	current = d
	return d
}

func skipOrFail(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("FLEETPORT_REQUIRE_DOMAIN") == "1" {
		t.Fatalf("FLEETPORT_REQUIRE_DOMAIN=1 but %s", why)
	}
	t.Skip(why)
}

// unavailable says why the domain cannot run on this machine, or "".
func unavailable() string {
	if os.Geteuid() != 0 {
		return "the test domain (Samba AD DC) needs root: it binds the KDC's port 88 and adds its address to lo; run the tests as root (scripts/test does)"
	}
	if _, err := exec.LookPath("samba"); err != nil {
		if _, err := exec.LookPath("apt-get"); err != nil {
			return "the test domain needs Debian's samba packages and this machine has no apt-get"
		}
		// As root the script installs them.
	}
	return ""
}

// script is scripts/testdomain in the source tree this package was built from.
func script() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("cannot find the source tree")
	}
	p := filepath.Join(filepath.Dir(file), "..", "..", "scripts", "testdomain")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("scripts/testdomain: %w", err)
	}
	return p, nil
}

// start provisions (or copies the template) into a fresh folder and runs
// samba in the foreground as a child that dies with this process.
func start() (*Domain, error) {
	sc, err := script()
	if err != nil {
		return nil, err
	}
	// The folder outlives the test that first asked: Main removes it.
	dir, err := os.MkdirTemp("", "fleetport-domain-")
	if err != nil {
		return nil, err
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		d, err := run(sc, dir, addr)
		if err == nil {
			return d, nil
		}
		lastErr = err
	}
	os.RemoveAll(dir)
	return nil, lastErr
}

// freeAddr picks an address in 127.88.0.0/16 whose Kerberos and LDAP ports
// nobody holds: test binaries running side by side each get their own DC.
func freeAddr() (string, error) {
	for i := 0; i < 50; i++ {
		addr := fmt.Sprintf("127.88.%d.%d", 1+rand.IntN(254), 1+rand.IntN(254))
		free := true
		for _, port := range []string{"88", "389", "636"} {
			l, err := net.Listen("tcp", net.JoinHostPort(addr, port))
			if err != nil {
				free = false
				break
			}
			l.Close()
		}
		if free {
			return addr, nil
		}
	}
	return "", errors.New("no free address in 127.88.0.0/16 for the test domain")
}

func run(sc, dir, addr string) (*Domain, error) {
	hadAddr := addrOnLo(addr)
	out, err := os.Create(filepath.Join(dir, "samba.out"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(sc, "run", dir, addr)
	cmd.Stdout, cmd.Stderr = out, out
	// samba dies with the test binary, however it ends.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, err
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); out.Close(); close(done) }()
	d := &Domain{Dir: dir, Addr: addr, Krb5Conf: filepath.Join(dir, "krb5.conf"),
		CAFile: filepath.Join(dir, "tls", "ca.pem"), cmd: cmd, done: done, addedAddr: !hadAddr}
	// Provisioning takes about 10 s on a quiet machine, a copy of the
	// template none; samba itself starts in a few seconds.
	deadline := time.Now().Add(3 * time.Minute)
	for !d.ready() {
		select {
		case <-done:
			d.removeAddr()
			return nil, fmt.Errorf("scripts/testdomain run %s %s ended: %s", dir, addr, tail(filepath.Join(dir, "samba.out")))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			log := tail(filepath.Join(dir, "samba.out"))
			d.stop()
			return nil, fmt.Errorf("samba did not listen on %s within 3 minutes: %s", addr, log)
		}
	}
	pass, err := os.ReadFile(filepath.Join(dir, "admin.pass"))
	if err != nil {
		d.stop()
		return nil, err
	}
	d.adminPassword = strings.TrimSpace(string(pass))
	return d, nil
}

func (d *Domain) ready() bool {
	if _, err := os.Stat(d.Krb5Conf); err != nil {
		return false
	}
	c, err := net.DialTimeout("tcp", net.JoinHostPort(d.Addr, "88"), time.Second)
	if err != nil {
		return false
	}
	c.Close()
	// Ready means LDAPS answers with the DC's certificate.
	pem, err := os.ReadFile(d.CAFile)
	if err != nil {
		return false
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return false
	}
	tc, err := tls.DialWithDialer(&net.Dialer{Timeout: time.Second}, "tcp", net.JoinHostPort(d.Addr, "636"),
		&tls.Config{RootCAs: pool, ServerName: d.ServerName(), MinVersion: tls.VersionTLS12})
	if err != nil {
		return false
	}
	tc.Close()
	return true
}

// stop ends samba, takes the address off lo and removes the folder.
func (d *Domain) stop() {
	if d.cmd.Process != nil {
		d.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-d.done:
		case <-time.After(5 * time.Second):
			d.cmd.Process.Kill()
			<-d.done
		}
	}
	d.removeAddr()
	os.RemoveAll(d.Dir)
}

func (d *Domain) removeAddr() {
	if d.addedAddr {
		exec.Command("ip", "addr", "del", d.Addr+"/32", "dev", "lo").Run()
	}
}

func addrOnLo(addr string) bool {
	out, err := exec.Command("ip", "-o", "addr", "show", "dev", "lo").Output()
	return err == nil && bytes.Contains(out, []byte(" "+addr+"/"))
}

// tail is the end of a log, for an error message.
func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return strings.TrimSpace(string(b))
}

// Kinit gets a TGT for principal with MIT's kinit (the password on its
// standard input, never on a command line) into a new credential cache and
// returns the cache's path.
func (d *Domain) Kinit(t testing.TB, principal, password string) string {
	t.Helper()
	cache := filepath.Join(t.TempDir(), "ccache")
	cmd := exec.Command("kinit", principal)
	cmd.Env = append(os.Environ(), "KRB5_CONFIG="+d.Krb5Conf, "KRB5CCNAME=FILE:"+cache)
	cmd.Stdin = strings.NewReader(password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kinit %s: %v: %s", principal, err, out)
	}
	return cache
}

// StopKDC stops the domain controller (KDC and LDAP) for a test of a KDC
// that went away; the domain's state stays for [Domain.StartKDC].
func (d *Domain) StopKDC(t testing.TB) {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if d.cmd.Process != nil {
		_ = d.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-d.done:
		case <-time.After(10 * time.Second):
			_ = d.cmd.Process.Kill()
			<-d.done
		}
	}
	for i := 0; i < 50; i++ {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(d.Addr, "88"), 200*time.Millisecond)
		if err != nil {
			return
		}
		c.Close()
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("the KDC still answers after samba was stopped")
}

// StartKDC starts the domain controller again after [Domain.StopKDC].
func (d *Domain) StartKDC(t testing.TB) {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	sc, err := script()
	if err != nil {
		t.Fatal(err)
	}
	nd, err := run(sc, d.Dir, d.Addr)
	if err != nil {
		t.Fatalf("restart the test domain: %v", err)
	}
	d.cmd, d.done = nd.cmd, nd.done
}
