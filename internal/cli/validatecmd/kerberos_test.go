package validatecmd

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/internal/testdomain"
)

func TestMain(m *testing.M) { testdomain.Main(m) }

// TestValidateChecksKerberosCredentials: validate checks where a kerberos
// or negotiate host's ticket comes from, located at the setting: a keytab
// must be readable, name its user and hold that user's key (one exported
// by the test domain); a credential cache without a ticket, or with an
// expired one (kinit asked the KDC for 5 seconds), is a warning that says
// to run kinit; a negotiate host whose krb5.conf is unusable gets a
// warning that it will use NTLM, not an error.
func TestValidateChecksKerberosCredentials(t *testing.T) {
	d := testdomain.Start(t)
	dir := t.TempDir()
	keytab := filepath.Join(dir, "administrator.keytab")
	if out, err := exec.Command("samba-tool", "domain", "exportkeytab", keytab, "--principal=Administrator",
		"-s", filepath.Join(d.Dir, "etc", "smb.conf")).CombinedOutput(); err != nil {
		t.Fatalf("samba-tool domain exportkeytab: %v: %s", err, out)
	}
	valid := d.Kinit(t, "Administrator", d.AdminPassword())
	expired := filepath.Join(dir, "expired.ccache")
	cmd := exec.Command("kinit", "-l", "5s", "Administrator")
	cmd.Env = append(os.Environ(), "KRB5_CONFIG="+d.Krb5Conf, "KRB5CCNAME=FILE:"+expired)
	cmd.Stdin = strings.NewReader(d.AdminPassword() + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kinit -l 5s: %v: %s", err, out)
	}
	started := time.Now()
	garbage := write(t, dir, "garbage.keytab", "not a keytab\n")

	type want struct {
		fails   bool
		summary string // "" means no diagnostic at all
		detail  string
		line    int // of the inventory
	}
	cases := []struct {
		name     string
		settings string // the defaults block's Kerberos lines
		want     want
	}{
		{"keytab with the user's key", `keytab = "` + keytab + `"` + "\n  user = \"Administrator@FLEET.TEST\"", want{}},
		{"keytab without the user's key", `keytab = "` + keytab + `"` + "\n  user = \"collector@FLEET.TEST\"",
			want{true, "Unusable keytab", "collector@FLEET.TEST", 4}},
		{"not a keytab", `keytab = "` + garbage + `"` + "\n  user = \"Administrator@FLEET.TEST\"",
			want{true, "Unusable keytab", "garbage.keytab", 4}},
		{"keytab without a user", `keytab = "` + keytab + `"`, want{true, "Keytab without a user", "Set user", 4}},
		{"ticket in the cache", `ccache = "` + valid + `"`, want{}},
		{"no ticket", `ccache = "` + filepath.Join(dir, "none") + `"`, want{false, "No usable Kerberos ticket", "kinit", 4}},
		{"expired ticket", `ccache = "` + expired + `"`, want{false, "No usable Kerberos ticket", "expired", 4}},
	}
	if d := time.Until(started.Add(6 * time.Second)); d > 0 {
		time.Sleep(d) // the 5-second ticket has expired
	}
	check := func(t *testing.T, inv string, w want) {
		t.Helper()
		opts := &Options{Shared: cmdutil.Shared{NoBuiltin: true}}
		opts.Shared.Inventory = inv
		opts.Shared.Policies = filepath.Join(dir, "none")
		opts.set = func(n string) bool { return n == "inventory" }
		_, errOut, err := run(t, opts)
		if (err != nil) != w.fails {
			t.Fatalf("err = %v, want failure %v\n%s", err, w.fails, errOut)
		}
		if w.summary == "" {
			if strings.Contains(errOut, "Kerberos") || strings.Contains(errOut, "keytab") {
				t.Errorf("unexpected diagnostic:\n%s", errOut)
			}
			return
		}
		for _, s := range []string{w.summary, w.detail, "inventory.hcl line " + strconv.Itoa(w.line)} {
			if !strings.Contains(errOut, s) {
				t.Errorf("output lacks %q:\n%s", s, errOut)
			}
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inv := write(t, dir, strings.ReplaceAll(c.name, " ", "-")+"/inventory.hcl", "defaults {\n  auth = \"kerberos\"\n  krb5_conf = \""+d.Krb5Conf+"\"\n  "+
				c.settings+"\n  kerberos_name = \"${host.name}.fleet.test\"\n}\n\nhost \"web01\" {\n  address = \"10.0.0.1\"\n}\n")
			check(t, inv, c.want)
		})
	}
	t.Run("negotiate with an unusable krb5.conf", func(t *testing.T) {
		inv := write(t, dir, "negotiate/inventory.hcl", "defaults {\n  auth = \"negotiate\"\n  krb5_conf = \""+filepath.Join(dir, "absent.conf")+
			"\"\n  user = env(\"FP_TEST_USER\")\n  password = env(\"FP_TEST_PASSWORD\")\n  kerberos_name = \"${host.name}.fleet.test\"\n}\n\nhost \"web01\" {\n  address = \"10.0.0.1\"\n}\n")
		check(t, inv, want{false, "Unusable Kerberos configuration", "NTLM", 3})
	})
}

// TestValidateRealmOfTheUser: the realm of a "name@corp.example" user is
// the one sessions use when no realm is set, so it must be one the
// krb5.conf knows.
func TestValidateRealmOfTheUser(t *testing.T) {
	dir := t.TempDir()
	conf := write(t, dir, "krb5.conf", "[libdefaults]\n  default_realm = CORP.EXAMPLE\n[realms]\n  CORP.EXAMPLE = {\n    kdc = dc1.corp.example\n  }\n")
	for _, c := range []struct{ user, want string }{
		{"svc-fleetport@corp.example", ""},
		{"svc-fleetport@other.example", "OTHER.EXAMPLE"},
	} {
		inv := write(t, dir, c.user+"/inventory.hcl", "defaults {\n  auth = \"kerberos\"\n  krb5_conf = \""+conf+"\"\n  user = \""+c.user+
			"\"\n  password = env(\"FP_TEST_PASSWORD\")\n  kerberos_name = \"${host.name}.corp.example\"\n}\n\nhost \"web01\" {\n  address = \"10.0.0.1\"\n}\n")
		opts := &Options{Shared: cmdutil.Shared{NoBuiltin: true}}
		opts.Shared.Inventory = inv
		opts.Shared.Policies = filepath.Join(dir, "none")
		opts.set = func(n string) bool { return n == "inventory" }
		_, errOut, err := run(t, opts)
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v\n%s", c.user, err, errOut)
			}
			continue
		}
		if err == nil || !strings.Contains(errOut, "Unusable Kerberos configuration") || !strings.Contains(errOut, c.want) {
			t.Errorf("%s: err %v\n%s", c.user, err, errOut)
		}
	}
}
