package inventory

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// mustLoad loads an inventory from a map of files and fails on any
// diagnostic.
func mustLoad(t *testing.T, files map[string]string) *Inventory {
	t.Helper()
	inv, diags := LoadDir(mapFS(files), ".")
	for _, d := range diags {
		t.Errorf("unexpected diagnostic: %s", d)
	}
	if t.Failed() {
		t.FailNow()
	}
	return inv
}

func mapFS(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, src := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(src)}
	}
	return fsys
}

func host(t *testing.T, inv *Inventory, name string) *Host {
	t.Helper()
	h, ok := inv.Host(name)
	if !ok {
		t.Fatalf("no host %q", name)
	}
	return h
}

func hostNames(hosts []*Host) []string {
	names := make([]string, len(hosts))
	for i, h := range hosts {
		names[i] = h.Name
	}
	return names
}

func TestBuiltInDefaults(t *testing.T) {
	inv := mustLoad(t, map[string]string{"a.hcl": `
host "a" {
  address  = "10.0.0.1"
  user     = env("U")
  password = env("P")
}
host "b" {
  address   = "b.example"
  transport = "https"
  user      = env("U")
  password  = env("P")
}
`})
	a := host(t, inv, "a")
	if a.Transport != "http" || a.Port != 5985 || a.Auth != "ntlm" || a.ConnectTimeout != 10*time.Second ||
		a.OperationTimeout != time.Minute || a.Timeout != 5*time.Minute || a.ManagementAddress != "10.0.0.1" {
		t.Errorf("a: %+v", a.ListJSON())
	}
	b := host(t, inv, "b")
	if b.Port != 5986 || b.ManagementAddress != "" {
		t.Errorf("b: port %d management %q, want 5986 and none (a DNS name)", b.Port, b.ManagementAddress)
	}
	if _, ok := a.Origins["port"]; ok {
		t.Error("a built-in default has an origin")
	}
	if inv.Concurrency() != 0 || a.Concurrency != 0 {
		t.Error("no concurrency is set, yet one is reported")
	}
}

func TestPrecedence(t *testing.T) {
	inv := mustLoad(t, map[string]string{
		"defaults.hcl": `
defaults {
  port              = 1000
  site              = "d"
  connect_timeout   = "1s"
  operation_timeout = "1s"
  timeout           = "1m"
  concurrency       = 50
  user              = env("U")
  password          = env("P")
  tags              = { a = "defaults", b = "defaults", c = "defaults" }
  vars              = { a = 1 }
}
`,
		"groups.hcl": `
group "g1" {
  site            = "g"
  connect_timeout = "2s"
  concurrency     = 20
  tags            = { b = "g1", shared = "same" }
  vars            = { b = [1, 2] }
}
group "g2" {
  connect_timeout = "2s" # agrees with g1: no conflict
  operation_timeout = "3s"
  concurrency     = 5
  tags            = { shared = "same", c = "g2" }
}
`,
		"hosts.hcl": `
host "h" {
  address = "10.0.0.1"
  groups  = ["g2", "g1"]
  timeout = "9m"
  tags    = { c = "host" }
}
host "other" {
  address = "10.0.0.2"
}
`})
	h := host(t, inv, "h")
	if h.Port != 1000 || h.Site != "g" || h.ConnectTimeout != 2*time.Second || h.OperationTimeout != 3*time.Second || h.Timeout != 9*time.Minute {
		t.Errorf("settings: %+v", h.ListJSON())
	}
	if !reflect.DeepEqual(h.Groups, []string{"g2", "g1"}) {
		t.Errorf("groups = %v, want the host's order", h.Groups)
	}
	wantTags := map[string]string{"a": "defaults", "b": "g1", "c": "host", "shared": "same"}
	if !reflect.DeepEqual(h.Tags, wantTags) {
		t.Errorf("tags = %v, want %v", h.Tags, wantTags)
	}
	if !h.Vars["a"].RawEquals(cty.NumberIntVal(1)) || h.Vars["b"].LengthInt() != 2 {
		t.Errorf("vars = %#v", h.Vars)
	}
	if h.Concurrency != 5 || inv.Concurrency() != 50 || host(t, inv, "other").Concurrency != 50 {
		t.Errorf("concurrency: host %d fleet %d other %d", h.Concurrency, inv.Concurrency(), host(t, inv, "other").Concurrency)
	}
	g1, _ := inv.Group("g1")
	if g1.Concurrency != 20 || !reflect.DeepEqual(g1.Hosts, []string{"h"}) {
		t.Errorf("g1 = %+v", g1)
	}
	for setting, file := range map[string]string{"port": "defaults.hcl", "site": "groups.hcl", "timeout": "hosts.hcl", "tags.c": "hosts.hcl", "tags.b": "groups.hcl"} {
		if got := h.Origins[setting].Filename; got != file {
			t.Errorf("origin of %s = %q, want %q", setting, got, file)
		}
	}
	if h.DeclRange.Filename != "hosts.hcl" || h.DeclRange.Start.Line != 2 {
		t.Errorf("DeclRange = %s", h.DeclRange)
	}
}

