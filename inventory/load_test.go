package inventory

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hashicorp/hcl/v2"
)

func TestDuplicatesNameBothPlaces(t *testing.T) {
	fsys := mapFS(map[string]string{
		"inv/a.hcl":   "defaults {\n  user = env(\"U\")\n  password = env(\"P\")\n}\ngroup \"web\" {\n}\nhost \"web01\" {\n  address = \"10.0.0.1\"\n}\n",
		"inv/b/c.hcl": "\n\ngroup \"web\" {\n}\nhost \"Web01\" {\n  address = \"10.0.0.2\"\n}\ndefaults {\n}\n",
	})
	inv, diags := LoadDir(fsys, "inv")
	want := []struct {
		summary, subject, detail string
	}{
		{"Duplicate defaults block", "inv/b/c.hcl:8", "already declared at inv/a.hcl:1"},
		{"Duplicate group declaration", "inv/b/c.hcl:3", `A group named "web" was already declared at inv/a.hcl:5.`},
		{"Duplicate host declaration", "inv/b/c.hcl:5", `A host named "web01" was already declared at inv/a.hcl:7. Names are compared without regard to case`},
	}
	if len(diags) != len(want) {
		t.Fatalf("got %d diagnostics, want %d: %v", len(diags), len(want), diags)
	}
	for i, w := range want {
		d := diags[i]
		if d.Severity != hcl.DiagError || d.Summary != w.summary || at(*d.Subject) != w.subject || !strings.Contains(d.Detail, w.detail) {
			t.Errorf("diagnostic %d: %s (subject %s), want %q at %s with %q", i, d, at(*d.Subject), w.summary, w.subject, w.detail)
		}
	}
	// The first declaration wins; the result is still usable.
	if h := host(t, inv, "web01"); h.Address != "10.0.0.1" || len(inv.Hosts()) != 1 {
		t.Errorf("partial result: %v", hostNames(inv.Hosts()))
	}
}

func TestLoadWalk(t *testing.T) {
	fsys := mapFS(map[string]string{
		"inv/b.hcl":             `host "b" { address = "10.0.0.2" }`,
		"inv/a.hcl":             "defaults {\n  auth = \"kerberos\"\n  kerberos_name = \"${host.name}.corp.example\"\n}",
		"inv/z/c.hcl":           `host "c" { address = "10.0.0.3" }`,
		"inv/.git/config.hcl":   "not hcl {",
		"inv/.hidden.hcl":       "not hcl {",
		"inv/notes.txt":         "not hcl {",
		"inv/z/README.md":       "not hcl {",
		"other/ignored.hcl":     "not hcl {",
		"single/inventory.conf": `host "s" { address = "10.0.0.9" }` + "\ndefaults {\n  auth = \"kerberos\"\n  kerberos_name = \"s.corp.example\"\n}",
	})
	inv, diags := LoadDir(fsys, "inv")
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	var names []string
	for n := range inv.Files() {
		names = append(names, n)
	}
	if len(names) != 3 || inv.Files()["inv/z/c.hcl"] == nil {
		t.Errorf("files = %v", names)
	}
	if got := hostNames(inv.Hosts()); strings.Join(got, ",") != "b,c" {
		t.Errorf("hosts = %v", got)
	}
	// A file given as the root is read whatever its extension.
	inv, diags = LoadDir(fsys, "single/inventory.conf")
	if len(diags) > 0 || len(inv.Hosts()) != 1 {
		t.Errorf("single file: %v %v", diags, hostNames(inv.Hosts()))
	}
	// "." and "inv/" are cleaned.
	if _, diags := LoadDir(fsys, "inv/"); len(diags) > 0 {
		t.Error(diags)
	}
}

