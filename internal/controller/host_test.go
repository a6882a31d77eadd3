package controller_test

import (
	"encoding/json"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/fleetport/fleetport/internal/cli/collectcmd"
	"github.com/fleetport/fleetport/internal/controller"
	"github.com/fleetport/fleetport/inventory"
)

// TestHostOfKerberos: a kerberos or negotiate host's job carries its
// auth and its Kerberos name, and none of the controller's own Kerberos
// settings: not its krb5.conf, realm, keytab or credential cache, which
// are files of this machine (a runner uses its own).
func TestHostOfKerberos(t *testing.T) {
	src := `defaults {
  krb5_conf     = "/etc/fleetport/krb5-controller.conf"
  realm         = "CONTROLLER.EXAMPLE"
  keytab        = "/etc/fleetport/controller.keytab"
  ccache        = "/tmp/krb5cc_controller"
  user          = "svc-fleetport@CORP.EXAMPLE"
  kerberos_name = "${host.name}.corp.example"
  site          = "lyon"
}

host "web01" {
  address = "10.0.0.1"
  auth    = "kerberos"
}

host "web02" {
  address = "10.0.0.2"
  auth    = "negotiate"
}
`
	inv, diags := inventory.LoadDir(fstest.MapFS{"inv.hcl": {Data: []byte(src)}}, ".")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	for _, h := range inv.Hosts() {
		j, err := controller.HostOf(h, collectcmd.Target(h, nil))
		if err != nil {
			t.Fatal(err)
		}
		if j.Endpoint.Auth != h.Auth || j.Endpoint.KerberosName != h.Name+".corp.example" {
			t.Errorf("%s: endpoint %+v, want auth %s and Kerberos name %s.corp.example", h.Name, j.Endpoint, h.Auth, h.Name)
		}
		b, err := json.Marshal(j)
		if err != nil {
			t.Fatal(err)
		}
		for _, local := range []string{"krb5-controller.conf", "CONTROLLER.EXAMPLE", "controller.keytab", "krb5cc_controller"} {
			if strings.Contains(string(b), local) {
				t.Errorf("%s: the job carries %s: %s", h.Name, local, b)
			}
		}
	}
}
