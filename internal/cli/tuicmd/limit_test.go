package tuicmd_test

import (
	"context"
	"testing"

	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/sim/simtest"
)

// TestLimitSelectsTheRunsHosts: fleetport tui --limit shows only the
// hosts the limit selects among the stored run's hosts, not the whole run.
func TestLimitSelectsTheRunsHosts(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over WinRM")
	}
	sc := simtest.Scenario(4)
	sc.HTTPSPort = 0
	sc.Roles = []sim.Role{{Name: "web", Share: 1, Services: []string{"W3SVC"}}}
	f := simtest.Serve(t, sc)
	inv := simtest.Inventory(t, f, sim.InventoryOptions{})
	db := collectInto(t, inv)
	src, _ := openSource(t, inv, db, "--limit", "web0002,web0003")
	data, err := src.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, h := range data.Report.Hosts {
		names = append(names, h.Name)
	}
	if len(names) != 2 || names[0] != "web0002" || names[1] != "web0003" {
		t.Errorf("tui --limit web0002,web0003 shows %v", names)
	}
}
