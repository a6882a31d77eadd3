package collectcmd_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/internal/cli/collectcmd"
	"github.com/fleetport/fleetport/internal/cli/root"
	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/sim/simtest"
	"github.com/fleetport/fleetport/internal/store"
)

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ios, _, out, errOut := cmdutil.Test()
	code := root.Run(context.Background(), &cmdutil.Factory{IO: ios, Now: time.Now}, args)
	return code, out.String(), errOut.String()
}

// TestFullDiskMakesAFailedRun collects into a store that runs out of room
// after the run began (SQLite's max_page_count stands for a full disk):
// collect fails, the run is stored as failed, not complete, and drift
// --run and plan --run say so and exit 1 instead of reporting a clean
// fleet.
func TestFullDiskMakesAFailedRun(t *testing.T) {
	sc := simtest.Scenario(12)
	sc.HTTPSPort = 0
	f := simtest.Serve(t, sc)
	inv := simtest.Inventory(t, f, sim.InventoryOptions{})
	dir := t.TempDir()
	db := filepath.Join(dir, "fleetport.db")
	none := filepath.Join(dir, "none")
	if err := os.Mkdir(none, 0o755); err != nil {
		t.Fatal(err)
	}
	// An empty store, then room for the run and its hosts' inventory
	// entries but not for their facts.
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	fi, err := os.Stat(db)
	if err != nil {
		t.Fatal(err)
	}
	pages := int(fi.Size() / 4096)
	ios, _, _, errOut := cmdutil.Test()
	opts := &collectcmd.Options{IO: ios, Changed: func(string) bool { return false },
		OpenStore: func(ctx context.Context, path string) (*store.Store, error) {
			return store.OpenWith(ctx, path, store.Options{MaxPages: pages + 4})
		}}
	opts.Shared.Inventory, opts.Shared.Policies, opts.Shared.Store, opts.Shared.Timeout = inv, none, db, 20*time.Second
	_, err = collectcmd.Collect(context.Background(), opts)
	if err == nil || !strings.Contains(err.Error(), "database or disk is full") {
		t.Fatalf("collect on a full disk: %v\n%s", err, errOut)
	}
	if !strings.Contains(err.Error(), "run 1 could not be stored completely") {
		t.Errorf("collect on a full disk: %v", err)
	}

	code, out, _ := run(t, "history", "--store", db, "--json")
	if code != 0 || !strings.Contains(out, `"status": "failed"`) || !strings.Contains(out, "database or disk is full") {
		t.Errorf("history: exit %d\n%s", code, out)
	}
	common := []string{"--run", "1", "-i", inv, "-p", none, "--store", db}
	for _, cmd := range []string{"drift", "plan"} {
		code, out, errOut := run(t, append([]string{cmd}, common...)...)
		if code != 1 || !strings.Contains(errOut, "run 1 is failed") || strings.Contains(out, "OK") {
			t.Errorf("%s --run 1: exit %d, want 1 and the run's failure\n%s\n%s", cmd, code, out, errOut)
		}
	}
	if code, _, errOut := run(t, "diff", "1", "1", "-p", none, "--store", db); code != 1 || !strings.Contains(errOut, "run 1 is failed") {
		t.Errorf("diff 1 1: exit %d\n%s", code, errOut)
	}
}

// TestMissingCredentialFailsBeforeAnyHost: with the user's variable unset,
// collect stops before contacting a host, says so once (not once per
// host), stores no run and exits 1.
func TestMissingCredentialFailsBeforeAnyHost(t *testing.T) {
	sc := simtest.Scenario(6)
	sc.HTTPSPort = 0
	f := simtest.Serve(t, sc)
	inv := simtest.Inventory(t, f, sim.InventoryOptions{})
	t.Setenv(sim.EnvUser, "")
	os.Unsetenv(sim.EnvUser)
	dir := t.TempDir()
	db := filepath.Join(dir, "fleetport.db")
	for _, cmd := range []string{"collect", "drift"} {
		code, out, errOut := run(t, cmd, "-i", inv, "-p", dir, "--store", db)
		if code != 1 {
			t.Errorf("%s: exit %d, want 1\n%s\n%s", cmd, code, out, errOut)
		}
		if n := strings.Count(errOut, sim.EnvUser); n != 1 || !strings.Contains(errOut, "of 6 hosts") {
			t.Errorf("%s: %s named %d times, want once for the 6 hosts:\n%s", cmd, sim.EnvUser, n, errOut)
		}
	}
	if n := f.Stats().Fleet.ConnectionsAccepted; n != 0 {
		t.Errorf("%d connections reached the fleet", n)
	}
	if _, out, _ := run(t, "history", "--store", db, "--json"); strings.Contains(out, `"id"`) {
		t.Errorf("a run was stored: %s", out)
	}
}
