package collectcmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/internal/collect"
	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/sim/simtest"
	"github.com/fleetport/fleetport/internal/store"
)

// TestCollectStoresTheRun runs `fleetport collect` in-process against the
// simulator with the inventory it writes: every host gets its status, the
// run is stored, and the exit code says that some hosts did not answer.
func TestCollectStoresTheRun(t *testing.T) {
	sc := simtest.Scenario(12)
	sc.Drift = sim.DefaultScenario().Drift
	sc.HTTPSPort = 0
	sc.Faults = []sim.Fault{{Kind: sim.FaultRefuse, Hosts: []string{"web0001"}}, {Kind: sim.FaultAuth, Hosts: []string{"web0002"}}}
	f := simtest.Serve(t, sc)
	invPath := simtest.Inventory(t, f, sim.InventoryOptions{})
	dir := t.TempDir()

	ios, _, out, errOut := cmdutil.Test()
	opts := &Options{IO: ios, Changed: func(n string) bool { return false }}
	opts.Shared.Inventory = invPath
	opts.Shared.Policies = filepath.Join(dir, "none")
	opts.Shared.Store = filepath.Join(dir, "fleetport.db")
	opts.Shared.Timeout = 20 * time.Second
	opts.Shared.JSON = true
	err := collectRun(context.Background(), opts)
	var exit *cmdutil.ExitError
	if !errors.As(err, &exit) || exit.Code != 3 {
		t.Fatalf("err %v, want exit 3\n%s", err, errOut)
	}
	var sum summaryJSON
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if sum.Hosts != 12 || sum.ByStatus["ok"] != 10 || sum.ByStatus["unreachable"] != 1 || sum.ByStatus["auth"] != 1 || len(sum.Failed) != 2 {
		t.Errorf("summary %+v", sum)
	}
	if strings.Contains(out.String()+errOut.String(), sim.DemoPassword) {
		t.Error("the password reached the output")
	}

	st, err := store.Open(context.Background(), opts.Shared.Store)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	run, err := st.Run(context.Background(), sum.Run)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != store.RunComplete || run.Hosts != 12 || run.ByStatus["ok"] != 10 {
		t.Errorf("stored run %+v", run)
	}
	hosts, err := st.Hosts(context.Background(), sum.Run)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hosts {
		if h.Status == "ok" && !bytes.Contains(h.Facts, []byte(`"sockets"`)) {
			t.Errorf("%s: stored facts lack sockets", h.Name)
		}
		if bytes.Contains(h.Facts, []byte(sim.DemoPassword)) {
			t.Errorf("%s: the password is in the store", h.Name)
		}
	}
}

// TestInterruptedRunIsStoredAndShellsDeleted cancels a run mid-way, as
// Ctrl-C does: the partial run is stored and marked interrupted, every
// host has a record, and the hosts' shells are deleted.
func TestInterruptedRunIsStoredAndShellsDeleted(t *testing.T) {
	sc := simtest.Scenario(6)
	sc.HTTPSPort = 0
	sc.CommandTime = 400 * time.Millisecond
	f := simtest.Serve(t, sc)
	invPath := simtest.Inventory(t, f, sim.InventoryOptions{})
	dir := t.TempDir()
	ios, _, _, errOut := cmdutil.Test()
	opts := &Options{IO: ios, Changed: func(string) bool { return false }}
	opts.Shared.Inventory = invPath
	opts.Shared.Policies = filepath.Join(dir, "none")
	opts.Shared.Store = filepath.Join(dir, "fleetport.db")
	opts.Shared.Concurrency = 3
	opts.Shared.JSON = true
	ctx, cancel := context.WithTimeout(context.Background(), 1200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := collectRun(ctx, opts)
	if err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("err %v\n%s", err, errOut)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the interrupted run took %v to stop", d)
	}
	st, err := store.Open(context.Background(), opts.Shared.Store)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	run, err := st.Latest(context.Background(), "collect")
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != store.RunInterrupted || run.Hosts != 6 || run.ByStatus["ok"] == 6 {
		t.Errorf("stored run %+v", run)
	}
	deadline := time.Now().Add(5 * time.Second)
	for f.Stats().Fleet.ShellsOpen != 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := f.Stats().Fleet.ShellsOpen; n != 0 {
		t.Errorf("%d shells left open after the interrupt", n)
	}
}

