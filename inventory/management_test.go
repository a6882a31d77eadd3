package inventory

import (
	"strings"
	"testing"
)

// TestManagementAddressMustBeTheConnectAddress: a management address that
// is not the address fleetport connects to (here the host's service
// address) is an error located at the management_address argument; the
// same address, or none, is fine.
func TestManagementAddressMustBeTheConnectAddress(t *testing.T) {
	src := `defaults {
  auth     = "ntlm"
  user     = env("U")
  password = env("P")
}
host "app0011" {
  address            = "127.97.0.11"
  management_address = "10.97.0.11"
}
host "app0012" {
  address            = "127.97.0.12"
  management_address = "127.97.0.12"
}
host "app0013" {
  address = "127.97.0.13"
}
`
	_, diags := LoadDir(mapFS(map[string]string{"fleet.hcl": src}), ".")
	if len(diags) != 1 || !diags.HasErrors() {
		t.Fatalf("diagnostics: %v", diags)
	}
	d := diags[0]
	if d.Summary != "Management address is not where fleetport connects" || d.Subject == nil ||
		d.Subject.Filename != "fleet.hcl" || d.Subject.Start.Line != 8 || !strings.Contains(d.Detail, `"app0011" is reached on 127.97.0.11`) {
		t.Errorf("diagnostic %s at %v: %s", d.Summary, d.Subject, d.Detail)
	}
}
