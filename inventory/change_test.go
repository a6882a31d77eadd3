package inventory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// TestChangeCredential: a change credential is read from its own
// references, takes the place of the read credential for changes only,
// is complete in itself, is checked like the read one, and never shows.
func TestChangeCredential(t *testing.T) {
	src := `
defaults {
  auth            = "kerberos"
  user            = "reader"
  password        = env("READ_PASS")
  change_user     = "fleetadmin"
  change_password = env("CHANGE_PASS")
  kerberos_name   = "${host.name}.corp.example"
}
host "a" {
  address = "10.0.0.1"
}
host "b" {
  address       = "10.0.0.2"
  change_user   = "svc-change"
  change_keytab = "change.keytab"
}
host "c" {
  address = "10.0.0.3"
  auth = "ntlm"
  change_ccache = "/tmp/cc"
}
`
	f, diags := Parse([]byte(src), "inv/change.hcl")
	inv, md := Merge(f)
	diags = append(diags, md...)
	var rendered bytes.Buffer
	_ = hcl.NewDiagnosticTextWriter(&rendered, inv.Files(), 100, false).WriteDiagnostics(diags)
	text := rendered.String()
	if strings.Contains(text, canary) {
		t.Errorf("a diagnostic shows the change password:\n%s", text)
	}
	for _, want := range []string{`Host "c" uses NTLM authentication, but change_keytab and change_ccache hold Kerberos credentials`} {
		if !strings.Contains(strings.Join(strings.Fields(text), " "), want) {
			t.Errorf("diagnostics lack %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, `Host "a"`) || strings.Contains(text, `Host "b"`) {
		t.Errorf("complete change credentials are reported:\n%s", text)
	}
	r := mapResolver{env: map[string]string{"READ_PASS": "read-" + canary, "CHANGE_PASS": canary}}
	a, _ := inv.Host("a")
	if !a.HasChangeCredential() {
		t.Fatal("a: no change credential")
	}
	read, err := a.ResolveCredentials(r)
	if err != nil || read.User.Reveal() != "reader" || read.Password.Reveal() != "read-"+canary {
		t.Fatalf("a: read credential %v %v", read, err)
	}
	ch, err := a.ForChanges(r)
	if err != nil || ch.User.Reveal() != "fleetadmin" || ch.Password.Reveal() != canary || ch.HasChangeCredential() {
		t.Fatalf("a: change credential %v %v", ch, err)
	}
	b, _ := inv.Host("b")
	ch, err = b.ForChanges(r)
	// The keytab wins over the inherited change_password, as keytab wins
	// over password for the read credential.
	if err != nil || ch.User.Reveal() != "svc-change" || !strings.HasSuffix(ch.Keytab, "change.keytab") || ch.CCache != "" {
		t.Fatalf("b: change credential %+v %v", ch, err)
	}
	// An unreadable change password is a located credential error.
	if _, err := a.ForChanges(mapResolver{}); err == nil || !strings.Contains(err.Error(), "change_password") {
		t.Errorf("a without CHANGE_PASS: %v", err)
	}
	for _, v := range []any{a, *a, a.ListJSON(), ch} {
		for _, verb := range []string{"%v", "%+v", "%#v"} {
			if s := fmt.Sprintf(verb, v); strings.Contains(s, canary) {
				t.Errorf("%s shows the change password: %s", verb, s)
			}
		}
		j, _ := json.Marshal(v)
		if strings.Contains(string(j), canary) {
			t.Errorf("JSON shows the change password: %s", j)
		}
	}
	// A change password written in the inventory is refused like a
	// password, and the diagnostic does not show it.
	f, diags = Parse([]byte("host \"d\" {\n  address = \"10.0.0.4\"\n  change_user = \"x\"\n  change_password = \""+canary+"\"\n}\n"), "inv/lit.hcl")
	inv, md = Merge(f)
	diags = append(diags, md...)
	rendered.Reset()
	_ = hcl.NewDiagnosticTextWriter(&rendered, inv.Files(), 100, false).WriteDiagnostics(diags)
	if !diags.HasErrors() || strings.Contains(rendered.String(), canary) || !strings.Contains(rendered.String(), "The password at inv/lit.hcl:4") {
		t.Errorf("a literal change password:\n%s", rendered.String())
	}
	j, _ := json.Marshal(a.ListJSON())
	if !strings.Contains(string(j), `"change_password":{"kind":"env","name":"CHANGE_PASS"}`) || !strings.Contains(string(j), `"change_user":{"kind":"literal","value":"fleetadmin"}`) {
		t.Errorf("inventory list shows %s", j)
	}
}