func TestLoadErrors(t *testing.T) {
	fsys := fstest.MapFS{
		"empty/README": &fstest.MapFile{Data: []byte("no inventory here")},
		"big.hcl":      &fstest.MapFile{Data: bytes.Repeat([]byte("#"), MaxFileSize+1)},
	}
	for _, c := range []struct {
		root, summary, detail string
	}{
		{"missing", "Cannot read the inventory", "missing: file does not exist."},
		{"empty", "No inventory files", "empty has no .hcl files."},
		{"../up", "Invalid inventory path", `"../up" is not a valid path`},
		{"/abs", "Invalid inventory path", `"/abs" is not a valid path`},
		{"big.hcl", "Cannot read an inventory file", "big.hcl: larger than"},
	} {
		inv, diags := LoadDir(fsys, c.root)
		if inv == nil {
			t.Errorf("%s: nil inventory", c.root)
		}
		if len(diags) != 1 || diags[0].Summary != c.summary || !strings.Contains(diags[0].Detail, c.detail) {
			t.Errorf("%s: %v, want %q with %q", c.root, diags, c.summary, c.detail)
		}
	}
	f, diags := Parse(bytes.Repeat([]byte(" "), MaxFileSize+1), "huge.hcl")
	if f == nil || f.HCL() == nil || len(diags) != 1 || diags[0].Summary != "Inventory file too large" {
		t.Errorf("Parse of a huge file: %v", diags)
	}
}

func TestParseKeepsRanges(t *testing.T) {
	f, diags := Parse([]byte("defaults {\n}\n\ngroup \"g\" {\n  port = 1\n}\nhost \"h\" {\n  address = \"10.0.0.1\"\n}\n"), "f.hcl")
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	if len(f.Defaults) != 1 || len(f.Groups) != 1 || len(f.Hosts) != 1 {
		t.Fatalf("file: %+v", f)
	}
	if r := f.Groups[0].DeclRange; r.Filename != "f.hcl" || r.Start.Line != 4 {
		t.Errorf("group DeclRange = %s", r)
	}
	if r := f.Groups[0].Attributes()["port"].Range; r.Start.Line != 5 {
		t.Errorf("port range = %s", r)
	}
	if r := f.Hosts[0].NameRange; r.Start.Line != 7 || r.Start.Column != 6 {
		t.Errorf("host NameRange = %s", r)
	}
	if f.Defaults[0].Attributes() == nil || f.Hosts[0].Attributes()["address"] == nil {
		t.Error("attributes missing")
	}
}

func TestListJSON(t *testing.T) {
	inv := mustLoad(t, map[string]string{"inv.hcl": `
defaults {
  user     = "fleetadmin"
  password = env("FLEETPORT_PASSWORD")
}
group "web" {
  concurrency = 10
}
host "web01" {
  address         = "10.0.0.1"
  transport       = "https"
  ca_file         = "/etc/ca.pem"
  tls_server_name = "web01.corp.example"
  site            = "dc1"
  groups          = ["web"]
  tags            = { os = "2019" }
  vars            = { list = [1, "a"], map = { k = true }, n = 1.5 }
}
host "bare" {
  address  = "bare.corp.example"
  user     = env("U")
  password = prompt()
}
`})
	b, err := json.MarshalIndent(inv.Hosts(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	want := `[
  {
    "name": "bare",
    "address": "bare.corp.example",
    "port": 5985,
    "transport": "http",
    "auth": "ntlm",
    "user": {
      "kind": "env",
      "name": "U"
    },
    "password": {
      "kind": "prompt"
    },
    "insecure_skip_verify": false,
    "allow_unencrypted": false,
    "connect_timeout": "10s",
    "operation_timeout": "1m0s",
    "timeout": "5m0s",
    "groups": [],
    "tags": {},
    "vars": {},
    "declared_at": "inv.hcl:19"
  },
  {
    "name": "web01",
    "address": "10.0.0.1",
    "management_address": "10.0.0.1",
    "port": 5986,
    "transport": "https",
    "auth": "ntlm",
    "user": {
      "kind": "literal",
      "value": "fleetadmin"
    },
    "password": {
      "kind": "env",
      "name": "FLEETPORT_PASSWORD"
    },
    "ca_file": "/etc/ca.pem",
    "tls_server_name": "web01.corp.example",
    "insecure_skip_verify": false,
    "allow_unencrypted": false,
    "connect_timeout": "10s",
    "operation_timeout": "1m0s",
    "timeout": "5m0s",
    "concurrency": 10,
    "site": "dc1",
    "groups": [
      "web"
    ],
    "tags": {
      "os": "2019"
    },
    "vars": {
      "list": [
        1,
        "a"
      ],
      "map": {
        "k": true
      },
      "n": 1.5
    },
    "declared_at": "inv.hcl:9"
  }
]`
	if string(b) != want {
		t.Errorf("inventory list --json:\n%s\nwant\n%s", b, want)
	}
}
