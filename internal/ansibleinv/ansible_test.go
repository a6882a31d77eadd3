package ansibleinv

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/fleetport/fleetport/inventory"
)

var (
	listMu    sync.Mutex
	listCache = map[string][]byte{}
)

// ansibleList runs Ansible's own reading of an inventory, with no user
// configuration (once per path: it takes seconds).
func ansibleList(t *testing.T, path string) map[string]any {
	t.Helper()
	listMu.Lock()
	defer listMu.Unlock()
	if b, ok := listCache[path]; ok {
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	bin, err := exec.LookPath("ansible-inventory")
	if err != nil {
		if os.Getenv("CI") != "" || os.Getenv("FLEETPORT_REQUIRE_DOMAIN") != "" {
			t.Fatal("ansible-inventory is not installed (scripts/test installs ansible-core)")
		}
		t.Skip("ansible-inventory is not installed")
	}
	home := t.TempDir()
	cmd := exec.Command(bin, "-i", path, "--list")
	cmd.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "ANSIBLE_CONFIG=" + filepath.Join(home, "none.cfg"),
		"ANSIBLE_LOCAL_TEMP=" + home, "ANSIBLE_INVENTORY_UNPARSED_FAILED=true", "LC_ALL=C.UTF-8"}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("ansible-inventory -i %s: %v\n%s", path, err, errb.String())
	}
	var m map[string]any
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	listCache[path] = out.Bytes()
	return m
}

// ansibleGroups returns each host's groups as ansible-inventory lists
// them, children followed, without all and ungrouped.
func ansibleGroups(list map[string]any) map[string][]string {
	members := map[string]map[string]bool{}
	var walk func(g string, seen map[string]bool) map[string]bool
	walk = func(g string, seen map[string]bool) map[string]bool {
		if m, ok := members[g]; ok {
			return m
		}
		m := map[string]bool{}
		e, _ := list[g].(map[string]any)
		for _, h := range asList(e["hosts"]) {
			m[h] = true
		}
		for _, c := range asList(e["children"]) {
			if !seen[c] {
				seen[c] = true
				for h := range walk(c, seen) {
					m[h] = true
				}
			}
		}
		members[g] = m
		return m
	}
	out := map[string][]string{}
	for g := range list {
		if g == "_meta" {
			continue
		}
		for h := range walk(g, map[string]bool{g: true}) {
			if g != "all" && g != "ungrouped" {
				out[h] = append(out[h], g)
			} else if _, ok := out[h]; !ok {
				out[h] = []string{}
			}
		}
	}
	for h := range out {
		sort.Strings(out[h])
	}
	return out
}