func TestGroupConflictsAggregated(t *testing.T) {
	var b strings.Builder
	b.WriteString(`
defaults {
  user     = env("U")
  password = env("P")
}
group "web" { port = 1 }
group "dmz" { port = 2 }
`)
	for _, n := range []string{"h1", "h2", "h3", "h4", "h5"} {
		b.WriteString("host \"" + n + "\" {\n  address = \"10.0.0.1\"\n  groups = [\"web\", \"dmz\"]\n}\n")
	}
	b.WriteString("host \"chooses\" {\n  address = \"10.0.0.9\"\n  groups = [\"web\", \"dmz\"]\n  port = 3\n}\n")
	inv, diags := LoadDir(mapFS(map[string]string{"x.hcl": b.String()}), ".")
	if len(diags) != 1 {
		t.Fatalf("want one diagnostic for five hosts, got %d: %v", len(diags), diags)
	}
	d := diags[0]
	if d.Summary != "Conflicting group settings" || d.Subject.Start.Line != 7 ||
		!strings.Contains(d.Detail, "x.hcl:6") || !strings.Contains(d.Detail, "This applies to 5 hosts: h1, h2, h3 and 2 more.") {
		t.Errorf("diagnostic: %s", d)
	}
	if host(t, inv, "chooses").Port != 3 || host(t, inv, "h1").Port != 1 {
		t.Error("the host's own port or the first group's should apply")
	}
}

func TestHostNameExpressions(t *testing.T) {
	inv := mustLoad(t, map[string]string{"a.hcl": `
defaults {
  tls_server_name = "${lower(host.name)}.corp.example"
  user            = "CORP\\${host.name}"
  password        = file("pw/${host.name}.txt")
  vars            = { fqdn = "${host.name}.corp.example" }
}
host "WEB01" { address = "10.0.0.1" }
host "web02" { address = "10.0.0.2" }
`})
	h := host(t, inv, "WEB01")
	if h.TLSServerName != "web01.corp.example" {
		t.Errorf("tls_server_name = %q", h.TLSServerName)
	}
	if r := h.Password.Reference(); r.Source != SourceFile || r.Name != filepath.Join("pw", "WEB01.txt") {
		t.Errorf("password reference = %+v", r)
	}
	if got := h.ListJSON().User; got.Kind != "literal" || got.Value != `CORP\WEB01` {
		t.Errorf("user = %+v", got)
	}
	if h.Vars["fqdn"].AsString() != "WEB01.corp.example" {
		t.Errorf("vars.fqdn = %#v", h.Vars["fqdn"])
	}
}

