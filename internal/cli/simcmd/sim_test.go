package simcmd

import (
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/internal/sim"
)

func TestFlagsToOptions(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		wantErr string
		check   func(*testing.T, *Options)
	}{
		{"defaults", nil, "", func(t *testing.T, o *Options) {
			if o.Hosts != 20 || o.HTTPPort != 5985 || o.HTTPSPort != 5986 || o.InventoryTransport != "http" || o.InventoryAuth != "ntlm" {
				t.Errorf("%+v", o)
			}
		}},
		{"all", []string{"--hosts", "500", "--seed", "9", "--latency", "20ms", "--command-time", "100ms", "--fault", "refuse=1", "--fault", "hang=2.5", "--inventory-out", "x.hcl", "--stats", "s.json"}, "", func(t *testing.T, o *Options) {
			if o.Hosts != 500 || o.Seed != 9 || o.Latency != 20*time.Millisecond || o.CommandTime != 100*time.Millisecond ||
				strings.Join(o.Faults, ",") != "refuse=1,hang=2.5" || o.InventoryOut != "x.hcl" || o.StatsFile != "s.json" {
				t.Errorf("%+v", o)
			}
		}},
		{"bad fault kind", []string{"--fault", "explode=1"}, `unknown kind "explode"`, nil},
		{"bad fault share", []string{"--fault", "refuse=200"}, "not a percentage", nil},
		{"bad transport", []string{"--inventory-transport", "smtp"}, "--inventory-transport must be http or https", nil},
		{"no args", []string{"extra"}, "unknown command", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ios, _, _, _ := cmdutil.Test()
			var got *Options
			cmd := NewCmdSim(&cmdutil.Factory{IO: ios}, func(_ context.Context, o *Options) error { got = o; return nil })
			cmd.SetArgs(c.args)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, got)
		})
	}
}

func TestScenarioFromFlagsAndFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "s.hcl")
	if err := os.WriteFile(file, []byte("fleet {\n  hosts = 77\n  seed = 3\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{"seed": true}
	o := &Options{ScenarioFile: file, Hosts: 20, Seed: 11, Network: "127.20.0.0/16", HTTPPort: 5985, HTTPSPort: 5986,
		Latency: 5 * time.Millisecond, Faults: []string{"slow=10"}, set: func(n string) bool { return set[n] }}
	sc, err := o.scenario()
	if err != nil {
		t.Fatal(err)
	}
	if sc.Hosts != 77 {
		t.Errorf("the file's hosts should win over an unset flag: %d", sc.Hosts)
	}
	if sc.Seed != 11 {
		t.Errorf("a set flag should win over the file: seed %d", sc.Seed)
	}
	if len(sc.Faults) != 2 || sc.Faults[0].Latency != 5*time.Millisecond || sc.Faults[1].Kind != sim.FaultSlow || sc.Faults[1].Share != 10 {
		t.Errorf("faults %+v", sc.Faults)
	}
	if err := os.WriteFile(file, []byte("drift \"nope\" {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = o.scenario()
	if err == nil || !strings.Contains(err.Error(), "s.hcl line 1:\n   1: drift \"nope\" {}") || !strings.Contains(err.Error(), "Unknown drift kind") {
		t.Errorf("located scenario error: %v", err)
	}
}

// TestSimServesAndWritesFiles runs the command in-process: it prints the
// ready line, writes the inventory (credentials only by reference) and the
// stats file when it stops.
func TestSimServesAndWritesFiles(t *testing.T) {
	dir := t.TempDir()
	ios, _, out, errOut := cmdutil.Test()
	t.Setenv(sim.EnvUser, "opsuser")
	t.Setenv(sim.EnvPassword, "canary-Secret-42")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := &Options{IO: ios, Hosts: 5, Seed: 2, Network: "127.41.7.0/24", HTTPPort: 5985, HTTPSPort: 5986, Dir: filepath.Join(dir, "state"),
		InventoryOut: filepath.Join(dir, "inv.hcl"), InventoryTransport: "https", InventoryAuth: "basic", StatsFile: filepath.Join(dir, "stats.json")}
	ready := make(chan *sim.Fleet, 1)
	o.ready = func(f *sim.Fleet) { ready <- f }
	done := make(chan error, 1)
	go func() { done <- simRun(ctx, o) }()
	var f *sim.Fleet
	select {
	case f = <-ready:
	case err := <-done:
		t.Fatalf("sim ended: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("no ready")
	}
	line := out.String()
	want := "ready: hosts=5 addresses=127.41.7.1-127.41.7.5 http=5985 https=5986 ca=" + filepath.Join(dir, "state", "ca.pem") + "\n"
	if line != want {
		t.Errorf("ready line\n got %q\nwant %q", line, want)
	}
	if len(f.Hosts()) != 5 || !f.Hosts()[0].Endpoint.Up() {
		t.Errorf("fleet not serving")
	}
	// SIGUSR1 writes the stats while the fleet runs.
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := os.Stat(o.StatsFile); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("SIGUSR1 wrote no stats file")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := os.Remove(o.StatsFile); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	inv, err := os.ReadFile(o.InventoryOut)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`env("FLEETPORT_SIM_USER")`, `env("FLEETPORT_SIM_PASSWORD")`, `transport = "https"`, `auth      = "basic"`, `ca_file   = "` + filepath.Join(dir, "state", "ca.pem")} {
		if !strings.Contains(string(inv), s) {
			t.Errorf("inventory lacks %q:\n%s", s, inv)
		}
	}
	if strings.Contains(string(inv), "canary-Secret-42") || strings.Contains(string(inv), "opsuser") {
		t.Errorf("the inventory holds a credential:\n%s", inv)
	}
	if all := out.String() + errOut.String(); strings.Contains(all, "canary-Secret-42") {
		t.Errorf("the password reached the output:\n%s", all)
	}
	for _, h := range f.Hosts() {
		if !strings.Contains(string(inv), `address         = "`+h.Plan.Addr.String()+`"`) {
			t.Errorf("inventory lacks host %s at %s", h.Plan.Name, h.Plan.Addr)
		}
	}
	var st sim.Stats
	raw, err := os.ReadFile(o.StatsFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	if st.Hosts != 5 || len(st.Host) != 5 {
		t.Errorf("stats %+v", st)
	}
	for _, k := range []string{`"connections_accepted"`, `"shells_created"`, `"shells_open"`, `"operations"`, `"faults"`, `"per_host"`} {
		if !bytes.Contains(raw, []byte(k)) {
			t.Errorf("stats lack %s", k)
		}
	}
	if _, err := netip.ParseAddr(strings.Split(strings.Split(line, "addresses=")[1], "-")[0]); err != nil {
		t.Errorf("ready line address: %v", err)
	}
}
