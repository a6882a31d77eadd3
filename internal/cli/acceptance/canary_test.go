package acceptance

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/sim/simtest"
)

// canary is the fleet's password in TestSecretCanary. Its "!" makes the
// unquoted form a syntax error ("Missing newline"), as a real password's
// punctuation would.
const canary = "Fl33t-Canary!x9"

// changeCanary is the change account's password (change_user,
// change_password): apply logs on with it, and it never shows either.
const changeCanary = "Ch4nge-Canary!q7"

// TestSecretCanary writes one secret, the password of a simulated fleet,
// in every wrong way a user does (misspelt argument names in any case,
// an unquoted value, tonumber() of it) and the right way (env() that
// resolves to it, which collect, drift, plan and apply then use to log
// on), and runs every command that reads the inventory, in text and JSON
// and with -v: the secret never appears in any output.
func TestSecretCanary(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over WinRM")
	}
	sc := simtest.Scenario(3)
	sc.HTTPSPort = 0
	// A drift apply fixes at once (no reboot), so that apply logs on.
	sc.OSMix = map[string]float64{"2019": 1}
	sc.Drift = []sim.Drift{{Kind: sim.DriftDynamicRangeDefault, Share: 100}}
	f, err := sim.New(sim.Options{Scenario: sc, Dir: t.TempDir(), Accounts: map[string]string{sim.DemoUser: canary, "changer": changeCanary}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	var buf bytes.Buffer
	if err := f.WriteInventory(&buf, sim.InventoryOptions{}); err != nil {
		t.Fatal(err)
	}
	// The fleet's groups and hosts as the simulator lists them, with the
	// credentials read from variables of the test's own.
	good := strings.NewReplacer(`env("`+sim.EnvUser+`")`, `env("CANARY_USER")`,
		`env("`+sim.EnvPassword+`")`, `env("CANARY_PASSWORD")`).Replace(buf.String())
	if !strings.Contains(good, "CANARY_PASSWORD") {
		t.Fatalf("the simulator's inventory has no password reference to replace:\n%s", good)
	}
	// Changes log on as another account, whose password is another canary.
	good = strings.Replace(good, "defaults {\n", "defaults {\n  change_user     = \"changer\"\n  change_password = env(\"CANARY_CHANGE_PASSWORD\")\n", 1)
	if !strings.Contains(good, "CANARY_CHANGE_PASSWORD") {
		t.Fatalf("the simulator's inventory has no defaults block:\n%s", good)
	}
	wrong := map[string]string{
		"misspelt": "host \"typo\" {\n  address = \"10.255.0.1\"\n  pasword = \"" + canary + "\"\n  passwd = \"" + canary +
			"\"\n  Password = \"" + canary + "\"\n  PASSWORD = \"" + canary + "\"\n  pass_word = \"" + canary + "\"\n}\n",
		"unquoted":       "host \"bare\" {\n  address = \"10.255.0.2\"\n  password = " + canary + "\n}\n",
		"tonumber":       "host \"num\" {\n  address = \"10.255.0.3\"\n  password = tonumber(\"" + canary + "\")\n}\n",
		"change-literal": "host \"lit\" {\n  address = \"10.255.0.4\"\n  change_user = \"changer\"\n  change_password = \"" + changeCanary + "\"\n}\n",
	}
	env := []string{"CANARY_USER=" + sim.DemoUser, "CANARY_PASSWORD=" + canary, "CANARY_CHANGE_PASSWORD=" + changeCanary}

	dir := t.TempDir()
	pol := filepath.Join(dir, "policies")
	if err := os.Mkdir(pol, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, pol, "web.hcl", []byte("policy \"tw\" {\n  description = \"TIME_WAIT delay\"\n  registry \"TcpTimedWaitDelay\" {\n    at_most = 30\n  }\n}\n"))

	invs := map[string]string{"good": good}
	for name, bad := range wrong {
		invs[name] = good + "\n" + bad
	}
	for name, src := range invs {
		invDir := filepath.Join(dir, "inv-"+name)
		if err := os.Mkdir(invDir, 0o755); err != nil {
			t.Fatal(err)
		}
		write(t, invDir, "fleet.hcl", []byte(src))
		db := filepath.Join(dir, name+".db")
		common := []string{"-i", invDir, "-p", pol}
		runs := [][]string{
			append([]string{"validate"}, common...),
			{"fmt", "--check", "--diff", invDir},
			{"inventory", "list", "-i", invDir},
			append([]string{"collect", "--store", db, "--timeout", "20s"}, common...),
			append([]string{"drift", "--store", db, "--timeout", "20s"}, common...),
			append([]string{"plan", "--store", db, "--timeout", "20s"}, common...),
			append([]string{"apply", "--yes", "--store", db, "--timeout", "20s", "--poll", "100ms"}, common...),
		}
		for _, args := range runs {
			variants := [][]string{args, append([]string{"-v"}, args...)}
			if args[0] != "fmt" {
				variants = append(variants, append(append([]string{"-v"}, args...), "--json"))
			}
			for _, a := range variants {
				r := run(t, dir, env, 90e9, a...)
				if strings.Contains(r.out+r.err, canary) || strings.Contains(r.out+r.err, changeCanary) {
					t.Errorf("%s inventory: fleetport %s shows the password\n%s", name, strings.Join(a, " "), r)
				}
				if name == "good" && a[0] == "apply" && len(a) == len(args) {
					auditChanges(t, f, r)
				}
				if name == "good" && a[0] == "collect" && r.code != 0 {
					t.Errorf("good inventory: fleetport %s: exit %d: the fleet should be reachable with the password\n%s", strings.Join(a, " "), r.code, r)
				}
				if name != "good" && a[0] == "validate" && r.code != 1 {
					t.Errorf("%s inventory: validate exit %d, want 1\n%s", name, r.code, r)
				}
				if name == "misspelt" && a[0] == "validate" && strings.Count(r.out+r.err, `Did you mean \"password\"?`)+strings.Count(r.out+r.err, `Did you mean "password"?`) < 5 {
					t.Errorf("misspelt password arguments without a did-you-mean for each\n%s", r)
				}
			}
		}
	}
}

// auditChanges checks, right after an apply, that the hosts were changed
// as the change account and read as the read account.
func auditChanges(t *testing.T, f *sim.Fleet, r result) {
	t.Helper()
	// apply changed the hosts as the change account; collection read as
	// the read account.
	var changes int
	for _, h := range f.Hosts() {
		for _, e := range h.Model.Audit() {
			l := strings.ToLower(e.Line)
			change := strings.HasPrefix(l, "reg add") || strings.HasPrefix(l, "net stop") || strings.HasPrefix(l, "netsh http add") || strings.HasPrefix(l, "netsh int") && strings.Contains(l, " set ")
			switch {
			case e.Task:
			case change && !strings.EqualFold(e.User, "changer"):
				t.Errorf("%s: %q ran as %q, not the change account", h.Plan.Name, e.Line, e.User)
			case change:
				changes++
			case strings.HasPrefix(l, "netstat") && !strings.EqualFold(e.User, sim.DemoUser):
				t.Errorf("%s: %q ran as %q, not the read account", h.Plan.Name, e.Line, e.User)
			}
		}
	}
	if changes == 0 {
		t.Errorf("apply changed nothing: the fleet should drift\n%s", r)
	}
}
