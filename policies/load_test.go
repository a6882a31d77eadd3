package policies

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/zclconf/go-cty/cty"
)

func TestLoadDirWalks(t *testing.T) {
	pol := func(name string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte(`policy "` + name + `" {
  service "W3SVC" { state = "running" }
}
`)}
	}
	fsys := fstest.MapFS{
		"policies/a.hcl":         pol("a"),
		"policies/sub/b.hcl":     pol("b"),
		"policies/.hidden.hcl":   pol("hidden"),
		"policies/.git/c.hcl":    pol("git"),
		"policies/d.hcl~":        pol("backup"),
		"policies/#e.hcl#":       pol("autosave"),
		"policies/notes.txt":     {Data: []byte("not a policy")},
		"policies/z.hcl":         pol("z"),
		"single/whatever.policy": pol("single"),
		"empty/readme.md":        {Data: []byte("nothing")},
	}
	s, diags := LoadDir(fsys, "policies")
	if len(diags) > 0 {
		t.Fatal(diags.Error())
	}
	var names []string
	for _, p := range s.Policies {
		names = append(names, p.Name)
	}
	// The folder's own files only: sub/b.hcl is not read.
	if got := fmtNames(names); got != "a z" {
		t.Errorf("loaded %v, want a and z in lexical path order", names)
	}
	if len(s.Sources()) != 2 || s.Sources()["policies/sub/b.hcl"] != nil {
		t.Errorf("sources %v", s.Sources())
	}

	s, diags = LoadDir(fsys, "single/whatever.policy")
	if len(diags) > 0 || len(s.Policies) != 1 {
		t.Errorf("a single named file: %v %v", s.Policies, diags)
	}
	_, diags = LoadDir(fsys, "empty")
	if len(diags) != 1 || diags[0].Summary != "No policy files" || diags.HasErrors() {
		t.Errorf("an empty folder: %v", diags)
	}
	_, diags = LoadDir(fsys, "missing")
	if !diags.HasErrors() || diags[0].Summary != "Cannot read policies" {
		t.Errorf("a missing folder: %v", diags)
	}
}

func fmtNames(names []string) string {
	var b bytes.Buffer
	for i, n := range names {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(n)
	}
	return b.String()
}

func TestParseTooLarge(t *testing.T) {
	_, diags := Parse(bytes.Repeat([]byte("#\n"), maxFileSize), "big.hcl")
	if !diags.HasErrors() || diags[0].Summary != "Policy file too large" {
		t.Errorf("got %v", diags)
	}
}

// TestExamplesCopyIdentical: examples/policies/builtin is a copy of the
// embedded pack, file for file.
func TestExamplesCopyIdentical(t *testing.T) {
	embedded, err := builtinFS.ReadDir(BuiltinDir)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", "examples", "policies", "builtin")
	copies, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(copies) != len(embedded) {
		t.Errorf("%s holds %d files, the pack %d", dir, len(copies), len(embedded))
	}
	for _, e := range embedded {
		want, _ := builtinFS.ReadFile(BuiltinDir + "/" + e.Name())
		got, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Errorf("%v (copy policies/builtin/%s there)", err, e.Name())
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from policies/builtin/%s: copy it again", filepath.Join(dir, e.Name()), e.Name())
		}
	}
}

func TestCheckCoverage(t *testing.T) {
	s := mustParse(t, `
policy "web" {
  applies_to = contains(host.groups, "web")
  service "W3SVC" { state = "running" }
}
policy "webb" {
  applies_to = contains(host.groups, "webb")
  service "W3SVC" { state = "running" }
}
policy "old" {
  registry "MaxUserPort" { at_least = 65534 }
}
policy "unknown_yet" {
  registry "SynAttackProtect" { equals = 1 }
}
policy "tiered" {
  applies_to = host.vars.tier == "gold"
  service "W3SVC" { state = "running" }
}
`)
	hosts := []Host{webHost("2019"), webHost("2022"), webHost("2016"), webHost("2012r2"), {Name: "new", Address: "10.0.0.1"}}
	hosts[1].Vars = map[string]cty.Value{"tier": cty.StringVal("gold")}
	hosts[4].Vars = map[string]cty.Value{"tier": cty.StringVal("silver")}
	// old: 2003-only and every release known: no host. unknown_yet: the
	// last host's release is unknown, so it may apply.
	diags := CheckCoverage(s, hosts[:4])
	var got []string
	for _, d := range diags {
		got = append(got, d.Summary+" @"+d.Subject.String())
	}
	want := []string{
		"Policy applies to no host @test.hcl:6,1-14",
		"Policy applies to no host @test.hcl:10,1-13",
		"Policy applies to no host @test.hcl:13,1-21",
		"Host declares no vars.tier @test.hcl:17,16-30",
	}
	if fmtNames(got) != fmtNames(want) {
		t.Errorf("got\n %v\nwant\n %v", got, want)
	}
	if len(diags) == 4 && !bytes.Contains([]byte(diags[3].Detail), []byte("on 3 hosts")) {
		t.Errorf("evaluation errors are grouped: %s", diags[3].Detail)
	}
	diags = CheckCoverage(s, hosts)
	for _, d := range diags {
		if d.Subject.Start.Line == 13 {
			t.Errorf("unknown_yet may apply to the host whose release is unknown: %v", d)
		}
	}
}
