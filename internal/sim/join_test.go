package sim

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestScenarioJoinDomain: join_domain names any domain controller (paths
// relative to the scenario file, the password read from its file), or a
// domain scripts/testdomain made; an incomplete block is a located error.
func TestScenarioJoinDomain(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "admin.pass"), []byte("Join-Passw0rd\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), []byte("-"), 0o600); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, "joined.hcl")
	src := `join_domain {
  url           = "ldaps://dc1.corp.example:636"
  server_name   = "dc1.corp.example"
  ca_file       = "ca.pem"
  realm         = "corp.example"
  user          = "joiner@corp.example"
  password_file = "admin.pass"
}
`
	sc, diags := ParseScenario([]byte(src), name)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := DomainJoin{URL: "ldaps://dc1.corp.example:636", ServerName: "dc1.corp.example", CAFile: filepath.Join(dir, "ca.pem"),
		Realm: "corp.example", User: "joiner@corp.example", PasswordFile: filepath.Join(dir, "admin.pass")}
	if sc.Join == nil || *sc.Join != want {
		t.Fatalf("join = %+v, want %+v", sc.Join, want)
	}
	d, err := sc.Join.Directory()
	if err != nil {
		t.Fatal(err)
	}
	if d.Realm != "CORP.EXAMPLE" || d.Password != "Join-Passw0rd" || d.URL != want.URL || d.CAFile != want.CAFile || d.User != want.User {
		t.Errorf("directory %+v", d)
	}

	for _, c := range []struct {
		src, want string
		line      int
	}{
		{"join_domain {\n  realm = \"CORP.EXAMPLE\"\n}\n", "Incomplete domain", 3},
		{"join_domain {\n  dir = \"absent\"\n}\n", "not a domain made by scripts/testdomain", 3},
		{"join_domain {\n  url = \"ldap://dc1:389\"\n  realm = \"C.EXAMPLE\"\n  user = \"u\"\n  password_file = \"admin.pass\"\n}\n", "LDAPS", 3},
		{"join_domain {\n  dir = \"x\"\n  domain = \"y\"\n}\n", "Unsupported argument", 5},
	} {
		_, diags := ParseScenario([]byte("\n\n"+c.src), name)
		if !diags.HasErrors() || !strings.Contains(diags.Error(), c.want) || diags[0].Subject == nil || diags[0].Subject.Start.Line != c.line {
			t.Errorf("%q: diagnostics %v, want %q at line %d", c.src, diags, c.want, c.line)
		}
	}
}