func asList(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// jsonish turns a value read here into what ansible-inventory prints.
func jsonish(t *testing.T, v any) any {
	if _, ok := v.(Vault); ok {
		return "vault"
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

var inventories = []string{"testdata/ini/hosts", "testdata/yaml/hosts.yml", "testdata/dir"}

// TestReadsAsAnsibleDoes: the hosts, their groups (children followed) and
// every host's resolved variables are what `ansible-inventory --list`
// prints for the same files.
func TestReadsAsAnsibleDoes(t *testing.T) {
	for _, path := range inventories {
		t.Run(path, func(t *testing.T) {
			list := ansibleList(t, path)
			inv, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			want := ansibleGroups(list)
			got := map[string][]string{}
			for _, h := range inv.Hosts() {
				got[h] = inv.HostGroups(h)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("hosts and groups:\n got %v\nwant %v", got, want)
			}
			hostvars := list["_meta"].(map[string]any)["hostvars"].(map[string]any)
			for _, h := range inv.Hosts() {
				wantVars, _ := hostvars[h].(map[string]any)
				gotVars := map[string]any{}
				for k, v := range inv.HostVars(h) {
					gotVars[k] = jsonish(t, v.Value)
				}
				for k, v := range wantVars {
					if m, ok := v.(map[string]any); ok && m["__ansible_vault"] != nil {
						wantVars[k] = "vault"
					}
				}
				if len(wantVars) == 0 && len(gotVars) == 0 {
					continue
				}
				if !reflect.DeepEqual(gotVars, wantVars) {
					t.Errorf("%s variables:\n got %v\nwant %v", h, gotVars, wantVars)
				}
			}
		})
	}
}

// TestConvertedInventoryAgrees: the converted file loads in fleetport, and
// `inventory list --json` shows the same hosts and groups as Ansible, with
// the address, port and transport Ansible would connect to, and no
// credential value anywhere.
func TestConvertedInventoryAgrees(t *testing.T) {
	for _, path := range inventories {
		t.Run(path, func(t *testing.T) {
			list := ansibleList(t, path)
			inv, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Convert(inv, path)
			if err != nil {
				t.Fatal(err)
			}
			fi, diags := inventory.LoadDir(fstest.MapFS{"a.hcl": {Data: res.HCL}}, "a.hcl")
			if diags.HasErrors() {
				t.Fatalf("the converted inventory does not load: %v\n%s", diags, res.HCL)
			}
			for _, secret := range []string{"NotTheRealOne-1", "hunter2", "ANSIBLE_VAULT"} {
				for _, text := range append([]string{string(res.HCL)}, append(res.Notes, res.Left...)...) {
					if strings.Contains(text, secret) {
						t.Errorf("the conversion shows %q: %s", secret, text)
					}
				}
			}
			hostvars := list["_meta"].(map[string]any)["hostvars"].(map[string]any)
			want := ansibleGroups(list)
			left := map[string]bool{}
			for _, l := range res.Left {
				left[strings.SplitN(l, ":", 2)[0]] = true
			}
			hosts := fi.Hosts()
			got := map[string]bool{}
			for _, h := range hosts {
				got[h.Name] = true
				j := h.ListJSON()
				if g := append([]string{}, j.Groups...); !reflect.DeepEqual(sortStrings(g), want[h.Name]) {
					t.Errorf("%s: groups %v, Ansible %v", h.Name, g, want[h.Name])
				}
				vars, _ := hostvars[h.Name].(map[string]any)
				addr := h.Name
				if a, ok := vars["ansible_host"].(string); ok {
					addr = a
				}
				port := 5986.0
				if p, ok := vars["ansible_port"].(float64); ok {
					port = p
				}
				scheme := "https"
				if port == 5985 {
					scheme = "http"
				}
				for _, k := range []string{"ansible_winrm_scheme", "ansible_psrp_protocol"} {
					if s, ok := vars[k].(string); ok {
						scheme = s
					}
				}
				if j.Address != addr || float64(j.Port) != port || j.Transport != scheme {
					t.Errorf("%s: fleetport connects to %s %s:%d, Ansible to %s %s:%v", h.Name, j.Transport, j.Address, j.Port, scheme, addr, port)
				}
			}
			for h := range want {
				if !got[h] && !left[h] {
					t.Errorf("host %s is neither converted nor listed as left out", h)
				}
				if got[h] && left[h] {
					t.Errorf("host %s is converted and listed as left out", h)
				}
			}
		})
	}
}

func sortStrings(s []string) []string {
	sort.Strings(s)
	return s
}

// TestConversionDetails pins what the INI inventory becomes: credentials
// as references named for where Ansible sets them, Kerberos names, the
// Linux host left out, the secrets and templates listed, not written.
func TestConversionDetails(t *testing.T) {
	inv, err := Load("testdata/ini/hosts")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Convert(inv, "hosts")
	if err != nil {
		t.Fatal(err)
	}
	fi, diags := inventory.LoadDir(fstest.MapFS{"a.hcl": {Data: res.HCL}}, "a.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	host := func(name string) inventory.HostJSON {
		h, ok := fi.Host(name)
		if !ok {
			t.Fatalf("no host %s in\n%s", name, res.HCL)
		}
		return h.ListJSON()
	}
	if h := host("relay-a.corp.example"); h.Auth != "kerberos" || h.KerberosName != "relay.corp.example" || h.User.Kind != "env" || h.User.Name != "FLEETPORT_USER_SMTP" {
		t.Errorf("relay-a: %+v", h)
	}
	if h := host("web07.corp.example"); h.Auth != "ntlm" || h.User.Name != "FLEETPORT_USER_PARIS" || h.Password.Name != "FLEETPORT_PASSWORD_PARIS" || h.OperationTimeout != "40s" {
		t.Errorf("web07: %+v", h)
	}
	if h := host("db01.corp.example"); h.Port != 15986 || !h.InsecureSkipVerify || string(h.Vars["service_address"]) != `"10.30.0.50"` {
		t.Errorf("db01: %+v", h)
	}
	// paris sets ntlm for every sql host; the host's own basic wins, as in
	// Ansible, and basic over https needs nothing more.
	if h := host("10.30.0.7"); h.Auth != "basic" || h.Transport != "https" || h.AllowUnencrypted {
		t.Errorf("10.30.0.7: %+v", h)
	}
	if h := host("web-legacy"); h.Transport != "http" || h.Port != 5985 || string(h.Vars["note"]) != `"old box # keep"` {
		t.Errorf("web-legacy: %+v", h)
	}
	if len(res.Left) != 1 || !strings.HasPrefix(res.Left[0], "jump01.corp.example: ansible_connection is ssh") {
		t.Errorf("left out: %q", res.Left)
	}
	notes := strings.Join(res.Notes, "\n")
	for _, want := range []string{"variable db_password may hold a secret: not converted", "ansible_become_method has no fleetport setting"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
	var env []string
	for _, e := range res.Env {
		env = append(env, e.Name)
		if strings.Contains(e.Holds, "NotTheRealOne") {
			t.Errorf("%s: %s", e.Name, e.Holds)
		}
	}
	if want := []string{"FLEETPORT_USER_PARIS", "FLEETPORT_PASSWORD_PARIS", "FLEETPORT_USER_SMTP"}; !reflect.DeepEqual(sortStrings(env), sortStrings(want)) {
		t.Errorf("environment variables %v, want %v", env, want)
	}
}

// TestBadInventories: each mistake is refused with the file and line.
func TestBadInventories(t *testing.T) {
	cases := []struct {
		name, file, text, want string
	}{
		{"unknown section type", "hosts", "[web:hosts2]\na\n", "hosts:1: section [web:hosts2] has an unknown type"},
		{"vars for an undeclared group", "hosts", "[a]\nh1\n[ghost:vars]\nx=1\n", "hosts:3: section [ghost:vars] is for a group that is not declared"},
		{"undeclared child", "hosts", "[a:children]\nb\n", "hosts:2: section [a:children] includes a group that is not declared: b"},
		{"unclosed quote", "hosts", "[a]\nh1 x=\"open\n", "hosts:2: host definition"},
		{"key without value", "hosts", "[a]\nh1 novalue\n", "hosts:2: expected a key=value host variable"},
		{"bad range", "hosts", "[a]\nweb[01:5]\n", "equal-length begin and end"},
		{"huge range", "hosts", "[a]\nweb[1:999999999]\n", "more than 30000 hosts"},
		{"loop", "hosts.yml", "a:\n  children:\n    b:\n      children:\n        a: {}\n", "makes a loop"},
		{"not a mapping", "hosts.yml", "- a\n- b\n", "hosts.yml:1: a YAML inventory is a mapping of group names, not a list"},
		{"plugin file", "hosts.yml", "plugin: amazon.aws.aws_ec2\n", "inventory plugin's configuration"},
		{"bad YAML", "hosts.yml", "all:\n  hosts: [\n", "not valid YAML"},
		{"integer host", "hosts.yml", "all:\n  hosts:\n    12:\n", "hosts.yml:3: host pattern 12 must be a string"},
		{"alias bomb", "hosts.yml", aliasBomb(), "more than"},
		{"empty", "hosts.yml", "# nothing\n", "empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, c.file)
			if err := os.WriteFile(p, []byte(c.text), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(p)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want %q", err, c.want)
			}
		})
	}
}

// aliasBomb is the billion-laughs shape: each level refers to the one
// before nine times.
func aliasBomb() string {
	var b strings.Builder
	b.WriteString("all:\n  vars:\n    l0: &l0 [x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		b.WriteString("    l" + string(rune('0'+i)) + ": &l" + string(rune('0'+i)) + " [")
		for j := 0; j < 9; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*l" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	b.WriteString("  hosts:\n    h1:\n")
	return b.String()
}

func TestHostPatterns(t *testing.T) {
	cases := []struct {
		in   string
		want []string
		port int
	}{
		{"web[01:03].corp", []string{"web01.corp", "web02.corp", "web03.corp"}, 0},
		{"db[a:c]", []string{"dba", "dbb", "dbc"}, 0},
		{"n[1:9:4]", []string{"n1", "n5", "n9"}, 0},
		{"h[1:2]-[a:b]", []string{"h1-a", "h1-b", "h2-a", "h2-b"}, 0},
		{"host:2222", []string{"host"}, 2222},
		{"10.0.0.[1:2]:5985", []string{"10.0.0.1", "10.0.0.2"}, 5985},
		{"[fe80::1]:5986", []string{"fe80::1"}, 5986},
		{"fe80::1", []string{"fe80::1"}, 0},
	}
	for _, c := range cases {
		got, port, err := expandHostPattern(c.in, MaxHosts)
		if err != nil || !reflect.DeepEqual(got, c.want) || port != c.port {
			t.Errorf("%s: %v %d %v, want %v %d", c.in, got, port, err, c.want, c.port)
		}
	}
}

func TestINIValues(t *testing.T) {
	cases := []struct {
		in   string
		want any
	}{
		{"8080", int64(8080)}, {"8080 # c", int64(8080)}, {"08", "08"}, {"'5'", "5"}, {`"a b"`, "a b"},
		{"True", true}, {"yes", "yes"}, {"None", nil}, {"[1, 'a']", []any{int64(1), "a"}},
		{"{'k': 1}", map[string]any{"k": int64(1)}}, {"-3", int64(-3)}, {"1.5", 1.5}, {"0x1F", int64(31)},
		{"foo # c", "foo # c"}, {`CORP\svc`, `CORP\svc`}, {"{{ x }}", "{{ x }}"},
	}
	for _, c := range cases {
		if got := parseValue(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %#v, want %#v", c.in, got, c.want)
		}
	}
}

func FuzzLoad(f *testing.F) {
	for _, p := range []string{"testdata/ini/hosts", "testdata/yaml/hosts.yml", "testdata/dir/10-windows", "testdata/dir/20-more.yml"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, strings.HasSuffix(p, ".yml"))
	}
	f.Fuzz(func(t *testing.T, src []byte, yml bool) {
		inv := newInventory()
		var err error
		if yml {
			err = inv.parseYAML("f.yml", src)
		} else {
			err = inv.parseINI("f", src)
		}
		if err != nil {
			return
		}
		inv.reconcile()
		if len(inv.Hosts()) > 2000 {
			return // a range: valid, and slow to convert at fuzzing speed
		}
		for _, h := range inv.Hosts() {
			inv.HostVars(h)
		}
		res, err := Convert(inv, "f")
		if err != nil {
			t.Fatal(err)
		}
		_, diags := inventory.LoadDir(fstest.MapFS{"a.hcl": {Data: res.HCL}}, "a.hcl")
		for _, d := range diags {
			if d.Severity == 1 && strings.Contains(d.Summary, "syntax") {
				t.Fatalf("the converted file does not parse: %v\n%s", d, res.HCL)
			}
		}
	})
}
