// Package simtest starts simulated fleets for other packages' tests: each
// on a loopback network of its own, so that tests and test binaries running
// side by side never compete for an address.
package simtest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/sim"
)

var next atomic.Int32

func init() { next.Store(rand.Int32N(24000)) }

// Network returns a /24 inside 127.100.0.0 to 127.195.255.0 that no other
// call in this process returned; the random start keeps processes apart.
func Network() netip.Prefix {
	n := next.Add(1) % 24000
	return netip.MustParsePrefix(fmt.Sprintf("127.%d.%d.0/24", 100+n/250, n%250))
}

// Scenario is the default scenario with n hosts on a fresh network, quick
// service steps and reboots, and neither drift nor faults.
func Scenario(n int) sim.Scenario {
	sc := sim.DefaultScenario()
	sc.Hosts = n
	sc.Network = Network()
	sc.Drift = nil
	sc.Faults = nil
	sc.ServiceStep = time.Millisecond
	sc.RebootTime = 300 * time.Millisecond
	return sc
}

// Serve builds and starts a fleet (its CA in a temporary folder) and closes
// it when the test ends. When an address is taken by another process it
// moves to another network; any other failure fails the test.
func Serve(t testing.TB, sc sim.Scenario) *sim.Fleet {
	t.Helper()
	for attempt := 0; ; attempt++ {
		f, err := sim.New(sim.Options{Scenario: sc, Dir: t.TempDir()})
		if err != nil {
			t.Fatalf("sim.New: %v", err)
		}
		err = f.Start()
		if err == nil {
			t.Cleanup(f.Close)
			return f
		}
		if attempt < 3 && strings.Contains(err.Error(), "address already in use") {
			sc.Network = Network()
			continue
		}
		t.Fatalf("start the simulated fleet: %v", err)
	}
}

// Inventory writes the fleet's inventory, as `fleetport sim --inventory-out`
// writes it, into a temporary folder and returns its path. It sets the
// simulator's credential variables for the test.
func Inventory(t *testing.T, f *sim.Fleet, o sim.InventoryOptions) string {
	t.Helper()
	var buf bytes.Buffer
	if err := f.WriteInventory(&buf, o); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "inventory.hcl")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(sim.EnvUser, sim.DemoUser)
	t.Setenv(sim.EnvPassword, sim.DemoPassword)
	return path
}
