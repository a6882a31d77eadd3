package policies

import (
	"strings"
	"testing"
)

// TestMissingVarInPlainWords: a host.vars.NAME the host does not declare is
// an error that says so and what to add, located at the reference; try()
// still catches it.
func TestMissingVarInPlainWords(t *testing.T) {
	f, diags := Parse([]byte(`policy "svc" {
  listen_list {
    contains = [host.vars.service_address, "127.0.0.1"]
  }
}

policy "soft" {
  listen_list {
    contains = [try(host.vars.service_address, "127.0.0.1")]
  }
}

policy "other" {
  listen_list {
    contains = [host.vars["site_vip"]]
  }
}
`), "p.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	set, _ := NewSet(f)
	res, ds := set.ResolveAll(Host{Name: "web01", Address: "10.0.0.1"})
	if len(ds[0]) != 1 || !IsMissingVar(ds[0][0]) || ds[0][0].Subject.Start.Line != 3 || ds[0][0].Subject.Start.Column != 17 ||
		ReasonText(ds[0][0]) != `host "web01" declares no service address (vars.service_address, the address its sites serve): add vars = { service_address = "10.0.0.10" } to the host, or to its group, in the inventory` {
		t.Errorf("svc: %v", ds[0])
	}
	if c := res[0].Checks[0].Common(); !strings.HasPrefix(c.Incomplete, `host "web01" declares no service address`) {
		t.Errorf("svc check: incomplete %q", c.Incomplete)
	}
	if ds[1].HasErrors() || res[1].Checks[0].Common().Incomplete != "" {
		t.Errorf("try: %v", ds[1])
	}
	if len(ds[2]) != 1 || !strings.Contains(ReasonText(ds[2][0]), `declares no variable "site_vip" (vars.site_vip), which this policy reads: add vars = { site_vip = ... }`) {
		t.Errorf("other: %v", ds[2])
	}
}
