package acceptance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/sim/adjoin"
	"github.com/fleetport/fleetport/internal/sim/simtest"
	"github.com/fleetport/fleetport/internal/sim/winhost"
	"github.com/fleetport/fleetport/internal/store"
	"github.com/fleetport/fleetport/internal/testdomain"
)

// TestKerberosDomainFleet is the domain fleet end to end, with the real
// binary: the test domain (Samba AD DC), 50 simulated hosts of mixed
// releases joined to it, AllowUnencrypted = false, NTLM refused by some.
// A least-privilege read account (a domain user in a domain group that
// the hosts put in Remote Management Users) collects every host with
// auth = "kerberos" over http, with a ticket cache made by kinit, with a
// keytab the domain exported, and with a password; its apply is refused
// on every host, saying so, and changes nothing; plan, then apply with a
// separate change credential (a domain user in a group the hosts put in
// Administrators), fixes the fleet, every change made as that account.
func TestKerberosDomainFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end with the test domain")
	}
	start := time.Now()
	d := testdomain.Start(t)
	const readerPass, changerPass = "Rd-Acc3ptance!Pass", "Ch-Acc3ptance!Pass"
	d.AddUser(t, "fp-reader", readerPass)
	d.AddGroup(t, "fp-readers", "fp-reader")
	d.AddUser(t, "fp-changer", changerPass)
	d.AddGroup(t, "fp-changers", "fp-changer")

	const n = 50
	sc := simtest.Scenario(n)
	sc.HTTPSPort = 0
	sc.AllowUnencrypted = false
	sc.OSMix = map[string]float64{"2008r2": 1, "2012r2": 1, "2016": 1, "2019": 1, "2022": 1}
	sc.Drift = []sim.Drift{{Kind: sim.DriftDynamicRangeDefault, Share: 100}}
	sc.RemoteManagementUsers = []string{`FLEET\fp-readers`}
	sc.Administrators = []string{`FLEET\fp-changers`}
	plans, err := sc.Plan()
	if err != nil {
		t.Fatal(err)
	}
	var noNTLM []string
	for i := 0; i < n; i += 5 {
		noNTLM = append(noNTLM, plans[i].Name)
	}
	sc.Faults = []sim.Fault{{Kind: sim.FaultNTLMRefused, Hosts: noNTLM}}
	f, err := sim.New(sim.Options{Scenario: sc, Dir: t.TempDir(), Domain: &adjoin.Directory{URL: d.LDAPURL(), ServerName: d.ServerName(),
		CAFile: d.CAFile, Realm: testdomain.Realm, User: "Administrator@" + testdomain.DNSName, Password: d.AdminPassword()}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	t.Logf("domain, accounts and %d joined hosts ready in %v", n, time.Since(start).Round(time.Millisecond))

	dir := t.TempDir()
	ccache := d.Kinit(t, "fp-reader", readerPass)
	keytab := filepath.Join(dir, "fp-reader.keytab")
	if out, err := exec.Command("samba-tool", "domain", "exportkeytab", keytab, "--principal=fp-reader",
		"-s", filepath.Join(d.Dir, "etc", "smb.conf")).CombinedOutput(); err != nil {
		t.Fatalf("samba-tool domain exportkeytab: %v: %s", err, out)
	}
	var hosts strings.Builder
	for _, h := range f.Hosts() {
		fmt.Fprintf(&hosts, "\nhost %q {\n  address = %q\n}\n", h.Plan.Name, h.Plan.Addr)
	}
	inventory := func(name, creds string) string {
		invDir := filepath.Join(dir, "inv-"+name)
		if err := os.Mkdir(invDir, 0o755); err != nil {
			t.Fatal(err)
		}
		src := fmt.Sprintf("defaults {\n  transport     = \"http\"\n  port          = %d\n  auth          = \"kerberos\"\n  krb5_conf     = %q\n  kerberos_name = \"${host.name}.fleet.test\"\n%s}\n%s",
			sc.HTTPPort, d.Krb5Conf, creds, hosts.String())
		write(t, invDir, "fleet.hcl", []byte(src))
		return invDir
	}
	invs := map[string]string{
		"ccache":   inventory("ccache", fmt.Sprintf("  ccache        = %q\n", ccache)),
		"keytab":   inventory("keytab", fmt.Sprintf("  user          = \"fp-reader\"\n  realm         = \"FLEET.TEST\"\n  keytab        = %q\n", keytab)),
		"password": inventory("password", "  user          = \"fp-reader@fleet.test\"\n  password      = env(\"FP_READER_PASSWORD\")\n"),
		"change": inventory("change", "  user            = \"fp-reader@fleet.test\"\n  password        = env(\"FP_READER_PASSWORD\")\n"+
			"  change_user     = \"fp-changer@fleet.test\"\n  change_password = env(\"FP_CHANGER_PASSWORD\")\n"),
	}
	pol := filepath.Join(dir, "policies")
	if err := os.Mkdir(pol, 0o755); err != nil {
		t.Fatal(err)
	}
	// The built-in pack's dynamic port range policy alone: its fix applies
	// at once.
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "examples", "policies", "builtin", "ephemeral_ports.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte(`policy "dynamic_port_range"`))
	j := bytes.Index(b, []byte(`policy "time_wait_pressure"`))
	if i < 0 || j < i {
		t.Fatal("the built-in pack has no dynamic_port_range policy")
	}
	write(t, pol, "ports.hcl", b[i:j])
	db := filepath.Join(dir, "fleetport.db")
	// KRB5CCNAME points nowhere: each inventory names where its tickets
	// come from.
	env := []string{"FP_READER_PASSWORD=" + readerPass, "FP_CHANGER_PASSWORD=" + changerPass, "KRB5CCNAME=FILE:" + filepath.Join(dir, "none")}
	fleetport := func(args ...string) result {
		t.Helper()
		r := run(t, dir, env, 3*time.Minute, args...)
		for _, secret := range []string{readerPass, changerPass, d.AdminPassword()} {
			if strings.Contains(r.out+r.err, secret) {
				t.Errorf("fleetport %s shows a password\n%s", strings.Join(args, " "), r)
			}
		}
		return r
	}

	for _, name := range []string{"ccache", "keytab", "password"} {
		began := time.Now()
		r := fleetport("collect", "-i", invs[name], "-p", pol, "--no-builtin", "--store", db, "--timeout", "60s", "--json")
		var sum struct {
			Hosts    int            `json:"hosts"`
			ByStatus map[string]int `json:"by_status"`
		}
		if err := json.Unmarshal([]byte(r.out), &sum); err != nil || r.code != 2 && r.code != 0 || sum.Hosts != n || sum.ByStatus["ok"] != n {
			t.Fatalf("collect with the read account's %s: every host should be ok (%v)\n%s", name, err, r)
		}
		t.Logf("collect, %s: %d hosts ok in %v", name, n, time.Since(began).Round(time.Millisecond))
	}
	logons := 0
	for _, h := range f.Hosts() {
		logons += int(h.Endpoint.Stats().KerberosLogons)
	}
	if logons < 3*n {
		t.Errorf("%d Kerberos logons for 3 collections of %d hosts", logons, n)
	}

	// The read account plans, and its apply is refused on every host.
	r := fleetport("plan", "-i", invs["password"], "-p", pol, "--no-builtin", "--store", db, "--timeout", "60s")
	if r.code != 2 || !strings.Contains(r.err+r.out, fmt.Sprintf("%d hosts", n)) {
		t.Fatalf("plan: every host drifts\n%s", r)
	}
	r = fleetport("apply", "-i", invs["password"], "-p", pol, "--no-builtin", "--store", db, "--timeout", "60s", "--yes", "--stages", "100%",
		"--max-failures", "100%", "--parallel", "25", "--poll", "100ms")
	refused := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)stage 1 (\S+) +host +failed +\S+: refused: the account has no administrator rights on (\S+) `).FindAllStringSubmatch(r.err, -1) {
		if m[1] == m[2] {
			refused[m[1]] = true
		}
	}
	if len(refused) != n {
		t.Errorf("apply as the read account: %d hosts refused for want of rights, want %d\n%s", len(refused), n, r)
	}
	if !regexp.MustCompile(`0 fixed, \d+ failed`).MatchString(r.out) {
		t.Errorf("apply as the read account fixed something\n%s", r)
	}
	checkRange := func(want string) {
		t.Helper()
		for _, h := range f.Hosts() {
			var out bytes.Buffer
			h.Model.Exec(context.Background(), winhost.Command{Line: "netsh int ipv4 show dynamicport tcp", Stdout: &out})
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s: the dynamic port range should start at %s:\n%s", h.Plan.Name, want, out.String())
			}
		}
	}
	checkRange("49152") // nothing changed

	// Plan, then apply with the change credential: every host fixed, every
	// change made as the change account.
	planFile := filepath.Join(dir, "plan.json")
	r = fleetport("plan", "-i", invs["change"], "-p", pol, "--no-builtin", "--store", db, "--timeout", "60s", "--out", planFile)
	if r.code != 2 {
		t.Fatalf("plan with the change inventory\n%s", r)
	}
	// The policies' rollout block: a canary, then the rest after a wait,
	// during which the apply is aborted; resume finishes it.
	write(t, pol, "rollout.hcl", []byte("rollout {\n  stages = [\"1\", \"100%\"]\n  wait   = \"3s\"\n}\n"))
	began := time.Now()
	done := make(chan result, 1)
	go func() {
		done <- run(t, dir, env, 3*time.Minute, "apply", "-i", invs["change"], "-p", pol, "--no-builtin", "--store", db, "--timeout", "60s",
			"--plan", planFile, "--yes", "--parallel", "25", "--poll", "100ms")
	}()
	waitFor(t, db, 2, "wait")
	if r := fleetport("rollout", "abort", "2", "--store", db); r.code != 0 {
		t.Fatalf("abort\n%s", r)
	}
	if r = <-done; r.code != 1 || !strings.Contains(r.out, "aborted") || !strings.Contains(r.out, "1 fixed") {
		t.Fatalf("the aborted apply\n%s", r)
	}
	r = fleetport("rollout", "resume", "2", "--store", db, "--yes", "--parallel", "25", "--poll", "100ms")
	if r.code != 0 || !strings.Contains(r.out, fmt.Sprintf("rollout 2 complete: %d fixed, 0 failed", n)) {
		t.Fatalf("resume with the change credential\n%s", r)
	}
	t.Logf("apply (aborted after its canary) and resume with the change credential: %d hosts fixed in %v", n, time.Since(began).Round(time.Millisecond))
	checkRange("10000")
	asChanger := func(what string) {
		t.Helper()
		for _, h := range f.Hosts() {
			for _, e := range h.Model.Audit() {
				if strings.Contains(strings.ToLower(e.Line), " set dynamicport") && e.ExitCode == 0 && !strings.EqualFold(e.User, "fp-changer") {
					t.Errorf("%s: %s: %q ran as %q, not the change account", what, h.Plan.Name, e.Line, e.User)
				}
			}
		}
	}
	asChanger("apply and resume")
	r = fleetport("plan", "-i", invs["ccache"], "-p", pol, "--no-builtin", "--store", db, "--timeout", "60s")
	if r.code != 0 {
		t.Errorf("plan after the apply: nothing should be left to fix\n%s", r)
	}
	// Rollback, with the change credential too.
	r = fleetport("rollout", "rollback", "2", "--store", db, "--yes", "--parallel", "25", "--poll", "100ms")
	if r.code != 0 || !strings.Contains(r.out, fmt.Sprintf("%d fixed, 0 failed", n)) {
		t.Fatalf("rollback with the change credential\n%s", r)
	}
	checkRange("49152")
	asChanger("rollback")
	// No password in the store (its database and journal files) or the
	// plan file.
	files, _ := filepath.Glob(db + "*")
	for _, p := range append(files, planFile) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{readerPass, changerPass, d.AdminPassword()} {
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("%s holds a password", p)
			}
		}
	}
	t.Logf("the whole test: %v", time.Since(start).Round(time.Millisecond))
}

// waitFor waits until the last journal entry of rollout id is a stage in
// state (such as "wait", between stages).
func waitFor(t *testing.T, db string, id int64, state string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		st, err := store.Open(context.Background(), db)
		if err == nil {
			evs, _ := st.Events(context.Background(), id)
			st.Close()
			if len(evs) > 0 && evs[len(evs)-1].Step == "stage" && evs[len(evs)-1].State == state {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("rollout %d never reached a stage %s", id, state)
}
