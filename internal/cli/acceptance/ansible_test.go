package acceptance

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/sim/simtest"
)

// TestImportAnsibleThenCollect is an operator's path from an Ansible
// inventory: a hand-written INI file for a simulated fleet (names that are
// not the simulator's, children groups, the password in ansible_password as
// teams do write it) is imported; `inventory list --json` agrees with
// `ansible-inventory --list` host for host and group for group; the
// password is nowhere in the output or the file; and collect over WinRM
// with the converted inventory reaches every host.
func TestImportAnsibleThenCollect(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over WinRM")
	}
	if _, err := exec.LookPath("ansible-inventory"); err != nil {
		t.Skip("ansible-inventory is not installed (scripts/test installs ansible-core)")
	}
	sc := simtest.Scenario(6)
	sc.HTTPSPort = 0
	f, err := sim.New(sim.Options{Scenario: sc, Dir: t.TempDir(), Accounts: map[string]string{sim.DemoUser: canary}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	names := []string{"fe-paris-1", "fe-paris-2", "relay-lyon", "relay-nice", "batch-7", "db-old"}
	groups := map[string]string{"fe-paris-1": "frontends", "fe-paris-2": "frontends", "relay-lyon": "relays",
		"relay-nice": "relays", "batch-7": "batch", "db-old": "batch"}
	var ini strings.Builder
	for _, g := range []string{"frontends", "relays", "batch"} {
		fmt.Fprintf(&ini, "[%s]\n", g)
		for i, h := range f.Hosts() {
			if groups[names[i]] == g {
				fmt.Fprintf(&ini, "%s ansible_host=%s\n", names[i], h.Plan.Addr)
			}
		}
		ini.WriteString("\n")
	}
	fmt.Fprintf(&ini, "[prod:children]\nfrontends\nrelays\n\n[all:vars]\nansible_connection=winrm\nansible_port=%d\n"+
		"ansible_winrm_scheme=http\nansible_winrm_transport=ntlm\nansible_user=%s\nansible_password=%s\n",
		sc.HTTPPort, sim.DemoUser, canary)

	dir := t.TempDir()
	write(t, dir, "hosts", []byte(ini.String()))
	r := run(t, dir, nil, time.Minute, "inventory", "import", "ansible", "hosts", "-o", "fleet.hcl")
	if r.code != 0 {
		t.Fatalf("import:\n%s", r)
	}
	hcl, err := os.ReadFile(filepath.Join(dir, "fleet.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{r.out, r.err, string(hcl)} {
		if strings.Contains(text, canary) {
			t.Fatalf("the password is shown:\n%s\n%s", r, hcl)
		}
	}
	if !strings.Contains(r.err, "converted 6 hosts in 4 groups") || !strings.Contains(r.err, "FLEETPORT_PASSWORD") {
		t.Errorf("import report:\n%s", r.err)
	}
	// Importing again does not overwrite the file.
	if again := run(t, dir, nil, time.Minute, "inventory", "import", "ansible", "hosts", "-o", "fleet.hcl"); again.code != 1 || !strings.Contains(again.err, "--force") {
		t.Errorf("a second import over the file:\n%s", again)
	}

	// fleetport's reading of the converted file and Ansible's of the INI.
	list := run(t, dir, nil, time.Minute, "inventory", "list", "-i", "fleet.hcl", "--json")
	if list.code != 0 {
		t.Fatalf("inventory list:\n%s", list)
	}
	var hosts []struct {
		Name    string
		Address string
		Port    int
		Groups  []string
	}
	if err := json.Unmarshal([]byte(list.out), &hosts); err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, h := range hosts {
		sort.Strings(h.Groups)
		got[h.Name] = h.Groups
	}
	if want := ansibleHostGroups(t, dir, "hosts"); !reflect.DeepEqual(got, want) {
		t.Errorf("fleetport lists %v\nAnsible lists %v", got, want)
	}

	env := []string{"FLEETPORT_USER=" + sim.DemoUser, "FLEETPORT_PASSWORD=" + canary}
	pol := filepath.Join(dir, "policies")
	if err := os.Mkdir(pol, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, pol, "tw.hcl", []byte("policy \"tw\" {\n  description = \"TIME_WAIT delay\"\n  registry \"TcpTimedWaitDelay\" {\n    at_most = 30\n  }\n}\n"))
	c := run(t, dir, env, 2*time.Minute, "collect", "-i", "fleet.hcl", "-p", pol, "--store", filepath.Join(dir, "s.db"), "--timeout", "30s")
	if c.code != 0 || !strings.Contains(c.out, "6 hosts") || !strings.Contains(c.out, "ok 6") {
		t.Errorf("collect with the converted inventory:\n%s", c)
	}
	if strings.Contains(c.out+c.err, canary) {
		t.Errorf("collect shows the password:\n%s", c)
	}
}

// ansibleHostGroups returns each host's groups, children followed, as
// `ansible-inventory --list` reads path.
func ansibleHostGroups(t *testing.T, dir, path string) map[string][]string {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command("ansible-inventory", "-i", path, "--list")
	cmd.Dir = dir
	cmd.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "ANSIBLE_CONFIG=" + filepath.Join(home, "none.cfg"), "ANSIBLE_LOCAL_TEMP=" + home}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ansible-inventory: %v", err)
	}
	var list map[string]struct {
		Hosts    []string
		Children []string
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(out, &raw); err != nil {
		t.Fatal(err)
	}
	delete(raw, "_meta")
	b, _ := json.Marshal(raw)
	if err := json.Unmarshal(b, &list); err != nil {
		t.Fatal(err)
	}
	var members func(g string, depth int) []string
	members = func(g string, depth int) []string {
		out := append([]string{}, list[g].Hosts...)
		if depth < 20 {
			for _, c := range list[g].Children {
				out = append(out, members(c, depth+1)...)
			}
		}
		return out
	}
	got := map[string][]string{}
	for g := range list {
		for _, h := range members(g, 0) {
			if _, ok := got[h]; !ok {
				got[h] = []string{}
			}
			if g != "all" && g != "ungrouped" && !contains(got[h], g) {
				got[h] = append(got[h], g)
			}
		}
	}
	for h := range got {
		sort.Strings(got[h])
	}
	return got
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
