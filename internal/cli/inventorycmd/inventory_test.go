package inventorycmd

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/inventory"
)

// simInventory writes the inventory `fleetport sim --inventory-out` writes
// for a small fleet, and returns its path and the fleet's plan.
func simInventory(t *testing.T, transport, auth string) (string, *sim.Fleet) {
	t.Helper()
	sc := sim.DefaultScenario()
	sc.Hosts = 12
	sc.AllowUnencrypted = auth == "basic"
	f, err := sim.New(sim.Options{Scenario: sc, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	var buf bytes.Buffer
	if err := f.WriteInventory(&buf, sim.InventoryOptions{Transport: transport, Auth: auth, CAFile: f.CAFile()}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sim.hcl")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, f
}

func TestListJSONOfTheSimulatorsInventory(t *testing.T) {
	for _, c := range []struct{ transport, auth string }{{"http", "ntlm"}, {"https", "basic"}} {
		path, f := simInventory(t, c.transport, c.auth)
		ios, _, out, errOut := cmdutil.Test()
		opts := &ListOptions{IO: ios}
		opts.Shared.Inventory = path
		opts.Shared.JSON = true
		if err := listRun(opts); err != nil {
			t.Fatalf("%v\n%s", err, errOut)
		}
		var hosts []inventory.HostJSON
		if err := json.Unmarshal(out.Bytes(), &hosts); err != nil {
			t.Fatal(err)
		}
		if len(hosts) != len(f.Hosts()) {
			t.Fatalf("%d hosts, want %d", len(hosts), len(f.Hosts()))
		}
		byName := map[string]inventory.HostJSON{}
		for _, h := range hosts {
			byName[h.Name] = h
		}
		port := 5985
		if c.transport == "https" {
			port = 5986
		}
		for _, sh := range f.Hosts() {
			h, ok := byName[sh.Plan.Name]
			if !ok {
				t.Fatalf("no host %s", sh.Plan.Name)
			}
			if h.Address != sh.Plan.Addr.String() || h.Port != port || h.Transport != c.transport || h.Auth != c.auth ||
				len(h.Groups) != 1 || h.Groups[0] != sh.Plan.Role || h.Tags["os"] != sh.Plan.OS || h.Tags["role"] != sh.Plan.Role {
				t.Errorf("%s: %+v", sh.Plan.Name, h)
			}
			if string(h.Vars["service_address"]) != `"`+sh.Plan.ServiceAddr.String()+`"` {
				t.Errorf("%s: vars %s", h.Name, h.Vars["service_address"])
			}
		}
		for _, k := range []string{`"name"`, `"address"`, `"port"`, `"transport"`, `"auth"`, `"groups"`, `"tags"`} {
			if !bytes.Contains(out.Bytes(), []byte(k)) {
				t.Errorf("JSON lacks %s", k)
			}
		}
		if !strings.Contains(out.String(), "FLEETPORT_SIM_PASSWORD") {
			t.Errorf("the password reference is not shown")
		}
	}
}

func TestListLimitAndPlainLines(t *testing.T) {
	path, f := simInventory(t, "http", "ntlm")
	ios, _, out, _ := cmdutil.Test()
	opts := &ListOptions{IO: ios}
	opts.Shared.Inventory = path
	opts.Shared.Limit = "web*,!web0001"
	if err := listRun(opts); err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, h := range f.Hosts() {
		if strings.HasPrefix(h.Plan.Name, "web") && h.Plan.Name != "web0001" {
			want++
		}
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != want || strings.Contains(out.String(), "web0001\t") {
		t.Errorf("%d lines, want %d:\n%s", len(lines), want, out)
	}
	for _, l := range lines {
		if len(strings.Split(l, "\t")) != 7 {
			t.Errorf("line %q", l)
		}
	}
	opts.Shared.Limit = "nosuchhost"
	if err := listRun(opts); err == nil || !strings.Contains(err.Error(), "nosuchhost") {
		t.Errorf("a limit that selects nothing: %v", err)
	}
}

func TestMissingInventoryHints(t *testing.T) {
	ios, _, _, _ := cmdutil.Test()
	opts := &ListOptions{IO: ios}
	opts.Shared.Inventory = filepath.Join(t.TempDir(), "nope")
	err := listRun(opts)
	var hint *cmdutil.HintError
	if err == nil || !strings.Contains(err.Error(), "no inventory at") || !errors.As(err, &hint) {
		t.Errorf("err %v", err)
	}
}

var update = flag.Bool("update", false, "rewrite the golden files")

// TestListJSONOfTheExamples compares `inventory list --json` for the
// examples with golden files (go test -update rewrites them; review the
// diff).
func TestListJSONOfTheExamples(t *testing.T) {
	for _, name := range []string{"small", "multisite"} {
		t.Run(name, func(t *testing.T) {
			ios, _, out, errOut := cmdutil.Test()
			opts := &ListOptions{IO: ios}
			opts.Shared.Inventory = filepath.Join("..", "..", "..", "examples", "inventory", name)
			opts.Shared.JSON = true
			if err := listRun(opts); err != nil {
				t.Fatalf("%v\n%s", err, errOut)
			}
			golden := filepath.Join("testdata", "TestListJSONOfTheExamples", name+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if out.String() != string(want) {
				t.Errorf("inventory list --json differs from %s:\n%s", golden, out)
			}
		})
	}
}