func TestRelativePaths(t *testing.T) {
	fsys := mapFS(map[string]string{
		"inv/defaults.hcl": `defaults {
  ca_file  = "pki/ca.pem"
  user     = env("U")
  password = file("secrets/pw")
}`,
		"inv/site/hosts.hcl": `host "a" {
  address = "10.0.0.1"
  ca_file = "/etc/fleet/ca.pem"
}
host "b" {
  address = "10.0.0.2"
}`,
	})
	inv, diags := Load(fsys, "inv", Options{Dir: "/srv/fleet"})
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	a, b := host(t, inv, "a"), host(t, inv, "b")
	if a.CAFile != "/etc/fleet/ca.pem" || b.CAFile != "/srv/fleet/inv/pki/ca.pem" {
		t.Errorf("ca_file: a %q b %q", a.CAFile, b.CAFile)
	}
	if b.Password.Reference().Name != "/srv/fleet/inv/secrets/pw" {
		t.Errorf("password file = %q", b.Password.Reference().Name)
	}
	if _, ok := inv.Files()["/srv/fleet/inv/site/hosts.hcl"]; !ok || a.DeclRange.Filename != "/srv/fleet/inv/site/hosts.hcl" {
		t.Errorf("files are not named by their OS path: %v, %s", inv.Files(), a.DeclRange)
	}

	inv, _ = LoadDir(fsys, "inv")
	if got := host(t, inv, "b").CAFile; got != "inv/pki/ca.pem" {
		t.Errorf("without Dir, ca_file = %q, want the fs path", got)
	}
}

// The simulator's inventories (testdata/sim/README.md says how they were
// written) must load unchanged.
func TestSimInventory(t *testing.T) {
	inv, diags := LoadDir(os.DirFS("testdata/sim"), "http-ntlm.hcl")
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	hosts := inv.Hosts()
	if got := hostNames(hosts); !reflect.DeepEqual(got, []string{"app0001", "app0002", "app0003", "smtp0001", "web0001"}) {
		t.Errorf("hosts = %v", got)
	}
	h := host(t, inv, "web0001")
	want := map[string]any{
		"address": "127.20.0.3", "port": 5985, "transport": "http", "auth": "ntlm",
		"groups": []string{"web"}, "tags": map[string]string{"role": "web", "os": "2019", "locale": "en-US"},
		"user": Reference{Source: SourceEnv, Name: "FLEETPORT_SIM_USER"}, "password": Reference{Source: SourceEnv, Name: "FLEETPORT_SIM_PASSWORD"},
		"management": "127.20.0.3", "service_address": "10.20.0.3",
	}
	got := map[string]any{
		"address": h.Address, "port": h.Port, "transport": h.Transport, "auth": h.Auth,
		"groups": h.Groups, "tags": h.Tags, "user": withoutRange(h.User.Reference()), "password": withoutRange(h.Password.Reference()),
		"management": h.ManagementAddress, "service_address": h.Vars["service_address"].AsString(),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("web0001:\n got %v\nwant %v", got, want)
	}
	resolved, err := h.ResolveCredentials(mapResolver{env: map[string]string{"FLEETPORT_SIM_USER": "fleetadmin", "FLEETPORT_SIM_PASSWORD": "x"}})
	if err != nil || resolved.User.Reveal() != "fleetadmin" || resolved.Password.Reveal() != "x" {
		t.Errorf("resolve: %v", err)
	}

	inv, diags = LoadDir(os.DirFS("testdata/sim"), "https-basic.hcl")
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	h = host(t, inv, "smtp0001")
	if h.Transport != "https" || h.Port != 5986 || h.Auth != "basic" || h.TLSServerName != "smtp0001.corp.example" ||
		h.CAFile != "/root/.local/state/fleetport/sim/ca.pem" {
		t.Errorf("smtp0001: %+v", h.ListJSON())
	}
}

func withoutRange(r Reference) Reference {
	r.DeclRange = hcl.Range{}
	return r
}

