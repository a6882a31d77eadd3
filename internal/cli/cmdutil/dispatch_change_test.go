package cmdutil

import (
	"testing"

	"github.com/fleetport/fleetport/internal/collect"
	"github.com/fleetport/fleetport/internal/remote"
	"github.com/fleetport/fleetport/inventory"
)

// TestRolloutJobsCarryTheChangeCredential: a rollout's job for a site
// runner names the host's change user and password (references, never
// values) in place of the read ones; a host without a change credential
// keeps its read credential.
func TestRolloutJobsCarryTheChangeCredential(t *testing.T) {
	f, diags := inventory.Parse([]byte(`defaults {
  site     = "dc1"
  user     = "reader"
  password = env("READ_PASS")
}
host "a" {
  address         = "10.0.0.1"
  change_user     = "changer"
  change_password = env("CHANGE_PASS")
}
host "b" {
  address = "10.0.0.2"
}
`), "inv.hcl")
	inv, md := inventory.Merge(f)
	if diags = append(diags, md...); diags.HasErrors() {
		t.Fatal(diags)
	}
	target := func(h *inventory.Host) collect.Target {
		return collect.Target{Name: h.Name, Endpoint: remote.Endpoint{Host: h.Address, Port: h.Port}, Policy: PolicyHost(h)}
	}
	jobs, refused := SiteHosts(ChangeHosts(inv.Hosts()), target)
	if len(refused) != 0 || len(jobs) != 2 {
		t.Fatalf("jobs %+v, refused %v", jobs, refused)
	}
	for _, j := range jobs {
		user, pass := "reader", "READ_PASS"
		if j.Name == "a" {
			user, pass = "changer", "CHANGE_PASS"
		}
		if j.User.Value != user || j.Password.Source != "env" || j.Password.Name != pass {
			t.Errorf("%s: user %+v, password %+v; want %s and env %s", j.Name, j.User, j.Password, user, pass)
		}
	}
}