func TestProgressLineOnATerminalOnly(t *testing.T) {
	ios, _, _, errOut := cmdutil.Test()
	p := newProgress(ios, 10)
	p.event(collectEvent("a", false, 0))
	p.done()
	if errOut.Len() != 0 {
		t.Errorf("progress written to a pipe: %q", errOut)
	}
	ios.SetStdoutTTY(true)
	p = newProgress(ios, 4)
	p.event(collectEvent("a", false, 0))
	p.event(collectEvent("a", true, facts.StatusOK))
	p.event(collectEvent("b", false, 0))
	p.event(collectEvent("b", true, facts.StatusAuth))
	time.Sleep(600 * time.Millisecond)
	p.done()
	if s := errOut.String(); !strings.Contains(s, "collecting: 2/4 done, 1 failed, 0 in flight") || !strings.Contains(s, "ETA") {
		t.Errorf("progress %q", s)
	}
}

func collectEvent(host string, done bool, st facts.Status) collect.Event {
	return collect.Event{Host: host, Done: done, Status: st}
}

// TestNoBuiltinAsksOnlyWhatTheUsersPoliciesNeed collects with
// --no-builtin and one policy about the listen list: each host is asked
// `ver` (which decides the command), the listen list and what the listen
// list's checks read with it (the host's addresses, the registered URLs),
// and nothing the built-in pack would add (netstat, reg query, the boot
// time, the port ranges, sc). Without -p, --no-builtin is an error, not
// an empty judgement.
func TestNoBuiltinAsksOnlyWhatTheUsersPoliciesNeed(t *testing.T) {
	sc := simtest.Scenario(3)
	sc.HTTPSPort = 0
	f := simtest.Serve(t, sc)
	invPath := simtest.Inventory(t, f, sim.InventoryOptions{})
	dir := t.TempDir()
	pol := filepath.Join(dir, "policies.hcl")
	if err := os.WriteFile(pol, []byte(`policy "listen_list_only" {
  severity = "info"
  listen_list {
    excludes    = ["192.0.2.1"]
    allow_empty = true
  }
}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	booted := map[string]int{}
	for _, h := range f.Hosts() {
		booted[h.Plan.Name] = len(h.Model.Audit())
	}
	ios, _, out, errOut := cmdutil.Test()
	opts := &Options{IO: ios, Changed: func(n string) bool { return n == "policies" }}
	opts.Shared.Inventory = invPath
	opts.Shared.Policies = pol
	opts.Shared.NoBuiltin = true
	opts.Shared.Store = filepath.Join(dir, "fleetport.db")
	opts.Shared.Timeout = 20 * time.Second
	opts.Shared.JSON = true
	if err := collectRun(context.Background(), opts); err != nil {
		t.Fatalf("%v\n%s\n%s", err, out, errOut)
	}
	for _, h := range f.Hosts() {
		var lines []string
		for _, a := range h.Model.Audit()[booted[h.Plan.Name]:] {
			lines = append(lines, a.Line)
		}
		if len(lines) < 2 || lines[0] != "ver" || lines[1] != "netsh http show iplisten" {
			t.Errorf("%s was asked %q, want ver, then the listen list", h.Plan.Name, lines)
		}
		for _, l := range lines {
			for _, builtin := range []string{"netstat", "reg query", "wmic", "dynamicport", "sc query"} {
				if strings.Contains(l, builtin) {
					t.Errorf("%s was asked %q, which only the built-in pack needs", h.Plan.Name, l)
				}
			}
		}
	}

	opts.Shared.Policies = filepath.Join(dir, "missing")
	opts.Changed = func(string) bool { return false }
	err := collectRun(context.Background(), opts)
	if err == nil || !strings.Contains(err.Error(), "--no-builtin leaves no policy") {
		t.Errorf("--no-builtin without policies: %v", err)
	}
}