func TestExamples(t *testing.T) {
	t.Run("small", func(t *testing.T) {
		inv, diags := LoadDir(os.DirFS("../examples/inventory"), "small")
		if len(diags) > 0 {
			t.Fatal(diags)
		}
		if got := hostNames(inv.Hosts()); !reflect.DeepEqual(got, []string{"sql01", "web01", "web02"}) {
			t.Errorf("hosts = %v", got)
		}
		sql := host(t, inv, "sql01")
		if sql.OperationTimeout != 2*time.Minute || sql.ManagementAddress != "10.10.0.21" || sql.Tags["role"] != "sql" || sql.Port != 5985 {
			t.Errorf("sql01: %+v", sql.ListJSON())
		}
		if web := host(t, inv, "web02"); web.OperationTimeout != time.Minute || web.Tags["os"] != "2022" {
			t.Errorf("web02: %+v", web.ListJSON())
		}
	})

	t.Run("multisite", func(t *testing.T) {
		inv, diags := LoadDir(os.DirFS("../examples/inventory"), "multisite")
		if len(diags) > 0 {
			t.Fatal(diags)
		}
		if got := hostNames(inv.Hosts()); !reflect.DeepEqual(got, []string{"legacy11", "mail01", "sql01", "sql11", "web01", "web02", "web11"}) {
			t.Errorf("hosts = %v", got)
		}
		var groups []string
		for _, g := range inv.Groups() {
			groups = append(groups, g.Name)
		}
		if !reflect.DeepEqual(groups, []string{"dc1", "dc2", "dmz", "smtp", "sql", "web"}) {
			t.Errorf("groups = %v", groups)
		}
		if inv.Concurrency() != 50 {
			t.Errorf("fleet concurrency = %d", inv.Concurrency())
		}
		web, _ := inv.Group("web")
		if web.Concurrency != 20 || !reflect.DeepEqual(web.Hosts, []string{"web01", "web02", "web11"}) {
			t.Errorf("web = %+v", web)
		}

		w11 := host(t, inv, "web11")
		if !reflect.DeepEqual(w11.Groups, []string{"web", "dmz", "dc2"}) || w11.Site != "dc2" ||
			w11.ConnectTimeout != 20*time.Second || w11.Concurrency != 5 || w11.Transport != "https" || w11.Port != 5986 ||
			w11.TLSServerName != "web11.corp.example" || w11.CAFile != "multisite/pki/fleet-ca.pem" {
			t.Errorf("web11: %+v", w11.ListJSON())
		}
		if w11.User.Reference().Name != "FLEETPORT_DMZ_USER" || w11.Password.Reference().Name != "FLEETPORT_DMZ_PASSWORD" {
			t.Errorf("web11 credentials: %v %v", w11.User, w11.Password)
		}
		wantTags := map[string]string{"env": "prod", "role": "iis", "zone": "dmz", "os": "2019"}
		if !reflect.DeepEqual(w11.Tags, wantTags) {
			t.Errorf("web11 tags = %v", w11.Tags)
		}
		if w11.Vars["http_ports"].LengthInt() != 2 || w11.Vars["service_address"].AsString() != "198.51.100.11" {
			t.Errorf("web11 vars = %#v", w11.Vars)
		}

		s01 := host(t, inv, "sql01")
		if s01.Site != "dc1" || s01.OperationTimeout != 2*time.Minute || s01.Concurrency != 2 || s01.ConnectTimeout != 10*time.Second ||
			s01.User.Reference().Name != "FLEETPORT_USER" {
			t.Errorf("sql01: %+v", s01.ListJSON())
		}
		l11 := host(t, inv, "legacy11")
		if l11.Transport != "http" || l11.Port != 5985 || l11.ManagementAddress != "10.2.0.99" || l11.Concurrency != 50 {
			t.Errorf("legacy11: %+v", l11.ListJSON())
		}
	})
}
