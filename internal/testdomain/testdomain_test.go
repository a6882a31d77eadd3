package testdomain_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"

	"github.com/fleetport/fleetport/internal/testdomain"
)

func TestMain(m *testing.M) { testdomain.Main(m) }

// TestKinitAgainstTheDomain gets a TGT from the domain with MIT's kinit and
// with gokrb5, the library fleetport's client is built on.
func TestKinitAgainstTheDomain(t *testing.T) {
	d := testdomain.Start(t)
	cache := d.Kinit(t, "administrator", d.AdminPassword())
	cmd := exec.Command("klist", "-c", "FILE:"+cache)
	cmd.Env = append(os.Environ(), "KRB5_CONFIG="+d.Krb5Conf)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("klist: %v: %s", err, out)
	}
	if !strings.Contains(string(out), "krbtgt/"+testdomain.Realm+"@"+testdomain.Realm) {
		t.Fatalf("klist shows no TGT:\n%s", out)
	}

	cfg, err := config.Load(d.Krb5Conf)
	if err != nil {
		t.Fatal(err)
	}
	cl := client.NewWithPassword("administrator", testdomain.Realm, d.AdminPassword(), cfg, client.DisablePAFXFAST(true))
	defer cl.Destroy()
	if err := cl.Login(); err != nil {
		t.Fatalf("gokrb5 login: %v", err)
	}
	bad := client.NewWithPassword("administrator", testdomain.Realm, "not-"+d.AdminPassword(), cfg, client.DisablePAFXFAST(true))
	defer bad.Destroy()
	if err := bad.Login(); err == nil {
		t.Fatal("a wrong password got a TGT")
	}
}

// TestOneDomainPerBinary: every caller gets the same running domain.
func TestOneDomainPerBinary(t *testing.T) {
	a, b := testdomain.Start(t), testdomain.Start(t)
	if a != b {
		t.Fatal("Start started a second domain")
	}
}
